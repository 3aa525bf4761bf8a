//! The settings page: the profile (name and language) and the password.

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::extract::AuthUser;
use crate::auth::service;
use crate::error::AppError;
use crate::frontend::forms::{form_failure, FormErrors};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::{languages, LangOption};
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::state::AppState;

/// Query of the settings page: which change was just saved.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SavedQuery {
    saved: String,
}

/// The profile form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    display_name: String,
    language: String,
    /// The checkbox: present when ticked.
    public_profile: Option<String>,
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
    /// The public profile is on, and where it is.
    public_profile: bool,
    profile_href: String,
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
            public_profile: user.user.public_profile,
            profile_href: format!("/solvers/{}", user.user.id),
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
    user: PageUser,
    q: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    let mut p = SettingsPage::new(user.ctx(&req), &user.0);
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
    user: PageUser,
    form: web::Form<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let result = service::update_profile(
        &state,
        user.0.user.id.clone(),
        Some(f.display_name.clone()),
        Some(f.language.clone()),
        Some(f.public_profile.is_some()),
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
            let mut p = SettingsPage::new(user.ctx(&req), &user.0);
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
    user: PageUser,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    match service::change_password(
        &state,
        &user.0.user,
        user.0.session_id.clone(),
        f.current_password,
        f.new_password,
    )
    .await
    {
        Ok(()) => Ok(see_other("/settings?saved=password")),
        Err(e) => {
            let mut p = SettingsPage::new(user.ctx(&req), &user.0);
            let (errors, status) = form_failure(p.page.t, e, &[])?;
            p.password_errors = errors;
            render_status(&p, status)
        }
    }
}
