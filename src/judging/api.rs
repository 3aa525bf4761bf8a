//! JSON handlers for judging: the panel, judge invitations, rounds and
//! their rubric, assignment, conflicts, scorecards, leaderboards, CSV
//! exports and results. Each parses, calls one service or queries
//! function, and answers.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::TierDecision;
use super::queries::{self, board::Leaderboard, results::ResultsView, views};
use super::service::{panel, results, rounds, scoring};
use crate::api::Json;
use crate::auth::extract::{AuthUser, Principal};
use crate::error::{AppResult, Problem};
use crate::state::AppState;

/// An invitation to judge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeInvite {
    /// The judge's email address (they may have no account yet).
    #[schema(min_length = 3, max_length = 254)]
    pub email: String,
}

/// List the panel of a challenge (its organisation).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/judges", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path, description = "Challenge id or slug")),
    responses((status = 200, body = views::JudgeList), (status = 404, body = Problem)))]
pub async fn list_judges(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    let data = state.db(move |c| queries::panel_for(c, &who, &key)).await?;
    Ok(HttpResponse::Ok().json(views::JudgeList { data }))
}

/// Invite a judge by email (organisation admins; keys with `judging:write`).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/judges", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path, description = "Challenge id or slug")), request_body = JudgeInvite,
    responses((status = 201, description = "Invited", body = InvitedJudge)))]
pub async fn invite_judge(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<JudgeInvite>,
) -> AppResult<HttpResponse> {
    let j = panel::invite(&state, &who, &path.into_inner(), &body.email).await?;
    Ok(HttpResponse::Created().json(InvitedJudge {
        id: j.id,
        email: j.email,
        status: j.status,
    }))
}

/// A judge just invited.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitedJudge {
    pub id: String,
    pub email: String,
    pub status: String,
}

/// Take a judge off the panel; their unfinished scorecards are unassigned.
#[utoipa::path(delete, path = "/api/v1/challenges/{id}/judges/{judge_id}", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path), ("judge_id" = String, Path)),
    responses((status = 204, description = "Removed")))]
pub async fn remove_judge(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (key, judge) = path.into_inner();
    panel::remove(&state, &who, &key, &judge).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The token of a judge invitation link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationToken {
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
}

/// The answer to an invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationAnswer {
    pub judge_id: String,
    pub challenge_id: String,
    /// `active` or `declined`.
    pub status: String,
}

async fn answer(
    state: &AppState,
    user: &AuthUser,
    token: String,
    accept: bool,
) -> AppResult<HttpResponse> {
    let j = panel::respond(state, user, panel::Invitation::Token(token), accept).await?;
    Ok(HttpResponse::Ok().json(InvitationAnswer {
        judge_id: j.id,
        challenge_id: j.challenge_id,
        status: j.status,
    }))
}

/// Accept an invitation to judge (the signed-in account's email must be the invited one).
#[utoipa::path(post, path = "/api/v1/judge-invitations/accept", tag = "judging", security(("bearer" = [])),
    request_body = InvitationToken,
    responses((status = 200, body = InvitationAnswer), (status = 409, body = Problem, description = "invitation_not_pending")))]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<InvitationToken>,
) -> AppResult<HttpResponse> {
    answer(&state, &user, body.into_inner().token, true).await
}

/// Decline an invitation to judge.
#[utoipa::path(post, path = "/api/v1/judge-invitations/decline", tag = "judging", security(("bearer" = [])),
    request_body = InvitationToken,
    responses((status = 200, body = InvitationAnswer), (status = 409, body = Problem, description = "invitation_not_pending")))]
pub async fn decline_invitation(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<InvitationToken>,
) -> AppResult<HttpResponse> {
    answer(&state, &user, body.into_inner().token, false).await
}

/// Invitations to judge waiting for the signed-in person.
#[derive(Debug, Serialize, ToSchema)]
pub struct JudgeInvitationList {
    pub data: Vec<views::JudgeInvitationView>,
}

/// My pending invitations to judge.
#[utoipa::path(get, path = "/api/v1/me/judge-invitations", operation_id = "my_judge_invitations", tag = "judging", security(("bearer" = [])),
    responses((status = 200, body = JudgeInvitationList)))]
pub async fn my_invitations(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let email = user.user.email.clone();
    let data = state.db(move |c| views::invitations_for(c, &email)).await?;
    Ok(HttpResponse::Ok().json(JudgeInvitationList { data }))
}

/// The rounds of a challenge: every round for its organisation; for anyone
/// the first round's rubric from publication on, later rounds' once open.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/rounds", tag = "judging",
    params(("id" = String, Path, description = "Challenge id or slug")),
    responses((status = 200, body = views::RoundList)))]
pub async fn list_rounds(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    let data = state
        .db(move |c| queries::rounds_for(c, who.as_ref(), &key))
        .await?;
    Ok(HttpResponse::Ok().json(views::RoundList { data }))
}

/// Add a round with its rubric (the next number; a later round takes the
/// shortlist of the one before it).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/rounds", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path, description = "Challenge id or slug")), request_body = rounds::RoundInput,
    responses((status = 201, body = views::RoundView)))]
pub async fn create_round(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<rounds::RoundInput>,
) -> AppResult<HttpResponse> {
    let r = rounds::create(&state, &who, &path.into_inner(), body.into_inner()).await?;
    let v = state.db(move |c| views::round_view(c, &r, true)).await?;
    Ok(HttpResponse::Created().json(v))
}

/// A round: in full for its organisation; settings and rubric for its judges.
#[utoipa::path(get, path = "/api/v1/rounds/{id}", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = views::RoundView)))]
pub async fn show_round(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let v = state.db(move |c| queries::round_for(c, &who, &id)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Change a draft round's settings and rubric.
#[utoipa::path(patch, path = "/api/v1/rounds/{id}", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = rounds::RoundInput,
    responses((status = 200, body = views::RoundView)))]
pub async fn update_round(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<rounds::RoundInput>,
) -> AppResult<HttpResponse> {
    let r = rounds::update(&state, &who, &path.into_inner(), body.into_inner()).await?;
    let v = state.db(move |c| views::round_view(c, &r, true)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// A round just opened.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundOpened {
    pub round: views::RoundView,
    pub assignment: rounds::AssignmentReport,
}

/// Open a round: its entries are fixed (the revision in force at the
/// deadline) and judges assigned. The first round moves the challenge to
/// `judging`.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/open", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = RoundOpened)))]
pub async fn open_round(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (r, assignment) = rounds::open(&state, &who, &path.into_inner()).await?;
    let round = state.db(move |c| views::round_view(c, &r, true)).await?;
    Ok(HttpResponse::Ok().json(RoundOpened { round, assignment }))
}

/// A pair to make by hand; leave both out to run the assignment.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairRequest {
    pub judge_id: Option<String>,
    pub submission_id: Option<String>,
}

/// Assign judges: with no body (or `{}`) tops every entry up to the round's
/// judges per entry (conflicts skipped, work spread evenly, existing pairs
/// kept); with `judge_id` and `submission_id` adds that pair by hand.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/assignments", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content = PairRequest, description = "Optional"),
    responses((status = 200, body = rounds::AssignmentReport)))]
pub async fn assign(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Option<Json<PairRequest>>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let pair = body.map(|b| b.into_inner()).unwrap_or_default();
    let report = match (pair.judge_id, pair.submission_id) {
        (Some(j), Some(s)) => {
            rounds::set_pair(&state, &who, &id, &j, &s, true).await?;
            rounds::assign(&state, &who, &id).await?
        }
        (None, None) => rounds::assign(&state, &who, &id).await?,
        _ => {
            return Err(crate::error::AppError::field(
                "judge_id",
                "required",
                "Give both judge_id and submission_id, or neither.",
            ))
        }
    };
    Ok(HttpResponse::Ok().json(report))
}

/// Take a pair apart by hand (the round stays open).
#[utoipa::path(delete, path = "/api/v1/rounds/{id}/assignments/{judge_id}/{submission_id}", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path), ("judge_id" = String, Path), ("submission_id" = String, Path)),
    responses((status = 204, description = "Removed")))]
pub async fn unassign(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String, String)>,
) -> AppResult<HttpResponse> {
    let (round, judge, submission) = path.into_inner();
    rounds::set_pair(&state, &who, &round, &judge, &submission, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Close a round: its scorecards are frozen.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/close", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = views::RoundView)))]
pub async fn close_round(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let r = rounds::close(&state, &who, &path.into_inner()).await?;
    let v = state.db(move |c| views::round_view(c, &r, true)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Declare a conflict of interest with an entry of the round (judges).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/conflicts", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = scoring::ConflictInput,
    responses((status = 204, description = "Recorded; the entry gets another judge")))]
pub async fn declare_conflict(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: Json<scoring::ConflictInput>,
) -> AppResult<HttpResponse> {
    scoring::declare_conflict(&state, &user, &path.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The entries of a round by title and code, for one of its judges (to
/// declare conflicts before scoring).
#[utoipa::path(get, path = "/api/v1/rounds/{id}/entries", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = views::JudgeRoundView)))]
pub async fn round_entries(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (uid, id) = (user.user.id.clone(), path.into_inner());
    let v = state.db(move |c| views::judge_round(c, &uid, &id)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The leaderboard of a round (its organisation and its judges; never public).
#[utoipa::path(get, path = "/api/v1/rounds/{id}/leaderboard", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Leaderboard)))]
pub async fn leaderboard(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let v = state
        .db(move |c| queries::leaderboard_for(c, &who, &id))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// A CSV file as a download.
pub fn csv_response(name: String, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body)
}

/// The leaderboard as CSV (RFC 4180, UTF-8, header row).
#[utoipa::path(get, path = "/api/v1/rounds/{id}/leaderboard.csv", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv")))]
pub async fn leaderboard_csv(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = state
        .db(move |c| {
            let b = queries::leaderboard_for(c, &who, &id)?;
            queries::board::leaderboard_csv(&b)
        })
        .await?;
    Ok(csv_response("leaderboard.csv".into(), body))
}

/// Every scorecard of a round as CSV (its organisation).
#[utoipa::path(get, path = "/api/v1/rounds/{id}/scorecards.csv", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv")))]
pub async fn scorecards_csv(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = state
        .db(move |c| queries::scorecards_csv_for(c, &who, &id))
        .await?;
    Ok(csv_response("scorecards.csv".into(), body))
}

/// My assignments, across the panels I am on.
#[utoipa::path(get, path = "/api/v1/me/assignments", tag = "judging", security(("bearer" = [])),
    responses((status = 200, body = views::AssignmentList)))]
pub async fn my_assignments(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let uid = user.user.id.clone();
    let data = state.db(move |c| views::my_assignments(c, &uid)).await?;
    Ok(HttpResponse::Ok().json(views::AssignmentList { data }))
}

/// One of my assignments: the entry as judged, the rubric, my scorecard.
#[utoipa::path(get, path = "/api/v1/assignments/{id}", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = views::JudgedEntry)))]
pub async fn show_assignment(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (uid, id) = (user.user.id.clone(), path.into_inner());
    let v = state
        .db(move |c| views::judged_entry(c, &uid, &id, "/api/v1"))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Save my scorecard (a draft, or `submit`); editable until the round closes.
#[utoipa::path(put, path = "/api/v1/assignments/{id}/scorecard", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = scoring::ScorecardInput,
    responses((status = 200, body = views::ScorecardView)))]
pub async fn save_scorecard(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: Json<scoring::ScorecardInput>,
) -> AppResult<HttpResponse> {
    let (uid, id) = (user.user.id.clone(), path.into_inner());
    scoring::save(&state, &user, &id, body.into_inner()).await?;
    let v = state
        .db(move |c| views::judged_entry(c, &uid, &id, "/api/v1"))
        .await?;
    Ok(HttpResponse::Ok().json(v.scorecard))
}

/// A file of an entry I judge (a neutral name in a blind round).
#[utoipa::path(get, path = "/api/v1/assignments/{id}/files/{index}", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path), ("index" = u32, Path, description = "1 for the first file")),
    responses((status = 200, description = "The file")))]
pub async fn judged_file(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, u32)>,
) -> AppResult<HttpResponse> {
    let (id, index) = path.into_inner();
    let uid = user.user.id.clone();
    let (a, name, notice) = state
        .db(move |c| views::judged_file(c, &uid, &id, index as usize))
        .await?;
    let (size, stream) = state.blobs.open(&a.sha256).await?;
    Ok(crate::web::download(
        crate::web::Download {
            size,
            filename: &name,
            content_type: crate::submissions::model::served_type(&a.content_type),
            sha256: &a.sha256,
            notice: &notice,
            licence_url: None,
        },
        stream,
    ))
}

/// Publish the results: map the final ranking onto the prize tiers (withhold
/// a tier with no entries; split one between tied entries). Moves each prize
/// from escrow to its winners, refunds the rest, publishes the solutions.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/results", tag = "judging", security(("bearer" = [])),
    params(("id" = String, Path, description = "Challenge id or slug")), request_body = ResultsRequest,
    responses((status = 201, body = ResultsView), (status = 409, body = Problem, description = "results_published, round_not_closed, not_judging")))]
pub async fn publish_results(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: Json<ResultsRequest>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    let b = body.into_inner();
    results::publish(
        &state,
        &who,
        &key,
        results::ResultsInput {
            tiers: b.tiers,
            show_scores: b.show_scores,
        },
    )
    .await?;
    let v = state
        .db(move |c| queries::results_for(c, None, &key))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

/// Results as the organisation sends them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultsRequest {
    /// Every prize tier once: its winners (several share it; none withholds it).
    pub tiers: Vec<TierDecision>,
    /// Show scores on the public results page.
    #[serde(default)]
    pub show_scores: bool,
}

/// The published results of a challenge (404 until they are published).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/results", tag = "judging",
    params(("id" = String, Path, description = "Challenge id or slug")),
    responses((status = 200, body = ResultsView)))]
pub async fn show_results(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    let v = state
        .db(move |c| queries::results_for(c, who.as_ref(), &key))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}
