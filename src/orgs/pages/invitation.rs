//! The page an organisation's invitation link opens: whom it is for and
//! which role it gives, and accepting it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::role_label;
use crate::auth::extract::MaybeUser;
use crate::error::AppError;
use crate::frontend::session::{encode, login_href, PageUser};
use crate::frontend::widgets::{Action, MessagePage};
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::orgs::model::Role;
use crate::orgs::{queries, service};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "orgs/invitation.html")]
struct InvitationPage {
    page: PageCtx,
    org_name: String,
    role_label: &'static str,
    invited_email: String,
    token: String,
    /// `accept` (signed in with the invited email), `mismatch` (signed in as
    /// someone else) or `signed_out`.
    state: &'static str,
    login_href: String,
    signup_href: String,
}

fn invitation_invalid(ctx: PageCtx, status: StatusCode) -> Result<HttpResponse, AppError> {
    let t = ctx.t;
    let page = MessagePage::new(
        ctx,
        "error",
        t.get("invitation.invalid.heading"),
        t.get("invitation.invalid.lead"),
    )
    .para(t.get("invitation.invalid.body"))
    .action(Action::primary("/", t.get("error.home")));
    render_status(&page, status)
}

/// `GET /invitations/{token}`: what the invitation is, and how to accept it.
pub async fn invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let Some((inv, org)) = queries::invitation(&state, token.clone()).await? else {
        return invitation_invalid(ctx, StatusCode::NOT_FOUND);
    };
    let here = format!("/invitations/{}", encode(&token));
    let state_name = match &user.0 {
        Some(u) if u.user.email.eq_ignore_ascii_case(&inv.email) => "accept",
        Some(_) => "mismatch",
        None => "signed_out",
    };
    render(&InvitationPage {
        page: ctx,
        org_name: org.name,
        role_label: Role::parse(&inv.role)
            .map(|r| role_label(t, r))
            .unwrap_or(""),
        signup_href: format!(
            "/signup?next={}&email={}",
            encode(&here),
            encode(&inv.email)
        ),
        login_href: login_href(&here),
        invited_email: inv.email,
        token,
        state: state_name,
    })
}

/// `POST /invitations/{token}/accept`.
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let here = format!("/invitations/{}", encode(&token));
    match service::accept_invitation(&state, &user.0, token).await {
        Ok(org) => Ok(see_other(&format!("/orgs/{}?done=joined", org.slug))),
        Err(AppError::BadRequest {
            code: "invalid_token",
            ..
        }) => invitation_invalid(user.ctx(&req), StatusCode::BAD_REQUEST),
        // The invitation page explains whom it is for.
        Err(AppError::Forbidden("invitation_email_mismatch")) => Ok(see_other(&here)),
        Err(e) => Err(e),
    }
}
