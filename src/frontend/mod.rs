//! The page machinery every area's pages share: the layout context and
//! rendering (here), forms and their errors ([`forms`]), CSRF for every
//! unsafe page request ([`csrf`]), the page session and the sign-in redirect
//! ([`session`]), one formatter per kind of value ([`format`]) and the small
//! pieces pages are made of ([`widgets`]); also error pages, the home page,
//! the language switch and the static assets embedded in the binary.
//!
//! Page handlers live in each area's `pages/`. They build a template whose
//! first field is `page: PageCtx` (language, signed-in user, CSRF token) and
//! return it through [`render`]. Every string shown goes through the
//! translator. No area imports another area's pages: what two areas' pages
//! share lives here.

pub mod charts;
pub mod csrf;
pub mod follow;
pub mod format;
pub mod forms;
pub mod labels;
pub mod page_admin;
pub mod page_user;
pub mod session;
pub mod widgets;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::extract::MaybeUser;
use crate::auth::model::Language;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::web::request_language;
use csrf::csrf_token;

/// What every page's layout needs.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub t: Tr,
    /// The signed-in user's display name and whether they are a platform admin.
    pub user: Option<SignedIn>,
    pub csrf: String,
    /// The request path, to mark the current navigation entry.
    pub path: String,
}

/// The signed-in person as the layout shows them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id: String,
    pub display_name: String,
    pub email: String,
    pub is_admin: bool,
    /// Notifications not read yet, for the header.
    pub unread: i32,
}

impl PageCtx {
    /// The context for `req`, in the user's language, else the visitor's.
    pub fn new(req: &HttpRequest, user: &MaybeUser) -> Self {
        let lang = match &user.0 {
            Some(u) => u.user.lang(),
            None => request_language(req),
        };
        PageCtx {
            t: Tr::new(lang),
            user: user.0.as_ref().map(|u| SignedIn {
                id: u.user.id.clone(),
                display_name: u.user.display_name.clone(),
                email: u.user.email.clone(),
                is_admin: u.user.is_platform_admin,
                unread: u.user.unread_notifications,
            }),
            csrf: csrf_token(req),
            path: req.path().to_owned(),
        }
    }

    /// The other language, for the switcher in the footer.
    pub fn other_lang(&self) -> Language {
        match self.t.lang {
            Language::En => Language::Fr,
            Language::Fr => Language::En,
        }
    }

    /// The name of the other language, in itself.
    pub fn other_lang_name(&self) -> &'static str {
        match self.other_lang() {
            Language::En => "English",
            Language::Fr => "Français",
        }
    }
}

/// Renders a template as a 200 page.
pub fn render<T: Template>(page: &T) -> Result<HttpResponse, AppError> {
    render_status(page, StatusCode::OK)
}

/// Renders a template with a status (422 for a form with errors, …).
pub fn render_status<T: Template>(page: &T, status: StatusCode) -> Result<HttpResponse, AppError> {
    let html = page.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}

/// A redirect after a form post (303, so the browser follows with GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub page: PageCtx,
    pub status: u16,
    pub heading: String,
    pub message: String,
}

/// Turns error responses of page handlers (problem+json from `AppError`) into
/// an HTML page in the visitor's language.
pub async fn page_errors(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if status.as_u16() < 400 || !is_problem {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let code = match res.into_body().try_into_bytes() {
        Ok(b) => serde_json::from_slice::<serde_json::Value>(&b)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_owned))
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let page = error_page(&req, &MaybeUser(None), status, &code);
    Ok(ServiceResponse::new(req, page))
}

/// Builds the HTML error page for a status and error code.
pub fn error_page(
    req: &HttpRequest,
    user: &MaybeUser,
    status: StatusCode,
    code: &str,
) -> HttpResponse {
    let ctx = PageCtx::new(req, user);
    let t = ctx.t;
    let (heading, message) = match status.as_u16() {
        404 => (
            t.get("error.not_found.title"),
            t.get("error.not_found.body"),
        ),
        403 if code == "csrf_failed" => (t.get("error.forbidden.title"), t.get("error.csrf.body")),
        403 => (
            t.get("error.forbidden.title"),
            t.get("error.forbidden.body"),
        ),
        401 => (
            t.get("error.unauthorized.title"),
            t.get("error.unauthorized.body"),
        ),
        429 => (
            t.get("error.rate_limited.title"),
            t.get("error.rate_limited.body"),
        ),
        s if s >= 500 => (t.get("error.server.title"), t.get("error.server.body")),
        _ => (
            t.get("error.bad_request.title"),
            t.get("error.bad_request.body"),
        ),
    };
    let page = ErrorPage {
        page: ctx,
        status: status.as_u16(),
        heading: heading.to_owned(),
        message: message.to_owned(),
    };
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(_) => HttpResponse::build(status).finish(),
    }
}

/// The 404 page for unknown paths.
pub async fn not_found(req: HttpRequest, user: MaybeUser) -> HttpResponse {
    error_page(&req, &user, StatusCode::NOT_FOUND, "not_found")
}

#[derive(serde::Deserialize)]
pub struct LangForm {
    lang: String,
    next: Option<String>,
}

/// Switches the visitor's language (a cookie; signed-in users also change
/// their account setting in the settings page).
pub async fn set_language(
    req: HttpRequest,
    state: web::Data<crate::state::AppState>,
    q: web::Query<LangForm>,
) -> HttpResponse {
    let lang = Language::parse(&q.lang).unwrap_or_default();
    let next = session::safe_next(q.next.as_deref()).unwrap_or_else(|| "/".into());
    let _ = req;
    let c = crate::web::cookie(
        &state,
        crate::web::LANG_COOKIE,
        lang.code().to_owned(),
        Some(actix_web::cookie::time::Duration::days(365)),
    );
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next.as_str()))
        .cookie(c)
        .finish()
}

/// Static files, embedded at build time.
const STATIC: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../frontend/static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../frontend/static/app.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../frontend/static/favicon.svg"),
    ),
];

/// `/static/{file}`.
pub async fn static_file(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let name = path.into_inner();
    match STATIC.iter().find(|(n, _, _)| *n == name) {
        Some((_, ctype, bytes)) => HttpResponse::Ok()
            .content_type(*ctype)
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(*bytes),
        None => not_found(req, MaybeUser(None)).await,
    }
}
