//! The webhooks API of an organisation (its admins, not API keys).

use actix_web::{web, HttpResponse};

use super::service::{
    self, CreatedEndpoint, DeliveryList, DeliveryView, EndpointInput, EndpointList, EndpointView,
};
use crate::auth::principal::Principal;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

/// The organisation's webhook endpoints.
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/webhooks", operation_id = "list_webhooks", tag = "webhooks", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = EndpointList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(&state, &who, &path.into_inner()).await?))
}

/// Register an endpoint; the answer holds its signing secret, this once.
/// The address must resolve to public addresses only (SSRF).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/webhooks", operation_id = "create_webhook", tag = "webhooks", security(("bearer" = [])),
    params(("slug" = String, Path)), request_body = EndpointInput,
    responses((status = 201, body = CreatedEndpoint), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem, description = "`url_refused` (not http(s), does not resolve, or not public), `unknown_event`")))]
pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: crate::api::Json<EndpointInput>,
) -> AppResult<HttpResponse> {
    let v = service::create(&state, &who, &path.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(v))
}

/// Turn an endpoint back on (or off).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/webhooks/{id}/enable", tag = "webhooks", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = EndpointView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn enable(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(service::set_active(&state, &who, &slug, &id, true).await?))
}

/// Turn an endpoint off: nothing is sent until it is on again.
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/webhooks/{id}/disable", tag = "webhooks", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = EndpointView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn disable(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(service::set_active(&state, &who, &slug, &id, false).await?))
}

/// Remove an endpoint.
#[utoipa::path(delete, path = "/api/v1/orgs/{slug}/webhooks/{id}", operation_id = "remove_webhook", tag = "webhooks", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    service::remove(&state, &who, &slug, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The endpoint's latest deliveries, each with every attempt (status code,
/// error, duration).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/webhooks/{id}/deliveries", operation_id = "list_webhook_deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = DeliveryList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn deliveries(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    Ok(HttpResponse::Ok().json(service::deliveries(&state, &who, &slug, &id).await?))
}

/// Send a delivery again (a new delivery of the same event).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = String, Path), ("delivery_id" = String, Path)),
    responses((status = 201, body = DeliveryView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn redeliver(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id, did) = path.into_inner();
    Ok(HttpResponse::Created().json(service::redeliver(&state, &who, &slug, &id, &did).await?))
}
