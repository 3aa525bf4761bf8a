//! The payouts API: a solver's own payouts, an organisation's challenge,
//! and the platform admins' lists, export and manual records.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::queries::{self, AdminFilter, ChallengePayouts, PayoutList, PayoutView, RefundList};
use super::service;
use crate::auth::extract::{AuthUser, PlatformAdmin};
use crate::auth::principal::Principal;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

/// My payouts: each prize share with its state and dates.
#[utoipa::path(get, path = "/api/v1/me/payouts", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = PayoutList)))]
pub async fn mine(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let data = queries::mine(&state, &user.user.id).await?;
    Ok(HttpResponse::Ok().json(PayoutList { data }))
}

/// A challenge's payouts and refund (its organisation).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/payouts", tag = "challenges", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ChallengePayouts), (status = 404, body = Problem)))]
pub async fn of_challenge(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let v = queries::of_challenge(&state, &who, &path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Filters of the admins' lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AdminQuery {
    /// `pending`, `submitted`, `paid` or `failed`.
    pub status: Option<String>,
    /// A challenge's id or slug.
    pub challenge: Option<String>,
}

impl AdminQuery {
    fn filter(self) -> AdminFilter {
        AdminFilter {
            status: self.status,
            challenge: self.challenge,
        }
    }
}

/// Every payout, newest first, filtered (platform admins; at most 500, the CSV has all).
#[utoipa::path(get, path = "/api/v1/admin/payouts", tag = "admin", security(("bearer" = [])), params(AdminQuery),
    responses((status = 200, body = PayoutList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn admin_payouts(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    q: web::Query<AdminQuery>,
) -> AppResult<HttpResponse> {
    let (data, _) =
        queries::admin_lists(&state, q.into_inner().filter(), queries::ADMIN_LIMIT).await?;
    Ok(HttpResponse::Ok().json(PayoutList { data }))
}

/// Every refund to an organisation, newest first, filtered (platform admins).
#[utoipa::path(get, path = "/api/v1/admin/refunds", tag = "admin", security(("bearer" = [])), params(AdminQuery),
    responses((status = 200, body = RefundList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn admin_refunds(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    q: web::Query<AdminQuery>,
) -> AppResult<HttpResponse> {
    let (_, data) =
        queries::admin_lists(&state, q.into_inner().filter(), queries::ADMIN_LIMIT).await?;
    Ok(HttpResponse::Ok().json(RefundList { data }))
}

/// Payouts and refunds as CSV, one line each (platform admins).
#[utoipa::path(get, path = "/api/v1/admin/payouts.csv", tag = "admin", security(("bearer" = [])), params(AdminQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn admin_csv(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
    q: web::Query<AdminQuery>,
) -> AppResult<HttpResponse> {
    let body = queries::admin_csv(&state, q.into_inner().filter()).await?;
    Ok(crate::judging::api::csv_response(
        "payouts.csv".into(),
        body,
    ))
}

/// A bank or provider reference.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaidRequest {
    /// The reference of the transfer sent (1–200 characters).
    pub reference: String,
}

/// Why a payment failed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailedRequest {
    /// 1–500 characters; the payee is told the payment failed.
    pub reason: String,
}

/// Record that a payout was sent (manual provider; platform admins). Journals it once; the last one settles the challenge.
#[utoipa::path(post, path = "/api/v1/admin/payouts/{id}/paid", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PaidRequest,
    responses((status = 200, body = PayoutView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "payout_paid, provider_managed"), (status = 422, body = Problem)))]
pub async fn payout_paid(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    body: crate::api::Json<PaidRequest>,
) -> AppResult<HttpResponse> {
    let v = service::record_payout_paid(
        &state,
        &admin.0.user.id,
        &path.into_inner(),
        &body.reference,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Record that a payout failed (manual provider; platform admins). It can be recorded as paid later.
#[utoipa::path(post, path = "/api/v1/admin/payouts/{id}/failed", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = FailedRequest,
    responses((status = 200, body = PayoutView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "payout_paid, provider_managed"), (status = 422, body = Problem)))]
pub async fn payout_failed(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    body: crate::api::Json<FailedRequest>,
) -> AppResult<HttpResponse> {
    let v =
        service::record_payout_failed(&state, &admin.0.user.id, &path.into_inner(), &body.reason)
            .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Record that a refund was sent to the organisation (manual provider; platform admins).
#[utoipa::path(post, path = "/api/v1/admin/refunds/{id}/paid", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PaidRequest,
    responses((status = 200, body = queries::RefundView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "refund_paid, provider_managed"), (status = 422, body = Problem)))]
pub async fn refund_paid(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    body: crate::api::Json<PaidRequest>,
) -> AppResult<HttpResponse> {
    let v = service::record_refund_paid(
        &state,
        &admin.0.user.id,
        &path.into_inner(),
        &body.reference,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Record that a refund failed (manual provider; platform admins).
#[utoipa::path(post, path = "/api/v1/admin/refunds/{id}/failed", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = FailedRequest,
    responses((status = 200, body = queries::RefundView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "refund_paid, provider_managed"), (status = 422, body = Problem)))]
pub async fn refund_failed(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    body: crate::api::Json<FailedRequest>,
) -> AppResult<HttpResponse> {
    let v =
        service::record_refund_failed(&state, &admin.0.user.id, &path.into_inner(), &body.reason)
            .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The answer to a provider's webhook.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct WebhookReceipt {
    /// `applied`, `duplicate` or `ignored`.
    pub outcome: String,
}

/// Stripe's webhook endpoint (platform and Connect events). Verifies the
/// `Stripe-Signature` header over the raw body (300 s tolerance), acts on
/// each event once, in any order.
#[utoipa::path(post, path = "/api/v1/webhooks/stripe", tag = "money",
    params(("Stripe-Signature" = String, Header, description = "t=…,v1=…")),
    request_body(content = String, content_type = "application/json", description = "A Stripe event, as Stripe sent it"),
    responses((status = 200, body = WebhookReceipt), (status = 400, body = Problem, description = "invalid_signature"),
        (status = 404, body = Problem, description = "payments are manual"), (status = 503, body = Problem, description = "Stripe could not be asked; it delivers again")))]
pub async fn stripe_webhook(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let signature = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            crate::error::AppError::bad_request(
                "invalid_signature",
                "The Stripe-Signature header is missing.",
            )
        })?;
    let text = std::str::from_utf8(&body).map_err(|_| {
        crate::error::AppError::bad_request("invalid_signature", "The body is not UTF-8.")
    })?;
    let outcome = super::webhook::receive(&state, text, signature).await?;
    let outcome = match outcome {
        super::webhook::Outcome::Applied => "applied",
        super::webhook::Outcome::Duplicate => "duplicate",
        super::webhook::Outcome::Ignored => "ignored",
    };
    Ok(HttpResponse::Ok().json(WebhookReceipt {
        outcome: outcome.into(),
    }))
}

/// Where to set up or finish a payout account.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct OnboardingLink {
    /// A one-time link to the provider's onboarding (expires within minutes).
    pub url: String,
}

/// A fresh onboarding link for my payout account (Stripe), created with the
/// account on first use. 409 `no_payouts` when nothing is owed to me.
#[utoipa::path(post, path = "/api/v1/me/payouts/onboarding", tag = "me", security(("bearer" = [])),
    responses((status = 200, body = OnboardingLink), (status = 404, body = Problem, description = "payments are manual"),
        (status = 409, body = Problem, description = "no_payouts"), (status = 503, body = Problem)))]
pub async fn onboarding(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let url = super::service::onboarding_link(&state, &user.user.id).await?;
    Ok(HttpResponse::Ok().json(OnboardingLink { url }))
}

/// Send a failed payout again through the provider (Stripe; platform admins), under a new idempotency key (a refusal moved nothing).
#[utoipa::path(post, path = "/api/v1/admin/payouts/{id}/retry", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = PayoutView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not_failed, manual_payment")))]
pub async fn retry_payout(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let v = service::retry_payout(&state, &admin.0.user.id, &path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Send a failed refund again through the provider (Stripe; platform admins).
#[utoipa::path(post, path = "/api/v1/admin/refunds/{id}/retry", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = queries::RefundView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not_failed, manual_payment")))]
pub async fn retry_refund(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let v = service::retry_refund(&state, &admin.0.user.id, &path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(v))
}
