//! HTTP plumbing shared by the API and the pages: request ids and logging,
//! security headers, problem+json for framework errors, cookies, language,
//! CSRF and the page session refresh.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpRequest, HttpResponse};
use tracing::Instrument;

use crate::auth::extract::{FreshAccess, ACCESS_COOKIE, REFRESH_COOKIE};
use crate::auth::model::Language;
use crate::auth::service::Tokens;
use crate::error::AppError;
use crate::state::AppState;

/// The id of the current request, also sent back as `X-Request-Id`.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

const REQUEST_ID: &str = "x-request-id";

fn acceptable_request_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Gives every request an id (the caller's `X-Request-Id` if sane), runs it in
/// a tracing span carrying that id, logs its outcome, and returns the id.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    let started = std::time::Instant::now();
    async move {
        let mut res = next.call(req).await?;
        let status = res.status().as_u16();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::error!(status, ms, "request failed");
        } else {
            tracing::info!(status, ms, "request");
        }
        if let Ok(v) = HeaderValue::from_str(&id) {
            res.headers_mut()
                .insert(header::HeaderName::from_static(REQUEST_ID), v);
        }
        Ok(res)
    }
    .instrument(span)
    .await
}

/// The Content-Security-Policy of every response: no inline script, no
/// framing, nothing from elsewhere.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                       object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Security headers for every response.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("Content-Security-Policy", CSP))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
}

/// Makes sure every error answered under `/api` is problem+json, including
/// those the framework produces itself (unknown route, wrong method, …).
pub async fn api_problems(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let res = next.call(req).await?;
    let status = res.status();
    if status.as_u16() < 400 {
        return Ok(res);
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if is_problem {
        return Ok(res);
    }
    let err = match status.as_u16() {
        404 => AppError::NotFound,
        405 => AppError::MethodNotAllowed,
        413 => AppError::PayloadTooLarge,
        415 => AppError::UnsupportedMediaType,
        401 => AppError::Unauthorized("unauthenticated"),
        s if s < 500 => AppError::bad_request(
            "bad_request",
            status.canonical_reason().unwrap_or("Bad request"),
        ),
        _ => AppError::internal(format!("status {status}")),
    };
    let (req, _) = res.into_parts();
    let mut out = actix_web::ResponseError::error_response(&err);
    *out.status_mut() = status;
    Ok(ServiceResponse::new(req, out))
}

/// 404 for unknown API paths.
pub async fn api_not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// 405 for known API paths with a method they do not take.
pub async fn api_method_not_allowed() -> Result<HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed)
}

/// The caller's IP address (the TCP peer; a proxy in front should be trusted
/// explicitly before forwarded headers are believed).
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The `User-Agent` header, if any.
pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Name of the cookie that remembers a visitor's language.
pub const LANG_COOKIE: &str = "lang";

/// The language of a request without an account: the `lang` cookie, then
/// `Accept-Language`, then English.
pub fn request_language(req: &HttpRequest) -> Language {
    req.cookie(LANG_COOKIE)
        .and_then(|c| Language::parse(c.value()))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Language::from_accept_language)
        })
        .unwrap_or_default()
}

/// A cookie with the flags every Tribu cookie carries.
pub fn cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    max_age: Option<CookieDuration>,
) -> Cookie<'static> {
    let mut c = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .finish();
    if let Some(age) = max_age {
        c.set_max_age(age);
    }
    c
}

/// A cookie that deletes `name`.
pub fn expired_cookie(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(state, name, String::new(), None);
    c.make_removal();
    c
}

/// The two session cookies of the pages for a token pair.
pub fn session_cookies(state: &AppState, t: &Tokens) -> [Cookie<'static>; 2] {
    [
        cookie(
            state,
            ACCESS_COOKIE,
            t.access_token.clone(),
            Some(CookieDuration::seconds(t.expires_in)),
        ),
        cookie(
            state,
            REFRESH_COOKIE,
            t.refresh_token.clone(),
            Some(CookieDuration::days(state.config.session_ttl_days)),
        ),
    ]
}

/// The CSRF token of the current page request.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// Name of the double-submit CSRF cookie.
pub const CSRF_COOKIE: &str = "tribu_csrf";

/// The CSRF token to put in forms on this request.
pub fn csrf_token(req: &HttpRequest) -> String {
    if let Some(t) = req.extensions().get::<CsrfToken>() {
        return t.0.clone();
    }
    req.cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default()
}

/// Checks a form's CSRF field against the cookie (constant time).
pub fn check_csrf(req: &HttpRequest, submitted: &str) -> Result<(), AppError> {
    let expected = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let ok = !expected.is_empty()
        && expected.len() == submitted.len()
        && expected
            .bytes()
            .zip(submitted.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if ok {
        Ok(())
    } else {
        Err(AppError::Forbidden("csrf_failed"))
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
    let new_csrf = if req.cookie(CSRF_COOKIE).is_none() {
        let t = crate::auth::crypto::random_token("");
        req.extensions_mut().insert(CsrfToken(t.clone()));
        Some(t)
    } else {
        None
    };
    let access_ok = req
        .cookie(ACCESS_COOKIE)
        .is_some_and(|c| state.jwt.verify(c.value()).is_some());
    let mut set: Vec<Cookie<'static>> = Vec::new();
    if !access_ok {
        if let Some(rt) = req.cookie(REFRESH_COOKIE).map(|c| c.value().to_owned()) {
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
    if let Some(t) = new_csrf {
        set.push(cookie(&state, CSRF_COOKIE, t, None));
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
