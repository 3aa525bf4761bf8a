//! The resources section of the management page: attaching files (and the
//! cover image) to a challenge, and taking them down. Uploads call the same
//! flow as the JSON API: the size is settled before the body is read.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};

use super::challenge::{manage_failure, ManageForms, Section};
use super::manage_href;
use crate::auth::extract::Principal;
use crate::challenges::service;
use crate::error::AppError;
use crate::frontend::see_other;
use crate::frontend::session::PageUser;
use crate::state::AppState;

/// `POST /manage/challenges/{key}/resources` (multipart: `csrf`, `public`
/// and `cover` checkboxes, then `file`).
pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    mut payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let who = Principal::User(user.0.clone());
    let result = async {
        let (fields, file) = crate::submissions::upload::fields_and_file(&mut payload).await?;
        let has = |name: &str| fields.iter().any(|(n, v)| n == name && !v.is_empty());
        let (public, cover) = (has("public"), has("cover"));
        let Some((filename, field)) = file else {
            return Err(AppError::field("file", "required", "Choose a file."));
        };
        let max = service::resource_slot(&state, &who, &key, cover).await?;
        let staged = state.blobs.stage(field, max).await?;
        service::add_resource(&state, &who, &key, &filename, staged, public, cover).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "{}?done=resource_added#resources",
            manage_href(&key)
        ))),
        Err(e) => {
            let forms = ManageForms::default();
            manage_failure(&req, &state, &user, &key, e, Section::Resources, forms).await
        }
    }
}

/// `POST /manage/challenges/{key}/resources/{id}/remove`.
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (key, id) = path.into_inner();
    let who = Principal::User(user.0.clone());
    match service::remove_resource(&state, &who, &key, &id).await {
        Ok(()) => Ok(see_other(&format!(
            "{}?done=resource_removed#resources",
            manage_href(&key)
        ))),
        Err(e) => {
            let forms = ManageForms::default();
            manage_failure(&req, &state, &user, &key, e, Section::Resources, forms).await
        }
    }
}
