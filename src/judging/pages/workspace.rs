//! A judge's workspace: invitations waiting for an answer, and the queue of
//! assignments by round with progress; a round's entries by title, where
//! conflicts of interest are declared before scoring.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{card_label, round_state_label};
use crate::error::AppError;
use crate::frontend::forms::{form_failure, FormErrors};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::Notice;
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::judging::queries::views::{self, JudgeInvitationView, JudgeRoundView};
use crate::judging::service::panel::{self, Invitation};
use crate::judging::service::scoring::{self, ConflictInput};
use crate::state::AppState;

/// One assignment in the queue.
struct QueueItem {
    id: String,
    code: String,
    title: String,
    card: &'static str,
    done: bool,
}

/// A round in the queue.
struct QueueRound {
    id: String,
    challenge: String,
    name: String,
    state: &'static str,
    open: bool,
    blind: bool,
    done: usize,
    items: Vec<QueueItem>,
}

#[derive(Template)]
#[template(path = "judging/workspace.html")]
struct WorkspacePage {
    page: PageCtx,
    notice: Option<Notice>,
    invitations: Vec<JudgeInvitationView>,
    rounds: Vec<QueueRound>,
}

/// What was just done.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// `GET /judging`.
pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = user.ctx(&req);
    let t = ctx.t;
    let (uid, email) = (user.0.user.id.clone(), user.0.user.email.clone());
    let (assignments, invitations) = state
        .db(move |c| {
            Ok((
                views::my_assignments(c, &uid)?,
                views::invitations_for(c, &email)?,
            ))
        })
        .await?;
    let mut rounds: Vec<QueueRound> = Vec::new();
    for a in assignments {
        let done = a.scorecard.as_ref().is_some_and(|s| s.state == "submitted");
        let item = QueueItem {
            id: a.id.clone(),
            code: a.code.clone(),
            title: a.title.clone(),
            card: card_label(t, a.scorecard.as_ref().map(|s| s.state.as_str())),
            done,
        };
        match rounds.iter_mut().find(|r| r.id == a.round.id) {
            Some(r) => {
                r.done += usize::from(done);
                r.items.push(item);
            }
            None => rounds.push(QueueRound {
                id: a.round.id.clone(),
                challenge: a.challenge.title.clone(),
                name: a.round.name.clone(),
                state: round_state_label(t, &a.round.state),
                open: a.round.state == "open",
                blind: a.challenge.blind,
                done: usize::from(done),
                items: vec![item],
            }),
        }
    }
    let notice = match q.done.as_str() {
        "accepted" => Some(Notice::ok(t.get("judging.done.accepted"))),
        "declined" => Some(Notice::info(t.get("judging.done.declined"))),
        "submitted" => Some(Notice::ok(t.get("judging.done.submitted"))),
        _ => None,
    };
    render(&WorkspacePage {
        page: ctx,
        notice,
        invitations,
        rounds,
    })
}

/// `POST /judging/invitations/{id}/{verb}` (`accept` or `decline`).
pub async fn answer(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, verb) = path.into_inner();
    let accept = match verb.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(AppError::NotFound),
    };
    panel::respond(&state, &user.0, Invitation::Id(id), accept).await?;
    Ok(see_other(if accept {
        "/judging?done=accepted"
    } else {
        "/judging?done=declined"
    }))
}

#[derive(Template)]
#[template(path = "judging/round.html")]
struct RoundPage {
    page: PageCtx,
    v: JudgeRoundView,
    notice: Option<Notice>,
    errors: FormErrors,
    /// The entry chosen in the conflict form, and the reason typed.
    chosen: String,
    reason: String,
}

/// What the round page carries besides the round: a notice, and the
/// conflict form as typed with its errors.
#[derive(Default)]
struct Extras {
    notice: Option<Notice>,
    errors: FormErrors,
    chosen: String,
    reason: String,
}

async fn round_page(
    ctx: PageCtx,
    state: &AppState,
    user: &PageUser,
    id: String,
    x: Extras,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let uid = user.0.user.id.clone();
    let v = state.db(move |c| views::judge_round(c, &uid, &id)).await?;
    render_status(
        &RoundPage {
            page: ctx,
            v,
            notice: x.notice,
            errors: x.errors,
            chosen: x.chosen,
            reason: x.reason,
        },
        status,
    )
}

/// `GET /judging/rounds/{id}`: the round's entries by title, my conflicts.
pub async fn round(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = user.ctx(&req);
    let notice = (q.done == "conflict").then(|| Notice::ok(ctx.t.get("judging.done.conflict")));
    let x = Extras {
        notice,
        ..Extras::default()
    };
    round_page(ctx, &state, &user, path.into_inner(), x, StatusCode::OK).await
}

/// The conflict form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConflictForm {
    submission_id: String,
    reason: String,
}

/// `POST /judging/rounds/{id}/conflicts`.
pub async fn declare(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<ConflictForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let f = form.into_inner();
    let input = ConflictInput {
        submission_id: f.submission_id.clone(),
        reason: f.reason.clone(),
    };
    match scoring::declare_conflict(&state, &user.0, &id, input).await {
        Ok(()) => Ok(see_other(&format!("/judging/rounds/{id}?done=conflict"))),
        Err(e) => {
            let ctx = user.ctx(&req);
            let (errors, status) = form_failure(ctx.t, e, &["round_closed"])?;
            let x = Extras {
                notice: None,
                errors,
                chosen: f.submission_id,
                reason: f.reason,
            };
            round_page(ctx, &state, &user, id, x, status).await
        }
    }
}
