//! Notifications: every email is a row of the outbox, written in the same
//! transaction as the change that caused it, and sent later by the worker
//! with retries and exponential backoff. Nothing is sent inside a request.

pub mod mail;
pub mod model;
pub mod store;
pub mod worker;

use crate::auth::model::Language;
use crate::auth::store::User;
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use mail::{compose, EmailKind};

/// Queues an email to `to`, greeted as `name` (may be empty), in `lang`.
/// Call inside the transaction of the change that causes it.
pub fn queue(
    conn: &mut DbConnection,
    kind: &EmailKind,
    to: &str,
    name: &str,
    lang: Language,
) -> AppResult<()> {
    let mail = compose(kind, to, name, lang).map_err(AppError::internal)?;
    store::enqueue(conn, &mail, now())?;
    Ok(())
}

/// Refuses (429, with when to retry) one more invitation to an address that
/// was sent the hourly maximum already; `recent` holds when the earlier ones
/// were made in the last hour.
pub fn invitation_quota(recent: &[chrono::NaiveDateTime]) -> AppResult<()> {
    use crate::auth::model::{window_wait, MAX_INVITATIONS_PER_HOUR};
    match window_wait(
        now(),
        recent,
        MAX_INVITATIONS_PER_HOUR,
        chrono::Duration::hours(1),
    ) {
        None => Ok(()),
        Some(secs) => Err(AppError::TooManyRequests {
            retry_after_secs: secs as u64,
        }),
    }
}

/// Queues an email to an account, in its language.
pub fn queue_for_user(conn: &mut DbConnection, user: &User, kind: &EmailKind) -> AppResult<()> {
    queue(conn, kind, &user.email, &user.display_name, user.lang())
}

/// Queues an email to an address, in the language of its account if there is
/// one (people invited before they sign up get English).
pub fn queue_for_address(
    conn: &mut DbConnection,
    email: &str,
    name: &str,
    kind: &EmailKind,
) -> AppResult<()> {
    let lang = crate::auth::store::find_user_by_email(conn, email)?
        .map(|u| u.lang())
        .unwrap_or_default();
    queue(conn, kind, email, name, lang)
}
