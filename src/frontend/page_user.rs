//! The layout of a signed-in person's page. A handler that takes a
//! [`PageUser`] builds its [`PageCtx`] from it, so the session is resolved
//! once per request.

use actix_web::HttpRequest;

use super::session::PageUser;
use super::PageCtx;
use crate::auth::extract::MaybeUser;

impl PageUser {
    /// The person as a [`MaybeUser`], for what serves visitors and people alike.
    pub fn maybe(&self) -> MaybeUser {
        MaybeUser(Some(self.0.clone()))
    }

    /// The layout context of this person's page.
    pub fn ctx(&self, req: &HttpRequest) -> PageCtx {
        PageCtx::new(req, &self.maybe())
    }
}
