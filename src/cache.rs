//! Whole answers to anonymous reads, kept in memory: the challenge list and
//! search (`GET /api/v1/challenges`), the home page, the list and the pages
//! of challenges, and the solutions gallery. Most of Tribu's traffic is
//! people who are not signed in reading these; each answer costs several
//! queries and a Markdown render, and is the same for every such visitor.
//!
//! Exactness. Every committed write transaction ([`crate::db::write_tx`])
//! moves a process-wide generation ([`crate::db::generation`]) forward. An
//! answer is stored under the generation read *before* its handler ran, and
//! served only while the generation is still that one: a change committed
//! during a render makes that answer stale at once, and a change committed
//! by this process is never followed by an older answer. Entries also live
//! at most [`TTL`]: pages say how long is left before a deadline, and when
//! several nodes share one database a node does not see the others' writes,
//! so behind a load balancer a visitor who is not signed in sees a change
//! at most that late. Signed-in people (a bearer token or a session cookie)
//! always get a fresh answer, so nobody misses the effect of their own
//! action.
//!
//! Pages carry the visitor's CSRF token in their forms: it is cut out of a
//! stored page and the visitor's own token put back in when it is served.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use actix_web::body::{self, BoxBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{Error, HttpResponse};
use tokio::sync::watch;

use crate::auth::extract::{ACCESS_COOKIE, REFRESH_COOKIE};
use crate::state::AppState;
use crate::web::{cookie_value, request_language};

/// How long an answer may be served, at most.
pub const TTL: Duration = Duration::from_secs(1);
/// How long a request waits for another that answers the same key.
const WAIT: Duration = Duration::from_secs(2);
/// The most bytes kept; past it the cache starts empty again (searches
/// with ever new words must not grow the process).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

/// One stored answer: its headers, and its body cut where the CSRF token
/// of the visitor who caused it stood.
struct Entry {
    generation: u64,
    made: Instant,
    headers: Vec<(HeaderName, HeaderValue)>,
    parts: Vec<Bytes>,
    size: usize,
}

/// The cache of one process.
#[derive(Default)]
pub struct PublicCache {
    entries: RwLock<HashMap<String, Entry>>,
    bytes: AtomicUsize,
    /// Keys being answered anew. Their waiters hold receivers: when the
    /// filler is done (or fails) the sender leaves the map, is dropped, and
    /// every receiver wakes.
    fills: Mutex<HashMap<String, watch::Sender<()>>>,
}

/// What a request that found no fresh answer does.
enum Miss {
    /// Answer it and store the answer; others wait for this one.
    Fill(FillGuard),
    /// Wait for the request answering it, then look again.
    Wait(watch::Receiver<()>),
    /// Answer it without waiting for anyone (the cache is unusable).
    Alone,
}

/// Ends a fill however the filler ends, waking its waiters.
struct FillGuard {
    cache: Arc<PublicCache>,
    key: String,
}

impl Drop for FillGuard {
    fn drop(&mut self) {
        if let Ok(mut fills) = self.cache.fills.lock() {
            fills.remove(&self.key);
        }
    }
}

impl PublicCache {
    /// One request answers a missing or stale key while the others asking
    /// for it wait for that answer: when an entry expires (or a write makes
    /// it stale) under load, one render replaces it instead of one per
    /// connection. Waiters answer by themselves, side by side, when that
    /// answer could not be kept (not a 200, or a write came in between), so
    /// a key that is never kept costs them one wait, not a queue.
    fn miss(self: &Arc<Self>, key: &str) -> Miss {
        let Ok(mut fills) = self.fills.lock() else {
            return Miss::Alone;
        };
        if let Some(tx) = fills.get(key) {
            return Miss::Wait(tx.subscribe());
        }
        fills.insert(key.to_owned(), watch::channel(()).0);
        Miss::Fill(FillGuard {
            cache: self.clone(),
            key: key.to_owned(),
        })
    }

    /// A fresh answer for `key`: its headers and its body with `token` put
    /// back where the stored page had one.
    fn get(&self, key: &str, token: &str) -> Option<(Vec<(HeaderName, HeaderValue)>, Bytes)> {
        let entries = self.entries.read().ok()?;
        let e = entries.get(key)?;
        if e.generation != crate::db::generation() || e.made.elapsed() > TTL {
            return None;
        }
        let body = match e.parts.as_slice() {
            [one] => one.clone(),
            parts => {
                let mut b = BytesMut::with_capacity(e.size + parts.len() * token.len());
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        b.extend_from_slice(token.as_bytes());
                    }
                    b.extend_from_slice(p);
                }
                b.freeze()
            }
        };
        Some((e.headers.clone(), body))
    }

    fn put(&self, key: String, entry: Entry) {
        if entry.generation != crate::db::generation() || entry.size > MAX_BYTES / 8 {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if self.bytes.load(Ordering::Relaxed) + entry.size > MAX_BYTES {
            entries.clear();
            self.bytes.store(0, Ordering::Relaxed);
        }
        self.bytes.fetch_add(entry.size, Ordering::Relaxed);
        if let Some(old) = entries.insert(key, entry) {
            self.bytes.fetch_sub(old.size, Ordering::Relaxed);
        }
    }

    /// How many answers are kept (for tests).
    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The paths whose anonymous answers are kept.
fn cacheable(path: &str) -> bool {
    match path {
        "/" | "/challenges" | "/solutions" | "/api/v1/challenges" => true,
        _ => path
            .strip_prefix("/challenges/")
            .is_some_and(|slug| !slug.is_empty() && !slug.contains('/')),
    }
}

/// The key of an anonymous GET of a cacheable path; `None` for anything
/// else. The visitor's language (cookie, else `Accept-Language`) is part
/// of it.
fn key(req: &ServiceRequest) -> Option<String> {
    if req.method() != actix_web::http::Method::GET
        || !cacheable(req.path())
        || req.headers().contains_key(header::AUTHORIZATION)
        || cookie_value(req.request(), ACCESS_COOKIE).is_some()
        || cookie_value(req.request(), REFRESH_COOKIE).is_some()
    {
        return None;
    }
    let lang = request_language(req.request()).code();
    Some(format!("{}?{}\n{lang}", req.path(), req.query_string()))
}

/// The middleware: answers from the cache when it can, else lets the
/// handler answer and keeps a 200 that sets no cookie.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(key) = key(&req) else {
        return next.call(req).await;
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    let token = crate::frontend::csrf::csrf_token(req.request());
    let hit = |cache: &PublicCache| {
        cache.get(&key, &token).map(|(headers, body)| {
            let mut res = HttpResponse::Ok();
            for (name, value) in headers {
                res.insert_header((name, value));
            }
            res.body(body)
        })
    };
    if let Some(res) = hit(&state.cache) {
        return Ok(req.into_response(res));
    }
    let _fill = match state.cache.miss(&key) {
        Miss::Fill(guard) => Some(guard),
        Miss::Wait(mut rx) => {
            // The filler's end drops the sender: `changed` then returns.
            let _ = tokio::time::timeout(WAIT, rx.changed()).await;
            if let Some(res) = hit(&state.cache) {
                return Ok(req.into_response(res));
            }
            None
        }
        Miss::Alone => None,
    };
    let generation = crate::db::generation();
    let res = next.call(req).await?;
    if res.status() != StatusCode::OK || res.headers().contains_key(header::SET_COOKIE) {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let (head, payload) = res.into_parts();
    let bytes = body::to_bytes(payload)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    if let Ok(text) = std::str::from_utf8(&bytes) {
        let parts: Vec<Bytes> = if token.is_empty() {
            vec![bytes.clone()]
        } else {
            text.split(token.as_str())
                .map(|p| Bytes::copy_from_slice(p.as_bytes()))
                .collect()
        };
        let headers = head
            .headers()
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        state.cache.put(
            key,
            Entry {
                generation,
                made: Instant::now(),
                headers,
                size: bytes.len(),
                parts,
            },
        );
    }
    Ok(ServiceResponse::new(
        req,
        head.set_body(BoxBody::new(bytes)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_public_reads_are_kept() {
        for p in [
            "/",
            "/challenges",
            "/challenges/clean-water",
            "/solutions",
            "/api/v1/challenges",
        ] {
            assert!(cacheable(p), "{p}");
        }
        for p in [
            "/challenges/",
            "/challenges/clean-water/entries",
            "/api/v1/challenges/x",
            "/me",
            "/api/v1/me",
        ] {
            assert!(!cacheable(p), "{p}");
        }
    }

    fn entry(generation: u64, parts: &[&str]) -> Entry {
        let parts: Vec<Bytes> = parts
            .iter()
            .map(|p| Bytes::copy_from_slice(p.as_bytes()))
            .collect();
        Entry {
            generation,
            made: Instant::now(),
            headers: vec![],
            size: parts.iter().map(|p| p.len()).sum(),
            parts,
        }
    }

    #[test]
    fn a_write_makes_every_answer_stale_and_tokens_are_put_back() {
        let c = PublicCache::default();
        let g = crate::db::generation();
        c.put(
            "k".into(),
            entry(g, &["<form>", "</form><form>", "</form>"]),
        );
        // Other tests in this process may commit writes meanwhile: only
        // check the hit when the generation did not move.
        if let Some((_, body)) = c.get("k", "TOK") {
            assert_eq!(&body[..], b"<form>TOK</form><form>TOK</form>");
        }
        crate::db::bump_generation();
        assert!(c.get("k", "TOK").is_none(), "stale after a write");
        // An answer read before a write is never stored after it.
        c.put("old".into(), entry(g, &["x"]));
        assert!(c.get("old", "").is_none());
    }
}
