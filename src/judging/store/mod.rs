//! Judging queries: the panel, rounds and their rubric and entries,
//! conflicts, assignments, scorecards, results and awards. Each function is
//! one query (or a few that belong together) and returns `QueryResult`; the
//! rules are in `model.rs`, the use cases in `service.rs`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::model::{Criterion, RoundState};
use crate::auth::crypto::{random_token, token_hash};
use crate::db::schema::{
    criteria, judges, round_entries, round_judges, rounds, submissions, team_members, users,
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

mod results;
mod work;

pub use results::*;
pub use work::*;

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

/// The title and team of every entry of a round, in one query:
/// `(submission, title, team)`.
pub fn entry_titles(
    conn: &mut DbConnection,
    round_id: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    submissions::table
        .filter(submissions::id.eq_any(entries_of(round_id)))
        .select((submissions::id, submissions::title, submissions::team_id))
        .load(conn)
}

/// The members' names of the teams of a round's entries, in one query:
/// `(team, display name)`, in each team's join order (as
/// `submissions::store::members` lists them).
pub fn entry_team_names(
    conn: &mut DbConnection,
    round_id: &str,
) -> QueryResult<Vec<(String, String)>> {
    let teams = submissions::table
        .filter(submissions::id.eq_any(entries_of(round_id)))
        .select(submissions::team_id);
    team_members::table
        .inner_join(users::table)
        .filter(team_members::team_id.eq_any(teams))
        .order((team_members::joined_at.asc(), team_members::user_id.asc()))
        .select((team_members::team_id, users::display_name))
        .load(conn)
}

/// The submission ids of a round's entries, as a subquery.
fn entries_of(
    round_id: &str,
) -> diesel::dsl::Select<
    diesel::dsl::Filter<round_entries::table, diesel::dsl::Eq<round_entries::round_id, &str>>,
    round_entries::submission_id,
> {
    round_entries::table
        .filter(round_entries::round_id.eq(round_id))
        .select(round_entries::submission_id)
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
