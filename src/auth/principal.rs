//! Who is acting: a signed-in person or an organisation's API key. Plain
//! domain types, free of HTTP: services take them; `super::extract` builds
//! them from a request.

use super::store::User;
use crate::orgs::store::ApiKey;

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    pub session_id: String,
}

/// An organisation's API key.
#[derive(Debug, Clone)]
pub struct AuthKey {
    pub key: ApiKey,
}

/// Either kind of caller.
#[derive(Debug, Clone)]
pub enum Principal {
    User(AuthUser),
    Key(AuthKey),
}

impl Principal {
    /// The audit actor for this caller.
    pub fn actor(&self) -> crate::audit::Actor {
        match self {
            Principal::User(u) => crate::audit::Actor::user(&u.user.id),
            Principal::Key(k) => crate::audit::Actor {
                user_id: None,
                api_key_id: Some(k.key.id.clone()),
            },
        }
    }
}
