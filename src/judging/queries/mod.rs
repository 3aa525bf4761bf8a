//! Judging read models: a round's scorecards as the model's cards, its
//! standings and agreement (here); what the panel, a judge and the public
//! see ([`views`]); the leaderboard with its charts and exports
//! ([`board`]); published results ([`results`]). Pages and API answers build
//! on these; in a blind round nothing a judge loads names a team member.

pub mod board;
pub mod console;
pub mod results;
pub mod views;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;

use super::model::{self, Card, Criterion, Standing};
use super::store::{self, Round};
use crate::db::DbConnection;
use crate::error::AppResult;

/// A round's submitted scorecards as cards (one per judge and entry), with
/// the round's rubric.
pub fn cards(conn: &mut DbConnection, round: &Round) -> AppResult<(Vec<Card>, Vec<Criterion>)> {
    let criteria = store::criteria_of(conn, &round.id)?;
    let mut by_pair: BTreeMap<(String, String), BTreeMap<String, i32>> = BTreeMap::new();
    for (judge, entry, criterion, score) in store::submitted_scores(conn, &round.id)? {
        by_pair
            .entry((judge, entry))
            .or_default()
            .insert(criterion, score);
    }
    let cards = by_pair
        .into_iter()
        .filter_map(|((judge, entry), scores)| {
            model::weighted_score(&criteria, &scores).map(|score| Card {
                judge,
                entry,
                score,
                criteria: scores,
            })
        })
        .collect();
    Ok((cards, criteria))
}

/// When each entry of a round was last revised before the deadline (ties
/// go to the earlier).
fn revised_at(conn: &mut DbConnection, round: &Round) -> AppResult<HashMap<String, NaiveDateTime>> {
    Ok(store::round_entries(conn, &round.id)?
        .into_iter()
        .map(|e| (e.submission_id, e.revised_at))
        .collect())
}

/// A round's leaderboard, best first (normalised when the round says so).
pub fn standings(conn: &mut DbConnection, round: &Round) -> AppResult<Vec<Standing>> {
    let (cards, _) = cards(conn, round)?;
    let when = revised_at(conn, round)?;
    Ok(model::leaderboard(&cards, round.normalise, &when))
}

/// How much a round's judges agree (Krippendorff's alpha over their
/// weighted scores), when it can be told.
pub fn agreement(conn: &mut DbConnection, round: &Round) -> AppResult<Option<f64>> {
    let (cards, _) = cards(conn, round)?;
    Ok(alpha_of(&cards))
}

/// Krippendorff's alpha of cards already loaded: one unit per entry, its
/// judges' weighted scores.
fn alpha_of(cards: &[Card]) -> Option<f64> {
    let mut units: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for c in cards {
        units.entry(&c.entry).or_default().push(c.score);
    }
    let units: Vec<Vec<f64>> = units.into_values().collect();
    model::krippendorff_alpha(&units)
}

/// Who reads a round: its organisation, or one of its judges.
pub enum Reader {
    Organiser,
    Judge,
}

/// How `caller` may read `round`: as a judge of it (a person on its panel
/// part), else as its organisation (with `action`); 404 for anyone else.
pub fn reader(
    conn: &mut DbConnection,
    caller: &crate::auth::principal::Principal,
    round: &Round,
    action: crate::orgs::model::OrgAction,
) -> AppResult<Reader> {
    if let crate::auth::principal::Principal::User(u) = caller {
        if crate::judging::service::judge_of_round(conn, round, &u.user.id).is_ok() {
            return Ok(Reader::Judge);
        }
    }
    crate::judging::service::organiser_of(conn, caller, &round.challenge_id, action)?;
    Ok(Reader::Organiser)
}

fn round_by_id(conn: &mut DbConnection, round_id: &str) -> AppResult<Round> {
    store::find_round_opt(conn, round_id)?.ok_or(crate::error::AppError::NotFound)
}

/// The panel of challenge `key`, for its organisation.
pub fn panel_for(
    conn: &mut DbConnection,
    caller: &crate::auth::principal::Principal,
    key: &str,
) -> AppResult<Vec<views::JudgeView>> {
    let ch = crate::judging::service::organiser_of(
        conn,
        caller,
        key,
        crate::orgs::model::OrgAction::ViewJudging,
    )?;
    views::panel(conn, &ch)
}

/// The rounds of challenge `key` as `caller` may see them.
pub fn rounds_for(
    conn: &mut DbConnection,
    caller: Option<&crate::auth::principal::Principal>,
    key: &str,
) -> AppResult<Vec<views::RoundView>> {
    let (ch, _) = crate::challenges::service::readable(conn, caller, key)?;
    let organiser = crate::challenges::service::is_org_side(
        conn,
        caller,
        &ch,
        crate::orgs::model::OrgAction::ViewJudging,
    )?;
    views::rounds(conn, &ch, organiser)
}

/// One round, for its organisation (in full) or its judges.
pub fn round_for(
    conn: &mut DbConnection,
    caller: &crate::auth::principal::Principal,
    round_id: &str,
) -> AppResult<views::RoundView> {
    let round = round_by_id(conn, round_id)?;
    let organiser = matches!(
        reader(
            conn,
            caller,
            &round,
            crate::orgs::model::OrgAction::ViewJudging
        )?,
        Reader::Organiser
    );
    views::round_view(conn, &round, organiser)
}

/// A round's leaderboard, for its organisation or its judges (who see no
/// team names in a blind challenge).
pub fn leaderboard_for(
    conn: &mut DbConnection,
    caller: &crate::auth::principal::Principal,
    round_id: &str,
) -> AppResult<board::Leaderboard> {
    let round = round_by_id(conn, round_id)?;
    let names = match reader(
        conn,
        caller,
        &round,
        crate::orgs::model::OrgAction::ViewJudging,
    )? {
        Reader::Organiser => true,
        Reader::Judge => !crate::challenges::store::find(conn, &round.challenge_id)?.blind_judging,
    };
    board::leaderboard(conn, &round, names)
}

/// Every scorecard of a round as CSV, for its organisation.
pub fn scorecards_csv_for(
    conn: &mut DbConnection,
    caller: &crate::auth::principal::Principal,
    round_id: &str,
) -> AppResult<String> {
    let round = round_by_id(conn, round_id)?;
    crate::judging::service::organiser_of(
        conn,
        caller,
        &round.challenge_id,
        crate::orgs::model::OrgAction::ViewJudging,
    )?;
    board::scorecards_csv(conn, &round)
}

/// The published results of challenge `key` (404 before publication).
pub fn results_for(
    conn: &mut DbConnection,
    caller: Option<&crate::auth::principal::Principal>,
    key: &str,
) -> AppResult<results::ResultsView> {
    let (ch, _) = crate::challenges::service::readable(conn, caller, key)?;
    results::results(conn, &ch)
}
