//! Attachments: a file is received into staging only once the sender may
//! add that many bytes, then recorded as a new revision that includes it,
//! and only then moved into the store.

use super::{audit_sub, editable, own_open, own_open_at, write_revision, SubmissionInput};
use crate::audit::Actor;
use crate::challenges::store::Challenge;
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::submissions::blobs::Staged;
use crate::submissions::model;
use crate::submissions::store::{self, Attachment, Revision, Submission};

/// Checks, before a byte of the file is read, that `user_id` may add a file
/// to submission `id` now: a member of its team, the challenge open, the
/// submission editable, room left in its byte budget, and the account under
/// its hourly upload limit. Answers the most bytes the file may have.
pub async fn upload_slot(state: &AppState, user_id: &str, id: &str) -> AppResult<u64> {
    let (uid, id) = (user_id.to_owned(), id.to_owned());
    let (file_max, total_max, per_hour) = (
        state.config.attachment_max_bytes,
        state.config.submission_max_bytes,
        state.config.uploads_per_hour,
    );
    state
        .db(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            editable(&s)?;
            let at = now();
            let recent = store::uploads_since(c, &uid, at - chrono::Duration::hours(1))?;
            if let Some(secs) =
                crate::auth::model::window_wait(at, &recent, per_hour, chrono::Duration::hours(1))
            {
                return Err(AppError::TooManyRequests {
                    retry_after_secs: secs as u64,
                });
            }
            let used = used_bytes(c, &s)?;
            let (per_file, total) = attachment_limits(&ch, file_max, total_max);
            let room = total.saturating_sub(used);
            if room == 0 {
                return Err(AppError::PayloadTooLarge);
            }
            Ok(per_file.min(room))
        })
        .await
}

/// A challenge's attachment limits (its own, else the platform's `file_max`
/// and `total_max`): per file and per submission, in bytes.
pub fn attachment_limits(ch: &Challenge, file_max: u64, total_max: u64) -> (u64, u64) {
    (
        ch.max_attachment_bytes
            .map(|m| m as u64)
            .unwrap_or(file_max),
        ch.max_submission_bytes
            .map(|m| m as u64)
            .unwrap_or(total_max),
    )
}

/// Bytes of the attachments of a submission's current revision.
fn used_bytes(c: &mut DbConnection, s: &Submission) -> AppResult<u64> {
    let prev = store::revision(c, &s.id, s.current_revision)?;
    let existing = store::attachments_by_ids(c, &prev.attachment_list())?;
    Ok(existing.iter().map(|a| a.size.max(0) as u64).sum())
}

/// Records a received file as an attachment of submission `id` (a new
/// revision that includes it), then moves its bytes from staging into the
/// store. Every check of [`upload_slot`] runs again inside the transaction;
/// if anything fails the staged bytes are removed, so a refused upload
/// leaves nothing behind.
pub async fn add_staged(
    state: &AppState,
    user_id: &str,
    id: &str,
    filename: &str,
    staged: Staged,
) -> AppResult<(Attachment, Revision)> {
    let recorded = record_staged(state, user_id, id, filename, &staged).await;
    match recorded {
        Ok(out) => {
            state.blobs.commit(&staged).await?;
            state.wake_worker();
            Ok(out)
        }
        Err(e) => {
            state.blobs.discard(&staged).await;
            Err(e)
        }
    }
}

async fn record_staged(
    state: &AppState,
    user_id: &str,
    id: &str,
    filename: &str,
    staged: &Staged,
) -> AppResult<(Attachment, Revision)> {
    if staged.size == 0 {
        return Err(AppError::field("file", "empty", "The file is empty."));
    }
    let name = model::sanitize_filename(filename);
    let (ctype, sha, size) = (
        staged.content_type.clone(),
        staged.sha256.clone(),
        staged.size as i64,
    );
    let (uid, id, st, default_total) = (
        user_id.to_owned(),
        id.to_owned(),
        state.clone(),
        state.config.submission_max_bytes,
    );
    state
        .tx(move |c| {
            let at = now();
            let (s, ch) = own_open_at(c, &uid, &id, at)?;
            editable(&s)?;
            let prev = store::revision(c, &s.id, s.current_revision)?;
            let mut ids = prev.attachment_list();
            let total_max = ch.max_submission_bytes.unwrap_or(default_total as i64);
            if used_bytes(c, &s)? as i64 + size > total_max {
                return Err(AppError::PayloadTooLarge);
            }
            let a = store::insert_attachment(c, &s.id, &name, &ctype, size, &sha, &uid, at)?;
            ids.push(a.id.clone());
            let rev = write_revision(&st, c, &s, &ch, Some(&prev), &SubmissionInput::default(), ids, &uid, at)?;
            audit_sub(c, &Actor::user(&uid), &ch, &s, "submission.attachment_added", serde_json::json!({ "attachment": a.id, "sha256": a.sha256, "size": a.size, "revision": rev.number }))?;
            Ok((a, rev))
        })
        .await
}

/// Adds a file held in memory (the demo seed): the same checks and the same
/// path through staging as an upload.
pub async fn add_attachment(
    state: &AppState,
    user_id: &str,
    id: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> AppResult<(Attachment, Revision)> {
    let max = upload_slot(state, user_id, id).await?;
    let chunks =
        futures_util::stream::iter([Ok::<_, std::convert::Infallible>(bytes::Bytes::from(bytes))]);
    let staged = state.blobs.stage(chunks, max).await?;
    add_staged(state, user_id, id, filename, staged).await
}
