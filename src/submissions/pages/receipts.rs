//! Proof of what was sent and when: the receipt of a revision (its content
//! hash, licence and files) and the history of every revision.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::not_visible;
use crate::auth::extract::{MaybeUser, Principal};
use crate::challenges::model::Licence;
use crate::db::now;
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::{render, PageCtx};
use crate::state::AppState;
use crate::submissions::queries::{self, stored_licence};

/// A file of a revision, on the receipt.
#[derive(Debug, Clone)]
struct ReceiptFile {
    name: String,
    sha256: String,
}

#[derive(Template)]
#[template(path = "submissions/receipt.html")]
struct ReceiptPage {
    page: PageCtx,
    id: String,
    challenge_title: String,
    challenge_slug: String,
    title: String,
    number: i32,
    is_current: bool,
    sha256: String,
    at: Stamp,
    licence: Licence,
    holders: String,
    team: String,
    files: Vec<ReceiptFile>,
}

/// Which revision a receipt or link is about (the current one by default).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevisionQuery {
    revision: String,
}

/// `GET /submissions/{id}/receipt`: the proof of what was sent, and when.
pub async fn receipt(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    q: web::Query<RevisionQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let wanted = q.revision.trim().parse::<i32>().ok();
    let who = user.0.clone().map(Principal::User);
    let r = match queries::receipt(&state, who, &id, wanted).await {
        Ok(r) => r,
        Err(e) => return not_visible(&user, &format!("/submissions/{id}/receipt"), e),
    };
    let licence = stored_licence(&r.rev)?;
    let mut files: Vec<ReceiptFile> = r
        .files
        .into_iter()
        .map(|a| ReceiptFile {
            name: a.filename,
            sha256: a.sha256,
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    render(&ReceiptPage {
        page: PageCtx::new(&req, &user),
        id: r.s.id,
        challenge_title: r.ch.title,
        challenge_slug: r.ch.slug,
        title: r.rev.title,
        number: r.rev.number,
        is_current: r.rev.number == r.s.current_revision,
        sha256: r.rev.content_sha256,
        at: Stamp::of(r.rev.created_at),
        licence,
        holders: r.rev.copyright_holders,
        team: r.team,
        files,
    })
}

/// A revision in the history table.
#[derive(Debug, Clone)]
struct RevisionRow {
    number: i32,
    at: Stamp,
    title: String,
    licence: String,
    files: usize,
    sha256: String,
    judged: bool,
    current: bool,
}

#[derive(Template)]
#[template(path = "submissions/revisions.html")]
struct RevisionsPage {
    page: PageCtx,
    id: String,
    title: String,
    challenge_title: String,
    challenge_slug: String,
    rows: Vec<RevisionRow>,
    /// The deadline has passed (the judged revision is known).
    closed: bool,
}

/// `GET /submissions/{id}/revisions`: every revision, newest first.
pub async fn revisions(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let who = user.0.clone().map(Principal::User);
    let (v, revs, deadline) = match queries::history(&state, who, &id).await {
        Ok(x) => x,
        Err(e) => return not_visible(&user, &format!("/submissions/{id}/revisions"), e),
    };
    let rows = revs
        .into_iter()
        .rev()
        .map(|r| RevisionRow {
            judged: v.judged_revision == Some(r.number),
            current: r.number == v.revision.number,
            files: r.attachment_list().len(),
            at: Stamp::of(r.created_at),
            number: r.number,
            title: r.title,
            licence: r.licence,
            sha256: r.content_sha256,
        })
        .collect();
    render(&RevisionsPage {
        page: PageCtx::new(&req, &user),
        id: v.id,
        title: v.title,
        challenge_title: v.challenge.title,
        challenge_slug: v.challenge.slug,
        rows,
        closed: now() >= deadline,
    })
}
