//! Downloading one's own data.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::auth::extract::AuthUser;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

/// Everything Tribu holds about me, as a zip: `profile.json`,
/// `sessions.json`, `registrations.json`, `submissions.json` (every
/// revision), `team_shares.json`, `scorecards.json` (as a judge),
/// `payouts.json`, `notifications.json`, `follows.json`, and the files I
/// attached under `attachments/`.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "A zip archive", content_type = "application/zip"), (status = 401, body = Problem)))]
pub async fn export(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let bytes = crate::privacy::export::export(&state, &user.user.id).await?;
    Ok(zip_response(bytes))
}

/// The confirmation of a deletion.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    /// The account's password.
    pub password: String,
}

/// Delete my account: sessions and tokens end, personal fields are erased;
/// money records, audit entries (without the address) and the attribution
/// written into published solutions stay. Refused while I am the only owner
/// of an organisation.
#[utoipa::path(post, path = "/api/v1/me/delete", tag = "me", security(("bearer" = [])),
    request_body = DeleteRequest,
    responses((status = 204, description = "Deleted"), (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 409, body = Problem, description = "`sole_owner`"), (status = 422, body = Problem, description = "incorrect password")))]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::api::Json<DeleteRequest>,
) -> AppResult<HttpResponse> {
    crate::privacy::delete::delete_account(&state, &user.user.id, &body.password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A zip as a download named `tribu-export.zip`, never cached.
pub fn zip_response(bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"tribu-export.zip\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes)
}

/// `GET /settings/export`: the same download from the settings page.
pub async fn export_page(
    state: web::Data<AppState>,
    user: crate::frontend::session::PageUser,
) -> AppResult<HttpResponse> {
    let bytes = crate::privacy::export::export(&state, &user.0.user.id).await?;
    Ok(zip_response(bytes))
}
