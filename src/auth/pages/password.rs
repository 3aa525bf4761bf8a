//! A forgotten password: asking for a reset link, and setting a new
//! password from it (every session of the account ends).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{clear_session, EmailForm, EmailLink, EmailQuery, TokenQuery};
use crate::auth::extract::MaybeUser;
use crate::auth::service;
use crate::error::AppError;
use crate::frontend::forms::{form_failure, FormErrors};
use crate::frontend::widgets::{Action, MessagePage};
use crate::frontend::{render, render_status, PageCtx};
use crate::state::AppState;

/// `GET /forgot-password`.
pub async fn forgot_form(
    req: HttpRequest,
    user: MaybeUser,
    q: web::Query<EmailQuery>,
) -> Result<HttpResponse, AppError> {
    EmailLink::PasswordReset.form(&req, &user, q.into_inner().email)
}

/// `POST /forgot-password`: answers the same whether or not the account exists.
pub async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, AppError> {
    EmailLink::PasswordReset
        .send(&req, &state, &user, form.into_inner())
        .await
}

/// The new-password form of a reset link.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    token: String,
    new_password: String,
}

#[derive(Template)]
#[template(path = "auth/reset_password.html")]
struct ResetPage {
    page: PageCtx,
    token: String,
    errors: FormErrors,
}

fn reset_invalid(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    let t = ctx.t;
    render_status(
        &MessagePage::new(
            ctx,
            "error",
            t.get("reset.invalid.heading"),
            t.get("reset.invalid.lead"),
        )
        .action(Action::primary(
            "/forgot-password",
            t.get("reset.invalid.again"),
        )),
        StatusCode::BAD_REQUEST,
    )
}

/// `GET /reset-password?token=…`.
pub async fn reset_form(
    req: HttpRequest,
    user: MaybeUser,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(&req, &user);
    let token = q.into_inner().token.trim().to_owned();
    if token.is_empty() {
        return reset_invalid(ctx);
    }
    render(&ResetPage {
        page: ctx,
        token,
        errors: FormErrors::default(),
    })
}

/// `POST /reset-password`: sets the new password; every session ends.
pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let t = PageCtx::new(&req, &user).t;
    match service::confirm_password_reset(&state, f.token.trim().to_owned(), f.new_password).await {
        Ok(()) => {
            // Every session of the account ended, this browser's included.
            let ctx = PageCtx::new(&req, &MaybeUser(None));
            let page = MessagePage::new(
                ctx,
                "ok",
                t.get("reset.done.heading"),
                t.get("reset.done.lead"),
            )
            .action(Action::primary("/login", t.get("nav.sign_in")));
            let html = page.render().map_err(AppError::internal)?;
            let mut res = HttpResponse::Ok();
            res.content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"));
            if user.0.is_some() {
                clear_session(&state, &mut res);
            }
            Ok(res.body(html))
        }
        Err(AppError::BadRequest {
            code: "invalid_token",
            ..
        }) => reset_invalid(PageCtx::new(&req, &user)),
        Err(e) => {
            let (errors, status) = form_failure(t, e, &[])?;
            render_status(
                &ResetPage {
                    page: PageCtx::new(&req, &user),
                    token: f.token,
                    errors,
                },
                status,
            )
        }
    }
}
