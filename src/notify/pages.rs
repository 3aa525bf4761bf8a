//! The notification centre, the choices per kind in the settings, and the
//! one-click unsubscribe page that works without signing in.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::service::{self, Preference};
use crate::auth::extract::MaybeUser;
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::session::PageUser;
use crate::frontend::{render, see_other, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;

/// What was just done, for the notice.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// A notification as listed.
struct Row {
    id: String,
    title: String,
    body: String,
    unread: bool,
    created: Stamp,
    has_link: bool,
}

#[derive(Template)]
#[template(path = "notify/centre.html")]
struct CentrePage {
    page: PageCtx,
    rows: Vec<Row>,
    unread: i64,
    done: Option<&'static str>,
}

/// `GET /notifications`: my latest notifications, unread first to the eye.
pub async fn centre(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let list = service::list(&state, &user.0.user.id, false, 100).await?;
    let ctx = user.ctx(&req);
    let t = ctx.t;
    render(&CentrePage {
        rows: list
            .data
            .into_iter()
            .map(|n| Row {
                unread: n.read_at.is_none(),
                has_link: n.url.is_some(),
                created: Stamp::of(n.created_at),
                id: n.id,
                title: n.title,
                body: n.body,
            })
            .collect(),
        unread: list.unread,
        done: (q.done == "read").then(|| t.get("notify.done.read")),
        page: ctx,
    })
}

/// `GET /notifications/{id}/open`: marks it read and follows its link
/// (only to this site: a stored address never sends anyone elsewhere).
pub async fn open(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let url = service::open(&state, &user.0.user.id, &path.into_inner()).await?;
    let base = state.url("");
    let target = url
        .map(|u| u.strip_prefix(&base).map(str::to_owned).unwrap_or(u))
        .filter(|u| u.starts_with('/') && !u.starts_with("//"))
        .unwrap_or_else(|| "/notifications".to_owned());
    Ok(see_other(&target))
}

/// `POST /notifications/read`: marks every notification read.
pub async fn read_all(
    state: web::Data<AppState>,
    user: PageUser,
) -> Result<HttpResponse, AppError> {
    service::mark_read(&state, &user.0.user.id, None).await?;
    Ok(see_other("/notifications?done=read"))
}

/// A kind as the settings list it.
struct PrefRow {
    kind: String,
    label: &'static str,
    email: bool,
    in_app: bool,
}

#[derive(Template)]
#[template(path = "notify/settings.html")]
struct SettingsPage {
    page: PageCtx,
    rows: Vec<PrefRow>,
    done: Option<&'static str>,
}

/// The label of a notification kind.
pub fn kind_label(t: Tr, kind: &str) -> &'static str {
    t.lookup(&format!("notify.kind.{kind}"))
        .unwrap_or_else(|| t.get("notify.kind.other"))
}

/// `GET /settings/notifications`: how I hear of each kind.
pub async fn settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let prefs = service::preferences(&state, &user.0.user.id).await?;
    let ctx = user.ctx(&req);
    let t = ctx.t;
    render(&SettingsPage {
        rows: prefs
            .data
            .into_iter()
            .map(|p| PrefRow {
                label: kind_label(t, &p.kind),
                kind: p.kind,
                email: p.email,
                in_app: p.in_app,
            })
            .collect(),
        done: (q.done == "saved").then(|| t.get("notify.done.saved")),
        page: ctx,
    })
}

/// `POST /settings/notifications`: a ticked `email.{kind}` or
/// `in_app.{kind}` keeps that channel on; every kind is sent.
pub async fn save_settings(
    state: web::Data<AppState>,
    user: PageUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let on = |prefix: &str, kind: &str| {
        form.iter()
            .any(|(k, _)| k.strip_prefix(prefix) == Some(kind))
    };
    let prefs = super::model::KINDS
        .iter()
        .map(|k| Preference {
            kind: (*k).to_owned(),
            email: on("email.", k),
            in_app: on("in_app.", k),
        })
        .collect();
    service::set_preferences(&state, &user.0.user.id, prefs).await?;
    Ok(see_other("/settings/notifications?done=saved"))
}

/// The signed link of an unsubscribe email.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UnsubscribeQuery {
    u: String,
    k: String,
    s: String,
}

#[derive(Template)]
#[template(path = "notify/unsubscribe.html")]
struct UnsubscribePage {
    page: PageCtx,
    label: &'static str,
    /// Done (after the POST) or asked (the GET).
    done: bool,
    action: String,
}

/// `GET /unsubscribe?u=&k=&s=`: asks before stopping (mail scanners open
/// links; only a POST acts).
pub async fn unsubscribe_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<UnsubscribeQuery>,
) -> Result<HttpResponse, AppError> {
    if !super::model::unsubscribe_valid(&state.link_secret, &q.u, &q.k, &q.s) {
        return Err(AppError::NotFound);
    }
    let ctx = PageCtx::new(&req, &user);
    render(&UnsubscribePage {
        label: kind_label(ctx.t, &q.k),
        done: false,
        action: format!("/unsubscribe?{}", req.query_string()),
        page: ctx,
    })
}

/// `POST /unsubscribe?u=&k=&s=`: stops that kind of email, from the page or
/// from a mail client's one-click request (RFC 8058); the signature is the
/// authority, so there is no session and no CSRF token.
pub async fn unsubscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<UnsubscribeQuery>,
) -> Result<HttpResponse, AppError> {
    let kind = service::unsubscribe(&state, &q.u, &q.k, &q.s).await?;
    let ctx = PageCtx::new(&req, &user);
    render(&UnsubscribePage {
        label: kind_label(ctx.t, &kind),
        done: true,
        action: String::new(),
        page: ctx,
    })
}

/// Where to go back after following: a local `next`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FollowForm {
    next: String,
}

fn back(next: &str, fallback: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") {
        next.to_owned()
    } else {
        fallback.to_owned()
    }
}

/// `POST /follows/{type}/{key}`.
pub async fn follow(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
    form: web::Form<FollowForm>,
) -> Result<HttpResponse, AppError> {
    let (kind, key) = path.into_inner();
    super::follows::follow(&state, &user.0.user.id, &kind, &key).await?;
    Ok(see_other(&back(&form.next, "/me/follows")))
}

/// `POST /follows/{type}/{key}/remove`.
pub async fn unfollow(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
    form: web::Form<FollowForm>,
) -> Result<HttpResponse, AppError> {
    let (kind, key) = path.into_inner();
    super::follows::unfollow(&state, &user.0.user.id, &kind, &key).await?;
    Ok(see_other(&back(&form.next, "/me/follows")))
}

#[derive(Template)]
#[template(path = "notify/follows.html")]
struct FollowsPage {
    page: PageCtx,
    rows: Vec<super::follows::FollowView>,
}

/// `GET /me/follows`: what I follow, each with a button to stop.
pub async fn follows(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
) -> Result<HttpResponse, AppError> {
    let list = super::follows::mine(&state, &user.0.user.id).await?;
    render(&FollowsPage {
        rows: list.data,
        page: user.ctx(&req),
    })
}
