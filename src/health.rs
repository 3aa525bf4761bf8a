//! Liveness and readiness probes.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::error::AppResult;
use crate::state::AppState;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Up")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "Ready"), (status = 503, body = crate::error::Problem)))]
pub async fn readyz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    state
        .db(|c| crate::db::ping(c).map_err(|e| crate::error::AppError::Unavailable(e.to_string())))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
