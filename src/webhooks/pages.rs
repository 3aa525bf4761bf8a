//! The organisation's webhooks page (owners and admins): endpoints with
//! their state, a form to add one (its secret shown once), and each
//! endpoint's delivery log with redelivery.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::model::EVENTS;
use super::service::{self, DeliveryView, EndpointInput, EndpointView};
use crate::auth::extract::Principal;
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::forms::{form_failure, FormErrors, Pairs};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::{Choice, Notice};
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::state::AppState;

/// What was just done.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

#[derive(Template)]
#[template(path = "orgs/webhooks.html")]
struct WebhooksPage {
    page: PageCtx,
    org_name: String,
    slug: String,
    tab: &'static str,
    can_keys: bool,
    endpoints: Vec<EndpointView>,
    url: String,
    events: Vec<Choice>,
    errors: FormErrors,
    notice: Option<Notice>,
    /// The secret of the endpoint just made, shown this once.
    secret: Option<String>,
}

fn event_choices(checked: &[String]) -> Vec<Choice> {
    EVENTS
        .iter()
        .map(|e| Choice::new(e, (*e).to_owned(), checked.iter().any(|c| c == e)))
        .collect()
}

async fn page_of(
    state: &AppState,
    ctx: PageCtx,
    user: &PageUser,
    slug: &str,
) -> Result<WebhooksPage, AppError> {
    let who = Principal::User(user.0.clone());
    let (org, list) = service::for_page(state, &who, slug).await?;
    Ok(WebhooksPage {
        page: ctx,
        org_name: org,
        slug: slug.to_owned(),
        tab: "webhooks",
        can_keys: true,
        endpoints: list.data,
        url: String::new(),
        events: event_choices(&[]),
        errors: FormErrors::default(),
        notice: None,
        secret: None,
    })
}

/// `GET /orgs/{slug}/webhooks`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = user.ctx(&req);
    let t = ctx.t;
    let mut p = page_of(&state, ctx, &user, &path.into_inner()).await?;
    p.notice = match q.done.as_str() {
        "enabled" => Some(Notice::ok(t.get("webhooks.done.enabled"))),
        "disabled" => Some(Notice::ok(t.get("webhooks.done.disabled"))),
        "removed" => Some(Notice::ok(t.get("webhooks.done.removed"))),
        _ => None,
    };
    render(&p)
}

/// `POST /orgs/{slug}/webhooks`: adds an endpoint and shows its secret once.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Pairs::parse(&body)?;
    let slug = path.into_inner();
    let (url, events) = (form.get("url"), form.all("events"));
    let who = Principal::User(user.0.clone());
    let input = EndpointInput {
        url: url.clone(),
        events: events.clone(),
    };
    let ctx = user.ctx(&req);
    match service::create(&state, &who, &slug, input).await {
        Ok(created) => {
            let mut p = page_of(&state, ctx, &user, &slug).await?;
            p.secret = Some(created.secret);
            p.notice = Some(Notice::ok(p.page.t.get("webhooks.done.created")));
            render(&p)
        }
        Err(e) => {
            let (errors, status) = form_failure(ctx.t, e, &[])?;
            let mut p = page_of(&state, ctx, &user, &slug).await?;
            p.url = url;
            p.events = event_choices(&events);
            p.errors = errors;
            render_status(&p, status)
        }
    }
}

/// `POST /orgs/{slug}/webhooks/{id}/{action}`: enable, disable or remove.
pub async fn act(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id, action) = path.into_inner();
    let who = Principal::User(user.0.clone());
    let done = match action.as_str() {
        "enable" => {
            service::set_active(&state, &who, &slug, &id, true).await?;
            "enabled"
        }
        "disable" => {
            service::set_active(&state, &who, &slug, &id, false).await?;
            "disabled"
        }
        "remove" => {
            service::remove(&state, &who, &slug, &id).await?;
            "removed"
        }
        _ => return Err(AppError::NotFound),
    };
    Ok(see_other(&format!("/orgs/{slug}/webhooks?done={done}")))
}

/// A delivery as the log lists it.
struct DeliveryRow {
    d: DeliveryView,
    created: Stamp,
    /// "500 · 500 · 200".
    trail: String,
}

#[derive(Template)]
#[template(path = "orgs/webhook_log.html")]
struct LogPage {
    page: PageCtx,
    org_name: String,
    slug: String,
    endpoint: EndpointView,
    rows: Vec<DeliveryRow>,
    notice: Option<Notice>,
}

/// `GET /orgs/{slug}/webhooks/{id}`: the endpoint's delivery log.
pub async fn log(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let who = Principal::User(user.0.clone());
    let (org_name, endpoints) = service::for_page(&state, &who, &slug).await?;
    let endpoint = endpoints
        .data
        .into_iter()
        .find(|e| e.id == id)
        .ok_or(AppError::NotFound)?;
    let list = service::deliveries(&state, &who, &slug, &id).await?;
    let ctx = user.ctx(&req);
    let t = ctx.t;
    let rows = list
        .data
        .into_iter()
        .map(|d| DeliveryRow {
            created: Stamp::of(d.created_at),
            trail: d
                .attempts
                .iter()
                .map(|a| match (a.status_code, &a.error) {
                    (Some(c), _) => format!("{c} ({} ms)", a.duration_ms),
                    (None, Some(e)) => e.clone(),
                    (None, None) => "—".to_owned(),
                })
                .collect::<Vec<_>>()
                .join(" · "),
            d,
        })
        .collect();
    render(&LogPage {
        org_name,
        slug,
        endpoint,
        rows,
        notice: (q.done == "redelivered").then(|| Notice::ok(t.get("webhooks.done.redelivered"))),
        page: ctx,
    })
}

/// `POST /orgs/{slug}/webhooks/{id}/deliveries/{delivery_id}/redeliver`.
pub async fn redeliver(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id, did) = path.into_inner();
    let who = Principal::User(user.0.clone());
    service::redeliver(&state, &who, &slug, &id, &did).await?;
    Ok(see_other(&format!(
        "/orgs/{slug}/webhooks/{id}?done=redelivered"
    )))
}
