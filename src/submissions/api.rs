//! JSON handlers for submissions, teams, attachments and the gallery.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{self, Viewer};
use super::service::{self, ShareInput, SubmissionInput};
use super::store::{self, Attachment, Revision, Submission};
use crate::auth::extract::{AuthUser, Principal};
use crate::challenges::model::Licence;
use crate::challenges::store::{self as challenges, Challenge};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;

/// The challenge a submission belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeRef {
    pub id: String,
    pub slug: String,
    pub title: String,
}

/// A team member as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMemberView {
    pub user_id: String,
    pub display_name: String,
    /// `submitter` or `member`.
    pub role: String,
    /// Basis points of the team's prize.
    pub share_bps: i32,
}

/// An attachment as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// Where to download it.
    pub url: String,
}

fn attachment_view(s: &Submission, a: Attachment) -> AttachmentView {
    AttachmentView {
        url: format!("/api/v1/submissions/{}/attachments/{}", s.id, a.id),
        id: a.id,
        filename: a.filename,
        content_type: a.content_type,
        size: a.size,
        sha256: a.sha256,
    }
}

/// A revision's proof: number, hash, time.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionRef {
    pub number: i32,
    /// SHA-256 of the revision's canonical content.
    pub sha256: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
}

fn revision_ref(r: &Revision) -> RevisionRef {
    RevisionRef {
        number: r.number,
        sha256: r.content_sha256.clone(),
        created_at: r.created_at,
    }
}

/// A submission as its viewer may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionView {
    pub id: String,
    pub challenge: ChallengeRef,
    /// draft, submitted, withdrawn or disqualified.
    pub state: String,
    pub title: String,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    pub body: String,
    pub body_html: String,
    pub licence: Licence,
    pub copyright_holders: String,
    /// "Title — by A, B — CC-BY-4.0".
    pub attribution: String,
    pub team: Vec<TeamMemberView>,
    pub revision: RevisionRef,
    /// The revision in force at the deadline, once it has passed.
    pub judged_revision: Option<i32>,
    pub attachments: Vec<AttachmentView>,
    pub publish_opt_in: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub published_at: Option<NaiveDateTime>,
    /// For the team and the organisation.
    pub disqualified_reason: Option<String>,
}

/// The attribution line of a published work.
pub fn attribution(title: &str, holders: &str, licence: &str) -> String {
    format!("{title} — by {holders} — {licence}")
}

/// Builds the view of a submission at its current revision.
pub fn view(
    conn: &mut DbConnection,
    s: &Submission,
    c: &Challenge,
    v: Viewer,
) -> AppResult<SubmissionView> {
    let rev = store::revision(conn, &s.id, s.current_revision)?;
    let files = store::attachments_by_ids(conn, &rev.attachment_list())?;
    let team = store::members(conn, &s.team_id)?
        .into_iter()
        .map(|(m, name, _)| TeamMemberView {
            user_id: m.user_id,
            display_name: name,
            role: m.role,
            share_bps: m.share_bps,
        })
        .collect();
    let at = now();
    let judged = if at >= c.submission_deadline {
        let revs: Vec<(i32, NaiveDateTime)> = store::revisions_of(conn, &s.id)?
            .iter()
            .map(|r| (r.number, r.created_at))
            .collect();
        model::judged_revision(&revs, c.submission_deadline)
    } else {
        None
    };
    let licence = Licence::parse(&rev.licence)
        .ok_or_else(|| AppError::internal(format!("unknown stored licence {}", rev.licence)))?;
    Ok(SubmissionView {
        id: s.id.clone(),
        challenge: ChallengeRef {
            id: c.id.clone(),
            slug: c.slug.clone(),
            title: c.title.clone(),
        },
        state: s.state.clone(),
        attribution: attribution(&rev.title, &rev.copyright_holders, &licence.id),
        title: rev.title.clone(),
        abstract_text: rev.abstract_text.clone(),
        body_html: crate::markdown::render(&rev.body_md),
        body: rev.body_md.clone(),
        licence,
        copyright_holders: rev.copyright_holders.clone(),
        team,
        revision: revision_ref(&rev),
        judged_revision: judged,
        attachments: files.into_iter().map(|a| attachment_view(s, a)).collect(),
        publish_opt_in: s.publish_opt_in,
        published_at: s.published_at,
        disqualified_reason: if v.team_member || v.organiser {
            s.disqualified_reason.clone()
        } else {
            None
        },
    })
}

/// A page of submissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionList {
    pub data: Vec<SubmissionView>,
}

/// Enter a submission (registered solvers; a team of one is created).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/submissions", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = SubmissionInput,
    responses((status = 201, body = SubmissionView), (status = 403, body = Problem, description = "registration_required"),
              (status = 409, body = Problem, description = "deadline_passed, submission_limit_reached, rules_acceptance_required"),
              (status = 422, body = Problem, description = "licence not allowed, …")))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<SubmissionInput>,
) -> AppResult<HttpResponse> {
    let (s, _) =
        service::create(&state, &user.user.id, &path.into_inner(), body.into_inner()).await?;
    let v = state
        .db(move |c| {
            let ch = challenges::find(c, &s.challenge_id)?;
            view(
                c,
                &s,
                &ch,
                Viewer {
                    team_member: true,
                    ..Default::default()
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(v))
}

/// Submissions of a challenge the caller may see: all for the organisation,
/// your team's for a solver, published ones for everyone.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/submissions", tag = "submissions", params(("id" = String, Path)),
    responses((status = 200, body = SubmissionList), (status = 404, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    let data = state
        .db(move |c| {
            let (ch, _) = crate::challenges::service::readable(c, who.as_ref(), &key)?;
            let mut out = Vec::new();
            for s in store::of_challenge(c, &ch.id)? {
                let v = service::viewer(c, who.as_ref(), &s, &ch)?;
                if model::can_view(v, s.published_at.is_some(), s.submitted_at.is_some()) {
                    out.push(view(c, &s, &ch, v)?);
                }
            }
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SubmissionList { data }))
}

/// A submission (404 for anyone who may not see it).
#[utoipa::path(get, path = "/api/v1/submissions/{id}", tag = "submissions", params(("id" = String, Path)),
    responses((status = 200, body = SubmissionView), (status = 404, body = Problem)))]
pub async fn show(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let v = state
        .db(move |c| {
            let (s, ch, v) = service::readable(c, who.as_ref(), &id)?;
            view(c, &s, &ch, v)
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Edit before the deadline: each edit is a new immutable revision.
#[utoipa::path(patch, path = "/api/v1/submissions/{id}", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = SubmissionInput,
    responses((status = 200, body = SubmissionView), (status = 404, body = Problem), (status = 409, body = Problem, description = "deadline_passed"), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<SubmissionInput>,
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
    let v = state
        .db(move |c| {
            let ch = challenges::find(c, &s.challenge_id)?;
            view(
                c,
                &s,
                &ch,
                Viewer {
                    team_member: true,
                    ..Default::default()
                },
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// A revision in the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionView {
    pub number: i32,
    pub title: String,
    pub licence: String,
    pub sha256: String,
    pub attachments: usize,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
    /// This is the revision in force at the deadline.
    pub judged: bool,
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
    let id = path.into_inner();
    let data = state
        .db(move |c| {
            let (s, ch, _) = service::readable(c, who.as_ref(), &id)?;
            let revs = store::revisions_of(c, &s.id)?;
            let pairs: Vec<(i32, NaiveDateTime)> =
                revs.iter().map(|r| (r.number, r.created_at)).collect();
            let judged = if now() >= ch.submission_deadline {
                model::judged_revision(&pairs, ch.submission_deadline)
            } else {
                None
            };
            Ok(revs
                .into_iter()
                .map(|r| RevisionView {
                    judged: Some(r.number) == judged,
                    attachments: r.attachment_list().len(),
                    number: r.number,
                    title: r.title,
                    licence: r.licence,
                    sha256: r.content_sha256,
                    created_at: r.created_at,
                })
                .collect())
        })
        .await?;
    Ok(HttpResponse::Ok().json(RevisionList { data }))
}

/// A new attachment and the revision that includes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentAdded {
    pub attachment: AttachmentView,
    pub revision: RevisionRef,
}

/// Streams the `file` field of a multipart upload into staging, refusing
/// more than `max` bytes; other fields are skipped (at most 4 KiB each).
pub async fn read_upload(
    blobs: &crate::submissions::blobs::Blobs,
    mut payload: Multipart,
    max: u64,
) -> AppResult<(String, crate::submissions::blobs::Staged)> {
    while let Some(field) = payload.next().await {
        let mut field =
            field.map_err(|e| AppError::bad_request("invalid_multipart", e.to_string()))?;
        let is_file = field
            .content_disposition()
            .and_then(|d| d.get_name())
            .is_some_and(|n| n == "file");
        if is_file {
            let filename = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or("file")
                .to_owned();
            return Ok((filename, blobs.stage(field, max).await?));
        }
        let mut skipped = 0usize;
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|e| AppError::bad_request("invalid_multipart", e.to_string()))?;
            skipped += chunk.len();
            if skipped > 4096 {
                return Err(AppError::PayloadTooLarge);
            }
        }
    }
    Err(AppError::field(
        "file",
        "required",
        "Send the file in a multipart field named \"file\".",
    ))
}

/// Upload an attachment (multipart, field `file`); the type is detected from the content.
#[utoipa::path(post, path = "/api/v1/submissions/{id}/attachments", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "A field named `file`"),
    responses((status = 201, body = AttachmentAdded), (status = 409, body = Problem), (status = 413, body = Problem)))]
pub async fn upload(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    // Who may upload, and how much, is settled before the body is read.
    let max = service::upload_slot(&state, &user.user.id, &id).await?;
    let (name, staged) = read_upload(&state.blobs, payload, max).await?;
    let (a, rev) = service::add_staged(&state, &user.user.id, &id, &name, staged).await?;
    let s = state.db(move |c| Ok(store::find(c, &id)?)).await?;
    Ok(HttpResponse::Created().json(AttachmentAdded {
        attachment: attachment_view(&s, a),
        revision: revision_ref(&rev),
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
    let (a, rev) = state
        .db(move |c| {
            let (s, _, _) = service::readable(c, who.as_ref(), &id)?;
            let a = store::attachment(c, &aid).map_err(|_| AppError::NotFound)?;
            if a.submission_id != s.id {
                return Err(AppError::NotFound);
            }
            let rev = store::revision(c, &s.id, s.current_revision)?;
            Ok((a, rev))
        })
        .await?;
    let (size, stream) = state.blobs.open(&a.sha256).await?;
    let licence = Licence::parse(&rev.licence);
    let notice = attribution(&rev.title, &rev.copyright_holders, &rev.licence);
    // Header values must be visible ASCII; the full notice is in the API view.
    let ascii_notice: String = notice
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    let ascii_name: String = a
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = a
        .filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut res = HttpResponse::Ok();
    res.content_type(model::served_type(&a.content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("X-Licence-Notice", ascii_notice))
        .insert_header(("Digest", format!("sha-256={}", a.sha256)))
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    if let Some(l) = licence {
        res.insert_header((header::LINK, format!("<{}>; rel=\"license\"", l.url)));
    }
    // Streamed from the store, never held whole in memory.
    res.no_chunking(size);
    Ok(res.streaming(stream))
}

/// Withdraw before the deadline (kept for the record, out of judging).
#[utoipa::path(post, path = "/api/v1/submissions/{id}/withdraw", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = SubmissionView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn withdraw(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let s = service::withdraw(&state, &user.user.id, &path.into_inner()).await?;
    let v = state
        .db(move |c| {
            let ch = challenges::find(c, &s.challenge_id)?;
            view(
                c,
                &s,
                &ch,
                Viewer {
                    team_member: true,
                    ..Default::default()
                },
            )
        })
        .await?;
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
    body: web::Json<DisqualifyRequest>,
) -> AppResult<HttpResponse> {
    let s = service::disqualify(&state, &who, &path.into_inner(), &body.reason).await?;
    let v = state
        .db(move |c| {
            let ch = challenges::find(c, &s.challenge_id)?;
            view(
                c,
                &s,
                &ch,
                Viewer {
                    organiser: true,
                    ..Default::default()
                },
            )
        })
        .await?;
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
#[utoipa::path(post, path = "/api/v1/submissions/{id}/team/invitations", tag = "submissions", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = TeamInviteRequest,
    responses((status = 201, body = TeamInvitationView), (status = 409, body = Problem), (status = 422, body = Problem, description = "team_too_large")))]
pub async fn invite(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<TeamInviteRequest>,
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
pub struct TokenRequest {
    pub token: String,
}

/// Accept a team invitation (you must be registered for the challenge and in no other team there).
#[utoipa::path(post, path = "/api/v1/team-invitations/accept", tag = "submissions", security(("bearer" = [])), request_body = TokenRequest,
    responses((status = 204), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem, description = "already_in_team, team_too_large")))]
pub async fn accept(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<TokenRequest>,
) -> AppResult<HttpResponse> {
    service::respond(&state, &user.user.id, &body.token, true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Decline a team invitation.
#[utoipa::path(post, path = "/api/v1/team-invitations/decline", tag = "submissions", security(("bearer" = [])), request_body = TokenRequest,
    responses((status = 204), (status = 400, body = Problem)))]
pub async fn decline(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<TokenRequest>,
) -> AppResult<HttpResponse> {
    service::respond(&state, &user.user.id, &body.token, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Leave the team (your own id) or, as the submitter, remove a member. Shares return to equal.
#[utoipa::path(delete, path = "/api/v1/submissions/{id}/team/members/{user_id}", tag = "submissions", security(("bearer" = [])),
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
    body: web::Json<SharesRequest>,
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
#[utoipa::path(get, path = "/api/v1/me/submissions", tag = "me", security(("bearer" = [])), responses((status = 200, body = SubmissionList)))]
pub async fn mine(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let uid = user.user.id;
    let data = state
        .db(move |c| {
            let mut out = Vec::new();
            for s in store::of_user(c, &uid)? {
                let ch = challenges::find(c, &s.challenge_id)?;
                out.push(view(
                    c,
                    &s,
                    &ch,
                    Viewer {
                        team_member: true,
                        ..Default::default()
                    },
                )?);
            }
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SubmissionList { data }))
}

/// A team invitation waiting for me.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyInvitation {
    pub id: String,
    pub challenge: ChallengeRef,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// My pending team invitations.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyInvitations {
    pub data: Vec<MyInvitation>,
}

/// Team invitations waiting for the signed-in user.
#[utoipa::path(get, path = "/api/v1/me/team-invitations", tag = "me", security(("bearer" = [])), responses((status = 200, body = MyInvitations)))]
pub async fn my_invitations(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let email = user.user.email;
    let data = state
        .db(move |c| {
            let mut out = Vec::new();
            for inv in store::invitations_for(c, &email, now())? {
                let challenge_id = store::team_challenge(c, &inv.team_id)?;
                let ch = challenges::find(c, &challenge_id)?;
                out.push(MyInvitation {
                    id: inv.id,
                    challenge: ChallengeRef {
                        id: ch.id,
                        slug: ch.slug,
                        title: ch.title,
                    },
                    created_at: inv.created_at,
                });
            }
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok().json(MyInvitations { data }))
}

/// Filters of the gallery.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct GalleryParams {
    /// Words in the title, abstract or body.
    pub q: Option<String>,
    /// An SPDX id.
    pub licence: Option<String>,
    /// A challenge id or slug.
    pub challenge: Option<String>,
    /// 1–100, default 50.
    pub limit: Option<i64>,
}

/// Published solutions, newest first, with licence and attribution.
#[utoipa::path(get, path = "/api/v1/solutions", tag = "submissions", params(GalleryParams),
    responses((status = 200, body = SubmissionList)))]
pub async fn gallery(
    state: web::Data<AppState>,
    params: web::Query<GalleryParams>,
) -> AppResult<HttpResponse> {
    let p = params.into_inner();
    let data = state.db(move |c| gallery_items(c, &p)).await?;
    Ok(HttpResponse::Ok().json(SubmissionList { data }))
}

/// The gallery's items (shared with the page).
pub fn gallery_items(c: &mut DbConnection, p: &GalleryParams) -> AppResult<Vec<SubmissionView>> {
    let challenge_id = match p.challenge.as_deref().filter(|s| !s.is_empty()) {
        Some(k) => Some(
            challenges::find_by_key(c, k)?
                .map(|ch| ch.id)
                .unwrap_or_else(|| "-".into()),
        ),
        None => None,
    };
    let licence = p.licence.as_deref().filter(|s| !s.is_empty()).map(|l| {
        Licence::parse(l)
            .map(|l| l.id)
            .unwrap_or_else(|| l.to_owned())
    });
    let rows = store::published(
        c,
        p.q.as_deref(),
        licence.as_deref(),
        challenge_id.as_deref(),
        p.limit.unwrap_or(50),
    )?;
    let mut out = Vec::new();
    for s in rows {
        let ch = challenges::find(c, &s.challenge_id)?;
        out.push(view(c, &s, &ch, Viewer::default())?);
    }
    Ok(out)
}
