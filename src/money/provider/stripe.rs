//! The Stripe adapter (async-stripe 1.0): Checkout Sessions for funding by
//! card, Express connected accounts with account links for solvers,
//! transfers from the funding charge ("separate charges and transfers"),
//! refunds of the funding payment, and webhook verification.
//!
//! Every call that moves money is sent with its stored idempotency key
//! (`RequestStrategy::Idempotent`) and retried here, with the same key, on
//! 429, 5xx, timeouts and network errors, never on other 4xx. async-stripe's
//! own retry strategies are not used: without its `uuid` feature they send
//! no key, and a retried transfer could be made twice.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use stripe::{IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ProductData, RetrieveCheckoutSession,
};
use stripe_checkout::{CheckoutSessionMode, CheckoutSessionPaymentStatus};
use stripe_connect::account::{
    CreateAccount, CreateAccountCapabilities, CreateAccountCapabilitiesTransfers,
    CreateAccountController, CreateAccountControllerFees, CreateAccountControllerFeesPayer,
    CreateAccountControllerLosses, CreateAccountControllerLossesPayments,
    CreateAccountControllerRequirementCollection, CreateAccountControllerStripeDashboard,
    CreateAccountControllerStripeDashboardType, RetrieveAccount,
};
use stripe_connect::account_link::{CreateAccountLink, CreateAccountLinkType};
use stripe_connect::transfer::{CreateTransfer, ListTransfer};
use stripe_connect::AccountCapabilitiesStatus;
use stripe_core::refund::{CreateRefund, ListRefund, RetrieveRefund};
use stripe_webhook::{EventObject, Webhook};

use super::{
    Call, Checkout, FundingOrder, FundingState, Movement, PaymentProvider, ProviderError,
    RecipientState, RefundOrder, Sent, Subject, TransferOrder, WebhookEvent,
};
use crate::config::Config;

/// How many times a temporary failure is retried within one call, and the
/// first pause (doubling). The payout worker retries later still.
const TRIES: u32 = 4;
const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// A call that takes longer than this is a temporary failure.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// Stripe, configured from `TRIBU_STRIPE_*`.
pub struct Stripe {
    client: stripe::Client,
    webhook_secret: String,
    connect_webhook_secret: String,
    account_country: String,
}

impl Stripe {
    /// The adapter for this configuration (the secrets are checked by
    /// `Config::validate`).
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let secret = |s: &Option<crate::config::Secret>| {
            s.as_ref()
                .map(|s| s.expose().to_owned())
                .unwrap_or_default()
        };
        let client = stripe::ClientBuilder::new(secret(&config.stripe_secret_key))
            .url(config.stripe_api_base.trim_end_matches('/'))
            .build()
            .map_err(|e| anyhow::anyhow!("stripe client: {e}"))?;
        Ok(Stripe {
            client,
            webhook_secret: secret(&config.stripe_webhook_secret),
            connect_webhook_secret: secret(&config.stripe_connect_webhook_secret),
            account_country: config.stripe_account_country.clone(),
        })
    }
}

/// Sorts a Stripe error into retry-worthy or not. Messages name the code
/// and Stripe's message, never a key.
fn classify(e: StripeError) -> ProviderError {
    match e {
        StripeError::Stripe(err, status) if status == 429 || status >= 500 => {
            ProviderError::Temporary(format!("{status}: {}", err.message.unwrap_or_default()))
        }
        StripeError::Stripe(err, status) => ProviderError::Refused(format!(
            "{status} {}: {}",
            err.code
                .map(|c| c.to_string())
                .unwrap_or_else(|| format!("{:?}", err.type_)),
            err.message.unwrap_or_default()
        )),
        StripeError::Timeout | StripeError::ClientError(_) => {
            ProviderError::Temporary(e.to_string())
        }
        StripeError::JSONDeserialize(m) | StripeError::ConfigError(m) => ProviderError::Refused(m),
    }
}

/// Runs `send` until it succeeds, fails for good, or the tries run out.
async fn with_retries<T, F, Fut>(mut send: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StripeError>>,
{
    let mut pause = FIRST_PAUSE;
    let mut last = ProviderError::Temporary("not tried".into());
    for attempt in 1..=TRIES {
        let outcome = match tokio::time::timeout(CALL_TIMEOUT, send()).await {
            Ok(r) => r.map_err(classify),
            Err(_) => Err(ProviderError::Temporary("timed out".into())),
        };
        match outcome {
            Ok(v) => return Ok(v),
            Err(ProviderError::Temporary(m)) => {
                tracing::warn!(attempt, error = %m, "stripe call failed; retrying with the same key");
                last = ProviderError::Temporary(m);
                if attempt < TRIES {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
            }
            Err(other) => return Err(other),
        }
    }
    Err(last)
}

fn key(k: &str) -> Result<RequestStrategy, ProviderError> {
    IdempotencyKey::new(k)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| ProviderError::Refused(format!("idempotency key: {e}")))
}

fn currency(code: &str) -> Result<stripe_types::Currency, ProviderError> {
    stripe_types::Currency::from_str(&code.to_ascii_lowercase())
        .map_err(|_| ProviderError::Refused(format!("currency {code}")))
}

fn metadata(pairs: &[(String, String)]) -> HashMap<String, String> {
    pairs.iter().cloned().collect()
}

/// Stripe's verification error, without the payload.
fn bad_signature(e: stripe_webhook::WebhookError) -> ProviderError {
    ProviderError::Refused(format!("webhook: {e}"))
}

impl PaymentProvider for Stripe {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn start_funding<'a>(&'a self, o: &'a FundingOrder) -> Call<'a, Checkout> {
        Box::pin(async move {
            let strategy = key(&o.idempotency_key)?;
            let cur = currency(&o.currency)?;
            let meta = metadata(&[
                ("challenge_id".into(), o.challenge_id.clone()),
                ("funding_id".into(), o.funding_id.clone()),
            ]);
            let s = with_retries(|| {
                let mut price = CreateCheckoutSessionLineItemsPriceData::new(cur.clone());
                price.product_data = Some(ProductData::new(format!(
                    "Prize pool and platform fee: {}",
                    o.challenge_title
                )));
                price.unit_amount = Some(o.total);
                let item = CreateCheckoutSessionLineItems {
                    price_data: Some(price),
                    quantity: Some(1),
                    ..Default::default()
                };
                let intent = CreateCheckoutSessionPaymentIntentData {
                    transfer_group: Some(super::transfer_group(&o.challenge_id)),
                    metadata: Some(meta.clone()),
                    ..Default::default()
                };
                CreateCheckoutSession::new()
                    .mode(CheckoutSessionMode::Payment)
                    .line_items(vec![item])
                    .success_url(o.success_url.as_str())
                    .cancel_url(o.cancel_url.as_str())
                    .metadata(meta.clone())
                    .payment_intent_data(intent)
                    .client_reference_id(o.challenge_id.as_str())
                    .customize()
                    .request_strategy(strategy.clone())
                    .send(&self.client)
            })
            .await?;
            Ok(Checkout {
                url: s.url.clone().unwrap_or_default(),
                session_id: s.id.as_str().to_owned(),
            })
        })
    }

    fn funding_state<'a>(&'a self, session_id: &'a str) -> Call<'a, FundingState> {
        Box::pin(async move {
            let s = with_retries(|| {
                RetrieveCheckoutSession::new(session_id)
                    .expand(vec!["payment_intent.latest_charge".to_owned()])
                    .customize()
                    .send(&self.client)
            })
            .await?;
            let intent = s.payment_intent.as_ref();
            let charge = intent
                .and_then(|i| i.as_object())
                .and_then(|i| i.latest_charge.as_ref())
                .map(|c| c.id().as_str().to_owned());
            Ok(FundingState {
                session_id: s.id.as_str().to_owned(),
                paid: s.payment_status == CheckoutSessionPaymentStatus::Paid,
                funding_id: s
                    .metadata
                    .as_ref()
                    .and_then(|m| m.get("funding_id").cloned()),
                payment_intent: intent.map(|i| i.id().as_str().to_owned()),
                charge,
                amount_total: s.amount_total.unwrap_or_default(),
            })
        })
    }

    fn create_recipient<'a>(
        &'a self,
        user_id: &'a str,
        email: &'a str,
        k: &'a str,
    ) -> Call<'a, String> {
        Box::pin(async move {
            let strategy = key(k)?;
            let a = with_retries(|| {
                let controller = CreateAccountController {
                    fees: Some(CreateAccountControllerFees {
                        payer: Some(CreateAccountControllerFeesPayer::Application),
                    }),
                    losses: Some(CreateAccountControllerLosses {
                        payments: Some(CreateAccountControllerLossesPayments::Application),
                    }),
                    requirement_collection: Some(
                        CreateAccountControllerRequirementCollection::Stripe,
                    ),
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
                    .country(self.account_country.as_str())
                    .email(email)
                    .metadata(metadata(&[("user_id".into(), user_id.to_owned())]))
                    .customize()
                    .request_strategy(strategy.clone())
                    .send(&self.client)
            })
            .await?;
            Ok(a.id.as_str().to_owned())
        })
    }

    fn onboarding_link<'a>(
        &'a self,
        account_id: &'a str,
        return_url: &'a str,
        refresh_url: &'a str,
    ) -> Call<'a, String> {
        Box::pin(async move {
            let link = with_retries(|| {
                CreateAccountLink::new(account_id, CreateAccountLinkType::AccountOnboarding)
                    .refresh_url(refresh_url)
                    .return_url(return_url)
                    .customize()
                    .send(&self.client)
            })
            .await?;
            Ok(link.url)
        })
    }

    fn recipient_state<'a>(&'a self, account_id: &'a str) -> Call<'a, RecipientState> {
        Box::pin(async move {
            let a = with_retries(|| {
                RetrieveAccount::new(account_id)
                    .customize()
                    .send(&self.client)
            })
            .await?;
            let transfers = a.capabilities.as_ref().and_then(|c| c.transfers.clone())
                == Some(AccountCapabilitiesStatus::Active);
            let requirements = a
                .requirements
                .as_ref()
                .and_then(|r| r.currently_due.clone())
                .unwrap_or_default();
            Ok(RecipientState {
                account_id: a.id.as_str().to_owned(),
                payouts_enabled: transfers,
                requirements,
            })
        })
    }

    fn transfer<'a>(&'a self, o: &'a TransferOrder) -> Call<'a, Sent> {
        Box::pin(async move {
            let strategy = key(&o.idempotency_key)?;
            let cur = currency(&o.currency)?;
            let t = with_retries(|| {
                let mut req = CreateTransfer::new(cur.clone(), o.destination.as_str())
                    .amount(o.amount)
                    .transfer_group(o.transfer_group.as_str())
                    .description(o.description.as_str())
                    .metadata(metadata(&o.metadata));
                if let Some(ch) = &o.source_charge {
                    req = req.source_transaction(ch.as_str());
                }
                req.customize()
                    .request_strategy(strategy.clone())
                    .send(&self.client)
            })
            .await?;
            Ok(Sent {
                reference: t.id.as_str().to_owned(),
                done: true,
                failed: false,
            })
        })
    }

    fn refund<'a>(&'a self, o: &'a RefundOrder) -> Call<'a, Sent> {
        Box::pin(async move {
            let strategy = key(&o.idempotency_key)?;
            let r = with_retries(|| {
                CreateRefund::new()
                    .payment_intent(o.payment_intent.as_str())
                    .amount(o.amount)
                    .metadata(metadata(&o.metadata))
                    .customize()
                    .request_strategy(strategy.clone())
                    .send(&self.client)
            })
            .await?;
            Ok(refund_sent(&r))
        })
    }

    fn refund_state<'a>(&'a self, refund_id: &'a str) -> Call<'a, Sent> {
        Box::pin(async move {
            let r = with_retries(|| {
                RetrieveRefund::new(refund_id)
                    .customize()
                    .send(&self.client)
            })
            .await?;
            Ok(refund_sent(&r))
        })
    }

    fn transfers_of<'a>(&'a self, group: &'a str) -> Call<'a, Vec<Movement>> {
        Box::pin(async move {
            let list = with_retries(|| {
                ListTransfer::new()
                    .transfer_group(group)
                    .limit(100)
                    .customize()
                    .send(&self.client)
            })
            .await?;
            Ok(list
                .data
                .iter()
                .map(|t| Movement {
                    id: t.id.as_str().to_owned(),
                    amount: t.amount,
                    currency: t.currency.to_string().to_ascii_uppercase(),
                    ours: t.metadata.get("payout_id").cloned(),
                })
                .collect())
        })
    }

    fn refunds_of<'a>(&'a self, payment_intent: &'a str) -> Call<'a, Vec<Movement>> {
        Box::pin(async move {
            let list = with_retries(|| {
                ListRefund::new()
                    .payment_intent(payment_intent)
                    .limit(100)
                    .customize()
                    .send(&self.client)
            })
            .await?;
            Ok(list
                .data
                .iter()
                .map(|r| Movement {
                    id: r.id.as_str().to_owned(),
                    amount: r.amount,
                    currency: r.currency.to_string().to_ascii_uppercase(),
                    ours: r
                        .metadata
                        .as_ref()
                        .and_then(|m| m.get("refund_id").cloned()),
                })
                .collect())
        })
    }

    fn parse_webhook(
        &self,
        body: &str,
        signature: &str,
        now: i64,
    ) -> Result<WebhookEvent, ProviderError> {
        // Platform events are signed with one secret, Connect events with the
        // other; either verifies (each may carry several `v1` signatures).
        let event =
            Webhook::construct_event_with_timestamp(body, signature, &self.webhook_secret, now)
                .or_else(|_| {
                    Webhook::construct_event_with_timestamp(
                        body,
                        signature,
                        &self.connect_webhook_secret,
                        now,
                    )
                })
                .map_err(bad_signature)?;
        let subject = match &event.data.object {
            EventObject::CheckoutSessionCompleted(s)
            | EventObject::CheckoutSessionAsyncPaymentSucceeded(s) => {
                Subject::FundingSession(s.id.as_str().to_owned())
            }
            EventObject::AccountUpdated(a) => Subject::Recipient(a.id.as_str().to_owned()),
            EventObject::RefundCreated(r)
            | EventObject::RefundUpdated(r)
            | EventObject::RefundFailed(r) => Subject::Refund(r.id.as_str().to_owned()),
            _ => Subject::Other,
        };
        Ok(WebhookEvent {
            id: event.id.as_str().to_owned(),
            kind: event.type_.as_str().to_owned(),
            subject,
        })
    }
}

fn refund_sent(r: &stripe_core::Refund) -> Sent {
    let status = r.status.as_deref().unwrap_or("pending");
    Sent {
        reference: r.id.as_str().to_owned(),
        done: status == "succeeded",
        failed: matches!(status, "failed" | "canceled"),
    }
}
