//! Pages for everyone: a challenge's published results, and how judging
//! ranks entries (the formulas, in plain words), so solvers see how they
//! were ranked.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{agreement_label, score_text};
use crate::auth::extract::MaybeUser;
use crate::error::AppError;
use crate::frontend::format::{money, Stamp};
use crate::frontend::{render, PageCtx};
use crate::judging::model::MIN_CARDS_TO_NORMALISE;
use crate::judging::queries::{self, results::ResultsView};
use crate::state::AppState;

/// A winner or published entry as the page shows it.
struct EntryLine {
    rank: usize,
    title: String,
    team: String,
    score: Option<String>,
    prize: Option<String>,
    licence_name: String,
    licence_url: String,
    attribution: String,
    url: String,
}

/// A tier and its winners.
struct TierLine {
    rank: i32,
    label: String,
    amount: String,
    withheld: bool,
    winners: Vec<EntryLine>,
}

#[derive(Template)]
#[template(path = "judging/results.html")]
struct ResultsPage {
    page: PageCtx,
    slug: String,
    title: String,
    published: Stamp,
    round: String,
    normalised: bool,
    show_scores: bool,
    alpha: Option<String>,
    agreement: Option<&'static str>,
    tiers: Vec<TierLine>,
    entries: Vec<EntryLine>,
    judged: usize,
}

fn line(ctx: &PageCtx, v: &ResultsView, e: &queries::results::PublicEntry) -> EntryLine {
    let t = ctx.t;
    let mut team = e.team.join(", ");
    if e.anonymous_members > 0 {
        let anon = t.fmt(
            "judging.results.anonymous",
            &[("n", &e.anonymous_members.to_string())],
        );
        team = if team.is_empty() {
            anon
        } else {
            format!("{team}, {anon}")
        };
    }
    EntryLine {
        rank: e.rank,
        title: e.title.clone(),
        team,
        score: e.score.filter(|_| v.show_scores).map(|s| score_text(t, s)),
        prize: e.prize.as_ref().map(|m| money(t, m)),
        licence_name: e
            .licence
            .as_ref()
            .map(|l| l.name.clone())
            .unwrap_or_default(),
        licence_url: e
            .licence
            .as_ref()
            .map(|l| l.url.clone())
            .unwrap_or_default(),
        attribution: e.attribution.clone(),
        url: e.url.clone(),
    }
}

/// `GET /challenges/{slug}/results`.
pub async fn results(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let key = path.into_inner();
    let who = user.0.clone().map(crate::auth::principal::Principal::User);
    let v = state
        .db(move |c| queries::results_for(c, who.as_ref(), &key))
        .await?;
    let tiers = v
        .tiers
        .iter()
        .map(|tier| TierLine {
            rank: tier.rank,
            label: tier.label.clone(),
            amount: money(t, &tier.amount),
            withheld: tier.withheld,
            winners: v
                .entries
                .iter()
                .filter(|e| tier.winners.contains(&e.submission_id))
                .map(|e| line(&ctx, &v, e))
                .collect(),
        })
        .collect();
    let entries = v.entries.iter().map(|e| line(&ctx, &v, e)).collect();
    render(&ResultsPage {
        slug: v.slug.clone(),
        title: v.title.clone(),
        published: Stamp::of(v.published_at),
        round: v.round.clone(),
        normalised: v.normalised,
        show_scores: v.show_scores,
        alpha: v.alpha.map(|a| score_text_alpha(t, a)),
        agreement: v.agreement.as_deref().map(|a| agreement_label(t, a)),
        tiers,
        entries,
        judged: v.judged,
        page: ctx,
    })
}

/// Alpha with two decimals (it lives between −1 and 1).
fn score_text_alpha(t: crate::i18n::Tr, a: f64) -> String {
    let s = format!("{a:.2}");
    match t.lang {
        crate::i18n::Language::Fr => s.replace('.', ","),
        crate::i18n::Language::En => s,
    }
}

#[derive(Template)]
#[template(path = "judging/method.html")]
struct MethodPage {
    page: PageCtx,
    min_cards: usize,
}

/// `GET /judging/method`: how entries are scored, ranked and compared.
pub async fn method(req: HttpRequest, user: MaybeUser) -> Result<HttpResponse, AppError> {
    render(&MethodPage {
        page: PageCtx::new(&req, &user),
        min_cards: MIN_CARDS_TO_NORMALISE,
    })
}
