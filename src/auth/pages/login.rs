//! Signing in (a session in cookies, then back to where the visitor was
//! going) and signing out.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::clear_session;
use crate::auth::extract::{MaybeUser, REFRESH_COOKIE};
use crate::auth::queries::User;
use crate::auth::service::{self, Login};
use crate::error::AppError;
use crate::frontend::forms::{field_message, form_failure, with_retry_after, FormErrors};
use crate::frontend::session::{encode, safe_next};
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::orgs::queries::landing;
use crate::state::AppState;
use crate::web::{client_ip, session_cookies, user_agent};

/// Query of the sign-in page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginQuery {
    next: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    page: PageCtx,
    email: String,
    next: String,
    signup_href: String,
    resend_href: String,
    errors: FormErrors,
}

impl LoginPage {
    fn new(page: PageCtx, next: Option<String>, email: String) -> Self {
        let signup_href = match &next {
            Some(n) => format!("/signup?next={}", encode(n)),
            None => "/signup".into(),
        };
        LoginPage {
            page,
            resend_href: format!("/verify-email/resend?email={}", encode(&email)),
            email,
            next: next.unwrap_or_default(),
            signup_href,
            errors: FormErrors::default(),
        }
    }
}

/// Where a signed-in person goes: `next` when the link gave one, else where
/// their work is ([`landing`]).
pub(super) async fn destination(
    state: &AppState,
    next: Option<String>,
    user: &User,
) -> Result<String, AppError> {
    match next {
        Some(n) => Ok(n),
        None => landing(state, user.id.clone(), user.is_platform_admin).await,
    }
}

/// `GET /login`.
pub async fn login_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(q.next.as_deref());
    if let Some(u) = &user.0 {
        return Ok(see_other(&destination(&state, next, &u.user).await?));
    }
    render(&LoginPage::new(
        PageCtx::new(&req, &user),
        next,
        String::new(),
    ))
}

/// `POST /login`: starts a session in cookies and goes to `next` (or where
/// the person's work is, see [`landing`]).
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let next = safe_next(Some(&f.next));
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let mut p = LoginPage::new(ctx, next.clone(), f.email.trim().to_owned());
    if f.email.trim().is_empty() {
        p.errors.add("email", field_message(t, "email", "required"));
    }
    if f.password.is_empty() {
        p.errors
            .add("password", field_message(t, "password", "required"));
    }
    if !p.errors.is_empty() {
        return render_status(&p, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let attempt = Login {
        email: f.email,
        password: f.password,
        ip: client_ip(&req),
        user_agent: user_agent(&req),
    };
    match service::login(&state, attempt).await {
        Ok((u, tokens)) => {
            let to = destination(&state, next, &u).await?;
            let mut res = HttpResponse::SeeOther();
            res.insert_header((header::LOCATION, to));
            for c in session_cookies(&state, &tokens) {
                res.cookie(c);
            }
            Ok(res.finish())
        }
        Err(e) => {
            let expected = [
                "invalid_credentials",
                "email_unverified",
                "account_suspended",
                "rate_limited",
            ];
            let (errors, status) = form_failure(t, e, &expected)?;
            p.errors = errors;
            Ok(with_retry_after(render_status(&p, status)?, &p.errors))
        }
    }
}

/// The sign-out form (the layout's button; `next` is optional).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogoutForm {
    next: String,
}

/// `POST /logout`: ends this browser's session.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, AppError> {
    match user.0 {
        Some(u) => service::logout(&state, u.user.id, u.session_id).await?,
        None => {
            if let Some(c) = crate::web::cookie_value(&req, REFRESH_COOKIE) {
                service::logout_by_refresh(&state, c).await?;
            }
        }
    }
    let next = safe_next(Some(&form.next)).unwrap_or_else(|| "/".into());
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, next));
    clear_session(&state, &mut res);
    Ok(res.finish())
}
