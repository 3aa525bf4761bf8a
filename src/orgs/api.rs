//! JSON handlers for organisations: `/api/v1/orgs/*` and invitations. Each
//! parses, calls one flow of [`super::service`] or one read of
//! [`super::queries`], and answers.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::queries::{self, Invitation, Org};
pub use super::queries::{ApiKeyView, MemberList, OrgView};
use super::service::{self, NewKey};
use crate::audit::AuditRecord;
use crate::auth::extract::{AuthUser, Principal};
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgRequest {
    /// 3–40 of `a-z0-9-`, unique.
    pub slug: String,
    pub name: String,
}

/// Create an organisation; the caller becomes its owner.
#[utoipa::path(post, path = "/api/v1/orgs", operation_id = "create_org", tag = "orgs", security(("bearer" = [])), request_body = CreateOrgRequest,
    responses((status = 201, body = Org), (status = 422, body = Problem, description = "validation_failed (slug_taken)")))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::api::Json<CreateOrgRequest>,
) -> AppResult<HttpResponse> {
    let org = service::create(&state, &user, &body.slug, &body.name).await?;
    Ok(HttpResponse::Created().json(org))
}

/// An organisation (for its members and its API keys).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}", operation_id = "show_org", tag = "orgs", security(("bearer" = [])), params(("slug" = String, Path)),
    responses((status = 200, body = OrgView), (status = 404, body = Problem)))]
pub async fn show(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let view = queries::one(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The organisations of the signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyOrgs {
    pub data: Vec<OrgView>,
}

/// List the caller's organisations.
#[utoipa::path(get, path = "/api/v1/me/orgs", operation_id = "my_orgs", tag = "me", security(("bearer" = [])), responses((status = 200, body = MyOrgs)))]
pub async fn mine(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let data = queries::of_user(&state, user.user.id)
        .await?
        .into_iter()
        .map(|(org, role)| OrgView {
            org,
            role: Some(role),
        })
        .collect();
    Ok(HttpResponse::Ok().json(MyOrgs { data }))
}

/// List members (any member, or a key with `members:read`).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/members", tag = "orgs", security(("bearer" = [])), params(("slug" = String, Path)),
    responses((status = 200, body = MemberList), (status = 404, body = Problem)))]
pub async fn members(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let r = queries::roster(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(MemberList {
        data: r.members,
        invitations: r.invitations,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
}

/// Invite someone by email (owners and admins, or `members:write`).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/members", operation_id = "invite_org_member", tag = "orgs", security(("bearer" = [])), params(("slug" = String, Path)),
    request_body = InviteRequest,
    responses((status = 201, body = Invitation), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn invite(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: crate::api::Json<InviteRequest>,
) -> AppResult<HttpResponse> {
    let inv = service::invite(&state, &who, &path.into_inner(), &body.email, &body.role).await?;
    Ok(HttpResponse::Created().json(inv))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    pub role: String,
}

/// Change a member's role.
#[utoipa::path(patch, path = "/api/v1/orgs/{slug}/members/{user_id}", tag = "orgs", security(("bearer" = [])),
    params(("slug" = String, Path), ("user_id" = String, Path)), request_body = RoleRequest,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "last_owner")))]
pub async fn set_role(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
    body: crate::api::Json<RoleRequest>,
) -> AppResult<HttpResponse> {
    let (slug, user_id) = path.into_inner();
    service::set_role(&state, &who, &slug, user_id, &body.role).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove a member, or leave (your own id). The last owner cannot leave.
#[utoipa::path(delete, path = "/api/v1/orgs/{slug}/members/{user_id}", operation_id = "remove_org_member", tag = "orgs", security(("bearer" = [])),
    params(("slug" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "last_owner")))]
pub async fn remove_member(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, user_id) = path.into_inner();
    service::remove_member(&state, &who, &slug, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Withdraw a pending invitation.
#[utoipa::path(delete, path = "/api/v1/orgs/{slug}/invitations/{id}", tag = "orgs", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_invitation(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    service::revoke_invitation(&state, &who, &slug, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    pub token: String,
}

/// Accept an invitation (the signed-in account's email must be the invited one).
#[utoipa::path(post, path = "/api/v1/invitations/accept", operation_id = "accept_org_invitation", tag = "orgs", security(("bearer" = [])), request_body = AcceptRequest,
    responses((status = 200, body = Org), (status = 400, body = Problem, description = "invalid_token"), (status = 403, body = Problem)))]
pub async fn accept(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::api::Json<AcceptRequest>,
) -> AppResult<HttpResponse> {
    let org = service::accept_invitation(&state, &user, body.into_inner().token).await?;
    Ok(HttpResponse::Ok().json(org))
}

/// The organisation's API keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub data: Vec<ApiKeyView>,
}

/// List API keys (owners and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/api-keys", tag = "orgs", security(("bearer" = [])), params(("slug" = String, Path)),
    responses((status = 200, body = ApiKeyList), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_keys(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (_, keys) = queries::api_keys(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ApiKeyList {
        data: keys.into_iter().map(ApiKeyView::from).collect(),
    }))
}

/// A new key with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// `tribu_sk_…`: store it now, it is never shown again.
    pub secret: String,
}

/// Create an API key (owners and admins).
#[utoipa::path(post, path = "/api/v1/orgs/{slug}/api-keys", tag = "orgs", security(("bearer" = [])), params(("slug" = String, Path)),
    request_body = NewKey,
    responses((status = 201, body = CreatedKey), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_key(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: crate::api::Json<NewKey>,
) -> AppResult<HttpResponse> {
    let (key, secret) =
        service::create_key(&state, &who, &path.into_inner(), body.into_inner()).await?;
    Ok(crate::idempotency::holds_secret(
        HttpResponse::Created().json(CreatedKey {
            key: key.into(),
            secret,
        }),
    ))
}

/// Revoke an API key.
#[utoipa::path(delete, path = "/api/v1/orgs/{slug}/api-keys/{id}", tag = "orgs", security(("bearer" = [])),
    params(("slug" = String, Path), ("id" = String, Path)), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_key(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    service::revoke_key(&state, &who, &slug, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The organisation's audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub data: Vec<AuditRecord>,
}

/// The latest 200 audit records (owners and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/audit", tag = "orgs", security(("bearer" = [])), params(("slug" = String, Path)),
    responses((status = 200, body = AuditList), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn audit_log(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let data = queries::audit_log(&state, who, path.into_inner(), 200).await?;
    Ok(HttpResponse::Ok().json(AuditList { data }))
}
