//! Webhook endpoints, their deliveries (the webhooks' outbox) and every
//! attempt.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints};
use crate::db::{new_id, DbConnection};

/// The states of a delivery.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const DELIVERED: &str = "delivered";
    pub const FAILED: &str = "failed";
}

/// An endpoint of an organisation.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct Endpoint {
    pub id: String,
    pub org_id: String,
    pub url: String,
    /// Comma-separated event names.
    pub events: String,
    pub secret: String,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub removed_at: Option<NaiveDateTime>,
}

impl Endpoint {
    /// The events it takes.
    pub fn event_list(&self) -> Vec<String> {
        self.events
            .split(',')
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// One event for one endpoint.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub first_attempt_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
}

/// One try of a delivery.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
pub struct Attempt {
    pub id: String,
    pub delivery_id: String,
    pub attempt: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: NaiveDateTime,
}

pub fn insert_endpoint(
    c: &mut DbConnection,
    org_id: &str,
    url: &str,
    events: &[String],
    secret: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<Endpoint> {
    let id = new_id();
    diesel::insert_into(webhook_endpoints::table)
        .values((
            webhook_endpoints::id.eq(&id),
            webhook_endpoints::org_id.eq(org_id),
            webhook_endpoints::url.eq(url),
            webhook_endpoints::events.eq(events.join(",")),
            webhook_endpoints::secret.eq(secret),
            webhook_endpoints::active.eq(true),
            webhook_endpoints::created_by.eq(by),
            webhook_endpoints::created_at.eq(at),
        ))
        .execute(c)?;
    find_endpoint(c, &id)
}

pub fn find_endpoint(c: &mut DbConnection, id: &str) -> QueryResult<Endpoint> {
    webhook_endpoints::table
        .find(id)
        .select(Endpoint::as_select())
        .first(c)
}

/// An organisation's endpoints (not removed), oldest first.
pub fn endpoints_of(c: &mut DbConnection, org_id: &str) -> QueryResult<Vec<Endpoint>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::org_id.eq(org_id))
        .filter(webhook_endpoints::removed_at.is_null())
        .order(webhook_endpoints::created_at.asc())
        .select(Endpoint::as_select())
        .load(c)
}

/// Turns an endpoint on again, or off with a reason.
pub fn set_active(
    c: &mut DbConnection,
    id: &str,
    active: bool,
    reason: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(webhook_endpoints::table.find(id))
        .set((
            webhook_endpoints::active.eq(active),
            webhook_endpoints::disabled_reason.eq(reason),
        ))
        .execute(c)
}

pub fn remove_endpoint(c: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(webhook_endpoints::table.find(id))
        .set((
            webhook_endpoints::removed_at.eq(Some(at)),
            webhook_endpoints::active.eq(false),
        ))
        .execute(c)
}

pub fn insert_delivery(
    c: &mut DbConnection,
    endpoint_id: &str,
    event_id: &str,
    event_type: &str,
    payload: &str,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let id = new_id();
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::id.eq(&id),
            webhook_deliveries::endpoint_id.eq(endpoint_id),
            webhook_deliveries::event_id.eq(event_id),
            webhook_deliveries::event_type.eq(event_type),
            webhook_deliveries::payload.eq(payload),
            webhook_deliveries::status.eq(status::PENDING),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(at),
            webhook_deliveries::created_at.eq(at),
        ))
        .execute(c)?;
    Ok(id)
}

pub fn find_delivery(c: &mut DbConnection, id: &str) -> QueryResult<Delivery> {
    webhook_deliveries::table
        .find(id)
        .select(Delivery::as_select())
        .first(c)
}

/// An endpoint's latest deliveries, newest first.
pub fn deliveries_of(
    c: &mut DbConnection,
    endpoint_id: &str,
    limit: i64,
) -> QueryResult<Vec<Delivery>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .order((
            webhook_deliveries::created_at.desc(),
            webhook_deliveries::id.desc(),
        ))
        .limit(limit)
        .select(Delivery::as_select())
        .load(c)
}

pub fn attempts_of(c: &mut DbConnection, delivery_id: &str) -> QueryResult<Vec<Attempt>> {
    webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq(delivery_id))
        .order(webhook_attempts::attempt.asc())
        .select(Attempt::as_select())
        .load(c)
}

/// How long a claimed delivery stays reserved for its worker.
const CLAIM_SECS: i64 = 60;

/// Claims up to `limit` due deliveries of active endpoints; each claim is
/// a conditional update, so two workers never send the same row at once.
pub fn claim_due(
    c: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Delivery>> {
    let ids: Vec<String> = webhook_deliveries::table
        .inner_join(webhook_endpoints::table)
        .filter(webhook_endpoints::active.eq(true))
        .filter(webhook_deliveries::status.eq(status::PENDING))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .filter(
            webhook_deliveries::locked_until
                .is_null()
                .or(webhook_deliveries::locked_until.lt(now)),
        )
        .order(webhook_deliveries::next_attempt_at.asc())
        .limit(limit)
        .select(webhook_deliveries::id)
        .load(c)?;
    let mut out = Vec::new();
    for id in ids {
        let n = diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::id.eq(&id))
                .filter(webhook_deliveries::status.eq(status::PENDING))
                .filter(
                    webhook_deliveries::locked_until
                        .is_null()
                        .or(webhook_deliveries::locked_until.lt(now)),
                ),
        )
        .set((
            webhook_deliveries::locked_until.eq(now + Duration::seconds(CLAIM_SECS)),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
        ))
        .execute(c)?;
        if n == 1 {
            out.push(find_delivery(c, &id)?);
        }
    }
    Ok(out)
}

/// Records an attempt and what follows it: delivered, tried again at
/// `retry`, or failed for good.
#[allow(clippy::too_many_arguments)] // one argument per column written
pub fn record_attempt(
    c: &mut DbConnection,
    d: &Delivery,
    status_code: Option<i32>,
    error: Option<&str>,
    duration_ms: i64,
    ok: bool,
    retry: Option<NaiveDateTime>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(webhook_attempts::table)
        .values((
            webhook_attempts::id.eq(new_id()),
            webhook_attempts::delivery_id.eq(&d.id),
            webhook_attempts::attempt.eq(d.attempts),
            webhook_attempts::status_code.eq(status_code),
            webhook_attempts::error.eq(error),
            webhook_attempts::duration_ms.eq(duration_ms),
            webhook_attempts::at.eq(at),
        ))
        .execute(c)?;
    let first = d.first_attempt_at.unwrap_or(at);
    let (st, next) = match (ok, retry) {
        (true, _) => (status::DELIVERED, at),
        (false, Some(n)) => (status::PENDING, n),
        (false, None) => (status::FAILED, at),
    };
    diesel::update(webhook_deliveries::table.find(&d.id))
        .set((
            webhook_deliveries::status.eq(st),
            webhook_deliveries::next_attempt_at.eq(next),
            webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
            webhook_deliveries::first_attempt_at.eq(Some(first)),
            webhook_deliveries::delivered_at.eq(ok.then_some(at)),
        ))
        .execute(c)?;
    Ok(())
}
