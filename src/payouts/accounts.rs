//! Stored provider state: solvers' recipient accounts (Stripe connected
//! accounts) and the provider events already acted on.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{payment_accounts, provider_events};
use crate::db::{is_unique_violation, lock_keys, DbConnection};

/// A person's account at the payment provider.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = payment_accounts)]
pub struct PaymentAccount {
    pub user_id: String,
    pub provider: String,
    pub account_id: String,
    pub payouts_enabled: bool,
    /// What the provider still needs, comma-separated.
    pub requirements: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl PaymentAccount {
    /// What the provider still needs, one item each.
    pub fn needs(&self) -> Vec<String> {
        self.requirements
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

pub fn of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Option<PaymentAccount>> {
    payment_accounts::table
        .find(user_id)
        .select(PaymentAccount::as_select())
        .first(conn)
        .optional()
}

pub fn by_account(
    conn: &mut DbConnection,
    account_id: &str,
) -> QueryResult<Option<PaymentAccount>> {
    payment_accounts::table
        .filter(payment_accounts::account_id.eq(account_id))
        .select(PaymentAccount::as_select())
        .first(conn)
        .optional()
}

/// Keeps a new account; a second writer for the same person keeps the first.
pub fn insert(
    conn: &mut DbConnection,
    user_id: &str,
    provider: &str,
    account_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    lock_keys(conn, &[&format!("payment-account:{user_id}")])?;
    if of_user(conn, user_id)?.is_some() {
        return Ok(());
    }
    let res = diesel::insert_into(payment_accounts::table)
        .values((
            payment_accounts::user_id.eq(user_id),
            payment_accounts::provider.eq(provider),
            payment_accounts::account_id.eq(account_id),
            payment_accounts::payouts_enabled.eq(false),
            payment_accounts::requirements.eq(""),
            payment_accounts::created_at.eq(now),
            payment_accounts::updated_at.eq(now),
        ))
        .execute(conn);
    match res {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Records what an account can do now.
pub fn update(
    conn: &mut DbConnection,
    account_id: &str,
    enabled: bool,
    needs: &[String],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(payment_accounts::table.filter(payment_accounts::account_id.eq(account_id)))
        .set((
            payment_accounts::payouts_enabled.eq(enabled),
            payment_accounts::requirements.eq(needs.join(",")),
            payment_accounts::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Records that an event was acted on; `false` if it was already (a
/// redelivery). Call in the transaction of the event's effect.
pub fn first_time(
    conn: &mut DbConnection,
    id: &str,
    provider: &str,
    kind: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    // Two deliveries at once: the second waits here, then finds the first.
    lock_keys(conn, &[&format!("provider-event:{id}")])?;
    let seen: i64 = provider_events::table
        .filter(provider_events::id.eq(id))
        .count()
        .get_result(conn)?;
    if seen > 0 {
        return Ok(false);
    }
    let res = diesel::insert_into(provider_events::table)
        .values((
            provider_events::id.eq(id),
            provider_events::provider.eq(provider),
            provider_events::kind.eq(kind),
            provider_events::received_at.eq(now),
        ))
        .execute(conn);
    match res {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}
