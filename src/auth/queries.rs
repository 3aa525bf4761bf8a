//! Read models of accounts: a user and their live sessions as the JSON API
//! shows them, and the sessions the settings page lists. Nothing here
//! writes; the flows that do are in [`super::service`].

use serde::Serialize;
use utoipa::ToSchema;

use super::model::Language;
use super::principal::AuthUser;
use super::store;
pub use super::store::{Session, User};
use crate::db::now;
use crate::error::AppResult;
use crate::state::AppState;

/// A user as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub language: Language,
    pub email_verified: bool,
    pub is_platform_admin: bool,
    pub suspended: bool,
    /// Shows a public page of their published solutions and prizes
    /// (`/solvers/{id}`); off unless they turn it on.
    pub public_profile: bool,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: chrono::NaiveDateTime,
}

/// Accounts a platform admin looks for, as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// At most 50, newest first.
    pub data: Vec<UserView>,
}

/// How many accounts a search lists.
pub const USERS_LISTED: i64 = 50;

/// Accounts whose email or name contains `q`; the newest when it is empty.
pub async fn find_users(state: &AppState, q: String) -> AppResult<Vec<UserView>> {
    state
        .db(move |c| {
            Ok(store::search_users(c, &q, USERS_LISTED)?
                .iter()
                .map(UserView::from)
                .collect())
        })
        .await
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.clone(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            language: u.lang(),
            email_verified: u.email_verified_at.is_some(),
            is_platform_admin: u.is_platform_admin,
            suspended: u.suspended_at.is_some(),
            public_profile: u.public_profile,
            created_at: u.created_at,
        }
    }
}

/// A session as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    #[serde(flatten)]
    pub session: Session,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// The live sessions of `user_id`, most recently used first.
pub async fn live_sessions(state: &AppState, user_id: String) -> AppResult<Vec<Session>> {
    state
        .db(move |c| Ok(store::list_sessions(c, &user_id, now())?))
        .await
}

/// The live sessions of the signed-in `user`, the one they use marked.
pub async fn sessions(state: &AppState, user: &AuthUser) -> AppResult<Vec<SessionView>> {
    let list = live_sessions(state, user.user.id.clone()).await?;
    Ok(list
        .into_iter()
        .map(|s| SessionView {
            current: s.id == user.session_id,
            session: s,
        })
        .collect())
}
