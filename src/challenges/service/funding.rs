//! Money of a challenge: its escrow flows, asking to fund the pool, a
//! platform admin confirming that the money arrived, and cancelling with a
//! refund of the escrow. Every movement is one ledger entry with an
//! idempotency key, so nothing moves twice.

use super::{actor_user, apply, audit_challenge, checked_text, currency_of, org_access_locked};
use crate::audit::Actor;
use crate::auth::principal::Principal;
use crate::challenges::model::{Event, State};
use crate::challenges::store::{self, Challenge};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::money::model::{
    fee_for, funding_lines, funding_needed, payment_reference, refund_lines, EscrowFlows,
};
use crate::money::provider::{FundingOrder, FundingState};
use crate::money::store as ledger;
use crate::notify::mail::EmailKind;
use crate::orgs::model::OrgAction;
use crate::state::AppState;

/// The escrow flows of a challenge.
pub fn flows(conn: &mut DbConnection, c: &Challenge) -> AppResult<EscrowFlows> {
    Ok(ledger::escrow_flows(
        conn,
        &c.id,
        &currency_of(&c.currency)?,
    )?)
}

/// Longest reason for a cancellation, in characters.
pub const CANCEL_REASON_MAX: usize = 1000;

/// Cancels a challenge (draft, open or closed) for `reason` (shown on its
/// public page) and refunds its escrow to the organisation in the same
/// transaction.
pub async fn cancel(
    state: &AppState,
    caller: &Principal,
    key: &str,
    reason: &str,
) -> AppResult<Challenge> {
    let reason = checked_text("reason", reason, 1, CANCEL_REASON_MAX)?;
    let (caller, key) = (caller.clone(), key.to_owned());
    let provider = crate::payouts::service::provider_name(state);
    state
        .tx(move |c| {
            // Read under the lock: the state may have moved meanwhile.
            let ch = org_access_locked(c, &caller, &key, OrgAction::PublishChallenges)?;
            let at = now();
            apply(c, &caller.actor(), &ch, Event::Cancel, at)?;
            store::set_cancellation(c, &ch.id, &reason, at)?;
            // Pending requests end before the refund is computed, so no
            // confirmation can add money after the one refund.
            ledger::cancel_pending(c, &ch.id)?;
            let f = flows(c, &ch)?;
            let cur = currency_of(&ch.currency)?;
            let lines = refund_lines(&ch.id, &ch.org_id, f.balance(), &cur);
            if !lines.is_empty() {
                let key = format!("challenge:{}:refund", ch.id);
                ledger::post(
                    c,
                    ledger::Entry {
                        idempotency_key: &key,
                        kind: ledger::entry_kind::REFUND,
                        challenge_id: Some(&ch.id),
                        memo: "Challenge cancelled: escrow refunded to the organisation",
                        created_by: Some(&actor_user(&caller)),
                        lines,
                    },
                    at,
                )?;
                crate::payouts::service::open_refund(
                    c,
                    &ch.id,
                    &ch.org_id,
                    f.balance(),
                    cur.as_str(),
                    crate::payouts::service::reason::CANCELLED,
                    provider,
                    at,
                )?;
                audit_challenge(
                    c,
                    &caller.actor(),
                    &ch,
                    "escrow.refunded",
                    serde_json::json!({ "amount": f.balance() }),
                )?;
            }
            Ok(store::find(c, &ch.id)?)
        })
        .await
}

/// Asks to fund what the pool still lacks (plus the platform fee). With a
/// card provider the answer carries the Checkout page to pay on; if that
/// page cannot be made, the request is withdrawn and nothing is owed.
pub async fn request_funding(
    state: &AppState,
    caller: &Principal,
    key: &str,
) -> AppResult<ledger::Funding> {
    let (caller, key, fee_bps) = (
        caller.clone(),
        key.to_owned(),
        state.config.platform_fee_bps,
    );
    let provider = state.payments.name();
    let (base, bank) = (state.url(""), state.config.bank_details());
    let (funding, title, slug) = state
        .tx(move |c| {
            let ch = org_access_locked(c, &caller, &key, OrgAction::FundChallenges)?;
            let at = now();
            if matches!(
                ch.state_at(at),
                State::Cancelled | State::Settled | State::Awarded
            ) {
                return Err(AppError::conflict(
                    "not_fundable",
                    "This challenge no longer takes funding.",
                ));
            }
            let f = flows(c, &ch)?;
            let pending = ledger::pending_amount(c, &ch.id)?;
            let need = funding_needed(ch.prize_total, f.balance(), pending);
            if need == 0 {
                return Err(AppError::conflict(
                    "already_funded",
                    "The prize pool is funded or a request for the rest is waiting.",
                ));
            }
            let funding = ledger::create_funding(
                c,
                ledger::NewFunding {
                    challenge_id: &ch.id,
                    amount: need,
                    fee: fee_for(need, fee_bps),
                    currency: &ch.currency,
                    by: &actor_user(&caller),
                    provider,
                },
                at,
            )?;
            audit_challenge(
                c,
                &caller.actor(),
                &ch,
                "funding.requested",
                serde_json::json!({ "funding": funding.id, "amount": need, "fee": funding.fee }),
            )?;
            tell_requester(c, &funding, &ch, &base, Some((provider != "manual", bank)))?;
            Ok((funding, ch.title, ch.slug))
        })
        .await?;
    if provider == "manual" {
        return Ok(funding);
    }
    let order = FundingOrder {
        funding_id: funding.id.clone(),
        challenge_id: funding.challenge_id.clone(),
        challenge_title: title,
        total: funding.amount + funding.fee,
        currency: funding.currency.clone(),
        success_url: state.url(&format!("/manage/challenges/{slug}?done=card")),
        cancel_url: state.url(&format!("/manage/challenges/{slug}")),
        idempotency_key: format!("checkout:{}", funding.id),
    };
    let started = state.payments.start_funding(&order).await;
    let id = funding.id.clone();
    state
        .tx(move |c| match started {
            Ok(checkout) => {
                ledger::set_checkout(c, &id, &checkout.session_id, &checkout.url)?;
                Ok(ledger::find_funding(c, &id)?)
            }
            Err(e) => {
                tracing::warn!(funding = %id, error = %e, "card payment could not start");
                ledger::cancel_funding(c, &id)?;
                Err(AppError::Unavailable(
                    "The card payment service did not answer; nothing is owed. Try again in a moment.".into(),
                ))
            }
        })
        .await
}

/// The provider says a card payment arrived: escrow (and fee) credited
/// once, from clearing, as for a bank transfer. Call in the transaction
/// that records the provider's event; a request already confirmed (an
/// event delivered twice, or a second event of the same payment) is left
/// as it is, and so is one cancelled with its challenge (see the README's
/// known gaps: such a payment is refunded by hand).
/// `base_url` starts the link in the organisation's email.
pub fn confirm_card_payment(
    c: &mut DbConnection,
    paid: &FundingState,
    base_url: &str,
) -> AppResult<bool> {
    if !paid.paid {
        return Ok(false);
    }
    let Some(funding) = ledger::funding_by_session(c, &paid.session_id)? else {
        return Ok(false);
    };
    store::lock(c, &funding.challenge_id)?;
    let funding = ledger::find_funding(c, &funding.id)?;
    if funding.status == ledger::funding_status::CANCELLED {
        tracing::warn!(funding = %funding.id, payment = ?paid.payment_intent, "card payment for a cancelled funding request: refund it from the provider's dashboard");
    }
    if funding.status != ledger::funding_status::REQUESTED {
        return Ok(false);
    }
    let ch = store::find(c, &funding.challenge_id)?;
    let at = now();
    if ledger::mark_paid_by_card(
        c,
        &funding.id,
        paid.payment_intent.as_deref(),
        paid.charge.as_deref(),
        at,
    )? != 1
    {
        return Ok(false);
    }
    let reference = paid
        .payment_intent
        .clone()
        .unwrap_or_else(|| paid.session_id.clone());
    post_funding(c, &funding, &ch, &reference, None, at)?;
    tell_requester(c, &funding, &ch, base_url, None)?;
    Ok(true)
}

/// Tells whoever asked for `funding` by email: with `request`, what to pay
/// and how (the request was just made); without, that the money arrived.
fn tell_requester(
    c: &mut DbConnection,
    funding: &ledger::Funding,
    ch: &Challenge,
    base_url: &str,
    request: Option<(bool, Option<crate::config::BankDetails>)>,
) -> AppResult<()> {
    let cur = currency_of(&funding.currency)?;
    let user = crate::auth::store::find_user(c, &funding.requested_by)?;
    let url = format!("{base_url}/manage/challenges/{}", ch.slug);
    let kind = match request {
        Some((card, bank)) => EmailKind::FundingRequested {
            challenge: ch.title.clone(),
            total: cur.format(funding.amount + funding.fee),
            reference: payment_reference(&funding.id),
            card,
            bank,
            url,
        },
        None => EmailKind::FundingConfirmed {
            challenge: ch.title.clone(),
            amount: cur.format(funding.amount),
            url,
        },
    };
    crate::notify::queue_for_user(c, &user, &kind)
}

/// Journals a confirmed funding request (clearing → escrow and fee) and
/// audits it.
fn post_funding(
    c: &mut DbConnection,
    funding: &ledger::Funding,
    ch: &Challenge,
    reference: &str,
    by: Option<&str>,
    at: chrono::NaiveDateTime,
) -> AppResult<()> {
    let cur = currency_of(&funding.currency)?;
    let posted = ledger::post(
        c,
        ledger::Entry {
            idempotency_key: &format!("funding:{}:confirm", funding.id),
            kind: ledger::entry_kind::FUNDING,
            challenge_id: Some(&ch.id),
            memo: &format!("Funding received, reference {reference}"),
            created_by: by,
            lines: funding_lines(&ch.id, funding.amount, funding.fee, &cur),
        },
        at,
    )?;
    ledger::set_funding_entry(c, &funding.id, posted.id())?;
    let actor = by.map(Actor::user).unwrap_or_default();
    audit_challenge(
        c,
        &actor,
        ch,
        "funding.confirmed",
        serde_json::json!({ "funding": funding.id, "amount": funding.amount, "reference": reference }),
    )
}

/// A platform admin records that the money of a funding request arrived:
/// clearing → escrow (and fee), once, whatever retries happen.
pub async fn confirm_funding(
    state: &AppState,
    admin_id: &str,
    funding_id: &str,
    reference: &str,
) -> AppResult<ledger::Funding> {
    let reference = checked_text("reference", reference, 1, 200)?;
    let (admin_id, funding_id) = (admin_id.to_owned(), funding_id.to_owned());
    let base = state.url("");
    state
        .tx(move |c| {
            let funding = ledger::find_funding(c, &funding_id)?;
            // Lock the challenge, then read: a cancellation either finished
            // (and cancelled this request) or waits until this one is done.
            store::lock(c, &funding.challenge_id)?;
            let funding = ledger::find_funding(c, &funding.id)?;
            if funding.status != ledger::funding_status::REQUESTED {
                return Err(AppError::conflict(
                    "funding_not_pending",
                    format!("This funding request is {}.", funding.status),
                ));
            }
            let ch = store::find(c, &funding.challenge_id)?;
            if matches!(
                ch.stored_state(),
                State::Cancelled | State::Awarded | State::Settled
            ) {
                return Err(AppError::conflict(
                    "not_fundable",
                    format!("This challenge is {}.", ch.stored_state().as_str()),
                ));
            }
            let at = now();
            // Claim the request first: the conditional update locks the row, so
            // a concurrent confirmation waits, then finds it handled (409).
            if ledger::mark_confirmed(c, &funding.id, &reference, &admin_id, at)? != 1 {
                return Err(AppError::conflict(
                    "funding_not_pending",
                    "This funding request was handled meanwhile.",
                ));
            }
            post_funding(c, &funding, &ch, &reference, Some(&admin_id), at)?;
            tell_requester(c, &funding, &ch, &base, None)?;
            Ok(ledger::find_funding(c, &funding.id)?)
        })
        .await
}
