//! The solutions gallery: published solutions with their licence and
//! attribution, searchable, and filtered by what the gallery holds.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::attribution;
use crate::auth::extract::MaybeUser;
use crate::challenges::model::Licence;
use crate::error::AppError;
use crate::frontend::format::{short_hash, Stamp};
use crate::frontend::widgets::Choice;
use crate::frontend::{render, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::submissions::queries::{self, GalleryParams};

/// The gallery's query, as typed (an empty box means no filter).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GalleryForm {
    q: String,
    licence: String,
    challenge: String,
}

/// A published solution as a card.
#[derive(Debug, Clone)]
pub(super) struct GalleryCard {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) abstract_text: String,
    pub(super) challenge_title: String,
    pub(super) challenge_slug: String,
    pub(super) attribution: String,
    pub(super) licence: Licence,
    pub(super) sha256: String,
    pub(super) short: String,
    pub(super) published: Option<Stamp>,
    /// "Builds on *Title* by A · CC-BY-4.0": the nearest source.
    pub(super) source: Option<(String, String, String)>,
}

/// The card of a published solution.
pub(super) fn card(t: Tr, v: crate::submissions::queries::SubmissionView) -> GalleryCard {
    GalleryCard {
        source: v.builds_on.first().map(|r| {
            (
                r.title.clone(),
                r.url.clone(),
                t.fmt(
                    "sub.source.byline",
                    &[("holders", &r.holders), ("licence", &r.licence)],
                ),
            )
        }),
        attribution: attribution(t, &v.title, &v.copyright_holders, &v.licence.id),
        short: short_hash(&v.revision.sha256),
        sha256: v.revision.sha256,
        published: v.published_at.map(Stamp::of),
        id: v.id,
        title: v.title,
        abstract_text: v.abstract_text,
        challenge_title: v.challenge.title,
        challenge_slug: v.challenge.slug,
        licence: v.licence,
    }
}

#[derive(Template)]
#[template(path = "submissions/gallery.html")]
struct GalleryPage {
    page: PageCtx,
    form: GalleryForm,
    licences: Vec<Choice>,
    challenges: Vec<Choice>,
    cards: Vec<GalleryCard>,
    /// "3 solutions shown".
    count_text: String,
    filtered: bool,
}

/// The most solutions one gallery page shows.
const GALLERY_SIZE: i64 = 60;

/// The licence filter: any, or one the gallery holds (and the one asked
/// for, even when it holds none).
fn licence_choices(t: Tr, mut ids: Vec<String>, asked: &str) -> Vec<Choice> {
    ids.sort();
    let selected = Licence::parse(asked)
        .map(|l| l.id)
        .unwrap_or_else(|| asked.trim().to_owned());
    if !selected.is_empty() && !ids.contains(&selected) {
        ids.push(selected.clone());
    }
    let any = Choice::new("", t.get("sub.gallery.any_licence"), selected.is_empty());
    let named = ids.into_iter().map(|id| {
        let label = Licence::parse(&id)
            .map(|l| format!("{} — {}", l.id, l.name))
            .unwrap_or_else(|| id.clone());
        Choice::new(&id, label, id == selected)
    });
    std::iter::once(any).chain(named).collect()
}

/// The challenge filter: any, or one whose solutions the gallery holds, by title.
fn challenge_choices(t: Tr, mut chs: Vec<(String, String)>, asked: &str) -> Vec<Choice> {
    chs.sort_by(|a, b| a.1.cmp(&b.1));
    let asked = asked.trim();
    let any = Choice::new("", t.get("sub.gallery.any_challenge"), asked.is_empty());
    let named = chs
        .into_iter()
        .map(|(slug, title)| Choice::of(&slug, title, asked));
    std::iter::once(any).chain(named).collect()
}

/// `GET /solutions`: published solutions with their licence and attribution.
pub async fn gallery(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<GalleryForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let form = q.into_inner();
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let params = GalleryParams {
        q: some(&form.q),
        licence: some(&form.licence),
        challenge: some(&form.challenge),
        limit: Some(GALLERY_SIZE),
    };
    let found = queries::gallery_page(&state, params).await?;
    let cards: Vec<GalleryCard> = found.items.into_iter().map(|v| card(t, v)).collect();
    let filtered = [&form.q, &form.licence, &form.challenge]
        .iter()
        .any(|s| !s.trim().is_empty());
    let count_text = match cards.len() {
        1 => t.get("sub.gallery.count_one").to_owned(),
        n => t.fmt("sub.gallery.count", &[("n", &n.to_string())]),
    };
    render(&GalleryPage {
        licences: licence_choices(t, found.licences, &form.licence),
        challenges: challenge_choices(t, found.challenges, &form.challenge),
        page: ctx,
        form,
        cards,
        count_text,
        filtered,
    })
}
