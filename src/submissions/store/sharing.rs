//! A team's own rules (who withdraws, who is credited), the agreement to
//! withdraw an entry, and the sources entries build on.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Submission;
use crate::db::schema::{submissions, team_members, teams, users, withdrawal_votes};
use crate::db::DbConnection;

/// What a team decided for itself.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = teams)]
pub struct TeamRules {
    pub id: String,
    /// Who started the team (the submitter).
    pub created_by: String,
    /// `team` or `creator`: see `model::team::withdrawal`.
    pub withdrawal: String,
    /// Members who join later are named among the copyright holders.
    pub credit_joiners: bool,
}

pub fn team_rules(conn: &mut DbConnection, team_id: &str) -> QueryResult<TeamRules> {
    teams::table
        .find(team_id)
        .select(TeamRules::as_select())
        .first(conn)
}

pub fn set_team_rules(
    conn: &mut DbConnection,
    team_id: &str,
    withdrawal: &str,
    credit_joiners: bool,
) -> QueryResult<usize> {
    diesel::update(teams::table.find(team_id))
        .set((
            teams::withdrawal.eq(withdrawal),
            teams::credit_joiners.eq(credit_joiners),
        ))
        .execute(conn)
}

/// Marks a member as named among the copyright holders (or not).
pub fn set_credited(
    conn: &mut DbConnection,
    team_id: &str,
    user_id: &str,
    credited: bool,
) -> QueryResult<usize> {
    diesel::update(team_members::table.find((team_id, user_id)))
        .set(team_members::credited.eq(credited))
        .execute(conn)
}

/// The names of credited members who did not choose anonymity, in join
/// order: what the published holders add to the written ones.
pub fn credited_names(conn: &mut DbConnection, team_id: &str) -> QueryResult<Vec<String>> {
    team_members::table
        .inner_join(users::table)
        .filter(team_members::team_id.eq(team_id))
        .filter(team_members::credited.eq(true))
        .filter(team_members::anonymous.eq(false))
        .order((team_members::joined_at.asc(), team_members::user_id.asc()))
        .select(users::display_name)
        .load(conn)
}

/// Records `user_id`'s agreement to withdraw (once).
pub fn vote_withdrawal(
    conn: &mut DbConnection,
    submission_id: &str,
    user_id: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    if withdrawal_votes(conn, submission_id)?
        .iter()
        .any(|u| u == user_id)
    {
        return Ok(0);
    }
    diesel::insert_into(withdrawal_votes::table)
        .values((
            withdrawal_votes::submission_id.eq(submission_id),
            withdrawal_votes::user_id.eq(user_id),
            withdrawal_votes::voted_at.eq(at),
        ))
        .execute(conn)
}

/// Takes back `user_id`'s agreement; returns how many were taken back.
pub fn unvote_withdrawal(
    conn: &mut DbConnection,
    submission_id: &str,
    user_id: &str,
) -> QueryResult<usize> {
    diesel::delete(withdrawal_votes::table.find((submission_id, user_id))).execute(conn)
}

/// Who agreed to withdraw, oldest first.
pub fn withdrawal_votes(conn: &mut DbConnection, submission_id: &str) -> QueryResult<Vec<String>> {
    withdrawal_votes::table
        .filter(withdrawal_votes::submission_id.eq(submission_id))
        .order((
            withdrawal_votes::voted_at.asc(),
            withdrawal_votes::user_id.asc(),
        ))
        .select(withdrawal_votes::user_id)
        .load(conn)
}

/// Forgets every agreement (once the entry is withdrawn, or the team changed).
pub fn clear_withdrawal_votes(conn: &mut DbConnection, submission_id: &str) -> QueryResult<usize> {
    diesel::delete(
        withdrawal_votes::table.filter(withdrawal_votes::submission_id.eq(submission_id)),
    )
    .execute(conn)
}

/// Names the published solution a new entry builds on.
pub fn set_builds_on(conn: &mut DbConnection, id: &str, source: &str) -> QueryResult<usize> {
    diesel::update(submissions::table.find(id))
        .set(submissions::builds_on.eq(source))
        .execute(conn)
}

/// The published entries that build on `source_id`, oldest first.
pub fn published_derivatives(
    conn: &mut DbConnection,
    source_id: &str,
) -> QueryResult<Vec<Submission>> {
    submissions::table
        .filter(submissions::builds_on.eq(source_id))
        .filter(submissions::published_at.is_not_null())
        .order((submissions::published_at.asc(), submissions::id.asc()))
        .select(Submission::as_select())
        .limit(50)
        .load(conn)
}
