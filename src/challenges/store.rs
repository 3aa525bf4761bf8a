//! Challenge queries, a file per kind of row: challenges with their tiers,
//! tags and rules (here), the search index and the public list
//! ([`listing`]), registrations ([`registrations`]), questions and
//! announcements ([`questions`]), platform settings ([`settings`]). Every
//! function returns `QueryResult` and knows nothing of HTTP; the rules of a
//! use case live in the service.

mod listing;
mod questions;
mod registrations;
mod resources;
mod settings;

pub use listing::{count_public, index, list_public, org_names, public_orgs, sort_key, ListQuery};
pub use questions::{
    answer_question, find_question, insert_announcement, insert_question, list_announcements,
    list_questions, Announcement, Question, QuestionScope,
};
pub use registrations::{
    accept_rules, count_registrations, registrant_contacts, registrants, registration,
    registrations_of, Registrant, Registration,
};
pub use resources::{
    insert_resource, kind as resource_kind, remove_resource, resource, resources_of, NewResource,
    Resource,
};
pub use settings::{set_setting, setting, SETTING_PUBLISH_REVIEW};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{State, TierInput};
use crate::db::schema::{
    audit_log, challenge_cancellations, challenge_rules, challenge_tags, challenges, prize_tiers,
};
use crate::db::{new_id, DbConnection};
/// A challenge row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = challenges)]
pub struct Challenge {
    pub id: String,
    pub org_id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub description_md: String,
    pub category: String,
    pub tags: String,
    pub kind: String,
    pub currency: String,
    pub prize_total: i64,
    pub state: String,
    pub visibility: String,
    pub opens_at: Option<NaiveDateTime>,
    pub submission_deadline: NaiveDateTime,
    pub judging_deadline: NaiveDateTime,
    pub eligibility: String,
    pub allowed_licences: String,
    pub max_submissions_per_solver: i32,
    pub max_team_size: i32,
    pub blind_judging: bool,
    pub rules_version: i32,
    pub review_state: String,
    pub review_comment: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    /// Largest attachment; `None` means the platform default.
    pub max_attachment_bytes: Option<i64>,
    /// Largest total of a submission's attachments; `None` means the platform default.
    pub max_submission_bytes: Option<i64>,
    /// Text changes to an open challenge waiting for review (JSON of [`PendingTexts`]).
    pub pending_changes: Option<String>,
}

impl Challenge {
    /// The stored state (see `model::effective_state` for the one to show).
    pub fn stored_state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Draft)
    }

    /// The state by the server's clock.
    pub fn state_at(&self, now: NaiveDateTime) -> State {
        super::model::effective_state(self.stored_state(), self.submission_deadline, now)
    }

    pub fn licence_ids(&self) -> Vec<String> {
        self.allowed_licences
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    pub fn tag_list(&self) -> Vec<String> {
        self.tags.split_whitespace().map(str::to_owned).collect()
    }
}

/// Fields of a challenge, validated.
#[derive(Debug, Clone)]
pub struct Fields {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub description_md: String,
    pub category: String,
    pub tags: Vec<String>,
    pub kind: String,
    pub currency: String,
    pub tiers: Vec<TierInput>,
    pub visibility: String,
    pub opens_at: Option<NaiveDateTime>,
    pub submission_deadline: NaiveDateTime,
    pub judging_deadline: NaiveDateTime,
    pub eligibility: String,
    pub allowed_licences: Vec<String>,
    pub max_submissions_per_solver: i32,
    pub max_team_size: i32,
    pub blind_judging: bool,
    pub rules_md: String,
    pub max_attachment_bytes: Option<i64>,
    pub max_submission_bytes: Option<i64>,
}

/// The columns a draft's form sets, written alike by [`insert`] and
/// [`update_draft`]. An empty opening date clears it.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = challenges, treat_none_as_null = true)]
struct FormColumns<'a> {
    slug: &'a str,
    title: &'a str,
    summary: &'a str,
    description_md: &'a str,
    category: &'a str,
    tags: String,
    kind: &'a str,
    currency: &'a str,
    prize_total: i64,
    visibility: &'a str,
    opens_at: Option<NaiveDateTime>,
    submission_deadline: NaiveDateTime,
    judging_deadline: NaiveDateTime,
    eligibility: &'a str,
    allowed_licences: String,
    max_submissions_per_solver: i32,
    max_team_size: i32,
    max_attachment_bytes: Option<i64>,
    max_submission_bytes: Option<i64>,
    blind_judging: bool,
}

impl<'a> From<&'a Fields> for FormColumns<'a> {
    fn from(f: &'a Fields) -> Self {
        FormColumns {
            slug: &f.slug,
            title: &f.title,
            summary: &f.summary,
            description_md: &f.description_md,
            category: &f.category,
            tags: f.tags.join(" "),
            kind: &f.kind,
            currency: &f.currency,
            prize_total: super::model::pool(&f.tiers),
            visibility: &f.visibility,
            opens_at: f.opens_at,
            submission_deadline: f.submission_deadline,
            judging_deadline: f.judging_deadline,
            eligibility: &f.eligibility,
            allowed_licences: f.allowed_licences.join(" "),
            max_submissions_per_solver: f.max_submissions_per_solver,
            max_team_size: f.max_team_size,
            max_attachment_bytes: f.max_attachment_bytes,
            max_submission_bytes: f.max_submission_bytes,
            blind_judging: f.blind_judging,
        }
    }
}

/// Inserts a draft with its tiers, tags, first rules version and search entry.
pub fn insert(
    conn: &mut DbConnection,
    org_id: &str,
    f: &Fields,
    created_by: &str,
    now: NaiveDateTime,
) -> QueryResult<Challenge> {
    let id = new_id();
    diesel::insert_into(challenges::table)
        .values((
            FormColumns::from(f),
            challenges::id.eq(&id),
            challenges::org_id.eq(org_id),
            challenges::state.eq(State::Draft.as_str()),
            challenges::rules_version.eq(1),
            challenges::review_state.eq(super::model::review::NONE),
            challenges::created_by.eq(created_by),
            challenges::created_at.eq(now),
            challenges::updated_at.eq(now),
        ))
        .execute(conn)?;
    replace_tiers(conn, &id, &f.tiers)?;
    replace_tags(conn, &id, &f.tags)?;
    insert_rules(conn, &id, 1, &f.rules_md, created_by, now)?;
    let c = find(conn, &id)?;
    index(conn, &c)?;
    Ok(c)
}

/// Rewrites every editable field of a draft.
pub fn update_draft(
    conn: &mut DbConnection,
    id: &str,
    f: &Fields,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<Challenge> {
    diesel::update(challenges::table.find(id))
        .set((FormColumns::from(f), challenges::updated_at.eq(now)))
        .execute(conn)?;
    replace_tiers(conn, id, &f.tiers)?;
    replace_tags(conn, id, &f.tags)?;
    // A draft's rules are edited in place: nobody has accepted them yet.
    diesel::update(challenge_rules::table.filter(challenge_rules::challenge_id.eq(id)))
        .set((
            challenge_rules::body_md.eq(&f.rules_md),
            challenge_rules::created_by.eq(by),
        ))
        .execute(conn)?;
    let c = find(conn, id)?;
    index(conn, &c)?;
    Ok(c)
}

/// Updates the fields an open challenge may still change (texts and tags).
#[allow(clippy::too_many_arguments)] // one argument per column
pub fn update_texts(
    conn: &mut DbConnection,
    id: &str,
    summary: &str,
    description_md: &str,
    eligibility: &str,
    category: &str,
    tags: &[String],
    now: NaiveDateTime,
) -> QueryResult<Challenge> {
    diesel::update(challenges::table.find(id))
        .set((
            challenges::summary.eq(summary),
            challenges::description_md.eq(description_md),
            challenges::eligibility.eq(eligibility),
            challenges::category.eq(category),
            challenges::tags.eq(tags.join(" ")),
            challenges::updated_at.eq(now),
        ))
        .execute(conn)?;
    replace_tags(conn, id, tags)?;
    let c = find(conn, id)?;
    index(conn, &c)?;
    Ok(c)
}

fn replace_tiers(conn: &mut DbConnection, id: &str, tiers: &[TierInput]) -> QueryResult<()> {
    diesel::delete(prize_tiers::table.filter(prize_tiers::challenge_id.eq(id))).execute(conn)?;
    for t in tiers {
        diesel::insert_into(prize_tiers::table)
            .values((
                prize_tiers::id.eq(new_id()),
                prize_tiers::challenge_id.eq(id),
                prize_tiers::rank.eq(t.rank),
                prize_tiers::label.eq(t.label.trim()),
                prize_tiers::amount.eq(t.amount),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn replace_tags(conn: &mut DbConnection, id: &str, tags: &[String]) -> QueryResult<()> {
    diesel::delete(challenge_tags::table.filter(challenge_tags::challenge_id.eq(id)))
        .execute(conn)?;
    for t in tags {
        diesel::insert_into(challenge_tags::table)
            .values((
                challenge_tags::challenge_id.eq(id),
                challenge_tags::tag.eq(t),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Adds a rules version.
pub fn insert_rules(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    body: &str,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(challenge_rules::table)
        .values((
            challenge_rules::id.eq(new_id()),
            challenge_rules::challenge_id.eq(id),
            challenge_rules::version.eq(version),
            challenge_rules::body_md.eq(body),
            challenge_rules::created_by.eq(by),
            challenge_rules::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Publishes a new rules version and makes it current.
pub fn new_rules_version(
    conn: &mut DbConnection,
    c: &Challenge,
    body: &str,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    let v = c.rules_version + 1;
    insert_rules(conn, &c.id, v, body, by, now)?;
    diesel::update(challenges::table.find(&c.id))
        .set((
            challenges::rules_version.eq(v),
            challenges::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(v)
}

/// The text of a rules version.
pub fn rules(conn: &mut DbConnection, id: &str, version: i32) -> QueryResult<String> {
    challenge_rules::table
        .filter(challenge_rules::challenge_id.eq(id))
        .filter(challenge_rules::version.eq(version))
        .select(challenge_rules::body_md)
        .first(conn)
}

/// Takes the challenge's row lock for the rest of the transaction, so
/// read-then-write flows on one challenge (funding requests, cancellation)
/// run one after the other on PostgreSQL too (SQLite's write transactions
/// already do).
pub fn lock(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(challenges::table.find(id))
        .set(challenges::updated_at.eq(challenges::updated_at))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Challenge> {
    challenges::table
        .find(id)
        .select(Challenge::as_select())
        .first(conn)
}

/// By id, else by slug: an id always wins, so no slug can stand for
/// another challenge.
pub fn find_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<Challenge>> {
    let by_id = challenges::table
        .find(key)
        .select(Challenge::as_select())
        .first(conn)
        .optional()?;
    if by_id.is_some() {
        return Ok(by_id);
    }
    challenges::table
        .filter(challenges::slug.eq(key))
        .select(Challenge::as_select())
        .first(conn)
        .optional()
}

pub fn slug_taken(conn: &mut DbConnection, slug: &str, except: Option<&str>) -> QueryResult<bool> {
    let n: i64 = challenges::table
        .filter(challenges::slug.eq(slug))
        .filter(challenges::id.ne(except.unwrap_or("")))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// One prize tier.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = prize_tiers)]
pub struct Tier {
    #[serde(skip)]
    pub id: String,
    pub rank: i32,
    pub label: String,
    /// Minor units.
    pub amount: i64,
}

pub fn tiers(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<Tier>> {
    prize_tiers::table
        .filter(prize_tiers::challenge_id.eq(id))
        .order(prize_tiers::rank.asc())
        .select(Tier::as_select())
        .load(conn)
}

/// Moves a challenge from one stored state to another; 0 rows when someone
/// else moved it first.
pub fn set_state(
    conn: &mut DbConnection,
    id: &str,
    from: State,
    to: State,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let published = (to == State::Open).then_some(now);
    let q = diesel::update(
        challenges::table
            .find(id)
            .filter(challenges::state.eq(from.as_str())),
    );
    match published {
        Some(p) => q
            .set((
                challenges::state.eq(to.as_str()),
                challenges::published_at.eq(Some(p)),
                challenges::updated_at.eq(now),
            ))
            .execute(conn),
        None => q
            .set((
                challenges::state.eq(to.as_str()),
                challenges::updated_at.eq(now),
            ))
            .execute(conn),
    }
}

pub fn set_review(
    conn: &mut DbConnection,
    id: &str,
    state: &str,
    comment: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(challenges::table.find(id))
        .set((
            challenges::review_state.eq(state),
            challenges::review_comment.eq(comment),
            challenges::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Open challenges whose deadline has passed (for the worker).
pub fn due_for_closing(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<Challenge>> {
    challenges::table
        .filter(challenges::state.eq(State::Open.as_str()))
        .filter(challenges::submission_deadline.le(now))
        .select(Challenge::as_select())
        .load(conn)
}

/// Records when and why a challenge was cancelled (once: it cannot be
/// cancelled twice).
pub fn set_cancellation(
    conn: &mut DbConnection,
    id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(challenge_cancellations::table)
        .values((
            challenge_cancellations::challenge_id.eq(id),
            challenge_cancellations::reason.eq(reason),
            challenge_cancellations::cancelled_at.eq(now),
        ))
        .execute(conn)
}

/// When and why a challenge was cancelled, if it was.
pub fn cancellation(
    conn: &mut DbConnection,
    id: &str,
) -> QueryResult<Option<(String, NaiveDateTime)>> {
    challenge_cancellations::table
        .find(id)
        .select((
            challenge_cancellations::reason,
            challenge_cancellations::cancelled_at,
        ))
        .first(conn)
        .optional()
}

/// Keeps (or, with `None`, drops) text changes waiting for review.
pub fn set_pending_changes(
    conn: &mut DbConnection,
    id: &str,
    json: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(challenges::table.find(id))
        .set((
            challenges::pending_changes.eq(json),
            challenges::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Challenges waiting for the platform's review: drafts asking to open, and
/// open challenges with text changes.
pub fn awaiting_review(conn: &mut DbConnection) -> QueryResult<Vec<Challenge>> {
    challenges::table
        .filter(challenges::review_state.eq(super::model::review::PENDING))
        .filter(challenges::state.eq_any([State::Draft.as_str(), State::Open.as_str()]))
        .order(challenges::updated_at.asc())
        .select(Challenge::as_select())
        .load(conn)
}

/// Every challenge of an organisation, newest first (its dashboard).
pub fn of_org(conn: &mut DbConnection, org_id: &str) -> QueryResult<Vec<Challenge>> {
    challenges::table
        .filter(challenges::org_id.eq(org_id))
        .order(challenges::created_at.desc())
        .select(Challenge::as_select())
        .load(conn)
}

/// The data column of audit records (the from → to of transitions, amounts,
/// comments), which `audit::AuditRecord` does not carry: the organisation's
/// audit log shows it in words.
pub fn audit_data(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    audit_log::table
        .filter(audit_log::id.eq_any(ids))
        .select((audit_log::id, audit_log::data))
        .load(conn)
}
