//! CSRF protection for every page, in one place: [`protect`] wraps the page
//! scope and refuses (403 `csrf_failed`) any POST, PUT, PATCH or DELETE whose
//! token is missing or wrong, before a handler runs. A handler cannot be
//! written without it, so none checks for itself.
//!
//! The token travels in the form field `csrf` (urlencoded forms; the first
//! part of a multipart form) or in the `X-CSRF-Token` header (scripts). It
//! must equal the `tribu_csrf` cookie (double submit) and carry an HMAC that
//! binds it to the session that received it (or to "signed out"), so a token
//! planted from a sibling subdomain or taken from another session fails.

use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{Error, HttpMessage, HttpRequest};
use futures_util::StreamExt;

use crate::auth::extract::{FreshAccess, ACCESS_COOKIE};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::cookie_value;

/// The largest urlencoded page form read to find its token (long Markdown
/// texts: a description and rules of 50,000 characters each, encoded).
pub const FORM_LIMIT: usize = 2 * 1024 * 1024;
/// How much of a multipart body may come before the end of its first part.
const MULTIPART_HEAD_LIMIT: usize = 8 * 1024;
/// The header scripts send the token in.
pub const HEADER: &str = "x-csrf-token";

/// The CSRF token of the current page request.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

pub use crate::web::CSRF_COOKIE;

/// What a CSRF token is bound to: the session of the signed-in person, or
/// nobody (a signed-out visitor).
pub(super) fn csrf_binding(state: &AppState, req: &HttpRequest) -> String {
    let token = req
        .extensions()
        .get::<FreshAccess>()
        .map(|f| f.0.clone())
        .or_else(|| cookie_value(req, ACCESS_COOKIE));
    match token.and_then(|t| state.jwt.verify(&t)) {
        Some(claims) => format!("session:{}", claims.sid),
        None => "anonymous".to_owned(),
    }
}

/// A token bound to `binding`: a random nonce and its HMAC under the site's
/// secret. Only the server can make one, and one made for another session
/// (or for a signed-out visitor) does not pass for this one.
pub(super) fn csrf_mint(state: &AppState, binding: &str) -> String {
    let nonce = crate::auth::crypto::random_token("");
    format!(
        "{nonce}.{}",
        state.jwt.mac("csrf", &format!("{nonce}|{binding}"))
    )
}

/// Whether `token` was minted for `binding`.
pub(super) fn csrf_bound(state: &AppState, token: &str, binding: &str) -> bool {
    let Some((nonce, mac)) = token.split_once('.') else {
        return false;
    };
    constant_time_eq(&state.jwt.mac("csrf", &format!("{nonce}|{binding}")), mac)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The CSRF token to put in forms on this request.
pub fn csrf_token(req: &HttpRequest) -> String {
    if let Some(t) = req.extensions().get::<CsrfToken>() {
        return t.0.clone();
    }
    cookie_value(req, CSRF_COOKIE).unwrap_or_default()
}

/// Checks a form's CSRF field: it must equal the cookie (double submit) and
/// be bound to the session making the request.
pub fn check_csrf(req: &HttpRequest, submitted: &str) -> Result<(), AppError> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(AppError::Forbidden("csrf_failed"));
    };
    let expected = cookie_value(req, CSRF_COOKIE).unwrap_or_default();
    let ok = !expected.is_empty()
        && constant_time_eq(&expected, submitted)
        && csrf_bound(state, submitted, &csrf_binding(state, req));
    if ok {
        Ok(())
    } else {
        Err(AppError::Forbidden("csrf_failed"))
    }
}

/// Whether a method changes things (and so needs a token).
pub fn is_unsafe(m: &Method) -> bool {
    !matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The middleware of the page scope.
pub async fn protect(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if !is_unsafe(req.method()) {
        return next.call(req).await;
    }
    let refused = |req: ServiceRequest, e: AppError| {
        let (r, _) = req.into_parts();
        Ok(ServiceResponse::new(
            r,
            actix_web::ResponseError::error_response(&e),
        ))
    };
    // Kept as sent: a multipart boundary is case-sensitive.
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let media = ctype.to_ascii_lowercase();
    let from_header = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let token = if let Some(t) = from_header {
        Some(t)
    } else if media.starts_with("application/x-www-form-urlencoded") {
        match read_form_token(&mut req).await {
            Ok(t) => t,
            Err(e) => return refused(req, e),
        }
    } else if media.starts_with("multipart/form-data") {
        match read_multipart_token(&mut req, &ctype).await {
            Ok(t) => t,
            Err(e) => return refused(req, e),
        }
    } else {
        None
    };
    match token {
        Some(t) if check_csrf(req.request(), &t).is_ok() => next.call(req).await,
        _ => refused(req, AppError::Forbidden("csrf_failed")),
    }
}

/// Reads a urlencoded body whole, finds its `csrf` field, and puts the body
/// back for the handler.
async fn read_form_token(req: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::bad_request("invalid_form", e.to_string()))?;
        if body.len() + chunk.len() > FORM_LIMIT {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v));
    req.set_payload(Payload::from(body));
    Ok(token)
}

/// Reads a multipart body up to the end of its first part, which must be the
/// `csrf` field, and puts what it read back in front of the rest of the
/// stream: the handler sees the whole body, and no file is read before the
/// token is checked.
async fn read_multipart_token(
    req: &mut ServiceRequest,
    ctype: &str,
) -> Result<Option<String>, AppError> {
    let Some(boundary) = ctype
        .split(';')
        .map(str::trim)
        .find_map(|p| {
            p.get(..9)
                .filter(|k| k.eq_ignore_ascii_case("boundary="))
                .map(|_| &p[9..])
        })
        .map(|b| b.trim_matches('"').to_owned())
    else {
        return Ok(None);
    };
    let mut payload = req.take_payload();
    let mut head = BytesMut::new();
    let found = loop {
        if let Some(v) = first_part_value(&head, &boundary) {
            break v;
        }
        if head.len() > MULTIPART_HEAD_LIMIT {
            break None;
        }
        match payload.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(e)) => return Err(AppError::bad_request("invalid_multipart", e.to_string())),
            None => break None,
        }
    };
    let head: Bytes = head.freeze();
    let rest = payload;
    let stream = futures_util::stream::once(async move { Ok(head) }).chain(rest);
    req.set_payload(Payload::Stream {
        payload: Box::pin(stream),
    });
    Ok(found)
}

/// The value of the first part of a multipart body when that part is
/// complete and named `csrf`: `Some(Some(v))`; `Some(None)` when the first
/// part is complete but is something else; `None` when more bytes are needed.
fn first_part_value(body: &[u8], boundary: &str) -> Option<Option<String>> {
    let open = format!("--{boundary}\r\n");
    let start = find(body, open.as_bytes())? + open.len();
    let headers_end = start + find(&body[start..], b"\r\n\r\n")?;
    let value_start = headers_end + 4;
    let close = format!("\r\n--{boundary}");
    let value_end = value_start + find(&body[value_start..], close.as_bytes())?;
    let headers = String::from_utf8_lossy(&body[start..headers_end]).to_ascii_lowercase();
    let is_csrf = headers.lines().any(|l| {
        l.starts_with("content-disposition:")
            && l.split(';').map(str::trim).any(|p| p == "name=\"csrf\"")
    });
    Some(is_csrf.then(|| String::from_utf8_lossy(&body[value_start..value_end]).into_owned()))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::first_part_value;

    #[test]
    fn the_token_is_the_first_multipart_part() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc.def\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nDATA\r\n--XyZ--\r\n";
        assert_eq!(first_part_value(body, "XyZ"), Some(Some("abc.def".into())));
        // Not there yet: more bytes are needed.
        assert_eq!(first_part_value(&body[..30], "XyZ"), None);
        // A file first: no token.
        let file_first =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nDATA\r\n--XyZ--\r\n";
        assert_eq!(first_part_value(file_first, "XyZ"), Some(None));
    }
}
