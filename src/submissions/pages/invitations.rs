//! Team invitations: the page an emailed link opens (who invites me to
//! which challenge, and what I must do first), and answering it there or
//! from the dashboard.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::failure;
use crate::auth::extract::MaybeUser;
use crate::error::AppError;
use crate::frontend::session::{encode, login_href, PageUser};
use crate::frontend::widgets::{Action, MessagePage, Notice};
use crate::frontend::{render_status, see_other, PageCtx};
use crate::state::AppState;
use crate::submissions::{queries, service};

#[derive(Template)]
#[template(path = "submissions/invitation.html")]
struct InvitationPage {
    page: PageCtx,
    /// The token, percent-encoded for paths.
    token: String,
    challenge_title: String,
    challenge_slug: String,
    inviter: String,
    invited_email: String,
    /// `signed_out`, `mismatch`, `register` (not registered yet: the rules
    /// are accepted with the answer) or `ready`.
    state: &'static str,
    /// The rules version accepted on the way in.
    rules_version: i32,
    /// "I accept the rules (version 2)".
    accept_label: String,
    login_href: String,
    signup_href: String,
    notice: Option<Notice>,
    /// What the team decided, shown before joining.
    creator_decides: bool,
    credit_joiners: bool,
}

fn invitation_invalid(ctx: PageCtx, status: StatusCode) -> Result<HttpResponse, AppError> {
    let t = ctx.t;
    let page = MessagePage::new(
        ctx,
        "error",
        t.get("sub.invitation.invalid.heading"),
        t.get("sub.invitation.invalid.lead"),
    )
    .para(t.get("sub.invitation.invalid.body"))
    .action(Action::primary("/me/submissions", t.get("sub.mine.title")));
    render_status(&page, status)
}

/// Renders the invitation page (or the "does not work" page).
async fn invitation_page(
    ctx: PageCtx,
    state: &AppState,
    user: &MaybeUser,
    token: &str,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let Some(d) = queries::invitation(state, user.0.as_ref(), token).await? else {
        return invitation_invalid(ctx, StatusCode::NOT_FOUND);
    };
    let here = format!("/team-invitations/{}", encode(token));
    let accept_label = ctx_accept_label(&ctx, d.rules_version);
    let state_name = match &user.0 {
        None => "signed_out",
        Some(u) if !u.user.email.eq_ignore_ascii_case(&d.email) => "mismatch",
        Some(_) if !d.registered => "register",
        Some(_) => "ready",
    };
    render_status(
        &InvitationPage {
            page: ctx,
            token: encode(token),
            signup_href: format!("/signup?next={}&email={}", encode(&here), encode(&d.email)),
            login_href: login_href(&here),
            challenge_title: d.challenge_title,
            challenge_slug: d.challenge_slug,
            inviter: d.inviter,
            invited_email: d.email,
            state: state_name,
            rules_version: d.rules_version,
            accept_label,
            notice,
            creator_decides: d.creator_decides,
            credit_joiners: d.credit_joiners,
        },
        status,
    )
}

/// The label of the rules checkbox.
fn ctx_accept_label(ctx: &PageCtx, version: i32) -> String {
    ctx.t.fmt(
        "challenges.register.accept",
        &[("version", &version.to_string())],
    )
}

/// `GET /team-invitations/{token}`: who invites me to which challenge, and how to answer.
pub async fn invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(&req, &user);
    invitation_page(ctx, &state, &user, &path.into_inner(), None, StatusCode::OK).await
}

/// The accept form: a person not registered yet accepts the rules with it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    accept_rules: Option<String>,
    rules_version: Option<i32>,
}

/// Answers an invitation; errors are explained on the invitation page.
async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    token: String,
    accept: bool,
    form: AcceptForm,
) -> Result<HttpResponse, AppError> {
    let uid = user.0.user.id.clone();
    let result = match form.rules_version {
        Some(_) if accept && form.accept_rules.is_none() => {
            let ctx = user.ctx(&req);
            let notice = Some(Notice::error(
                ctx.t.get("sub.invitation.accept_rules_first"),
            ));
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return invitation_page(ctx, &state, &user.maybe(), &token, notice, status).await;
        }
        Some(v) if accept => service::accept_with_rules(&state, &uid, &token, v).await,
        _ => service::respond(&state, &uid, &token, accept).await,
    };
    let ctx = user.ctx(&req);
    match result {
        Ok(_) if !accept => Ok(see_other("/me/submissions?done=declined")),
        Ok(team_id) => Ok(match queries::first_of_team(&state, team_id).await? {
            Some(s) => see_other(&format!("/submissions/{}?done=joined#team", s.id)),
            None => see_other("/me/submissions?done=joined"),
        }),
        Err(AppError::BadRequest {
            code: "invalid_token",
            ..
        }) => invitation_invalid(ctx, StatusCode::BAD_REQUEST),
        Err(e) => {
            let (errors, status) = failure(ctx.t, e)?;
            let notice = errors.summary().map(Notice::error);
            invitation_page(ctx, &state, &user.maybe(), &token, notice, status).await
        }
    }
}

/// `POST /team-invitations/{token}/accept`.
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    answer(req, state, user, path.into_inner(), true, form.into_inner()).await
}

/// `POST /team-invitations/{token}/decline`.
pub async fn decline(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    answer(
        req,
        state,
        user,
        path.into_inner(),
        false,
        AcceptForm::default(),
    )
    .await
}

/// `POST /me/team-invitations/{id}/accept` and `…/decline`: answering from
/// the dashboard.
pub async fn answer_listed(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, verb) = path.into_inner();
    let accept = match verb.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(AppError::NotFound),
    };
    service::respond_by_id(&state, &user.0.user.id, &id, accept).await?;
    Ok(see_other(if accept {
        "/me/submissions?done=joined"
    } else {
        "/me/submissions?done=declined"
    }))
}
