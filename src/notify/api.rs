//! The notification API: my notifications, marking them read, and my
//! choices per kind.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::service::{self, NotificationList, Preferences, PreferencesInput};
use crate::auth::extract::AuthUser;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

/// Which notifications to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only the unread ones.
    pub unread: Option<bool>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

/// My notifications, newest first, with the number unread.
#[utoipa::path(get, path = "/api/v1/me/notifications", operation_id = "list_notifications", tag = "me", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = NotificationList), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(crate::error::AppError::bad_request(
            "invalid_query",
            "limit must be between 1 and 200",
        ));
    }
    let v = service::list(&state, &user.user.id, q.unread.unwrap_or(false), limit).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Mark one of my notifications read.
#[utoipa::path(post, path = "/api/v1/me/notifications/{id}/read", tag = "me", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Read"), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn read_one(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    service::mark_read(&state, &user.user.id, Some(path.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mark all my notifications read.
#[utoipa::path(post, path = "/api/v1/me/notifications/read", tag = "me", security(("bearer" = [])),
    responses((status = 204, description = "All read"), (status = 401, body = Problem)))]
pub async fn read_all(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    service::mark_read(&state, &user.user.id, None).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How I hear of each kind of notification: by email, in the app, both or
/// neither (both unless changed).
#[utoipa::path(get, path = "/api/v1/me/notification-preferences", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = Preferences), (status = 401, body = Problem)))]
pub async fn preferences(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let v = service::preferences(&state, &user.user.id).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Change how I hear of some kinds; the kinds not sent stay as they are.
#[utoipa::path(put, path = "/api/v1/me/notification-preferences", tag = "me", security(("bearer" = [])),
    request_body = PreferencesInput,
    responses((status = 200, body = Preferences), (status = 400, body = Problem), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn set_preferences(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::api::Json<PreferencesInput>,
) -> AppResult<HttpResponse> {
    let v = service::set_preferences(&state, &user.user.id, body.into_inner().data).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// What I follow: organisations, categories and challenges.
#[utoipa::path(get, path = "/api/v1/me/follows", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = super::follows::FollowList), (status = 401, body = Problem)))]
pub async fn follows(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let v = super::follows::mine(&state, &user.user.id).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Follow an organisation (its slug), a category or a challenge (its id or
/// slug): its publications and announcements reach me. Following twice is
/// fine.
#[utoipa::path(put, path = "/api/v1/me/follows/{target_type}/{target}", tag = "me", security(("bearer" = [])),
    params(("target_type" = String, Path, description = "`organisation`, `category` or `challenge`"), ("target" = String, Path)),
    responses((status = 204, description = "Followed"), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn follow(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (kind, key) = path.into_inner();
    super::follows::follow(&state, &user.user.id, &kind, &key).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Stop following.
#[utoipa::path(delete, path = "/api/v1/me/follows/{target_type}/{target}", tag = "me", security(("bearer" = [])),
    params(("target_type" = String, Path, description = "`organisation`, `category` or `challenge`"), ("target" = String, Path)),
    responses((status = 204, description = "No longer followed"), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn unfollow(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (kind, key) = path.into_inner();
    super::follows::unfollow(&state, &user.user.id, &kind, &key).await?;
    Ok(HttpResponse::NoContent().finish())
}
