//! The manual provider: money moves by bank transfer. Organisations quote a
//! reference with their transfer and a platform admin confirms it; admins
//! send prizes and refunds themselves and record each one
//! (`payouts::service::record_*`). Nothing here calls anyone.

use super::{
    Call, Checkout, FundingOrder, FundingState, Movement, PaymentProvider, ProviderError,
    RecipientState, RefundOrder, Sent, TransferOrder, WebhookEvent,
};

/// Bank transfers recorded by platform admins.
#[derive(Debug, Clone, Copy, Default)]
pub struct Manual;

fn unsupported<'a, T: Send + 'a>() -> Call<'a, T> {
    Box::pin(async { Err(ProviderError::Unsupported) })
}

impl PaymentProvider for Manual {
    fn name(&self) -> &'static str {
        "manual"
    }
    fn start_funding<'a>(&'a self, _: &'a FundingOrder) -> Call<'a, Checkout> {
        unsupported()
    }
    fn funding_state<'a>(&'a self, _: &'a str) -> Call<'a, FundingState> {
        unsupported()
    }
    fn create_recipient<'a>(&'a self, _: &'a str, _: &'a str, _: &'a str) -> Call<'a, String> {
        unsupported()
    }
    fn onboarding_link<'a>(&'a self, _: &'a str, _: &'a str, _: &'a str) -> Call<'a, String> {
        unsupported()
    }
    fn recipient_state<'a>(&'a self, _: &'a str) -> Call<'a, RecipientState> {
        unsupported()
    }
    fn transfer<'a>(&'a self, _: &'a TransferOrder) -> Call<'a, Sent> {
        unsupported()
    }
    fn refund<'a>(&'a self, _: &'a RefundOrder) -> Call<'a, Sent> {
        unsupported()
    }
    fn refund_state<'a>(&'a self, _: &'a str) -> Call<'a, Sent> {
        unsupported()
    }
    fn transfers_of<'a>(&'a self, _: &'a str) -> Call<'a, Vec<Movement>> {
        unsupported()
    }
    fn refunds_of<'a>(&'a self, _: &'a str) -> Call<'a, Vec<Movement>> {
        unsupported()
    }
    fn parse_webhook(&self, _: &str, _: &str, _: i64) -> Result<WebhookEvent, ProviderError> {
        Err(ProviderError::Unsupported)
    }
}
