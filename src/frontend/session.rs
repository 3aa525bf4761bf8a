//! The page session seen from a handler: where to go after signing in, the
//! sign-in redirect, and [`PageUser`], the extractor of a page that needs a
//! signed-in person (it answers with the sign-in redirect otherwise).

use actix_web::body::MessageBody;
use actix_web::cookie::Cookie;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};

use super::see_other;
use crate::auth::extract::{FreshAccess, MaybeUser, ACCESS_COOKIE, REFRESH_COOKIE};
use crate::auth::principal::AuthUser;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{cookie, cookie_value, expired_cookie, session_cookies};

/// A same-site path to go back to after signing in: it must start with `/`
/// and must not be protocol-relative (`//host`, `/\host`).
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && !n.starts_with("/\\")
        && !n.chars().any(|c| c.is_control() || c == '\\');
    ok.then(|| n.to_owned())
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The sign-in page that returns to `path` afterwards.
pub fn login_href(path: &str) -> String {
    format!("/login?next={}", encode(path))
}

/// Sends a signed-out visitor to the sign-in page, coming back to `path`.
pub fn to_login(path: &str) -> HttpResponse {
    see_other(&login_href(path))
}

/// The signed-in person of a page. A signed-out visitor is sent to the
/// sign-in page, which brings them back here (GET) or to the page the form
/// was on (the `Referer` of a POST, when it is ours).
#[derive(Debug, Clone)]
pub struct PageUser(pub AuthUser);

/// The answer to a signed-out visitor on a page that needs a person.
#[derive(Debug)]
pub struct SignInFirst(String);

impl std::fmt::Display for SignInFirst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sign in first, then go to {}", self.0)
    }
}

impl ResponseError for SignInFirst {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::SEE_OTHER
    }

    fn error_response(&self) -> HttpResponse {
        to_login(&self.0)
    }
}

/// Where a signed-out visitor should come back to after signing in.
fn back_to(req: &HttpRequest) -> String {
    if req.method() == actix_web::http::Method::GET {
        return match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        };
    }
    // A form posted after the session ended: back to the page it was on.
    req.headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .filter(|u| u.path().starts_with('/'))
        .and_then(|u| safe_next(Some(&u[url::Position::BeforePath..])))
        .unwrap_or_else(|| req.path().to_owned())
}

impl FromRequest for PageUser {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = MaybeUser::from_request(req, payload);
        let back = back_to(req);
        Box::pin(async move {
            match fut.await? {
                MaybeUser(Some(u)) => Ok(PageUser(u)),
                MaybeUser(None) => Err(SignInFirst(back).into()),
            }
        })
    }
}
/// For the pages: hands out the CSRF cookie, and when the access cookie has
/// expired, rotates the refresh cookie into a new pair for this request.
pub async fn page_session(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .map(|d| d.get_ref().clone());
    let Some(state) = state else {
        return next.call(req).await;
    };
    let access_ok =
        cookie_value(req.request(), ACCESS_COOKIE).is_some_and(|c| state.jwt.verify(&c).is_some());
    let mut set: Vec<Cookie<'static>> = Vec::new();
    if !access_ok {
        if let Some(rt) = cookie_value(req.request(), REFRESH_COOKIE) {
            // Two requests racing on one cookie must not log the user out.
            match crate::auth::service::refresh(&state, rt, 30).await {
                Ok(tokens) => {
                    req.extensions_mut()
                        .insert(FreshAccess(tokens.access_token.clone()));
                    set.extend(session_cookies(&state, &tokens));
                }
                Err(AppError::Unauthorized(_)) => {
                    set.push(expired_cookie(&state, ACCESS_COOKIE));
                    set.push(expired_cookie(&state, REFRESH_COOKIE));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    // A CSRF token bound to this request's session (after any refresh above):
    // a new visitor, a sign-in or a sign-out gets a fresh one.
    let binding = super::csrf::csrf_binding(&state, req.request());
    let current = cookie_value(req.request(), super::csrf::CSRF_COOKIE);
    if !current.is_some_and(|t| super::csrf::csrf_bound(&state, &t, &binding)) {
        let t = super::csrf::csrf_mint(&state, &binding);
        req.extensions_mut()
            .insert(super::csrf::CsrfToken(t.clone()));
        set.push(cookie(&state, super::csrf::CSRF_COOKIE, t, None));
    }
    let mut res = next.call(req).await?;
    for c in set {
        // Handlers that set the same cookie (sign in, sign out) win.
        let already = res.response().cookies().any(|rc| rc.name() == c.name());
        if !already {
            if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_paths_stay_on_the_site() {
        assert_eq!(
            safe_next(Some("/orgs/x?tab=1")),
            Some("/orgs/x?tab=1".into())
        );
        for bad in [
            "",
            "orgs",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a\\b",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(safe_next(None), None);
    }
}
