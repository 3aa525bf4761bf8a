//! "Start an entry from this": from a published solution whose licence
//! allows adaptations, the open challenges a new entry could start in, each
//! with the licences that may carry the source.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::extract::MaybeUser;
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::{render, PageCtx};
use crate::state::AppState;
use crate::submissions::queries;

/// An open challenge as the page lists it.
struct TargetRow {
    title: String,
    /// The entry form, naming the source.
    href: String,
    challenge_href: String,
    deadline: Stamp,
    /// "CC-BY-SA-4.0" or empty when none fits.
    licences: String,
}

#[derive(Template)]
#[template(path = "submissions/build_on.html")]
struct BuildOnPage {
    page: PageCtx,
    source_id: String,
    source_title: String,
    /// "by Ana and Bo · CC-BY-SA-4.0".
    byline: String,
    allowed: bool,
    /// What the source's licence asks of adaptations.
    meaning: &'static str,
    targets: Vec<TargetRow>,
}

/// `GET /submissions/{id}/build-on`.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let d = queries::build_on(&state, id.clone()).await?;
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let targets = d
        .targets
        .into_iter()
        .map(|c| TargetRow {
            href: format!("/challenges/{}/submit?builds_on={id}", c.slug),
            challenge_href: format!("/challenges/{}", c.slug),
            title: c.title,
            deadline: Stamp::of(c.deadline),
            licences: c.licences.join(", "),
        })
        .collect();
    render(&BuildOnPage {
        byline: t.fmt(
            "sub.source.byline",
            &[
                ("holders", &d.source.holders),
                ("licence", &d.source.licence),
            ],
        ),
        meaning: crate::frontend::labels::licence_meaning(t, &d.source.licence),
        source_id: d.source.id,
        source_title: d.source.title,
        allowed: d.allowed,
        targets,
        page: ctx,
    })
}
