//! Signing up and confirming the email address: the sign-up form, the
//! verification link, and sending that link again.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{EmailForm, EmailLink, EmailQuery, TokenQuery};
use crate::auth::extract::MaybeUser;
use crate::auth::service::{self, Registration};
use crate::error::AppError;
use crate::frontend::forms::{form_failure, FormErrors};
use crate::frontend::session::{login_href, safe_next};
use crate::frontend::widgets::{languages, Action, LangOption, MessagePage};
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;

/// Query of the sign-up page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignupQuery {
    next: Option<String>,
    email: Option<String>,
}

/// The sign-up form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignupForm {
    display_name: String,
    email: String,
    password: String,
    language: String,
    next: String,
}

#[derive(Template)]
#[template(path = "auth/signup.html")]
struct SignupPage {
    page: PageCtx,
    display_name: String,
    email: String,
    language: String,
    next: String,
    login_href: String,
    languages: Vec<LangOption>,
    errors: FormErrors,
}

impl SignupPage {
    fn new(page: PageCtx, next: Option<String>) -> Self {
        let login_href = next
            .as_deref()
            .map(login_href)
            .unwrap_or_else(|| "/login".into());
        SignupPage {
            language: page.t.code().to_owned(),
            languages: languages(page.t),
            page,
            display_name: String::new(),
            email: String::new(),
            next: next.unwrap_or_default(),
            login_href,
            errors: FormErrors::default(),
        }
    }
}

/// `GET /signup`.
pub async fn signup_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<SignupQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(q.next.as_deref());
    if let Some(u) = &user.0 {
        return Ok(see_other(
            &super::login::destination(&state, next, &u.user).await?,
        ));
    }
    let mut p = SignupPage::new(PageCtx::new(&req, &user), next);
    p.email = q.email.clone().unwrap_or_default();
    render(&p)
}

/// `POST /signup`: creates the account and asks to check the inbox.
pub async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<SignupForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let next = safe_next(Some(&f.next));
    let registration = Registration {
        email: f.email.clone(),
        display_name: f.display_name.clone(),
        password: f.password,
        language: Some(f.language.clone()).filter(|l| !l.is_empty()),
    };
    match service::register(&state, registration, t.lang).await {
        Ok(created) => {
            // Answer in the language the new account chose.
            let mut ctx = ctx;
            ctx.t = Tr::new(created.lang());
            let t = ctx.t;
            let mut page = MessagePage::new(
                ctx,
                "ok",
                t.get("signup.done.heading"),
                t.fmt("signup.done.lead", &[("email", &created.email)]),
            )
            .para(t.get("signup.done.body"));
            if let Some(n) = &next {
                page = page.para(t.get("signup.done.next")).action(Action::primary(
                    login_href(n),
                    t.get("signup.done.continue"),
                ));
            }
            render(&page.action(Action::secondary(
                "/verify-email/resend",
                t.get("verify.resend.link"),
            )))
        }
        Err(e) => {
            let (errors, status) = form_failure(t, e, &["email_taken"])?;
            let mut p = SignupPage::new(ctx, next);
            p.display_name = f.display_name;
            p.email = f.email;
            p.language = f.language;
            p.errors = errors;
            render_status(&p, status)
        }
    }
}

/// `GET /verify-email?token=…`: confirms the address.
pub async fn verify_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let token = q.into_inner().token;
    let result = if token.trim().is_empty() {
        Err(AppError::bad_request("invalid_token", "missing token"))
    } else {
        service::verify_email(&state, token.trim().to_owned()).await
    };
    match result {
        Ok(_) => {
            let next = match &user.0 {
                Some(u) => super::login::destination(&state, None, &u.user).await?,
                None => "/login".to_owned(),
            };
            let label = if user.0.is_some() {
                t.get("nav.continue")
            } else {
                t.get("nav.sign_in")
            };
            render(
                &MessagePage::new(
                    ctx,
                    "ok",
                    t.get("verify.ok.heading"),
                    t.get("verify.ok.lead"),
                )
                .action(Action::primary(next, label)),
            )
        }
        Err(AppError::BadRequest {
            code: "invalid_token",
            ..
        }) => render_status(
            &MessagePage::new(
                ctx,
                "error",
                t.get("verify.invalid.heading"),
                t.get("verify.invalid.lead"),
            )
            .action(Action::primary(
                "/verify-email/resend",
                t.get("verify.resend.link"),
            ))
            .action(Action::secondary("/login", t.get("nav.sign_in"))),
            StatusCode::BAD_REQUEST,
        ),
        Err(e) => Err(e),
    }
}

/// `GET /verify-email/resend`.
pub async fn resend_form(
    req: HttpRequest,
    user: MaybeUser,
    q: web::Query<EmailQuery>,
) -> Result<HttpResponse, AppError> {
    EmailLink::Verification.form(&req, &user, q.into_inner().email)
}

/// `POST /verify-email/resend`: answers the same whether or not the account exists.
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, AppError> {
    EmailLink::Verification
        .send(&req, &state, &user, form.into_inner())
        .await
}
