//! A round's leaderboard for its organisation and its judges (never public
//! before results): ranks, raw and normalised scores, per-criterion means,
//! judge counts and spread, each judge's scoring, agreement; and the CSV
//! exports of the leaderboard and of every scorecard.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use super::views::{ChallengeRef, RoundRef};
use super::{alpha_of, cards};
use crate::challenges::store::{self as challenges, Challenge};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::judging::model::{self, Agreement, Criterion};
use crate::judging::store::{self, Round};

/// One row of the leaderboard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardRow {
    pub rank: usize,
    pub submission_id: String,
    /// The entry's neutral code in this round.
    pub code: String,
    pub title: String,
    /// The team's names (not for judges of a blind round).
    pub team: Option<String>,
    /// Mean of the judges' weighted scores, 0–100.
    pub raw: f64,
    /// Mean after per-judge normalisation (equal to `raw` when it is off).
    pub normalised: f64,
    pub judges: usize,
    /// Standard deviation of its judges' scores.
    pub spread: f64,
    /// Mean raw score per criterion id.
    pub criteria: BTreeMap<String, f64>,
}

/// How one judge scored in a round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JudgeStat {
    pub judge_id: String,
    pub name: String,
    pub cards: usize,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

/// A round's leaderboard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Leaderboard {
    pub round: RoundRef,
    pub challenge: ChallengeRef,
    /// Ranked by the normalised score.
    pub normalised: bool,
    /// Krippendorff's alpha (interval) over the judges' scores.
    pub alpha: Option<f64>,
    /// `strong`, `fair`, `partial` or `weak`.
    pub agreement: Option<String>,
    pub criteria: Vec<Criterion>,
    pub rows: Vec<BoardRow>,
    pub judges: Vec<JudgeStat>,
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The leaderboard of a round; `names` says whether teams may be named
/// (not for the judges of a blind challenge).
///
/// A fixed number of queries whatever the size of the round, so a large
/// round answers in time (`cargo bench --bench leaderboard` measures it):
/// the scorecards once (ranks, judge statistics and agreement all come
/// from them), the entries once, titles and team names in one query each.
pub fn leaderboard(conn: &mut DbConnection, round: &Round, names: bool) -> AppResult<Leaderboard> {
    let ch: Challenge = challenges::find(conn, &round.challenge_id)?;
    let (cards, criteria) = cards(conn, round)?;
    let entries = store::round_entries(conn, &round.id)?;
    let when: HashMap<String, NaiveDateTime> = entries
        .iter()
        .map(|e| (e.submission_id.clone(), e.revised_at))
        .collect();
    let codes: HashMap<&str, &str> = entries
        .iter()
        .map(|e| (e.submission_id.as_str(), e.code.as_str()))
        .collect();
    let rows = model::leaderboard(&cards, round.normalise, &when);
    let mut titles: HashMap<String, (String, String)> = store::entry_titles(conn, &round.id)?
        .into_iter()
        .map(|(id, title, team)| (id, (title, team)))
        .collect();
    let mut teams: HashMap<String, Vec<String>> = HashMap::new();
    if names {
        for (team, name) in store::entry_team_names(conn, &round.id)? {
            teams.entry(team).or_default().push(name);
        }
    }
    let mut out_rows = Vec::with_capacity(rows.len());
    for s in rows {
        // An entry scored but not (or no longer) among the round's entries
        // is read on its own, as it always was.
        let (title, team) = match titles.remove(&s.entry) {
            Some((title, team_id)) => (
                title,
                names.then(|| {
                    teams
                        .get(&team_id)
                        .map(|n| n.join(", "))
                        .unwrap_or_default()
                }),
            ),
            None => {
                let sub = crate::submissions::store::find(conn, &s.entry)?;
                let team = if names {
                    Some(
                        crate::submissions::store::members(conn, &sub.team_id)?
                            .into_iter()
                            .map(|(_, n, _)| n)
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                } else {
                    None
                };
                (sub.title, team)
            }
        };
        out_rows.push(BoardRow {
            rank: s.rank,
            code: codes
                .get(s.entry.as_str())
                .map(|c| (*c).to_owned())
                .unwrap_or_default(),
            submission_id: s.entry,
            title,
            team,
            raw: s.raw,
            normalised: s.normalised,
            judges: s.judges,
            spread: s.spread,
            criteria: s.criteria,
        });
    }
    let mut per_judge: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for c in &cards {
        per_judge.entry(c.judge.clone()).or_default().push(c.score);
    }
    let mut judges = Vec::new();
    for (id, scores) in per_judge {
        let judge = store::find_judge(conn, &id)?;
        let name = match &judge.user_id {
            Some(uid) => crate::auth::store::find_user(conn, uid)?.display_name,
            None => judge.email,
        };
        let n = scores.len() as f64;
        judges.push(JudgeStat {
            judge_id: id,
            name,
            cards: scores.len(),
            mean: r2(scores.iter().sum::<f64>() / n),
            min: r2(scores.iter().copied().fold(f64::INFINITY, f64::min)),
            max: r2(scores.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        });
    }
    let alpha = alpha_of(&cards);
    Ok(Leaderboard {
        round: RoundRef::from(round),
        challenge: ChallengeRef::from(&ch),
        normalised: round.normalise,
        agreement: alpha.map(|a| Agreement::of(a).as_str().to_owned()),
        alpha,
        criteria,
        rows: out_rows,
        judges,
    })
}

use crate::api::csv_cell;

fn csv_error(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("csv: {e}"))
}

/// The leaderboard as CSV (RFC 4180, UTF-8, a header row): rank, code,
/// title, team, raw, normalised, judges, spread, then each criterion's mean.
pub fn leaderboard_csv(board: &Leaderboard) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "rank".to_owned(),
        "code".into(),
        "title".into(),
        "team".into(),
        "raw".into(),
        "normalised".into(),
        "judges".into(),
        "spread".into(),
    ];
    header.extend(board.criteria.iter().map(|c| csv_cell(&c.name)));
    w.write_record(&header).map_err(csv_error)?;
    for r in &board.rows {
        let mut rec = vec![
            r.rank.to_string(),
            r.code.clone(),
            csv_cell(&r.title),
            csv_cell(&r.team.clone().unwrap_or_default()),
            r.raw.to_string(),
            r.normalised.to_string(),
            r.judges.to_string(),
            r.spread.to_string(),
        ];
        rec.extend(board.criteria.iter().map(|c| {
            r.criteria
                .get(&c.id)
                .map(|v| v.to_string())
                .unwrap_or_default()
        }));
        w.write_record(&rec).map_err(csv_error)?;
    }
    String::from_utf8(w.into_inner().map_err(csv_error)?).map_err(csv_error)
}

/// Every scorecard of a round as CSV: round, code, title, judge, state,
/// total, each criterion's score, and the comments.
pub fn scorecards_csv(conn: &mut DbConnection, round: &Round) -> AppResult<String> {
    let criteria = store::criteria_of(conn, &round.id)?;
    let entries = store::round_entries(conn, &round.id)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "round".to_owned(),
        "code".into(),
        "title".into(),
        "judge".into(),
        "state".into(),
        "total".into(),
    ];
    header.extend(criteria.iter().map(|c| csv_cell(&c.name)));
    header.push("comments".into());
    w.write_record(&header).map_err(csv_error)?;
    let mut cards = store::scorecards_of_round(conn, &round.id)?;
    cards.sort_by(|a, b| (&a.submission_id, &a.judge_id).cmp(&(&b.submission_id, &b.judge_id)));
    for card in cards {
        let judge = store::find_judge(conn, &card.judge_id)?;
        let judge_name = match &judge.user_id {
            Some(uid) => crate::auth::store::find_user(conn, uid)?.display_name,
            None => judge.email,
        };
        let scores = store::scores_of(conn, &card.id)?;
        let code = entries
            .iter()
            .find(|e| e.submission_id == card.submission_id)
            .map(|e| e.code.clone())
            .unwrap_or_default();
        let title = crate::submissions::store::find(conn, &card.submission_id)?.title;
        let mut rec = vec![
            round.number.to_string(),
            code,
            csv_cell(&title),
            csv_cell(&judge_name),
            card.state.clone(),
            card.total
                .map(|t| ((t * 10_000.0).round() / 10_000.0).to_string())
                .unwrap_or_default(),
        ];
        rec.extend(criteria.iter().map(|c| {
            scores
                .iter()
                .find(|(id, _, _)| id == &c.id)
                .map(|(_, s, _)| s.to_string())
                .unwrap_or_default()
        }));
        let comments: Vec<String> = criteria
            .iter()
            .filter_map(|c| {
                scores
                    .iter()
                    .find(|(id, _, comment)| id == &c.id && !comment.is_empty())
                    .map(|(_, _, comment)| format!("{}: {comment}", c.name))
            })
            .collect();
        rec.push(csv_cell(&comments.join("\n")));
        w.write_record(&rec).map_err(csv_error)?;
    }
    String::from_utf8(w.into_inner().map_err(csv_error)?).map_err(csv_error)
}
