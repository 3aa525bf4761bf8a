//! An organisation's public page: its open and past challenges and the
//! prizes it has awarded, for everyone (members manage it at `/orgs/{slug}`).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{card, Card};
use crate::auth::extract::MaybeUser;
use crate::challenges::queries;
use crate::db::now;
use crate::error::AppError;
use crate::frontend::format::money;
use crate::frontend::{render, PageCtx};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "challenges/org.html")]
struct OrgPage {
    page: PageCtx,
    name: String,
    slug: String,
    open: Vec<Card>,
    past: Vec<Card>,
    /// "12 500.00 EUR awarded", one line per currency.
    awarded: Vec<String>,
    follow: crate::frontend::follow::FollowButton,
}

/// `GET /organisations/{slug}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let p = queries::org_profile(&state, path.into_inner()).await?;
    let at = now();
    let follow = crate::frontend::follow::FollowButton::load(
        &state,
        &user,
        crate::notify::follows::target::ORGANISATION,
        &p.organisation.slug,
        &format!("/organisations/{}", p.organisation.slug),
    )
    .await?;
    render(&OrgPage {
        follow,
        name: p.organisation.name,
        slug: p.organisation.slug,
        open: p.open.into_iter().map(|s| card(t, s, at)).collect(),
        past: p.past.into_iter().map(|s| card(t, s, at)).collect(),
        awarded: p.awarded.iter().map(|m| money(t, m)).collect(),
        page: ctx,
    })
}
