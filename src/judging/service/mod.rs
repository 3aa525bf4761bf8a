//! Judging use cases, one transaction each: the panel ([`panel`]), rounds,
//! rubric and assignment ([`rounds`]), conflicts and scorecards
//! ([`scoring`]), and publishing results with their awards ([`results`]).
//! The API and the pages call these; read models are in `super::queries`.

pub mod panel;
pub mod results;
pub mod rounds;
pub mod scoring;

use crate::audit::{self, Actor, Entry};
use crate::auth::principal::Principal;
use crate::challenges::store::Challenge;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::orgs::model::OrgAction;

use super::store::{self, Judge, Round};

/// Writes an audit record of the judging of challenge `c`.
pub(crate) fn audit_judging(
    conn: &mut DbConnection,
    actor: &Actor,
    c: &Challenge,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        Entry {
            actor,
            org_id: Some(&c.org_id),
            action,
            subject_type,
            subject_id,
            data,
        },
    )?;
    Ok(())
}

/// A challenge the caller runs judging of (404 for anyone without a tie to
/// its organisation, 403 without the role or scope).
pub(crate) fn organiser_of(
    conn: &mut DbConnection,
    caller: &Principal,
    key: &str,
    action: OrgAction,
) -> AppResult<Challenge> {
    let (c, _) = crate::challenges::service::org_access(conn, caller, key, action)?;
    Ok(c)
}

/// A round and its challenge, for an organisation action on it.
pub(crate) fn round_for_organiser(
    conn: &mut DbConnection,
    caller: &Principal,
    round_id: &str,
    action: OrgAction,
) -> AppResult<(Round, Challenge)> {
    let round = store::find_round_opt(conn, round_id)?.ok_or(AppError::NotFound)?;
    let c = organiser_of(conn, caller, &round.challenge_id, action)?;
    Ok((round, c))
}

/// The active judge `user_id` is on the challenge of `round`, if they judge
/// that round (404 otherwise: a round says nothing to outsiders).
pub(crate) fn judge_of_round(
    conn: &mut DbConnection,
    round: &Round,
    user_id: &str,
) -> AppResult<Judge> {
    let judge =
        store::active_judge(conn, &round.challenge_id, user_id)?.ok_or(AppError::NotFound)?;
    if !store::round_judge_ids(conn, &round.id)?.contains(&judge.id) {
        return Err(AppError::NotFound);
    }
    Ok(judge)
}

/// The acting user of a principal, for records that need a person (a key
/// acts for whoever created it).
pub(crate) fn acting_user(caller: &Principal) -> String {
    match caller {
        Principal::User(u) => u.user.id.clone(),
        Principal::Key(k) => k.key.created_by.clone(),
    }
}
