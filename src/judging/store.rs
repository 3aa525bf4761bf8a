//! Judging queries: the panel, rounds and their rubric and entries,
//! conflicts, assignments, scorecards, results and awards. Each function is
//! one query (or a few that belong together) and returns `QueryResult`; the
//! rules are in `model.rs`, the use cases in `service.rs`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::model::{Criterion, RoundState};
use crate::auth::crypto::{random_token, token_hash};
use crate::db::schema::{
    assignments, awards, conflicts, criteria, judges, results, round_entries, round_judges, rounds,
    scorecards, scores, team_members, users,
};
use crate::db::{new_id, DbConnection};

/// How long a judge invitation can be answered.
pub const INVITATION_TTL_DAYS: i64 = 14;

/// Panel membership states.
pub mod judge_status {
    pub const INVITED: &str = "invited";
    pub const ACTIVE: &str = "active";
    pub const DECLINED: &str = "declined";
    pub const REMOVED: &str = "removed";
}

/// Scorecard states.
pub mod card_state {
    pub const DRAFT: &str = "draft";
    pub const SUBMITTED: &str = "submitted";
}

// ---- the panel ----

/// A judge of a challenge (or an invitation to become one).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = judges)]
pub struct Judge {
    pub id: String,
    pub challenge_id: String,
    pub email: String,
    pub user_id: Option<String>,
    pub status: String,
    pub token_hash: String,
    pub invited_by: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub responded_at: Option<NaiveDateTime>,
    pub removed_at: Option<NaiveDateTime>,
}

/// Invites `email` to judge a challenge; returns the invitation and its
/// token (only the token's hash is stored).
pub fn invite(
    conn: &mut DbConnection,
    challenge_id: &str,
    email: &str,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<(Judge, String)> {
    let token = random_token("");
    let id = new_id();
    diesel::insert_into(judges::table)
        .values((
            judges::id.eq(&id),
            judges::challenge_id.eq(challenge_id),
            judges::email.eq(email),
            judges::status.eq(judge_status::INVITED),
            judges::token_hash.eq(token_hash(&token)),
            judges::invited_by.eq(by),
            judges::created_at.eq(now),
            judges::expires_at.eq(now + Duration::days(INVITATION_TTL_DAYS)),
        ))
        .execute(conn)?;
    Ok((find_judge(conn, &id)?, token))
}

pub fn find_judge(conn: &mut DbConnection, id: &str) -> QueryResult<Judge> {
    judges::table
        .find(id)
        .select(Judge::as_select())
        .first(conn)
}

/// A pending invitation by its token.
pub fn invitation_by_token(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Judge>> {
    judges::table
        .filter(judges::token_hash.eq(token_hash(token)))
        .filter(judges::status.eq(judge_status::INVITED))
        .filter(judges::expires_at.gt(now))
        .select(Judge::as_select())
        .first(conn)
        .optional()
}

/// The panel of a challenge (every state), oldest first.
pub fn judges_of(conn: &mut DbConnection, challenge_id: &str) -> QueryResult<Vec<Judge>> {
    judges::table
        .filter(judges::challenge_id.eq(challenge_id))
        .order(judges::created_at.asc())
        .select(Judge::as_select())
        .load(conn)
}

/// The active judge a user is on a challenge, if any.
pub fn active_judge(
    conn: &mut DbConnection,
    challenge_id: &str,
    user_id: &str,
) -> QueryResult<Option<Judge>> {
    judges::table
        .filter(judges::challenge_id.eq(challenge_id))
        .filter(judges::user_id.eq(user_id))
        .filter(judges::status.eq(judge_status::ACTIVE))
        .select(Judge::as_select())
        .first(conn)
        .optional()
}

/// Every active judging role of a user.
pub fn roles_of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<Judge>> {
    judges::table
        .filter(judges::user_id.eq(user_id))
        .filter(judges::status.eq(judge_status::ACTIVE))
        .order(judges::created_at.desc())
        .select(Judge::as_select())
        .load(conn)
}

/// Pending invitations to an address.
pub fn invitations_for(
    conn: &mut DbConnection,
    email: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<Judge>> {
    judges::table
        .filter(judges::email.eq(email))
        .filter(judges::status.eq(judge_status::INVITED))
        .filter(judges::expires_at.gt(now))
        .order(judges::created_at.desc())
        .select(Judge::as_select())
        .load(conn)
}

/// When invitations to judge were sent to `email` since `since`.
pub fn invitations_to_since(
    conn: &mut DbConnection,
    email: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    judges::table
        .filter(judges::email.eq(email))
        .filter(judges::created_at.gt(since))
        .select(judges::created_at)
        .load(conn)
}

/// Answers a pending invitation (`active` with the accepting user, or
/// `declined`). Conditional on it still pending: two answers cannot both win.
pub fn respond(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    user_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        judges::table
            .find(id)
            .filter(judges::status.eq(judge_status::INVITED)),
    )
    .set((
        judges::status.eq(status),
        judges::user_id.eq(user_id),
        judges::responded_at.eq(Some(now)),
    ))
    .execute(conn)
}

/// Takes a judge off the panel.
pub fn remove(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        judges::table
            .find(id)
            .filter(judges::status.eq_any([judge_status::INVITED, judge_status::ACTIVE])),
    )
    .set((
        judges::status.eq(judge_status::REMOVED),
        judges::removed_at.eq(Some(now)),
    ))
    .execute(conn)
}

// ---- rounds ----

/// A judging round.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rounds)]
pub struct Round {
    pub id: String,
    pub challenge_id: String,
    pub number: i32,
    pub name: String,
    pub state: String,
    pub judges_per_entry: i32,
    pub normalise: bool,
    pub shortlist: Option<i32>,
    pub assignment_seed: i64,
    pub created_at: NaiveDateTime,
    pub opened_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
}

impl Round {
    /// The state as a type (draft when unknown).
    pub fn round_state(&self) -> RoundState {
        RoundState::parse(&self.state).unwrap_or(RoundState::Draft)
    }
}

/// Settings of a round as written.
pub struct RoundFields<'a> {
    pub name: &'a str,
    pub judges_per_entry: i32,
    pub normalise: bool,
    pub shortlist: Option<i32>,
}

pub fn insert_round(
    conn: &mut DbConnection,
    challenge_id: &str,
    number: i32,
    f: &RoundFields<'_>,
    seed: i64,
    now: NaiveDateTime,
) -> QueryResult<Round> {
    let id = new_id();
    diesel::insert_into(rounds::table)
        .values((
            rounds::id.eq(&id),
            rounds::challenge_id.eq(challenge_id),
            rounds::number.eq(number),
            rounds::name.eq(f.name),
            rounds::state.eq(RoundState::Draft.as_str()),
            rounds::judges_per_entry.eq(f.judges_per_entry),
            rounds::normalise.eq(f.normalise),
            rounds::shortlist.eq(f.shortlist),
            rounds::assignment_seed.eq(seed),
            rounds::created_at.eq(now),
        ))
        .execute(conn)?;
    find_round(conn, &id)
}

pub fn update_round(conn: &mut DbConnection, id: &str, f: &RoundFields<'_>) -> QueryResult<usize> {
    diesel::update(rounds::table.find(id))
        .set((
            rounds::name.eq(f.name),
            rounds::judges_per_entry.eq(f.judges_per_entry),
            rounds::normalise.eq(f.normalise),
            rounds::shortlist.eq(f.shortlist),
        ))
        .execute(conn)
}

pub fn find_round(conn: &mut DbConnection, id: &str) -> QueryResult<Round> {
    rounds::table
        .find(id)
        .select(Round::as_select())
        .first(conn)
}

pub fn find_round_opt(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Round>> {
    rounds::table
        .find(id)
        .select(Round::as_select())
        .first(conn)
        .optional()
}

/// A challenge's rounds, first to last.
pub fn rounds_of(conn: &mut DbConnection, challenge_id: &str) -> QueryResult<Vec<Round>> {
    rounds::table
        .filter(rounds::challenge_id.eq(challenge_id))
        .order(rounds::number.asc())
        .select(Round::as_select())
        .load(conn)
}

/// Moves a round from `from` to `to`; conditional, so a concurrent move loses.
pub fn set_round_state(
    conn: &mut DbConnection,
    id: &str,
    from: RoundState,
    to: RoundState,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let q = rounds::table
        .find(id)
        .filter(rounds::state.eq(from.as_str()));
    match to {
        RoundState::Open => diesel::update(q)
            .set((
                rounds::state.eq(to.as_str()),
                rounds::opened_at.eq(Some(now)),
            ))
            .execute(conn),
        RoundState::Closed => diesel::update(q)
            .set((
                rounds::state.eq(to.as_str()),
                rounds::closed_at.eq(Some(now)),
            ))
            .execute(conn),
        RoundState::Draft => diesel::update(q)
            .set(rounds::state.eq(to.as_str()))
            .execute(conn),
    }
}

/// Sets which judges of the panel judge a round.
pub fn set_round_judges(
    conn: &mut DbConnection,
    round_id: &str,
    judge_ids: &[String],
) -> QueryResult<()> {
    diesel::delete(round_judges::table.filter(round_judges::round_id.eq(round_id)))
        .execute(conn)?;
    for j in judge_ids {
        diesel::insert_into(round_judges::table)
            .values((
                round_judges::round_id.eq(round_id),
                round_judges::judge_id.eq(j),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn round_judge_ids(conn: &mut DbConnection, round_id: &str) -> QueryResult<Vec<String>> {
    round_judges::table
        .filter(round_judges::round_id.eq(round_id))
        .select(round_judges::judge_id)
        .order(round_judges::judge_id.asc())
        .load(conn)
}

// ---- rubric ----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = criteria)]
struct CriterionRow {
    id: String,
    #[allow(dead_code)]
    round_id: String,
    #[allow(dead_code)]
    position: i32,
    name: String,
    description: String,
    weight: f64,
    scale_min: i32,
    scale_max: i32,
    comment_required: bool,
}

/// Replaces a round's rubric; criteria keep the ids given (new ones get
/// fresh ids when empty).
pub fn replace_criteria(
    conn: &mut DbConnection,
    round_id: &str,
    list: &[Criterion],
) -> QueryResult<Vec<Criterion>> {
    diesel::delete(criteria::table.filter(criteria::round_id.eq(round_id))).execute(conn)?;
    for (i, c) in list.iter().enumerate() {
        let id = if c.id.is_empty() {
            new_id()
        } else {
            c.id.clone()
        };
        diesel::insert_into(criteria::table)
            .values((
                criteria::id.eq(id),
                criteria::round_id.eq(round_id),
                criteria::position.eq(i as i32),
                criteria::name.eq(c.name.trim()),
                criteria::description.eq(c.description.trim()),
                criteria::weight.eq(c.weight),
                criteria::scale_min.eq(c.scale_min),
                criteria::scale_max.eq(c.scale_max),
                criteria::comment_required.eq(c.comment_required),
            ))
            .execute(conn)?;
    }
    criteria_of(conn, round_id)
}

/// A round's rubric in its order.
pub fn criteria_of(conn: &mut DbConnection, round_id: &str) -> QueryResult<Vec<Criterion>> {
    let rows: Vec<CriterionRow> = criteria::table
        .filter(criteria::round_id.eq(round_id))
        .order(criteria::position.asc())
        .select(CriterionRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Criterion {
            id: r.id,
            name: r.name,
            description: r.description,
            weight: r.weight,
            scale_min: r.scale_min,
            scale_max: r.scale_max,
            comment_required: r.comment_required,
        })
        .collect())
}

// ---- the entries of a round ----

/// An entry as a round judges it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = round_entries)]
pub struct RoundEntry {
    pub round_id: String,
    pub submission_id: String,
    pub revision: i32,
    pub revised_at: NaiveDateTime,
    pub code: String,
}

pub fn insert_round_entry(conn: &mut DbConnection, e: &RoundEntry) -> QueryResult<()> {
    diesel::insert_into(round_entries::table)
        .values((
            round_entries::round_id.eq(&e.round_id),
            round_entries::submission_id.eq(&e.submission_id),
            round_entries::revision.eq(e.revision),
            round_entries::revised_at.eq(e.revised_at),
            round_entries::code.eq(&e.code),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn round_entries(conn: &mut DbConnection, round_id: &str) -> QueryResult<Vec<RoundEntry>> {
    round_entries::table
        .filter(round_entries::round_id.eq(round_id))
        .order(round_entries::code.asc())
        .select(RoundEntry::as_select())
        .load(conn)
}

pub fn round_entry(
    conn: &mut DbConnection,
    round_id: &str,
    submission_id: &str,
) -> QueryResult<Option<RoundEntry>> {
    round_entries::table
        .find((round_id, submission_id))
        .select(RoundEntry::as_select())
        .first(conn)
        .optional()
}

// ---- conflicts ----

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

// ---- results and awards ----

/// Published results of a challenge.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = results)]
pub struct Results {
    pub challenge_id: String,
    pub round_id: String,
    pub show_scores: bool,
    pub alpha: Option<f64>,
    /// JSON: the standings and prizes as published.
    pub standings: String,
    pub published_by: String,
    pub published_at: NaiveDateTime,
}

pub fn insert_results(conn: &mut DbConnection, r: &Results) -> QueryResult<()> {
    diesel::insert_into(results::table)
        .values((
            results::challenge_id.eq(&r.challenge_id),
            results::round_id.eq(&r.round_id),
            results::show_scores.eq(r.show_scores),
            results::alpha.eq(r.alpha),
            results::standings.eq(&r.standings),
            results::published_by.eq(&r.published_by),
            results::published_at.eq(r.published_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn results_of(conn: &mut DbConnection, challenge_id: &str) -> QueryResult<Option<Results>> {
    results::table
        .find(challenge_id)
        .select(Results::as_select())
        .first(conn)
        .optional()
}

/// A prize awarded to an entry.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = awards)]
pub struct Award {
    pub id: String,
    pub challenge_id: String,
    pub submission_id: String,
    pub tier_rank: i32,
    pub amount: i64,
    pub currency: String,
    pub entry_id: String,
    pub created_at: NaiveDateTime,
}

#[allow(clippy::too_many_arguments)] // one argument per column
pub fn insert_award(
    conn: &mut DbConnection,
    challenge_id: &str,
    submission_id: &str,
    tier_rank: i32,
    amount: i64,
    currency: &str,
    entry_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(awards::table)
        .values((
            awards::id.eq(new_id()),
            awards::challenge_id.eq(challenge_id),
            awards::submission_id.eq(submission_id),
            awards::tier_rank.eq(tier_rank),
            awards::amount.eq(amount),
            awards::currency.eq(currency),
            awards::entry_id.eq(entry_id),
            awards::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn awards_of(conn: &mut DbConnection, challenge_id: &str) -> QueryResult<Vec<Award>> {
    awards::table
        .filter(awards::challenge_id.eq(challenge_id))
        .order(awards::tier_rank.asc())
        .select(Award::as_select())
        .load(conn)
}

/// Awards to entries a user is in the team of (their prizes).
pub fn awards_of_submissions(
    conn: &mut DbConnection,
    submission_ids: &[String],
) -> QueryResult<Vec<Award>> {
    awards::table
        .filter(awards::submission_id.eq_any(submission_ids))
        .select(Award::as_select())
        .load(conn)
}

/// The members of a team as results show them: `(display name, anonymous)`
/// in join order.
pub fn public_members(conn: &mut DbConnection, team_id: &str) -> QueryResult<Vec<(String, bool)>> {
    team_members::table
        .inner_join(users::table)
        .filter(team_members::team_id.eq(team_id))
        .order((team_members::joined_at.asc(), team_members::user_id.asc()))
        .select((users::display_name, team_members::anonymous))
        .load(conn)
}
