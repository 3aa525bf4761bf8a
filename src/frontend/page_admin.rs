//! [`PageAdmin`], the extractor of a platform admin's page: the signed-in
//! admin, or the answer for anyone else before the handler runs (the
//! sign-in page for a signed-out visitor, the 403 page for a person who is
//! not an admin).

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};

use super::session::to_login;
use super::{error_page, PageCtx};
use crate::auth::extract::MaybeUser;
use crate::auth::principal::AuthUser;

/// Where a signed-out visitor of an admin page comes back to after signing
/// in: the admin's home, whichever of its forms they posted.
const ADMIN_HOME: &str = "/admin";

/// The signed-in platform admin of a page.
#[derive(Debug, Clone)]
pub struct PageAdmin(pub AuthUser);

impl FromRequest for PageAdmin {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = MaybeUser::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let user = fut.await?;
            match &user.0 {
                Some(u) if u.user.is_platform_admin => Ok(PageAdmin(u.clone())),
                None => {
                    Err(InternalError::from_response("sign in first", to_login(ADMIN_HOME)).into())
                }
                Some(_) => {
                    let page = error_page(&req, &user, StatusCode::FORBIDDEN, "admin_required");
                    Err(InternalError::from_response("admins only", page).into())
                }
            }
        })
    }
}

impl PageAdmin {
    /// The layout context of the admin's page.
    pub fn ctx(&self, req: &HttpRequest) -> PageCtx {
        PageCtx::new(req, &MaybeUser(Some(self.0.clone())))
    }
}
