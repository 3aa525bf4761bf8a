//! A Stripe double: a small fake of the parts of Stripe's HTTP API that
//! Tribu uses (Checkout, Connect accounts and onboarding links, transfers,
//! refunds, webhooks), served on 127.0.0.1 so that the Stripe adapter can be
//! tested over real HTTP with the real async-stripe client.
//!
//! No emulator covers Connect, so this one is written by hand. It keeps its
//! objects as JSON shaped like Stripe's for API version `2026-09-30.endive`
//! (every field async-stripe requires is present), and adds test controls:
//! simulated customer actions (paying a Checkout Session, finishing Connect
//! onboarding), fault injection, and control over webhook delivery order.
//!
//! The server runs on its own thread with its own actix `System`, so it works
//! the same from `#[tokio::test]` and `#[actix_web::test]`, and keeps
//! answering while a test blocks on it. Webhooks are sent from that thread
//! too. Shared state sits behind one mutex that is never held across an
//! `.await`.

#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::rt::System;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use hmac::{Hmac, Mac};
use rand::distr::Alphanumeric;
use rand::Rng;
use serde_json::{json, Map, Value};
use sha2::Sha256;

/// The only API key the double accepts (`Authorization: Bearer …`).
pub const SECRET_KEY: &str = "sk_test_tribudouble0000000000000000";

/// The API version the double renders objects for: the one async-stripe
/// 1.0.0-rc.10 is generated from (`async-stripe-shared`'s `version.rs`).
pub const API_VERSION: &str = "2026-09-30.endive";

/// A fault the double injects into the next matching requests
/// (see [`StripeDouble::inject_fault`]).
#[derive(Clone, Debug)]
pub enum Fault {
    /// HTTP 500 `api_error` before the request does anything. Not stored
    /// for idempotency, so a retry with the same key runs for real.
    ServerError,
    /// HTTP 429 `rate_limit` with `Retry-After: retry_after` (seconds),
    /// before the request does anything.
    RateLimited {
        /// Seconds sent in `Retry-After`.
        retry_after: u64,
    },
    /// The answer comes `delay` late, after the client has given up.
    /// `applied: true` runs the request first (its result is stored for
    /// idempotency, like a response lost on the way back); `applied: false`
    /// never runs it and answers 500 after the delay.
    Timeout {
        /// How long the double waits before answering.
        delay: Duration,
        /// Whether the request took effect before the delay.
        applied: bool,
    },
    /// `POST /v1/transfers` is refused with 400 `balance_insufficient`.
    BalanceInsufficient,
    /// `POST /v1/refunds` creates the refund `pending`; the test then
    /// settles it with [`StripeDouble::fail_refund`] or
    /// [`StripeDouble::succeed_refund`].
    RefundPending,
}

impl Fault {
    /// Faults of the transport or the platform, applied before idempotency
    /// and routing; the others are business outcomes of one endpoint.
    fn is_infrastructure(&self) -> bool {
        matches!(
            self,
            Fault::ServerError | Fault::RateLimited { .. } | Fault::Timeout { .. }
        )
    }
}

/// The order in which [`StripeDouble::release_events`] sends held events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Oldest first, as they were created.
    AsIs,
    /// Newest first: Stripe does not guarantee delivery order.
    Reversed,
}

/// One attempt to deliver an event to the configured webhook URL.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The event's id (`evt_…`).
    pub event_id: String,
    /// The event's type (`checkout.session.completed`, …).
    pub event_type: String,
    /// The HTTP status the receiver answered, `None` if it could not be
    /// reached.
    pub status: Option<u16>,
    /// Why the delivery failed to get an answer, if it did.
    pub error: Option<String>,
}

/// One request the double received, as it saw it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path without the query, e.g. `/v1/transfers`.
    pub path: String,
    /// Decoded form or query parameters, bracket keys kept flat
    /// (`metadata[challenge_id]`).
    pub params: Vec<(String, String)>,
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
    /// The `Stripe-Account` header.
    pub stripe_account: Option<String>,
    /// The status the double answered.
    pub status: u16,
    /// Whether the answer was an idempotent replay.
    pub replayed: bool,
}

/// A running Stripe double. Stops when dropped (or with [`Self::stop`]).
pub struct StripeDouble {
    shared: Shared,
    server: Option<ServerHandle>,
    url: String,
}

impl StripeDouble {
    /// Starts the double on a free port of 127.0.0.1.
    ///
    /// # Panics
    /// If no port can be bound or the server thread cannot start.
    pub async fn start() -> StripeDouble {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let url = format!("http://127.0.0.1:{port}");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let base = url.clone();
        std::thread::Builder::new()
            .name("stripe-double".into())
            .spawn(move || {
                // Its own System: the double keeps serving while the test's
                // runtime is busy or blocked, whatever that runtime is.
                System::new().block_on(async move {
                    let shared = Shared::new(base, System::current());
                    let data = web::Data::new(shared.clone());
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            .app_data(web::PayloadConfig::new(1 << 20))
                            .default_service(web::to(entry))
                    })
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(0)
                    .listen(listener)
                    .expect("listen")
                    .run();
                    let _ = tx.send((shared, server.handle()));
                    let _ = server.await;
                });
            })
            .expect("spawn the stripe double thread");
        let (shared, handle) = rx.await.expect("the stripe double started");
        StripeDouble {
            shared,
            server: Some(handle),
            url,
        }
    }

    /// The base URL to give a Stripe client (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// A real async-stripe client pointed at the double, with its key.
    pub fn client(&self) -> stripe::Client {
        stripe::ClientBuilder::new(SECRET_KEY)
            .url(self.url())
            .build()
            .expect("a Stripe client for the double")
    }

    /// Stops the server and waits until it has stopped.
    pub async fn stop(mut self) {
        if let Some(handle) = self.server.take() {
            handle.stop(false).await;
        }
    }

    /// Sends events to `url`: platform events signed with
    /// `platform_secret`, Connect events (those with `account`) with
    /// `connect_secret`, like two Stripe webhook endpoints on one URL.
    pub fn set_webhook(&self, url: &str, platform_secret: &str, connect_secret: &str) {
        self.shared.lock().webhook = Some(WebhookConfig {
            url: url.to_owned(),
            platform_secret: platform_secret.to_owned(),
            connect_secret: connect_secret.to_owned(),
        });
    }

    // ----- simulated customer and Stripe actions -----

    /// The customer pays the open Checkout Session by card: it becomes
    /// `complete`/`paid`, a succeeded PaymentIntent and Charge are created,
    /// and `checkout.session.completed` is delivered (awaited) unless events
    /// are held. Returns the session.
    ///
    /// # Panics
    /// If the session does not exist or is not open.
    pub async fn pay_checkout(&self, session_id: &str) -> Value {
        let (session, events) = {
            let mut st = self.shared.lock();
            let events = st.pay(session_id, false).unwrap_or_else(|e| panic!("{e}"));
            (st.session(session_id), events)
        };
        self.shared.dispatch(events).await;
        session
    }

    /// The customer pays with a delayed method (SEPA debit, …) and the
    /// payment later succeeds: first `complete`/`unpaid` with
    /// `checkout.session.completed`, then `paid` with
    /// `checkout.session.async_payment_succeeded`. Returns the session.
    ///
    /// # Panics
    /// If the session does not exist or is not open.
    pub async fn pay_checkout_async(&self, session_id: &str) -> Value {
        self.begin_async_payment(session_id).await;
        self.settle_async_payment(session_id, true).await
    }

    /// First half of [`Self::pay_checkout_async`]: the session completes
    /// unpaid, its PaymentIntent `processing`, its Charge `pending`.
    ///
    /// # Panics
    /// If the session does not exist or is not open.
    pub async fn begin_async_payment(&self, session_id: &str) -> Value {
        let (session, events) = {
            let mut st = self.shared.lock();
            let events = st.pay(session_id, true).unwrap_or_else(|e| panic!("{e}"));
            (st.session(session_id), events)
        };
        self.shared.dispatch(events).await;
        session
    }

    /// Second half: the delayed payment succeeds
    /// (`checkout.session.async_payment_succeeded`) or fails
    /// (`checkout.session.async_payment_failed`, the charge `failed`).
    ///
    /// # Panics
    /// If the session is not waiting for a delayed payment.
    pub async fn settle_async_payment(&self, session_id: &str, succeeded: bool) -> Value {
        let (session, events) = {
            let mut st = self.shared.lock();
            let events = st
                .settle(session_id, succeeded)
                .unwrap_or_else(|e| panic!("{e}"));
            (st.session(session_id), events)
        };
        self.shared.dispatch(events).await;
        session
    }

    /// The open session expires (`checkout.session.expired`).
    ///
    /// # Panics
    /// If the session does not exist or is not open.
    pub async fn expire_checkout(&self, session_id: &str) -> Value {
        let (session, events) = {
            let mut st = self.shared.lock();
            let events = st.expire(session_id).unwrap_or_else(|e| panic!("{e}"));
            (st.session(session_id), events)
        };
        self.shared.dispatch(events).await;
        session
    }

    /// The account holder finishes Express onboarding: charges and payouts
    /// enabled, details submitted, requested capabilities `active`,
    /// requirements empty; `account.updated` (a Connect event) is delivered.
    /// Returns the account.
    ///
    /// # Panics
    /// If the account does not exist.
    pub async fn complete_onboarding(&self, account_id: &str) -> Value {
        let (account, events) = {
            let mut st = self.shared.lock();
            let events = st
                .complete_onboarding(account_id)
                .unwrap_or_else(|e| panic!("{e}"));
            (st.account(account_id), events)
        };
        self.shared.dispatch(events).await;
        account
    }

    /// Stripe restricts the account (new requirements past due): payouts
    /// and charges disabled, the transfers capability `inactive`;
    /// `account.updated` is delivered. Returns the account.
    ///
    /// # Panics
    /// If the account does not exist.
    pub async fn restrict_account(&self, account_id: &str) -> Value {
        let (account, events) = {
            let mut st = self.shared.lock();
            let events = st.restrict(account_id).unwrap_or_else(|e| panic!("{e}"));
            (st.account(account_id), events)
        };
        self.shared.dispatch(events).await;
        account
    }

    /// A `pending` refund fails: `failed`, the amount refundable again,
    /// `refund.updated` then `refund.failed` delivered. Returns the refund.
    ///
    /// # Panics
    /// If the refund does not exist or is not pending.
    pub async fn fail_refund(&self, refund_id: &str) -> Value {
        self.settle_refund(refund_id, false).await
    }

    /// A `pending` refund succeeds (`refund.updated`). Returns the refund.
    ///
    /// # Panics
    /// If the refund does not exist or is not pending.
    pub async fn succeed_refund(&self, refund_id: &str) -> Value {
        self.settle_refund(refund_id, true).await
    }

    async fn settle_refund(&self, refund_id: &str, succeeded: bool) -> Value {
        let (refund, events) = {
            let mut st = self.shared.lock();
            let events = st
                .settle_refund(refund_id, succeeded)
                .unwrap_or_else(|e| panic!("{e}"));
            let refund = find(&st.refunds, refund_id).cloned().unwrap_or(Value::Null);
            (refund, events)
        };
        self.shared.dispatch(events).await;
        refund
    }

    /// Creates a transfer the app never asked for (someone used the
    /// Dashboard, say), with its `transfer.created` event. Returns it.
    pub async fn insert_transfer_out_of_band(
        &self,
        destination: &str,
        amount: i64,
        currency: &str,
        transfer_group: Option<&str>,
    ) -> Value {
        let (transfer, events) = {
            let mut st = self.shared.lock();
            let transfer = transfer_object(TransferFields {
                id: new_id("tr_1", 23),
                amount,
                currency: currency.to_owned(),
                destination: destination.to_owned(),
                source_transaction: None,
                transfer_group: transfer_group.map(str::to_owned),
                description: Some("Dashboard transfer".to_owned()),
                metadata: Map::new(),
            });
            st.transfers.push(transfer.clone());
            let events: Vec<String> = st
                .new_event("transfer.created", transfer.clone(), None, None, None)
                .into_iter()
                .collect();
            (transfer, events)
        };
        self.shared.dispatch(events).await;
        transfer
    }

    // ----- what happened -----

    /// The PaymentIntent of a paid (or paying) session.
    pub fn payment_intent_of(&self, session_id: &str) -> Option<String> {
        let st = self.shared.lock();
        find(&st.sessions, session_id)
            .and_then(|s| s["payment_intent"].as_str())
            .map(str::to_owned)
    }

    /// The Charge of a paid (or paying) session.
    pub fn charge_of(&self, session_id: &str) -> Option<String> {
        let st = self.shared.lock();
        let pi = find(&st.sessions, session_id).and_then(|s| s["payment_intent"].as_str())?;
        find(&st.payment_intents, pi)
            .and_then(|p| p["latest_charge"].as_str())
            .map(str::to_owned)
    }

    /// How many requests (replays and refusals included) had this method
    /// and a path starting with `path_prefix`.
    pub fn calls(&self, method: &str, path_prefix: &str) -> usize {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.starts_with(path_prefix))
            .count()
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Checkout Sessions, oldest first.
    pub fn sessions(&self) -> Vec<Value> {
        self.shared.lock().sessions.clone()
    }

    /// Connected accounts, oldest first.
    pub fn accounts(&self) -> Vec<Value> {
        self.shared.lock().accounts.clone()
    }

    /// Transfers (out-of-band ones included), oldest first.
    pub fn transfers(&self) -> Vec<Value> {
        self.shared.lock().transfers.clone()
    }

    /// Refunds, oldest first.
    pub fn refunds(&self) -> Vec<Value> {
        self.shared.lock().refunds.clone()
    }

    /// Charges, oldest first.
    pub fn charges(&self) -> Vec<Value> {
        self.shared.lock().charges.clone()
    }

    /// PaymentIntents, oldest first.
    pub fn payment_intents(&self) -> Vec<Value> {
        self.shared.lock().payment_intents.clone()
    }

    /// Every event created (held or sent), oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.shared.lock().events.clone()
    }

    /// Every delivery attempt, in the order they finished.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.lock().deliveries.clone()
    }

    /// Waits until no delivery is under way (events triggered by API calls
    /// are sent in the background, like Stripe's).
    ///
    /// # Panics
    /// After 10 s.
    pub async fn wait_for_deliveries(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.shared.inflight.load(Ordering::SeqCst) > 0 {
            assert!(
                Instant::now() < deadline,
                "webhook deliveries still under way after 10 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    // ----- faults -----

    /// Makes the next `times` requests with this method and a path starting
    /// with `path_prefix` fail with `fault`.
    pub fn inject_fault(&self, method: &str, path_prefix: &str, fault: Fault, times: usize) {
        self.shared.lock().faults.push(FaultRule {
            method: method.to_ascii_uppercase(),
            prefix: path_prefix.to_owned(),
            fault,
            remaining: times,
        });
    }

    /// Forgets every fault not yet used.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// While `true`, events are queued instead of sent; see
    /// [`Self::release_events`]. Turning it off sends nothing by itself.
    pub fn hold_events(&self, hold: bool) {
        self.shared.lock().hold = hold;
    }

    /// The events queued while held, oldest first.
    pub fn held_events(&self) -> Vec<Value> {
        let st = self.shared.lock();
        st.held
            .iter()
            .filter_map(|id| find(&st.events, id).cloned())
            .collect()
    }

    /// Sends the held events in `order`, each `times_each` times in a row
    /// (Stripe may deliver an event more than once), and empties the queue.
    pub async fn release_events(&self, order: Order, times_each: usize) {
        let mut held = std::mem::take(&mut self.shared.lock().held);
        if order == Order::Reversed {
            held.reverse();
        }
        let ids = held
            .into_iter()
            .flat_map(|id| std::iter::repeat_n(id, times_each))
            .collect();
        self.shared.dispatch(ids).await;
    }

    /// Sends an event again, as a Stripe retry or a Dashboard "resend" would.
    pub async fn redeliver(&self, event_id: &str) {
        self.shared.dispatch(vec![event_id.to_owned()]).await;
    }
}

impl Drop for StripeDouble {
    fn drop(&mut self) {
        if let Some(handle) = self.server.take() {
            // The stop command is sent at once; the thread ends by itself.
            drop(handle.stop(false));
        }
    }
}

// ===== shared state and webhook delivery =====

struct WebhookConfig {
    url: String,
    platform_secret: String,
    connect_secret: String,
}

struct FaultRule {
    method: String,
    prefix: String,
    fault: Fault,
    remaining: usize,
}

/// What an idempotency key is bound to, and the answer to replay.
struct Saved {
    method: String,
    path: String,
    params: Vec<(String, String)>,
    status: u16,
    body: String,
    request_id: String,
}

#[derive(Clone)]
struct Shared {
    state: Arc<Mutex<State>>,
    http: reqwest::Client,
    system: System,
    inflight: Arc<AtomicUsize>,
}

impl Shared {
    fn new(base_url: String, system: System) -> Shared {
        Shared {
            state: Arc::new(Mutex::new(State::new(base_url))),
            // No pooled connections: each delivery is independent, and no
            // connection outlives a test's receiver.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a webhook client"),
            system,
            inflight: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not turn every later call into a
        // second, confusing panic.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends events one after the other on the double's own thread; the
    /// returned future resolves when they have all been tried, and may be
    /// dropped to let them go on in the background.
    fn dispatch(&self, ids: Vec<String>) -> impl std::future::Future<Output = ()> {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        if ids.is_empty() {
            let _ = tx.send(());
        } else {
            let this = self.clone();
            this.inflight.fetch_add(1, Ordering::SeqCst);
            let spawned = self.system.arbiter().spawn(async move {
                for id in ids {
                    this.deliver(&id).await;
                }
                this.inflight.fetch_sub(1, Ordering::SeqCst);
                let _ = tx.send(());
            });
            if !spawned {
                self.inflight.fetch_sub(1, Ordering::SeqCst);
            }
        }
        async move {
            let _ = rx.await;
        }
    }

    async fn deliver(&self, event_id: &str) {
        let (url, secret, body, event_type) = {
            let st = self.lock();
            let (Some(hook), Some(event)) = (&st.webhook, find(&st.events, event_id)) else {
                return;
            };
            let secret = if event.get("account").is_some_and(Value::is_string) {
                &hook.connect_secret
            } else {
                &hook.platform_secret
            };
            (
                hook.url.clone(),
                secret.clone(),
                event.to_string(),
                event["type"].as_str().unwrap_or_default().to_owned(),
            )
        };
        let header = signature_header(&body, &secret, now());
        let result = self
            .http
            .post(&url)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("Stripe-Signature", header)
            .body(body)
            .send()
            .await;
        let (status, error) = match result {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        self.lock().deliveries.push(Delivery {
            event_id: event_id.to_owned(),
            event_type,
            status,
            error,
        });
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, Stripe's
/// webhook signature header.
fn signature_header(body: &str, secret: &str, timestamp: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// `prefix` and `len` random letters and digits, like Stripe's ids.
fn new_id(prefix: &str, len: usize) -> String {
    let tail: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

fn find<'a>(objects: &'a [Value], id: &str) -> Option<&'a Value> {
    objects.iter().find(|o| o["id"] == id)
}

fn find_mut<'a>(objects: &'a mut [Value], id: &str) -> Option<&'a mut Value> {
    objects.iter_mut().find(|o| o["id"] == id)
}

struct AccountLinkRecord {
    account: String,
    kind: String,
    refresh_url: String,
    return_url: String,
    expires_at: i64,
}

struct State {
    base_url: String,
    requests: Vec<RecordedRequest>,
    sessions: Vec<Value>,
    /// `payment_intent_data` of each session, applied to its PaymentIntent.
    session_pi_data: HashMap<String, Value>,
    payment_intents: Vec<Value>,
    charges: Vec<Value>,
    accounts: Vec<Value>,
    account_links: HashMap<String, AccountLinkRecord>,
    transfers: Vec<Value>,
    refunds: Vec<Value>,
    events: Vec<Value>,
    idempotency: HashMap<(Option<String>, String), Saved>,
    faults: Vec<FaultRule>,
    webhook: Option<WebhookConfig>,
    hold: bool,
    held: Vec<String>,
    deliveries: Vec<Delivery>,
}

impl State {
    fn new(base_url: String) -> State {
        State {
            base_url,
            requests: Vec::new(),
            sessions: Vec::new(),
            session_pi_data: HashMap::new(),
            payment_intents: Vec::new(),
            charges: Vec::new(),
            accounts: Vec::new(),
            account_links: HashMap::new(),
            transfers: Vec::new(),
            refunds: Vec::new(),
            events: Vec::new(),
            idempotency: HashMap::new(),
            faults: Vec::new(),
            webhook: None,
            hold: false,
            held: Vec::new(),
            deliveries: Vec::new(),
        }
    }

    fn take_fault(&mut self, method: &str, path: &str, infrastructure: bool) -> Option<Fault> {
        let rule = self.faults.iter_mut().find(|r| {
            r.remaining > 0
                && r.method.eq_ignore_ascii_case(method)
                && path.starts_with(&r.prefix)
                && r.fault.is_infrastructure() == infrastructure
        })?;
        rule.remaining -= 1;
        let fault = rule.fault.clone();
        self.faults.retain(|r| r.remaining > 0);
        Some(fault)
    }

    /// Records an event; returns its id if it is to be sent now (not held
    /// back by [`StripeDouble::hold_events`]).
    fn new_event(
        &mut self,
        event_type: &str,
        object: Value,
        account: Option<&str>,
        request: Option<&Ctx>,
        previous_attributes: Option<Value>,
    ) -> Option<String> {
        let id = new_id("evt_1", 24);
        let mut data = json!({ "object": object });
        if let Some(previous) = previous_attributes {
            data["previous_attributes"] = previous;
        }
        let mut event = json!({
            "id": id,
            "object": "event",
            "api_version": API_VERSION,
            "created": now(),
            "data": data,
            "livemode": false,
            "pending_webhooks": 1,
            "request": {
                "id": request.map(|c| c.request_id.clone()),
                "idempotency_key": request.and_then(|c| c.idempotency_key.clone()),
            },
            "type": event_type,
        });
        if let Some(account) = account {
            event["account"] = json!(account);
        }
        self.events.push(event);
        if self.hold {
            self.held.push(id);
            None
        } else {
            Some(id)
        }
    }

    fn session(&self, id: &str) -> Value {
        find(&self.sessions, id).cloned().unwrap_or(Value::Null)
    }

    fn account(&self, id: &str) -> Value {
        find(&self.accounts, id).cloned().unwrap_or(Value::Null)
    }

    /// The customer pays; `delayed` for a method that settles later.
    fn pay(&mut self, session_id: &str, delayed: bool) -> Result<Vec<String>, String> {
        let session = find(&self.sessions, session_id)
            .ok_or_else(|| format!("no such checkout session: {session_id}"))?
            .clone();
        if session["status"] != "open" {
            return Err(format!(
                "checkout session {session_id} is {}, not open",
                session["status"]
            ));
        }
        let amount = session["amount_total"].as_i64().unwrap_or_default();
        let currency = session["currency"].clone();
        let pi_data = self
            .session_pi_data
            .get(session_id)
            .cloned()
            .unwrap_or_else(|| json!({}));
        let created = now();
        let pi_id = new_id("pi_3", 24);
        let charge_id = new_id("ch_3", 24);
        let metadata = pi_data
            .get("metadata")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let transfer_group = pi_data
            .get("transfer_group")
            .cloned()
            .unwrap_or(Value::Null);
        let description = pi_data.get("description").cloned().unwrap_or(Value::Null);
        self.payment_intents.push(json!({
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": if delayed { 0 } else { amount },
            "capture_method": "automatic_async",
            "client_secret": null,
            "confirmation_method": "automatic",
            "created": created,
            "currency": currency,
            "customer": null,
            "description": description,
            "latest_charge": charge_id,
            "livemode": false,
            "metadata": metadata,
            "payment_method": new_id("pm_1", 24),
            "payment_method_types": [if delayed { "sepa_debit" } else { "card" }],
            "status": if delayed { "processing" } else { "succeeded" },
            "transfer_group": transfer_group,
        }));
        self.charges.push(json!({
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "balance_transaction": new_id("txn_3", 24),
            "billing_details": {
                "address": null, "email": "customer@example.test",
                "name": "Test Customer", "phone": null, "tax_id": null,
            },
            "captured": true,
            "created": created,
            "currency": currency,
            "description": description,
            "disputed": false,
            "failure_code": null,
            "failure_message": null,
            "livemode": false,
            "metadata": {},
            "paid": !delayed,
            "payment_intent": pi_id,
            "refunded": false,
            "status": if delayed { "pending" } else { "succeeded" },
            "transfer_group": transfer_group,
        }));
        let s = find_mut(&mut self.sessions, session_id).expect("found above");
        s["status"] = json!("complete");
        s["payment_status"] = json!(if delayed { "unpaid" } else { "paid" });
        s["payment_intent"] = json!(pi_id);
        s["url"] = Value::Null;
        let email = s["customer_email"]
            .as_str()
            .unwrap_or("customer@example.test")
            .to_owned();
        s["customer_details"] = json!({
            "address": null, "email": email, "name": "Test Customer",
            "phone": null, "tax_exempt": "none", "tax_ids": [],
        });
        let snapshot = s.clone();
        Ok(self
            .new_event("checkout.session.completed", snapshot, None, None, None)
            .into_iter()
            .collect())
    }

    fn settle(&mut self, session_id: &str, succeeded: bool) -> Result<Vec<String>, String> {
        let session = find(&self.sessions, session_id)
            .ok_or_else(|| format!("no such checkout session: {session_id}"))?;
        let pi_id = session["payment_intent"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let pending = session["status"] == "complete"
            && session["payment_status"] == "unpaid"
            && find(&self.payment_intents, &pi_id).is_some_and(|p| p["status"] == "processing");
        if !pending {
            return Err(format!(
                "checkout session {session_id} is not waiting for a delayed payment"
            ));
        }
        let pi = find_mut(&mut self.payment_intents, &pi_id).expect("checked above");
        let charge_id = pi["latest_charge"].as_str().unwrap_or_default().to_owned();
        if succeeded {
            pi["status"] = json!("succeeded");
            pi["amount_received"] = pi["amount"].clone();
        } else {
            pi["status"] = json!("requires_payment_method");
        }
        if let Some(charge) = find_mut(&mut self.charges, &charge_id) {
            charge["status"] = json!(if succeeded { "succeeded" } else { "failed" });
            charge["paid"] = json!(succeeded);
            if !succeeded {
                charge["failure_code"] = json!("insufficient_funds");
                charge["failure_message"] = json!("The account has insufficient funds.");
            }
        }
        let s = find_mut(&mut self.sessions, session_id).expect("found above");
        if succeeded {
            s["payment_status"] = json!("paid");
        }
        let snapshot = s.clone();
        let event_type = if succeeded {
            "checkout.session.async_payment_succeeded"
        } else {
            "checkout.session.async_payment_failed"
        };
        Ok(self
            .new_event(event_type, snapshot, None, None, None)
            .into_iter()
            .collect())
    }

    fn expire(&mut self, session_id: &str) -> Result<Vec<String>, String> {
        let s = find_mut(&mut self.sessions, session_id)
            .ok_or_else(|| format!("no such checkout session: {session_id}"))?;
        if s["status"] != "open" {
            return Err(format!("checkout session {session_id} is not open"));
        }
        s["status"] = json!("expired");
        s["url"] = Value::Null;
        let snapshot = s.clone();
        Ok(self
            .new_event("checkout.session.expired", snapshot, None, None, None)
            .into_iter()
            .collect())
    }

    fn complete_onboarding(&mut self, account_id: &str) -> Result<Vec<String>, String> {
        let a = find_mut(&mut self.accounts, account_id)
            .ok_or_else(|| format!("no such account: {account_id}"))?;
        let previous = json!({
            "capabilities": a["capabilities"].clone(),
            "charges_enabled": a["charges_enabled"].clone(),
            "details_submitted": a["details_submitted"].clone(),
            "payouts_enabled": a["payouts_enabled"].clone(),
            "requirements": a["requirements"].clone(),
        });
        if let Some(caps) = a["capabilities"].as_object_mut() {
            for status in caps.values_mut() {
                *status = json!("active");
            }
        }
        a["charges_enabled"] = json!(true);
        a["payouts_enabled"] = json!(true);
        a["details_submitted"] = json!(true);
        a["requirements"] = requirements(&[], None);
        a["future_requirements"] = requirements(&[], None);
        let snapshot = a.clone();
        Ok(self
            .new_event(
                "account.updated",
                snapshot,
                Some(account_id),
                None,
                Some(previous),
            )
            .into_iter()
            .collect())
    }

    fn restrict(&mut self, account_id: &str) -> Result<Vec<String>, String> {
        let a = find_mut(&mut self.accounts, account_id)
            .ok_or_else(|| format!("no such account: {account_id}"))?;
        let previous = json!({
            "capabilities": a["capabilities"].clone(),
            "charges_enabled": a["charges_enabled"].clone(),
            "payouts_enabled": a["payouts_enabled"].clone(),
            "requirements": a["requirements"].clone(),
        });
        if let Some(caps) = a["capabilities"].as_object_mut() {
            for status in caps.values_mut() {
                *status = json!("inactive");
            }
        }
        a["charges_enabled"] = json!(false);
        a["payouts_enabled"] = json!(false);
        a["requirements"] = requirements(
            &["individual.verification.document"],
            Some("requirements.past_due"),
        );
        let snapshot = a.clone();
        Ok(self
            .new_event(
                "account.updated",
                snapshot,
                Some(account_id),
                None,
                Some(previous),
            )
            .into_iter()
            .collect())
    }

    fn settle_refund(&mut self, refund_id: &str, succeeded: bool) -> Result<Vec<String>, String> {
        let r = find_mut(&mut self.refunds, refund_id)
            .ok_or_else(|| format!("no such refund: {refund_id}"))?;
        if r["status"] != "pending" {
            return Err(format!(
                "refund {refund_id} is {}, not pending",
                r["status"]
            ));
        }
        r["status"] = json!(if succeeded { "succeeded" } else { "failed" });
        if !succeeded {
            r["failure_reason"] = json!("expired_or_canceled_card");
            r["failure_balance_transaction"] = json!(new_id("txn_3", 24));
        }
        let snapshot = r.clone();
        let amount = snapshot["amount"].as_i64().unwrap_or_default();
        if !succeeded {
            // The money never left: it can be refunded again.
            let charge_id = snapshot["charge"].as_str().unwrap_or_default();
            if let Some(charge) = find_mut(&mut self.charges, charge_id) {
                let refunded = charge["amount_refunded"].as_i64().unwrap_or_default() - amount;
                charge["amount_refunded"] = json!(refunded);
                charge["refunded"] = json!(false);
            }
        }
        let previous = json!({ "status": "pending" });
        let mut events: Vec<String> = self
            .new_event(
                "refund.updated",
                snapshot.clone(),
                None,
                None,
                Some(previous),
            )
            .into_iter()
            .collect();
        if !succeeded {
            events.extend(self.new_event("refund.failed", snapshot, None, None, None));
        }
        Ok(events)
    }

    /// What is left of a charge for transfers that name it as
    /// `source_transaction`.
    fn transferable(&self, charge: &Value) -> i64 {
        let id = charge["id"].as_str().unwrap_or_default();
        let used: i64 = self
            .transfers
            .iter()
            .filter(|t| t["source_transaction"] == id)
            .map(|t| {
                t["amount"].as_i64().unwrap_or_default()
                    - t["amount_reversed"].as_i64().unwrap_or_default()
            })
            .sum();
        charge["amount"].as_i64().unwrap_or_default() - used
    }
}

// ===== HTTP =====

/// What a handler knows of its request.
struct Ctx {
    method: String,
    path: String,
    params: Params,
    request_id: String,
    idempotency_key: Option<String>,
    /// A business fault for this request (balance, pending refund).
    fault: Option<Fault>,
}

/// A handler's answer.
struct Reply {
    status: u16,
    body: Value,
    /// Whether the answer is stored for idempotency: Stripe stores the
    /// result of every request that started executing, not those refused
    /// by parameter validation.
    store: bool,
}

impl Reply {
    fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            body,
            store: true,
        }
    }
}

type Answer = Result<Reply, Reply>;

/// A Stripe error body: `{"error": {type, code?, message, param?}}`.
fn error_body(kind: &str, code: Option<&str>, message: &str, param: Option<&str>) -> Value {
    let mut error = json!({ "type": kind, "message": message });
    if let Some(code) = code {
        error["code"] = json!(code);
        error["doc_url"] = json!(format!("https://docs.stripe.com/error-codes/{code}"));
    }
    if let Some(param) = param {
        error["param"] = json!(param);
    }
    json!({ "error": error })
}

/// A refusal by validation: 400, not stored for idempotency.
fn invalid(code: Option<&str>, message: &str, param: Option<&str>) -> Reply {
    Reply {
        status: 400,
        body: error_body("invalid_request_error", code, message, param),
        store: false,
    }
}

/// A refusal once the request ran (funds, state): stored for idempotency.
fn refused(code: &str, message: &str, param: Option<&str>) -> Reply {
    Reply {
        status: 400,
        body: error_body("invalid_request_error", Some(code), message, param),
        store: true,
    }
}

fn missing(param: &str) -> Reply {
    invalid(
        Some("parameter_missing"),
        &format!("Missing required param: {param}."),
        Some(param),
    )
}

fn no_such(kind: &str, id: &str, param: &str, status: u16) -> Reply {
    Reply {
        status,
        body: error_body(
            "invalid_request_error",
            Some("resource_missing"),
            &format!("No such {kind}: '{id}'"),
            Some(param),
        ),
        store: status != 404,
    }
}

fn json_response(status: u16, request_id: &str) -> actix_web::HttpResponseBuilder {
    let mut builder =
        HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST));
    builder
        .insert_header(("Content-Type", "application/json"))
        .insert_header(("Request-Id", request_id.to_owned()))
        .insert_header(("Stripe-Version", API_VERSION));
    builder
}

/// A key as Stripe echoes it in errors: its start and last four characters.
fn masked(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let head: String = chars.iter().take(8).collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("{head}****{tail}")
}

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Every request comes here; the routes are few enough to match by hand.
async fn entry(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let method = req.method().as_str().to_owned();
    let path = req.path().to_owned();
    let request_id = new_id("req_", 14);
    let idempotency_key = header(&req, "Idempotency-Key");
    let stripe_account = header(&req, "Stripe-Account");
    let raw: &[u8] = if method == "POST" {
        &body
    } else {
        req.query_string().as_bytes()
    };
    let params = serde_urlencoded::from_bytes::<Vec<(String, String)>>(raw).ok();
    let mut record = RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        params: params.clone().unwrap_or_default(),
        idempotency_key: idempotency_key.clone(),
        stripe_account: stripe_account.clone(),
        status: 0,
        replayed: false,
    };
    let log = |shared: &Shared, mut record: RecordedRequest, status: u16| {
        record.status = status;
        shared.lock().requests.push(record);
    };

    // The pages a browser would see: hosted Checkout and hosted onboarding.
    if method == "GET" && (path.starts_with("/c/pay/") || path.starts_with("/connect/onboard/")) {
        let response = page(&shared, &path).await;
        log(&shared, record, response.status().as_u16());
        return response;
    }

    let expected = format!("Bearer {SECRET_KEY}");
    let authorization = header(&req, "Authorization");
    if authorization.as_deref() != Some(expected.as_str()) {
        let message = match authorization {
            None => "You did not provide an API key. You need to provide your API key in the \
                     Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
                .to_owned(),
            Some(value) => format!(
                "Invalid API Key provided: {}",
                masked(value.trim_start_matches("Bearer ").trim())
            ),
        };
        let body = error_body("invalid_request_error", None, &message, None).to_string();
        log(&shared, record, 401);
        return json_response(401, &request_id)
            .insert_header(("WWW-Authenticate", "Bearer realm=\"Stripe\""))
            .body(body);
    }

    let Some(params) = params else {
        let body = error_body(
            "invalid_request_error",
            None,
            "Invalid request: the body must be application/x-www-form-urlencoded.",
            None,
        )
        .to_string();
        log(&shared, record, 400);
        return json_response(400, &request_id).body(body);
    };

    // Transport and platform faults come before anything else runs.
    let fault = shared.lock().take_fault(&method, &path, true);
    let mut late_by = None;
    match fault {
        Some(Fault::ServerError) => {
            let body = error_body(
                "api_error",
                None,
                "An unknown error occurred (injected by the Stripe double).",
                None,
            )
            .to_string();
            log(&shared, record, 500);
            return json_response(500, &request_id)
                .insert_header(("Stripe-Should-Retry", "true"))
                .body(body);
        }
        Some(Fault::RateLimited { retry_after }) => {
            let body = error_body(
                "invalid_request_error",
                Some("rate_limit"),
                "Too many requests hit the API too quickly (injected by the Stripe double).",
                None,
            )
            .to_string();
            log(&shared, record, 429);
            return json_response(429, &request_id)
                .insert_header(("Retry-After", retry_after.to_string()))
                .insert_header(("Stripe-Should-Retry", "true"))
                .body(body);
        }
        Some(Fault::Timeout {
            delay,
            applied: false,
        }) => {
            // Recorded at once: the test sees the call while the client waits.
            log(&shared, record, 500);
            actix_web::rt::time::sleep(delay).await;
            let body = error_body(
                "api_error",
                None,
                "The request timed out and was not applied (injected by the Stripe double).",
                None,
            )
            .to_string();
            return json_response(500, &request_id).body(body);
        }
        Some(Fault::Timeout {
            delay,
            applied: true,
        }) => late_by = Some(delay),
        _ => {}
    }

    let mut sorted = params.clone();
    sorted.sort();
    let (status, body, replayed_from, events, key_misused) = {
        let mut st = shared.lock();
        let slot = idempotency_key
            .clone()
            .filter(|_| method == "POST")
            .map(|key| (stripe_account.clone(), key));
        match slot.as_ref().and_then(|s| st.idempotency.get(s)) {
            Some(saved)
                if saved.method == method && saved.path == path && saved.params == sorted =>
            {
                (
                    saved.status,
                    saved.body.clone(),
                    Some(saved.request_id.clone()),
                    Vec::new(),
                    false,
                )
            }
            Some(saved) => {
                let message = format!(
                    "Keys for idempotent requests can only be used with the same parameters they \
                     were first used with. Try using a key other than '{}' if you meant to execute \
                     a different request (first used with {} {}).",
                    slot.as_ref().map(|s| s.1.as_str()).unwrap_or_default(),
                    saved.method,
                    saved.path,
                );
                let body = error_body("idempotency_error", None, &message, None).to_string();
                (400, body, None, Vec::new(), true)
            }
            None => {
                let business = st.take_fault(&method, &path, false);
                let ctx = Ctx {
                    method: method.clone(),
                    path: path.clone(),
                    params: Params(params),
                    request_id: request_id.clone(),
                    idempotency_key: idempotency_key.clone(),
                    fault: business,
                };
                let mut events = Vec::new();
                let reply = route(&mut st, &ctx, &mut events).unwrap_or_else(|e| e);
                let body = reply.body.to_string();
                if let (Some(slot), true) = (slot, reply.store) {
                    st.idempotency.insert(
                        slot,
                        Saved {
                            method: method.clone(),
                            path: path.clone(),
                            params: sorted,
                            status: reply.status,
                            body: body.clone(),
                            request_id: request_id.clone(),
                        },
                    );
                }
                (reply.status, body, None, events, false)
            }
        }
    };
    // Like Stripe, webhooks go out in the background, not before the answer.
    drop(shared.dispatch(events));
    record.replayed = replayed_from.is_some();
    log(&shared, record, status);
    if let Some(delay) = late_by {
        actix_web::rt::time::sleep(delay).await;
    }
    let mut response = json_response(status, &request_id);
    if let Some(key) = &idempotency_key {
        response.insert_header(("Idempotency-Key", key.clone()));
    }
    if let Some(original) = replayed_from {
        response
            .insert_header(("Idempotent-Replayed", "true"))
            .insert_header(("Original-Request", original));
    }
    if key_misused {
        response.insert_header(("Stripe-Should-Retry", "false"));
    }
    response.body(body)
}

fn route(st: &mut State, ctx: &Ctx, events: &mut Vec<String>) -> Answer {
    let segments: Vec<&str> = ctx.path.trim_matches('/').split('/').collect();
    match (ctx.method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "checkout", "sessions"]) => create_session(st, ctx),
        ("GET", ["v1", "checkout", "sessions"]) => list(
            &st.sessions,
            "/v1/checkout/sessions",
            &ctx.params,
            &[("payment_intent", "payment_intent"), ("status", "status")],
        ),
        ("GET", ["v1", "checkout", "sessions", id]) => {
            let session = find(&st.sessions, id)
                .ok_or_else(|| no_such("checkout.session", id, "session", 404))?;
            Ok(Reply::ok(render_session(st, session, &ctx.params.list("expand"))))
        }
        ("POST", ["v1", "accounts"]) => create_account(st, ctx),
        ("GET", ["v1", "accounts", id]) => find(&st.accounts, id)
            .map(|a| Reply::ok(a.clone()))
            .ok_or_else(|| no_such("account", id, "account", 404)),
        ("POST", ["v1", "account_links"]) => create_account_link(st, ctx),
        ("POST", ["v1", "transfers"]) => create_transfer(st, ctx, events),
        ("GET", ["v1", "transfers"]) => list(
            &st.transfers,
            "/v1/transfers",
            &ctx.params,
            &[("transfer_group", "transfer_group"), ("destination", "destination")],
        ),
        ("GET", ["v1", "transfers", id]) => find(&st.transfers, id)
            .map(|t| Reply::ok(t.clone()))
            .ok_or_else(|| no_such("transfer", id, "id", 404)),
        ("POST", ["v1", "refunds"]) => create_refund(st, ctx, events),
        ("GET", ["v1", "refunds"]) => list(
            &st.refunds,
            "/v1/refunds",
            &ctx.params,
            &[("payment_intent", "payment_intent"), ("charge", "charge")],
        ),
        ("GET", ["v1", "refunds", id]) => find(&st.refunds, id)
            .map(|r| Reply::ok(r.clone()))
            .ok_or_else(|| no_such("refund", id, "id", 404)),
        ("GET", ["v1", "payment_intents", id]) => {
            let pi = find(&st.payment_intents, id)
                .ok_or_else(|| no_such("payment_intent", id, "intent", 404))?;
            let mut pi = pi.clone();
            if ctx.params.list("expand").iter().any(|e| e == "latest_charge") {
                expand_charge(st, &mut pi);
            }
            Ok(Reply::ok(pi))
        }
        ("GET", ["v1", "charges", id]) => find(&st.charges, id)
            .map(|c| Reply::ok(c.clone()))
            .ok_or_else(|| no_such("charge", id, "charge", 404)),
        _ => Err(Reply {
            status: 404,
            body: error_body(
                "invalid_request_error",
                None,
                &format!(
                    "Unrecognized request URL ({}: {}). The Stripe double serves only part of the API.",
                    ctx.method, ctx.path
                ),
                None,
            ),
            store: false,
        }),
    }
}

/// The hosted pages, for browser tests: visiting a Checkout URL pays the
/// session and redirects to `success_url`; visiting an onboarding link
/// finishes onboarding and redirects to `return_url` (or `refresh_url`
/// once expired). Their webhooks are delivered before the redirect.
async fn page(shared: &Shared, path: &str) -> HttpResponse {
    let see_other = |to: &str| {
        HttpResponse::SeeOther()
            .insert_header(("Location", to.to_owned()))
            .finish()
    };
    if let Some(id) = path.strip_prefix("/c/pay/") {
        let outcome = {
            let mut st = shared.lock();
            st.pay(id, false).map(|events| {
                let success = st.session(id)["success_url"]
                    .as_str()
                    .unwrap_or("/")
                    .replace("{CHECKOUT_SESSION_ID}", id);
                (events, success)
            })
        };
        return match outcome {
            Ok((events, success)) => {
                shared.dispatch(events).await;
                see_other(&success)
            }
            Err(e) => HttpResponse::NotFound().body(e),
        };
    }
    let link = path.trim_start_matches("/connect/onboard/");
    let outcome = {
        let mut st = shared.lock();
        let Some(record) = st.account_links.get(link) else {
            return HttpResponse::NotFound().body("no such account link");
        };
        let (account, kind, refresh, back, expired) = (
            record.account.clone(),
            record.kind.clone(),
            record.refresh_url.clone(),
            record.return_url.clone(),
            record.expires_at < now(),
        );
        if expired {
            Err(refresh)
        } else if kind == "account_onboarding" && st.account(&account)["details_submitted"] != true
        {
            Ok((st.complete_onboarding(&account).unwrap_or_default(), back))
        } else {
            Ok((Vec::new(), back))
        }
    };
    match outcome {
        Ok((events, back)) => {
            shared.dispatch(events).await;
            see_other(&back)
        }
        Err(refresh) => see_other(&refresh),
    }
}

// ===== parameters =====

/// Decoded form parameters, keys kept flat (`metadata[k]`, `a[0][b]`).
struct Params(Vec<(String, String)>);

impl Params {
    /// The last value given for `key`.
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `key` as an integer, if given.
    fn int(&self, key: &str) -> Result<Option<i64>, Reply> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                invalid(
                    Some("parameter_invalid_integer"),
                    &format!("Invalid integer: {v}"),
                    Some(key),
                )
            }),
        }
    }

    /// `prefix[name]=value` pairs as a JSON object of strings
    /// (`metadata`).
    fn map(&self, prefix: &str) -> Map<String, Value> {
        let open = format!("{prefix}[");
        self.0
            .iter()
            .filter_map(|(k, v)| {
                let name = k.strip_prefix(&open)?.strip_suffix(']')?;
                (!name.contains('[')).then(|| (name.to_owned(), json!(v)))
            })
            .collect()
    }

    /// The indices `i` used in `prefix[i][…]`, in order.
    fn indices(&self, prefix: &str) -> Vec<usize> {
        let open = format!("{prefix}[");
        let set: BTreeSet<usize> = self
            .0
            .iter()
            .filter_map(|(k, _)| {
                let rest = k.strip_prefix(&open)?;
                rest[..rest.find(']')?].parse().ok()
            })
            .collect();
        set.into_iter().collect()
    }

    /// The values of an array parameter: `name[]=…` or `name[0]=…`.
    fn list(&self, name: &str) -> Vec<String> {
        let open = format!("{name}[");
        self.0
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix(&open)
                    .and_then(|rest| rest.strip_suffix(']'))
                    .is_some_and(|i| i.is_empty() || i.parse::<usize>().is_ok())
            })
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Refuses top-level parameters the endpoint does not know, as Stripe
    /// does (`parameter_unknown`): a typo in the adapter shows up here.
    fn only(&self, known: &[&str]) -> Result<(), Reply> {
        for (k, _) in &self.0 {
            let top = k.split('[').next().unwrap_or_default();
            if !known.contains(&top) {
                return Err(invalid(
                    Some("parameter_unknown"),
                    &format!("Received unknown parameter: {k}"),
                    Some(k),
                ));
            }
        }
        Ok(())
    }
}

fn check_url(params: &Params, key: &str) -> Result<Option<String>, Reply> {
    match params.get(key) {
        None => Ok(None),
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => Ok(Some(u.to_owned())),
        Some(_) => Err(invalid(Some("url_invalid"), "Not a valid URL", Some(key))),
    }
}

fn check_currency(value: &str, param: &str) -> Result<String, Reply> {
    if value.len() == 3 && value.chars().all(|c| c.is_ascii_lowercase()) {
        Ok(value.to_owned())
    } else {
        Err(invalid(
            None,
            &format!("Invalid currency: {value}. Stripe currencies are three lowercase letters."),
            Some(param),
        ))
    }
}

/// A Stripe list of `objects`, newest first, filtered by `filters`
/// (`(parameter, field)` pairs) and paged by `limit`, `starting_after`,
/// `ending_before`.
fn list(objects: &[Value], url: &str, params: &Params, filters: &[(&str, &str)]) -> Answer {
    let limit = params.int("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(invalid(
            None,
            "Invalid limit: must be between 1 and 100",
            Some("limit"),
        ));
    }
    let limit = limit as usize;
    let matching: Vec<&Value> = objects
        .iter()
        .rev()
        .filter(|o| {
            filters
                .iter()
                .all(|(param, field)| match params.get(param) {
                    Some(wanted) => o[*field] == wanted,
                    None => true,
                })
        })
        .collect();
    let position = |cursor: &str, param: &str| {
        matching
            .iter()
            .position(|o| o["id"] == cursor)
            .ok_or_else(|| no_such("object", cursor, param, 400))
    };
    let (page, has_more): (Vec<&Value>, bool) = if let Some(cursor) = params.get("starting_after") {
        let rest = &matching[position(cursor, "starting_after")? + 1..];
        (
            rest.iter().take(limit).copied().collect(),
            rest.len() > limit,
        )
    } else if let Some(cursor) = params.get("ending_before") {
        let before = &matching[..position(cursor, "ending_before")?];
        let start = before.len().saturating_sub(limit);
        (before[start..].to_vec(), start > 0)
    } else {
        (
            matching.iter().take(limit).copied().collect(),
            matching.len() > limit,
        )
    };
    Ok(Reply::ok(json!({
        "object": "list",
        "data": page,
        "has_more": has_more,
        "url": url,
    })))
}

// ===== endpoints =====

fn create_session(st: &mut State, ctx: &Ctx) -> Answer {
    let p = &ctx.params;
    p.only(&[
        "allow_promotion_codes",
        "automatic_tax",
        "billing_address_collection",
        "cancel_url",
        "client_reference_id",
        "consent_collection",
        "currency",
        "custom_text",
        "customer",
        "customer_creation",
        "customer_email",
        "expand",
        "expires_at",
        "invoice_creation",
        "line_items",
        "locale",
        "metadata",
        "mode",
        "payment_intent_data",
        "payment_method_types",
        "phone_number_collection",
        "submit_type",
        "success_url",
        "tax_id_collection",
        "ui_mode",
    ])?;
    let mode = p.get("mode").unwrap_or("payment");
    if mode != "payment" {
        return Err(invalid(
            None,
            "The Stripe double supports only mode=payment.",
            Some("mode"),
        ));
    }
    let indices = p.indices("line_items");
    if indices.is_empty() {
        return Err(missing("line_items"));
    }
    let mut total = 0i64;
    let mut currency: Option<String> = None;
    for i in indices {
        let item = |k: &str| format!("line_items[{i}]{k}");
        if p.get(&item("[price]")).is_some() {
            return Err(invalid(
                Some("resource_missing"),
                "The Stripe double knows no Price objects: use line_items[][price_data].",
                Some(&item("[price]")),
            ));
        }
        let item_currency = p
            .get(&item("[price_data][currency]"))
            .ok_or_else(|| missing(&item("[price_data][currency]")))?;
        let item_currency = check_currency(item_currency, &item("[price_data][currency]"))?;
        if p.get(&item("[price_data][product_data][name]")).is_none()
            && p.get(&item("[price_data][product]")).is_none()
        {
            return Err(missing(&item("[price_data][product_data][name]")));
        }
        let unit = p
            .int(&item("[price_data][unit_amount]"))?
            .ok_or_else(|| missing(&item("[price_data][unit_amount]")))?;
        let quantity = p
            .int(&item("[quantity]"))?
            .ok_or_else(|| missing(&item("[quantity]")))?;
        if unit < 0 || quantity < 1 {
            return Err(invalid(
                None,
                "unit_amount must be at least 0 and quantity at least 1.",
                Some(&item("")),
            ));
        }
        match &currency {
            Some(c) if *c != item_currency => {
                return Err(invalid(
                    None,
                    "All line items must have the same currency.",
                    Some(&item("[price_data][currency]")),
                ))
            }
            _ => currency = Some(item_currency),
        }
        total += unit * quantity;
    }
    // Stripe's smallest charge is about 0.50 in most currencies.
    if total < 50 {
        return Err(invalid(
            Some("amount_too_small"),
            "The Checkout Session's total amount due must add up to at least 0.50.",
            Some("line_items"),
        ));
    }
    let success_url = check_url(p, "success_url")?;
    let cancel_url = check_url(p, "cancel_url")?;
    let created = now();
    let expires_at = p.int("expires_at")?.unwrap_or(created + 24 * 3600);
    let id = new_id("cs_test_a1", 56);
    let mut session = json!({
        "id": id,
        "object": "checkout.session",
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
        "cancel_url": cancel_url,
        "client_reference_id": p.get("client_reference_id"),
        "created": created,
        "currency": currency,
        "custom_fields": [],
        "custom_text": {
            "after_submit": null, "shipping_address": null,
            "submit": null, "terms_of_service_acceptance": null,
        },
        "customer": p.get("customer"),
        "customer_creation": if p.get("customer").is_some() { Value::Null } else { json!("if_required") },
        "customer_email": p.get("customer_email"),
        "expires_at": expires_at,
        "livemode": false,
        "locale": p.get("locale"),
        "metadata": p.map("metadata"),
        "mode": "payment",
        "payment_method_collection": "if_required",
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "shipping_options": [],
        "status": "open",
        "submit_type": p.get("submit_type"),
        "success_url": success_url,
        "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
        "ui_mode": "hosted_page",
        "url": format!("{}/c/pay/{id}", st.base_url),
    });
    // Fields Stripe sends as null for a plain hosted payment session.
    for key in [
        "adaptive_pricing",
        "after_expiration",
        "allow_promotion_codes",
        "billing_address_collection",
        "client_secret",
        "consent",
        "consent_collection",
        "customer_details",
        "invoice",
        "payment_intent",
        "payment_link",
        "recovered_from",
        "setup_intent",
        "shipping_address_collection",
        "shipping_cost",
        "subscription",
    ] {
        session[key] = Value::Null;
    }
    let mut pi_data = json!({ "metadata": p.map("payment_intent_data[metadata]") });
    for key in ["transfer_group", "description", "on_behalf_of"] {
        if let Some(v) = p.get(&format!("payment_intent_data[{key}]")) {
            pi_data[key] = json!(v);
        }
    }
    st.session_pi_data.insert(id.clone(), pi_data);
    st.sessions.push(session.clone());
    Ok(Reply::ok(render_session(st, &session, &p.list("expand"))))
}

/// A session as the API shows it, with `payment_intent` (and its
/// `latest_charge`) expanded when asked.
fn render_session(st: &State, session: &Value, expand: &[String]) -> Value {
    let mut out = session.clone();
    let wants = |e: &str| expand.iter().any(|x| x == e);
    if wants("payment_intent") || wants("payment_intent.latest_charge") {
        if let Some(pi) = session["payment_intent"]
            .as_str()
            .and_then(|id| find(&st.payment_intents, id))
        {
            let mut pi = pi.clone();
            if wants("payment_intent.latest_charge") {
                expand_charge(st, &mut pi);
            }
            out["payment_intent"] = pi;
        }
    }
    out
}

fn expand_charge(st: &State, pi: &mut Value) {
    if let Some(charge) = pi["latest_charge"]
        .as_str()
        .and_then(|id| find(&st.charges, id))
    {
        pi["latest_charge"] = charge.clone();
    }
}

/// `requirements` / `future_requirements` with `due` currently due.
fn requirements(due: &[&str], disabled_reason: Option<&str>) -> Value {
    json!({
        "alternatives": [],
        "current_deadline": null,
        "currently_due": due,
        "disabled_reason": disabled_reason,
        "errors": [],
        "eventually_due": due,
        "past_due": due,
        "pending_verification": [],
    })
}

fn create_account(st: &mut State, ctx: &Ctx) -> Answer {
    let p = &ctx.params;
    p.only(&[
        "business_profile",
        "business_type",
        "capabilities",
        "company",
        "controller",
        "country",
        "default_currency",
        "email",
        "expand",
        "individual",
        "metadata",
        "settings",
        "tos_acceptance",
        "type",
    ])?;
    let dashboard = p
        .get("controller[stripe_dashboard][type]")
        .or(match p.get("type") {
            Some("express") => Some("express"),
            Some("standard") => Some("full"),
            Some("custom") => Some("none"),
            _ => None,
        })
        .unwrap_or("full");
    let requirement_collection =
        p.get("controller[requirement_collection]")
            .unwrap_or(if dashboard == "none" {
                "application"
            } else {
                "stripe"
            });
    let fees_payer = p.get("controller[fees][payer]").unwrap_or(match dashboard {
        "express" => "application_express",
        "none" => "application_custom",
        _ => "account",
    });
    let losses = p
        .get("controller[losses][payments]")
        .unwrap_or(if dashboard == "full" {
            "stripe"
        } else {
            "application"
        });
    // The combinations Stripe refuses for an Express dashboard.
    if dashboard == "express" && requirement_collection != "stripe" {
        return Err(invalid(
            None,
            "controller[requirement_collection] must be `stripe` when controller[stripe_dashboard][type] is `express`.",
            Some("controller[requirement_collection]"),
        ));
    }
    if dashboard == "express" && losses != "application" {
        return Err(invalid(
            None,
            "controller[losses][payments] must be `application` when controller[stripe_dashboard][type] is `express`.",
            Some("controller[losses][payments]"),
        ));
    }
    // `type` names a legacy account type only when the controller matches
    // it exactly; any other combination is `none`. So Tribu's Express
    // accounts with `fees[payer]=application` come back as `none`, and the
    // adapter must read `controller`, not `type`.
    let kind = match (dashboard, fees_payer, losses, requirement_collection) {
        ("express", "application_express", "application", "stripe") => "express",
        ("full", "account", "stripe", "stripe") => "standard",
        ("none", "application_custom", "application", "application") => "custom",
        _ => "none",
    };
    let mut capabilities = Map::new();
    for (k, v) in &p.0 {
        if let Some(name) = k
            .strip_prefix("capabilities[")
            .and_then(|r| r.strip_suffix("][requested]"))
        {
            if v == "true" {
                capabilities.insert(name.to_owned(), json!("inactive"));
            }
        }
    }
    let country = p.get("country").unwrap_or("FR").to_ascii_uppercase();
    let default_currency = match country.as_str() {
        "US" => "usd",
        "GB" => "gbp",
        "CH" => "chf",
        "CA" => "cad",
        _ => "eur",
    };
    let id = new_id("acct_1", 16);
    let due = [
        "business_profile.url",
        "external_account",
        "individual.dob.day",
        "individual.first_name",
        "individual.last_name",
        "tos_acceptance.date",
        "tos_acceptance.ip",
    ];
    let account = json!({
        "id": id,
        "object": "account",
        "business_profile": {
            "mcc": null, "name": null, "product_description": null,
            "support_email": null, "support_phone": null, "support_url": null, "url": null,
        },
        "business_type": p.get("business_type"),
        "capabilities": capabilities,
        "charges_enabled": false,
        "controller": {
            "fees": { "payer": fees_payer },
            "is_controller": true,
            "losses": { "payments": losses },
            "requirement_collection": requirement_collection,
            "stripe_dashboard": { "type": dashboard },
            "type": "application",
        },
        "country": country,
        "created": now(),
        "default_currency": p.get("default_currency").unwrap_or(default_currency),
        "details_submitted": false,
        "email": p.get("email"),
        "external_accounts": {
            "object": "list", "data": [], "has_more": false,
            "url": format!("/v1/accounts/{id}/external_accounts"),
        },
        "future_requirements": requirements(&[], None),
        "metadata": p.map("metadata"),
        "payouts_enabled": false,
        "requirements": requirements(&due, Some("requirements.past_due")),
        "type": kind,
    });
    st.accounts.push(account.clone());
    Ok(Reply::ok(account))
}

fn create_account_link(st: &mut State, ctx: &Ctx) -> Answer {
    let p = &ctx.params;
    p.only(&[
        "account",
        "collect",
        "collection_options",
        "expand",
        "refresh_url",
        "return_url",
        "type",
    ])?;
    let account = p.get("account").ok_or_else(|| missing("account"))?;
    let kind = p.get("type").ok_or_else(|| missing("type"))?;
    if kind != "account_onboarding" && kind != "account_update" {
        return Err(invalid(
            None,
            &format!(
                "Invalid type: must be one of account_onboarding or account_update, not {kind}"
            ),
            Some("type"),
        ));
    }
    let refresh_url = check_url(p, "refresh_url")?.ok_or_else(|| missing("refresh_url"))?;
    let return_url = check_url(p, "return_url")?.ok_or_else(|| missing("return_url"))?;
    if find(&st.accounts, account).is_none() {
        return Err(no_such("account", account, "account", 400));
    }
    let created = now();
    let expires_at = created + 300;
    let link = new_id("", 12);
    st.account_links.insert(
        link.clone(),
        AccountLinkRecord {
            account: account.to_owned(),
            kind: kind.to_owned(),
            refresh_url,
            return_url,
            expires_at,
        },
    );
    Ok(Reply::ok(json!({
        "object": "account_link",
        "created": created,
        "expires_at": expires_at,
        "url": format!("{}/connect/onboard/{link}", st.base_url),
    })))
}

/// The fields of a transfer that vary.
struct TransferFields {
    id: String,
    amount: i64,
    currency: String,
    destination: String,
    source_transaction: Option<String>,
    transfer_group: Option<String>,
    description: Option<String>,
    metadata: Map<String, Value>,
}

fn transfer_object(f: TransferFields) -> Value {
    json!({
        "id": f.id,
        "object": "transfer",
        "amount": f.amount,
        "amount_reversed": 0,
        "balance_transaction": new_id("txn_1", 24),
        "created": now(),
        "currency": f.currency,
        "description": f.description,
        "destination": f.destination,
        "destination_payment": new_id("py_1", 24),
        "livemode": false,
        "metadata": f.metadata,
        "reversals": {
            "object": "list", "data": [], "has_more": false,
            "url": format!("/v1/transfers/{}/reversals", f.id),
        },
        "reversed": false,
        "source_transaction": f.source_transaction,
        "source_type": "card",
        "transfer_group": f.transfer_group,
    })
}

fn create_transfer(st: &mut State, ctx: &Ctx, events: &mut Vec<String>) -> Answer {
    let p = &ctx.params;
    p.only(&[
        "amount",
        "currency",
        "description",
        "destination",
        "expand",
        "metadata",
        "source_transaction",
        "source_type",
        "transfer_group",
    ])?;
    let amount = p.int("amount")?.ok_or_else(|| missing("amount"))?;
    if amount < 1 {
        return Err(invalid(
            Some("amount_too_small"),
            "Amount must be at least 1.",
            Some("amount"),
        ));
    }
    let currency = check_currency(
        p.get("currency").ok_or_else(|| missing("currency"))?,
        "currency",
    )?;
    let destination = p.get("destination").ok_or_else(|| missing("destination"))?;
    let account = find(&st.accounts, destination)
        .ok_or_else(|| no_such("destination", destination, "destination", 400))?;
    if account["capabilities"]["transfers"] != "active" {
        return Err(refused(
            "insufficient_capabilities_for_transfer",
            "Your destination account needs to have at least one of the following capabilities \
             enabled: transfers, crypto_transfers, legacy_payments",
            Some("destination"),
        ));
    }
    let source = p.get("source_transaction");
    if let Some(source) = source {
        let charge = find(&st.charges, source)
            .ok_or_else(|| no_such("charge", source, "source_transaction", 400))?;
        if charge["status"] == "failed" {
            return Err(refused(
                "charge_invalid_parameter",
                &format!("The source_transaction {source} failed and has no funds to transfer."),
                Some("source_transaction"),
            ));
        }
        if charge["currency"] != currency {
            return Err(invalid(
                None,
                &format!(
                    "The currency of source_transaction's balance transaction ({}) must be the same as the transfer currency ({currency}).",
                    charge["currency"].as_str().unwrap_or_default()
                ),
                Some("currency"),
            ));
        }
        let left = st.transferable(charge);
        if amount > left {
            return Err(refused(
                "balance_insufficient",
                &format!(
                    "Insufficient funds in source_transaction {source}: {left} {currency} left, {amount} asked."
                ),
                Some("amount"),
            ));
        }
    }
    if matches!(ctx.fault, Some(Fault::BalanceInsufficient)) {
        return Err(refused(
            "balance_insufficient",
            "You have insufficient available funds in your Stripe account (injected by the Stripe double).",
            None,
        ));
    }
    let transfer = transfer_object(TransferFields {
        id: new_id("tr_1", 23),
        amount,
        currency,
        destination: destination.to_owned(),
        source_transaction: source.map(str::to_owned),
        transfer_group: p.get("transfer_group").map(str::to_owned),
        description: p.get("description").map(str::to_owned),
        metadata: p.map("metadata"),
    });
    st.transfers.push(transfer.clone());
    events.extend(st.new_event("transfer.created", transfer.clone(), None, Some(ctx), None));
    Ok(Reply::ok(transfer))
}

fn create_refund(st: &mut State, ctx: &Ctx, events: &mut Vec<String>) -> Answer {
    let p = &ctx.params;
    p.only(&[
        "amount",
        "charge",
        "expand",
        "instructions_email",
        "metadata",
        "origin",
        "payment_intent",
        "reason",
        "refund_application_fee",
        "reverse_transfer",
    ])?;
    let charge_id = match (p.get("charge"), p.get("payment_intent")) {
        (Some(charge), _) => {
            find(&st.charges, charge).ok_or_else(|| no_such("charge", charge, "charge", 400))?;
            charge.to_owned()
        }
        (None, Some(pi)) => {
            let intent = find(&st.payment_intents, pi)
                .ok_or_else(|| no_such("payment_intent", pi, "payment_intent", 400))?;
            intent["latest_charge"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| {
                    refused(
                        "charge_not_refundable",
                        "This PaymentIntent does not have a successful charge to refund.",
                        Some("payment_intent"),
                    )
                })?
        }
        (None, None) => return Err(missing("payment_intent")),
    };
    if let Some(reason) = p.get("reason") {
        if !["duplicate", "fraudulent", "requested_by_customer"].contains(&reason) {
            return Err(invalid(
                None,
                &format!("Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer, not {reason}"),
                Some("reason"),
            ));
        }
    }
    let charge = find(&st.charges, &charge_id)
        .expect("resolved above")
        .clone();
    if charge["status"] == "failed" {
        return Err(refused(
            "charge_not_refundable",
            &format!("Charge {charge_id} failed: there is nothing to refund."),
            None,
        ));
    }
    let amount_total = charge["amount"].as_i64().unwrap_or_default();
    let left = amount_total - charge["amount_refunded"].as_i64().unwrap_or_default();
    if left <= 0 {
        return Err(refused(
            "charge_already_refunded",
            &format!("Charge {charge_id} has already been refunded."),
            None,
        ));
    }
    let amount = p.int("amount")?.unwrap_or(left);
    if amount < 1 {
        return Err(invalid(
            Some("amount_too_small"),
            "Amount must be at least 1.",
            Some("amount"),
        ));
    }
    if amount > left {
        return Err(refused(
            "amount_too_large",
            &format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({left})."
            ),
            Some("amount"),
        ));
    }
    let pending = matches!(ctx.fault, Some(Fault::RefundPending));
    let refund = json!({
        "id": new_id("re_3", 24),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn_3", 24),
        "charge": charge_id,
        "created": now(),
        "currency": charge["currency"],
        "description": null,
        "failure_reason": null,
        "metadata": p.map("metadata"),
        "payment_intent": charge["payment_intent"],
        "reason": p.get("reason"),
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": if pending { "pending" } else { "succeeded" },
        "transfer_reversal": null,
    });
    let c = find_mut(&mut st.charges, &charge_id).expect("resolved above");
    let refunded = amount_total - left + amount;
    c["amount_refunded"] = json!(refunded);
    c["refunded"] = json!(refunded == amount_total);
    st.refunds.push(refund.clone());
    events.extend(st.new_event("refund.created", refund.clone(), None, Some(ctx), None));
    Ok(Reply::ok(refund))
}
