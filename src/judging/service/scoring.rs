//! A judge's work: declaring conflicts of interest, and scorecards (saved
//! as drafts, submitted, edited until the round closes; every change
//! audited).

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::ToSchema;

use crate::audit::Actor;
use crate::auth::principal::AuthUser;
use crate::challenges::store as challenges;
use crate::db::now;
use crate::error::{AppError, AppResult, FieldError};
use crate::judging::model::{self, RoundState};
use crate::judging::store::{self, card_state, Scorecard};
use crate::state::AppState;

use super::{audit_judging, judge_of_round};

/// A judge's declaration of a conflict of interest with an entry.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictInput {
    pub submission_id: String,
    /// Why (seen by the organisation only).
    #[schema(min_length = 3, max_length = 500)]
    pub reason: String,
}

/// Declares a conflict: the pair is never assigned; an existing pair in an
/// open round is taken apart and the entry gets another judge.
pub async fn declare_conflict(
    state: &AppState,
    user: &AuthUser,
    round_id: &str,
    input: ConflictInput,
) -> AppResult<()> {
    let reason = input.reason.trim().to_owned();
    let length = reason.chars().count();
    if length < 3 || input.reason.chars().count() > 500 {
        return Err(AppError::field(
            "reason",
            if length < 3 { "too_short" } else { "too_long" },
            "Say briefly why (3 to 500 characters).",
        ));
    }
    let (uid, round_id) = (user.user.id.clone(), round_id.to_owned());
    state
        .tx(move |c| {
            let round = store::find_round_opt(c, &round_id)?.ok_or(AppError::NotFound)?;
            let judge = judge_of_round(c, &round, &uid)?;
            if store::round_entry(c, &round.id, &input.submission_id)?.is_none() {
                return Err(AppError::NotFound);
            }
            if round.round_state() == RoundState::Closed {
                return Err(AppError::conflict("round_closed", "This round is closed."));
            }
            let new = store::add_conflict(c, &judge.id, &input.submission_id, &reason, false, now())?;
            let dropped = super::panel::drop_pairs(c, &judge.id, &input.submission_id)?;
            let ch = challenges::find(c, &round.challenge_id)?;
            if dropped > 0 {
                super::rounds::top_up_round(c, &round)?;
            }
            if new {
                audit_judging(
                    c,
                    &Actor::user(&uid),
                    &ch,
                    "conflict.declared",
                    "judge",
                    &judge.id,
                    serde_json::json!({ "submission": input.submission_id, "reason": reason, "reassigned": dropped > 0 }),
                )?;
            }
            Ok(())
        })
        .await
}

/// A scorecard as a judge sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScorecardInput {
    /// Score per criterion id, within each criterion's scale.
    #[serde(default)]
    pub scores: BTreeMap<String, i32>,
    /// Comment per criterion id.
    #[serde(default)]
    pub comments: BTreeMap<String, String>,
    /// Submit (every criterion scored, required comments written); else a
    /// draft. A submitted scorecard stays submitted when edited.
    #[serde(default)]
    pub submit: bool,
}

/// Saves a judge's scorecard on one of their assignments.
pub async fn save(
    state: &AppState,
    user: &AuthUser,
    assignment_id: &str,
    input: ScorecardInput,
) -> AppResult<Scorecard> {
    let (uid, assignment_id) = (user.user.id.clone(), assignment_id.to_owned());
    state
        .tx(move |c| {
            let a = store::find_assignment(c, &assignment_id)?.ok_or(AppError::NotFound)?;
            let round = store::find_round(c, &a.round_id)?;
            let judge = judge_of_round(c, &round, &uid)?;
            if judge.id != a.judge_id {
                return Err(AppError::NotFound);
            }
            if round.round_state() != RoundState::Open {
                return Err(AppError::conflict(
                    "round_closed",
                    "This round is closed: its scorecards are frozen.",
                ));
            }
            let before = store::scorecard_of(c, &a.id)?;
            let was_submitted = before
                .as_ref()
                .is_some_and(|s| s.state == card_state::SUBMITTED);
            let submitting = input.submit || was_submitted;
            let criteria = store::criteria_of(c, &round.id)?;
            model::check_scores(&criteria, &input.scores, &input.comments, submitting)
                .map_err(AppError::Validation)?;
            let unknown_comment = input
                .comments
                .keys()
                .find(|k| !criteria.iter().any(|c| &&c.id == k));
            if let Some(k) = unknown_comment {
                return Err(AppError::Validation(vec![FieldError::new(
                    &format!("comments.{k}"),
                    "unknown_criterion",
                    "This criterion is not in the round's rubric.",
                )]));
            }
            let total = model::weighted_score(&criteria, &input.scores);
            let entries: Vec<(String, i32, String)> = criteria
                .iter()
                .filter_map(|cr| {
                    input.scores.get(&cr.id).map(|s| {
                        let comment = input
                            .comments
                            .get(&cr.id)
                            .map(|x| x.trim().to_owned())
                            .unwrap_or_default();
                        (cr.id.clone(), *s, comment)
                    })
                })
                .collect();
            let new_state = if submitting {
                card_state::SUBMITTED
            } else {
                card_state::DRAFT
            };
            let card = store::save_scorecard(c, &a, new_state, total, &entries, now())?;
            let action = match (was_submitted, submitting) {
                (true, _) => "scorecard.edited",
                (false, true) => "scorecard.submitted",
                (false, false) => "scorecard.saved",
            };
            let ch = challenges::find(c, &round.challenge_id)?;
            audit_judging(
                c,
                &Actor::user(&uid),
                &ch,
                action,
                "scorecard",
                &card.id,
                serde_json::json!({ "assignment": a.id, "scores": input.scores, "total": total }),
            )?;
            Ok(card)
        })
        .await
}
