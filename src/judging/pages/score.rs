//! The scoring form: the entry as judged beside the round's rubric, a score
//! and a comment per criterion, saved as a draft or submitted; usable from
//! the keyboard alone (native fields in reading order).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{card_label, score_text};
use crate::error::AppError;
use crate::frontend::forms::{form_failure, FormErrors, Pairs};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::Notice;
use crate::frontend::{render_status, see_other, PageCtx};
use crate::judging::queries::views::{self, JudgedEntry};
use crate::judging::service::scoring::{self, ScorecardInput};
use crate::state::AppState;

/// One criterion row of the form.
struct Row {
    id: String,
    name: String,
    description: String,
    min: i32,
    max: i32,
    weight: String,
    comment_required: bool,
    score: String,
    comment: String,
    score_error: Option<&'static str>,
    comment_error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "judging/score.html")]
struct ScorePage {
    page: PageCtx,
    e: JudgedEntry,
    rows: Vec<Row>,
    card: &'static str,
    total: Option<String>,
    open: bool,
    notice: Option<Notice>,
}

/// What was just done.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

fn page(
    ctx: PageCtx,
    e: JudgedEntry,
    typed: Option<&Pairs>,
    errors: FormErrors,
    notice: Option<Notice>,
) -> ScorePage {
    let t = ctx.t;
    let saved = e.scorecard.clone();
    let rows = e
        .criteria
        .iter()
        .map(|c| {
            let (score, comment) = match typed {
                Some(p) => (
                    p.get(&format!("score.{}", c.id)),
                    p.get(&format!("comment.{}", c.id)),
                ),
                None => (
                    saved
                        .as_ref()
                        .and_then(|s| s.scores.get(&c.id))
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    saved
                        .as_ref()
                        .and_then(|s| s.comments.get(&c.id))
                        .cloned()
                        .unwrap_or_default(),
                ),
            };
            Row {
                score_error: errors.field(&format!("scores.{}", c.id)).map(|_| {
                    if score.trim().is_empty() {
                        t.get("judging.score.error.required")
                    } else {
                        t.get("judging.score.error.scale")
                    }
                }),
                comment_error: errors
                    .field(&format!("comments.{}", c.id))
                    .map(|_| t.get("judging.score.error.comment")),
                id: c.id.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                min: c.scale_min,
                max: c.scale_max,
                weight: score_text(t, c.weight),
                comment_required: c.comment_required,
                score,
                comment,
            }
        })
        .collect();
    ScorePage {
        card: card_label(t, saved.as_ref().map(|s| s.state.as_str())),
        total: saved.and_then(|s| s.total).map(|x| score_text(t, x)),
        open: e.round.state == "open",
        page: ctx,
        e,
        rows,
        notice,
    }
}

async fn load(state: &AppState, user: &PageUser, id: String) -> Result<JudgedEntry, AppError> {
    let uid = user.0.user.id.clone();
    state
        .db(move |c| views::judged_entry(c, &uid, &id, "/judging"))
        .await
}

/// `GET /judging/assignments/{id}`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = user.ctx(&req);
    let e = load(&state, &user, path.into_inner()).await?;
    let notice = match q.done.as_str() {
        "saved" => Some(Notice::ok(ctx.t.get("judging.done.saved"))),
        "submitted" => Some(Notice::ok(ctx.t.get("judging.done.submitted"))),
        _ => None,
    };
    render_status(
        &page(ctx, e, None, FormErrors::default(), notice),
        StatusCode::OK,
    )
}

/// `POST /judging/assignments/{id}`: fields `score.<criterion>`,
/// `comment.<criterion>`, and `submit=1` to submit.
pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let p = Pairs::parse(&body)?;
    let mut input = ScorecardInput {
        submit: p.get("submit") == "1",
        ..ScorecardInput::default()
    };
    let mut unreadable = FormErrors::default();
    let t = user.ctx(&req).t;
    for (k, v) in &p.0 {
        if let Some(c) = k.strip_prefix("score.") {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match v.parse::<i32>() {
                Ok(n) => {
                    input.scores.insert(c.to_owned(), n);
                }
                Err(_) => {
                    unreadable.add(&format!("scores.{c}"), t.get("judging.score.error.scale"))
                }
            }
        } else if let Some(c) = k.strip_prefix("comment.") {
            if !v.trim().is_empty() {
                input
                    .comments
                    .insert(c.to_owned(), crate::frontend::forms::lf(v));
            }
        }
    }
    if !unreadable.is_empty() {
        // A score that is not a whole number never reaches the service.
        let ctx = user.ctx(&req);
        unreadable.notice = Some(ctx.t.get("form.error.summary").to_owned());
        let notice = unreadable.notice.clone().map(Notice::error);
        let e = load(&state, &user, id).await?;
        return render_status(
            &page(ctx, e, Some(&p), unreadable, notice),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match scoring::save(&state, &user.0, &id, input).await {
        Ok(_) => {
            let done = if p.get("submit") == "1" {
                "submitted"
            } else {
                "saved"
            };
            Ok(see_other(&format!("/judging/assignments/{id}?done={done}")))
        }
        Err(err) => {
            let ctx = user.ctx(&req);
            let (errors, status) = form_failure(ctx.t, err, &["round_closed"])?;
            let e = load(&state, &user, id).await?;
            let notice = errors.notice.clone().map(Notice::error);
            render_status(&page(ctx, e, Some(&p), errors, notice), status)
        }
    }
}
