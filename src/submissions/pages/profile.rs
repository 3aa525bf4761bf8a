//! A solver's public profile page (`/solvers/{id}`), when they turned it on.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::gallery::{card, GalleryCard};
use crate::auth::extract::MaybeUser;
use crate::error::AppError;
use crate::frontend::format::{money, Stamp};
use crate::frontend::{render, PageCtx};
use crate::state::AppState;
use crate::submissions::queries;

/// A prize as listed.
#[derive(Debug, Clone)]
struct PrizeLine {
    challenge_slug: String,
    challenge_title: String,
    submission_id: String,
    submission_title: String,
    tier: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "submissions/profile.html")]
struct ProfilePage {
    page: PageCtx,
    name: String,
    since: Stamp,
    cards: Vec<GalleryCard>,
    prizes: Vec<PrizeLine>,
}

/// `GET /solvers/{id}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let p = queries::solver_profile(&state, path.into_inner()).await?;
    render(&ProfilePage {
        name: p.display_name,
        since: Stamp::of(p.member_since),
        cards: p.solutions.into_iter().map(|v| card(t, v)).collect(),
        prizes: p
            .prizes
            .into_iter()
            .map(|x| PrizeLine {
                tier: t.fmt("profile.tier", &[("rank", &x.tier_rank.to_string())]),
                amount: money(t, &x.amount),
                challenge_slug: x.challenge_slug,
                challenge_title: x.challenge_title,
                submission_id: x.submission_id,
                submission_title: x.submission_title,
            })
            .collect(),
        page: ctx,
    })
}
