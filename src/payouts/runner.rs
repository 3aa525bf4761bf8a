//! Sends payouts and refunds through a payment provider that moves money
//! itself (Stripe): the worker calls [`run_due`] on every pass.
//!
//! Crash safety: a payout is marked `submitted`, with a lease, before the
//! provider is called, and every call carries the payout's stored
//! idempotency key. A sender that dies mid-call leaves a submitted payout
//! whose lease lapses; the next pass sends it again with the same key, and
//! the provider answers with the transfer it already made. Two senders at
//! once are serialised by the challenge's lock and the attempt count read
//! before the claim.

use chrono::Duration;

use super::accounts;
use super::model::{self, Event, Status};
use super::service::{settle_if_done, step};
use super::store::{self, Change, Payout, Refund};
use crate::audit::Actor;
use crate::challenges::store as challenges;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::money::provider::{transfer_group, ProviderError, RefundOrder, Sent, TransferOrder};
use crate::money::store as ledger;
use crate::state::AppState;

/// How long a sender owns a payout it claimed; past it, another takes over.
const LEASE_SECS: i64 = 120;
/// How often a recipient who has not finished onboarding is asked about.
const ONBOARDING_RECHECK_SECS: i64 = 600;
/// How often a refund still pending at the provider is asked about.
const REFUND_RECHECK_SECS: i64 = 3600;
/// How many payouts and refunds one pass takes on.
const BATCH: i64 = 50;

fn unavailable(e: ProviderError) -> AppError {
    AppError::Unavailable(e.to_string())
}

/// Sends what is due; returns how many payouts and refunds moved.
pub async fn run_due(state: &AppState) -> AppResult<usize> {
    let provider = state.payments.name();
    if provider == "manual" {
        return Ok(0);
    }
    let (payouts, refunds) = state
        .db(move |c| {
            let at = now();
            Ok((
                store::due_payouts(c, provider, at, BATCH)?,
                store::due_refunds(c, provider, at, BATCH)?,
            ))
        })
        .await?;
    let mut moved = 0;
    for p in payouts {
        let id = p.id.clone();
        match pay(state, p).await {
            Ok(true) => moved += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(payout = %id, error = %e, "payout not sent"),
        }
    }
    for r in refunds {
        let id = r.id.clone();
        match refund(state, r).await {
            Ok(true) => moved += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(refund = %id, error = %e, "refund not sent"),
        }
    }
    Ok(moved)
}

/// The recipient account of a person, created on their first payable; its
/// id when it can receive transfers now.
pub async fn recipient(state: &AppState, user_id: &str) -> AppResult<(String, bool)> {
    let uid = user_id.to_owned();
    let (acct, user) = state
        .db(move |c| {
            Ok((
                accounts::of_user(c, &uid)?,
                crate::auth::store::find_user(c, &uid)?,
            ))
        })
        .await?;
    let account_id = match acct {
        Some(a) if a.payouts_enabled => return Ok((a.account_id, true)),
        Some(a) => a.account_id,
        None => {
            let key = format!("account:{}", user.id);
            let id = state
                .payments
                .create_recipient(&user.id, &user.email, &key)
                .await
                .map_err(unavailable)?;
            let (uid, provider) = (user.id.clone(), state.payments.name());
            state
                .tx(move |c| {
                    accounts::insert(c, &uid, provider, &id, now())?;
                    Ok(accounts::of_user(c, &uid)?
                        .map(|a| a.account_id)
                        .unwrap_or(id))
                })
                .await?
        }
    };
    // The webhook usually says first; ask when it has not.
    let s = state
        .payments
        .recipient_state(&account_id)
        .await
        .map_err(unavailable)?;
    let (id, enabled) = (s.account_id.clone(), s.payouts_enabled);
    state
        .tx(move |c| {
            Ok(accounts::update(
                c,
                &s.account_id,
                s.payouts_enabled,
                &s.requirements,
                now(),
            )?)
        })
        .await?;
    Ok((id, enabled))
}

/// Sends one payout: recipient ready, claim, transfer, record.
async fn pay(state: &AppState, p: Payout) -> AppResult<bool> {
    let (destination, ready) = recipient(state, &p.user_id).await?;
    if !ready {
        let id = p.id.clone();
        state
            .tx(move |c| {
                let at = now();
                Ok(store::put_off_payout(
                    c,
                    &id,
                    at + Duration::seconds(ONBOARDING_RECHECK_SECS),
                    false,
                    at,
                )?)
            })
            .await?;
        return Ok(false);
    }
    let base = state.url("");
    let (seen, b) = (p.clone(), base.clone());
    let claimed = state
        .tx(move |c| {
            challenges::lock(c, &seen.challenge_id)?;
            let cur = store::find_payout(c, &seen.id)?;
            if cur.attempts != seen.attempts
                || !matches!(cur.state(), Status::Pending | Status::Submitted)
            {
                return Ok(None);
            }
            let at = now();
            let lease = at + Duration::seconds(LEASE_SECS);
            if cur.state() == Status::Pending {
                let change = Change {
                    next_attempt_at: Some(lease),
                    attempt: true,
                    ..Change::default()
                };
                step(c, &b, &Actor::default(), &cur, Event::Submit, change, at)?;
            } else {
                store::put_off_payout(c, &cur.id, lease, true, at)?;
            }
            let source = ledger::card_payments(c, &cur.challenge_id)?
                .into_iter()
                .find_map(|f| f.charge_id);
            Ok(Some((store::find_payout(c, &cur.id)?, source)))
        })
        .await?;
    let Some((p, source)) = claimed else {
        return Ok(false);
    };
    let order = TransferOrder {
        destination,
        amount: p.amount,
        currency: p.currency.clone(),
        source_charge: source,
        transfer_group: transfer_group(&p.challenge_id),
        description: "Tribu prize".into(),
        idempotency_key: p.idempotency_key.clone(),
        metadata: vec![
            ("payout_id".into(), p.id.clone()),
            ("award_id".into(), p.award_id.clone()),
            ("user_id".into(), p.user_id.clone()),
        ],
    };
    let outcome = state.payments.transfer(&order).await;
    state
        .tx(move |c| {
            challenges::lock(c, &p.challenge_id)?;
            let cur = store::find_payout(c, &p.id)?;
            record(c, &base, cur, outcome)
        })
        .await
}

/// Records what the provider said about a payout, in its transaction.
fn record(
    c: &mut crate::db::DbConnection,
    base: &str,
    cur: Payout,
    outcome: Result<Sent, ProviderError>,
) -> AppResult<bool> {
    let (at, actor) = (now(), Actor::default());
    match outcome {
        Ok(sent) => {
            let change = Change {
                reference: Some(sent.reference),
                ..Change::default()
            };
            step(c, base, &actor, &cur, Event::Confirm, change, at)?;
            settle_if_done(c, &actor, &cur.challenge_id, at)?;
            Ok(true)
        }
        Err(ProviderError::Temporary(m))
            if (cur.attempts as u32) < model::MAX_AUTOMATIC_ATTEMPTS =>
        {
            tracing::warn!(payout = %cur.id, attempt = cur.attempts, error = %m, "transfer will be retried");
            store::put_off_payout(
                c,
                &cur.id,
                model::next_attempt(at, cur.attempts as u32),
                false,
                at,
            )?;
            Ok(false)
        }
        Err(e) => {
            let change = Change {
                failure: Some(e.to_string()),
                ..Change::default()
            };
            step(c, base, &actor, &cur, Event::Fail, change, at)?;
            Ok(false)
        }
    }
}

/// Sends one refund of a funding payment, or asks what became of it.
async fn refund(state: &AppState, r: Refund) -> AppResult<bool> {
    let base = state.url("");
    let (seen, b) = (r.clone(), base.clone());
    let claimed = state
        .tx(move |c| {
            challenges::lock(c, &seen.challenge_id)?;
            let cur = store::find_refund(c, &seen.id)?;
            if cur.attempts != seen.attempts
                || !matches!(cur.state(), Status::Pending | Status::Submitted)
            {
                return Ok(None);
            }
            let at = now();
            let lease = at + Duration::seconds(LEASE_SECS);
            if cur.state() == Status::Pending {
                let change = Change {
                    next_attempt_at: Some(lease),
                    attempt: true,
                    ..Change::default()
                };
                step(c, &b, &Actor::default(), &cur, Event::Submit, change, at)?;
            } else {
                store::put_off_refund(c, &cur.id, lease, true, at)?;
            }
            let intent = ledger::card_payments(c, &cur.challenge_id)?
                .into_iter()
                .find_map(|f| f.payment_intent_id);
            Ok(Some((store::find_refund(c, &cur.id)?, intent)))
        })
        .await?;
    let Some((r, intent)) = claimed else {
        return Ok(false);
    };
    let outcome = match (&r.reference, intent) {
        // Made already: ask what became of it.
        (Some(re), _) => state.payments.refund_state(re).await,
        (None, Some(pi)) => {
            let order = RefundOrder {
                payment_intent: pi,
                amount: r.amount,
                idempotency_key: r.idempotency_key.clone(),
                metadata: vec![
                    ("refund_id".into(), r.id.clone()),
                    ("challenge_id".into(), r.challenge_id.clone()),
                ],
            };
            state.payments.refund(&order).await
        }
        (None, None) => Err(ProviderError::Refused(
            "no card payment to refund: the organisation is refunded by hand".into(),
        )),
    };
    state
        .tx(move |c| {
            challenges::lock(c, &r.challenge_id)?;
            let cur = store::find_refund(c, &r.id)?;
            record_refund(c, &base, cur, outcome)
        })
        .await
}

/// Records what the provider said about a refund, in its transaction.
pub fn record_refund(
    c: &mut crate::db::DbConnection,
    base: &str,
    cur: Refund,
    outcome: Result<Sent, ProviderError>,
) -> AppResult<bool> {
    let (at, actor) = (now(), Actor::default());
    match outcome {
        Ok(sent) if sent.done => {
            let change = Change {
                reference: Some(sent.reference),
                ..Change::default()
            };
            step(c, base, &actor, &cur, Event::Confirm, change, at)?;
            settle_if_done(c, &actor, &cur.challenge_id, at)?;
            Ok(true)
        }
        Ok(sent) if sent.failed => {
            // A refund that failed moved nothing back: "refused", so an
            // admin's retry makes a new one under a new key.
            let failure =
                ProviderError::Refused(format!("refund {} failed at the provider", sent.reference));
            let change = Change {
                failure: Some(failure.to_string()),
                ..Change::default()
            };
            step(c, base, &actor, &cur, Event::Fail, change, at)?;
            Ok(false)
        }
        Ok(sent) => {
            store::set_refund_reference(c, &cur.id, &sent.reference)?;
            store::put_off_refund(
                c,
                &cur.id,
                at + Duration::seconds(REFUND_RECHECK_SECS),
                false,
                at,
            )?;
            Ok(false)
        }
        Err(ProviderError::Temporary(m))
            if (cur.attempts as u32) < model::MAX_AUTOMATIC_ATTEMPTS =>
        {
            tracing::warn!(refund = %cur.id, error = %m, "refund will be retried");
            store::put_off_refund(
                c,
                &cur.id,
                model::next_attempt(at, cur.attempts as u32),
                false,
                at,
            )?;
            Ok(false)
        }
        Err(e) => {
            let change = Change {
                failure: Some(e.to_string()),
                ..Change::default()
            };
            step(c, base, &actor, &cur, Event::Fail, change, at)?;
            Ok(false)
        }
    }
}
