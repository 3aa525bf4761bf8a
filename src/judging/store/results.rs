//! Published results and the awards they made.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{awards, results, team_members, users};
use crate::db::{new_id, DbConnection};

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
) -> QueryResult<String> {
    let id = new_id();
    diesel::insert_into(awards::table)
        .values((
            awards::id.eq(&id),
            awards::challenge_id.eq(challenge_id),
            awards::submission_id.eq(submission_id),
            awards::tier_rank.eq(tier_rank),
            awards::amount.eq(amount),
            awards::currency.eq(currency),
            awards::entry_id.eq(entry_id),
            awards::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
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
