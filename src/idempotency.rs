//! `Idempotency-Key` on API POSTs: the first answer to a request is stored
//! and replayed to every retry with the same key from the same caller, so a
//! client that lost a response can retry without creating a second thing or
//! moving money twice. A key reused with a different request is refused
//! (422), and one whose first request is still running answers 409.
//! Server errors are not kept, so they can be retried. Keys live 24 hours.

use actix_web::body::{to_bytes, BoxBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::auth::crypto::token_hash;
use crate::db::schema::idempotency_keys;
use crate::db::{now, DbConnection};
use crate::error::AppError;
use crate::state::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Set on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long a key is remembered.
pub const TTL_HOURS: i64 = 24;

/// Marks an answer that carries a live secret (tokens, a new API key): it is
/// never kept for replay, and it is sent with `Cache-Control: no-store`.
#[derive(Debug, Clone, Copy)]
pub struct HoldsSecret;

/// Marks `res` as holding a secret (see [`HoldsSecret`]).
pub fn holds_secret(mut res: HttpResponse) -> HttpResponse {
    res.extensions_mut().insert(HoldsSecret);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// What the store knows about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// New: the request runs, and its answer will be kept.
    First,
    /// Answered before: replay this.
    Done {
        status: u16,
        content_type: String,
        body: String,
    },
    /// The first request with this key is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// Request hash, status, content type and body of a stored key.
type StoredAnswer = (String, Option<i32>, Option<String>, Option<String>);

/// Keys are 1–255 visible ASCII characters.
pub fn valid_key(k: &str) -> bool {
    !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic())
}

/// Claims `key` for `principal`, or reports what happened to it before.
pub fn claim(
    conn: &mut DbConnection,
    principal: &str,
    key: &str,
    request_hash: &str,
    at: NaiveDateTime,
) -> QueryResult<Seen> {
    // Expired keys start over.
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::principal.eq(principal))
            .filter(idempotency_keys::key.eq(key))
            .filter(idempotency_keys::created_at.lt(at - Duration::hours(TTL_HOURS))),
    )
    .execute(conn)?;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::principal.eq(principal),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::created_at.eq(at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => return Ok(Seen::First),
        Err(e) if crate::db::is_unique_violation(&e) => {}
        Err(e) => return Err(e),
    }
    let row: Option<StoredAnswer> = idempotency_keys::table
        .find((principal, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::content_type,
            idempotency_keys::body,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => Seen::InProgress,
        Some((hash, _, _, _)) if hash != request_hash => Seen::Mismatch,
        Some((_, Some(status), ct, body)) => Seen::Done {
            status: status as u16,
            content_type: ct.unwrap_or_default(),
            body: body.unwrap_or_default(),
        },
        Some((_, None, _, _)) => Seen::InProgress,
    })
}

/// Keeps the answer of a claimed key.
pub fn complete(
    conn: &mut DbConnection,
    principal: &str,
    key: &str,
    status: u16,
    content_type: &str,
    body: &str,
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((principal, key)))
        .set((
            idempotency_keys::status.eq(Some(status as i32)),
            idempotency_keys::content_type.eq(Some(content_type)),
            idempotency_keys::body.eq(Some(body)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets a claimed key (its request failed on the server's side).
pub fn release(conn: &mut DbConnection, principal: &str, key: &str) -> QueryResult<()> {
    diesel::delete(idempotency_keys::table.find((principal, key))).execute(conn)?;
    Ok(())
}

/// Drops keys past their lifetime (the worker's housekeeping).
pub fn purge(conn: &mut DbConnection, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::created_at.lt(at - Duration::hours(TTL_HOURS))),
    )
    .execute(conn)
}

/// Who is asking, for scoping keys: the account behind a token, a key's
/// hash, or the IP address of an anonymous caller; and whether that caller
/// is a signed-in person (the only one who uploads files).
fn principal(state: &AppState, req: &ServiceRequest) -> (String, bool) {
    // The API takes bearer credentials only (never the pages' cookie).
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.split_once(' '))
        .filter(|(s, _)| s.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    match bearer {
        Some(t) if t.starts_with(crate::orgs::store::KEY_PREFIX) => {
            (format!("key:{}", token_hash(&t)), false)
        }
        Some(t) => match state.jwt.verify(&t) {
            Some(claims) => (format!("user:{}", claims.sub), true),
            None => (format!("token:{}", token_hash(&t)), false),
        },
        None => (
            format!(
                "ip:{}",
                req.peer_addr()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_default()
            ),
            false,
        ),
    }
}

fn problem(req: ServiceRequest, err: AppError) -> ServiceResponse<BoxBody> {
    let (r, _) = req.into_parts();
    ServiceResponse::new(r, actix_web::ResponseError::error_response(&err))
}

/// The middleware, for the `/api/v1` scope.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.method() != Method::POST {
        return next.call(req).await;
    }
    let Some(key) = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().unwrap_or("").to_owned())
    else {
        return next.call(req).await;
    };
    if !valid_key(&key) {
        return Ok(problem(
            req,
            AppError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1–255 visible ASCII characters.",
            ),
        ));
    }
    let Some(state) = req
        .app_data::<web::Data<AppState>>()
        .map(|d| d.get_ref().clone())
    else {
        return next.call(req).await;
    };
    let (who, person) = principal(&state, &req);
    // The request is read whole to fingerprint it, then handed on unchanged.
    // Only a signed-in person uploads files: anyone else (anonymous, an
    // unverifiable token, a key) is held to the JSON limit, so nobody can
    // make the server buffer an upload's worth before authentication.
    let limit = if person {
        (state.config.attachment_max_bytes as usize).max(crate::api::JSON_LIMIT) + 64 * 1024
    } else {
        crate::api::JSON_LIMIT
    };
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(problem(req, AppError::PayloadTooLarge));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let mut h = Sha256::new();
    h.update(req.method().as_str());
    h.update(b" ");
    h.update(req.uri().to_string());
    h.update(b"\n");
    h.update(&body);
    let request_hash = hex::encode(h.finalize());
    let (w, k, rh) = (who.clone(), key.clone(), request_hash);
    let seen = state.db(move |c| Ok(claim(c, &w, &k, &rh, now())?)).await;
    let seen = match seen {
        Ok(s) => s,
        Err(e) => return Ok(problem(req, e)),
    };
    match seen {
        Seen::First => {}
        Seen::Done {
            status,
            content_type,
            body,
        } => {
            let (r, _) = req.into_parts();
            let res = HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
                .content_type(content_type)
                .insert_header((REPLAYED, "true"))
                .body(body);
            return Ok(ServiceResponse::new(r, res));
        }
        Seen::InProgress => {
            return Ok(problem(
                req,
                AppError::conflict(
                    "idempotency_key_in_progress",
                    "A request with this Idempotency-Key is still running; retry shortly.",
                ),
            ));
        }
        Seen::Mismatch => {
            return Ok(problem(
                req,
                AppError::Validation(vec![crate::error::FieldError::new(
                    "Idempotency-Key",
                    "idempotency_key_reused",
                    "This key was used for a different request.",
                )]),
            ));
        }
    }
    req.set_payload(Payload::from(body));
    let res = next.call(req).await?;
    let status = res.status();
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let secret = res.response().extensions().get::<HoldsSecret>().is_some();
    let (r, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let bytes = to_bytes(body).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (w, k) = (who, key);
    // Secrets are never stored: a retry runs again (and mints a new token
    // or key) rather than replaying a live one from the database.
    let kept = if status.is_server_error() || secret {
        state.db(move |c| Ok(release(c, &w, &k)?)).await
    } else {
        state
            .db(move |c| Ok(complete(c, &w, &k, status.as_u16(), &content_type, &text)?))
            .await
    };
    if let Err(e) = kept {
        tracing::warn!(error = %e, "cannot record the idempotent answer");
    }
    Ok(ServiceResponse::new(r, head.set_body(BoxBody::new(bytes))))
}

#[cfg(test)]
mod tests {
    use super::valid_key;

    #[test]
    fn keys_are_visible_ascii() {
        assert!(valid_key("7b8f2c1e-retry-1"));
        assert!(!valid_key(""));
        assert!(!valid_key("has space"));
        assert!(!valid_key(&"x".repeat(256)));
        assert!(!valid_key("clé"));
    }
}
