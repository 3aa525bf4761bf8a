//! JSON handlers for accounts: `/api/v1/auth/*` and `/api/v1/me*`. Each
//! parses, calls one flow of [`super::service`] or one read of
//! [`super::queries`], and answers.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{AuthUser, PlatformAdmin};
use super::queries;
pub use super::queries::{SessionView, UserView};
use super::service::{self, Login, Registration, Tokens};
use crate::error::{AppResult, Problem};
use crate::state::AppState;
use crate::web::{client_ip, request_language};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    pub display_name: String,
    /// At least 12 characters.
    pub password: String,
    /// `en` or `fr`; defaults to the request's `Accept-Language`.
    pub language: Option<String>,
}

/// Register a new account; a verification email is sent.
#[utoipa::path(post, path = "/api/v1/auth/register", operation_id = "register_account", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = UserView), (status = 409, body = Problem, description = "email_taken"),
              (status = 422, body = Problem, description = "validation_failed")))]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: crate::api::Json<RegisterRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let user = service::register(
        &state,
        Registration {
            email: b.email,
            display_name: b.display_name,
            password: b.password,
            language: b.language,
        },
        request_language(&req),
    )
    .await?;
    Ok(HttpResponse::Created().json(UserView::from(&user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub token: String,
}

/// Verify an email address with the token from the verification link.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth", request_body = TokenRequest,
    responses((status = 200, body = UserView), (status = 400, body = Problem, description = "invalid_token")))]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: crate::api::Json<TokenRequest>,
) -> AppResult<HttpResponse> {
    let user = service::verify_email(&state, body.into_inner().token).await?;
    Ok(HttpResponse::Ok().json(UserView::from(&user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    pub email: String,
}

/// Send the verification link again (answers 202 whether or not the account exists).
#[utoipa::path(post, path = "/api/v1/auth/verify-email/resend", tag = "auth", request_body = EmailRequest,
    responses((status = 202, description = "Queued if the account exists and is unverified")))]
pub async fn resend_verification(
    state: web::Data<AppState>,
    body: crate::api::Json<EmailRequest>,
) -> AppResult<HttpResponse> {
    service::resend_verification(&state, &body.email).await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// A new access token (JWT, short-lived) and refresh token (rotating).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
    pub session_id: String,
}

impl From<Tokens> for TokenResponse {
    fn from(t: Tokens) -> Self {
        TokenResponse {
            access_token: t.access_token,
            token_type: "Bearer",
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            session_id: t.session_id,
        }
    }
}

/// Sign in. After 5 failures for an account or an IP within 15 minutes: 429.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem, description = "invalid_credentials"),
              (status = 403, body = Problem, description = "email_unverified"),
              (status = 429, body = Problem, description = "rate_limited, with Retry-After")))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: crate::api::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let (_, tokens) = service::login(
        &state,
        Login {
            email: b.email,
            password: b.password,
            ip: client_ip(&req),
            user_agent: crate::web::user_agent(&req),
        },
    )
    .await?;
    Ok(crate::idempotency::holds_secret(
        HttpResponse::Ok().json(TokenResponse::from(tokens)),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Exchange a refresh token for a new pair. A token used twice revokes its session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem, description = "invalid_refresh_token or refresh_token_reused")))]
pub async fn refresh(
    state: web::Data<AppState>,
    body: crate::api::Json<RefreshRequest>,
) -> AppResult<HttpResponse> {
    let tokens = service::refresh(&state, body.into_inner().refresh_token, 0).await?;
    Ok(crate::idempotency::holds_secret(
        HttpResponse::Ok().json(TokenResponse::from(tokens)),
    ))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    pub refresh_token: Option<String>,
}

/// End the session of the bearer token, or of the given refresh token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body(content = LogoutRequest, description = "Optional"),
    responses((status = 204, description = "Signed out")))]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Option<crate::api::Json<LogoutRequest>>,
) -> AppResult<HttpResponse> {
    if let Some(rt) = body.and_then(|b| b.into_inner().refresh_token) {
        service::logout_by_refresh(&state, rt).await?;
    } else {
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.split_once(' ').map(|(_, t)| t.trim().to_owned()));
        match super::extract::resolve(&state, token).await? {
            Some(super::extract::Principal::User(u)) => {
                service::logout(&state, u.user.id, u.session_id).await?
            }
            _ => return Err(crate::error::AppError::Unauthorized("unauthenticated")),
        }
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Ask for a password reset link (answers 202 whether or not the account exists).
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = EmailRequest,
    responses((status = 202, description = "Queued if the account exists")))]
pub async fn password_reset(
    state: web::Data<AppState>,
    body: crate::api::Json<EmailRequest>,
) -> AppResult<HttpResponse> {
    service::request_password_reset(&state, &body.email).await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmRequest {
    pub token: String,
    pub new_password: String,
}

/// Set a new password with the token from the reset link. Every session ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirmRequest,
    responses((status = 204, description = "Password changed"), (status = 400, body = Problem, description = "invalid_token"),
              (status = 422, body = Problem)))]
pub async fn password_reset_confirm(
    state: web::Data<AppState>,
    body: crate::api::Json<ResetConfirmRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    service::confirm_password_reset(&state, b.token, b.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = Problem)))]
pub async fn me(user: AuthUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(UserView::from(&user.user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    pub display_name: Option<String>,
    /// `en` or `fr`.
    pub language: Option<String>,
    /// Show a public page of my published solutions and prizes.
    pub public_profile: Option<bool>,
}

/// Change the display name, language or public profile.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", security(("bearer" = [])), request_body = UpdateMeRequest,
    responses((status = 200, body = UserView), (status = 422, body = Problem)))]
pub async fn update_me(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::api::Json<UpdateMeRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let u = service::update_profile(
        &state,
        user.user.id,
        b.display_name,
        b.language,
        b.public_profile,
    )
    .await?;
    Ok(HttpResponse::Ok().json(UserView::from(&u)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Change the password; every other session is revoked.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses((status = 204, description = "Changed"), (status = 422, body = Problem)))]
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::api::Json<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    service::change_password(
        &state,
        &user.user,
        user.session_id,
        b.current_password,
        b.new_password,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The live sessions of the signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub data: Vec<SessionView>,
}

/// List the live sessions.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = SessionList)))]
pub async fn sessions(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let data = queries::sessions(&state, &user).await?;
    Ok(HttpResponse::Ok().json(SessionList { data }))
}

/// Revoke one of the signed-in user's sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "me", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_session(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    service::revoke_own_session(&state, user.user.id, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The search of the admins' list of accounts.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of an email address or a name, any case; empty lists the newest accounts.
    #[param(max_length = 200)]
    pub q: Option<String>,
}

/// Find accounts by email or name, newest first, at most 50 (platform admins).
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])),
    params(UserQuery),
    responses((status = 200, body = queries::UserList), (status = 403, body = Problem, description = "admin_required")))]
pub async fn find_users(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    q: web::Query<UserQuery>,
) -> AppResult<HttpResponse> {
    let q: String = q
        .into_inner()
        .q
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    let data = queries::find_users(&state, q).await?;
    Ok(HttpResponse::Ok().json(queries::UserList { data }))
}

/// Suspend an account: its sessions end and it can no longer sign in (platform admins).
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/suspend", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = UserView), (status = 403, body = Problem, description = "admin_required"), (status = 404, body = Problem)))]
pub async fn suspend(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let u = service::set_suspended(&state, &admin.0.user, path.into_inner(), true).await?;
    Ok(HttpResponse::Ok().json(UserView::from(&u)))
}

/// Reinstate a suspended account (platform admins).
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/reinstate", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = UserView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reinstate(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let u = service::set_suspended(&state, &admin.0.user, path.into_inner(), false).await?;
    Ok(HttpResponse::Ok().json(UserView::from(&u)))
}
