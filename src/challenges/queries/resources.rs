//! Reading a challenge's resources: the list with what the reader may
//! download, one file for a download, and the cover image.

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::principal::Principal;
use crate::challenges::service;
use crate::challenges::store::{self, resource_kind, Challenge, Resource};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A resource as a reader sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceView {
    #[serde(flatten)]
    pub resource: Resource,
    /// Where to download it; absent when only registered solvers may and
    /// the reader is not one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
}

/// A challenge's resources, as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceList {
    pub data: Vec<ResourceView>,
    /// The cover image's address, when the challenge has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover_url: Option<String>,
}

/// Whether `who` may download the non-public resources of `ch`: its
/// organisation, and the solvers registered for it.
fn may_download_all(
    c: &mut DbConnection,
    who: Option<&Principal>,
    ch: &Challenge,
    organiser: bool,
) -> AppResult<bool> {
    if organiser {
        return Ok(true);
    }
    Ok(match who {
        Some(Principal::User(u)) => store::registration(c, &ch.id, &u.user.id)?.is_some(),
        _ => false,
    })
}

/// The address of a resource's bytes.
fn download_path(ch: &Challenge, r: &Resource) -> String {
    format!("/api/v1/challenges/{}/resources/{}", ch.id, r.id)
}

/// The resources of `key` for `who` (drafts only for their organisation).
pub async fn resources(
    state: &AppState,
    who: Option<Principal>,
    key: String,
) -> AppResult<ResourceList> {
    state
        .db(move |c| {
            let (ch, organiser) = service::readable(c, who.as_ref(), &key)?;
            listed(c, who.as_ref(), &ch, organiser)
        })
        .await
}

/// [`resources`] of a challenge already read, inside a caller's read.
pub fn listed(
    c: &mut DbConnection,
    who: Option<&Principal>,
    ch: &Challenge,
    organiser: bool,
) -> AppResult<ResourceList> {
    let all = may_download_all(c, who, ch, organiser)?;
    let data = store::resources_of(c, &ch.id, resource_kind::FILE)?
        .into_iter()
        .map(|r| ResourceView {
            download_url: (all || r.public).then(|| download_path(ch, &r)),
            resource: r,
        })
        .collect();
    let cover_url = store::resources_of(c, &ch.id, resource_kind::COVER)?
        .first()
        .map(|_| format!("/challenges/{}/cover", ch.slug));
    Ok(ResourceList { data, cover_url })
}

/// One resource of `key` that `who` may download (404 otherwise: as if it
/// were not there).
pub async fn resource_file(
    state: &AppState,
    who: Option<Principal>,
    key: String,
    id: String,
) -> AppResult<(Resource, String)> {
    state
        .db(move |c| {
            let (ch, organiser) = service::readable(c, who.as_ref(), &key)?;
            let r = store::resource(c, &ch.id, &id)?.ok_or(AppError::NotFound)?;
            if !r.public && !may_download_all(c, who.as_ref(), &ch, organiser)? {
                return Err(AppError::NotFound);
            }
            Ok((r, ch.title))
        })
        .await
}

/// The cover image of `key`, for whoever may read the challenge.
pub async fn cover(state: &AppState, who: Option<Principal>, key: String) -> AppResult<Resource> {
    state
        .db(move |c| {
            let (ch, _) = service::readable(c, who.as_ref(), &key)?;
            store::resources_of(c, &ch.id, resource_kind::COVER)?
                .into_iter()
                .next()
                .ok_or(AppError::NotFound)
        })
        .await
}
