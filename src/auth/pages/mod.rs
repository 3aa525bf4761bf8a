//! Account pages, a file per use case: signing up and verifying the email
//! address ([`signup`]), signing in and out ([`login`]), resetting a
//! forgotten password ([`password`]), the settings ([`settings`]) and the
//! live sessions ([`sessions`]).
//!
//! Handlers stay thin: they parse the form, call one flow of
//! [`crate::auth::service`] (the same flows the JSON API uses) or one read
//! of [`crate::auth::queries`], and render, with the page machinery of
//! [`crate::frontend`]. What two of these pages share is here: the
//! one-field email form (resend the verification link, forgot password),
//! and ending the browser's session.

pub mod delete;
pub mod login;
pub mod password;
pub mod sessions;
pub mod settings;
pub mod signup;
pub mod users;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use askama::Template;
use serde::Deserialize;

use super::extract::{MaybeUser, ACCESS_COOKIE, REFRESH_COOKIE};
use crate::error::AppError;
use crate::frontend::forms::{field_message, FormErrors};
use crate::frontend::{render, render_status, PageCtx};
use crate::state::AppState;
use crate::web::expired_cookie;

/// Query carrying a single-use token from an email link.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
}

/// Query of an email form (to prefill the address).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EmailQuery {
    email: String,
}

/// A form with just an email address.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EmailForm {
    email: String,
}

/// The one-field forms that email a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EmailLink {
    /// Send the verification link again.
    Verification,
    /// Send a password reset link.
    PasswordReset,
}

/// The page of a one-field email form.
#[derive(Template)]
#[template(path = "auth/email_form.html")]
struct EmailFormPage {
    page: PageCtx,
    heading: &'static str,
    intro: &'static str,
    submit: &'static str,
    action: &'static str,
    email: String,
    /// The neutral "if an account exists…" notice after sending.
    sent: Option<&'static str>,
    errors: FormErrors,
}

impl EmailLink {
    /// The form, with `email` filled in.
    fn page(self, ctx: PageCtx, email: String) -> EmailFormPage {
        let t = ctx.t;
        let (heading, intro, submit, action) = match self {
            EmailLink::Verification => (
                t.get("verify.resend.heading"),
                t.get("verify.resend.intro"),
                t.get("verify.resend.submit"),
                "/verify-email/resend",
            ),
            EmailLink::PasswordReset => (
                t.get("forgot.heading"),
                t.get("forgot.intro"),
                t.get("forgot.submit"),
                "/forgot-password",
            ),
        };
        EmailFormPage {
            page: ctx,
            heading,
            intro,
            submit,
            action,
            email,
            sent: None,
            errors: FormErrors::default(),
        }
    }

    /// What the page says once sent, whether or not the account exists.
    fn sent(self, ctx: &PageCtx) -> &'static str {
        match self {
            EmailLink::Verification => ctx.t.get("verify.resend.sent"),
            EmailLink::PasswordReset => ctx.t.get("forgot.sent"),
        }
    }

    /// `GET`: the empty form (the address prefilled from the query).
    fn form(
        self,
        req: &HttpRequest,
        user: &MaybeUser,
        email: String,
    ) -> Result<HttpResponse, AppError> {
        render(&self.page(PageCtx::new(req, user), email))
    }

    /// `POST`: asks the service to send the link, then answers the same
    /// whether or not the account exists.
    async fn send(
        self,
        req: &HttpRequest,
        state: &AppState,
        user: &MaybeUser,
        form: EmailForm,
    ) -> Result<HttpResponse, AppError> {
        let ctx = PageCtx::new(req, user);
        let t = ctx.t;
        let sent = self.sent(&ctx);
        let mut p = self.page(ctx, form.email.clone());
        if form.email.trim().is_empty() {
            p.errors.add("email", field_message(t, "email", "required"));
            return render_status(&p, StatusCode::UNPROCESSABLE_ENTITY);
        }
        match self {
            EmailLink::Verification => {
                super::service::resend_verification(state, &form.email).await?
            }
            EmailLink::PasswordReset => {
                super::service::request_password_reset(state, &form.email).await?
            }
        }
        p.sent = Some(sent);
        render(&p)
    }
}

/// Ends this browser's session: both cookies expire.
fn clear_session(state: &AppState, res: &mut HttpResponseBuilder) {
    res.cookie(expired_cookie(state, ACCESS_COOKIE));
    res.cookie(expired_cookie(state, REFRESH_COOKIE));
}
