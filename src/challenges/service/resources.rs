//! Challenge resources: an organisation attaches files (data sets,
//! documents, images) and a cover image to its challenge. They are stored
//! like submission attachments: the size is settled before the body is read,
//! the bytes are staged and hashed, and only committed to the store once the
//! transaction that records them has.

use super::{audit_challenge, org_access};
use crate::auth::principal::Principal;
use crate::challenges::model::State;
use crate::challenges::store::{self, resource_kind, Challenge, NewResource, Resource};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::orgs::model::OrgAction;
use crate::state::AppState;
use crate::submissions::blobs::Staged;

/// Largest cover image, in bytes.
pub const COVER_MAX_BYTES: u64 = 5 * 1024 * 1024;
/// Most files one challenge carries.
pub const MAX_RESOURCES: usize = 20;
/// What a cover may be: images every browser shows.
const COVER_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/webp"];

/// A challenge that is over takes no new resources.
fn takes_resources(ch: &Challenge) -> AppResult<()> {
    match ch.stored_state() {
        State::Cancelled | State::Settled => Err(AppError::conflict(
            "challenge_over",
            "This challenge is over: its resources can no longer change.",
        )),
        _ => Ok(()),
    }
}

/// How many bytes the caller may upload as a resource (or as the cover) of
/// `key`: checked before the body is read, so nothing is stored for anyone
/// who may not add it.
pub async fn resource_slot(
    state: &AppState,
    caller: &Principal,
    key: &str,
    cover: bool,
) -> AppResult<u64> {
    let (caller, key) = (caller.clone(), key.to_owned());
    let file_max = state.config.attachment_max_bytes;
    state
        .db(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::EditChallenges)?;
            takes_resources(&ch)?;
            if cover {
                return Ok(COVER_MAX_BYTES);
            }
            if store::resources_of(c, &ch.id, resource_kind::FILE)?.len() >= MAX_RESOURCES {
                return Err(AppError::conflict(
                    "too_many_resources",
                    format!("A challenge carries at most {MAX_RESOURCES} files."),
                ));
            }
            Ok(file_max)
        })
        .await
}

/// Records a staged file as a resource (`public`: everyone may download
/// it; otherwise registered solvers) or as the cover (which replaces the
/// previous one), then commits its bytes. On any refusal the staged bytes
/// are removed.
pub async fn add_resource(
    state: &AppState,
    caller: &Principal,
    key: &str,
    filename: &str,
    staged: Staged,
    public: bool,
    cover: bool,
) -> AppResult<Resource> {
    let recorded = record(state, caller, key, filename, &staged, public, cover).await;
    match recorded {
        Ok(r) => {
            state.blobs.commit(&staged).await?;
            Ok(r)
        }
        Err(e) => {
            state.blobs.discard(&staged).await;
            Err(e)
        }
    }
}

async fn record(
    state: &AppState,
    caller: &Principal,
    key: &str,
    filename: &str,
    staged: &Staged,
    public: bool,
    cover: bool,
) -> AppResult<Resource> {
    if staged.size == 0 {
        return Err(AppError::field("file", "empty", "The file is empty."));
    }
    if cover && !COVER_TYPES.contains(&staged.content_type.as_str()) {
        return Err(AppError::field(
            "file",
            "not_an_image",
            "A cover is a PNG, JPEG or WebP image.",
        ));
    }
    let name = crate::submissions::model::sanitize_filename(filename);
    let (caller, key) = (caller.clone(), key.to_owned());
    let (ctype, sha, size) = (
        staged.content_type.clone(),
        staged.sha256.clone(),
        staged.size as i64,
    );
    state
        .tx(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::EditChallenges)?;
            takes_resources(&ch)?;
            let kind = if cover {
                resource_kind::COVER
            } else {
                resource_kind::FILE
            };
            let at = now();
            if cover {
                for old in store::resources_of(c, &ch.id, resource_kind::COVER)? {
                    store::remove_resource(c, &old.id, at)?;
                }
            } else if store::resources_of(c, &ch.id, kind)?.len() >= MAX_RESOURCES {
                return Err(AppError::conflict(
                    "too_many_resources",
                    format!("A challenge carries at most {MAX_RESOURCES} files."),
                ));
            }
            let by = match &caller {
                Principal::User(u) => u.user.id.clone(),
                Principal::Key(k) => k.key.created_by.clone(),
            };
            let res = store::insert_resource(
                c,
                NewResource {
                    challenge_id: &ch.id,
                    kind,
                    filename: &name,
                    content_type: &ctype,
                    size,
                    sha256: &sha,
                    public: cover || public,
                    by: &by,
                },
                at,
            )?;
            audit_challenge(
                c,
                &caller.actor(),
                &ch,
                "resource.added",
                serde_json::json!({
                    "resource": res.id, "kind": kind, "filename": res.filename,
                    "sha256": res.sha256, "size": res.size, "public": res.public,
                }),
            )?;
            Ok(res)
        })
        .await
}

/// Takes a resource (or the cover) down.
pub async fn remove_resource(
    state: &AppState,
    caller: &Principal,
    key: &str,
    id: &str,
) -> AppResult<()> {
    let (caller, key, id) = (caller.clone(), key.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::EditChallenges)?;
            takes_resources(&ch)?;
            let res = store::resource(c, &ch.id, &id)?.ok_or(AppError::NotFound)?;
            store::remove_resource(c, &res.id, now())?;
            audit_challenge(
                c,
                &caller.actor(),
                &ch,
                "resource.removed",
                serde_json::json!({ "resource": res.id, "filename": res.filename }),
            )
        })
        .await
}
