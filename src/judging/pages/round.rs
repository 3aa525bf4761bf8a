//! A round in the organisation's console: its settings and rubric (while a
//! draft), opening and closing, assignment with changes by hand, progress,
//! the leaderboard with its charts and exports, and — for the final round —
//! the results form.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::console::{form_rows, FormRow, RoundForm};
use super::{agreement_label, round_state_label, score_text};
use crate::auth::principal::Principal;
use crate::error::AppError;
use crate::frontend::charts::{self, Range};
use crate::frontend::format::money;
use crate::frontend::forms::{form_failure, FormErrors, Pairs};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::Notice;
use crate::frontend::{render_status, see_other, PageCtx};
use crate::judging::model::TierDecision;
use crate::judging::queries::{self, console::RoundConsole};
use crate::judging::service::{results, rounds};
use crate::state::AppState;

/// An entry's line in the assignment table.
struct PairLine {
    submission_id: String,
    code: String,
    title: String,
    judges: Vec<(String, String)>,
    submitted: usize,
}

/// A leaderboard line.
struct BoardLine {
    rank: usize,
    submission_id: String,
    code: String,
    title: String,
    team: String,
    raw: String,
    normalised: String,
    judges: usize,
    spread: String,
}

/// A tier of the results form.
struct TierField {
    rank: i32,
    label: String,
    amount: String,
    /// Entries ticked (on a refused form), else the ones proposed.
    chosen: Vec<String>,
}

#[derive(Template)]
#[template(path = "judging/round_console.html")]
struct RoundPage {
    page: PageCtx,
    r: RoundConsole,
    state_label: &'static str,
    draft: bool,
    open: bool,
    notice: Option<Notice>,
    form: RoundForm,
    form_errors: FormErrors,
    form_rows: Vec<FormRow>,
    progress_done: usize,
    progress_total: usize,
    pairs: Vec<PairLine>,
    board: Vec<BoardLine>,
    alpha: Option<String>,
    agreement: Option<&'static str>,
    histogram: String,
    ranges: String,
    tiers: Vec<TierField>,
    results_errors: FormErrors,
}

/// What the page may carry back after a refusal.
#[derive(Default)]
struct Typed {
    form: Option<RoundForm>,
    form_errors: FormErrors,
    chosen: Option<Vec<(i32, Vec<String>)>>,
    results_errors: FormErrors,
}

async fn round_page(
    ctx: PageCtx,
    state: &AppState,
    user: &PageUser,
    id: String,
    notice: Option<Notice>,
    typed: Typed,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let t = ctx.t;
    let who = Principal::User(user.0.clone());
    let r = state
        .db(move |c| queries::console::round_console(c, &who, &id))
        .await?;
    let judge_name = |id: &str| {
        r.judges
            .iter()
            .find(|j| j.id == id)
            .map(|j| j.name.clone())
            .unwrap_or_default()
    };
    let pairs = r
        .round
        .progress
        .as_ref()
        .map(|p| {
            p.per_entry
                .iter()
                .map(|e| PairLine {
                    submission_id: e.submission_id.clone(),
                    code: e.code.clone(),
                    title: e.title.clone(),
                    judges: e
                        .judges
                        .iter()
                        .map(|j| (j.clone(), judge_name(j)))
                        .collect(),
                    submitted: e.submitted,
                })
                .collect()
        })
        .unwrap_or_default();
    let (board, alpha, agreement, histogram, ranges) = match &r.leaderboard {
        Some(b) if !b.rows.is_empty() => {
            let lines = b
                .rows
                .iter()
                .map(|row| BoardLine {
                    rank: row.rank,
                    submission_id: row.submission_id.clone(),
                    code: row.code.clone(),
                    title: row.title.clone(),
                    team: row.team.clone().unwrap_or_default(),
                    raw: score_text(t, row.raw),
                    normalised: score_text(t, row.normalised),
                    judges: row.judges,
                    spread: score_text(t, row.spread),
                })
                .collect();
            let scores: Vec<f64> = b
                .rows
                .iter()
                .map(|row| {
                    if b.normalised {
                        row.normalised
                    } else {
                        row.raw
                    }
                })
                .collect();
            let hist = charts::histogram(
                &scores,
                t.get("judging.chart.distribution"),
                t.get("judging.chart.entries"),
            );
            let rs: Vec<Range<'_>> = b
                .judges
                .iter()
                .map(|j| Range {
                    name: &j.name,
                    min: j.min,
                    mean: j.mean,
                    max: j.max,
                })
                .collect();
            let ranges = charts::ranges(&rs, t.get("judging.chart.spread"));
            (
                lines,
                b.alpha.map(|a| format!("{a:.2}")),
                b.agreement.as_deref().map(|a| agreement_label(t, a)),
                hist,
                ranges,
            )
        }
        _ => (Vec::new(), None, None, String::new(), String::new()),
    };
    let tiers = r
        .tiers
        .iter()
        .map(|tier| {
            let typed_choice = typed
                .chosen
                .as_ref()
                .and_then(|c| c.iter().find(|(rank, _)| *rank == tier.rank))
                .map(|(_, e)| e.clone());
            // Proposed: the entry whose rank matches the tier's position.
            let proposal = r
                .leaderboard
                .as_ref()
                .and_then(|b| b.rows.get((tier.rank - 1).max(0) as usize))
                .map(|row| vec![row.submission_id.clone()])
                .unwrap_or_default();
            TierField {
                rank: tier.rank,
                label: tier.label.clone(),
                amount: money(t, &tier.amount),
                chosen: typed_choice.unwrap_or(proposal),
            }
        })
        .collect();
    let form = typed.form.unwrap_or_else(|| RoundForm::of(&r.round));
    let form_rows = form_rows(&form, &typed.form_errors);
    let (progress_done, progress_total) = r
        .round
        .progress
        .as_ref()
        .map(|p| (p.submitted, p.assignments))
        .unwrap_or((0, 0));
    render_status(
        &RoundPage {
            state_label: round_state_label(t, &r.round.state),
            draft: r.round.state == "draft",
            open: r.round.state == "open",
            page: ctx,
            notice,
            form,
            form_errors: typed.form_errors,
            form_rows,
            progress_done,
            progress_total,
            pairs,
            board,
            alpha,
            agreement,
            histogram,
            ranges,
            tiers,
            results_errors: typed.results_errors,
            r,
        },
        status,
    )
}

/// What was just done.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
    added: String,
    short: String,
}

/// `GET /manage/rounds/{id}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = user.ctx(&req);
    let t = ctx.t;
    let notice = match q.done.as_str() {
        "created" => Some(Notice::ok(t.get("judging.done.round_created"))),
        "updated" => Some(Notice::ok(t.get("judging.done.round_updated"))),
        "opened" | "assigned" => {
            let short: usize = q.short.parse().unwrap_or(0);
            let text = t.fmt(
                "judging.done.assigned",
                &[("added", q.added.as_str()), ("short", &short.to_string())],
            );
            Some(if short > 0 {
                Notice::info(text)
            } else {
                Notice::ok(text)
            })
        }
        "paired" => Some(Notice::ok(t.get("judging.done.paired"))),
        "unpaired" => Some(Notice::ok(t.get("judging.done.unpaired"))),
        "closed" => Some(Notice::ok(t.get("judging.done.closed"))),
        _ => None,
    };
    round_page(
        ctx,
        &state,
        &user,
        path.into_inner(),
        notice,
        Typed::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /manage/rounds/{id}`: the draft's settings and rubric.
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let f = RoundForm::parse(&Pairs::parse(&body)?);
    let t = user.ctx(&req).t;
    let mut local = FormErrors::default();
    let input = f.input(&mut local, t);
    let result = if local.is_empty() {
        rounds::update(&state, &Principal::User(user.0.clone()), &id, input)
            .await
            .map(Some)
    } else {
        Ok(None)
    };
    match result {
        Ok(Some(_)) => Ok(see_other(&format!("/manage/rounds/{id}?done=updated"))),
        other => {
            let ctx = user.ctx(&req);
            let (mut form_errors, status) = match other {
                Err(e) => form_failure(ctx.t, e, &["round_not_draft"])?,
                _ => (local, StatusCode::UNPROCESSABLE_ENTITY),
            };
            if form_errors.notice.is_none() {
                form_errors.notice = Some(ctx.t.get("form.error.summary").to_owned());
            }
            let typed = Typed {
                form: Some(f),
                form_errors,
                ..Typed::default()
            };
            round_page(ctx, &state, &user, id, None, typed, status).await
        }
    }
}

/// Runs a one-button action; a refusal shows on the round's page.
async fn action(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    id: String,
    result: Result<String, AppError>,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(done) => Ok(see_other(&format!("/manage/rounds/{id}?done={done}"))),
        Err(e) => {
            let ctx = user.ctx(&req);
            let (errors, status) = form_failure(
                ctx.t,
                e,
                &[
                    "round_not_draft",
                    "round_not_open",
                    "submissions_open",
                    "previous_round_open",
                    "no_entries",
                    "no_rubric",
                    "no_judges",
                    "conflict_of_interest",
                ],
            )?;
            let notice = errors.summary().map(Notice::error);
            round_page(ctx, &state, &user, id, notice, Typed::default(), status).await
        }
    }
}

/// `POST /manage/rounds/{id}/open`.
pub async fn open(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let who = Principal::User(user.0.clone());
    let result = rounds::open(&state, &who, &id)
        .await
        .map(|(_, r)| format!("opened&added={}&short={}", r.added, r.short.len()));
    action(req, state, user, id, result).await
}

/// `POST /manage/rounds/{id}/assign`.
pub async fn assign(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let who = Principal::User(user.0.clone());
    let result = rounds::assign(&state, &who, &id)
        .await
        .map(|r| format!("assigned&added={}&short={}", r.added, r.short.len()));
    action(req, state, user, id, result).await
}

/// `POST /manage/rounds/{id}/close`.
pub async fn close(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let who = Principal::User(user.0.clone());
    let result = rounds::close(&state, &who, &id)
        .await
        .map(|_| "closed".to_owned());
    action(req, state, user, id, result).await
}

/// A pair to add or remove by hand.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PairForm {
    judge_id: String,
    submission_id: String,
}

/// `POST /manage/rounds/{id}/pairs` (add) and `/pairs/remove`.
pub async fn pair(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<PairForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let add = !req.path().ends_with("/remove");
    let who = Principal::User(user.0.clone());
    let result = rounds::set_pair(&state, &who, &id, &form.judge_id, &form.submission_id, add)
        .await
        .map(|_| if add { "paired" } else { "unpaired" }.to_owned());
    action(req, state, user, id, result).await
}

/// `GET /manage/rounds/{id}/leaderboard.csv` and `/scorecards.csv`.
pub async fn csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let cards = req.path().ends_with("/scorecards.csv");
    let who = Principal::User(user.0.clone());
    let body = state
        .db(move |c| {
            if cards {
                queries::scorecards_csv_for(c, &who, &id)
            } else {
                let b = queries::leaderboard_for(c, &who, &id)?;
                queries::board::leaderboard_csv(&b)
            }
        })
        .await?;
    let name = if cards {
        "scorecards.csv"
    } else {
        "leaderboard.csv"
    };
    Ok(crate::judging::api::csv_response(name.into(), body))
}

/// `POST /manage/rounds/{id}/results`: fields `tier.<rank>` (repeated, one
/// per winning entry; none withholds the tier) and `show_scores`.
pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let p = Pairs::parse(&body)?;
    let who = Principal::User(user.0.clone());
    let (rid, who2) = (id.clone(), who.clone());
    let r = state
        .db(move |c| queries::console::round_console(c, &who2, &rid))
        .await?;
    let chosen: Vec<(i32, Vec<String>)> = r
        .tiers
        .iter()
        .map(|t| (t.rank, p.all(&format!("tier.{}", t.rank))))
        .collect();
    let input = results::ResultsInput {
        tiers: chosen
            .iter()
            .map(|(rank, entries)| TierDecision {
                rank: *rank,
                entries: entries.clone(),
            })
            .collect(),
        show_scores: p.has("show_scores"),
    };
    match results::publish(&state, &who, &r.challenge_id, input).await {
        Ok(_) => Ok(see_other(&format!("/challenges/{}/results", r.slug))),
        Err(e) => {
            let ctx = user.ctx(&req);
            let (mut results_errors, status) = form_failure(
                ctx.t,
                e,
                &[
                    "results_published",
                    "round_not_closed",
                    "not_judging",
                    "no_round",
                ],
            )?;
            if let Some(first) = results_errors.summary() {
                results_errors.notice = Some(first);
            }
            let typed = Typed {
                chosen: Some(chosen),
                results_errors,
                ..Typed::default()
            };
            round_page(ctx, &state, &user, id, None, typed, status).await
        }
    }
}
