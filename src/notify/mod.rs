//! Notifications: every email is a row of the outbox, written in the same
//! transaction as the change that caused it, and sent later by the worker
//! with retries and exponential backoff. Nothing is sent inside a request.
//!
//! [`queue`] is the one door: for a notification kind (see
//! [`model::KINDS`]) to someone with an account it also writes the in-app
//! notice, follows the person's choice per kind, and marks the email for
//! the worker to add its signed one-click unsubscribe link.

pub mod api;
pub mod follows;
pub mod inbox;
pub mod mail;
pub mod model;
pub mod pages;
pub mod reminders;
pub mod service;
pub mod store;
pub mod transport;
pub mod worker;

use crate::auth::model::Language;
use crate::auth::store::User;
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use mail::{compose, EmailKind};

/// Queues an email to `to`, greeted as `name` (may be empty), in `lang`,
/// for `account` when the address has one; a notification kind also
/// becomes an in-app notice, each as the person chose. Call inside the
/// transaction of the change that causes it.
pub fn queue(
    conn: &mut DbConnection,
    kind: &EmailKind,
    to: &str,
    name: &str,
    lang: Language,
    account: Option<&str>,
) -> AppResult<()> {
    let probe = compose(kind, to, name, lang, false).map_err(AppError::internal)?;
    let pref = match account {
        Some(u) if model::is_notification(probe.kind) => inbox::pref(conn, u, probe.kind)?,
        _ => None,
    };
    let (email, in_app) = model::channels(probe.kind, account.is_some(), pref);
    let at = now();
    if let (true, Some(u)) = (in_app, account) {
        inbox::add(
            conn,
            u,
            &inbox::NewNotification {
                kind: probe.kind,
                title: &probe.subject,
                body: &probe.summary,
                url: probe.url.as_deref(),
            },
            at,
        )?;
    }
    if email {
        let mail = if account.is_some() && model::is_notification(probe.kind) {
            compose(kind, to, name, lang, true).map_err(AppError::internal)?
        } else {
            probe
        };
        store::enqueue(conn, &mail, account, at)?;
    }
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
    queue(
        conn,
        kind,
        &user.email,
        &user.display_name,
        user.lang(),
        Some(&user.id),
    )
}

/// Queues an email to an address, in the language of its account if there is
/// one (people invited before they sign up get English).
pub fn queue_for_address(
    conn: &mut DbConnection,
    email: &str,
    name: &str,
    kind: &EmailKind,
) -> AppResult<()> {
    match crate::auth::store::find_user_by_email(conn, email)? {
        Some(u) => queue(conn, kind, email, name, u.lang(), Some(&u.id)),
        None => queue(conn, kind, email, name, Language::default(), None),
    }
}
