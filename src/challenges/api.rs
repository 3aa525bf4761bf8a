//! JSON handlers for challenges: the challenges themselves, their money
//! (escrow, funding requests), what solvers and the organisation do on them
//! (rules versions, registrations, questions, announcements) and the
//! platform admin's queues and settings.
//!
//! Handlers parse, call one use case of [`super::service`] or one read of
//! [`super::queries`], and answer; when a write returns a challenge, the
//! answer is its view. The views belong to the queries and are re-exported
//! here, where the API's readers look for them.

pub use super::queries::{
    summaries, view, ChallengePage, ChallengeSummary, ChallengeView, ListParams, OrgRef,
};

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::queries::{
    self, announcement_view, funding_view, question_view, registration_view, AnnouncementView,
    FundingView, MyRegistration, QuestionView, Registrant, RegistrationView,
};
use super::service::{self, ChallengeInput, Published, Settings};
use crate::audit::AuditRecord;
use crate::auth::extract::{AuthUser, PlatformAdmin, Principal};
use crate::error::{AppError, AppResult, Problem};
use crate::money::model::EscrowSummary;
use crate::state::AppState;

// ---- the challenges ----

/// The organisation's view of a challenge a write returned.
async fn organiser_view(
    state: &AppState,
    ch: queries::Challenge,
    who: Option<Principal>,
) -> AppResult<ChallengeView> {
    queries::view_of(state, ch, who, true).await
}

/// List and search public challenges.
#[utoipa::path(get, path = "/api/v1/challenges", operation_id = "list_challenges", tag = "challenges", params(ListParams),
    responses((status = 200, body = ChallengePage), (status = 400, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let page = queries::list(&state, params.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a draft challenge for an organisation.
#[utoipa::path(post, path = "/api/v1/challenges", operation_id = "create_challenge", tag = "challenges", security(("bearer" = [])), request_body = ChallengeInput,
    responses((status = 201, body = ChallengeView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    body: crate::api::Json<ChallengeInput>,
) -> AppResult<HttpResponse> {
    let ch = service::create_from_input(&state, &who, body.into_inner()).await?;
    let v = organiser_view(&state, ch, Some(who)).await?;
    Ok(HttpResponse::Created().json(v))
}

/// A challenge (by id or slug). Drafts only for their organisation.
#[utoipa::path(get, path = "/api/v1/challenges/{id}", operation_id = "show_challenge", tag = "challenges", params(("id" = String, Path, description = "id or slug")),
    responses((status = 200, body = ChallengeView), (status = 404, body = Problem)))]
pub async fn show(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let v = queries::challenge(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Edit a challenge: everything while a draft, texts and tags once open.
#[utoipa::path(patch, path = "/api/v1/challenges/{id}", operation_id = "update_challenge", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ChallengeInput,
    responses((status = 200, body = ChallengeView), (status = 404, body = Problem), (status = 409, body = Problem, description = "locked_after_publish"), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: crate::api::Json<ChallengeInput>,
) -> AppResult<HttpResponse> {
    let ch = service::update(&state, &who, &path.into_inner(), body.into_inner()).await?;
    let v = organiser_view(&state, ch, Some(who)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The outcome of publishing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishResponse {
    /// `open`, or `awaiting_review` when the platform reviews challenges first.
    pub outcome: String,
    pub challenge: ChallengeView,
}

/// Publish a draft. 409 `escrow_insufficient` until escrow holds the whole pool.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/publish", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = PublishResponse), (status = 409, body = Problem, description = "escrow_insufficient, illegal_transition")))]
pub async fn publish(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (ch, outcome) = service::publish(&state, &who, &path.into_inner()).await?;
    let challenge = organiser_view(&state, ch, Some(who)).await?;
    let outcome = match outcome {
        Published::Open => "open",
        Published::AwaitingReview => "awaiting_review",
    }
    .to_owned();
    Ok(HttpResponse::Ok().json(PublishResponse { outcome, challenge }))
}

/// Why a challenge is cancelled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Shown on the challenge's public page; 1–1000 characters.
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// Cancel a challenge (draft, open or closed); escrow goes back to the organisation.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/cancel", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = CancelRequest,
    responses((status = 200, body = ChallengeView), (status = 409, body = Problem, description = "illegal_transition"),
        (status = 422, body = Problem, description = "validation_failed: the reason is missing or too long")))]
pub async fn cancel(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: crate::api::Json<CancelRequest>,
) -> AppResult<HttpResponse> {
    let ch = service::cancel(&state, &who, &path.into_inner(), &body.reason).await?;
    let v = organiser_view(&state, ch, Some(who)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// An organisation's public profile: its open and past public challenges
/// and the prizes it has awarded (anyone, signed in or not).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/profile", tag = "orgs", params(("slug" = String, Path)),
    responses((status = 200, body = super::queries::OrgProfile), (status = 404, body = Problem, description = "no such organisation, or it has not published a challenge yet")))]
pub async fn org_profile(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let p = super::queries::org_profile(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(p))
}

/// An organisation's challenges in every state (its dashboard).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/challenges", tag = "orgs", security(("bearer" = [])), params(("slug" = String, Path)),
    responses((status = 200, body = ChallengePage), (status = 404, body = Problem)))]
pub async fn of_org(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let page = queries::of_org(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

// ---- their money ----

/// The public escrow summary: pool, funded, awarded, refunded, balance.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/escrow", tag = "money", params(("id" = String, Path)),
    responses((status = 200, body = EscrowSummary), (status = 404, body = Problem)))]
pub async fn escrow(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let s = queries::escrow(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Ask to fund what the prize pool still lacks (manual provider: an admin confirms receipt).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/funding", tag = "money", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 201, body = FundingView), (status = 409, body = Problem, description = "already_funded")))]
pub async fn request_funding(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let f = service::request_funding(&state, &who, &path.into_inner()).await?;
    Ok(HttpResponse::Created().json(funding_view(f, state.config.bank_details())?))
}

/// Funding requests of a challenge.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundingList {
    pub data: Vec<FundingView>,
}

/// The challenge's funding requests (its organisation).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/fundings", tag = "money", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = FundingList), (status = 404, body = Problem)))]
pub async fn fundings(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let data = queries::fundings(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(FundingList { data }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The bank or payment reference of the money received.
    pub reference: String,
}

/// Record that a funding request's money arrived (platform admins). Moves clearing → escrow once.
#[utoipa::path(post, path = "/api/v1/admin/fundings/{id}/confirm", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ConfirmRequest,
    responses((status = 200, body = FundingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "funding_not_pending")))]
pub async fn confirm_funding(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    body: crate::api::Json<ConfirmRequest>,
) -> AppResult<HttpResponse> {
    let f = service::confirm_funding(
        &state,
        &admin.0.user.id,
        &path.into_inner(),
        &body.reference,
    )
    .await?;
    Ok(HttpResponse::Ok().json(funding_view(f, state.config.bank_details())?))
}

/// Funding requests waiting for confirmation (platform admins).
#[utoipa::path(get, path = "/api/v1/admin/fundings", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = FundingList), (status = 403, body = Problem)))]
pub async fn pending_fundings(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
) -> AppResult<HttpResponse> {
    let data = queries::pending_fundings(&state).await?;
    Ok(HttpResponse::Ok().json(FundingList { data }))
}

// ---- solvers and the organisation ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesRequest {
    /// Markdown.
    pub text: String,
}

/// A new rules version.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesVersion {
    pub version: i32,
}

/// Publish a new rules version; registered solvers accept it again before their next submission.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/rules", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RulesRequest, responses((status = 201, body = RulesVersion), (status = 409, body = Problem)))]
pub async fn new_rules(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: crate::api::Json<RulesRequest>,
) -> AppResult<HttpResponse> {
    let version =
        service::new_rules(&state, &who, &path.into_inner(), body.into_inner().text).await?;
    Ok(HttpResponse::Created().json(RulesVersion { version }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChallengeRegistrationRequest)]
pub struct RegisterRequest {
    /// The rules version being accepted: must be the current one.
    pub rules_version: i32,
    /// Must be true: registering means accepting the rules.
    pub accept_rules: bool,
}

/// Register for an open challenge by accepting its current rules (201), or accept a newer version (200).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/registrations", operation_id = "register_for_challenge", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RegisterRequest,
    responses((status = 201, body = RegistrationView), (status = 200, body = RegistrationView),
              (status = 409, body = Problem, description = "deadline_passed, challenge_not_open, rules_version_mismatch"), (status = 422, body = Problem)))]
pub async fn register(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: crate::api::Json<RegisterRequest>,
) -> AppResult<HttpResponse> {
    if !body.accept_rules {
        return Err(AppError::field(
            "accept_rules",
            "required",
            "Registering means accepting the rules.",
        ));
    }
    let (r, new) = service::register(
        &state,
        &user.user.id,
        &path.into_inner(),
        body.rules_version,
    )
    .await?;
    let v = registration_view(r);
    Ok(if new {
        HttpResponse::Created().json(v)
    } else {
        HttpResponse::Ok().json(v)
    })
}

/// Who registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrantList {
    pub count: usize,
    pub data: Vec<Registrant>,
}

/// Registered solvers (the challenge's organisation).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/registrations", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RegistrantList), (status = 404, body = Problem)))]
pub async fn registrants(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let data = queries::registrants(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(RegistrantList {
        count: data.len(),
        data,
    }))
}

/// My registrations.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyRegistrations {
    pub data: Vec<MyRegistration>,
}

/// The challenges I registered for.
#[utoipa::path(get, path = "/api/v1/me/registrations", tag = "me", security(("bearer" = [])), responses((status = 200, body = MyRegistrations)))]
pub async fn my_registrations(
    state: web::Data<AppState>,
    user: AuthUser,
) -> AppResult<HttpResponse> {
    let data = queries::my_registrations(&state, user.user.id).await?;
    Ok(HttpResponse::Ok().json(MyRegistrations { data }))
}

/// Questions visible to the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionList {
    pub data: Vec<QuestionView>,
}

/// Questions: answered public ones for everyone, your own, all for the organisation.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/questions", tag = "challenges", params(("id" = String, Path)),
    responses((status = 200, body = QuestionList), (status = 404, body = Problem)))]
pub async fn questions(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let data = queries::questions(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(QuestionList { data }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    pub body: String,
    /// Public questions are shown to everyone once answered; private ones only to you and the organisation.
    #[serde(default = "yes")]
    pub is_public: bool,
}

fn yes() -> bool {
    true
}

/// Ask a question (registered solvers).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/questions", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = AskRequest,
    responses((status = 201, body = QuestionView), (status = 403, body = Problem, description = "registration_required")))]
pub async fn ask(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: crate::api::Json<AskRequest>,
) -> AppResult<HttpResponse> {
    let q = service::ask(
        &state,
        &user.user.id,
        &path.into_inner(),
        &body.body,
        body.is_public,
    )
    .await?;
    Ok(HttpResponse::Created().json(question_view(q, Some(&user.user.id))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    pub answer: String,
}

/// Answer a question (the organisation); the asker gets an email.
#[utoipa::path(post, path = "/api/v1/questions/{id}/answer", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = AnswerRequest, responses((status = 200, body = QuestionView), (status = 404, body = Problem)))]
pub async fn answer(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: crate::api::Json<AnswerRequest>,
) -> AppResult<HttpResponse> {
    let q = service::answer(&state, &who, &path.into_inner(), &body.answer).await?;
    Ok(HttpResponse::Ok().json(question_view(q, None)))
}

/// Announcements, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementList {
    pub data: Vec<AnnouncementView>,
}

/// A challenge's announcements.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/announcements", tag = "challenges", params(("id" = String, Path)),
    responses((status = 200, body = AnnouncementList), (status = 404, body = Problem)))]
pub async fn announcements(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let data = queries::announcements(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(AnnouncementList { data }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnounceRequest {
    pub title: String,
    /// Markdown.
    pub body: String,
}

/// Post an announcement; every registrant is emailed in their language.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/announcements", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = AnnounceRequest, responses((status = 201, body = AnnouncementView), (status = 404, body = Problem)))]
pub async fn announce(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: crate::api::Json<AnnounceRequest>,
) -> AppResult<HttpResponse> {
    let (a, _) =
        service::announce(&state, &who, &path.into_inner(), &body.title, &body.body).await?;
    Ok(HttpResponse::Created().json(announcement_view(a)))
}

/// A challenge's audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeAudit {
    pub data: Vec<AuditRecord>,
}

/// Every change to a challenge: who, what, when (its organisation).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/audit", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ChallengeAudit), (status = 404, body = Problem)))]
pub async fn audit_trail(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let data = queries::audit_trail(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ChallengeAudit { data }))
}

// ---- the platform admin ----

/// Challenges waiting for review (platform admins).
#[utoipa::path(get, path = "/api/v1/admin/reviews", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = ChallengePage), (status = 403, body = Problem)))]
pub async fn reviews(state: web::Data<AppState>, _admin: PlatformAdmin) -> AppResult<HttpResponse> {
    let page = queries::awaiting_review(&state).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewRequest {
    pub comment: Option<String>,
    /// The review version read (`review.version` of the challenge); when
    /// given, a challenge that changed since is refused with 409 `review_outdated`.
    pub version: Option<String>,
}

/// Approve a challenge waiting for review: it opens.
#[utoipa::path(post, path = "/api/v1/admin/reviews/{id}/approve", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ReviewRequest,
    responses((status = 200, body = ChallengeView), (status = 409, body = Problem)))]
pub async fn approve(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    body: Option<crate::api::Json<ReviewRequest>>,
) -> AppResult<HttpResponse> {
    let body = body.map(|b| b.into_inner()).unwrap_or_default();
    let ch = service::review_decision(
        &state,
        &admin.0.user.id,
        &path.into_inner(),
        true,
        body.comment,
        body.version,
    )
    .await?;
    let v = organiser_view(&state, ch, None).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Ask for changes to a challenge waiting for review, with a comment.
#[utoipa::path(post, path = "/api/v1/admin/reviews/{id}/request-changes", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ReviewRequest,
    responses((status = 200, body = ChallengeView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_changes(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    body: crate::api::Json<ReviewRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let ch = service::review_decision(
        &state,
        &admin.0.user.id,
        &path.into_inner(),
        false,
        body.comment,
        body.version,
    )
    .await?;
    let v = organiser_view(&state, ch, None).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Read platform settings (platform admins).
#[utoipa::path(get, path = "/api/v1/admin/settings", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Settings)))]
pub async fn settings(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
) -> AppResult<HttpResponse> {
    let s = queries::settings(&state).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Change platform settings (platform admins).
#[utoipa::path(put, path = "/api/v1/admin/settings", tag = "admin", security(("bearer" = [])), request_body = Settings,
    responses((status = 200, body = Settings)))]
pub async fn put_settings(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    body: crate::api::Json<Settings>,
) -> AppResult<HttpResponse> {
    let s = service::change_settings(&state, &admin.0.user.id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(s))
}

// ---- resources ----

/// A challenge's resources and its cover: everyone who may read the
/// challenge sees the list; non-public files carry a download address only
/// for its organisation and registered solvers.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/resources", tag = "challenges", params(("id" = String, Path)),
    responses((status = 200, body = super::queries::ResourceList), (status = 404, body = Problem)))]
pub async fn resources(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let list = super::queries::resources(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A multipart upload: one file in the field `file`, nothing else.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResourceUpload)]
pub struct FileUpload {
    /// The file's bytes (its type is detected from the content).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Who may download an uploaded resource.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ResourceQuery {
    /// Everyone may download it; without it, only registered solvers (and the organisation).
    pub public: Option<bool>,
}

/// Attach a file to a challenge (multipart, field `file`; organisation members who edit challenges); at most 20.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/resources", tag = "challenges", security(("bearer" = [])),
    params(("id" = String, Path), ResourceQuery),
    request_body(content = FileUpload, content_type = "multipart/form-data", description = "A field named `file`"),
    responses((status = 201, body = super::queries::Resource), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "too_many_resources, challenge_over"), (status = 413, body = Problem),
        (status = 422, body = Problem, description = "the file is missing or empty")))]
pub async fn add_resource(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    q: web::Query<ResourceQuery>,
    payload: actix_multipart::Multipart,
) -> AppResult<HttpResponse> {
    let r = upload_resource(
        &state,
        &who,
        &path.into_inner(),
        payload,
        q.public.unwrap_or(false),
        false,
    )
    .await?;
    Ok(HttpResponse::Created().json(r))
}

/// Set the challenge's cover image (multipart, field `file`: PNG, JPEG or WebP, at most 5 MB); replaces the previous one.
#[utoipa::path(put, path = "/api/v1/challenges/{id}/cover", tag = "challenges", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content = FileUpload, content_type = "multipart/form-data", description = "A field named `file`"),
    responses((status = 201, body = super::queries::Resource), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "challenge_over"), (status = 413, body = Problem),
        (status = 422, body = Problem, description = "not_an_image: the file is missing, empty or not a PNG, JPEG or WebP image")))]
pub async fn set_cover(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    payload: actix_multipart::Multipart,
) -> AppResult<HttpResponse> {
    let r = upload_resource(&state, &who, &path.into_inner(), payload, true, true).await?;
    Ok(HttpResponse::Created().json(r))
}

/// Streams the `file` field into staging once the service has said how many
/// bytes the caller may add, then records it.
async fn upload_resource(
    state: &AppState,
    who: &Principal,
    key: &str,
    mut payload: actix_multipart::Multipart,
    public: bool,
    cover: bool,
) -> AppResult<super::queries::Resource> {
    let max = service::resource_slot(state, who, key, cover).await?;
    let (name, field) = crate::submissions::upload::file_field(&mut payload)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "file",
                "required",
                "Send the file in a multipart field named \"file\".",
            )
        })?;
    let staged = state.blobs.stage(field, max).await?;
    service::add_resource(state, who, key, &name, staged, public, cover).await
}

/// Download a resource: always as a file, never rendered.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/resources/{resource_id}", tag = "challenges",
    params(("id" = String, Path), ("resource_id" = String, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = Problem)))]
pub async fn download_resource(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (key, id) = path.into_inner();
    let (r, title) = super::queries::resource_file(&state, who, key, id).await?;
    let (size, stream) = state.blobs.open(&r.sha256).await?;
    let notice = format!("{} — a resource of the challenge {title}", r.filename);
    Ok(crate::web::download(
        crate::web::Download {
            size,
            filename: &r.filename,
            content_type: crate::submissions::model::served_type(&r.content_type),
            sha256: &r.sha256,
            notice: &notice,
            licence_url: None,
        },
        stream,
    ))
}

/// Take a resource or the cover down (organisation members who edit challenges).
#[utoipa::path(delete, path = "/api/v1/challenges/{id}/resources/{resource_id}", tag = "challenges", security(("bearer" = [])),
    params(("id" = String, Path), ("resource_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem, description = "challenge_over")))]
pub async fn remove_resource(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (key, id) = path.into_inner();
    service::remove_resource(&state, &who, &key, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The challenge's registrants as CSV: name, email, rules version and
/// dates (its organisation).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/registrants.csv", tag = "challenges", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn registrants_csv(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let body = queries::export_csv(&state, who, path.into_inner(), "registrants").await?;
    Ok(crate::judging::api::csv_response(
        "registrants.csv".into(),
        body,
    ))
}

/// The challenge's entries as CSV: id, title, team, state, revision (its
/// organisation; drafts stay with their teams).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/entries.csv", tag = "challenges", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn entries_csv(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let body = queries::export_csv(&state, who, path.into_inner(), "entries").await?;
    Ok(crate::judging::api::csv_response(
        "entries.csv".into(),
        body,
    ))
}
