//! Account pages: sign up, email verification, sign in and out, password
//! reset, settings and sessions.
//!
//! Handlers stay thin: they parse the form, call [`crate::auth::service`]
//! (the same flows the JSON API uses) and render. The small helpers at the
//! top (form errors, safe `next` paths, timestamps, message pages) are shared
//! with the organisation pages.

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use chrono::{NaiveDateTime, SecondsFormat};
use serde::Deserialize;

use super::extract::{AuthUser, MaybeUser, ACCESS_COOKIE, REFRESH_COOKIE};
use super::model::Language;
use super::service::{self, Login, Registration};
use super::store;
use crate::db::now;
use crate::error::AppError;
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::{check_csrf, client_ip, expired_cookie, session_cookies, user_agent};

// ---- helpers shared by the pages ----

/// What went wrong with a submitted form, already translated: a message per
/// field, and one for the form as a whole.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    fields: Vec<(String, &'static str)>,
    /// Shown above the form (`role="alert"`).
    pub notice: Option<String>,
    /// The stable code behind `notice` (templates add links for some).
    pub code: String,
    /// For `rate_limited`: seconds until the next attempt is allowed.
    pub retry_after: Option<u64>,
}

impl FormErrors {
    /// The message for `field`, if it has an error.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| f == name).map(|(_, m)| *m)
    }

    /// Whether `field` has an error (for `has-error` and `aria-invalid`).
    pub fn has(&self, name: &str) -> bool {
        self.field(name).is_some()
    }

    /// Adds a message for `field` (the first one per field wins).
    pub fn add(&mut self, field: &str, message: &'static str) {
        if !self.has(field) {
            self.fields.push((field.to_owned(), message));
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.notice.is_none()
    }

    /// The notice, else the first field message: for one-button forms that
    /// have no field to attach a message to.
    pub fn summary(&self) -> Option<String> {
        self.notice
            .clone()
            .or_else(|| self.fields.first().map(|(_, m)| (*m).to_owned()))
    }
}

/// The translated message of a field error code.
pub fn field_message(t: Tr, field: &str, code: &str) -> &'static str {
    let password = matches!(field, "password" | "new_password");
    match code {
        "too_short" if password => t.get("form.error.password_too_short"),
        "too_long" if password => t.get("form.error.password_too_long"),
        "invalid" if matches!(field, "display_name" | "name") => t.get("form.error.name_invalid"),
        "required" if field == "scopes" => t.get("form.error.scopes_required"),
        "required" => t.get("form.error.required"),
        "invalid_email" => t.get("form.error.invalid_email"),
        "too_short" => t.get("form.error.too_short"),
        "too_long" => t.get("form.error.too_long"),
        "invalid_language" => t.get("form.error.invalid_language"),
        "invalid_slug" => t.get("form.error.invalid_slug"),
        "slug_taken" => t.get("form.error.slug_taken"),
        "invalid_role" => t.get("form.error.invalid_role"),
        "invalid_scope" => t.get("form.error.invalid_scope"),
        "incorrect" => t.get("form.error.incorrect"),
        _ => t.get("form.error.invalid"),
    }
}

/// The translated message of an error code shown above a form.
fn notice_message(t: Tr, code: &str) -> Option<&'static str> {
    Some(match code {
        "email_taken" => t.get("form.error.email_taken"),
        "invalid_credentials" => t.get("form.error.invalid_credentials"),
        "email_unverified" => t.get("form.error.email_unverified"),
        "account_suspended" => t.get("form.error.account_suspended"),
        "already_member" => t.get("form.error.already_member"),
        "last_owner" => t.get("form.error.last_owner"),
        "owner_required" => t.get("form.error.owner_required"),
        "invalid_token" => t.get("form.error.invalid_token"),
        "invitation_email_mismatch" => t.get("form.error.invitation_email_mismatch"),
        _ => return None,
    })
}

/// Turns a service error into form messages and the status to answer with.
/// Validation errors always become messages; other errors only when their
/// code is in `expected`. Anything else comes back as `Err` for the error page.
pub fn form_failure(
    t: Tr,
    err: AppError,
    expected: &[&str],
) -> Result<(FormErrors, StatusCode), AppError> {
    let status = err.status_code();
    let mut out = FormErrors {
        code: err.code().to_owned(),
        ..FormErrors::default()
    };
    match err {
        AppError::Validation(list) => {
            for e in &list {
                out.add(&e.field, field_message(t, &e.field, &e.code));
            }
            out.notice = Some(t.get("form.error.summary").to_owned());
        }
        AppError::TooManyRequests { retry_after_secs } if expected.contains(&"rate_limited") => {
            let minutes = retry_after_secs.div_ceil(60).max(1).to_string();
            out.notice = Some(t.fmt("form.error.rate_limited", &[("minutes", &minutes)]));
            out.retry_after = Some(retry_after_secs);
        }
        e => match notice_message(t, e.code()) {
            Some(m) if expected.contains(&e.code()) => out.notice = Some(m.to_owned()),
            _ => return Err(e),
        },
    }
    Ok((out, status))
}

/// A same-site path to go back to after signing in: it must start with `/`
/// and must not be protocol-relative (`//host`, `/\host`).
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && !n.starts_with("/\\")
        && !n.chars().any(|c| c.is_control() || c == '\\');
    ok.then(|| n.to_owned())
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The sign-in page that returns to `path` afterwards.
pub fn login_href(path: &str) -> String {
    format!("/login?next={}", encode(path))
}

/// Sends a signed-out visitor to the sign-in page, coming back to `path`.
pub fn to_login(path: &str) -> HttpResponse {
    see_other(&login_href(path))
}

/// A time for the pages: machine-readable and as UTC text (the small script
/// rewrites it in the viewer's time zone).
#[derive(Debug, Clone)]
pub struct Stamp {
    pub iso: String,
    pub text: String,
}

impl Stamp {
    /// The stamp of a UTC time.
    pub fn of(t: NaiveDateTime) -> Self {
        Stamp {
            iso: t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true),
            text: t.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// A link or button on a message page.
#[derive(Debug, Clone)]
pub struct Action {
    pub href: String,
    pub label: String,
    pub primary: bool,
}

impl Action {
    /// The main call to action.
    pub fn primary(href: impl Into<String>, label: &str) -> Self {
        Action {
            href: href.into(),
            label: label.to_owned(),
            primary: true,
        }
    }

    /// A secondary link.
    pub fn secondary(href: impl Into<String>, label: &str) -> Self {
        Action {
            href: href.into(),
            label: label.to_owned(),
            primary: false,
        }
    }
}

/// A short page with a heading, a few paragraphs and links: outcomes such as
/// "check your email" or "this link has expired".
#[derive(Template)]
#[template(path = "auth/message.html")]
pub struct MessagePage {
    pub page: PageCtx,
    /// `ok`, `info` or `error`: the colour of the notice.
    pub kind: &'static str,
    pub heading: String,
    /// The first paragraph, shown in the notice.
    pub lead: String,
    pub body: Vec<String>,
    pub actions: Vec<Action>,
}

impl MessagePage {
    /// A message page with a heading and a lead paragraph.
    pub fn new(page: PageCtx, kind: &'static str, heading: &str, lead: impl Into<String>) -> Self {
        MessagePage {
            page,
            kind,
            heading: heading.to_owned(),
            lead: lead.into(),
            body: Vec::new(),
            actions: Vec::new(),
        }
    }

    /// Adds a paragraph.
    pub fn para(mut self, text: impl Into<String>) -> Self {
        self.body.push(text.into());
        self
    }

    /// Adds a link.
    pub fn action(mut self, a: Action) -> Self {
        self.actions.push(a);
        self
    }
}

/// A language choice of a select.
#[derive(Debug, Clone)]
pub struct LangOption {
    pub code: &'static str,
    pub label: &'static str,
}

/// Every interface language, named in itself.
fn languages(t: Tr) -> Vec<LangOption> {
    Language::ALL
        .iter()
        .map(|l| LangOption {
            code: l.code(),
            label: match l {
                Language::En => t.get("lang.en"),
                Language::Fr => t.get("lang.fr"),
            },
        })
        .collect()
}

fn with_retry_after(mut res: HttpResponse, errors: &FormErrors) -> HttpResponse {
    if let Some(secs) = errors.retry_after {
        if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    res
}

// ---- sign up and email verification ----

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
    csrf: String,
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
    user: MaybeUser,
    q: web::Query<SignupQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(q.next.as_deref());
    if user.0.is_some() {
        return Ok(see_other(next.as_deref().unwrap_or("/orgs")));
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
    check_csrf(&req, &form.csrf)?;
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

/// Query carrying a single-use token from an email link.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
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
            let next = if user.0.is_some() { "/orgs" } else { "/login" };
            let label = if user.0.is_some() {
                t.get("nav.orgs")
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
    csrf: String,
    email: String,
}

/// The page of a one-field email form (resend verification, forgot password).
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

fn resend_page(ctx: PageCtx, email: String) -> EmailFormPage {
    let t = ctx.t;
    EmailFormPage {
        page: ctx,
        heading: t.get("verify.resend.heading"),
        intro: t.get("verify.resend.intro"),
        submit: t.get("verify.resend.submit"),
        action: "/verify-email/resend",
        email,
        sent: None,
        errors: FormErrors::default(),
    }
}

/// `GET /verify-email/resend`.
pub async fn resend_form(
    req: HttpRequest,
    user: MaybeUser,
    q: web::Query<EmailQuery>,
) -> Result<HttpResponse, AppError> {
    render(&resend_page(
        PageCtx::new(&req, &user),
        q.into_inner().email,
    ))
}

/// `POST /verify-email/resend`: answers the same whether or not the account exists.
pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&req, &form.csrf)?;
    let f = form.into_inner();
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let mut p = resend_page(ctx, f.email.clone());
    if f.email.trim().is_empty() {
        p.errors.add("email", field_message(t, "email", "required"));
        return render_status(&p, StatusCode::UNPROCESSABLE_ENTITY);
    }
    service::resend_verification(&state, &f.email).await?;
    p.sent = Some(t.get("verify.resend.sent"));
    render(&p)
}

// ---- sign in and out ----

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
    csrf: String,
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

/// `GET /login`.
pub async fn login_form(
    req: HttpRequest,
    user: MaybeUser,
    q: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(q.next.as_deref());
    if user.0.is_some() {
        return Ok(see_other(next.as_deref().unwrap_or("/orgs")));
    }
    render(&LoginPage::new(
        PageCtx::new(&req, &user),
        next,
        String::new(),
    ))
}

/// `POST /login`: starts a session in cookies and goes to `next` (or `/orgs`).
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&req, &form.csrf)?;
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
        Ok((_, tokens)) => {
            let mut res = HttpResponse::SeeOther();
            res.insert_header((header::LOCATION, next.as_deref().unwrap_or("/orgs")));
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
    csrf: String,
    next: String,
}

fn clear_session(state: &AppState, res: &mut actix_web::HttpResponseBuilder) {
    res.cookie(expired_cookie(state, ACCESS_COOKIE));
    res.cookie(expired_cookie(state, REFRESH_COOKIE));
}

/// `POST /logout`: ends this browser's session.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&req, &form.csrf)?;
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

// ---- password reset ----

fn forgot_page(ctx: PageCtx, email: String) -> EmailFormPage {
    let t = ctx.t;
    EmailFormPage {
        page: ctx,
        heading: t.get("forgot.heading"),
        intro: t.get("forgot.intro"),
        submit: t.get("forgot.submit"),
        action: "/forgot-password",
        email,
        sent: None,
        errors: FormErrors::default(),
    }
}

/// `GET /forgot-password`.
pub async fn forgot_form(
    req: HttpRequest,
    user: MaybeUser,
    q: web::Query<EmailQuery>,
) -> Result<HttpResponse, AppError> {
    render(&forgot_page(
        PageCtx::new(&req, &user),
        q.into_inner().email,
    ))
}

/// `POST /forgot-password`: answers the same whether or not the account exists.
pub async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&req, &form.csrf)?;
    let f = form.into_inner();
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let mut p = forgot_page(ctx, f.email.clone());
    if f.email.trim().is_empty() {
        p.errors.add("email", field_message(t, "email", "required"));
        return render_status(&p, StatusCode::UNPROCESSABLE_ENTITY);
    }
    service::request_password_reset(&state, &f.email).await?;
    p.sent = Some(t.get("forgot.sent"));
    render(&p)
}

/// The new-password form of a reset link.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    csrf: String,
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
    check_csrf(&req, &form.csrf)?;
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

// ---- settings ----

/// Query of the settings pages: which change was just saved.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    saved: String,
    done: String,
}

/// The profile form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    csrf: String,
    display_name: String,
    language: String,
}

/// The change-password form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

#[derive(Template)]
#[template(path = "auth/settings.html")]
struct SettingsPage {
    page: PageCtx,
    display_name: String,
    language: String,
    languages: Vec<LangOption>,
    email: String,
    saved: Option<&'static str>,
    profile_errors: FormErrors,
    password_errors: FormErrors,
}

impl SettingsPage {
    fn new(page: PageCtx, user: &AuthUser) -> Self {
        SettingsPage {
            languages: languages(page.t),
            page,
            display_name: user.user.display_name.clone(),
            language: user.user.lang().code().to_owned(),
            email: user.user.email.clone(),
            saved: None,
            profile_errors: FormErrors::default(),
            password_errors: FormErrors::default(),
        }
    }
}

/// `GET /settings`.
pub async fn settings(
    req: HttpRequest,
    user: MaybeUser,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(u) = user.0.clone() else {
        return Ok(to_login("/settings"));
    };
    let mut p = SettingsPage::new(PageCtx::new(&req, &user), &u);
    let t = p.page.t;
    p.saved = match q.saved.as_str() {
        "profile" => Some(t.get("settings.profile.saved")),
        "password" => Some(t.get("settings.password.saved")),
        _ => None,
    };
    render(&p)
}

/// `POST /settings/profile`.
pub async fn save_profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&req, &form.csrf)?;
    let Some(u) = user.0.clone() else {
        return Ok(to_login("/settings"));
    };
    let f = form.into_inner();
    let result = service::update_profile(
        &state,
        u.user.id.clone(),
        Some(f.display_name.clone()),
        Some(f.language.clone()),
    )
    .await;
    match result {
        Ok(updated) => {
            // Remember the language for when they are signed out too.
            let lang = crate::web::cookie(
                &state,
                crate::web::LANG_COOKIE,
                updated.lang().code().to_owned(),
                Some(CookieDuration::days(365)),
            );
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/settings?saved=profile"))
                .cookie(lang)
                .finish())
        }
        Err(e) => {
            let mut p = SettingsPage::new(PageCtx::new(&req, &user), &u);
            let (errors, status) = form_failure(p.page.t, e, &[])?;
            p.display_name = f.display_name;
            p.language = f.language;
            p.profile_errors = errors;
            render_status(&p, status)
        }
    }
}

/// `POST /settings/password`: other sessions are signed out.
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&req, &form.csrf)?;
    let Some(u) = user.0.clone() else {
        return Ok(to_login("/settings"));
    };
    let f = form.into_inner();
    match service::change_password(
        &state,
        &u.user,
        u.session_id.clone(),
        f.current_password,
        f.new_password,
    )
    .await
    {
        Ok(()) => Ok(see_other("/settings?saved=password")),
        Err(e) => {
            let mut p = SettingsPage::new(PageCtx::new(&req, &user), &u);
            let (errors, status) = form_failure(p.page.t, e, &[])?;
            p.password_errors = errors;
            render_status(&p, status)
        }
    }
}

/// One live session as listed.
#[derive(Debug, Clone)]
struct SessionRow {
    id: String,
    device: String,
    user_agent: String,
    ip: String,
    created: Stamp,
    last_used: Stamp,
    current: bool,
}

#[derive(Template)]
#[template(path = "auth/sessions.html")]
struct SessionsPage {
    page: PageCtx,
    sessions: Vec<SessionRow>,
    done: Option<&'static str>,
}

/// A short, readable name for a user agent: "Firefox on Linux".
fn device_label(t: Tr, ua: Option<&str>) -> String {
    let Some(ua) = ua.map(str::trim).filter(|u| !u.is_empty()) else {
        return t.get("sessions.unknown_device").to_owned();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| (*name).to_owned());
    let os = [
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => t.fmt("sessions.device", &[("browser", &b), ("os", o)]),
        (Some(b), None) => b,
        _ => {
            let first = ua.split_whitespace().next().unwrap_or(ua);
            let short: String = first.chars().take(40).collect();
            if short.len() < first.len() {
                format!("{short}…")
            } else {
                short
            }
        }
    }
}

/// `GET /settings/sessions`.
pub async fn sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(u) = user.0.clone() else {
        return Ok(to_login("/settings/sessions"));
    };
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let uid = u.user.id.clone();
    let list = state
        .db(move |c| Ok(store::list_sessions(c, &uid, now())?))
        .await?;
    let sessions = list
        .into_iter()
        .map(|s| SessionRow {
            device: device_label(t, s.user_agent.as_deref()),
            user_agent: s.user_agent.clone().unwrap_or_default(),
            ip: s.ip.clone().unwrap_or_else(|| "—".into()),
            created: Stamp::of(s.created_at),
            last_used: Stamp::of(s.last_used_at),
            current: s.id == u.session_id,
            id: s.id,
        })
        .collect();
    let done = (q.done == "revoked").then(|| t.get("sessions.revoked"));
    render(&SessionsPage {
        page: ctx,
        sessions,
        done,
    })
}

/// A form with only the CSRF field (one-button actions).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    /// The double-submit token.
    pub csrf: String,
}

/// `POST /settings/sessions/{id}/revoke`.
pub async fn revoke_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    check_csrf(&req, &form.csrf)?;
    let Some(u) = user.0.clone() else {
        return Ok(to_login("/settings/sessions"));
    };
    let id = path.into_inner();
    let current = id == u.session_id;
    service::revoke_own_session(&state, u.user.id, id).await?;
    if current {
        let mut res = HttpResponse::SeeOther();
        res.insert_header((header::LOCATION, "/login"));
        clear_session(&state, &mut res);
        return Ok(res.finish());
    }
    Ok(see_other("/settings/sessions?done=revoked"))
}

/// Account page routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/signup")
            .route(web::get().to(signup_form))
            .route(web::post().to(signup)),
    )
    .service(web::resource("/verify-email").route(web::get().to(verify_email)))
    .service(
        web::resource("/verify-email/resend")
            .route(web::get().to(resend_form))
            .route(web::post().to(resend)),
    )
    .service(
        web::resource("/login")
            .route(web::get().to(login_form))
            .route(web::post().to(login)),
    )
    .service(web::resource("/logout").route(web::post().to(logout)))
    .service(
        web::resource("/forgot-password")
            .route(web::get().to(forgot_form))
            .route(web::post().to(forgot)),
    )
    .service(
        web::resource("/reset-password")
            .route(web::get().to(reset_form))
            .route(web::post().to(reset)),
    )
    .service(web::resource("/settings").route(web::get().to(settings)))
    .service(web::resource("/settings/profile").route(web::post().to(save_profile)))
    .service(web::resource("/settings/password").route(web::post().to(change_password)))
    .service(web::resource("/settings/sessions").route(web::get().to(sessions)))
    .service(web::resource("/settings/sessions/{id}/revoke").route(web::post().to(revoke_session)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_paths_stay_on_the_site() {
        assert_eq!(
            safe_next(Some("/orgs/x?tab=1")),
            Some("/orgs/x?tab=1".into())
        );
        for bad in [
            "",
            "orgs",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a\\b",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(safe_next(None), None);
    }

    #[test]
    fn devices_are_named_briefly() {
        let t = Tr::new(Language::En);
        let ff = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(device_label(t, Some(ff)), "Firefox on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        assert_eq!(device_label(t, Some(chrome)), "Chrome on Windows");
        assert_eq!(device_label(t, Some("curl/8.5.0")), "curl");
        assert_eq!(device_label(t, None), t.get("sessions.unknown_device"));
    }

    #[test]
    fn service_errors_become_form_messages() {
        let t = Tr::new(Language::Fr);
        let e = AppError::Validation(vec![crate::error::FieldError::new(
            "password",
            "too_short",
            "x",
        )]);
        let (errors, status) = form_failure(t, e, &[])
            .map_err(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            errors.field("password"),
            Some(t.get("form.error.password_too_short"))
        );
        let (errors, status) = form_failure(
            t,
            AppError::TooManyRequests {
                retry_after_secs: 61,
            },
            &["rate_limited"],
        )
        .map_err(|e| e.to_string())
        .unwrap_or_default();
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(errors.notice.unwrap_or_default().contains('2'));
        assert!(form_failure(t, AppError::Forbidden("account_suspended"), &[]).is_err());
        assert!(form_failure(t, AppError::NotFound, &["not_found"]).is_err());
    }
}
