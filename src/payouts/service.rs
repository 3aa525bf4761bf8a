//! Use cases of money leaving the platform: payouts and refunds are opened
//! when results (or a cancellation) move escrow, then paid through the
//! provider. With the manual provider a platform admin records each bank
//! transfer; every change locks the challenge, re-reads, decides by the
//! state machine in [`super::model`], journals `paid` once, and audits.

use chrono::NaiveDateTime;

use super::model::{self, Event, Status, Step};
use super::queries::{PayoutView, RefundView};
use super::store::{self, Change, NewPayout, NewRefund, Payout, Refund};
use crate::audit::{self, Actor};
use crate::challenges::model::{Event as ChallengeEvent, State};
use crate::challenges::store as challenges;
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::money::model::Currency;
use crate::money::store as ledger;
use crate::notify::{self, mail::EmailKind};
use crate::state::AppState;

/// Kinds of journal entries written here.
pub const ENTRY_PAYOUT: &str = ledger::entry_kind::PAYOUT;
/// A refund paid out to an organisation.
pub const ENTRY_REFUND_PAID: &str = ledger::entry_kind::REFUND_PAID;

/// Why a refund exists.
pub mod reason {
    /// Results are out; no prize took this part of escrow.
    pub const UNAWARDED: &str = "unawarded";
    /// The challenge was cancelled.
    pub const CANCELLED: &str = "cancelled";
}

/// Opens one pending payout per payee of an award. Call in the transaction
/// that posted the award.
pub fn open_payouts(
    c: &mut DbConnection,
    challenge_id: &str,
    award_id: &str,
    payees: &[(String, i64)],
    currency: &str,
    provider: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    for (user, amount) in payees.iter().filter(|(_, a)| *a > 0) {
        let key = model::payout_key(award_id, user);
        store::insert_payout(
            c,
            NewPayout {
                challenge_id,
                award_id,
                user_id: user,
                amount: *amount,
                currency,
                provider,
                idempotency_key: &key,
            },
            at,
        )?;
    }
    Ok(())
}

/// Opens the refund of what escrow gave back to the organisation. Call in
/// the transaction that posted the escrow refund.
#[allow(clippy::too_many_arguments)]
pub fn open_refund(
    c: &mut DbConnection,
    challenge_id: &str,
    org_id: &str,
    amount: i64,
    currency: &str,
    why: &str,
    provider: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    if amount <= 0 {
        return Ok(());
    }
    store::insert_refund(
        c,
        NewRefund {
            challenge_id,
            org_id,
            amount,
            currency,
            reason: why,
            provider,
            idempotency_key: &model::refund_key(challenge_id),
        },
        at,
    )?;
    Ok(())
}

/// The provider's name for new rows.
pub fn provider_name(state: &AppState) -> &'static str {
    state.payments.name()
}

fn refused(e: model::Refused) -> AppError {
    AppError::conflict("payout_state", e.to_string())
}

fn currency(code: &str) -> AppResult<Currency> {
    Currency::parse("currency", code).map_err(|e| AppError::internal(e.message))
}

/// What payouts and refunds share: one state machine, a journal entry when
/// paid, an audit record per change. Each says where its money goes.
pub trait Outgoing: Sized + Send + 'static {
    /// `payout` or `refund`: the audit subject and the start of its actions.
    const SUBJECT: &'static str;
    /// The kind of the journal entry written when paid.
    const ENTRY_KIND: &'static str;
    /// The conflict code of recording a paid one again.
    const PAID: &'static str;
    fn find(c: &mut DbConnection, id: &str) -> AppResult<Self>;
    fn set_status(
        c: &mut DbConnection,
        id: &str,
        from: Status,
        to: Status,
        ch: &Change,
        at: NaiveDateTime,
    ) -> AppResult<usize>;
    fn id(&self) -> &str;
    fn challenge_id(&self) -> &str;
    fn provider(&self) -> &str;
    fn state(&self) -> Status;
    fn amount(&self) -> (i64, &str);
    fn reference(&self) -> Option<&str>;
    /// The journal lines of the money leaving (payable or refund owed → clearing).
    fn lines(&self) -> AppResult<Vec<crate::money::model::Line>>;
    fn memo(&self, reference: &str) -> String;
    /// The idempotency key sent with every provider call, and how many
    /// attempts were made.
    fn key(&self) -> (&str, i32);
    /// Why the last attempt failed.
    fn failure(&self) -> Option<&str>;
    /// Stores a new idempotency key (before a retry after a refusal).
    fn rekey(c: &mut DbConnection, id: &str, key: &str) -> AppResult<()>;
    /// Tells the person concerned of a change (in the same transaction).
    fn notify(
        &self,
        c: &mut DbConnection,
        base_url: &str,
        title: &str,
        to: Status,
    ) -> AppResult<()>;
}

impl Outgoing for Payout {
    const SUBJECT: &'static str = "payout";
    const ENTRY_KIND: &'static str = ENTRY_PAYOUT;
    const PAID: &'static str = "payout_paid";
    fn find(c: &mut DbConnection, id: &str) -> AppResult<Self> {
        Ok(store::find_payout(c, id)?)
    }
    fn set_status(
        c: &mut DbConnection,
        id: &str,
        from: Status,
        to: Status,
        ch: &Change,
        at: NaiveDateTime,
    ) -> AppResult<usize> {
        Ok(store::set_payout_status(c, id, from, to, ch, at)?)
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn challenge_id(&self) -> &str {
        &self.challenge_id
    }
    fn provider(&self) -> &str {
        &self.provider
    }
    fn state(&self) -> Status {
        Payout::state(self)
    }
    fn amount(&self) -> (i64, &str) {
        (self.amount, &self.currency)
    }
    fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }
    fn lines(&self) -> AppResult<Vec<crate::money::model::Line>> {
        Ok(model::payout_lines(
            &self.user_id,
            self.amount,
            &currency(&self.currency)?,
        ))
    }
    fn memo(&self, reference: &str) -> String {
        format!("Prize paid out, reference {reference}")
    }
    fn key(&self) -> (&str, i32) {
        (&self.idempotency_key, self.attempts)
    }
    fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }
    fn rekey(c: &mut DbConnection, id: &str, key: &str) -> AppResult<()> {
        store::rekey_payout(c, id, key)?;
        Ok(())
    }
    fn notify(
        &self,
        c: &mut DbConnection,
        base_url: &str,
        title: &str,
        to: Status,
    ) -> AppResult<()> {
        let user = crate::auth::store::find_user(c, &self.user_id)?;
        let (challenge, amount) = (
            title.to_owned(),
            currency(&self.currency)?.format(self.amount),
        );
        let url = format!("{base_url}/me/submissions#prizes-heading");
        if to == Status::Paid {
            let ch = crate::challenges::store::find(c, &self.challenge_id)?;
            crate::webhooks::service::emit(
                c,
                &ch.org_id,
                "payout.paid",
                serde_json::json!({
                    "challenge": crate::webhooks::service::challenge_ref(&ch),
                    "payout_id": self.id,
                    "award_id": self.award_id,
                    "amount": self.amount,
                    "currency": self.currency,
                }),
            )?;
        }
        let kind = match to {
            Status::Paid => EmailKind::PayoutPaid {
                challenge,
                amount,
                url,
            },
            Status::Failed => EmailKind::PayoutFailed {
                challenge,
                amount,
                url,
            },
            Status::Pending | Status::Submitted => return Ok(()),
        };
        notify::queue_for_user(c, &user, &kind)
    }
}

impl Outgoing for Refund {
    const SUBJECT: &'static str = "refund";
    const ENTRY_KIND: &'static str = ENTRY_REFUND_PAID;
    const PAID: &'static str = "refund_paid";
    fn find(c: &mut DbConnection, id: &str) -> AppResult<Self> {
        Ok(store::find_refund(c, id)?)
    }
    fn set_status(
        c: &mut DbConnection,
        id: &str,
        from: Status,
        to: Status,
        ch: &Change,
        at: NaiveDateTime,
    ) -> AppResult<usize> {
        Ok(store::set_refund_status(c, id, from, to, ch, at)?)
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn challenge_id(&self) -> &str {
        &self.challenge_id
    }
    fn provider(&self) -> &str {
        &self.provider
    }
    fn state(&self) -> Status {
        Refund::state(self)
    }
    fn amount(&self) -> (i64, &str) {
        (self.amount, &self.currency)
    }
    fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }
    fn lines(&self) -> AppResult<Vec<crate::money::model::Line>> {
        Ok(model::refund_lines(
            &self.org_id,
            self.amount,
            &currency(&self.currency)?,
        ))
    }
    fn memo(&self, reference: &str) -> String {
        format!("Refund paid to the organisation, reference {reference}")
    }
    fn key(&self) -> (&str, i32) {
        (&self.idempotency_key, self.attempts)
    }
    fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }
    fn rekey(c: &mut DbConnection, id: &str, key: &str) -> AppResult<()> {
        store::rekey_refund(c, id, key)?;
        Ok(())
    }
    /// The organisation reads its refund on the challenge's page.
    fn notify(&self, _: &mut DbConnection, _: &str, _: &str, _: Status) -> AppResult<()> {
        Ok(())
    }
}

/// Applies `event` to a payout or refund in the current transaction;
/// returns whether its state changed. Journals the payment once on `paid`,
/// audits every change, tells the payee.
pub fn step<P: Outgoing>(
    c: &mut DbConnection,
    base_url: &str,
    actor: &Actor,
    p: &P,
    event: Event,
    mut change: Change,
    at: NaiveDateTime,
) -> AppResult<bool> {
    let from = p.state();
    let Step::To(to) = model::step(from, event).map_err(refused)? else {
        return Ok(false);
    };
    if to == Status::Paid {
        let reference = change.reference.as_deref().or(p.reference()).unwrap_or("-");
        let posted = ledger::post(
            c,
            ledger::Entry {
                idempotency_key: &model::paid_entry_key(P::SUBJECT, p.id()),
                kind: P::ENTRY_KIND,
                challenge_id: Some(p.challenge_id()),
                memo: &p.memo(reference),
                created_by: actor.user_id.as_deref(),
                lines: p.lines()?,
            },
            at,
        )?;
        change.entry_id = Some(posted.id().to_owned());
    }
    if P::set_status(c, p.id(), from, to, &change, at)? != 1 {
        return Err(AppError::conflict(
            "payout_state",
            "This payment changed meanwhile; reload it.",
        ));
    }
    let ch = challenges::find(c, p.challenge_id())?;
    let (amount, currency) = p.amount();
    audit::record(
        c,
        audit::Entry {
            actor,
            org_id: Some(&ch.org_id),
            action: &format!("{}.{}", P::SUBJECT, to.as_str()),
            subject_type: P::SUBJECT,
            subject_id: p.id(),
            data: serde_json::json!({
                "from": from.as_str(), "to": to.as_str(), "challenge": ch.id,
                "amount": amount, "currency": currency,
                "reference": change.reference, "failure": change.failure,
            }),
        },
    )?;
    p.notify(c, base_url, &ch.title, to)?;
    Ok(true)
}

/// Moves an awarded challenge to `settled` once every payout and its refund
/// are paid. Call after any payout or refund is paid, in its transaction.
pub fn settle_if_done(
    c: &mut DbConnection,
    actor: &Actor,
    challenge_id: &str,
    at: NaiveDateTime,
) -> AppResult<bool> {
    let ch = challenges::find(c, challenge_id)?;
    if ch.stored_state() != State::Awarded {
        return Ok(false);
    }
    let payouts: Vec<Status> = store::payouts_of_challenge(c, challenge_id)?
        .iter()
        .map(Payout::state)
        .collect();
    let refund = store::refund_of_challenge(c, challenge_id)?.map(|r| r.state());
    if !model::settled(&payouts, refund) {
        return Ok(false);
    }
    crate::challenges::service::apply(c, actor, &ch, ChallengeEvent::Settle, at)?;
    Ok(true)
}

/// Finds a payout or refund recorded by hand, locks its challenge and reads
/// it again: two admins at once are served one after the other.
fn locked_manual<P: Outgoing>(c: &mut DbConnection, id: &str) -> AppResult<P> {
    let p = P::find(c, id)?;
    if p.provider() != "manual" {
        return Err(AppError::conflict(
            "provider_managed",
            "This payment goes through the payment provider; it is not recorded by hand.",
        ));
    }
    challenges::lock(c, p.challenge_id())?;
    let p = P::find(c, id)?;
    if p.state() == Status::Paid {
        return Err(AppError::conflict(
            P::PAID,
            "This payment is recorded as paid already.",
        ));
    }
    Ok(p)
}

/// A platform admin records that a bank transfer was sent (the manual
/// provider): pending or failed → submitted → paid, journaled once; the
/// last one settles the challenge.
async fn record_paid<P: Outgoing>(
    state: &AppState,
    admin_id: &str,
    id: &str,
    reference: &str,
) -> AppResult<P> {
    let reference = model::parse_reference(reference).map_err(|e| AppError::Validation(vec![e]))?;
    let (admin, id, base) = (Actor::user(admin_id), id.to_owned(), state.url(""));
    state
        .tx(move |c| {
            let p = locked_manual::<P>(c, &id)?;
            let at = now();
            let change = Change {
                reference: Some(reference),
                attempt: true,
                ..Change::default()
            };
            step(c, &base, &admin, &p, Event::Submit, change.clone(), at)?;
            let p = P::find(c, &id)?;
            step(c, &base, &admin, &p, Event::Confirm, change, at)?;
            settle_if_done(c, &admin, p.challenge_id(), at)?;
            P::find(c, &id)
        })
        .await
}

/// A platform admin records that a transfer could not be made (a bounced
/// transfer, a closed account): the payee is told; it can be paid later.
async fn record_failed<P: Outgoing>(
    state: &AppState,
    admin_id: &str,
    id: &str,
    reason: &str,
) -> AppResult<P> {
    let reason = model::parse_failure(reason).map_err(|e| AppError::Validation(vec![e]))?;
    let (admin, id, base) = (Actor::user(admin_id), id.to_owned(), state.url(""));
    state
        .tx(move |c| {
            let p = locked_manual::<P>(c, &id)?;
            let change = Change {
                failure: Some(reason),
                ..Change::default()
            };
            step(c, &base, &admin, &p, Event::Fail, change, now())?;
            P::find(c, &id)
        })
        .await
}

async fn payout_view(state: &AppState, p: Payout) -> AppResult<PayoutView> {
    state.db(move |c| super::queries::payout_view(c, p)).await
}

async fn refund_view(state: &AppState, r: Refund) -> AppResult<RefundView> {
    state.db(move |c| super::queries::refund_view(c, r)).await
}

/// [`record_paid`] for a payout to a solver.
pub async fn record_payout_paid(
    state: &AppState,
    admin_id: &str,
    id: &str,
    reference: &str,
) -> AppResult<PayoutView> {
    payout_view(
        state,
        record_paid::<Payout>(state, admin_id, id, reference).await?,
    )
    .await
}

/// [`record_failed`] for a payout to a solver.
pub async fn record_payout_failed(
    state: &AppState,
    admin_id: &str,
    id: &str,
    reason: &str,
) -> AppResult<PayoutView> {
    payout_view(
        state,
        record_failed::<Payout>(state, admin_id, id, reason).await?,
    )
    .await
}

/// [`record_paid`] for a refund to an organisation.
pub async fn record_refund_paid(
    state: &AppState,
    admin_id: &str,
    id: &str,
    reference: &str,
) -> AppResult<RefundView> {
    refund_view(
        state,
        record_paid::<Refund>(state, admin_id, id, reference).await?,
    )
    .await
}

/// [`record_failed`] for a refund to an organisation.
pub async fn record_refund_failed(
    state: &AppState,
    admin_id: &str,
    id: &str,
    reason: &str,
) -> AppResult<RefundView> {
    refund_view(
        state,
        record_failed::<Refund>(state, admin_id, id, reason).await?,
    )
    .await
}

/// A fresh onboarding link for a person owed a prize (the recipient account
/// is created on first use).
pub async fn onboarding_link(state: &AppState, user_id: &str) -> AppResult<String> {
    if state.payments.name() == "manual" {
        return Err(AppError::NotFound);
    }
    let uid = user_id.to_owned();
    let owed = state
        .db(move |c| Ok(!store::payouts_of_user(c, &uid)?.is_empty()))
        .await?;
    if !owed {
        return Err(AppError::conflict("no_payouts", "No prize is owed to you."));
    }
    let (account, _) = super::runner::recipient(state, user_id).await?;
    let back = state.url("/me/submissions#prizes-heading");
    let again = state.url("/me/payouts/onboarding");
    state
        .payments
        .onboarding_link(&account, &back, &again)
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))
}

/// A platform admin sends a failed payout or refund again through the
/// provider (after the payee fixed their account, or Stripe's balance was
/// topped up): failed → submitted, due now.
async fn retry<P: Outgoing>(state: &AppState, admin_id: &str, id: &str) -> AppResult<P> {
    let (admin, id, base) = (Actor::user(admin_id), id.to_owned(), state.url(""));
    let out = state
        .tx(move |c| {
            let p = P::find(c, &id)?;
            if p.provider() == "manual" {
                return Err(AppError::conflict(
                    "manual_payment",
                    "Manual payments are recorded as paid, not sent again.",
                ));
            }
            challenges::lock(c, p.challenge_id())?;
            let p = P::find(c, &id)?;
            if p.state() != Status::Failed {
                return Err(AppError::conflict(
                    "not_failed",
                    "Only a failed payment is sent again.",
                ));
            }
            // The provider keeps a refusal under its key; a refused request
            // moved nothing, so its retry gets a key of its own, stored
            // first. A payment given up after temporary failures may have
            // gone through: it keeps its key.
            if p.failure().is_some_and(|f| f.starts_with("refused:")) {
                let (key, attempts) = p.key();
                let base_key = key.split(":retry").next().unwrap_or(key);
                P::rekey(c, &id, &format!("{base_key}:retry{attempts}"))?;
            }
            let at = now();
            let change = Change {
                next_attempt_at: Some(at),
                ..Change::default()
            };
            step(c, &base, &admin, &p, Event::Submit, change, at)?;
            P::find(c, &id)
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// [`retry`] for a payout to a solver.
pub async fn retry_payout(state: &AppState, admin_id: &str, id: &str) -> AppResult<PayoutView> {
    payout_view(state, retry::<Payout>(state, admin_id, id).await?).await
}

/// [`retry`] for a refund to an organisation.
pub async fn retry_refund(state: &AppState, admin_id: &str, id: &str) -> AppResult<RefundView> {
    refund_view(state, retry::<Refund>(state, admin_id, id).await?).await
}
