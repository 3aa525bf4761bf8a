//! Rounds: their settings and rubric, opening (which fixes the entries and
//! assigns judges), assignment and its manual changes, and closing.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::challenges::model::{Event, State};
use crate::challenges::store::Challenge;
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult, FieldError};
use crate::judging::model::{self, AssignmentInput, Criterion, RoundState, Short};
use crate::judging::store::{self, judge_status, Round, RoundEntry, RoundFields};
use crate::orgs::model::OrgAction;
use crate::state::AppState;

use super::panel::automatic_conflicts;
use super::{audit_judging, organiser_of, round_for_organiser};
use crate::auth::principal::Principal;

/// One criterion as an organisation writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionInput {
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// Relative weight, greater than 0.
    #[schema(exclusive_minimum = 0.0, maximum = 1000.0)]
    pub weight: f64,
    #[schema(minimum = 0, maximum = 999)]
    pub scale_min: i32,
    #[schema(minimum = 1, maximum = 1000)]
    pub scale_max: i32,
    #[serde(default)]
    pub comment_required: bool,
}

/// A round as an organisation writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundInput {
    /// e.g. "Screening", "Final".
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    /// Judges per entry.
    #[schema(minimum = 1, maximum = 10)]
    pub judges_per_entry: i32,
    /// Rescale each judge's scores against their own mean and spread.
    #[serde(default)]
    pub normalise: bool,
    /// How many entries go on to a next round; none for the final round.
    #[schema(minimum = 1, maximum = 10000)]
    pub shortlist: Option<i32>,
    #[schema(min_items = 1, max_items = 20)]
    pub criteria: Vec<CriterionInput>,
    /// Judge ids of the panel who judge this round; every active judge when
    /// left out.
    pub judges: Option<Vec<String>>,
}

fn validate(input: &RoundInput) -> AppResult<Vec<Criterion>> {
    let mut errors = Vec::new();
    let name = input.name.trim().chars().count();
    if name == 0 || input.name.chars().count() > 80 {
        errors.push(FieldError::new(
            "name",
            "invalid",
            "Name the round (at most 80 characters).",
        ));
    }
    if !(1..=10).contains(&input.judges_per_entry) {
        errors.push(FieldError::new(
            "judges_per_entry",
            "out_of_range",
            "From 1 to 10 judges per entry.",
        ));
    }
    if input.shortlist.is_some_and(|n| !(1..=10_000).contains(&n)) {
        errors.push(FieldError::new(
            "shortlist",
            "out_of_range",
            "Shortlist from 1 to 10,000 entries.",
        ));
    }
    let criteria: Vec<Criterion> = input
        .criteria
        .iter()
        .map(|c| Criterion {
            id: String::new(),
            name: c.name.trim().to_owned(),
            description: c.description.trim().to_owned(),
            weight: c.weight,
            scale_min: c.scale_min,
            scale_max: c.scale_max,
            comment_required: c.comment_required,
        })
        .collect();
    if let Err(e) = model::check_rubric(&criteria) {
        errors.extend(e);
    }
    if errors.is_empty() {
        Ok(criteria)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The judges a round names must be on the challenge's panel.
fn check_judges(conn: &mut DbConnection, ch: &Challenge, ids: &[String]) -> AppResult<()> {
    let panel = store::judges_of(conn, &ch.id)?;
    for id in ids {
        let ok = panel.iter().any(|j| {
            &j.id == id
                && matches!(
                    j.status.as_str(),
                    judge_status::INVITED | judge_status::ACTIVE
                )
        });
        if !ok {
            return Err(AppError::field(
                "judges",
                "not_on_panel",
                "Choose judges from the challenge's panel.",
            ));
        }
    }
    Ok(())
}

/// Adds a round to a challenge's judging (the next number). A round after
/// another needs the one before it to shortlist entries for it.
pub async fn create(
    state: &AppState,
    caller: &Principal,
    key: &str,
    input: RoundInput,
) -> AppResult<Round> {
    let criteria = validate(&input)?;
    let (caller, key) = (caller.clone(), key.to_owned());
    state
        .tx(move |c| {
            let ch = organiser_of(c, &caller, &key, OrgAction::ManageJudging)?;
            crate::challenges::store::lock(c, &ch.id)?;
            if matches!(
                ch.stored_state(),
                State::Awarded | State::Settled | State::Cancelled
            ) {
                return Err(AppError::conflict(
                    "judging_over",
                    format!("This challenge is {}.", ch.stored_state().as_str()),
                ));
            }
            let existing = store::rounds_of(c, &ch.id)?;
            if let Some(last) = existing.last() {
                if last.shortlist.is_none() {
                    return Err(AppError::conflict(
                        "final_round_exists",
                        "The last round shortlists nobody: it is the final round.",
                    ));
                }
            }
            if let Some(ids) = &input.judges {
                check_judges(c, &ch, ids)?;
            }
            let number = existing.last().map(|r| r.number + 1).unwrap_or(1);
            let round = store::insert_round(
                c,
                &ch.id,
                number,
                &RoundFields {
                    name: input.name.trim(),
                    judges_per_entry: input.judges_per_entry,
                    normalise: input.normalise,
                    shortlist: input.shortlist,
                },
                rand::random::<i64>(),
                now(),
            )?;
            store::replace_criteria(c, &round.id, &criteria)?;
            if let Some(ids) = &input.judges {
                store::set_round_judges(c, &round.id, ids)?;
            }
            audit_judging(
                c,
                &caller.actor(),
                &ch,
                "round.created",
                "round",
                &round.id,
                serde_json::json!({ "number": number, "name": round.name, "criteria": criteria.len() }),
            )?;
            Ok(round)
        })
        .await
}

/// Changes a round's settings and rubric while it is a draft.
pub async fn update(
    state: &AppState,
    caller: &Principal,
    round_id: &str,
    input: RoundInput,
) -> AppResult<Round> {
    let criteria = validate(&input)?;
    let (caller, round_id) = (caller.clone(), round_id.to_owned());
    state
        .tx(move |c| {
            let (round, ch) = round_for_organiser(c, &caller, &round_id, OrgAction::ManageJudging)?;
            if round.round_state() != RoundState::Draft {
                return Err(AppError::conflict(
                    "round_not_draft",
                    "A round's rubric and settings change only before it opens.",
                ));
            }
            if let Some(ids) = &input.judges {
                check_judges(c, &ch, ids)?;
            }
            store::update_round(
                c,
                &round.id,
                &RoundFields {
                    name: input.name.trim(),
                    judges_per_entry: input.judges_per_entry,
                    normalise: input.normalise,
                    shortlist: input.shortlist,
                },
            )?;
            store::replace_criteria(c, &round.id, &criteria)?;
            store::set_round_judges(c, &round.id, input.judges.as_deref().unwrap_or(&[]))?;
            audit_judging(
                c,
                &caller.actor(),
                &ch,
                "round.updated",
                "round",
                &round.id,
                serde_json::json!({ "criteria": criteria.len() }),
            )?;
            Ok(store::find_round(c, &round.id)?)
        })
        .await
}

/// What assignment did.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct AssignmentReport {
    /// Pairs made by this run.
    pub added: usize,
    /// Pairs in the round now.
    pub total: usize,
    /// Entries left with fewer judges than asked, and why.
    pub short: Vec<Short>,
}

/// Opens a round: the first once submissions have closed (the challenge
/// moves `closed → judging`), a later one once the round before it closed
/// (its shortlist goes on). The entries are fixed with the revision in force
/// at the deadline and a neutral code; the conflicts Tribu sees are
/// recorded; judges are assigned.
pub async fn open(
    state: &AppState,
    caller: &Principal,
    round_id: &str,
) -> AppResult<(Round, AssignmentReport)> {
    let (caller, round_id, st) = (caller.clone(), round_id.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            let (round, ch) = round_for_organiser(c, &caller, &round_id, OrgAction::ManageJudging)?;
            crate::challenges::store::lock(c, &ch.id)?;
            let ch = crate::challenges::store::find(c, &ch.id)?;
            if round.round_state() != RoundState::Draft {
                return Err(AppError::conflict(
                    "round_not_draft",
                    "This round is open or closed already.",
                ));
            }
            let at = now();
            let rounds = store::rounds_of(c, &ch.id)?;
            let entries: Vec<(String, i32, chrono::NaiveDateTime)> = if round.number == 1 {
                match ch.state_at(at) {
                    State::Closed => {
                        crate::challenges::service::apply(c, &caller.actor(), &ch, Event::StartJudging, at)?;
                    }
                    State::Judging => {}
                    other => {
                        return Err(AppError::conflict(
                            "submissions_open",
                            format!(
                                "Judging starts once submissions have closed; this challenge is {}.",
                                other.as_str()
                            ),
                        ))
                    }
                }
                entered(c, &ch)?
            } else {
                let prev = rounds
                    .iter()
                    .find(|r| r.number == round.number - 1)
                    .ok_or(AppError::NotFound)?;
                if prev.round_state() != RoundState::Closed {
                    return Err(AppError::conflict(
                        "previous_round_open",
                        "Close the round before this one first.",
                    ));
                }
                shortlisted(c, prev)?
            };
            if entries.is_empty() {
                return Err(AppError::conflict(
                    "no_entries",
                    "No entry is there to judge.",
                ));
            }
            if store::criteria_of(c, &round.id)?.is_empty() {
                return Err(AppError::conflict(
                    "no_rubric",
                    "Write the round's rubric before opening it.",
                ));
            }
            let ids: Vec<String> = entries.iter().map(|(s, _, _)| s.clone()).collect();
            let codes = model::neutral_codes(&round.id, &ids);
            for (s, revision, revised_at) in &entries {
                store::insert_round_entry(
                    c,
                    &RoundEntry {
                        round_id: round.id.clone(),
                        submission_id: s.clone(),
                        revision: *revision,
                        revised_at: *revised_at,
                        code: codes.get(s).cloned().unwrap_or_default(),
                    },
                )?;
            }
            // The whole active panel when the round names nobody.
            let active: Vec<String> = store::judges_of(c, &ch.id)?
                .into_iter()
                .filter(|j| j.status == judge_status::ACTIVE)
                .map(|j| j.id)
                .collect();
            let named = store::round_judge_ids(c, &round.id)?;
            let judges: Vec<String> = if named.is_empty() {
                active.clone()
            } else {
                named.into_iter().filter(|j| active.contains(j)).collect()
            };
            if judges.is_empty() {
                return Err(AppError::conflict(
                    "no_judges",
                    "No judge of this round has accepted yet.",
                ));
            }
            store::set_round_judges(c, &round.id, &judges)?;
            for j in &judges {
                let judge = store::find_judge(c, j)?;
                automatic_conflicts(c, &ch, &judge)?;
            }
            store::set_round_state(c, &round.id, RoundState::Draft, RoundState::Open, at)?;
            let round = store::find_round(c, &round.id)?;
            let report = top_up_round(c, &round)?;
            audit_judging(
                c,
                &caller.actor(),
                &ch,
                "round.opened",
                "round",
                &round.id,
                serde_json::json!({ "entries": entries.len(), "judges": judges.len(), "pairs": report.total, "short": report.short.len() }),
            )?;
            tell_judges(c, &st, &round, &ch, true)?;
            Ok((round, report))
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// Tells each judge of `round` by email (and in the app) that it opened,
/// or closed.
fn tell_judges(
    c: &mut DbConnection,
    st: &AppState,
    round: &Round,
    ch: &crate::challenges::store::Challenge,
    opened: bool,
) -> AppResult<()> {
    for id in store::round_judge_ids(c, &round.id)? {
        let Some(user_id) = store::find_judge(c, &id)?.user_id else {
            continue;
        };
        let user = crate::auth::store::find_user(c, &user_id)?;
        let (challenge, name, url) = (ch.title.clone(), round.name.clone(), st.url("/judging"));
        let kind = if opened {
            crate::notify::mail::EmailKind::RoundOpened {
                challenge,
                round: name,
                url,
            }
        } else {
            crate::notify::mail::EmailKind::RoundClosed {
                challenge,
                round: name,
                url,
            }
        };
        crate::notify::queue_for_user(c, &user, &kind)?;
    }
    Ok(())
}

/// The entries the first round judges: entered submissions still in the
/// race, each with the revision in force at the deadline.
fn entered(
    conn: &mut DbConnection,
    ch: &Challenge,
) -> AppResult<Vec<(String, i32, chrono::NaiveDateTime)>> {
    let mut out = Vec::new();
    for s in crate::submissions::store::of_challenge(conn, &ch.id)? {
        if s.state != crate::submissions::model::state::SUBMITTED {
            continue;
        }
        let revs = crate::submissions::store::revisions_of(conn, &s.id)?;
        let pairs: Vec<(i32, chrono::NaiveDateTime)> =
            revs.iter().map(|r| (r.number, r.created_at)).collect();
        if let Some(n) = crate::submissions::model::judged_revision(&pairs, ch.submission_deadline)
        {
            let at = revs
                .iter()
                .find(|r| r.number == n)
                .map(|r| r.created_at)
                .unwrap_or(s.created_at);
            out.push((s.id, n, at));
        }
    }
    Ok(out)
}

/// The entries a closed round sends on: its best `shortlist`.
fn shortlisted(
    conn: &mut DbConnection,
    prev: &Round,
) -> AppResult<Vec<(String, i32, chrono::NaiveDateTime)>> {
    let n = prev.shortlist.unwrap_or(0).max(0) as usize;
    let board = crate::judging::queries::standings(conn, prev)?;
    let entries = store::round_entries(conn, &prev.id)?;
    Ok(board
        .iter()
        .take(n)
        .filter_map(|s| {
            entries
                .iter()
                .find(|e| e.submission_id == s.entry)
                .map(|e| (e.submission_id.clone(), e.revision, e.revised_at))
        })
        .collect())
}

/// Runs assignment around the pairs a round has: every entry topped up to
/// the round's judges per entry, conflicts skipped, work spread evenly.
pub(crate) fn top_up_round(conn: &mut DbConnection, round: &Round) -> AppResult<AssignmentReport> {
    let entries: Vec<String> = store::round_entries(conn, &round.id)?
        .into_iter()
        .map(|e| e.submission_id)
        .collect();
    let active: Vec<String> = store::judges_of(conn, &round.challenge_id)?
        .into_iter()
        .filter(|j| j.status == judge_status::ACTIVE)
        .map(|j| j.id)
        .collect();
    let judges: Vec<String> = store::round_judge_ids(conn, &round.id)?
        .into_iter()
        .filter(|j| active.contains(j))
        .collect();
    let existing = store::assignments_of_round(conn, &round.id)?;
    let conflicts = store::conflicts_of_challenge(conn, &round.challenge_id)?
        .into_iter()
        .map(|c| (c.judge_id, c.submission_id))
        .collect();
    let input = AssignmentInput {
        entries,
        judges: judges.clone(),
        conflicts,
        fixed: existing
            .iter()
            .filter(|a| judges.contains(&a.judge_id))
            .map(|a| (a.submission_id.clone(), a.judge_id.clone()))
            .collect(),
        per_entry: round.judges_per_entry.max(0) as usize,
        seed: round.assignment_seed as u64,
    };
    let result = model::assign(&input);
    let mut added = 0;
    let at = now();
    for (entry, judge) in &result.pairs {
        if !input.fixed.contains(&(entry.clone(), judge.clone())) {
            store::insert_assignment(conn, &round.id, judge, entry, false, at)?;
            added += 1;
        }
    }
    Ok(AssignmentReport {
        added,
        total: store::assignments_of_round(conn, &round.id)?.len(),
        short: result.short,
    })
}

/// Tops up the assignment of an open round (after a conflict, a removed
/// judge, or a judge who joined late).
pub async fn assign(
    state: &AppState,
    caller: &Principal,
    round_id: &str,
) -> AppResult<AssignmentReport> {
    let (caller, round_id) = (caller.clone(), round_id.to_owned());
    state
        .tx(move |c| {
            let (round, ch) = round_for_organiser(c, &caller, &round_id, OrgAction::ManageJudging)?;
            if round.round_state() != RoundState::Open {
                return Err(AppError::conflict(
                    "round_not_open",
                    "Judges are assigned while a round is open.",
                ));
            }
            let report = top_up_round(c, &round)?;
            audit_judging(
                c,
                &caller.actor(),
                &ch,
                "round.assigned",
                "round",
                &round.id,
                serde_json::json!({ "added": report.added, "short": report.short.len() }),
            )?;
            Ok(report)
        })
        .await
}

/// The organisation pairs a judge with an entry by hand (never across a
/// conflict), or takes a pair apart.
pub async fn set_pair(
    state: &AppState,
    caller: &Principal,
    round_id: &str,
    judge_id: &str,
    submission_id: &str,
    paired: bool,
) -> AppResult<()> {
    let (caller, round_id, judge_id, submission_id) = (
        caller.clone(),
        round_id.to_owned(),
        judge_id.to_owned(),
        submission_id.to_owned(),
    );
    state
        .tx(move |c| {
            let (round, ch) = round_for_organiser(c, &caller, &round_id, OrgAction::ManageJudging)?;
            if round.round_state() != RoundState::Open {
                return Err(AppError::conflict(
                    "round_not_open",
                    "Pairs change while a round is open.",
                ));
            }
            if store::round_entry(c, &round.id, &submission_id)?.is_none()
                || !store::round_judge_ids(c, &round.id)?.contains(&judge_id)
            {
                return Err(AppError::NotFound);
            }
            let existing = store::find_pair(c, &round.id, &judge_id, &submission_id)?;
            let action = match (paired, existing) {
                (true, Some(_)) | (false, None) => return Ok(()),
                (true, None) => {
                    let conflicted = store::conflicts_of_judge(c, &judge_id)?
                        .iter()
                        .any(|x| x.submission_id == submission_id);
                    if conflicted {
                        return Err(AppError::conflict(
                            "conflict_of_interest",
                            "This judge has a conflict of interest with this entry.",
                        ));
                    }
                    store::insert_assignment(c, &round.id, &judge_id, &submission_id, true, now())?;
                    "assignment.added"
                }
                (false, Some(a)) => {
                    store::delete_assignment(c, &a.id)?;
                    "assignment.removed"
                }
            };
            audit_judging(
                c,
                &caller.actor(),
                &ch,
                action,
                "round",
                &round.id,
                serde_json::json!({ "judge": judge_id, "submission": submission_id }),
            )?;
            Ok(())
        })
        .await
}

/// Closes an open round: its scorecards are frozen, its leaderboard final.
pub async fn close(state: &AppState, caller: &Principal, round_id: &str) -> AppResult<Round> {
    let (caller, round_id, st) = (caller.clone(), round_id.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            let (round, ch) = round_for_organiser(c, &caller, &round_id, OrgAction::ManageJudging)?;
            if store::set_round_state(c, &round.id, RoundState::Open, RoundState::Closed, now())?
                != 1
            {
                return Err(AppError::conflict(
                    "round_not_open",
                    "Only an open round can close.",
                ));
            }
            let cards = store::scorecards_of_round(c, &round.id)?;
            let submitted = cards
                .iter()
                .filter(|s| s.state == store::card_state::SUBMITTED)
                .count();
            audit_judging(
                c,
                &caller.actor(),
                &ch,
                "round.closed",
                "round",
                &round.id,
                serde_json::json!({ "submitted": submitted, "drafts": cards.len() - submitted }),
            )?;
            tell_judges(c, &st, &round, &ch, false)?;
            crate::webhooks::service::emit(
                c,
                &ch.org_id,
                "round.closed",
                serde_json::json!({
                    "challenge": crate::webhooks::service::challenge_ref(&ch),
                    "round": { "id": round.id, "name": round.name, "number": round.number },
                    "scorecards_submitted": submitted,
                }),
            )?;
            Ok(store::find_round(c, &round.id)?)
        })
        .await?;
    state.wake_worker();
    Ok(out)
}
