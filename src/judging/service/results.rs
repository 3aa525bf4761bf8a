//! Publishing results: the organisation maps the final ranking onto the
//! prize tiers, and in one transaction the challenge moves to `awarded`,
//! each prize moves from escrow to its winners' payables (split by their
//! team's shares), what stays is refunded, solutions go to the gallery and
//! every entrant is told. Twice moves nothing.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::principal::Principal;
use crate::challenges::model::{Event, State};
use crate::challenges::store as challenges;
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::judging::model::{self, Prize, RoundState, Standing, Tier, TierDecision};
use crate::judging::store::{self, Results};
use crate::money::model::{award_lines, refund_lines, Currency};
use crate::money::store as ledger;
use crate::notify::mail::EmailKind;
use crate::orgs::model::OrgAction;
use crate::state::AppState;

use super::{acting_user, audit_judging, organiser_of};

/// The organisation's results: each tier's winners, and whether scores show.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultsInput {
    /// Every prize tier once: the entries that win it (several tied entries
    /// share it equally; none withholds it).
    pub tiers: Vec<TierDecision>,
    /// Show the scores on the public results page.
    #[serde(default)]
    pub show_scores: bool,
}

/// One row of the published standings (kept as published).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishedRow {
    pub submission_id: String,
    pub rank: usize,
    pub score: f64,
    pub judges: usize,
    pub prize: Option<(i32, i64)>,
}

/// Publishes the results of challenge `key`.
pub async fn publish(
    state: &AppState,
    caller: &Principal,
    key: &str,
    input: ResultsInput,
) -> AppResult<Results> {
    let (caller, key, st) = (caller.clone(), key.to_owned(), state.clone());
    let provider = crate::payouts::service::provider_name(state);
    let out = state
        .tx(move |c| {
            let ch = organiser_of(c, &caller, &key, OrgAction::ManageJudging)?;
            // Lock, then read, then decide: a second publication waits, then
            // finds the results published and moves nothing.
            challenges::lock(c, &ch.id)?;
            let ch = challenges::find(c, &ch.id)?;
            if store::results_of(c, &ch.id)?.is_some() || ch.stored_state() == State::Awarded {
                return Err(AppError::conflict(
                    "results_published",
                    "The results of this challenge are published already.",
                ));
            }
            if ch.stored_state() != State::Judging {
                return Err(AppError::conflict(
                    "not_judging",
                    format!("This challenge is {}.", ch.stored_state().as_str()),
                ));
            }
            let rounds = store::rounds_of(c, &ch.id)?;
            let last = rounds.last().ok_or_else(|| {
                AppError::conflict("no_round", "Judge the entries in a round first.")
            })?;
            if last.round_state() != RoundState::Closed {
                return Err(AppError::conflict(
                    "round_not_closed",
                    "Close the final round before publishing results.",
                ));
            }
            let standings: Vec<Standing> = crate::judging::queries::standings(c, last)?;
            let ranked: Vec<String> = standings.iter().map(|s| s.entry.clone()).collect();
            let tiers: Vec<Tier> = challenges::tiers(c, &ch.id)?
                .into_iter()
                .map(|t| Tier {
                    rank: t.rank,
                    amount: t.amount,
                })
                .collect();
            let prizes: Vec<Prize> =
                model::prizes(&tiers, &input.tiers, &ranked).map_err(AppError::Validation)?;
            let cur = Currency::parse("currency", &ch.currency)
                .map_err(|e| AppError::internal(e.message))?;
            let at = now();
            let by = acting_user(&caller);
            let url = st.url(&format!("/challenges/{}/results", ch.slug));
            for p in &prizes {
                let s = crate::submissions::store::find(c, &p.entry)?;
                let members = crate::submissions::store::members(c, &s.team_id)?;
                let shares: Vec<i32> = members.iter().map(|(m, _, _)| m.share_bps).collect();
                let parts = crate::submissions::model::split(p.amount, &shares);
                let payees: Vec<(String, i64)> = members
                    .iter()
                    .zip(parts)
                    .map(|((m, _, _), part)| (m.user_id.clone(), part))
                    .collect();
                let lines = award_lines(&ch.id, &payees, &cur);
                if lines.is_empty() {
                    continue;
                }
                let posted = ledger::post(
                    c,
                    ledger::Entry {
                        idempotency_key: &format!("award:{}:{}", ch.id, s.id),
                        kind: ledger::entry_kind::AWARD,
                        challenge_id: Some(&ch.id),
                        memo: &format!("Prize tier {} awarded to \"{}\"", p.tier_rank, s.title),
                        created_by: Some(&by),
                        lines,
                    },
                    at,
                )?;
                let award = store::insert_award(c, &ch.id, &s.id, p.tier_rank, p.amount, cur.as_str(), posted.id(), at)?;
                crate::payouts::service::open_payouts(c, &ch.id, &award, &payees, cur.as_str(), provider, at)?;
                for (m, _, _) in &members {
                    let user = crate::auth::store::find_user(c, &m.user_id)?;
                    crate::notify::queue_for_user(
                        c,
                        &user,
                        &EmailKind::Winner {
                            challenge: ch.title.clone(),
                            title: s.title.clone(),
                            prize: cur.format(p.amount),
                            url: url.clone(),
                        },
                    )?;
                }
            }
            // What no tier took goes back to the organisation.
            let flows = crate::challenges::service::flows(c, &ch)?;
            let refunded = flows.balance();
            let lines = refund_lines(&ch.id, &ch.org_id, refunded, &cur);
            if !lines.is_empty() {
                ledger::post(
                    c,
                    ledger::Entry {
                        idempotency_key: &format!("challenge:{}:refund", ch.id),
                        kind: ledger::entry_kind::REFUND,
                        challenge_id: Some(&ch.id),
                        memo: "Results published: the unawarded rest of escrow refunded to the organisation",
                        created_by: Some(&by),
                        lines,
                    },
                    at,
                )?;
                crate::payouts::service::open_refund(
                    c,
                    &ch.id,
                    &ch.org_id,
                    refunded,
                    cur.as_str(),
                    crate::payouts::service::reason::UNAWARDED,
                    provider,
                    at,
                )?;
            }
            let winners: Vec<String> = prizes.iter().map(|p| p.entry.clone()).collect();
            let rows: Vec<PublishedRow> = standings
                .iter()
                .map(|s| PublishedRow {
                    submission_id: s.entry.clone(),
                    rank: s.rank,
                    score: if last.normalise { s.normalised } else { s.raw },
                    judges: s.judges,
                    prize: prizes
                        .iter()
                        .find(|p| p.entry == s.entry)
                        .map(|p| (p.tier_rank, p.amount)),
                })
                .collect();
            let alpha = crate::judging::queries::agreement(c, last)?;
            let results = Results {
                challenge_id: ch.id.clone(),
                round_id: last.id.clone(),
                show_scores: input.show_scores,
                alpha,
                standings: serde_json::to_string(&rows).map_err(AppError::internal)?,
                published_by: by.clone(),
                published_at: at,
            };
            store::insert_results(c, &results)?;
            crate::challenges::service::apply(c, &caller.actor(), &ch, Event::Award, at)?;
            let published = crate::submissions::service::publish_results(c, &ch.id, &winners)?;
            // Everyone else who was judged hears the results too.
            let first = rounds.first().map(|r| r.id.clone()).unwrap_or_default();
            for e in store::round_entries(c, &first)? {
                if winners.contains(&e.submission_id) {
                    continue;
                }
                let s = crate::submissions::store::find(c, &e.submission_id)?;
                for (m, _, _) in crate::submissions::store::members(c, &s.team_id)? {
                    let user = crate::auth::store::find_user(c, &m.user_id)?;
                    crate::notify::queue_for_user(
                        c,
                        &user,
                        &EmailKind::ResultsPublished {
                            challenge: ch.title.clone(),
                            title: s.title.clone(),
                            url: url.clone(),
                        },
                    )?;
                }
            }
            audit_judging(
                c,
                &caller.actor(),
                &ch,
                "results.published",
                "challenge",
                &ch.id,
                serde_json::json!({
                    "awards": prizes.iter().map(|p| serde_json::json!({ "tier": p.tier_rank, "submission": p.entry, "amount": p.amount })).collect::<Vec<_>>(),
                    "refunded": refunded,
                    "published_solutions": published,
                }),
            )?;
            crate::webhooks::service::emit(
                c,
                &ch.org_id,
                "results.published",
                serde_json::json!({
                    "challenge": crate::webhooks::service::challenge_ref(&ch),
                    "awards": prizes.iter().map(|p| serde_json::json!({ "tier": p.tier_rank, "submission_id": p.entry, "amount": p.amount, "currency": ch.currency })).collect::<Vec<_>>(),
                    "url": format!("/challenges/{}/results", ch.slug),
                }),
            )?;
            Ok(results)
        })
        .await?;
    state.wake_worker();
    Ok(out)
}
