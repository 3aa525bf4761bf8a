//! "My registrations": the challenges a person registered for, with the
//! rules versions they still have to accept.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{card, Card};
use crate::challenges::model::State;
use crate::challenges::queries;
use crate::db::now;
use crate::error::AppError;
use crate::frontend::session::PageUser;
use crate::frontend::{render, PageCtx};
use crate::state::AppState;

/// One of my registrations as shown.
#[derive(Debug, Clone)]
struct MyRow {
    card: Card,
    rules_version: i32,
    needs_reacceptance: bool,
}

#[derive(Template)]
#[template(path = "challenges/mine.html")]
struct MinePage {
    page: PageCtx,
    rows: Vec<MyRow>,
}

/// `GET /me/challenges`: the challenges I registered for (the same reads
/// as `GET /api/v1/me/registrations`).
pub async fn mine(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
) -> Result<HttpResponse, AppError> {
    let ctx = user.ctx(&req);
    let t = ctx.t;
    let data = queries::my_registrations(&state, user.0.user.id).await?;
    let at = now();
    let rows = data
        .into_iter()
        .map(|r| MyRow {
            // New rules matter only while the challenge is open.
            needs_reacceptance: r.needs_reacceptance && r.challenge.state == State::Open,
            card: card(t, r.challenge, at),
            rules_version: r.rules_version,
        })
        .collect();
    render(&MinePage { page: ctx, rows })
}
