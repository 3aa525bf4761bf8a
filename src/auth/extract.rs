//! Who is calling: extractors that build a [`Principal`] from a request.
//! The types themselves live in [`super::principal`], free of HTTP, so the
//! services that take them do not depend on actix.
//!
//! A request authenticates with `Authorization: Bearer <token>`, where the
//! token is an access JWT or an API key (`tribu_sk_…`), or — for the pages —
//! with the `tribu_access` cookie (refreshed by [`crate::web::page_session`]).

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use super::store;
use crate::db::now;
use crate::error::AppError;
use crate::orgs::store::{authenticate_api_key, KEY_PREFIX};
use crate::state::AppState;

/// Name of the cookie holding the access token for pages.
pub const ACCESS_COOKIE: &str = "tribu_access";
/// Name of the cookie holding the refresh token for pages.
pub const REFRESH_COOKIE: &str = "tribu_refresh";

/// An access token minted during this request (page refresh), which takes
/// precedence over the stale cookie.
#[derive(Clone)]
pub struct FreshAccess(pub String);

pub use super::principal::{AuthKey, AuthUser, Principal};

/// The credential a request carries, if any. The API (`/api/…`) takes
/// `Authorization: Bearer` alone: a cookie there would let another site (or
/// a sibling subdomain) make a signed-in person's browser call it.
fn credential(req: &HttpRequest) -> Option<String> {
    if let Some(h) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let v = h.to_str().ok()?.trim();
        let (scheme, token) = v.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    if is_api(req) {
        return None;
    }
    if let Some(fresh) = req.extensions().get::<FreshAccess>() {
        return Some(fresh.0.clone());
    }
    crate::web::cookie_value(req, ACCESS_COOKIE)
}

/// Whether a request is for the JSON API.
pub fn is_api(req: &HttpRequest) -> bool {
    req.path().starts_with("/api/")
}

/// Resolves the caller; `Ok(None)` when the request carries no credential.
pub async fn resolve(
    state: &AppState,
    token: Option<String>,
) -> Result<Option<Principal>, AppError> {
    let Some(token) = token else {
        return Ok(None);
    };
    if token.starts_with(KEY_PREFIX) {
        let key = state
            .db(move |c| Ok(authenticate_api_key(c, &token, now())?))
            .await?
            .ok_or(AppError::Unauthorized("invalid_api_key"))?;
        return Ok(Some(Principal::Key(AuthKey { key })));
    }
    let claims = state
        .jwt
        .verify(&token)
        .ok_or(AppError::Unauthorized("invalid_token"))?;
    let user = state
        .db(move |c| {
            Ok(store::user_for_session(c, &claims.sub, &claims.sid, now())?
                .map(|u| (u, claims.sid)))
        })
        .await?
        .ok_or(AppError::Unauthorized("invalid_token"))?;
    Ok(Some(Principal::User(AuthUser {
        user: user.0,
        session_id: user.1,
    })))
}

fn state_of(req: &HttpRequest) -> Result<AppState, AppError> {
    req.app_data::<web::Data<AppState>>()
        .map(|d| d.get_ref().clone())
        .ok_or_else(|| AppError::internal("app state missing"))
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

impl FromRequest for Principal {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state_of(req);
        let token = credential(req);
        Box::pin(async move {
            resolve(&state?, token)
                .await?
                .ok_or(AppError::Unauthorized("unauthenticated"))
        })
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state_of(req);
        let token = credential(req);
        Box::pin(async move {
            match resolve(&state?, token).await? {
                Some(Principal::User(u)) => Ok(u),
                Some(Principal::Key(_)) => Err(AppError::Forbidden("user_required")),
                None => Err(AppError::Unauthorized("unauthenticated")),
            }
        })
    }
}

/// The signed-in person if any; never fails on a bad or missing token.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<AuthUser>);

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state_of(req);
        let token = credential(req);
        Box::pin(async move {
            match resolve(&state?, token).await {
                Ok(Some(Principal::User(u))) => Ok(MaybeUser(Some(u))),
                Ok(_) | Err(AppError::Unauthorized(_)) => Ok(MaybeUser(None)),
                Err(e) => Err(e),
            }
        })
    }
}

/// The signed-in platform admin.
#[derive(Debug, Clone)]
pub struct PlatformAdmin(pub AuthUser);

impl FromRequest for PlatformAdmin {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, p: &mut Payload) -> Self::Future {
        let fut = AuthUser::from_request(req, p);
        Box::pin(async move {
            let u = fut.await?;
            if u.user.is_platform_admin {
                Ok(PlatformAdmin(u))
            } else {
                Err(AppError::Forbidden("admin_required"))
            }
        })
    }
}
