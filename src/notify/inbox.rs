//! The notification centre's rows and each person's choices per kind.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{notification_prefs, notifications, users};
use crate::db::{new_id, DbConnection};

/// An in-app notification.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

/// What a new notification says.
pub struct NewNotification<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub url: Option<&'a str>,
}

/// Adds a notification for `user_id` and counts it unread, in the caller's
/// transaction.
pub fn add(
    conn: &mut DbConnection,
    user_id: &str,
    n: &NewNotification<'_>,
    at: NaiveDateTime,
) -> QueryResult<String> {
    let id = new_id();
    diesel::insert_into(notifications::table)
        .values((
            notifications::id.eq(&id),
            notifications::user_id.eq(user_id),
            notifications::kind.eq(n.kind),
            notifications::title.eq(n.title),
            notifications::body.eq(n.body),
            notifications::url.eq(n.url),
            notifications::created_at.eq(at),
        ))
        .execute(conn)?;
    diesel::update(users::table.find(user_id))
        .set(users::unread_notifications.eq(users::unread_notifications + 1))
        .execute(conn)?;
    Ok(id)
}

/// `user_id`'s latest notifications (or only the unread), newest first.
pub fn list(
    conn: &mut DbConnection,
    user_id: &str,
    unread_only: bool,
    limit: i64,
) -> QueryResult<Vec<Notification>> {
    let mut q = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .into_boxed();
    if unread_only {
        q = q.filter(notifications::read_at.is_null());
    }
    q.order((notifications::created_at.desc(), notifications::id.desc()))
        .limit(limit)
        .select(Notification::as_select())
        .load(conn)
}

/// Marks `user_id`'s notification `id` (or all of them, without `id`) read;
/// returns how many changed. The unread count follows.
pub fn mark_read(
    conn: &mut DbConnection,
    user_id: &str,
    id: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let mut q = diesel::update(notifications::table)
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(notifications::id.eq(id));
    }
    let n = q.set(notifications::read_at.eq(Some(at))).execute(conn)?;
    if n > 0 {
        let unread: i64 = notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null())
            .count()
            .get_result(conn)?;
        diesel::update(users::table.find(user_id))
            .set(users::unread_notifications.eq(i32::try_from(unread).unwrap_or(i32::MAX)))
            .execute(conn)?;
    }
    Ok(n)
}

/// Whether `user_id` has a notification `id`.
pub fn exists(conn: &mut DbConnection, user_id: &str, id: &str) -> QueryResult<bool> {
    let n: i64 = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// `user_id`'s choice for `kind`: `(email, in_app)`, none when never set.
pub fn pref(
    conn: &mut DbConnection,
    user_id: &str,
    kind: &str,
) -> QueryResult<Option<(bool, bool)>> {
    notification_prefs::table
        .find((user_id, kind))
        .select((notification_prefs::email, notification_prefs::in_app))
        .first(conn)
        .optional()
}

/// Every choice `user_id` made: `(kind, email, in_app)`.
pub fn prefs(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<(String, bool, bool)>> {
    notification_prefs::table
        .filter(notification_prefs::user_id.eq(user_id))
        .select((
            notification_prefs::kind,
            notification_prefs::email,
            notification_prefs::in_app,
        ))
        .load(conn)
}

/// Records `user_id`'s choice for `kind`.
pub fn set_pref(
    conn: &mut DbConnection,
    user_id: &str,
    kind: &str,
    email: bool,
    in_app: bool,
) -> QueryResult<()> {
    let updated = diesel::update(notification_prefs::table.find((user_id, kind)))
        .set((
            notification_prefs::email.eq(email),
            notification_prefs::in_app.eq(in_app),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(notification_prefs::table)
            .values((
                notification_prefs::user_id.eq(user_id),
                notification_prefs::kind.eq(kind),
                notification_prefs::email.eq(email),
                notification_prefs::in_app.eq(in_app),
            ))
            .execute(conn)?;
    }
    Ok(())
}
