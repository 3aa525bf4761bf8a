//! Payment providers, in domain terms: start a funding payment, read what
//! became of it, create a recipient account and its onboarding link, read a
//! recipient's status, transfer, refund, and verify and parse a webhook.
//!
//! Every call that moves money carries an idempotency key that the caller
//! stored before making the call (a payout's `transfer:{award}:{member}`, a
//! refund's `refund:{challenge}`), so a retry after a crash or a timeout
//! makes the same transfer again at most in name: the provider answers with
//! the first one.
//!
//! Two adapters: [`manual::Manual`] (the embedded default: money moves by
//! bank transfer and platform admins record it) and [`stripe::Stripe`]
//! (Checkout for funding, Connect Express accounts and transfers for
//! payouts, refunds of the funding payment).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub mod manual;
pub mod stripe;

/// A boxed future, so the trait can be used as `dyn PaymentProvider`.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// Why a provider call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Worth retrying with the same idempotency key: 429, 5xx, a timeout or
    /// a network error.
    #[error("temporary: {0}")]
    Temporary(String),
    /// The provider refused it (another 4xx); retrying changes nothing.
    #[error("refused: {0}")]
    Refused(String),
    /// This provider does not do that (the manual one moves no money itself).
    #[error("not supported by this provider")]
    Unsupported,
}

/// A funding payment to start: the pool plus the platform fee.
#[derive(Debug, Clone)]
pub struct FundingOrder {
    pub funding_id: String,
    pub challenge_id: String,
    pub challenge_title: String,
    /// Pool plus fee, in minor units.
    pub total: i64,
    pub currency: String,
    pub success_url: String,
    pub cancel_url: String,
    pub idempotency_key: String,
}

/// Where the payer goes to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub session_id: String,
    pub url: String,
}

/// What became of a funding payment, as the provider says now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingState {
    pub session_id: String,
    /// The money is there.
    pub paid: bool,
    /// The funding request it pays (from the session's metadata).
    pub funding_id: Option<String>,
    pub payment_intent: Option<String>,
    /// The charge transfers name as their source.
    pub charge: Option<String>,
    pub amount_total: i64,
}

/// What a recipient account can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientState {
    pub account_id: String,
    /// It can receive transfers now.
    pub payouts_enabled: bool,
    /// What the provider still needs from the person.
    pub requirements: Vec<String>,
}

/// A transfer to a recipient.
#[derive(Debug, Clone)]
pub struct TransferOrder {
    pub destination: String,
    pub amount: i64,
    pub currency: String,
    /// The charge of the funding payment the money came from.
    pub source_charge: Option<String>,
    pub transfer_group: String,
    pub description: String,
    pub idempotency_key: String,
    /// Our ids, kept with the transfer (payout, award, user).
    pub metadata: Vec<(String, String)>,
}

/// A refund of (part of) a funding payment.
#[derive(Debug, Clone)]
pub struct RefundOrder {
    pub payment_intent: String,
    pub amount: i64,
    pub idempotency_key: String,
    pub metadata: Vec<(String, String)>,
}

/// What the provider did with a transfer or refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The provider's id (`tr_…`, `re_…`).
    pub reference: String,
    /// Arrived (a transfer between Stripe balances is immediate; a refund
    /// may stay pending until a webhook says what became of it).
    pub done: bool,
    /// The provider says it failed (a refund can fail after being accepted).
    pub failed: bool,
}

/// A money movement the provider holds (reconciliation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    /// Our key or id, from the movement's metadata, if it carries one.
    pub ours: Option<String>,
}

/// A verified webhook event, reduced to what Tribu acts on. Objects are
/// re-fetched before acting: an event says only where to look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    pub id: String,
    pub kind: String,
    pub subject: Subject,
}

/// What an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A Checkout Session was paid (or its async payment settled).
    FundingSession(String),
    /// A recipient account changed.
    Recipient(String),
    /// A refund changed.
    Refund(String),
    /// Nothing Tribu acts on.
    Other,
}

/// A payment provider. Implementations are cheap to share (`Arc`).
pub trait PaymentProvider: Send + Sync {
    /// `manual` or `stripe`, as stored on fundings, payouts and refunds.
    fn name(&self) -> &'static str;
    /// Starts a card payment; the manual provider has none (`Unsupported`).
    fn start_funding<'a>(&'a self, order: &'a FundingOrder) -> Call<'a, Checkout>;
    /// What became of a funding payment.
    fn funding_state<'a>(&'a self, session_id: &'a str) -> Call<'a, FundingState>;
    /// Creates a recipient account for a person; returns its id.
    fn create_recipient<'a>(
        &'a self,
        user_id: &'a str,
        email: &'a str,
        key: &'a str,
    ) -> Call<'a, String>;
    /// A fresh onboarding link (they expire within minutes).
    fn onboarding_link<'a>(
        &'a self,
        account_id: &'a str,
        return_url: &'a str,
        refresh_url: &'a str,
    ) -> Call<'a, String>;
    /// What a recipient account can do now.
    fn recipient_state<'a>(&'a self, account_id: &'a str) -> Call<'a, RecipientState>;
    /// Transfers money to a recipient.
    fn transfer<'a>(&'a self, order: &'a TransferOrder) -> Call<'a, Sent>;
    /// Refunds (part of) a funding payment.
    fn refund<'a>(&'a self, order: &'a RefundOrder) -> Call<'a, Sent>;
    /// What became of a refund.
    fn refund_state<'a>(&'a self, refund_id: &'a str) -> Call<'a, Sent>;
    /// Every transfer of a transfer group (reconciliation).
    fn transfers_of<'a>(&'a self, group: &'a str) -> Call<'a, Vec<Movement>>;
    /// Every refund of a payment (reconciliation).
    fn refunds_of<'a>(&'a self, payment_intent: &'a str) -> Call<'a, Vec<Movement>>;
    /// Verifies a webhook's signature over its raw body and parses it.
    fn parse_webhook(
        &self,
        body: &str,
        signature: &str,
        now: i64,
    ) -> Result<WebhookEvent, ProviderError>;
}

/// The provider the configuration names.
pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Arc<dyn PaymentProvider>> {
    Ok(match config.payment_provider {
        crate::config::PaymentProvider::Manual => Arc::new(manual::Manual),
        crate::config::PaymentProvider::Stripe => Arc::new(stripe::Stripe::from_config(config)?),
    })
}

/// The transfer group of a challenge: every transfer of its prize money.
pub fn transfer_group(challenge_id: &str) -> String {
    format!("challenge_{challenge_id}")
}
