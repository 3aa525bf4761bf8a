//! The Stripe double's own tests: every answer goes through the real
//! async-stripe client (so it deserialises into async-stripe's types for
//! API version 2026-09-30.endive), every event through
//! `stripe_webhook::Webhook::construct_event`.

#[path = "common/stripe_double.rs"]
mod stripe_double;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use stripe::{
    ApiErrorsCode, ApiErrorsType, IdempotencyKey, RequestStrategy, StripeError, StripeRequest,
};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ListCheckoutSession, ProductData,
    RetrieveCheckoutSession,
};
use stripe_checkout::{
    CheckoutSession, CheckoutSessionMode, CheckoutSessionPaymentStatus, CheckoutSessionStatus,
};
use stripe_connect::account::{
    CreateAccount, CreateAccountCapabilities, CreateAccountCapabilitiesTransfers,
    CreateAccountController, CreateAccountControllerFees, CreateAccountControllerFeesPayer,
    CreateAccountControllerLosses, CreateAccountControllerLossesPayments,
    CreateAccountControllerRequirementCollection, CreateAccountControllerStripeDashboard,
    CreateAccountControllerStripeDashboardType, RetrieveAccount,
};
use stripe_connect::account_link::{CreateAccountLink, CreateAccountLinkType};
use stripe_connect::transfer::{CreateTransfer, ListTransfer};
use stripe_connect::{
    Account, AccountCapabilitiesStatus, AccountType,
    AccountUnificationAccountControllerStripeDashboardType, Transfer,
};
use stripe_core::refund::{CreateRefund, CreateRefundReason, ListRefund};
use stripe_double::{Fault, Order, StripeDouble, API_VERSION, SECRET_KEY};
use stripe_webhook::{EventObject, EventType, Webhook, WebhookError};

const PLATFORM_SECRET: &str = "whsec_platform_double";
const CONNECT_SECRET: &str = "whsec_connect_double";

/// Parses `code` into the type of the field `_field` returns. The
/// async-stripe crates Tribu depends on do not re-export
/// `stripe_types::Currency`, so it is named through a field that has it.
fn parse_as<S, T: FromStr>(_field: impl Fn(&S) -> &T, code: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    code.parse().expect("a currency code")
}

/// async-stripe's `Currency::EUR`.
macro_rules! eur {
    () => {
        parse_as(|t: &Transfer| &t.currency, "eur")
    };
}

fn strings(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The Stripe error a call failed with: (status, type, code).
fn stripe_error<T>(result: Result<T, StripeError>) -> (u16, ApiErrorsType, Option<ApiErrorsCode>) {
    match result {
        Err(StripeError::Stripe(error, status)) => (status, error.type_, error.code),
        Err(other) => panic!("expected a Stripe error, got {other:?}"),
        Ok(_) => panic!("expected a Stripe error, got success"),
    }
}

async fn checkout(client: &stripe::Client, amount: i64, challenge: &str) -> CheckoutSession {
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(eur!());
    price.product_data = Some(ProductData::new(format!("Prize pool of {challenge}")));
    price.unit_amount = Some(amount);
    let item = CreateCheckoutSessionLineItems {
        price_data: Some(price),
        quantity: Some(1),
        ..Default::default()
    };
    let pi_data = CreateCheckoutSessionPaymentIntentData {
        transfer_group: Some(format!("challenge_{challenge}")),
        metadata: Some(strings(&[("challenge_id", challenge)])),
        ..Default::default()
    };
    CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .line_items(vec![item])
        .success_url("https://tribu.test/funded?session={CHECKOUT_SESSION_ID}")
        .cancel_url("https://tribu.test/challenges/1")
        .metadata(strings(&[("challenge_id", challenge)]))
        .payment_intent_data(pi_data)
        .client_reference_id(challenge)
        .send(client)
        .await
        .expect("create a checkout session")
}

async fn express_account(client: &stripe::Client, user: &str) -> Account {
    let controller = CreateAccountController {
        fees: Some(CreateAccountControllerFees {
            payer: Some(CreateAccountControllerFeesPayer::Application),
        }),
        losses: Some(CreateAccountControllerLosses {
            payments: Some(CreateAccountControllerLossesPayments::Application),
        }),
        requirement_collection: Some(CreateAccountControllerRequirementCollection::Stripe),
        stripe_dashboard: Some(CreateAccountControllerStripeDashboard {
            type_: Some(CreateAccountControllerStripeDashboardType::Express),
        }),
    };
    let capabilities = CreateAccountCapabilities {
        transfers: Some(CreateAccountCapabilitiesTransfers {
            requested: Some(true),
        }),
        ..Default::default()
    };
    CreateAccount::new()
        .controller(controller)
        .capabilities(capabilities)
        .country("FR")
        .email(format!("{user}@tribu.test"))
        .metadata(strings(&[("user_id", user)]))
        .send(client)
        .await
        .expect("create an account")
}

/// A paid session of `amount` and an onboarded account: what a transfer
/// needs. Returns (charge id, payment intent id, account id).
async fn funded(double: &StripeDouble, amount: i64, challenge: &str) -> (String, String, String) {
    let client = double.client();
    let session = checkout(&client, amount, challenge).await;
    double.pay_checkout(session.id.as_str()).await;
    let account = express_account(&client, &format!("solver_{challenge}")).await;
    double.complete_onboarding(account.id.as_str()).await;
    (
        double.charge_of(session.id.as_str()).expect("a charge"),
        double
            .payment_intent_of(session.id.as_str())
            .expect("a payment intent"),
        account.id.as_str().to_owned(),
    )
}

fn transfer(charge: &str, account: &str, amount: i64, group: &str) -> CreateTransfer {
    CreateTransfer::new(eur!(), account)
        .amount(amount)
        .source_transaction(charge)
        .transfer_group(group)
        .description("Award")
        .metadata(strings(&[("award_id", "7")]))
}

#[tokio::test]
async fn checkout_sessions_are_created_paid_and_retrieved() {
    let double = StripeDouble::start().await;
    let client = double.client();

    let session = checkout(&client, 12_500, "42").await;
    assert!(session.id.as_str().starts_with("cs_test_"));
    assert_eq!(session.status, Some(CheckoutSessionStatus::Open));
    assert_eq!(session.payment_status, CheckoutSessionPaymentStatus::Unpaid);
    assert_eq!(session.amount_total, Some(12_500));
    assert_eq!(session.currency.map(|c| c.to_string()), Some("eur".into()));
    assert!(session.payment_intent.is_none());
    assert!(session.url.as_deref().unwrap().starts_with(&double.url()));
    assert_eq!(session.metadata.unwrap()["challenge_id"], "42");
    assert_eq!(session.client_reference_id.as_deref(), Some("42"));

    double.pay_checkout(session.id.as_str()).await;
    let paid = RetrieveCheckoutSession::new(session.id.clone())
        .send(&client)
        .await
        .expect("retrieve");
    assert_eq!(paid.status, Some(CheckoutSessionStatus::Complete));
    assert_eq!(paid.payment_status, CheckoutSessionPaymentStatus::Paid);
    let pi = double.payment_intent_of(session.id.as_str()).unwrap();
    assert_eq!(paid.payment_intent.as_ref().unwrap().id().as_str(), pi);
    assert!(pi.starts_with("pi_"));
    let by_intent = ListCheckoutSession::new()
        .payment_intent(pi.as_str())
        .send(&client)
        .await
        .expect("a list");
    assert_eq!(by_intent.data.len(), 1);
    assert_eq!(by_intent.data[0].id, session.id);

    // The charge a transfer needs as source_transaction, through expand.
    let expanded = RetrieveCheckoutSession::new(session.id.clone())
        .expand(vec!["payment_intent.latest_charge".to_owned()])
        .send(&client)
        .await
        .expect("retrieve expanded");
    let intent = expanded
        .payment_intent
        .unwrap()
        .into_object()
        .expect("expanded");
    assert_eq!(intent.amount, 12_500);
    assert_eq!(intent.transfer_group.as_deref(), Some("challenge_42"));
    assert_eq!(intent.metadata["challenge_id"], "42");
    let charge = intent
        .latest_charge
        .unwrap()
        .into_object()
        .expect("expanded");
    assert_eq!(
        charge.id.as_str(),
        double.charge_of(session.id.as_str()).unwrap()
    );
    assert_eq!(charge.amount, 12_500);
    assert!(charge.paid);

    // Another key is refused like Stripe refuses it.
    let stranger = stripe::ClientBuilder::new("sk_test_someoneelse")
        .url(double.url())
        .build()
        .unwrap();
    let refused = RetrieveCheckoutSession::new(session.id.clone())
        .send(&stranger)
        .await;
    assert_eq!(stripe_error(refused).0, 401);

    // So are a parameter the endpoint does not know and an unknown id.
    let raw = reqwest::Client::new()
        .post(format!("{}/v1/checkout/sessions", double.url()))
        .bearer_auth(SECRET_KEY)
        .form(&[("mode", "payment"), ("colour", "blue")])
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let body: Value = raw.json().await.unwrap();
    assert_eq!(body["error"]["code"], "parameter_unknown");
    let missing = RetrieveCheckoutSession::new("cs_test_nope")
        .send(&client)
        .await;
    let (status, _, code) = stripe_error(missing);
    assert_eq!((status, code), (404, Some(ApiErrorsCode::ResourceMissing)));
    assert_eq!(double.sessions().len(), 1);

    // In a browser, the session's URL pays it and goes to success_url.
    let second = checkout(&client, 700, "43").await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let visit = browser.get(second.url.unwrap()).send().await.unwrap();
    assert_eq!(visit.status(), 303);
    assert_eq!(
        visit.headers()["location"],
        format!("https://tribu.test/funded?session={}", second.id.as_str())
    );
    assert!(double.charge_of(second.id.as_str()).is_some());
}

#[tokio::test]
async fn express_accounts_onboard_through_account_links() {
    let double = StripeDouble::start().await;
    let client = double.client();

    let account = express_account(&client, "u1").await;
    assert!(account.id.as_str().starts_with("acct_"));
    assert_eq!(account.charges_enabled, Some(false));
    assert_eq!(account.payouts_enabled, Some(false));
    assert_eq!(account.details_submitted, Some(false));
    let transfers = account.capabilities.as_ref().unwrap().transfers.clone();
    assert_eq!(transfers, Some(AccountCapabilitiesStatus::Inactive));
    let due = account
        .requirements
        .as_ref()
        .unwrap()
        .currently_due
        .clone()
        .unwrap();
    assert!(due.contains(&"external_account".to_owned()));
    assert_eq!(account.metadata.as_ref().unwrap()["user_id"], "u1");
    let controller = account.controller.as_ref().unwrap();
    assert_eq!(controller.is_controller, Some(true));
    assert_eq!(
        controller.stripe_dashboard.as_ref().unwrap().type_,
        AccountUnificationAccountControllerStripeDashboardType::Express
    );
    // Not the legacy Express combination (fees are the platform's, not
    // `application_express`), so Stripe reports no legacy type.
    assert_eq!(account.type_, Some(AccountType::None));

    let link = CreateAccountLink::new(
        account.id.as_str(),
        CreateAccountLinkType::AccountOnboarding,
    )
    .refresh_url("https://tribu.test/payouts/refresh")
    .return_url("https://tribu.test/payouts/done")
    .send(&client)
    .await
    .expect("an account link");
    assert_eq!(link.expires_at, link.created + 300);
    assert!(link.url.starts_with(&double.url()));

    let onboarded = double.complete_onboarding(account.id.as_str()).await;
    assert_eq!(onboarded["capabilities"]["transfers"], "active");
    let account = RetrieveAccount::new(account.id.clone())
        .send(&client)
        .await
        .expect("retrieve the account");
    assert_eq!(account.charges_enabled, Some(true));
    assert_eq!(account.details_submitted, Some(true));
    assert_eq!(
        account.capabilities.unwrap().transfers,
        Some(AccountCapabilitiesStatus::Active)
    );
    assert!(account
        .requirements
        .unwrap()
        .currently_due
        .unwrap()
        .is_empty());

    // In a browser the link finishes onboarding and goes back to the app.
    let second = express_account(&client, "u2").await;
    let link = CreateAccountLink::new(second.id.as_str(), CreateAccountLinkType::AccountOnboarding)
        .refresh_url("https://tribu.test/payouts/refresh")
        .return_url("https://tribu.test/payouts/done")
        .send(&client)
        .await
        .unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let visit = browser.get(&link.url).send().await.unwrap();
    assert_eq!(visit.status(), 303);
    assert_eq!(
        visit.headers()["location"],
        "https://tribu.test/payouts/done"
    );
    assert_eq!(double.accounts()[1]["details_submitted"], true);

    // Express needs Stripe to collect requirements.
    let mut controller = CreateAccountController::new();
    controller.requirement_collection =
        Some(CreateAccountControllerRequirementCollection::Application);
    controller.stripe_dashboard = Some(CreateAccountControllerStripeDashboard {
        type_: Some(CreateAccountControllerStripeDashboardType::Express),
    });
    let refused = CreateAccount::new()
        .controller(controller)
        .send(&client)
        .await;
    assert_eq!(stripe_error(refused).0, 400);
    assert_eq!(double.accounts().len(), 2);
}

#[tokio::test]
async fn transfers_are_bounded_by_their_source_and_listed() {
    let double = StripeDouble::start().await;
    let client = double.client();
    let (charge, _, account) = funded(&double, 10_000, "7").await;

    // An account that has not finished onboarding cannot receive transfers.
    let newcomer = express_account(&client, "newcomer").await;
    let refused = transfer(&charge, newcomer.id.as_str(), 1_000, "challenge_7")
        .send(&client)
        .await;
    assert_eq!(stripe_error(refused).0, 400);

    let first = transfer(&charge, &account, 6_000, "challenge_7")
        .send(&client)
        .await
        .expect("a transfer");
    assert!(first.id.as_str().starts_with("tr_"));
    assert_eq!(first.amount, 6_000);
    assert_eq!(first.destination.as_ref().unwrap().id().as_str(), account);
    assert_eq!(
        first.source_transaction.as_ref().unwrap().id().as_str(),
        charge
    );
    assert_eq!(first.transfer_group.as_deref(), Some("challenge_7"));
    assert_eq!(first.metadata["award_id"], "7");

    // 4 000 are left on the charge.
    let too_much = transfer(&charge, &account, 5_000, "challenge_7")
        .send(&client)
        .await;
    let (status, _, code) = stripe_error(too_much);
    assert_eq!(
        (status, code),
        (400, Some(ApiErrorsCode::BalanceInsufficient))
    );
    let second = transfer(&charge, &account, 4_000, "challenge_7")
        .send(&client)
        .await
        .expect("the rest");
    double
        .insert_transfer_out_of_band(&account, 300, "eur", Some("challenge_8"))
        .await;

    let listed = ListTransfer::new()
        .transfer_group("challenge_7")
        .send(&client)
        .await
        .expect("a list");
    let ids: Vec<&str> = listed.data.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, [second.id.as_str(), first.id.as_str()], "newest first");
    assert!(!listed.has_more);
    assert_eq!(listed.url, "/v1/transfers");

    let page = ListTransfer::new()
        .transfer_group("challenge_7")
        .limit(1)
        .send(&client)
        .await
        .unwrap();
    assert!(page.has_more);
    let next = ListTransfer::new()
        .transfer_group("challenge_7")
        .limit(1)
        .starting_after(page.data[0].id.as_str())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(next.data[0].id, first.id);
    assert!(!next.has_more);

    let to_account = ListTransfer::new()
        .destination(account.as_str())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(to_account.data.len(), 3, "the out-of-band one too");
    assert_eq!(double.transfers().len(), 3);
}

#[tokio::test]
async fn refunds_are_bounded_by_the_charge() {
    let double = StripeDouble::start().await;
    let client = double.client();
    let session = checkout(&client, 5_000, "9").await;
    double.pay_checkout(session.id.as_str()).await;
    let pi = double.payment_intent_of(session.id.as_str()).unwrap();

    let partial = CreateRefund::new()
        .payment_intent(pi.as_str())
        .amount(2_000)
        .reason(CreateRefundReason::RequestedByCustomer)
        .metadata(strings(&[("challenge_id", "9")]))
        .send(&client)
        .await
        .expect("a refund");
    assert!(partial.id.as_str().starts_with("re_"));
    assert_eq!(partial.status.as_deref(), Some("succeeded"));
    assert_eq!(partial.amount, 2_000);
    assert_eq!(partial.payment_intent.as_ref().unwrap().id().as_str(), pi);

    let too_much = CreateRefund::new()
        .payment_intent(pi.as_str())
        .amount(4_000)
        .send(&client)
        .await;
    let (status, _, code) = stripe_error(too_much);
    assert_eq!((status, code), (400, Some(ApiErrorsCode::AmountTooLarge)));

    // A refund that Stripe accepts, then fails: the money can be refunded
    // again.
    double.inject_fault("POST", "/v1/refunds", Fault::RefundPending, 1);
    let pending = CreateRefund::new()
        .payment_intent(pi.as_str())
        .send(&client)
        .await
        .expect("the rest, pending");
    assert_eq!(pending.status.as_deref(), Some("pending"));
    assert_eq!(pending.amount, 3_000);
    let failed = double.fail_refund(pending.id.as_str()).await;
    assert_eq!(failed["status"], "failed");

    let rest = CreateRefund::new()
        .payment_intent(pi.as_str())
        .send(&client)
        .await
        .expect("the rest");
    assert_eq!(rest.amount, 3_000);
    let again = CreateRefund::new()
        .payment_intent(pi.as_str())
        .send(&client)
        .await;
    let (status, _, code) = stripe_error(again);
    assert_eq!(
        (status, code),
        (400, Some(ApiErrorsCode::ChargeAlreadyRefunded))
    );

    let listed = ListRefund::new()
        .payment_intent(pi.as_str())
        .send(&client)
        .await
        .expect("a list");
    let statuses: Vec<_> = listed
        .data
        .iter()
        .map(|r| r.status.clone().unwrap())
        .collect();
    assert_eq!(statuses, ["succeeded", "failed", "succeeded"]);
    assert_eq!(listed.url, "/v1/refunds");
}

#[tokio::test]
async fn idempotency_keys_replay_or_refuse() {
    let double = StripeDouble::start().await;
    let client = double.client();
    let (charge, pi, account) = funded(&double, 10_000, "3").await;
    let key = || RequestStrategy::Idempotent(IdempotencyKey::new("award-3-solver-1").unwrap());

    let first = transfer(&charge, &account, 1_000, "challenge_3")
        .customize()
        .request_strategy(key())
        .send(&client)
        .await
        .expect("a transfer");
    let again = transfer(&charge, &account, 1_000, "challenge_3")
        .customize()
        .request_strategy(key())
        .send(&client)
        .await
        .expect("the same transfer");
    assert_eq!(first.id, again.id);
    assert_eq!(double.transfers().len(), 1);
    assert_eq!(double.calls("POST", "/v1/transfers"), 2);
    assert!(double.requests().last().unwrap().replayed);

    let other_amount = transfer(&charge, &account, 2_000, "challenge_3")
        .customize()
        .request_strategy(key())
        .send(&client)
        .await;
    let (status, kind, _) = stripe_error(other_amount);
    assert_eq!((status, kind), (400, ApiErrorsType::IdempotencyError));
    let other_path = CreateRefund::new()
        .payment_intent(pi.as_str())
        .customize()
        .request_strategy(key())
        .send(&client)
        .await;
    assert_eq!(stripe_error(other_path).1, ApiErrorsType::IdempotencyError);
    assert_eq!(double.transfers().len(), 1);
    assert!(double.refunds().is_empty());

    // The replay carries Stripe's header (the client cannot show headers).
    let raw = reqwest::Client::new();
    let post = || {
        raw.post(format!("{}/v1/transfers", double.url()))
            .bearer_auth(SECRET_KEY)
            .header("Idempotency-Key", "raw-1")
            .form(&[
                ("amount", "500"),
                ("currency", "eur"),
                ("destination", account.as_str()),
                ("metadata[b]", "2"),
                ("metadata[a]", "1"),
            ])
            .send()
    };
    let original = post().await.unwrap();
    assert!(original.headers().get("idempotent-replayed").is_none());
    let original: Value = original.json().await.unwrap();
    let replay = post().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(original, replay);
    assert_eq!(double.transfers().len(), 2);
}

#[tokio::test]
async fn faults_fail_requests_as_asked() {
    let double = StripeDouble::start().await;
    let client = double.client();
    let (charge, _, account) = funded(&double, 10_000, "5").await;

    // A 500 before anything ran, then success on the client's retry.
    double.inject_fault("POST", "/v1/transfers", Fault::ServerError, 1);
    let retried = transfer(&charge, &account, 1_000, "challenge_5")
        .customize()
        .request_strategy(RequestStrategy::Retry(2))
        .send(&client)
        .await
        .expect("the retry succeeds");
    assert_eq!(double.calls("POST", "/v1/transfers"), 2);
    assert_eq!(double.transfers().len(), 1);
    assert_eq!(double.transfers()[0]["id"], retried.id.as_str());

    // 429 with Retry-After.
    double.inject_fault(
        "GET",
        "/v1/transfers",
        Fault::RateLimited { retry_after: 2 },
        1,
    );
    let limited = reqwest::Client::new()
        .get(format!("{}/v1/transfers", double.url()))
        .bearer_auth(SECRET_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "2");
    let listed = ListTransfer::new().send(&client).await.expect("then fine");
    assert_eq!(listed.data.len(), 1);

    // A request that took effect but whose answer came too late: the
    // retry with the same key gets the stored answer, no second transfer.
    double.inject_fault(
        "POST",
        "/v1/transfers",
        Fault::Timeout {
            delay: Duration::from_millis(1_500),
            applied: true,
        },
        1,
    );
    let key = || RequestStrategy::Idempotent(IdempotencyKey::new("late-1").unwrap());
    let started = Instant::now();
    let late = transfer(&charge, &account, 2_000, "challenge_5")
        .customize()
        .request_strategy(key())
        .timeout(Duration::from_millis(300))
        .send(&client)
        .await;
    assert!(matches!(late, Err(StripeError::Timeout)), "{late:?}");
    assert!(started.elapsed() < Duration::from_millis(1_000));
    assert_eq!(double.transfers().len(), 2, "it took effect");
    assert_eq!(double.calls("POST", "/v1/transfers"), 3);
    let replayed = transfer(&charge, &account, 2_000, "challenge_5")
        .customize()
        .request_strategy(key())
        .send(&client)
        .await
        .expect("the stored answer");
    assert_eq!(double.transfers()[1]["id"], replayed.id.as_str());
    assert_eq!(double.transfers().len(), 2);

    // A request that never took effect: the client gave up, nothing exists.
    double.inject_fault(
        "POST",
        "/v1/transfers",
        Fault::Timeout {
            delay: Duration::from_millis(800),
            applied: false,
        },
        1,
    );
    let lost = transfer(&charge, &account, 100, "challenge_5")
        .customize()
        .timeout(Duration::from_millis(200))
        .send(&client)
        .await;
    assert!(matches!(lost, Err(StripeError::Timeout)), "{lost:?}");
    assert_eq!(double.calls("POST", "/v1/transfers"), 5);
    assert_eq!(double.transfers().len(), 2);

    // A business refusal.
    double.inject_fault("POST", "/v1/transfers", Fault::BalanceInsufficient, 1);
    let broke = transfer(&charge, &account, 100, "challenge_5")
        .send(&client)
        .await;
    assert_eq!(
        stripe_error(broke).2,
        Some(ApiErrorsCode::BalanceInsufficient)
    );
    transfer(&charge, &account, 100, "challenge_5")
        .send(&client)
        .await
        .expect("the fault was used up");
}

/// A webhook endpoint on 127.0.0.1: records `Stripe-Signature` and the raw
/// body of each POST and answers 200. A plain thread, so it runs whatever
/// the test's runtime does.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(String, String)>>>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (sink, halt) = (got.clone(), stop.clone());
        std::thread::spawn(move || {
            while !halt.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => answer(stream, &sink),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Receiver { url, got, stop }
    }

    fn received(&self) -> Vec<(String, String)> {
        self.got.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Reads one HTTP/1.1 request, records (Stripe-Signature, body), then
/// answers 200: recorded first, so a delivery the double saw succeed is
/// always visible to the test.
fn answer(stream: TcpStream, sink: &Mutex<Vec<(String, String)>>) {
    let _ = read_and_record(stream, sink);
}

fn read_and_record(mut stream: TcpStream, sink: &Mutex<Vec<(String, String)>>) -> Option<()> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let length: usize = header("content-length")?.parse().ok()?;
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8(buf[head_end..head_end + length].to_vec()).ok()?;
    let signature = header("stripe-signature").unwrap_or_default();
    sink.lock().unwrap().push((signature, body));
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .ok()
}

fn event_type(body: &str) -> String {
    let event: Value = serde_json::from_str(body).unwrap();
    event["type"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn webhooks_are_signed_and_delivered_like_stripe() {
    let double = StripeDouble::start().await;
    let client = double.client();
    let receiver = Receiver::start();
    double.set_webhook(&receiver.url, PLATFORM_SECRET, CONNECT_SECRET);

    // A platform event, signed with the platform secret.
    let session = checkout(&client, 8_000, "11").await;
    double.pay_checkout(session.id.as_str()).await;
    let received = receiver.received();
    assert_eq!(received.len(), 1, "delivered before pay_checkout returns");
    let (signature, body) = &received[0];
    assert!(signature.starts_with("t=") && signature.contains(",v1="));
    let event = Webhook::construct_event(body, signature, PLATFORM_SECRET).expect("verifies");
    assert_eq!(event.type_, EventType::CheckoutSessionCompleted);
    assert_eq!(
        event.api_version.map(|v| v.to_string()),
        Some(API_VERSION.into())
    );
    assert!(event.account.is_none());
    match event.data.object {
        EventObject::CheckoutSessionCompleted(s) => {
            assert_eq!(s.id, session.id);
            assert_eq!(s.payment_status, CheckoutSessionPaymentStatus::Paid);
        }
        other => panic!("unexpected object {other:?}"),
    }
    assert!(matches!(
        Webhook::construct_event(body, signature, CONNECT_SECRET),
        Err(WebhookError::BadSignature)
    ));

    // A Connect event, signed with the Connect secret.
    let account = express_account(&client, "u11").await;
    double.complete_onboarding(account.id.as_str()).await;
    let (signature, body) = receiver.received()[1].clone();
    let event = Webhook::construct_event(&body, &signature, CONNECT_SECRET).expect("verifies");
    assert_eq!(event.type_, EventType::AccountUpdated);
    assert_eq!(event.account.as_deref(), Some(account.id.as_str()));
    assert!(event.data.previous_attributes.is_some());
    assert!(matches!(
        Webhook::construct_event(&body, &signature, PLATFORM_SECRET),
        Err(WebhookError::BadSignature)
    ));

    // Events caused by API calls go out in the background and name the
    // request.
    let charge = double.charge_of(session.id.as_str()).unwrap();
    transfer(&charge, account.id.as_str(), 8_000, "challenge_11")
        .customize()
        .request_strategy(RequestStrategy::Idempotent(
            IdempotencyKey::new("t-11").unwrap(),
        ))
        .send(&client)
        .await
        .unwrap();
    double.wait_for_deliveries().await;
    let (signature, body) = receiver.received()[2].clone();
    let event = Webhook::construct_event(&body, &signature, PLATFORM_SECRET).expect("verifies");
    assert_eq!(event.type_, EventType::TransferCreated);
    let request = event.request.unwrap();
    assert!(request.id.unwrap().starts_with("req_"));
    assert_eq!(request.idempotency_key.as_deref(), Some("t-11"));

    // Held, then released newest first, each twice.
    double.hold_events(true);
    let late = checkout(&client, 3_000, "12").await;
    double.pay_checkout_async(late.id.as_str()).await;
    assert_eq!(receiver.received().len(), 3, "held");
    assert_eq!(double.held_events().len(), 2);
    double.hold_events(false);
    double.release_events(Order::Reversed, 2).await;
    let types: Vec<String> = receiver.received()[3..]
        .iter()
        .map(|(_, body)| event_type(body))
        .collect();
    assert_eq!(
        types,
        [
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_succeeded",
            "checkout.session.completed",
            "checkout.session.completed",
        ]
    );
    let first_id = double.events()[0]["id"].as_str().unwrap().to_owned();
    double.redeliver(&first_id).await;
    let (_, body) = receiver.received().last().unwrap().clone();
    assert!(body.contains(&first_id));
    assert!(double.deliveries().iter().all(|d| d.status == Some(200)));
    assert_eq!(double.deliveries().len(), 8);

    // Every kind of event the double emits parses into async-stripe's
    // types under the secret of its kind.
    let refund_session = checkout(&client, 2_000, "13").await;
    double.pay_checkout(refund_session.id.as_str()).await;
    let pi = double
        .payment_intent_of(refund_session.id.as_str())
        .unwrap();
    double.inject_fault("POST", "/v1/refunds", Fault::RefundPending, 1);
    let refund = CreateRefund::new()
        .payment_intent(pi)
        .send(&client)
        .await
        .unwrap();
    double.fail_refund(refund.id.as_str()).await;
    let expiring = checkout(&client, 2_000, "14").await;
    double.expire_checkout(expiring.id.as_str()).await;
    let failing = checkout(&client, 2_000, "15").await;
    double.begin_async_payment(failing.id.as_str()).await;
    double
        .settle_async_payment(failing.id.as_str(), false)
        .await;
    double.restrict_account(account.id.as_str()).await;
    double
        .insert_transfer_out_of_band(account.id.as_str(), 100, "eur", None)
        .await;
    double.wait_for_deliveries().await;

    let mut seen = std::collections::BTreeSet::new();
    for event in double.events() {
        let body = event.to_string();
        let secret = if event["account"].is_string() {
            CONNECT_SECRET
        } else {
            PLATFORM_SECRET
        };
        let header = Webhook::generate_test_header(&body, secret, None);
        let parsed = Webhook::construct_event(&body, &header, secret)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", event["type"]));
        assert_eq!(parsed.type_.as_str(), event["type"]);
        seen.insert(parsed.type_.as_str().to_owned());
    }
    let expected = [
        "account.updated",
        "checkout.session.async_payment_failed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.completed",
        "checkout.session.expired",
        "refund.created",
        "refund.failed",
        "refund.updated",
        "transfer.created",
    ];
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), expected);
    assert_eq!(receiver.received().len(), double.deliveries().len());
}
