//! Payout and refund rows. Status changes are conditional updates (`WHERE
//! status = <the state read>`): of two racing writers one changes the row,
//! the other changes nothing and reports it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::Status;
use crate::db::schema::{payouts, refunds};
use crate::db::{new_id, DbConnection};

/// One payable paid out: an award's part for one team member.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = payouts)]
pub struct Payout {
    pub id: String,
    pub challenge_id: String,
    pub award_id: String,
    pub user_id: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub provider: String,
    pub idempotency_key: String,
    pub reference: Option<String>,
    pub failure: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub entry_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub paid_at: Option<NaiveDateTime>,
    pub failed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// What an organisation gets back from a challenge's escrow.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refunds)]
pub struct Refund {
    pub id: String,
    pub challenge_id: String,
    pub org_id: String,
    pub amount: i64,
    pub currency: String,
    pub reason: String,
    pub status: String,
    pub provider: String,
    pub idempotency_key: String,
    pub reference: Option<String>,
    pub failure: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub entry_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub paid_at: Option<NaiveDateTime>,
    pub failed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

impl Payout {
    pub fn state(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Pending)
    }
}

impl Refund {
    pub fn state(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Pending)
    }
}

/// A new payout, pending.
pub struct NewPayout<'a> {
    pub challenge_id: &'a str,
    pub award_id: &'a str,
    pub user_id: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub provider: &'a str,
    pub idempotency_key: &'a str,
}

pub fn insert_payout(
    conn: &mut DbConnection,
    p: NewPayout<'_>,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = new_id();
    diesel::insert_into(payouts::table)
        .values((
            payouts::id.eq(&id),
            payouts::challenge_id.eq(p.challenge_id),
            payouts::award_id.eq(p.award_id),
            payouts::user_id.eq(p.user_id),
            payouts::amount.eq(p.amount),
            payouts::currency.eq(p.currency),
            payouts::status.eq(Status::Pending.as_str()),
            payouts::provider.eq(p.provider),
            payouts::idempotency_key.eq(p.idempotency_key),
            payouts::attempts.eq(0),
            payouts::created_at.eq(now),
            payouts::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// A new refund, pending.
pub struct NewRefund<'a> {
    pub challenge_id: &'a str,
    pub org_id: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub reason: &'a str,
    pub provider: &'a str,
    pub idempotency_key: &'a str,
}

pub fn insert_refund(
    conn: &mut DbConnection,
    r: NewRefund<'_>,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = new_id();
    diesel::insert_into(refunds::table)
        .values((
            refunds::id.eq(&id),
            refunds::challenge_id.eq(r.challenge_id),
            refunds::org_id.eq(r.org_id),
            refunds::amount.eq(r.amount),
            refunds::currency.eq(r.currency),
            refunds::reason.eq(r.reason),
            refunds::status.eq(Status::Pending.as_str()),
            refunds::provider.eq(r.provider),
            refunds::idempotency_key.eq(r.idempotency_key),
            refunds::attempts.eq(0),
            refunds::created_at.eq(now),
            refunds::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn find_payout(conn: &mut DbConnection, id: &str) -> QueryResult<Payout> {
    payouts::table
        .find(id)
        .select(Payout::as_select())
        .first(conn)
}

pub fn find_refund(conn: &mut DbConnection, id: &str) -> QueryResult<Refund> {
    refunds::table
        .find(id)
        .select(Refund::as_select())
        .first(conn)
}

pub fn payouts_of_challenge(
    conn: &mut DbConnection,
    challenge_id: &str,
) -> QueryResult<Vec<Payout>> {
    payouts::table
        .filter(payouts::challenge_id.eq(challenge_id))
        .order((payouts::created_at.asc(), payouts::id.asc()))
        .select(Payout::as_select())
        .load(conn)
}

pub fn payouts_of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<Payout>> {
    payouts::table
        .filter(payouts::user_id.eq(user_id))
        .order((payouts::created_at.desc(), payouts::id.desc()))
        .select(Payout::as_select())
        .load(conn)
}

pub fn refund_of_challenge(
    conn: &mut DbConnection,
    challenge_id: &str,
) -> QueryResult<Option<Refund>> {
    refunds::table
        .filter(refunds::challenge_id.eq(challenge_id))
        .select(Refund::as_select())
        .first(conn)
        .optional()
}

/// Filters of the admins' list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<Status>,
    pub challenge_id: Option<String>,
}

/// Payouts, newest first, filtered.
pub fn list_payouts(conn: &mut DbConnection, f: &Filter, limit: i64) -> QueryResult<Vec<Payout>> {
    let mut q = payouts::table.select(Payout::as_select()).into_boxed();
    if let Some(s) = f.status {
        q = q.filter(payouts::status.eq(s.as_str()));
    }
    if let Some(c) = &f.challenge_id {
        q = q.filter(payouts::challenge_id.eq(c.clone()));
    }
    q.order((payouts::created_at.desc(), payouts::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Refunds, newest first, filtered.
pub fn list_refunds(conn: &mut DbConnection, f: &Filter, limit: i64) -> QueryResult<Vec<Refund>> {
    let mut q = refunds::table.select(Refund::as_select()).into_boxed();
    if let Some(s) = f.status {
        q = q.filter(refunds::status.eq(s.as_str()));
    }
    if let Some(c) = &f.challenge_id {
        q = q.filter(refunds::challenge_id.eq(c.clone()));
    }
    q.order((refunds::created_at.desc(), refunds::id.desc()))
        .limit(limit)
        .load(conn)
}

/// What a status change writes besides the status.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub reference: Option<String>,
    pub failure: Option<String>,
    pub entry_id: Option<String>,
    pub next_attempt_at: Option<NaiveDateTime>,
    /// Count this as one more attempt.
    pub attempt: bool,
}

/// Writes a status change of a payout or refund: the same columns on both tables.
macro_rules! status_setter {
    ($(#[$doc:meta])* $name:ident, $t:ident) => {
        $(#[$doc])*
        pub fn $name(
            conn: &mut DbConnection,
            id: &str,
            from: Status,
            to: Status,
            ch: &Change,
            now: NaiveDateTime,
        ) -> QueryResult<usize> {
            let row = $t::table.find(id).filter($t::status.eq(from.as_str()));
            let n = diesel::update(row)
                .set((
                    $t::status.eq(to.as_str()),
                    $t::updated_at.eq(now),
                    $t::next_attempt_at.eq(ch.next_attempt_at),
                ))
                .execute(conn)?;
            if n == 0 {
                return Ok(0);
            }
            let row = || $t::table.find(id);
            match to {
                Status::Submitted => diesel::update(row()).set($t::submitted_at.eq(Some(now))).execute(conn)?,
                Status::Paid => diesel::update(row())
                    .set(($t::paid_at.eq(Some(now)), $t::failure.eq(None::<String>)))
                    .execute(conn)?,
                Status::Failed => diesel::update(row()).set($t::failed_at.eq(Some(now))).execute(conn)?,
                Status::Pending => 0,
            };
            if let Some(r) = &ch.reference {
                diesel::update(row()).set($t::reference.eq(Some(r))).execute(conn)?;
            }
            if let Some(f) = &ch.failure {
                diesel::update(row()).set($t::failure.eq(Some(f))).execute(conn)?;
            }
            if let Some(e) = &ch.entry_id {
                diesel::update(row()).set($t::entry_id.eq(Some(e))).execute(conn)?;
            }
            if ch.attempt {
                diesel::update(row()).set($t::attempts.eq($t::attempts + 1)).execute(conn)?;
            }
            Ok(n)
        }
    };
}

status_setter!(
    /// Moves a payout from `from` to `to`; 0 rows if it was not in `from` any more.
    set_payout_status,
    payouts
);
status_setter!(
    /// Moves a refund from `from` to `to`; 0 rows if it was not in `from` any more.
    set_refund_status,
    refunds
);

/// Payouts a provider should send now: not paid, not waiting for a person
/// (failed), and due (new, or their retry or lease time has come).
pub fn due_payouts(
    conn: &mut DbConnection,
    provider: &str,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Payout>> {
    payouts::table
        .filter(payouts::provider.eq(provider))
        .filter(payouts::status.eq_any([Status::Pending.as_str(), Status::Submitted.as_str()]))
        .filter(
            payouts::next_attempt_at
                .is_null()
                .or(payouts::next_attempt_at.le(now)),
        )
        .order(payouts::created_at.asc())
        .limit(limit)
        .select(Payout::as_select())
        .load(conn)
}

/// Refunds a provider should send (or ask about) now.
pub fn due_refunds(
    conn: &mut DbConnection,
    provider: &str,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Refund>> {
    refunds::table
        .filter(refunds::provider.eq(provider))
        .filter(refunds::status.eq_any([Status::Pending.as_str(), Status::Submitted.as_str()]))
        .filter(
            refunds::next_attempt_at
                .is_null()
                .or(refunds::next_attempt_at.le(now)),
        )
        .order(refunds::created_at.asc())
        .limit(limit)
        .select(Refund::as_select())
        .load(conn)
}

/// Puts off a payout until `at` (a lease while it is being sent, or the
/// next retry), counting an attempt when asked.
pub fn put_off_payout(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
    attempt: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let row = payouts::table.find(id);
    if attempt {
        diesel::update(row)
            .set((
                payouts::next_attempt_at.eq(Some(at)),
                payouts::attempts.eq(payouts::attempts + 1),
                payouts::updated_at.eq(now),
            ))
            .execute(conn)
    } else {
        diesel::update(row)
            .set((
                payouts::next_attempt_at.eq(Some(at)),
                payouts::updated_at.eq(now),
            ))
            .execute(conn)
    }
}

/// [`put_off_payout`] for a refund.
pub fn put_off_refund(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
    attempt: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let row = refunds::table.find(id);
    if attempt {
        diesel::update(row)
            .set((
                refunds::next_attempt_at.eq(Some(at)),
                refunds::attempts.eq(refunds::attempts + 1),
                refunds::updated_at.eq(now),
            ))
            .execute(conn)
    } else {
        diesel::update(row)
            .set((
                refunds::next_attempt_at.eq(Some(at)),
                refunds::updated_at.eq(now),
            ))
            .execute(conn)
    }
}

/// The refund the provider knows by this id.
pub fn refund_by_reference(
    conn: &mut DbConnection,
    reference: &str,
) -> QueryResult<Option<Refund>> {
    refunds::table
        .filter(refunds::reference.eq(reference))
        .select(Refund::as_select())
        .first(conn)
        .optional()
}

/// Keeps the provider's id of a refund still on its way.
pub fn set_refund_reference(
    conn: &mut DbConnection,
    id: &str,
    reference: &str,
) -> QueryResult<usize> {
    diesel::update(refunds::table.find(id))
        .set(refunds::reference.eq(Some(reference)))
        .execute(conn)
}

/// Makes the waiting payouts of an account's owner due now (the account
/// can receive transfers).
pub fn wake_payouts_of_account(
    conn: &mut DbConnection,
    account_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use crate::db::schema::payment_accounts;
    let owner: Option<String> = payment_accounts::table
        .filter(payment_accounts::account_id.eq(account_id))
        .select(payment_accounts::user_id)
        .first(conn)
        .optional()?;
    let Some(user) = owner else {
        return Ok(0);
    };
    diesel::update(
        payouts::table
            .filter(payouts::user_id.eq(user))
            .filter(payouts::status.eq(Status::Pending.as_str())),
    )
    .set(payouts::next_attempt_at.eq(Some(now)))
    .execute(conn)
}

/// Gives a refused payout a new idempotency key before it is sent again:
/// the provider keeps a refusal under its key, and a refused request moved
/// nothing, so a new key cannot pay twice.
pub fn rekey_payout(conn: &mut DbConnection, id: &str, key: &str) -> QueryResult<usize> {
    diesel::update(payouts::table.find(id))
        .set(payouts::idempotency_key.eq(key))
        .execute(conn)
}

/// [`rekey_payout`] for a refund; the failed refund's provider id goes too,
/// so the next pass makes a new refund rather than asking about the old one.
pub fn rekey_refund(conn: &mut DbConnection, id: &str, key: &str) -> QueryResult<usize> {
    diesel::update(refunds::table.find(id))
        .set((
            refunds::idempotency_key.eq(key),
            refunds::reference.eq(None::<String>),
        ))
        .execute(conn)
}
