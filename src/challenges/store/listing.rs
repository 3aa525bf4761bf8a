//! Search and listing: the full-text index of challenges (FTS5 on
//! SQLite, `tsvector` on PostgreSQL) and the public list with keyset
//! pagination.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::Challenge;
use crate::challenges::model::{search_terms, Cursor, Sort, State};
use crate::db::schema::{challenge_tags, challenges, orgs};
use crate::db::DbConnection;

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

/// A time as microseconds since the epoch (the cursor's key).
fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// The time of a cursor's key.
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

/// A boxed query over the challenges table.
type Boxed<'a> = challenges::BoxedQuery<'a, crate::db::MultiBackend>;

/// Public, listed challenges (never drafts, never unlisted) that match the
/// filters and search words of `q`, in no order. Without a state filter,
/// cancelled challenges stay out: people asked for them or they are noise.
fn filtered<'a>(q: &ListQuery, now: NaiveDateTime, is_pg: bool) -> Boxed<'a> {
    let mut query = challenges::table
        .filter(challenges::visibility.eq("public"))
        .filter(challenges::state.ne(State::Draft.as_str()))
        .into_boxed();
    if q.states.is_empty() {
        query = query.filter(challenges::state.ne(State::Cancelled.as_str()));
    }
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
    query
}

/// How many challenges [`list_public`] would list over all its pages.
pub fn count_public(
    conn: &mut DbConnection,
    q: &ListQuery,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let is_pg = matches!(conn, DbConnection::Postgresql(_));
    filtered(q, now, is_pg).count().get_result(conn)
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
    let mut query = filtered(q, now, is_pg).select(Challenge::as_select());
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

/// Slug and name of every organisation with a public challenge (drafts
/// and unlisted ones do not count), by name: the list's filter offers them.
pub fn public_orgs(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    orgs::table
        .filter(
            orgs::id.eq_any(
                challenges::table
                    .filter(challenges::visibility.eq("public"))
                    .filter(challenges::state.ne(State::Draft.as_str()))
                    .select(challenges::org_id),
            ),
        )
        .select((orgs::slug, orgs::name))
        .order(orgs::name.asc())
        .load(conn)
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
