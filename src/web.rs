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

use crate::auth::extract::{ACCESS_COOKIE, REFRESH_COOKIE};
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
    // The client as the trusted proxies report it (the peer otherwise), so
    // behind a load balancer the log names people's addresses, not its own.
    let span = tracing::info_span!("request", request_id = %id, client = %client_ip(req.request()), method = %req.method(), path = %loggable_path(req.path()));
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

/// A request path fit for the logs: a segment shaped like a secret token
/// (43 base64url characters, as invitation links carry) becomes `…`, so a
/// log reader cannot accept someone else's invitation. Record ids stay.
pub fn loggable_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let token_like = seg.len() >= 40
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && uuid::Uuid::try_parse(seg).is_err();
            if token_like {
                "…"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
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

/// 405 for known API paths with a method they do not take, with `Allow`
/// listing those it does take (as the OpenAPI document says).
pub async fn api_method_not_allowed(req: HttpRequest) -> HttpResponse {
    let allowed = req
        .match_pattern()
        .map(|p| crate::openapi::methods_of(&p).join(", "))
        .unwrap_or_default();
    let mut res = actix_web::ResponseError::error_response(&AppError::MethodNotAllowed);
    if let Ok(v) = HeaderValue::from_str(&allowed) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    res
}

/// The caller's IP address: the TCP peer, unless the peer is a trusted proxy
/// (`TRIBU_TRUSTED_PROXIES`), in which case `X-Forwarded-For` says who it
/// forwards for (see [`forwarded_client`]).
pub fn client_ip(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.trusted_proxies.clone())
        .unwrap_or_default();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    forwarded_client(peer, &forwarded.join(","), &trusted).to_string()
}

/// Who a request comes from, given its TCP peer, its `X-Forwarded-For`
/// entries (comma-separated, oldest first) and the trusted proxies. The
/// header is believed only when the peer is trusted, and then only up to the
/// right-most entry that is not itself a trusted proxy: anything left of it
/// could have been written by the client.
pub fn forwarded_client(
    peer: std::net::IpAddr,
    forwarded_for: &str,
    trusted: &[ipnet::IpNet],
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for entry in forwarded_for
        .rsplit(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let Ok(ip) = entry.parse::<std::net::IpAddr>() else {
            // Garbage from the client's side of the chain: stop believing.
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// The `User-Agent` header, if any.
pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Name of the double-submit CSRF cookie (see `frontend::csrf`).
pub const CSRF_COOKIE: &str = "tribu_csrf";

/// Name of the cookie that remembers a visitor's language.
pub const LANG_COOKIE: &str = "lang";

/// The name a cookie has on this site. Served over https every cookie takes
/// the `__Host-` prefix, which browsers accept only from this exact host,
/// `Secure` and for the whole path: a sibling subdomain can neither read
/// nor plant it. Plain http (a local run) keeps the bare name, which
/// browsers would refuse with the prefix.
pub fn cookie_name(secure: bool, base: &'static str) -> &'static str {
    if !secure {
        return base;
    }
    match base {
        ACCESS_COOKIE => "__Host-tribu_access",
        REFRESH_COOKIE => "__Host-tribu_refresh",
        CSRF_COOKIE => "__Host-tribu_csrf",
        LANG_COOKIE => "__Host-lang",
        other => other,
    }
}

/// The value of the cookie `base` (by its name on this site) in a request.
pub fn cookie_value(req: &HttpRequest, base: &'static str) -> Option<String> {
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.secure_cookies());
    req.cookie(cookie_name(secure, base))
        .map(|c| c.value().to_owned())
}

/// The language of a request without an account: the `lang` cookie, then
/// `Accept-Language`, then English.
pub fn request_language(req: &HttpRequest) -> Language {
    cookie_value(req, LANG_COOKIE)
        .and_then(|c| Language::parse(&c))
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
    let mut c = Cookie::build(cookie_name(state.config.secure_cookies(), name), value)
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

/// A stored file sent as a download, streamed (never held whole in
/// memory): always `attachment`, never rendered, with its licence notice.
pub struct Download<'a> {
    pub size: u64,
    pub filename: &'a str,
    /// The type to serve it with (active content as plain bytes).
    pub content_type: &'a str,
    pub sha256: &'a str,
    /// e.g. "Title — by A, B — CC-BY-4.0" (made ASCII for the header).
    pub notice: &'a str,
    pub licence_url: Option<&'a str>,
}

/// The response for a [`Download`] whose bytes come from `stream`.
pub fn download<S, E>(d: Download<'_>, stream: S) -> HttpResponse
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, E>> + 'static,
    E: Into<Box<dyn std::error::Error>> + 'static,
{
    // Header values must be visible ASCII; the full notice is in the views.
    let ascii_notice: String = d
        .notice
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    let ascii_name: String = d
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = d
        .filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut res = HttpResponse::Ok();
    res.content_type(d.content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("X-Licence-Notice", ascii_notice))
        .insert_header(("Digest", format!("sha-256={}", d.sha256)))
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    if let Some(url) = d.licence_url {
        res.insert_header((header::LINK, format!("<{url}>; rel=\"license\"")));
    }
    res.no_chunking(d.size);
    res.streaming(stream)
}

#[cfg(test)]
mod tests {
    use super::forwarded_client;

    fn nets(s: &[&str]) -> Vec<ipnet::IpNet> {
        s.iter().filter_map(|n| n.parse().ok()).collect()
    }

    #[test]
    fn tokens_stay_out_of_logged_paths() {
        let token = crate::auth::crypto::random_token("");
        let logged = super::loggable_path(&format!("/team-invitations/{token}/accept"));
        assert_eq!(logged, "/team-invitations/…/accept");
        let id = "01936f3e-7c1a-7b2d-9e4f-0123456789ab";
        assert_eq!(
            super::loggable_path(&format!("/submissions/{id}")),
            format!("/submissions/{id}")
        );
        assert_eq!(
            super::loggable_path("/challenges/open-water"),
            "/challenges/open-water"
        );
    }

    #[test]
    fn forwarded_headers_are_believed_only_from_trusted_proxies() {
        let ip = |s: &str| {
            s.parse::<std::net::IpAddr>()
                .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]))
        };
        let proxies = nets(&["10.0.0.0/8"]);
        // Not from a proxy: the header is the client's own words.
        assert_eq!(
            forwarded_client(ip("203.0.113.9"), "1.2.3.4", &proxies),
            ip("203.0.113.9")
        );
        // From the proxy: the right-most untrusted entry.
        assert_eq!(
            forwarded_client(ip("10.0.0.2"), "198.51.100.7", &proxies),
            ip("198.51.100.7")
        );
        // A forged left-most entry is ignored.
        assert_eq!(
            forwarded_client(ip("10.0.0.2"), "6.6.6.6, 198.51.100.7, 10.0.0.5", &proxies),
            ip("198.51.100.7")
        );
        // No header: the proxy itself.
        assert_eq!(
            forwarded_client(ip("10.0.0.2"), "", &proxies),
            ip("10.0.0.2")
        );
        // No proxies configured: never believed.
        assert_eq!(
            forwarded_client(ip("10.0.0.2"), "1.2.3.4", &[]),
            ip("10.0.0.2")
        );
    }
}
