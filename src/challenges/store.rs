//! Challenge queries: challenges with tiers, tags and rules, the search
//! index, listing with keyset pagination, registrations, Q&A, announcements,
//! platform settings.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{search_terms, Cursor, Sort, State, TierInput};
use crate::db::schema::{
    announcements, challenge_rules, challenge_tags, challenges, orgs, platform_settings,
    prize_tiers, questions, registrations, users,
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
            challenges::id.eq(&id),
            challenges::org_id.eq(org_id),
            challenges::slug.eq(&f.slug),
            challenges::title.eq(&f.title),
            challenges::summary.eq(&f.summary),
            challenges::description_md.eq(&f.description_md),
            challenges::category.eq(&f.category),
            challenges::tags.eq(f.tags.join(" ")),
            challenges::kind.eq(&f.kind),
            challenges::currency.eq(&f.currency),
            challenges::prize_total.eq(super::model::pool(&f.tiers)),
            challenges::state.eq(State::Draft.as_str()),
            challenges::visibility.eq(&f.visibility),
            challenges::opens_at.eq(f.opens_at),
            challenges::submission_deadline.eq(f.submission_deadline),
            challenges::judging_deadline.eq(f.judging_deadline),
            challenges::eligibility.eq(&f.eligibility),
            challenges::allowed_licences.eq(f.allowed_licences.join(" ")),
            challenges::max_submissions_per_solver.eq(f.max_submissions_per_solver),
            challenges::max_team_size.eq(f.max_team_size),
            challenges::max_attachment_bytes.eq(f.max_attachment_bytes),
            challenges::max_submission_bytes.eq(f.max_submission_bytes),
            challenges::blind_judging.eq(f.blind_judging),
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
        .set((
            challenges::slug.eq(&f.slug),
            challenges::title.eq(&f.title),
            challenges::summary.eq(&f.summary),
            challenges::description_md.eq(&f.description_md),
            challenges::category.eq(&f.category),
            challenges::tags.eq(f.tags.join(" ")),
            challenges::kind.eq(&f.kind),
            challenges::currency.eq(&f.currency),
            challenges::prize_total.eq(super::model::pool(&f.tiers)),
            challenges::visibility.eq(&f.visibility),
            challenges::opens_at.eq(f.opens_at),
            challenges::submission_deadline.eq(f.submission_deadline),
            challenges::judging_deadline.eq(f.judging_deadline),
            challenges::eligibility.eq(&f.eligibility),
            challenges::allowed_licences.eq(f.allowed_licences.join(" ")),
            challenges::max_submissions_per_solver.eq(f.max_submissions_per_solver),
            challenges::max_team_size.eq(f.max_team_size),
            challenges::max_attachment_bytes.eq(f.max_attachment_bytes),
            challenges::max_submission_bytes.eq(f.max_submission_bytes),
            challenges::blind_judging.eq(f.blind_judging),
            challenges::updated_at.eq(now),
        ))
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

// ---- search and listing ----

/// Rewrites the search entry of a challenge.
pub fn index(conn: &mut DbConnection, c: &Challenge) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => {
            diesel::sql_query("DELETE FROM search_challenges WHERE challenge_id = ?")
                .bind::<Text, _>(&c.id)
                .execute(conn)?;
            diesel::sql_query("INSERT INTO search_challenges (challenge_id, title, summary, body) VALUES (?, ?, ?, ?)")
                .bind::<Text, _>(&c.id)
                .bind::<Text, _>(&c.title)
                .bind::<Text, _>(&c.summary)
                .bind::<Text, _>(format!("{} {}", c.description_md, c.tags))
                .execute(conn)?;
        }
        DbConnection::Postgresql(_) => {
            diesel::sql_query("DELETE FROM search_challenges WHERE challenge_id = $1")
                .bind::<Text, _>(&c.id)
                .execute(conn)?;
            diesel::sql_query(
                "INSERT INTO search_challenges (challenge_id, document) VALUES ($1, \
                 setweight(to_tsvector('simple', $2), 'A') || \
                 setweight(to_tsvector('simple', $3), 'B') || \
                 to_tsvector('simple', $4))",
            )
            .bind::<Text, _>(&c.id)
            .bind::<Text, _>(&c.title)
            .bind::<Text, _>(&c.summary)
            .bind::<Text, _>(format!("{} {}", c.description_md, c.tags))
            .execute(conn)?;
        }
    }
    Ok(())
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub q: Option<String>,
    pub states: Vec<State>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub kind: Option<String>,
    pub min_prize: Option<i64>,
    pub currency: Option<String>,
    pub org_id: Option<String>,
    pub sort: Sort,
    pub cursor: Option<Cursor>,
    pub limit: i64,
}

fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

fn from_micros(us: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|d| d.naive_utc())
        .unwrap_or_default()
}

/// The sort key of a challenge under `sort`.
pub fn sort_key(c: &Challenge, sort: Sort) -> i64 {
    match sort {
        Sort::Newest => micros(c.published_at.unwrap_or(c.created_at)),
        Sort::DeadlineSoonest => micros(c.submission_deadline),
        Sort::LargestPrize => c.prize_total,
    }
}

/// Public, listed challenges (never drafts, never unlisted), filtered,
/// searched and sorted, one page after `cursor`. Returns the page and the
/// cursor of the next one.
pub fn list_public(
    conn: &mut DbConnection,
    q: &ListQuery,
    now: NaiveDateTime,
) -> QueryResult<(Vec<Challenge>, Option<Cursor>)> {
    let is_pg = matches!(conn, DbConnection::Postgresql(_));
    let mut query = challenges::table
        .filter(challenges::visibility.eq("public"))
        .filter(challenges::state.ne(State::Draft.as_str()))
        .select(Challenge::as_select())
        .into_boxed();
    if !q.states.is_empty() {
        // "open" and "closed" follow the clock, not only the stored state.
        let mut cond: Box<dyn BoxableExpression<challenges::table, _, SqlType = Bool>> =
            Box::new(sql::<Bool>("1 = 0"));
        for s in &q.states {
            let this: Box<dyn BoxableExpression<challenges::table, _, SqlType = Bool>> = match s {
                State::Open => Box::new(
                    challenges::state
                        .eq("open")
                        .and(challenges::submission_deadline.gt(now)),
                ),
                State::Closed => Box::new(
                    challenges::state.eq("closed").or(challenges::state
                        .eq("open")
                        .and(challenges::submission_deadline.le(now))),
                ),
                other => Box::new(challenges::state.eq(other.as_str())),
            };
            cond = Box::new(cond.or(this));
        }
        query = query.filter(cond);
    }
    if let Some(c) = &q.category {
        query = query.filter(challenges::category.eq(c.clone()));
    }
    if let Some(t) = &q.tag {
        query = query.filter(
            challenges::id.eq_any(
                challenge_tags::table
                    .filter(challenge_tags::tag.eq(t.clone()))
                    .select(challenge_tags::challenge_id),
            ),
        );
    }
    if let Some(k) = &q.kind {
        query = query.filter(challenges::kind.eq(k.clone()));
    }
    if let Some(m) = q.min_prize {
        query = query.filter(challenges::prize_total.ge(m));
    }
    if let Some(cur) = &q.currency {
        query = query.filter(challenges::currency.eq(cur.clone()));
    }
    if let Some(o) = &q.org_id {
        query = query.filter(challenges::org_id.eq(o.clone()));
    }
    if let Some(terms) = q.q.as_deref().and_then(search_terms) {
        if is_pg {
            let tsq = terms
                .iter()
                .map(|w| format!("{w}:*"))
                .collect::<Vec<_>>()
                .join(" & ");
            query = query.filter(
                sql::<Bool>("challenges.id IN (SELECT challenge_id FROM search_challenges WHERE document @@ to_tsquery('simple', ")
                    .bind::<Text, _>(tsq)
                    .sql("))"),
            );
        } else {
            let m = terms
                .iter()
                .map(|w| format!("\"{w}\"*"))
                .collect::<Vec<_>>()
                .join(" ");
            query = query.filter(sql::<Bool>("challenges.id IN (SELECT challenge_id FROM search_challenges WHERE search_challenges MATCH ").bind::<Text, _>(m).sql(")"));
        }
    }
    let cursor = q.cursor.as_ref().filter(|c| c.sort == q.sort);
    query = match q.sort {
        Sort::Newest => {
            if let Some(c) = cursor {
                let t = from_micros(c.key);
                query = query.filter(
                    challenges::published_at.lt(t).or(challenges::published_at
                        .eq(t)
                        .and(challenges::id.lt(c.id.clone()))),
                );
            }
            query.order((challenges::published_at.desc(), challenges::id.desc()))
        }
        Sort::DeadlineSoonest => {
            if let Some(c) = cursor {
                let t = from_micros(c.key);
                query = query.filter(
                    challenges::submission_deadline
                        .gt(t)
                        .or(challenges::submission_deadline
                            .eq(t)
                            .and(challenges::id.gt(c.id.clone()))),
                );
            }
            query.order((challenges::submission_deadline.asc(), challenges::id.asc()))
        }
        Sort::LargestPrize => {
            if let Some(c) = cursor {
                query = query.filter(
                    challenges::prize_total.lt(c.key).or(challenges::prize_total
                        .eq(c.key)
                        .and(challenges::id.lt(c.id.clone()))),
                );
            }
            query.order((challenges::prize_total.desc(), challenges::id.desc()))
        }
    };
    let limit = q.limit.clamp(1, 100);
    let mut rows = query.limit(limit + 1).load(conn)?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|c| Cursor {
            sort: q.sort,
            key: sort_key(c, q.sort),
            id: c.id.clone(),
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// Organisation names by id, for lists.
pub fn org_names(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<(String, String, String)>> {
    orgs::table
        .filter(orgs::id.eq_any(ids))
        .select((orgs::id, orgs::slug, orgs::name))
        .load(conn)
}

// ---- registrations ----

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

// ---- questions and announcements ----

/// A question with its answer.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = questions)]
pub struct Question {
    pub id: String,
    pub challenge_id: String,
    pub asked_by: String,
    pub body: String,
    pub is_public: bool,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert_question(
    conn: &mut DbConnection,
    challenge_id: &str,
    by: &str,
    body: &str,
    is_public: bool,
    now: NaiveDateTime,
) -> QueryResult<Question> {
    let id = new_id();
    diesel::insert_into(questions::table)
        .values((
            questions::id.eq(&id),
            questions::challenge_id.eq(challenge_id),
            questions::asked_by.eq(by),
            questions::body.eq(body),
            questions::is_public.eq(is_public),
            questions::created_at.eq(now),
        ))
        .execute(conn)?;
    questions::table
        .find(&id)
        .select(Question::as_select())
        .first(conn)
}

pub fn find_question(conn: &mut DbConnection, id: &str) -> QueryResult<Question> {
    questions::table
        .find(id)
        .select(Question::as_select())
        .first(conn)
}

pub fn answer_question(
    conn: &mut DbConnection,
    id: &str,
    answer: &str,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<Question> {
    diesel::update(questions::table.find(id))
        .set((
            questions::answer.eq(Some(answer)),
            questions::answered_by.eq(Some(by)),
            questions::answered_at.eq(Some(now)),
        ))
        .execute(conn)?;
    find_question(conn, id)
}

/// Who may see which questions.
#[derive(Debug, Clone)]
pub enum QuestionScope {
    /// The organisation sees everything.
    All,
    /// Anyone else: answered public questions, plus their own.
    Viewer(Option<String>),
}

pub fn list_questions(
    conn: &mut DbConnection,
    challenge_id: &str,
    scope: &QuestionScope,
) -> QueryResult<Vec<Question>> {
    let mut q = questions::table
        .filter(questions::challenge_id.eq(challenge_id))
        .order(questions::created_at.asc())
        .select(Question::as_select())
        .into_boxed();
    if let QuestionScope::Viewer(me) = scope {
        let me = me.clone().unwrap_or_default();
        q = q.filter(
            questions::is_public
                .eq(true)
                .and(questions::answer.is_not_null())
                .or(questions::asked_by.eq(me)),
        );
    }
    q.load(conn)
}

/// An announcement.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = announcements)]
pub struct Announcement {
    pub id: String,
    pub challenge_id: String,
    pub title: String,
    pub body_md: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_announcement(
    conn: &mut DbConnection,
    challenge_id: &str,
    title: &str,
    body: &str,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<Announcement> {
    let id = new_id();
    diesel::insert_into(announcements::table)
        .values((
            announcements::id.eq(&id),
            announcements::challenge_id.eq(challenge_id),
            announcements::title.eq(title),
            announcements::body_md.eq(body),
            announcements::created_by.eq(by),
            announcements::created_at.eq(now),
        ))
        .execute(conn)?;
    announcements::table
        .find(&id)
        .select(Announcement::as_select())
        .first(conn)
}

pub fn list_announcements(
    conn: &mut DbConnection,
    challenge_id: &str,
) -> QueryResult<Vec<Announcement>> {
    announcements::table
        .filter(announcements::challenge_id.eq(challenge_id))
        .order(announcements::created_at.desc())
        .select(Announcement::as_select())
        .load(conn)
}

// ---- platform settings ----

/// Whether publishing a challenge needs a platform admin's approval.
pub const SETTING_PUBLISH_REVIEW: &str = "publish_requires_review";

pub fn setting(conn: &mut DbConnection, key: &str) -> QueryResult<Option<String>> {
    platform_settings::table
        .find(key)
        .select(platform_settings::value)
        .first(conn)
        .optional()
}

pub fn set_setting(
    conn: &mut DbConnection,
    key: &str,
    value: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let n = diesel::update(platform_settings::table.find(key))
        .set((
            platform_settings::value.eq(value),
            platform_settings::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(platform_settings::table)
            .values((
                platform_settings::key.eq(key),
                platform_settings::value.eq(value),
                platform_settings::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}
