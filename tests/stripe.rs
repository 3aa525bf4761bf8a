//! The Stripe provider over HTTP against the Stripe double (no mock of the
//! adapter): card funding through Checkout and its webhook, publication,
//! judging and results, solvers' Express onboarding, transfers from the
//! funding charge, the refund of the unawarded rest, settlement; webhooks
//! delivered three times and out of order; forged and stale signatures;
//! transient Stripe failures; a hundred senders at once for one payable.

mod common;
#[path = "common/stripe_double.rs"]
mod stripe_double;

use std::time::{Duration, Instant};

use common::fixtures::{id_of, slug_of, World};
use serde_json::{json, Value};
use stripe_double::{Fault, Order, StripeDouble, SECRET_KEY};
use tribu::config::{PaymentProvider, Secret};
use tribu::money::model::{AccountKind, AccountRef, Currency, PLATFORM};

const PLATFORM_SECRET: &str = "whsec_platform_tribu_test";
const CONNECT_SECRET: &str = "whsec_connect_tribu_test";

async fn stripe_world(double: &StripeDouble) -> World {
    let url = double.url();
    let w = World::with(move |c| {
        c.payment_provider = PaymentProvider::Stripe;
        c.stripe_api_base = url;
        c.stripe_secret_key = Some(Secret::new(SECRET_KEY));
        c.stripe_webhook_secret = Some(Secret::new(PLATFORM_SECRET));
        c.stripe_connect_webhook_secret = Some(Secret::new(CONNECT_SECRET));
    })
    .await;
    double.set_webhook(
        &w.app.url("/api/v1/webhooks/stripe"),
        PLATFORM_SECRET,
        CONNECT_SECRET,
    );
    w
}

fn balance(w: &World, kind: AccountKind, owner: &str) -> i64 {
    let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    let eur = Currency::parse("c", "EUR").unwrap_or_else(|e| panic!("{e:?}"));
    tribu::money::store::balance(&mut conn, &AccountRef::new(kind, owner, &eur))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn funding_entries(w: &World) -> i64 {
    use diesel::prelude::*;
    use tribu::db::schema::journal_entries::dsl::*;
    let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    journal_entries
        .filter(kind.eq("funding"))
        .count()
        .get_result(&mut *conn)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Waits until `check` holds (the worker and webhooks run on their own).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A draft funded by card through Checkout; returns its slug and the
/// session id.
async fn card_funded(w: &World, double: &StripeDouble, pay: bool) -> (String, String) {
    let draft = w.draft("Cleaner harbours", World::two_tiers()).await;
    let slug = slug_of(&draft);
    let f = w.request_funding(&slug).await;
    assert_eq!(f["provider"], "stripe", "{f}");
    let url = f["checkout_url"].as_str().unwrap_or_default().to_owned();
    assert!(url.starts_with(&double.url()), "{f}");
    let session = double
        .sessions()
        .last()
        .and_then(|s| s["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    assert_eq!(
        double.sessions().last().map(|s| s["amount_total"].clone()),
        Some(json!(105_000))
    );
    if pay {
        double.pay_checkout(&session).await;
    }
    (slug, session)
}

async fn escrow(w: &World, slug: &str) -> Value {
    w.app
        .get_json(
            &format!("/api/v1/challenges/{slug}/escrow"),
            Some(&w.owner.access),
        )
        .await
}

#[tokio::test]
async fn card_funding_to_settled_through_stripe_connect() {
    let double = StripeDouble::start().await;
    let w = stripe_world(&double).await;

    // Funded by card: the webhook credits escrow, no admin involved.
    let (slug, _) = card_funded(&w, &double, true).await;
    let e = escrow(&w, &slug).await;
    assert_eq!(e["balance"]["amount"], 100_000, "{e}");
    assert_eq!(e["fully_funded"], true);
    w.assert_ledger_balanced();
    let p = w.publish(&slug).await;
    assert_eq!(p["outcome"], "open", "{p}");

    // Results: a team of two wins 600.00; 400.00 go back.
    let a = w.awarded_on(slug.clone()).await;
    w.assert_ledger_balanced();

    // The winners have no payout account yet: the worker opens Express
    // accounts; the dashboard asks them to finish onboarding.
    eventually("two connected accounts", || async {
        double.accounts().len() == 2
    })
    .await;
    let r = w
        .app
        .post(
            "/api/v1/me/payouts/onboarding",
            Some(&a.winner.access),
            json!({}),
        )
        .await;
    let link: Value = r.json().await.unwrap_or_default();
    assert!(
        link["url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&double.url())),
        "{link}"
    );
    let r = w
        .app
        .post(
            "/api/v1/me/payouts/onboarding",
            Some(&a.other.access),
            json!({}),
        )
        .await;
    common::assert_problem(r, 409, "no_payouts").await;
    assert!(double.transfers().is_empty(), "nothing before onboarding");

    // The refund of the unawarded rest needs no onboarding.
    eventually("the refund", || async { double.refunds().len() == 1 }).await;
    assert_eq!(double.refunds()[0]["amount"], 40_000);

    // Onboarding finishes at Stripe; account.updated wakes the payouts.
    for acct in double.accounts() {
        double
            .complete_onboarding(acct["id"].as_str().unwrap_or_default())
            .await;
    }
    eventually("settled", || async {
        w.app
            .get_json(&format!("/api/v1/challenges/{slug}"), None)
            .await["state"]
            == "settled"
    })
    .await;

    // One transfer per payable, from the funding charge, in the challenge's
    // transfer group, and nothing twice.
    let transfers = double.transfers();
    assert_eq!(transfers.len(), 2);
    let charge = double.charges()[0]["id"].clone();
    for t in &transfers {
        assert_eq!(t["amount"], 30_000);
        assert_eq!(t["source_transaction"], charge);
        assert!(t["transfer_group"]
            .as_str()
            .is_some_and(|g| g.starts_with("challenge_")));
    }
    let own: Value = w
        .app
        .get_json("/api/v1/me/payouts", Some(&a.winner.access))
        .await;
    assert_eq!(own["data"][0]["status"], "paid", "{own}");
    assert!(own["data"][0]["reference"]
        .as_str()
        .is_some_and(|r| r.starts_with("tr_")));

    // The ledger: balanced; transfers + refunds + fees = funded.
    w.assert_ledger_balanced();
    let fees = balance(&w, AccountKind::PlatformFees, PLATFORM);
    let moved: i64 = transfers
        .iter()
        .filter_map(|t| t["amount"].as_i64())
        .sum::<i64>()
        + double
            .refunds()
            .iter()
            .filter_map(|r| r["amount"].as_i64())
            .sum::<i64>();
    assert_eq!(moved + fees, 105_000);
    assert_eq!(balance(&w, AccountKind::ProviderClearing, PLATFORM), -fees);
    let challenge = id_of(
        &w.app
            .get_json(&format!("/api/v1/challenges/{slug}"), None)
            .await,
    );
    assert_eq!(balance(&w, AccountKind::ChallengeEscrow, &challenge), 0);

    // Reconciliation: nothing on a clean run; a transfer Stripe holds and
    // the ledger lacks is reported, and the command fails.
    let clean = reconcile(&w, &double);
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
    let destination = transfers[0]["destination"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let stray = double
        .insert_transfer_out_of_band(
            &destination,
            300,
            "eur",
            Some(&format!("challenge_{challenge}")),
        )
        .await;
    let found = reconcile(&w, &double);
    let out = String::from_utf8_lossy(&found.stdout);
    assert!(!found.status.success(), "{out}");
    assert!(out.contains(stray["id"].as_str().unwrap_or("tr_")), "{out}");
}

/// `tribu money reconcile` on this world's database, against the double.
fn reconcile(w: &World, double: &StripeDouble) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tribu"));
    for (k, _) in std::env::vars() {
        if k.starts_with("TRIBU_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(["money", "reconcile"])
        .env("TRIBU_DATABASE_URL", w.app.config.database_url.expose())
        .env("TRIBU_PAYMENT_PROVIDER", "stripe")
        .env("TRIBU_STRIPE_API_BASE", double.url())
        .env("TRIBU_STRIPE_SECRET_KEY", SECRET_KEY)
        .env("TRIBU_STRIPE_WEBHOOK_SECRET", PLATFORM_SECRET)
        .env("TRIBU_STRIPE_CONNECT_WEBHOOK_SECRET", CONNECT_SECRET)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn webhooks_three_times_out_of_order_act_once_and_forgeries_are_refused() {
    let double = StripeDouble::start().await;
    let w = stripe_world(&double).await;
    double.hold_events(true);
    let (slug, session) = card_funded(&w, &double, false).await;
    double.pay_checkout(&session).await;
    assert_eq!(escrow(&w, &slug).await["balance"]["amount"], 0, "held back");
    double.release_events(Order::Reversed, 3).await;
    double.wait_for_deliveries().await;
    assert_eq!(escrow(&w, &slug).await["balance"]["amount"], 100_000);
    assert_eq!(funding_entries(&w), 1);
    let outcomes: Vec<u16> = double
        .deliveries()
        .iter()
        .filter_map(|d| d.status)
        .collect();
    assert!(outcomes.iter().all(|s| *s == 200), "{outcomes:?}");

    // A forged signature, and a real one ten minutes old.
    let body = r#"{"id":"evt_forged","object":"event","type":"checkout.session.completed"}"#;
    let post = |sig: String| {
        w.app
            .http
            .post(w.app.url("/api/v1/webhooks/stripe"))
            .header("content-type", "application/json")
            .header("stripe-signature", sig)
            .body(body)
            .send()
    };
    let forged = stripe_webhook::Webhook::generate_test_header(body, "whsec_not_ours", None);
    let r = post(forged).await.unwrap_or_else(|e| panic!("{e}"));
    common::assert_problem(r, 400, "invalid_signature").await;
    let stale = stripe_webhook::Webhook::generate_test_header(
        body,
        PLATFORM_SECRET,
        Some(chrono::Utc::now().timestamp() - 600),
    );
    let r = post(stale).await.unwrap_or_else(|e| panic!("{e}"));
    common::assert_problem(r, 400, "invalid_signature").await;
    assert_eq!(funding_entries(&w), 1);
}

#[tokio::test]
async fn transient_failures_are_retried_and_a_hundred_senders_make_one_transfer() {
    let double = StripeDouble::start().await;
    let w = stripe_world(&double).await;
    let (slug, _) = card_funded(&w, &double, true).await;
    w.publish(&slug).await;
    let a = w.awarded_on(slug.clone()).await;
    eventually("two connected accounts", || async {
        double.accounts().len() == 2
    })
    .await;

    // Stripe answers 500 then 429 to the next transfer calls: the same key
    // is sent again and the transfer is made once.
    double.inject_fault("POST", "/v1/transfers", Fault::ServerError, 1);
    double.inject_fault(
        "POST",
        "/v1/transfers",
        Fault::RateLimited { retry_after: 0 },
        1,
    );
    for acct in double.accounts() {
        double
            .complete_onboarding(acct["id"].as_str().unwrap_or_default())
            .await;
    }
    // A hundred senders at once, besides the worker.
    let state = w.app.state.clone();
    let runs = (0..100).map(|_| {
        let s = state.clone();
        async move { tribu::payouts::runner::run_due(&s).await }
    });
    futures_util::future::join_all(runs).await;
    eventually("settled", || async {
        w.app
            .get_json(&format!("/api/v1/challenges/{slug}"), None)
            .await["state"]
            == "settled"
    })
    .await;
    assert_eq!(double.transfers().len(), 2, "{:?}", double.transfers());
    assert_eq!(double.refunds().len(), 1);
    assert!(double.calls("POST", "/v1/transfers") >= 4);
    let own: Value = w
        .app
        .get_json("/api/v1/me/payouts", Some(&a.coauthor.access))
        .await;
    assert_eq!(own["data"][0]["status"], "paid");
    w.assert_ledger_balanced();
}

fn log_file(dir: &tempfile::TempDir, name: &str) -> std::fs::File {
    std::fs::File::create(dir.path().join(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// The binary, serving the demo community on Stripe (the double) at debug
/// level, with a webhook delivered and a forged one refused: no Stripe
/// secret appears in what it logs.
#[tokio::test]
async fn no_stripe_secret_reaches_the_logs() {
    use std::process::{Command, Stdio};
    let double = StripeDouble::start().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let port = common::free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tribu"));
    for (k, _) in std::env::vars() {
        if k.starts_with("TRIBU_") {
            cmd.env_remove(k);
        }
    }
    let server = common::KillOnDrop(
        cmd.current_dir(dir.path())
            .args(["serve", "--demo"])
            .env("TRIBU_LISTEN", format!("127.0.0.1:{port}"))
            .env("TRIBU_LOG", "debug")
            .env("TRIBU_MAIL_TRANSPORT", "log")
            .env("TRIBU_PAYMENT_PROVIDER", "stripe")
            .env("TRIBU_STRIPE_API_BASE", double.url())
            .env("TRIBU_STRIPE_SECRET_KEY", SECRET_KEY)
            .env("TRIBU_STRIPE_WEBHOOK_SECRET", PLATFORM_SECRET)
            .env("TRIBU_STRIPE_CONNECT_WEBHOOK_SECRET", CONNECT_SECRET)
            // Files, not pipes: a full pipe would stall a chatty server.
            .stdout(Stdio::from(log_file(&dir, "out.log")))
            .stderr(Stdio::from(log_file(&dir, "err.log")))
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(http.get(format!("{base}/readyz")).send().await, Ok(r) if r.status() == 200) {
        assert!(
            Instant::now() < deadline,
            "tribu serve --demo did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    double.set_webhook(
        &format!("{base}/api/v1/webhooks/stripe"),
        PLATFORM_SECRET,
        CONNECT_SECRET,
    );
    // The demo's winners get connected accounts from the worker.
    let wait = Instant::now() + Duration::from_secs(20);
    while double.accounts().is_empty() {
        assert!(Instant::now() < wait, "the worker never called Stripe");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    double
        .complete_onboarding(double.accounts()[0]["id"].as_str().unwrap_or_default())
        .await;
    double.wait_for_deliveries().await;
    let body = r#"{"id":"evt_forged"}"#;
    let forged = stripe_webhook::Webhook::generate_test_header(body, "whsec_forged", None);
    let r = http
        .post(format!("{base}/api/v1/webhooks/stripe"))
        .header("stripe-signature", forged)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);
    let mut server = server;
    let _ = server.0.kill();
    let _ = server.0.wait();
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
    let log = format!("{}{}", read("out.log"), read("err.log"));
    assert!(log.contains("webhook refused"), "{log}");
    for secret in [SECRET_KEY, PLATFORM_SECRET, CONNECT_SECRET] {
        assert!(!log.contains(secret), "{secret} in the logs");
    }
}

/// Fifty payables sent by `tribu worker` (the binary) against the double,
/// each transfer answered slowly; the worker is killed with SIGKILL in the
/// middle of the batch and started again. Every transfer is made exactly
/// once: the killed call's payout is sent again with its stored key, and
/// the double answers with the transfer it already made.
#[tokio::test]
async fn a_worker_killed_mid_batch_pays_every_payable_exactly_once() {
    use std::process::{Command, Stdio};
    let double = StripeDouble::start().await;
    // The app in this process pays by hand, so its own worker sends nothing;
    // the rows below are Stripe's, sent by the binary.
    let w = World::new().await;
    let a = w.awarded().await;
    let ch = w
        .app
        .get_json(&format!("/api/v1/challenges/{}", a.slug), None)
        .await;
    let challenge = id_of(&ch);
    let award: String = {
        use diesel::prelude::*;
        use tribu::db::schema::awards::dsl::*;
        let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        awards
            .filter(challenge_id.eq(&challenge))
            .select(id)
            .first(&mut *conn)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // Fifty payees with onboarded connected accounts.
    let client = double.client();
    let mut payees = Vec::new();
    for i in 0..50 {
        let user = w
            .app
            .register(&format!("payee{i}@solvers.org"), &format!("Payee {i}"))
            .await;
        let uid = user["id"].as_str().unwrap_or_default().to_owned();
        use stripe_connect::account::{
            CreateAccountCapabilities, CreateAccountCapabilitiesTransfers,
        };
        let acct = stripe_connect::account::CreateAccount::new()
            .capabilities(CreateAccountCapabilities {
                transfers: Some(CreateAccountCapabilitiesTransfers {
                    requested: Some(true),
                }),
                ..Default::default()
            })
            .send(&client)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        double.complete_onboarding(acct.id.as_str()).await;
        let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        let now = tribu::db::now();
        tribu::payouts::accounts::insert(&mut conn, &uid, "stripe", acct.id.as_str(), now)
            .unwrap_or_else(|e| panic!("{e}"));
        tribu::payouts::accounts::update(&mut conn, acct.id.as_str(), true, &[], now)
            .unwrap_or_else(|e| panic!("{e}"));
        payees.push((uid, 100 + i as i64));
    }
    {
        let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        tribu::payouts::service::open_payouts(
            &mut conn,
            &challenge,
            &award,
            &payees,
            "EUR",
            "stripe",
            tribu::db::now(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    // Each transfer takes 150 ms to answer, after it is made.
    double.inject_fault(
        "POST",
        "/v1/transfers",
        Fault::Timeout {
            delay: Duration::from_millis(150),
            applied: true,
        },
        1000,
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let worker = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tribu"));
        for (k, _) in std::env::vars() {
            if k.starts_with("TRIBU_") {
                cmd.env_remove(k);
            }
        }
        cmd.current_dir(dir.path())
            .arg("worker")
            .env("TRIBU_DATABASE_URL", w.app.config.database_url.expose())
            .env(
                "TRIBU_JWT_SECRET",
                "a-worker-secret-for-this-test-0123456789",
            )
            .env("TRIBU_MAIL_TRANSPORT", "log")
            .env("TRIBU_WORKER_POLL_MS", "100")
            .env("TRIBU_PAYMENT_PROVIDER", "stripe")
            .env("TRIBU_STRIPE_API_BASE", double.url())
            .env("TRIBU_STRIPE_SECRET_KEY", SECRET_KEY)
            .env("TRIBU_STRIPE_WEBHOOK_SECRET", PLATFORM_SECRET)
            .env("TRIBU_STRIPE_CONNECT_WEBHOOK_SECRET", CONNECT_SECRET)
            .env("TRIBU_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.path().join("worker.log"))
                    .unwrap_or_else(|e| panic!("{e}")),
            ))
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let mut first = common::KillOnDrop(worker());
    let deadline = Instant::now() + Duration::from_secs(30);
    while double.calls("POST", "/v1/transfers") < 12 {
        assert!(Instant::now() < deadline, "the worker sent nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // SIGKILL: no chance to finish the call in flight or record it.
    let _ = first.0.kill();
    let _ = first.0.wait();
    let made = double.transfers().len();
    assert!(made < 52, "killed too late: {made}");
    // Time passes: the killed worker's lease lapses.
    {
        use diesel::prelude::*;
        use tribu::db::schema::payouts::dsl::*;
        let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        diesel::update(payouts.filter(status.eq("submitted")))
            .set(next_attempt_at.eq(Some(tribu::db::now())))
            .execute(&mut *conn)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let _second = common::KillOnDrop(worker());
    let paid = || {
        use diesel::prelude::*;
        use tribu::db::schema::payouts::dsl::*;
        let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        payouts
            .filter(provider.eq("stripe"))
            .filter(status.eq("paid"))
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    while paid() < 50 {
        assert!(
            Instant::now() < deadline,
            "only {} of 50 paid:\n{}",
            paid(),
            std::fs::read_to_string(dir.path().join("worker.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let transfers = double.transfers();
    assert_eq!(transfers.len(), 50, "each payable once");
    let mut keys: Vec<String> = double
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/transfers")
        .filter_map(|r| r.idempotency_key.clone())
        .collect();
    let sent = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 50, "one key per payable");
    assert!(sent > 50 || made < 50, "the call in flight was sent again");
    w.assert_ledger_balanced();
}

/// A refused transfer fails the payout (the solver and the admins see why);
/// a hundred admins asking at once to send it again make one more call and
/// one transfer. A delivery signed twice (a rotated secret and the current
/// one) verifies.
#[tokio::test]
async fn a_failed_payout_is_sent_again_once_for_a_hundred_requests() {
    let double = StripeDouble::start().await;
    let w = stripe_world(&double).await;
    let (slug, _) = card_funded(&w, &double, true).await;
    w.publish(&slug).await;
    let a = w.awarded_on(slug.clone()).await;
    eventually("two connected accounts", || async {
        double.accounts().len() == 2
    })
    .await;
    double.inject_fault("POST", "/v1/transfers", Fault::BalanceInsufficient, 1);
    for acct in double.accounts() {
        double
            .complete_onboarding(acct["id"].as_str().unwrap_or_default())
            .await;
    }
    let failed = || async {
        let list = w
            .app
            .get_json("/api/v1/admin/payouts?status=failed", Some(&w.admin.access))
            .await;
        list["data"].as_array().cloned().unwrap_or_default()
    };
    eventually("one failed payout", || async { failed().await.len() == 1 }).await;
    let f = failed().await[0].clone();
    assert!(
        f["failure"]
            .as_str()
            .is_some_and(|m| m.contains("balance_insufficient")),
        "{f}"
    );
    let id = id_of(&f);
    let url = format!("/api/v1/admin/payouts/{id}/retry");
    let calls = (0..100).map(|_| w.app.post(&url, Some(&w.admin.access), json!({})));
    let answers = futures_util::future::join_all(calls).await;
    let ok = answers.iter().filter(|r| r.status() == 200).count();
    let refused = answers.iter().filter(|r| r.status() == 409).count();
    assert_eq!((ok, refused), (1, 99));
    eventually("settled", || async {
        w.app
            .get_json(&format!("/api/v1/challenges/{slug}"), None)
            .await["state"]
            == "settled"
    })
    .await;
    assert_eq!(double.transfers().len(), 2);
    let mine = w
        .app
        .get_json("/api/v1/me/payouts", Some(&a.winner.access))
        .await;
    assert_eq!(mine["data"][0]["status"], "paid");

    // Two v1 signatures, one of them good: accepted (a duplicate by now).
    let event = double.events()[0].clone();
    let body = event.to_string();
    let good = stripe_webhook::Webhook::generate_test_header(&body, PLATFORM_SECRET, None);
    let (t, v1) = good.split_once(",v1=").unwrap_or_default();
    let header = format!("{t},v1={},v1={v1}", "ab".repeat(32));
    let r = w
        .app
        .http
        .post(w.app.url("/api/v1/webhooks/stripe"))
        .header("stripe-signature", header)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["outcome"], "duplicate", "{v}");
}

/// A bank debit settles later: Checkout completes unpaid (nothing moves),
/// then `async_payment_succeeded` funds escrow once. A refund Stripe
/// accepts and later fails is shown as failed, sent again by an admin
/// under a new key, and paid.
#[tokio::test]
async fn delayed_payments_fund_once_and_failed_refunds_are_shown_and_sent_again() {
    let double = StripeDouble::start().await;
    let w = stripe_world(&double).await;
    let (slug, session) = card_funded(&w, &double, false).await;
    double.begin_async_payment(&session).await;
    double.wait_for_deliveries().await;
    assert_eq!(
        escrow(&w, &slug).await["balance"]["amount"],
        0,
        "not paid yet"
    );
    double.settle_async_payment(&session, true).await;
    double.wait_for_deliveries().await;
    assert_eq!(escrow(&w, &slug).await["balance"]["amount"], 100_000);
    assert_eq!(funding_entries(&w), 1);

    w.publish(&slug).await;
    double.inject_fault("POST", "/v1/refunds", Fault::RefundPending, 1);
    w.awarded_on(slug.clone()).await;
    eventually("a pending refund", || async { double.refunds().len() == 1 }).await;
    let refund_id = double.refunds()[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let refunds = || async {
        w.app
            .get_json("/api/v1/admin/refunds", Some(&w.admin.access))
            .await["data"][0]
            .clone()
    };
    eventually("the refund submitted", || async {
        refunds().await["reference"] == refund_id.as_str()
    })
    .await;
    double.fail_refund(&refund_id).await;
    double.wait_for_deliveries().await;
    let r = refunds().await;
    assert_eq!(r["status"], "failed", "{r}");
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/refunds/{}/retry", id_of(&r)),
            Some(&w.admin.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    eventually("the refund paid", || async {
        refunds().await["status"] == "paid"
    })
    .await;
    assert_eq!(double.refunds().len(), 2, "a second refund under a new key");
    w.assert_ledger_balanced();
}
