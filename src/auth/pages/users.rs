//! The platform admins' page of people: find an account by email or name,
//! and suspend or reinstate it. The forms call the same flow as the JSON
//! API (`service::set_suspended`).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::queries::{self, UserView};
use crate::auth::service;
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::forms::form_failure;
use crate::frontend::page_admin::PageAdmin;
use crate::frontend::session::encode;
use crate::frontend::widgets::Notice;
use crate::frontend::{render_status, see_other, PageCtx};
use crate::state::AppState;

/// The search box, and what was just done.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UsersQuery {
    q: String,
    done: String,
}

/// One account on the page.
#[derive(Debug)]
struct Row {
    u: UserView,
    joined: Stamp,
    /// The admin's own account: it cannot be suspended from here.
    me: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    page: PageCtx,
    q: String,
    rows: Vec<Row>,
    notice: Option<Notice>,
}

async fn users_page(
    ctx: PageCtx,
    state: &AppState,
    admin: &PageAdmin,
    q: String,
    notice: Option<Notice>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AppError> {
    let rows = queries::find_users(state, q.clone())
        .await?
        .into_iter()
        .map(|u| Row {
            joined: Stamp::of(u.created_at),
            me: u.id == admin.0.user.id,
            u,
        })
        .collect();
    render_status(
        &UsersPage {
            page: ctx,
            q,
            rows,
            notice,
        },
        status,
    )
}

/// `GET /admin/users?q=`.
pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PageAdmin,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = admin.ctx(&req);
    let t = ctx.t;
    let notice = match query.done.as_str() {
        "suspended" => Some(Notice::ok(t.get("admin.users.done.suspended"))),
        "reinstated" => Some(Notice::ok(t.get("admin.users.done.reinstated"))),
        _ => None,
    };
    let q = query.into_inner().q.trim().to_owned();
    users_page(
        ctx,
        &state,
        &admin,
        q,
        notice,
        actix_web::http::StatusCode::OK,
    )
    .await
}

/// The search a form came from, to go back to it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BackForm {
    q: String,
}

/// `POST /admin/users/{id}/suspend` and `…/reinstate` (the route's data
/// says which).
pub async fn set(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PageAdmin,
    path: web::Path<String>,
    suspend: web::Data<Suspend>,
    form: web::Form<BackForm>,
) -> Result<HttpResponse, AppError> {
    let on = suspend.0;
    let q = form.into_inner().q;
    match service::set_suspended(&state, &admin.0.user, path.into_inner(), on).await {
        Ok(_) => {
            let done = if on { "suspended" } else { "reinstated" };
            Ok(see_other(&format!(
                "/admin/users?q={}&done={done}",
                encode(&q)
            )))
        }
        Err(e) => {
            let ctx = admin.ctx(&req);
            let (errors, status) = form_failure(ctx.t, e, &["cannot_suspend_self"])?;
            let notice = errors.summary().map(Notice::error);
            users_page(ctx, &state, &admin, q, notice, status).await
        }
    }
}

/// Whether a route suspends (`true`) or reinstates.
#[derive(Debug, Clone, Copy)]
pub struct Suspend(pub bool);
