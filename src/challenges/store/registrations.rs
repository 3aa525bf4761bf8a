//! Registrations: a solver's acceptance of a rules version, and who
//! registered for a challenge.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::Challenge;
use crate::db::schema::{challenges, registrations, users};
use crate::db::{new_id, DbConnection};

/// A solver's registration.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = registrations)]
pub struct Registration {
    pub id: String,
    pub challenge_id: String,
    pub user_id: String,
    pub rules_version: i32,
    pub accepted_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// A person's registration for a challenge, if any.
pub fn registration(
    conn: &mut DbConnection,
    challenge_id: &str,
    user_id: &str,
) -> QueryResult<Option<Registration>> {
    registrations::table
        .filter(registrations::challenge_id.eq(challenge_id))
        .filter(registrations::user_id.eq(user_id))
        .select(Registration::as_select())
        .first(conn)
        .optional()
}

/// Registers, or records acceptance of a newer rules version. Returns the
/// registration and whether it is new.
pub fn accept_rules(
    conn: &mut DbConnection,
    challenge_id: &str,
    user_id: &str,
    version: i32,
    now: NaiveDateTime,
) -> QueryResult<(Registration, bool)> {
    match registration(conn, challenge_id, user_id)? {
        Some(r) => {
            diesel::update(registrations::table.find(&r.id))
                .set((
                    registrations::rules_version.eq(version),
                    registrations::accepted_at.eq(now),
                ))
                .execute(conn)?;
            Ok((
                registration(conn, challenge_id, user_id)?.unwrap_or(r),
                false,
            ))
        }
        None => {
            diesel::insert_into(registrations::table)
                .values((
                    registrations::id.eq(new_id()),
                    registrations::challenge_id.eq(challenge_id),
                    registrations::user_id.eq(user_id),
                    registrations::rules_version.eq(version),
                    registrations::accepted_at.eq(now),
                    registrations::created_at.eq(now),
                ))
                .execute(conn)?;
            let r = registration(conn, challenge_id, user_id)?
                .ok_or(diesel::result::Error::NotFound)?;
            Ok((r, true))
        }
    }
}

/// A registrant as the organisation sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Registrant {
    pub user_id: String,
    pub display_name: String,
    pub email: String,
    pub rules_version: i32,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub registered_at: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub accepted_at: NaiveDateTime,
}

/// Who registered for a challenge, first registered first.
pub fn registrants(conn: &mut DbConnection, challenge_id: &str) -> QueryResult<Vec<Registrant>> {
    let rows: Vec<(String, String, String, i32, NaiveDateTime, NaiveDateTime)> =
        registrations::table
            .inner_join(users::table)
            .filter(registrations::challenge_id.eq(challenge_id))
            .order(registrations::created_at.asc())
            .select((
                users::id,
                users::display_name,
                users::email,
                registrations::rules_version,
                registrations::created_at,
                registrations::accepted_at,
            ))
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(user_id, display_name, email, rules_version, registered_at, accepted_at)| {
                Registrant {
                    user_id,
                    display_name,
                    email,
                    rules_version,
                    registered_at,
                    accepted_at,
                }
            },
        )
        .collect())
}

/// The registrants' emails, names and languages (for announcements).
pub fn registrant_contacts(
    conn: &mut DbConnection,
    challenge_id: &str,
) -> QueryResult<Vec<crate::auth::store::User>> {
    registrations::table
        .inner_join(users::table)
        .filter(registrations::challenge_id.eq(challenge_id))
        .select(crate::auth::store::User::as_select())
        .load(conn)
}

/// How many people registered for a challenge.
pub fn count_registrations(conn: &mut DbConnection, challenge_id: &str) -> QueryResult<i64> {
    registrations::table
        .filter(registrations::challenge_id.eq(challenge_id))
        .count()
        .get_result(conn)
}

/// The challenges a user registered for, newest first.
pub fn registrations_of(
    conn: &mut DbConnection,
    user_id: &str,
) -> QueryResult<Vec<(Registration, Challenge)>> {
    registrations::table
        .inner_join(challenges::table)
        .filter(registrations::user_id.eq(user_id))
        .order(registrations::created_at.desc())
        .select((Registration::as_select(), Challenge::as_select()))
        .load(conn)
}
