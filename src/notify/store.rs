//! Outbox queries.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::mail::Outgoing;
use super::model::{after_failure, status, AfterFailure};
use crate::db::schema::outbox;
use crate::db::{new_id, DbConnection};

/// A message waiting in (or done with) the outbox.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    /// The account it is for, if any (signs its unsubscribe link).
    pub user_id: Option<String>,
}

/// How long a claimed row stays reserved for the worker that claimed it,
/// by default: a worker killed mid-send leaves its rows to the next after
/// this (`TRIBU_OUTBOX_LEASE_SECS`).
pub const CLAIM_SECS: i64 = 120;

/// Adds a message to the outbox; call inside the transaction of the change.
pub fn enqueue(
    conn: &mut DbConnection,
    mail: &Outgoing,
    user_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = new_id();
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(&id),
            outbox::kind.eq(mail.kind),
            outbox::recipient.eq(&mail.to),
            outbox::subject.eq(&mail.subject),
            outbox::body_text.eq(&mail.text),
            outbox::body_html.eq(&mail.html),
            outbox::status.eq(status::PENDING),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
            outbox::user_id.eq(user_id),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Claims up to `limit` due messages for `lease_secs`, inside the caller's
/// transaction. On PostgreSQL the candidates are locked with `FOR UPDATE
/// SKIP LOCKED`, so several workers take disjoint batches without waiting
/// on each other; on SQLite (one writer at a time) the transaction is the
/// lock. Either way each claim is also a conditional update, so two
/// workers never send the same row at once.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    lease_secs: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let due = outbox::table
        .filter(outbox::status.eq(status::PENDING))
        .filter(outbox::next_attempt_at.le(now))
        .filter(
            outbox::locked_until
                .is_null()
                .or(outbox::locked_until.lt(now)),
        )
        .order(outbox::next_attempt_at.asc())
        .select(outbox::id)
        .limit(limit);
    let candidates: Vec<String> = match conn {
        DbConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(_) => due.load(conn)?,
    };
    let mut claimed = Vec::new();
    for id in candidates {
        let n = diesel::update(
            outbox::table
                .filter(outbox::id.eq(&id))
                .filter(outbox::status.eq(status::PENDING))
                .filter(
                    outbox::locked_until
                        .is_null()
                        .or(outbox::locked_until.lt(now)),
                ),
        )
        .set((
            outbox::locked_until.eq(now + Duration::seconds(lease_secs)),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .execute(conn)?;
        if n == 1 {
            claimed.push(
                outbox::table
                    .find(&id)
                    .select(OutboxRow::as_select())
                    .first(conn)?,
            );
        }
    }
    Ok(claimed)
}

/// Records a delivery.
pub fn mark_sent(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(status::SENT),
            outbox::sent_at.eq(Some(now)),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt and schedules the retry, or gives up.
pub fn mark_failed(
    conn: &mut DbConnection,
    row: &OutboxRow,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (st, next) = match after_failure(row.attempts) {
        AfterFailure::RetryIn(d) => (status::PENDING, now + d),
        AfterFailure::GiveUp => (status::FAILED, now),
    };
    diesel::update(outbox::table.find(&row.id))
        .set((
            outbox::status.eq(st),
            outbox::next_attempt_at.eq(next),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every message, newest first (admin and tests).
pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .order(outbox::created_at.desc())
        .select(OutboxRow::as_select())
        .limit(limit)
        .load(conn)
}
