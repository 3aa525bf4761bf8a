//! JSON handlers for submissions, teams, attachments and the gallery: each
//! parses, calls one use case of [`super::service`] or one read of
//! [`super::queries`], and answers.

use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model;
use super::queries::{self, attachment_view, ORGANISER, TEAM};
pub use super::queries::{
    attribution, AttachmentView, ChallengeRef, GalleryParams, MyInvitation, RevisionRef,
    RevisionView, SubmissionView, TeamMemberView,
};
use super::service::{self, ShareInput, SubmissionInput, TeamRulesInput};
use crate::auth::extract::{AuthUser, Principal};
use crate::challenges::model::Licence;
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;

/// A page of submissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionList {
    pub data: Vec<SubmissionView>,
}

/// Enter a submission (registered solvers; a team of one is created).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/submissions", operation_id = "create_submission", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = SubmissionInput,
    responses((status = 201, body = SubmissionView), (status = 403, body = Problem, description = "registration_required"),
              (status = 409, body = Problem, description = "deadline_passed, submission_limit_reached, rules_acceptance_required"),
              (status = 422, body = Problem, description = "licence not allowed, …")))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: crate::api::Json<SubmissionInput>,
) -> AppResult<HttpResponse> {
    let (s, _) =
        service::create(&state, &user.user.id, &path.into_inner(), body.into_inner()).await?;
    let v = queries::view_as(&state, s, TEAM).await?;
    Ok(HttpResponse::Created().json(v))
}

/// Submissions of a challenge the caller may see: all for the organisation,
/// your team's for a solver, published ones for everyone.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/submissions", operation_id = "list_submissions", tag = "submissions", params(("id" = String, Path)),
    responses((status = 200, body = SubmissionList), (status = 404, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let data = queries::of_challenge(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(SubmissionList { data }))
}

/// A submission (404 for anyone who may not see it).
#[utoipa::path(get, path = "/api/v1/submissions/{id}", operation_id = "show_submission", tag = "submissions", params(("id" = String, Path)),
    responses((status = 200, body = SubmissionView), (status = 404, body = Problem)))]
pub async fn show(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let v = queries::one(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Edit before the deadline: each edit is a new immutable revision.
#[utoipa::path(patch, path = "/api/v1/submissions/{id}", operation_id = "update_submission", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = SubmissionInput,
    responses((status = 200, body = SubmissionView), (status = 404, body = Problem), (status = 409, body = Problem, description = "deadline_passed"), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: crate::api::Json<SubmissionInput>,
) -> AppResult<HttpResponse> {
    if body.draft.is_some() {
        return Err(AppError::field(
            "draft",
            "create_only",
            "Use submit: true to enter a draft.",
        ));
    }
    let (s, _) =
        service::revise(&state, &user.user.id, &path.into_inner(), body.into_inner()).await?;
    let v = queries::view_as(&state, s, TEAM).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Every revision of a submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionList {
    pub data: Vec<RevisionView>,
}

/// The revisions of a submission, oldest first.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/revisions", tag = "submissions", params(("id" = String, Path)),
    responses((status = 200, body = RevisionList), (status = 404, body = Problem)))]
pub async fn revisions(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let data = queries::revisions(&state, who, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(RevisionList { data }))
}

/// A new attachment and the revision that includes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentAdded {
    pub attachment: AttachmentView,
    pub revision: RevisionRef,
}

/// Upload an attachment (multipart, field `file`); the type is detected from the content.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/attachments", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "A field named `file`"),
    responses((status = 201, body = AttachmentAdded), (status = 409, body = Problem), (status = 413, body = Problem)))]
pub async fn upload(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    mut payload: Multipart,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    // Who may upload, and how much, is settled before the body is read.
    let max = service::upload_slot(&state, &user.user.id, &id).await?;
    let (name, field) = super::upload::file_field(&mut payload)
        .await?
        .ok_or_else(|| {
            AppError::field(
                "file",
                "required",
                "Send the file in a multipart field named \"file\".",
            )
        })?;
    let staged = state.blobs.stage(field, max).await?;
    let (a, rev) = service::add_staged(&state, &user.user.id, &id, &name, staged).await?;
    Ok(HttpResponse::Created().json(AttachmentAdded {
        attachment: attachment_view(&id, a),
        revision: RevisionRef::from(&rev),
    }))
}

/// Download an attachment: always as a file, never rendered, with a licence notice.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/attachments/{attachment_id}", tag = "submissions",
    params(("id" = String, Path), ("attachment_id" = String, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = Problem)))]
pub async fn download(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, aid) = path.into_inner();
    let (a, rev) = queries::attachment(&state, who, id, aid).await?;
    let (size, stream) = state.blobs.open(&a.sha256).await?;
    let licence = Licence::parse(&rev.licence);
    let notice = attribution(&rev.title, &rev.copyright_holders, &rev.licence);
    Ok(crate::web::download(
        crate::web::Download {
            size,
            filename: &a.filename,
            content_type: model::served_type(&a.content_type),
            sha256: &a.sha256,
            notice: &notice,
            licence_url: licence.as_ref().map(|l| l.url.as_str()),
        },
        stream,
    ))
}

/// Agree to withdraw before the deadline (kept for the record, out of
/// judging). The entry is withdrawn once the team's rule is met: every
/// member agrees (`state` becomes `withdrawn`), or the creator alone when
/// the team chose so. Until then `team_rules.withdrawal_waiting_for` names
/// who must still agree.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/withdraw", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = SubmissionView), (status = 403, description = "`creator_decides`: the team gave its creator the sole say", body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn withdraw(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (s, _) = service::withdraw(&state, &user.user.id, &path.into_inner()).await?;
    let v = queries::view_as(&state, s, TEAM).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Take back my agreement to withdraw, while the withdrawal still waits
/// for the rest of the team.
#[utoipa::path(delete, path = "/api/v1/submissions/{id}/withdraw", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = SubmissionView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn keep(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let s = service::keep_entry(&state, &user.user.id, &path.into_inner()).await?;
    let v = queries::view_as(&state, s, TEAM).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Change the team's rules (any member, before the deadline): who may
/// withdraw an entry, and whether members who join later are named among
/// the copyright holders. Giving the creator the sole say is only possible
/// in a team of one.
#[utoipa::path(put, path = "/api/v1/submissions/{id}/team/rules", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = TeamRulesInput,
    responses((status = 200, body = SubmissionView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn team_rules(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<TeamRulesInput>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    service::set_team_rules(&state, &user.user.id, &id, body.into_inner()).await?;
    let v = queries::one(&state, Some(Principal::User(user)), id).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisqualifyRequest {
    pub reason: String,
}

/// Disqualify with a reason (the organisation); the team is told by email.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/disqualify", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = DisqualifyRequest,
    responses((status = 200, body = SubmissionView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn disqualify(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: crate::api::Json<DisqualifyRequest>,
) -> AppResult<HttpResponse> {
    let s = service::disqualify(&state, &who, &path.into_inner(), &body.reason).await?;
    let v = queries::view_as(&state, s, ORGANISER).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamInviteRequest {
    pub email: String,
}

/// A pending team invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamInvitationView {
    pub id: String,
    pub email: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// Invite a co-author by email (within the challenge's team size).
#[utoipa::path(post, path = "/api/v1/submissions/{id}/team/invitations", operation_id = "invite_team_member", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = TeamInviteRequest,
    responses((status = 201, body = TeamInvitationView), (status = 409, body = Problem), (status = 422, body = Problem, description = "team_too_large")))]
pub async fn invite(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: crate::api::Json<TeamInviteRequest>,
) -> AppResult<HttpResponse> {
    let inv = service::invite(&state, &user.user.id, &path.into_inner(), &body.email).await?;
    Ok(HttpResponse::Created().json(TeamInvitationView {
        id: inv.id,
        email: inv.email,
        created_at: inv.created_at,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TeamInvitationToken)]
pub struct TokenRequest {
    pub token: String,
}

/// Accepting a team invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TeamInvitationAccept)]
pub struct AcceptRequest {
    pub token: String,
    /// The challenge's current rules version: registers you under those
    /// rules first if you are not registered yet (one step).
    #[schema(minimum = 1)]
    pub rules_version: Option<i32>,
}

/// Accept a team invitation (you must be in no other team of the challenge; not registered yet, send `rules_version` to register on the way).
#[utoipa::path(post, path = "/api/v1/team-invitations/accept", operation_id = "accept_team_invitation", tag = "submissions", security(("bearer" = [])), request_body = AcceptRequest,
    responses((status = 204), (status = 400, body = Problem), (status = 403, body = Problem, description = "registration_required (send rules_version), invitation_email_mismatch"), (status = 409, body = Problem, description = "already_in_team, team_too_large, rules_version_mismatch")))]
pub async fn accept(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::api::Json<AcceptRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    match body.rules_version {
        Some(v) => service::accept_with_rules(&state, &user.user.id, &body.token, v).await?,
        None => service::respond(&state, &user.user.id, &body.token, true).await?,
    };
    Ok(HttpResponse::NoContent().finish())
}

/// Decline a team invitation.
#[utoipa::path(post, path = "/api/v1/team-invitations/decline", tag = "submissions", security(("bearer" = [])), request_body = TokenRequest,
    responses((status = 204), (status = 400, body = Problem)))]
pub async fn decline(
    state: web::Data<AppState>,
    user: AuthUser,
    body: crate::api::Json<TokenRequest>,
) -> AppResult<HttpResponse> {
    service::respond(&state, &user.user.id, &body.token, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Withdraw a pending team invitation (any team member, while the challenge is open); its link stops working.
#[utoipa::path(delete, path = "/api/v1/submissions/{id}/team/invitations/{invitation_id}", operation_id = "cancel_team_invitation", tag = "submissions", security(("bearer" = [])),
    params(("id" = String, Path), ("invitation_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem, description = "no such pending invitation of this team"), (status = 409, body = Problem)))]
pub async fn cancel_invitation(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, invitation) = path.into_inner();
    service::cancel_invitation(&state, &user.user.id, &id, &invitation).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Leave the team (your own id) or, as the submitter, remove a member. Shares return to equal.
#[utoipa::path(delete, path = "/api/v1/submissions/{id}/team/members/{user_id}", operation_id = "remove_team_member", tag = "submissions", security(("bearer" = [])),
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_member(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, member) = path.into_inner();
    service::remove_member(&state, &user.user.id, &id, &member).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A member's choices about how they appear.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberUpdate {
    /// Leave my name out of the public results and of public views of the
    /// entry (the team and the organisation still see it).
    pub anonymous: bool,
}

/// Change how I appear as a member (my own id only): stay anonymous on
/// public results or not. Allowed at any time.
#[utoipa::path(patch, path = "/api/v1/submissions/{id}/team/members/{user_id}", tag = "submissions", security(("bearer" = [])),
    params(("id" = String, Path), ("user_id" = String, Path)), request_body = MemberUpdate,
    responses((status = 204), (status = 403, body = Problem, description = "own_membership_only"), (status = 404, body = Problem)))]
pub async fn update_member(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: crate::api::Json<MemberUpdate>,
) -> AppResult<HttpResponse> {
    let (id, member) = path.into_inner();
    service::set_anonymous(&state, &user.user.id, &id, &member, body.anonymous).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharesRequest {
    pub shares: Vec<ShareInput>,
}

/// Whether new shares are in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharesOutcome {
    /// True once every member approved.
    pub applied: bool,
}

/// Propose prize shares (basis points summing to 10,000); they apply once every member approves.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/team/shares", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = SharesRequest,
    responses((status = 200, body = SharesOutcome), (status = 422, body = Problem, description = "shares_sum")))]
pub async fn propose_shares(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: crate::api::Json<SharesRequest>,
) -> AppResult<HttpResponse> {
    let applied = service::propose_shares(
        &state,
        &user.user.id,
        &path.into_inner(),
        body.into_inner().shares,
    )
    .await?;
    Ok(HttpResponse::Ok().json(SharesOutcome { applied }))
}

/// Approve the pending share proposal.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/team/shares/approve", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = SharesOutcome), (status = 409, body = Problem)))]
pub async fn approve_shares(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let applied = service::approve_shares(&state, &user.user.id, &path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(SharesOutcome { applied }))
}

/// My submissions, drafts included.
#[utoipa::path(get, path = "/api/v1/me/submissions", operation_id = "my_submissions", tag = "me", security(("bearer" = [])), responses((status = 200, body = SubmissionList)))]
pub async fn mine(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let data = queries::mine(&state, user.user.id).await?;
    Ok(HttpResponse::Ok().json(SubmissionList { data }))
}

/// My pending team invitations.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyInvitations {
    pub data: Vec<MyInvitation>,
}

/// Team invitations waiting for the signed-in user.
#[utoipa::path(get, path = "/api/v1/me/team-invitations", operation_id = "my_team_invitations", tag = "me", security(("bearer" = [])), responses((status = 200, body = MyInvitations)))]
pub async fn my_invitations(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let data = queries::my_invitations(&state, user.user.email).await?;
    Ok(HttpResponse::Ok().json(MyInvitations { data }))
}

/// Published solutions, newest first, with licence and attribution.
#[utoipa::path(get, path = "/api/v1/solutions", tag = "submissions", params(GalleryParams),
    responses((status = 200, body = SubmissionList)))]
pub async fn gallery(
    state: web::Data<AppState>,
    params: web::Query<GalleryParams>,
) -> AppResult<HttpResponse> {
    let data = queries::gallery(&state, params.into_inner()).await?;
    Ok(HttpResponse::Ok().json(SubmissionList { data }))
}

/// A solver's public profile: published solutions and prizes (404 unless they turned it on).
#[utoipa::path(get, path = "/api/v1/solvers/{id}", tag = "submissions", params(("id" = String, Path)),
    responses((status = 200, body = queries::SolverProfile), (status = 404, body = Problem)))]
pub async fn solver_profile(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let p = queries::solver_profile(&state, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(p))
}
