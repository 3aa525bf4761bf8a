//! Judging read models: a round's scorecards as the model's cards, its
//! standings and agreement (here); what the panel, a judge and the public
//! see ([`views`]); the leaderboard with its charts and exports
//! ([`board`]); published results ([`results`]). Pages and API answers build
//! on these; in a blind round nothing a judge loads names a team member.

pub mod board;
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
    let mut units: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for c in &cards {
        units.entry(&c.entry).or_default().push(c.score);
    }
    let units: Vec<Vec<f64>> = units.into_values().collect();
    Ok(model::krippendorff_alpha(&units))
}
