//! What entries build on, and what builds on them: the attribution chain
//! shown on an entry, in the gallery and on the source's page, and the
//! copyright holders as published (written names plus credited members).

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::challenges::model::State;
use crate::challenges::queries::ListParams;
use crate::challenges::store as challenges;
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::submissions::model::derivatives;
use crate::submissions::model::team::holders_line;
use crate::submissions::store::{self, Revision, Submission};

/// At most this many links of a chain are shown; sources cannot form a
/// cycle (a source is published before anything names it), this only
/// bounds the reading.
const MAX_CHAIN: usize = 10;

/// A published solution as another names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceRef {
    pub id: String,
    pub title: String,
    /// Its copyright holders as published.
    pub holders: String,
    /// SPDX id of its licence.
    pub licence: String,
    /// Its page.
    pub url: String,
}

/// The copyright holders of `rev` as the public reads them: the names the
/// team wrote, then members named by the team's rule who did not choose
/// anonymity.
pub fn public_holders(
    conn: &mut DbConnection,
    s: &Submission,
    rev: &Revision,
) -> AppResult<String> {
    let credited = store::credited_names(conn, &s.team_id)?;
    Ok(holders_line(&rev.copyright_holders, &credited))
}

fn source_ref(conn: &mut DbConnection, s: &Submission) -> AppResult<SourceRef> {
    let rev = store::revision(conn, &s.id, s.current_revision)?;
    Ok(SourceRef {
        id: s.id.clone(),
        holders: public_holders(conn, s, &rev)?,
        title: rev.title,
        licence: rev.licence,
        url: format!("/submissions/{}", s.id),
    })
}

/// What `s` builds on, nearest first: its source, the source's source, …
pub fn chain(conn: &mut DbConnection, s: &Submission) -> AppResult<Vec<SourceRef>> {
    let mut out: Vec<SourceRef> = Vec::new();
    let mut next = s.builds_on.clone();
    while let Some(id) = next {
        if out.len() >= MAX_CHAIN || out.iter().any(|r| r.id == id) {
            break;
        }
        let Some(src) = store::find_opt(conn, &id)? else {
            break;
        };
        out.push(source_ref(conn, &src)?);
        next = src.builds_on;
    }
    Ok(out)
}

/// The published entries that build on `s`.
pub fn built_upon_by(conn: &mut DbConnection, s: &Submission) -> AppResult<Vec<SourceRef>> {
    store::published_derivatives(conn, &s.id)?
        .iter()
        .map(|d| source_ref(conn, d))
        .collect()
}

/// An open challenge a new entry could start in, with those of its
/// licences that fit the source.
pub struct BuildTarget {
    pub slug: String,
    pub title: String,
    pub deadline: NaiveDateTime,
    /// Empty: none of the challenge's licences may carry the source.
    pub licences: Vec<String>,
}

/// The "start an entry from this" page of a published solution.
pub struct BuildOn {
    pub source: SourceRef,
    /// Its licence allows adaptations at all.
    pub allowed: bool,
    /// Open challenges, soonest deadline first.
    pub targets: Vec<BuildTarget>,
}

/// What building on published solution `id` could lead to (404 unless
/// it is published).
pub async fn build_on(state: &AppState, id: String) -> AppResult<BuildOn> {
    state
        .db(move |c| {
            let s = store::find_opt(c, &id)?
                .filter(|s| s.published_at.is_some())
                .ok_or(AppError::NotFound)?;
            let source = source_ref(c, &s)?;
            let allowed = derivatives::allows_derivatives(&source.licence);
            let params = ListParams {
                state: Some("open".into()),
                sort: Some("deadline_soonest".into()),
                limit: Some(100),
                ..ListParams::default()
            };
            let q = params.to_query(c)?;
            let (rows, _) = challenges::list_public(c, &q, now())?;
            let targets = rows
                .into_iter()
                .filter(|ch| ch.state_at(now()) == State::Open)
                .map(|ch| BuildTarget {
                    licences: ch
                        .licence_ids()
                        .into_iter()
                        .filter(|l| {
                            derivatives::check_derivative_licence(&source.licence, l).is_ok()
                        })
                        .collect(),
                    slug: ch.slug,
                    title: ch.title,
                    deadline: ch.submission_deadline,
                })
                .collect();
            Ok(BuildOn {
                source,
                allowed,
                targets,
            })
        })
        .await
}

/// The source a new entry is asked to build on, if it may be built on
/// (published, its licence allowing adaptations); anything else is
/// ignored here and refused by the service with its reason.
pub async fn entry_source(state: &AppState, id: String) -> AppResult<Option<SourceRef>> {
    state
        .db(move |c| {
            let Some(s) = store::find_opt(c, &id)?.filter(|s| s.published_at.is_some()) else {
                return Ok(None);
            };
            let r = source_ref(c, &s)?;
            Ok(derivatives::allows_derivatives(&r.licence).then_some(r))
        })
        .await
}
