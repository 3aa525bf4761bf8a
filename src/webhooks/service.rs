//! Outgoing webhooks: an organisation registers endpoints (URL, events, a
//! secret shown once); changes emit events into the webhooks' outbox in
//! their own transaction; the worker delivers them signed, retries with
//! backoff for three days, logs every attempt, and turns off an endpoint
//! whose delivery failed for good, telling the organisation's admins.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{self, EVENTS};
use super::store::{self, Attempt, Delivery, Endpoint};
use crate::audit::{self, Actor, Entry};
use crate::auth::principal::Principal;
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::orgs::model::OrgAction;
use crate::state::AppState;

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    /// An HTTPS (or HTTP) address that resolves to public IP addresses
    /// only.
    pub url: String,
    /// The events to send; see the document's `webhooks` section.
    pub events: Vec<String>,
}

/// An endpoint as listed (its secret is never shown again).
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    /// Off after a delivery failed for three days, or by hand.
    pub active: bool,
    pub disabled_reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// A new endpoint with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedEndpoint {
    pub endpoint: EndpointView,
    /// Verifies `Tribu-Signature`; keep it, it is not shown again.
    pub secret: String,
}

/// An organisation's endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    pub data: Vec<EndpointView>,
}

/// One try of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempt: i32,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i32>,
    /// Why it failed without an answer (refused address, timeout, …).
    pub error: Option<String>,
    pub duration_ms: i64,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub at: NaiveDateTime,
}

/// A delivery with every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub next_attempt_at: NaiveDateTime,
    pub attempts: Vec<AttemptView>,
}

/// An endpoint's latest deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub data: Vec<DeliveryView>,
}

fn endpoint_view(e: Endpoint) -> EndpointView {
    EndpointView {
        events: e.event_list(),
        id: e.id,
        url: e.url,
        active: e.active,
        disabled_reason: e.disabled_reason,
        created_at: e.created_at,
    }
}

fn attempt_view(a: Attempt) -> AttemptView {
    AttemptView {
        attempt: a.attempt,
        status_code: a.status_code,
        error: a.error,
        duration_ms: a.duration_ms,
        at: a.at,
    }
}

/// The organisation `slug` for a caller who may manage its webhooks.
fn org_for(
    c: &mut DbConnection,
    caller: &Principal,
    slug: &str,
) -> AppResult<crate::orgs::store::Org> {
    Ok(crate::orgs::service::access(c, caller, slug, OrgAction::ManageWebhooks)?.org)
}

fn audit_endpoint(
    c: &mut DbConnection,
    caller: &Principal,
    org_id: &str,
    action: &str,
    id: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        c,
        Entry {
            actor: &caller.actor(),
            org_id: Some(org_id),
            action,
            subject_type: "webhook_endpoint",
            subject_id: id,
            data,
        },
    )?;
    Ok(())
}

/// Why `url` may not be an endpoint, checked at registration and again at
/// each delivery: a scheme other than http(s), no host, a name that does
/// not resolve, or (unless allowed) any address it resolves to that is not
/// public. Answers the addresses to connect to.
pub async fn check_url(
    raw: &str,
    allow_private: bool,
) -> Result<(url::Url, Vec<SocketAddr>), String> {
    let url =
        url::Url::parse(raw).map_err(|_| "Give a full http:// or https:// address.".to_owned())?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("Give a full http:// or https:// address.".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Addresses with a user name or password are not accepted.".to_owned());
    }
    let host = url
        .host_str()
        .ok_or_else(|| "The address has no host.".to_owned())?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| format!("{host} does not resolve."))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(format!("{host} does not resolve."));
    }
    if !allow_private && addrs.iter().any(|a| !model::public_address(a.ip())) {
        return Err(
            "Webhook addresses must be public: loopback, private, link-local and metadata addresses are refused.".to_owned(),
        );
    }
    Ok((url, addrs))
}

fn check_events(events: &[String]) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        if !model::is_event(e) {
            return Err(AppError::field(
                "events",
                "unknown_event",
                format!("{e:?} is not an event; choose among {}.", EVENTS.join(", ")),
            ));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    if out.is_empty() {
        return Err(AppError::field(
            "events",
            "required",
            "Choose at least one event.",
        ));
    }
    Ok(out)
}

/// Registers an endpoint; its secret is answered this once.
pub async fn create(
    state: &AppState,
    caller: &Principal,
    slug: &str,
    input: EndpointInput,
) -> AppResult<CreatedEndpoint> {
    let events = check_events(&input.events)?;
    if input.url.len() > 2_000 {
        return Err(AppError::field(
            "url",
            "too_long",
            "Keep the address under 2,000 characters.",
        ));
    }
    let (url, _) = check_url(input.url.trim(), state.config.webhooks_allow_private)
        .await
        .map_err(|m| AppError::field("url", "url_refused", m))?;
    let secret = format!("whsec_{}", hex::encode(rand::random::<[u8; 24]>()));
    let (caller, slug, s) = (caller.clone(), slug.to_owned(), secret.clone());
    let e = state
        .tx(move |c| {
            let org = org_for(c, &caller, &slug)?;
            let by = match &caller {
                Principal::User(u) => u.user.id.clone(),
                Principal::Key(k) => k.key.created_by.clone(),
            };
            let e = store::insert_endpoint(c, &org.id, url.as_str(), &events, &s, &by, now())?;
            audit_endpoint(
                c,
                &caller,
                &org.id,
                "webhook.created",
                &e.id,
                serde_json::json!({ "url": e.url, "events": events }),
            )?;
            Ok(e)
        })
        .await?;
    Ok(CreatedEndpoint {
        endpoint: endpoint_view(e),
        secret,
    })
}

/// The organisation's name and endpoints, for its webhooks page.
pub async fn for_page(
    state: &AppState,
    caller: &Principal,
    slug: &str,
) -> AppResult<(String, EndpointList)> {
    let (caller, slug) = (caller.clone(), slug.to_owned());
    state
        .db(move |c| {
            let org = org_for(c, &caller, &slug)?;
            let data = store::endpoints_of(c, &org.id)?
                .into_iter()
                .map(endpoint_view)
                .collect();
            Ok((org.name, EndpointList { data }))
        })
        .await
}

/// An organisation's endpoints.
pub async fn list(state: &AppState, caller: &Principal, slug: &str) -> AppResult<EndpointList> {
    let (caller, slug) = (caller.clone(), slug.to_owned());
    state
        .db(move |c| {
            let org = org_for(c, &caller, &slug)?;
            Ok(EndpointList {
                data: store::endpoints_of(c, &org.id)?
                    .into_iter()
                    .map(endpoint_view)
                    .collect(),
            })
        })
        .await
}

/// The endpoint `id` of organisation `slug` (404 otherwise).
fn endpoint_of(
    c: &mut DbConnection,
    caller: &Principal,
    slug: &str,
    id: &str,
) -> AppResult<(crate::orgs::store::Org, Endpoint)> {
    let org = org_for(c, caller, slug)?;
    let e = store::find_endpoint(c, id)
        .ok()
        .filter(|e| e.org_id == org.id && e.removed_at.is_none())
        .ok_or(AppError::NotFound)?;
    Ok((org, e))
}

/// Turns an endpoint on (after fixing the receiver) or off.
pub async fn set_active(
    state: &AppState,
    caller: &Principal,
    slug: &str,
    id: &str,
    active: bool,
) -> AppResult<EndpointView> {
    let (caller, slug, id) = (caller.clone(), slug.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let (org, e) = endpoint_of(c, &caller, &slug, &id)?;
            if e.active != active {
                store::set_active(c, &e.id, active, (!active).then_some("Turned off by hand."))?;
                audit_endpoint(
                    c,
                    &caller,
                    &org.id,
                    if active {
                        "webhook.enabled"
                    } else {
                        "webhook.disabled"
                    },
                    &e.id,
                    serde_json::json!({}),
                )?;
            }
            Ok(endpoint_view(store::find_endpoint(c, &e.id)?))
        })
        .await
}

/// Removes an endpoint: nothing more is sent to it.
pub async fn remove(state: &AppState, caller: &Principal, slug: &str, id: &str) -> AppResult<()> {
    let (caller, slug, id) = (caller.clone(), slug.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let (org, e) = endpoint_of(c, &caller, &slug, &id)?;
            store::remove_endpoint(c, &e.id, now())?;
            audit_endpoint(
                c,
                &caller,
                &org.id,
                "webhook.removed",
                &e.id,
                serde_json::json!({}),
            )?;
            Ok(())
        })
        .await
}

/// An endpoint's latest deliveries with every attempt.
pub async fn deliveries(
    state: &AppState,
    caller: &Principal,
    slug: &str,
    id: &str,
) -> AppResult<DeliveryList> {
    let (caller, slug, id) = (caller.clone(), slug.to_owned(), id.to_owned());
    state
        .db(move |c| {
            let (_, e) = endpoint_of(c, &caller, &slug, &id)?;
            let mut data = Vec::new();
            for d in store::deliveries_of(c, &e.id, 50)? {
                let attempts = store::attempts_of(c, &d.id)?
                    .into_iter()
                    .map(attempt_view)
                    .collect();
                data.push(delivery_view(d, attempts));
            }
            Ok(DeliveryList { data })
        })
        .await
}

fn delivery_view(d: Delivery, attempts: Vec<AttemptView>) -> DeliveryView {
    DeliveryView {
        id: d.id,
        event_id: d.event_id,
        event_type: d.event_type,
        status: d.status,
        created_at: d.created_at,
        next_attempt_at: d.next_attempt_at,
        attempts,
    }
}

/// Sends a delivery again, as a new delivery of the same event (same
/// event id, so a receiver can tell it apart from a new event).
pub async fn redeliver(
    state: &AppState,
    caller: &Principal,
    slug: &str,
    id: &str,
    delivery_id: &str,
) -> AppResult<DeliveryView> {
    let (caller, slug, id, did) = (
        caller.clone(),
        slug.to_owned(),
        id.to_owned(),
        delivery_id.to_owned(),
    );
    let out = state
        .tx(move |c| {
            let (org, e) = endpoint_of(c, &caller, &slug, &id)?;
            let d = store::find_delivery(c, &did)
                .ok()
                .filter(|d| d.endpoint_id == e.id)
                .ok_or(AppError::NotFound)?;
            let new =
                store::insert_delivery(c, &e.id, &d.event_id, &d.event_type, &d.payload, now())?;
            audit_endpoint(
                c,
                &caller,
                &org.id,
                "webhook.redelivered",
                &e.id,
                serde_json::json!({ "delivery": d.id, "new_delivery": new }),
            )?;
            Ok(delivery_view(store::find_delivery(c, &new)?, Vec::new()))
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// A challenge as events name it.
pub fn challenge_ref(ch: &crate::challenges::store::Challenge) -> serde_json::Value {
    serde_json::json!({ "id": ch.id, "slug": ch.slug, "title": ch.title })
}

/// Emits `event_type` for organisation `org_id` with `data`: one delivery
/// per active endpoint that takes it, in the caller's transaction.
pub fn emit(
    c: &mut DbConnection,
    org_id: &str,
    event_type: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    let endpoints: Vec<Endpoint> = store::endpoints_of(c, org_id)?
        .into_iter()
        .filter(|e| e.active && e.event_list().iter().any(|x| x == event_type))
        .collect();
    if endpoints.is_empty() {
        return Ok(());
    }
    let at = now();
    let event_id = format!("evt_{}", crate::db::new_id());
    let payload = serde_json::json!({
        "id": event_id,
        "type": event_type,
        "created_at": at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": data,
    })
    .to_string();
    for e in endpoints {
        store::insert_delivery(c, &e.id, &event_id, event_type, &payload, at)?;
    }
    Ok(())
}

/// Delivers what is due at `at` (the worker's pass; tests pass a later
/// time to skip the backoff); returns how many were tried.
pub async fn deliver_due(state: &AppState, at: NaiveDateTime) -> AppResult<usize> {
    let claimed = state
        .db(move |c| {
            Ok(crate::db::bookkeeping_tx(c, |c| {
                store::claim_due(c, at, 20)
            })?)
        })
        .await?;
    let n = claimed.len();
    for d in claimed {
        deliver(state, d, at).await?;
    }
    Ok(n)
}

/// One attempt of one delivery.
async fn deliver(state: &AppState, d: Delivery, at: NaiveDateTime) -> AppResult<()> {
    let endpoint_id = d.endpoint_id.clone();
    let e = state
        .db(move |c| Ok(store::find_endpoint(c, &endpoint_id)?))
        .await?;
    let started = Instant::now();
    let outcome = send(state, &e, &d).await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (code, error, ok) = match outcome {
        Ok(code) => (Some(i32::from(code)), None, (200..300).contains(&code)),
        Err(err) => (None, Some(err), false),
    };
    let first = d.first_attempt_at.unwrap_or(at);
    let retry = if ok {
        None
    } else {
        model::next_attempt(d.attempts, first, at)
    };
    let st = state.clone();
    state
        .tx(move |c| {
            store::record_attempt(c, &d, code, error.as_deref(), duration_ms, ok, retry, at)?;
            if !ok && retry.is_none() {
                give_up(c, &st, &e, &d)?;
            }
            Ok(())
        })
        .await?;
    state.wake_worker();
    Ok(())
}

/// A delivery failed for three days: the endpoint is turned off and the
/// organisation's admins are told.
fn give_up(c: &mut DbConnection, st: &AppState, e: &Endpoint, d: &Delivery) -> AppResult<()> {
    let reason = format!("A delivery of {} failed for three days.", d.event_type);
    store::set_active(c, &e.id, false, Some(&reason))?;
    audit::record(
        c,
        Entry {
            actor: &Actor::default(),
            org_id: Some(&e.org_id),
            action: "webhook.disabled",
            subject_type: "webhook_endpoint",
            subject_id: &e.id,
            data: serde_json::json!({ "delivery": d.id, "reason": reason }),
        },
    )?;
    let org = crate::orgs::store::find_by_id(c, &e.org_id)?;
    for m in crate::orgs::store::list_members(c, &e.org_id)? {
        if m.role < crate::orgs::model::Role::Admin {
            continue;
        }
        let user = crate::auth::store::find_user(c, &m.user_id)?;
        crate::notify::queue_for_user(
            c,
            &user,
            &crate::notify::mail::EmailKind::WebhookDisabled {
                org: org.name.clone(),
                url: e.url.clone(),
                link: st.url(&format!("/orgs/{}/webhooks", org.slug)),
            },
        )?;
    }
    Ok(())
}

/// Posts a delivery, signed; the address is checked again and the
/// connection pinned to the checked addresses (no DNS rebinding).
async fn send(state: &AppState, e: &Endpoint, d: &Delivery) -> Result<u16, String> {
    let (url, addrs) = check_url(&e.url, state.config.webhooks_allow_private).await?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let mut builder = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none());
    if host.parse::<IpAddr>().is_err() {
        builder = builder.resolve_to_addrs(&host, &addrs);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let t = now().and_utc().timestamp();
    let r = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "Tribu-Webhooks/1")
        .header("tribu-event", &d.event_type)
        .header("tribu-delivery", &d.id)
        .header(
            "tribu-signature",
            model::signature(&e.secret, t, &d.payload),
        )
        .body(d.payload.clone())
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "timed out after 10 s".to_owned()
            } else if e.is_connect() {
                "could not connect".to_owned()
            } else {
                "request failed".to_owned()
            }
        })?;
    Ok(r.status().as_u16())
}
