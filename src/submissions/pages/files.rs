//! Adding a file to a submission from its page. The download link of a file
//! is the API's handler, mounted among the pages (see `app.rs`): one answer,
//! with its licence notice, for both.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};

use super::show::show_failure;
use crate::error::AppError;
use crate::frontend::see_other;
use crate::frontend::session::PageUser;
use crate::state::AppState;
use crate::submissions::blobs::Staged;
use crate::submissions::service;
use crate::submissions::upload::file_field;

/// Streams the `file` field into staging, but only once
/// `service::upload_slot` has said the signed-in user may add that many bytes
/// to the submission (nothing is read for anyone else). The CSRF middleware
/// has checked the token, the form's first part, before any of this. The
/// outer error is for the error page (broken request); the inner one for
/// the form.
async fn read_upload_form(
    state: &AppState,
    user_id: &str,
    id: &str,
    mut payload: Multipart,
) -> Result<Result<(String, Staged), AppError>, AppError> {
    let Some((filename, field)) = file_field(&mut payload).await? else {
        return Ok(Err(AppError::field("file", "required", "Choose a file.")));
    };
    let max = match service::upload_slot(state, user_id, id).await {
        Ok(max) => max,
        Err(e) => return Ok(Err(e)),
    };
    Ok(state.blobs.stage(field, max).await.map(|st| (filename, st)))
}

/// `POST /submissions/{id}/attachments` (multipart: `csrf`, then `file`):
/// adds a file, which makes a new revision.
pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let uid = &user.0.user.id;
    let result = match read_upload_form(&state, uid, &id, payload).await? {
        Ok((name, staged)) => service::add_staged(&state, uid, &id, &name, staged)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/submissions/{id}?done=attached#files"))),
        Err(e) => {
            show_failure(&req, &state, &user.maybe(), &id, e, |p, errors| {
                p.files_errors = errors;
            })
            .await
        }
    }
}
