//! Judges' work: conflicts, assignments and scorecards.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{assignments, conflicts, judges, scorecards, scores};
use crate::db::{new_id, DbConnection};

use super::card_state;

/// A conflict of interest between a judge and an entry.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = conflicts)]
pub struct Conflict {
    pub judge_id: String,
    pub submission_id: String,
    pub reason: String,
    pub automatic: bool,
    pub created_at: NaiveDateTime,
}

/// Records a conflict (once per pair; a second declaration keeps the first).
pub fn add_conflict(
    conn: &mut DbConnection,
    judge_id: &str,
    submission_id: &str,
    reason: &str,
    automatic: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let exists: i64 = conflicts::table
        .find((judge_id, submission_id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(conflicts::table)
        .values((
            conflicts::judge_id.eq(judge_id),
            conflicts::submission_id.eq(submission_id),
            conflicts::reason.eq(reason),
            conflicts::automatic.eq(automatic),
            conflicts::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Every conflict of the judges of a challenge.
pub fn conflicts_of_challenge(
    conn: &mut DbConnection,
    challenge_id: &str,
) -> QueryResult<Vec<Conflict>> {
    conflicts::table
        .inner_join(judges::table)
        .filter(judges::challenge_id.eq(challenge_id))
        .order(conflicts::created_at.asc())
        .select(Conflict::as_select())
        .load(conn)
}

/// A judge's conflicts.
pub fn conflicts_of_judge(conn: &mut DbConnection, judge_id: &str) -> QueryResult<Vec<Conflict>> {
    conflicts::table
        .filter(conflicts::judge_id.eq(judge_id))
        .select(Conflict::as_select())
        .load(conn)
}

// ---- assignments and scorecards ----

/// One judge assigned to one entry in a round.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignments)]
pub struct Assignment {
    pub id: String,
    pub round_id: String,
    pub judge_id: String,
    pub submission_id: String,
    pub manual: bool,
    pub created_at: NaiveDateTime,
}

pub fn insert_assignment(
    conn: &mut DbConnection,
    round_id: &str,
    judge_id: &str,
    submission_id: &str,
    manual: bool,
    now: NaiveDateTime,
) -> QueryResult<Assignment> {
    let id = new_id();
    diesel::insert_into(assignments::table)
        .values((
            assignments::id.eq(&id),
            assignments::round_id.eq(round_id),
            assignments::judge_id.eq(judge_id),
            assignments::submission_id.eq(submission_id),
            assignments::manual.eq(manual),
            assignments::created_at.eq(now),
        ))
        .execute(conn)?;
    assignments::table
        .find(&id)
        .select(Assignment::as_select())
        .first(conn)
}

pub fn find_assignment(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Assignment>> {
    assignments::table
        .find(id)
        .select(Assignment::as_select())
        .first(conn)
        .optional()
}

pub fn find_pair(
    conn: &mut DbConnection,
    round_id: &str,
    judge_id: &str,
    submission_id: &str,
) -> QueryResult<Option<Assignment>> {
    assignments::table
        .filter(assignments::round_id.eq(round_id))
        .filter(assignments::judge_id.eq(judge_id))
        .filter(assignments::submission_id.eq(submission_id))
        .select(Assignment::as_select())
        .first(conn)
        .optional()
}

/// Deletes an assignment and its scorecard (cascade).
pub fn delete_assignment(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    let cards: Vec<String> = scorecards::table
        .filter(scorecards::assignment_id.eq(id))
        .select(scorecards::id)
        .load(conn)?;
    diesel::delete(scores::table.filter(scores::scorecard_id.eq_any(&cards))).execute(conn)?;
    diesel::delete(scorecards::table.filter(scorecards::assignment_id.eq(id))).execute(conn)?;
    diesel::delete(assignments::table.find(id)).execute(conn)
}

pub fn assignments_of_round(
    conn: &mut DbConnection,
    round_id: &str,
) -> QueryResult<Vec<Assignment>> {
    assignments::table
        .filter(assignments::round_id.eq(round_id))
        .order((
            assignments::submission_id.asc(),
            assignments::judge_id.asc(),
        ))
        .select(Assignment::as_select())
        .load(conn)
}

pub fn assignments_of_judge(
    conn: &mut DbConnection,
    judge_id: &str,
) -> QueryResult<Vec<Assignment>> {
    assignments::table
        .filter(assignments::judge_id.eq(judge_id))
        .order(assignments::created_at.asc())
        .select(Assignment::as_select())
        .load(conn)
}

/// A judge's scorecard on an assignment.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scorecards)]
pub struct Scorecard {
    pub id: String,
    pub assignment_id: String,
    pub round_id: String,
    pub judge_id: String,
    pub submission_id: String,
    pub state: String,
    pub total: Option<f64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
}

pub fn scorecard_of(
    conn: &mut DbConnection,
    assignment_id: &str,
) -> QueryResult<Option<Scorecard>> {
    scorecards::table
        .filter(scorecards::assignment_id.eq(assignment_id))
        .select(Scorecard::as_select())
        .first(conn)
        .optional()
}

/// Writes a scorecard (creating it on first save) with its scores.
#[allow(clippy::too_many_arguments)] // one argument per column
pub fn save_scorecard(
    conn: &mut DbConnection,
    a: &Assignment,
    state: &str,
    total: Option<f64>,
    entries: &[(String, i32, String)],
    now: NaiveDateTime,
) -> QueryResult<Scorecard> {
    let id = match scorecard_of(conn, &a.id)? {
        Some(card) => {
            diesel::update(scorecards::table.find(&card.id))
                .set((
                    scorecards::state.eq(state),
                    scorecards::total.eq(total),
                    scorecards::updated_at.eq(now),
                    scorecards::submitted_at.eq((state == card_state::SUBMITTED)
                        .then_some(card.submitted_at.unwrap_or(now))),
                ))
                .execute(conn)?;
            card.id
        }
        None => {
            let id = new_id();
            diesel::insert_into(scorecards::table)
                .values((
                    scorecards::id.eq(&id),
                    scorecards::assignment_id.eq(&a.id),
                    scorecards::round_id.eq(&a.round_id),
                    scorecards::judge_id.eq(&a.judge_id),
                    scorecards::submission_id.eq(&a.submission_id),
                    scorecards::state.eq(state),
                    scorecards::total.eq(total),
                    scorecards::created_at.eq(now),
                    scorecards::updated_at.eq(now),
                    scorecards::submitted_at.eq((state == card_state::SUBMITTED).then_some(now)),
                ))
                .execute(conn)?;
            id
        }
    };
    diesel::delete(scores::table.filter(scores::scorecard_id.eq(&id))).execute(conn)?;
    for (criterion, score, comment) in entries {
        diesel::insert_into(scores::table)
            .values((
                scores::scorecard_id.eq(&id),
                scores::criterion_id.eq(criterion),
                scores::score.eq(score),
                scores::comment.eq(comment),
            ))
            .execute(conn)?;
    }
    scorecards::table
        .find(&id)
        .select(Scorecard::as_select())
        .first(conn)
}

/// The scores of a scorecard: `(criterion, score, comment)`.
pub fn scores_of(
    conn: &mut DbConnection,
    scorecard_id: &str,
) -> QueryResult<Vec<(String, i32, String)>> {
    scores::table
        .filter(scores::scorecard_id.eq(scorecard_id))
        .select((scores::criterion_id, scores::score, scores::comment))
        .load(conn)
}

/// Every scorecard of a round.
pub fn scorecards_of_round(conn: &mut DbConnection, round_id: &str) -> QueryResult<Vec<Scorecard>> {
    scorecards::table
        .filter(scorecards::round_id.eq(round_id))
        .select(Scorecard::as_select())
        .load(conn)
}

/// Every score of a round's submitted scorecards:
/// `(judge, submission, criterion, score)`, in one query.
pub fn submitted_scores(
    conn: &mut DbConnection,
    round_id: &str,
) -> QueryResult<Vec<(String, String, String, i32)>> {
    scores::table
        .inner_join(scorecards::table)
        .filter(scorecards::round_id.eq(round_id))
        .filter(scorecards::state.eq(card_state::SUBMITTED))
        .select((
            scorecards::judge_id,
            scorecards::submission_id,
            scores::criterion_id,
            scores::score,
        ))
        .load(conn)
}
