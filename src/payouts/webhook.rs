//! The payment provider's webhooks: verified over the raw body, acted on
//! once per event id (recorded in the transaction of the effect), in any
//! order: the object an event names is fetched again from the provider and
//! its state now decides, and every state machine only moves forward.

use super::accounts;
use super::runner::record_refund;
use super::store;
use crate::challenges::store as challenges;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::money::provider::{ProviderError, Subject};
use crate::state::AppState;

/// What a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Acted on.
    Applied,
    /// Seen before: nothing done.
    Duplicate,
    /// Not something Tribu acts on (or not Tribu's object).
    Ignored,
}

/// Verifies and applies one delivery. A bad signature or an old timestamp
/// is a 400 `invalid_signature`; a provider that cannot be asked right now
/// is a 503, so the provider delivers again later.
pub async fn receive(state: &AppState, body: &str, signature: &str) -> AppResult<Outcome> {
    if state.payments.name() == "manual" {
        return Err(AppError::NotFound);
    }
    let event = state
        .payments
        .parse_webhook(body, signature, chrono::Utc::now().timestamp())
        .map_err(|e| {
            tracing::warn!(error = %e, "webhook refused");
            AppError::bad_request(
                "invalid_signature",
                "The signature does not verify, or is too old.",
            )
        })?;
    let provider = state.payments.name();
    let unavailable = |e: ProviderError| AppError::Unavailable(e.to_string());
    let (id, kind) = (event.id.clone(), event.kind.clone());
    let applied = match event.subject {
        Subject::FundingSession(session) => {
            let paid = state
                .payments
                .funding_state(&session)
                .await
                .map_err(unavailable)?;
            let base = state.url("");
            state
                .tx(move |c| {
                    if !accounts::first_time(c, &id, provider, &kind, now())? {
                        return Ok(Outcome::Duplicate);
                    }
                    crate::challenges::service::confirm_card_payment(c, &paid, &base)?;
                    Ok(Outcome::Applied)
                })
                .await?
        }
        Subject::Recipient(account) => {
            let s = state
                .payments
                .recipient_state(&account)
                .await
                .map_err(unavailable)?;
            let out = state
                .tx(move |c| {
                    if !accounts::first_time(c, &id, provider, &kind, now())? {
                        return Ok(Outcome::Duplicate);
                    }
                    if accounts::by_account(c, &s.account_id)?.is_none() {
                        return Ok(Outcome::Ignored);
                    }
                    accounts::update(c, &s.account_id, s.payouts_enabled, &s.requirements, now())?;
                    if s.payouts_enabled {
                        // Payables waiting for this account are due now.
                        store::wake_payouts_of_account(c, &s.account_id, now())?;
                    }
                    Ok(Outcome::Applied)
                })
                .await?;
            state.wake_worker();
            out
        }
        Subject::Refund(refund) => {
            let sent = state
                .payments
                .refund_state(&refund)
                .await
                .map_err(unavailable)?;
            let base = state.url("");
            state
                .tx(move |c| {
                    if !accounts::first_time(c, &id, provider, &kind, now())? {
                        return Ok(Outcome::Duplicate);
                    }
                    let Some(r) = store::refund_by_reference(c, &sent.reference)? else {
                        return Ok(Outcome::Ignored);
                    };
                    challenges::lock(c, &r.challenge_id)?;
                    let r = store::find_refund(c, &r.id)?;
                    if r.state() != super::model::Status::Submitted {
                        return Ok(Outcome::Ignored);
                    }
                    record_refund(c, &base, r, Ok(sent))?;
                    Ok(Outcome::Applied)
                })
                .await?
        }
        Subject::Other => Outcome::Ignored,
    };
    Ok(applied)
}
