//! The page a judge invitation link opens: which challenge invites me, and
//! accepting or declining it (after signing in or up with the invited
//! address).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::extract::MaybeUser;
use crate::error::AppError;
use crate::frontend::forms::form_failure;
use crate::frontend::session::{encode, login_href, PageUser};
use crate::frontend::widgets::{Action, MessagePage, Notice};
use crate::frontend::{render_status, see_other, PageCtx};
use crate::judging::queries::views;
use crate::judging::service::panel::{self, Invitation};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "judging/invitation.html")]
struct InvitationPage {
    page: PageCtx,
    token: String,
    challenge_title: String,
    challenge_slug: String,
    blind: bool,
    invited_email: String,
    /// `signed_out`, `mismatch` or `ready`.
    state: &'static str,
    login_href: String,
    signup_href: String,
    notice: Option<Notice>,
}

fn invalid(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    let t = ctx.t;
    let page = MessagePage::new(
        ctx,
        "error",
        t.get("judging.invitation.invalid.heading"),
        t.get("judging.invitation.invalid.lead"),
    )
    .action(Action::primary(
        "/judging",
        t.get("judging.workspace.title"),
    ));
    render_status(&page, StatusCode::NOT_FOUND)
}

async fn show_page(
    ctx: PageCtx,
    state: &AppState,
    user: &MaybeUser,
    token: &str,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let tk = token.to_owned();
    let Some((inv, email)) = state
        .db(move |c| views::invitation_by_token(c, &tk))
        .await?
    else {
        return invalid(ctx);
    };
    let here = format!("/judge-invitations/{}", encode(token));
    let state_name = match &user.0 {
        None => "signed_out",
        Some(u) if !u.user.email.eq_ignore_ascii_case(&email) => "mismatch",
        Some(_) => "ready",
    };
    render_status(
        &InvitationPage {
            page: ctx,
            token: encode(token),
            signup_href: format!("/signup?next={}&email={}", encode(&here), encode(&email)),
            login_href: login_href(&here),
            challenge_title: inv.challenge.title,
            challenge_slug: inv.challenge.slug,
            blind: inv.challenge.blind,
            invited_email: email,
            state: state_name,
            notice,
        },
        status,
    )
}

/// `GET /judge-invitations/{token}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(&req, &user);
    show_page(ctx, &state, &user, &path.into_inner(), None, StatusCode::OK).await
}

async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    token: String,
    accept: bool,
) -> Result<HttpResponse, AppError> {
    match panel::respond(&state, &user.0, Invitation::Token(token.clone()), accept).await {
        Ok(_) if accept => Ok(see_other("/judging?done=accepted")),
        Ok(_) => Ok(see_other("/judging?done=declined")),
        Err(e) => {
            let ctx = user.ctx(&req);
            let (errors, status) = form_failure(
                ctx.t,
                e,
                &[
                    "invitation_email_mismatch",
                    "invitation_not_pending",
                    "already_on_panel",
                ],
            )?;
            let notice = errors.summary().map(Notice::error);
            show_page(ctx, &state, &user.maybe(), &token, notice, status).await
        }
    }
}

/// `POST /judge-invitations/{token}/accept`.
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    answer(req, state, user, path.into_inner(), true).await
}

/// `POST /judge-invitations/{token}/decline`.
pub async fn decline(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    answer(req, state, user, path.into_inner(), false).await
}
