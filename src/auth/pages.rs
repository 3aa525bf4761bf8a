//! Account pages: sign up, email verification, sign in and out, password
//! reset, settings and sessions.
//!
//! Handlers stay thin: they parse the form, call [`crate::auth::service`]
//! (the same flows the JSON API uses) and render, with the page machinery
//! of [`crate::frontend`].

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::extract::{AuthUser, MaybeUser, ACCESS_COOKIE, REFRESH_COOKIE};
use super::service::{self, Login, Registration};
use super::store;
use crate::db::now;
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::forms::{field_message, form_failure, with_retry_after, FormErrors};
use crate::frontend::session::{encode, login_href, safe_next, to_login};
use crate::frontend::widgets::{languages, Action, LangOption, MessagePage};
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::web::{client_ip, expired_cookie, session_cookies, user_agent};

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
    display_name: String,
    language: String,
}

/// The change-password form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
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

/// `POST /settings/sessions/{id}/revoke`.
pub async fn revoke_session(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Language;

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
}
