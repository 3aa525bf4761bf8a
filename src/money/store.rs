//! Ledger queries: accounts, journal entries (idempotent by key), balances,
//! and the manual provider's funding requests.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{
    check_balanced, AccountKind, AccountRef, Currency, EscrowFlows, LedgerError, Line,
};
use crate::db::is_unique_violation;
use crate::db::schema::{fundings, journal_entries, journal_lines, ledger_accounts};
use crate::db::{new_id, DbConnection};
use crate::error::{AppError, AppResult};

/// The kinds of journal entries.
pub mod entry_kind {
    pub const FUNDING: &str = "funding";
    pub const REFUND: &str = "refund";
    pub const AWARD: &str = "award";
    pub const PAYOUT: &str = "payout";
    /// A refund paid out to an organisation (`org_funding` → clearing).
    pub const REFUND_PAID: &str = "refund_paid";
}

/// The id of an account, created on first use.
pub fn account_id(
    conn: &mut DbConnection,
    a: &AccountRef,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let find = |conn: &mut DbConnection| -> QueryResult<Option<String>> {
        ledger_accounts::table
            .filter(ledger_accounts::kind.eq(a.kind.as_str()))
            .filter(ledger_accounts::owner_id.eq(&a.owner))
            .filter(ledger_accounts::currency.eq(a.currency.as_str()))
            .select(ledger_accounts::id)
            .first(conn)
            .optional()
    };
    if let Some(id) = find(conn)? {
        return Ok(id);
    }
    let id = new_id();
    let res = diesel::insert_into(ledger_accounts::table)
        .values((
            ledger_accounts::id.eq(&id),
            ledger_accounts::kind.eq(a.kind.as_str()),
            ledger_accounts::owner_id.eq(&a.owner),
            ledger_accounts::currency.eq(a.currency.as_str()),
            ledger_accounts::created_at.eq(now),
        ))
        .execute(conn);
    match res {
        Ok(_) => Ok(id),
        // Someone created it meanwhile.
        Err(e) if is_unique_violation(&e) => find(conn)?.ok_or(diesel::result::Error::NotFound),
        Err(e) => Err(e),
    }
}

/// What posting an entry did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// A new entry with this id.
    New(String),
    /// An entry with this idempotency key already existed: nothing moved.
    Replay(String),
}

impl Posted {
    pub fn id(&self) -> &str {
        match self {
            Posted::New(id) | Posted::Replay(id) => id,
        }
    }
}

/// One movement of money to record.
pub struct Entry<'a> {
    /// Unique: the same key never moves money twice.
    pub idempotency_key: &'a str,
    pub kind: &'a str,
    pub challenge_id: Option<&'a str>,
    pub memo: &'a str,
    pub created_by: Option<&'a str>,
    pub lines: Vec<Line>,
}

/// Posts a balanced entry once. Call inside a write transaction.
pub fn post(conn: &mut DbConnection, e: Entry<'_>, now: NaiveDateTime) -> AppResult<Posted> {
    let existing: Option<String> = journal_entries::table
        .filter(journal_entries::idempotency_key.eq(e.idempotency_key))
        .select(journal_entries::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(Posted::Replay(id));
    }
    check_balanced(&e.lines).map_err(|err: LedgerError| {
        AppError::internal(format!("unbalanced entry refused: {err}"))
    })?;
    let id = new_id();
    diesel::insert_into(journal_entries::table)
        .values((
            journal_entries::id.eq(&id),
            journal_entries::idempotency_key.eq(e.idempotency_key),
            journal_entries::kind.eq(e.kind),
            journal_entries::challenge_id.eq(e.challenge_id),
            journal_entries::memo.eq(e.memo),
            journal_entries::created_by.eq(e.created_by),
            journal_entries::created_at.eq(now),
        ))
        .execute(conn)?;
    for l in &e.lines {
        let account = account_id(conn, &l.account, now)?;
        diesel::insert_into(journal_lines::table)
            .values((
                journal_lines::id.eq(new_id()),
                journal_lines::entry_id.eq(&id),
                journal_lines::account_id.eq(&account),
                journal_lines::amount.eq(l.amount),
                journal_lines::currency.eq(l.account.currency.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(Posted::New(id))
}

/// The balance of an account (0 if it has never been used).
pub fn balance(conn: &mut DbConnection, a: &AccountRef) -> QueryResult<i64> {
    sum_of_lines(conn, a, None)
}

/// What one entry credited (or debited) to an account.
pub fn entry_amount(conn: &mut DbConnection, entry_id: &str, a: &AccountRef) -> QueryResult<i64> {
    sum_of_lines(conn, a, Some(entry_id))
}

/// The sum of an account's lines, of every entry or of one.
fn sum_of_lines(
    conn: &mut DbConnection,
    a: &AccountRef,
    entry_id: Option<&str>,
) -> QueryResult<i64> {
    let mut q = journal_lines::table
        .inner_join(ledger_accounts::table)
        .filter(ledger_accounts::kind.eq(a.kind.as_str()))
        .filter(ledger_accounts::owner_id.eq(&a.owner))
        .filter(ledger_accounts::currency.eq(a.currency.as_str()))
        .select(journal_lines::amount)
        .into_boxed();
    if let Some(e) = entry_id {
        q = q.filter(journal_lines::entry_id.eq(e));
    }
    let amounts: Vec<i64> = q.load(conn)?;
    Ok(amounts.iter().sum())
}

/// What flowed in and out of a challenge's escrow, by kind of entry.
pub fn escrow_flows(
    conn: &mut DbConnection,
    challenge_id: &str,
    currency: &Currency,
) -> QueryResult<EscrowFlows> {
    let rows: Vec<(String, i64)> = journal_lines::table
        .inner_join(ledger_accounts::table)
        .inner_join(journal_entries::table)
        .filter(ledger_accounts::kind.eq(AccountKind::ChallengeEscrow.as_str()))
        .filter(ledger_accounts::owner_id.eq(challenge_id))
        .filter(ledger_accounts::currency.eq(currency.as_str()))
        .select((journal_entries::kind, journal_lines::amount))
        .load(conn)?;
    let mut f = EscrowFlows::default();
    for (kind, amount) in rows {
        match kind.as_str() {
            entry_kind::FUNDING => f.funded += amount,
            entry_kind::AWARD => f.awarded -= amount,
            entry_kind::REFUND => f.refunded -= amount,
            _ => f.funded += amount,
        }
    }
    Ok(f)
}

/// The escrow balance of each of these challenges, in one query (lists).
/// Challenges with no escrow movement are absent (balance 0).
pub fn escrow_balances(
    conn: &mut DbConnection,
    challenge_ids: &[String],
) -> QueryResult<std::collections::HashMap<String, i64>> {
    let rows: Vec<(String, String, i64)> = journal_lines::table
        .inner_join(ledger_accounts::table)
        .filter(ledger_accounts::kind.eq(AccountKind::ChallengeEscrow.as_str()))
        .filter(ledger_accounts::owner_id.eq_any(challenge_ids))
        .select((
            ledger_accounts::owner_id,
            ledger_accounts::currency,
            journal_lines::amount,
        ))
        .load(conn)?;
    let mut out = std::collections::HashMap::new();
    // A challenge has one currency; its escrow account is the only one it uses.
    for (owner, _currency, amount) in rows {
        *out.entry(owner).or_insert(0) += amount;
    }
    Ok(out)
}

/// Every entry's lines sum to zero per currency (a check for tests and admins).
pub fn unbalanced_entries(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    let rows: Vec<(String, String, i64)> = journal_lines::table
        .select((
            journal_lines::entry_id,
            journal_lines::currency,
            journal_lines::amount,
        ))
        .load(conn)?;
    let mut sums: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for (e, c, a) in rows {
        *sums.entry((e, c)).or_insert(0) += a;
    }
    Ok(sums
        .into_iter()
        .filter(|(_, s)| *s != 0)
        .map(|((e, _), _)| e)
        .collect())
}

/// One challenge's money in one currency, summed by the database: every
/// figure is the credit of one kind of account by one kind of entry.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ChallengeSums {
    #[diesel(sql_type = Text)]
    pub challenge_id: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
    /// Escrow credited by `funding` entries.
    #[diesel(sql_type = BigInt)]
    pub funded: i64,
    /// Platform fees credited by `funding` entries.
    #[diesel(sql_type = BigInt)]
    pub fees: i64,
    /// Solvers' payables credited by `award` entries.
    #[diesel(sql_type = BigInt)]
    pub awarded: i64,
    /// Clearing credited by `payout` entries: prizes sent.
    #[diesel(sql_type = BigInt)]
    pub paid_out: i64,
    /// Organisations' funding credited by `refund` entries.
    #[diesel(sql_type = BigInt)]
    pub refunded: i64,
    /// Clearing credited by `refund_paid` entries: refunds sent.
    #[diesel(sql_type = BigInt)]
    pub refund_paid: i64,
}

/// The sum of the lines of entries of kind `entry` on accounts of kind
/// `account`, as a column of [`challenge_sums`].
fn sum_of(entry: &str, account: AccountKind) -> String {
    // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back so both backends
    // answer the same type.
    format!(
        "CAST(SUM(CASE WHEN e.kind = '{entry}' AND a.kind = '{}' THEN l.amount ELSE 0 END) AS BIGINT)",
        account.as_str()
    )
}

/// Every challenge with money in the ledger, one row per currency, summed
/// in one grouped query (the money report).
pub fn challenge_sums(conn: &mut DbConnection) -> QueryResult<Vec<ChallengeSums>> {
    use entry_kind::*;
    use AccountKind::*;
    // The kinds are our own constants, written into the text: with no
    // placeholder the same statement serves both backends (`?` vs `$1`).
    let sql = format!(
        "SELECT c.id AS challenge_id, c.title AS title, c.slug AS slug, l.currency AS currency, \
         {} AS funded, {} AS fees, {} AS awarded, {} AS paid_out, {} AS refunded, {} AS refund_paid \
         FROM journal_lines l \
         JOIN journal_entries e ON e.id = l.entry_id \
         JOIN ledger_accounts a ON a.id = l.account_id \
         JOIN challenges c ON c.id = e.challenge_id \
         GROUP BY c.id, c.title, c.slug, l.currency \
         ORDER BY c.title, c.id, l.currency",
        sum_of(FUNDING, ChallengeEscrow),
        sum_of(FUNDING, PlatformFees),
        sum_of(AWARD, SolverPayable),
        sum_of(PAYOUT, ProviderClearing),
        sum_of(REFUND, OrgFunding),
        sum_of(REFUND_PAID, ProviderClearing),
    );
    diesel::sql_query(sql).load(conn)
}

/// One journal entry of money leaving through the provider: its key, its
/// kind (`payout` or `refund_paid`) and what it credited to clearing.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Outflow {
    #[diesel(sql_type = Text)]
    pub idempotency_key: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
}

/// Every `payout` and `refund_paid` entry with the amount it sent out,
/// oldest first (reconciliation).
pub fn outflows(conn: &mut DbConnection) -> QueryResult<Vec<Outflow>> {
    let sql = format!(
        "SELECT e.idempotency_key AS idempotency_key, e.kind AS kind, l.currency AS currency, \
         CAST(SUM(l.amount) AS BIGINT) AS amount \
         FROM journal_entries e \
         JOIN journal_lines l ON l.entry_id = e.id \
         JOIN ledger_accounts a ON a.id = l.account_id \
         WHERE e.kind IN ('{}', '{}') AND a.kind = '{}' \
         GROUP BY e.id, e.idempotency_key, e.kind, e.created_at, l.currency \
         ORDER BY e.created_at, e.id",
        entry_kind::PAYOUT,
        entry_kind::REFUND_PAID,
        AccountKind::ProviderClearing.as_str(),
    );
    diesel::sql_query(sql).load(conn)
}

// ---- fundings (manual provider) ----

pub use super::model::funding_status;

/// A request to fund a challenge's escrow.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = fundings)]
pub struct Funding {
    pub id: String,
    pub challenge_id: String,
    /// The part that goes to escrow, in minor units.
    pub amount: i64,
    /// The platform fee on top, in minor units.
    pub fee: i64,
    pub currency: String,
    /// `requested`, `confirmed` or `cancelled`.
    pub status: String,
    /// The bank or payment reference recorded by the admin.
    pub reference: Option<String>,
    #[serde(skip)]
    pub requested_by: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub requested_at: NaiveDateTime,
    #[serde(skip)]
    pub confirmed_by: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub confirmed_at: Option<NaiveDateTime>,
    #[serde(skip)]
    pub entry_id: Option<String>,
    /// `manual` (a bank transfer quoting the reference) or `stripe` (by card).
    pub provider: String,
    /// Where the organisation pays by card (Stripe Checkout), while requested.
    pub checkout_url: Option<String>,
    #[serde(skip)]
    pub checkout_session_id: Option<String>,
    #[serde(skip)]
    pub payment_intent_id: Option<String>,
    #[serde(skip)]
    pub charge_id: Option<String>,
}

/// A funding request to store.
pub struct NewFunding<'a> {
    pub challenge_id: &'a str,
    /// What escrow receives, in minor units.
    pub amount: i64,
    pub fee: i64,
    pub currency: &'a str,
    pub by: &'a str,
    /// `manual` or `stripe`.
    pub provider: &'a str,
}

pub fn create_funding(
    conn: &mut DbConnection,
    f: NewFunding<'_>,
    now: NaiveDateTime,
) -> QueryResult<Funding> {
    let NewFunding {
        challenge_id,
        amount,
        fee,
        currency,
        by,
        provider,
    } = f;
    let id = new_id();
    diesel::insert_into(fundings::table)
        .values((
            fundings::id.eq(&id),
            fundings::provider.eq(provider),
            fundings::challenge_id.eq(challenge_id),
            fundings::amount.eq(amount),
            fundings::fee.eq(fee),
            fundings::currency.eq(currency),
            fundings::status.eq(funding_status::REQUESTED),
            fundings::requested_by.eq(by),
            fundings::requested_at.eq(now),
        ))
        .execute(conn)?;
    find_funding(conn, &id)
}

pub fn find_funding(conn: &mut DbConnection, id: &str) -> QueryResult<Funding> {
    fundings::table
        .find(id)
        .select(Funding::as_select())
        .first(conn)
}

pub fn fundings_of(conn: &mut DbConnection, challenge_id: &str) -> QueryResult<Vec<Funding>> {
    fundings::table
        .filter(fundings::challenge_id.eq(challenge_id))
        .order(fundings::requested_at.desc())
        .select(Funding::as_select())
        .load(conn)
}

/// Requests waiting for an admin, oldest first.
pub fn pending_fundings(conn: &mut DbConnection) -> QueryResult<Vec<Funding>> {
    fundings::table
        .filter(fundings::status.eq(funding_status::REQUESTED))
        .order(fundings::requested_at.asc())
        .select(Funding::as_select())
        .load(conn)
}

/// The sum of a challenge's requests not yet confirmed.
pub fn pending_amount(conn: &mut DbConnection, challenge_id: &str) -> QueryResult<i64> {
    let amounts: Vec<i64> = fundings::table
        .filter(fundings::challenge_id.eq(challenge_id))
        .filter(fundings::status.eq(funding_status::REQUESTED))
        .select(fundings::amount)
        .load(conn)?;
    Ok(amounts.iter().sum())
}

/// Marks a request confirmed; 0 rows if it was not waiting any more.
pub fn mark_confirmed(
    conn: &mut DbConnection,
    id: &str,
    reference: &str,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        fundings::table
            .find(id)
            .filter(fundings::status.eq(funding_status::REQUESTED)),
    )
    .set((
        fundings::status.eq(funding_status::CONFIRMED),
        fundings::reference.eq(Some(reference)),
        fundings::confirmed_by.eq(Some(by)),
        fundings::confirmed_at.eq(Some(now)),
    ))
    .execute(conn)
}

/// Links a confirmed request to the journal entry it wrote.
pub fn set_funding_entry(conn: &mut DbConnection, id: &str, entry_id: &str) -> QueryResult<usize> {
    diesel::update(fundings::table.find(id))
        .set(fundings::entry_id.eq(Some(entry_id)))
        .execute(conn)
}

/// Cancels every open request of a challenge (when it is cancelled).
pub fn cancel_pending(conn: &mut DbConnection, challenge_id: &str) -> QueryResult<usize> {
    diesel::update(
        fundings::table
            .filter(fundings::challenge_id.eq(challenge_id))
            .filter(fundings::status.eq(funding_status::REQUESTED)),
    )
    .set(fundings::status.eq(funding_status::CANCELLED))
    .execute(conn)
}

/// Keeps the Checkout Session where a funding request is paid by card.
pub fn set_checkout(
    conn: &mut DbConnection,
    id: &str,
    session_id: &str,
    url: &str,
) -> QueryResult<usize> {
    diesel::update(fundings::table.find(id))
        .set((
            fundings::checkout_session_id.eq(Some(session_id)),
            fundings::checkout_url.eq(Some(url)),
        ))
        .execute(conn)
}

/// The funding request paid through a Checkout Session.
pub fn funding_by_session(
    conn: &mut DbConnection,
    session_id: &str,
) -> QueryResult<Option<Funding>> {
    fundings::table
        .filter(fundings::checkout_session_id.eq(session_id))
        .select(Funding::as_select())
        .first(conn)
        .optional()
}

/// Marks a card payment confirmed by the provider; 0 rows if it was not
/// waiting any more.
pub fn mark_paid_by_card(
    conn: &mut DbConnection,
    id: &str,
    payment_intent: Option<&str>,
    charge: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        fundings::table
            .find(id)
            .filter(fundings::status.eq(funding_status::REQUESTED)),
    )
    .set((
        fundings::status.eq(funding_status::CONFIRMED),
        fundings::reference.eq(payment_intent),
        fundings::payment_intent_id.eq(payment_intent),
        fundings::charge_id.eq(charge),
        fundings::checkout_url.eq(None::<String>),
        fundings::confirmed_at.eq(Some(now)),
    ))
    .execute(conn)
}

/// Ends one funding request that will not be paid (its card payment could
/// not start).
pub fn cancel_funding(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::update(
        fundings::table
            .find(id)
            .filter(fundings::status.eq(funding_status::REQUESTED)),
    )
    .set(fundings::status.eq(funding_status::CANCELLED))
    .execute(conn)
}

/// The confirmed card payments of a challenge, oldest first: where its
/// transfers and refunds draw from.
pub fn card_payments(conn: &mut DbConnection, challenge_id: &str) -> QueryResult<Vec<Funding>> {
    fundings::table
        .filter(fundings::challenge_id.eq(challenge_id))
        .filter(fundings::status.eq(funding_status::CONFIRMED))
        .filter(fundings::charge_id.is_not_null())
        .order(fundings::confirmed_at.asc())
        .select(Funding::as_select())
        .load(conn)
}
