//! Account queries: users, email tokens, sessions and refresh tokens, login
//! attempts.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::crypto::{random_token, token_hash};
use super::model::{refresh_decision, RefreshDecision};
use crate::db::schema::{email_tokens, login_attempts, refresh_tokens, sessions, users};
use crate::db::{new_id, DbConnection};
use crate::error::{AppError, AppResult};

/// A user row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub language: String,
    pub is_platform_admin: bool,
    pub suspended_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// Shows a public page of their published solutions and prizes.
    pub public_profile: bool,
    /// In-app notifications not read yet (kept with each change).
    pub unread_notifications: i32,
}

impl User {
    /// The user's language, English if the stored value is unknown.
    pub fn lang(&self) -> super::model::Language {
        super::model::Language::parse(&self.language).unwrap_or_default()
    }
}

/// Purposes of single-use email tokens.
pub mod purpose {
    pub const VERIFY_EMAIL: &str = "verify_email";
    pub const PASSWORD_RESET: &str = "password_reset";
}

/// New account fields, already validated.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub language: &'a str,
    pub verified: bool,
    pub platform_admin: bool,
}

/// Inserts a user; a taken email answers 409 `email_taken`.
pub fn create_user(conn: &mut DbConnection, u: NewUser<'_>, now: NaiveDateTime) -> AppResult<User> {
    let id = new_id();
    let res = diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(u.email),
            users::display_name.eq(u.display_name),
            users::password_hash.eq(u.password_hash),
            users::email_verified_at.eq(u.verified.then_some(now)),
            users::language.eq(u.language),
            users::is_platform_admin.eq(u.platform_admin),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn);
    match res {
        Ok(_) => Ok(find_user(conn, &id)?),
        Err(e) if crate::db::is_unique_violation(&e) => Err(AppError::conflict(
            "email_taken",
            "An account with this email already exists.",
        )),
        Err(e) => Err(e.into()),
    }
}

pub fn find_user(conn: &mut DbConnection, id: &str) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).first(conn)
}

/// Accounts whose email or name contains `q` (any case), newest first; the
/// newest accounts when `q` is empty. At most `limit`.
pub fn search_users(conn: &mut DbConnection, q: &str, limit: i64) -> QueryResult<Vec<User>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    let mut query = users::table.select(User::as_select()).into_boxed();
    let q = q.trim().to_lowercase();
    if !q.is_empty() {
        // LIKE with its wildcards escaped: people type `_` and `%` in
        // addresses, meaning the characters.
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        query = query.filter(
            sql::<Bool>("(lower(users.email) LIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql(" ESCAPE '\\' OR lower(users.display_name) LIKE ")
                .bind::<Text, _>(pattern)
                .sql(" ESCAPE '\\')"),
        );
    }
    query
        .order((users::created_at.desc(), users::id.desc()))
        .limit(limit)
        .load(conn)
}

pub fn find_user_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Creates a single-use token for `purpose`; returns the token itself (only
/// its hash is stored).
pub fn create_email_token(
    conn: &mut DbConnection,
    user_id: &str,
    purpose: &str,
    ttl: Duration,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let token = random_token("");
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::id.eq(new_id()),
            email_tokens::user_id.eq(user_id),
            email_tokens::purpose.eq(purpose),
            email_tokens::token_hash.eq(token_hash(&token)),
            email_tokens::expires_at.eq(now + ttl),
            email_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Ends every unused link of these purposes for an account (after a reset or
/// a password change, older links must not work).
pub fn invalidate_email_tokens(
    conn: &mut DbConnection,
    user_id: &str,
    purposes: &[&str],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user_id))
            .filter(email_tokens::purpose.eq_any(purposes))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(Some(now)))
    .execute(conn)
}

/// When links of `purpose` were made for an account since `since`.
pub fn email_tokens_since(
    conn: &mut DbConnection,
    user_id: &str,
    purpose: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    email_tokens::table
        .filter(email_tokens::user_id.eq(user_id))
        .filter(email_tokens::purpose.eq(purpose))
        .filter(email_tokens::created_at.gt(since))
        .select(email_tokens::created_at)
        .load(conn)
}

/// Uses a token once: returns its user id if it exists, has this purpose,
/// is unused and unexpired.
pub fn consume_email_token(
    conn: &mut DbConnection,
    purpose: &str,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let row: Option<(String, String)> = email_tokens::table
        .filter(email_tokens::token_hash.eq(token_hash(token)))
        .filter(email_tokens::purpose.eq(purpose))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::expires_at.gt(now))
        .select((email_tokens::id, email_tokens::user_id))
        .first(conn)
        .optional()?;
    let Some((id, user_id)) = row else {
        return Ok(None);
    };
    let n = diesel::update(
        email_tokens::table
            .find(&id)
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok((n == 1).then_some(user_id))
}

pub fn mark_verified(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::email_verified_at.is_null()),
    )
    .set((
        users::email_verified_at.eq(Some(now)),
        users::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn set_password(
    conn: &mut DbConnection,
    user_id: &str,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Changes name and language (each optional).
pub fn update_profile(
    conn: &mut DbConnection,
    user_id: &str,
    display_name: Option<&str>,
    language: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    if let Some(n) = display_name {
        diesel::update(users::table.find(user_id))
            .set((users::display_name.eq(n), users::updated_at.eq(now)))
            .execute(conn)?;
    }
    if let Some(l) = language {
        diesel::update(users::table.find(user_id))
            .set((users::language.eq(l), users::updated_at.eq(now)))
            .execute(conn)?;
    }
    Ok(())
}

/// Turns the person's public profile on or off.
pub fn set_public_profile(
    conn: &mut DbConnection,
    user_id: &str,
    on: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((users::public_profile.eq(on), users::updated_at.eq(now)))
        .execute(conn)
}

pub fn set_platform_admin(
    conn: &mut DbConnection,
    user_id: &str,
    admin: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::is_platform_admin.eq(admin),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

// ---- login attempts ----

/// Records a login attempt; returns its id.
pub fn record_login_attempt(
    conn: &mut DbConnection,
    email: &str,
    ip: &str,
    succeeded: bool,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let id = new_id();
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::id.eq(&id),
            login_attempts::email.eq(email),
            login_attempts::ip.eq(ip),
            login_attempts::succeeded.eq(succeeded),
            login_attempts::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Turns an attempt recorded as failed into a success.
pub fn mark_login_succeeded(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(login_attempts::table.find(id))
        .set(login_attempts::succeeded.eq(true))
        .execute(conn)?;
    Ok(())
}

/// Times of failed logins since `since`, for the account and for the IP.
pub fn recent_failures(
    conn: &mut DbConnection,
    email: &str,
    ip: &str,
    since: NaiveDateTime,
) -> QueryResult<(Vec<NaiveDateTime>, Vec<NaiveDateTime>)> {
    let by_email = login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::created_at.gt(since))
        .select(login_attempts::created_at)
        .load(conn)?;
    let by_ip = login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::created_at.gt(since))
        .select(login_attempts::created_at)
        .load(conn)?;
    Ok((by_email, by_ip))
}

// ---- sessions and refresh tokens ----

/// A session (one refresh token family) as listed to its owner.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: String,
    #[serde(skip)]
    pub user_id: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub last_used_at: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub expires_at: NaiveDateTime,
    #[serde(skip)]
    pub revoked_at: Option<NaiveDateTime>,
}

/// Starts a session; returns its id and the first refresh token.
pub fn create_session(
    conn: &mut DbConnection,
    user_id: &str,
    user_agent: Option<&str>,
    ip: Option<&str>,
    ttl: Duration,
    now: NaiveDateTime,
) -> QueryResult<(String, String)> {
    let sid = new_id();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&sid),
            sessions::user_id.eq(user_id),
            sessions::user_agent.eq(user_agent.map(|s| s.chars().take(255).collect::<String>())),
            sessions::ip.eq(ip),
            sessions::created_at.eq(now),
            sessions::last_used_at.eq(now),
            sessions::expires_at.eq(now + ttl),
        ))
        .execute(conn)?;
    let token = insert_refresh_token(conn, &sid, now)?;
    Ok((sid, token))
}

fn insert_refresh_token(
    conn: &mut DbConnection,
    session_id: &str,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let token = random_token("");
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(new_id()),
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::token_hash.eq(token_hash(&token)),
            refresh_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The outcome of presenting a refresh token.
pub struct Rotated {
    pub user_id: String,
    pub session_id: String,
    pub refresh_token: String,
}

/// Token id, session id, token used at, session revoked at, session expiry, user id.
type RefreshRow = (
    String,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    NaiveDateTime,
    String,
);

/// What presenting a refresh token led to.
pub enum RotateOutcome {
    Rotated(Rotated),
    /// The token had been used before: its family is now revoked. Returned as
    /// a value, not an error, so the revocation commits.
    Reused,
}

/// Rotates a refresh token: marks it used and issues the next one of its
/// family. A token already used revokes the whole family.
/// `grace_secs` > 0 tolerates a reuse that close to the first use (two
/// browser requests racing on one cookie) by refusing it without revoking.
pub fn rotate_refresh(
    conn: &mut DbConnection,
    token: &str,
    grace_secs: i64,
    now: NaiveDateTime,
) -> AppResult<RotateOutcome> {
    let row: Option<RefreshRow> = refresh_tokens::table
        .inner_join(sessions::table)
        .filter(refresh_tokens::token_hash.eq(token_hash(token)))
        .select((
            refresh_tokens::id,
            sessions::id,
            refresh_tokens::used_at,
            sessions::revoked_at,
            sessions::expires_at,
            sessions::user_id,
        ))
        .first(conn)
        .optional()?;
    let Some((token_id, sid, used_at, revoked_at, expires_at, user_id)) = row else {
        return Err(AppError::Unauthorized("invalid_refresh_token"));
    };
    match refresh_decision(now, used_at.is_some(), revoked_at.is_some(), expires_at) {
        RefreshDecision::Reject => Err(AppError::Unauthorized("invalid_refresh_token")),
        RefreshDecision::RevokeFamily => {
            if used_at.is_some_and(|u| now - u < Duration::seconds(grace_secs)) {
                return Err(AppError::Unauthorized("invalid_refresh_token"));
            }
            revoke_session(conn, &sid, "refresh_token_reused", now)?;
            tracing::warn!(session = %sid, "refresh token reused: session revoked");
            Ok(RotateOutcome::Reused)
        }
        RefreshDecision::Rotate => {
            let n = diesel::update(
                refresh_tokens::table
                    .find(&token_id)
                    .filter(refresh_tokens::used_at.is_null()),
            )
            .set(refresh_tokens::used_at.eq(Some(now)))
            .execute(conn)?;
            if n != 1 {
                // Lost a race with a concurrent use of the same token.
                return Err(AppError::Unauthorized("invalid_refresh_token"));
            }
            diesel::update(sessions::table.find(&sid))
                .set(sessions::last_used_at.eq(now))
                .execute(conn)?;
            let next = insert_refresh_token(conn, &sid, now)?;
            Ok(RotateOutcome::Rotated(Rotated {
                user_id,
                session_id: sid,
                refresh_token: next,
            }))
        }
    }
}

/// The session a refresh token belongs to, if any.
pub fn session_of_refresh(
    conn: &mut DbConnection,
    token: &str,
) -> QueryResult<Option<(String, String)>> {
    refresh_tokens::table
        .inner_join(sessions::table)
        .filter(refresh_tokens::token_hash.eq(token_hash(token)))
        .select((sessions::id, sessions::user_id))
        .first(conn)
        .optional()
}

pub fn revoke_session(
    conn: &mut DbConnection,
    session_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(Some(now)),
        sessions::revoked_reason.eq(Some(reason)),
    ))
    .execute(conn)
}

/// Revokes every live session of a user except `keep` (if given).
pub fn revoke_sessions_except(
    conn: &mut DbConnection,
    user_id: &str,
    keep: Option<&str>,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let q = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::id.ne(keep.unwrap_or("")));
    diesel::update(q)
        .set((
            sessions::revoked_at.eq(Some(now)),
            sessions::revoked_reason.eq(Some(reason)),
        ))
        .execute(conn)
}

/// The live sessions of a user, newest first.
pub fn list_sessions(
    conn: &mut DbConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .order(sessions::last_used_at.desc())
        .select(Session::as_select())
        .load(conn)
}

/// The user behind an access token, if the token's session is still live
/// and the account is not suspended.
pub fn user_for_session(
    conn: &mut DbConnection,
    user_id: &str,
    session_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<User>> {
    users::table
        .inner_join(sessions::table)
        .filter(users::id.eq(user_id))
        .filter(sessions::id.eq(session_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(users::suspended_at.is_null())
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Suspends or reinstates an account.
pub fn set_suspended(
    conn: &mut DbConnection,
    user_id: &str,
    suspended: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::suspended_at.eq(suspended.then_some(now)),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}
