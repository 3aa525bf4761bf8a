//! The questions section of the management page: what solvers asked,
//! unanswered first, and the organisation's answers (the asker is told by
//! email).

use actix_web::{web, HttpRequest, HttpResponse};

use super::challenge::{manage_failure, ManageForms, Section};
use super::manage_href;
use crate::auth::extract::{MaybeUser, Principal};
use crate::challenges::queries::{self, Question};
use crate::challenges::service;
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::forms::Pairs;
use crate::frontend::see_other;
use crate::frontend::session::{to_login, PageUser};
use crate::state::AppState;

/// A question as listed.
#[derive(Debug, Clone)]
pub struct QuestionRow {
    pub id: String,
    pub asker: String,
    pub body: String,
    pub is_public: bool,
    /// The answer as sanitised HTML from its Markdown.
    pub answer: Option<String>,
    pub asked: Stamp,
    pub answered: Option<Stamp>,
}

/// The questions with their askers' names, unanswered first (each group
/// oldest first), and how many wait for an answer.
pub fn rows(questions: Vec<(Question, String)>) -> (Vec<QuestionRow>, usize) {
    let mut rows: Vec<QuestionRow> = questions
        .into_iter()
        .map(|(q, asker)| QuestionRow {
            id: q.id,
            asker,
            body: q.body,
            is_public: q.is_public,
            answer: q.answer.as_deref().map(crate::markdown::render),
            asked: Stamp::of(q.created_at),
            answered: q.answered_at.map(Stamp::of),
        })
        .collect();
    rows.sort_by_key(|q| q.answer.is_some());
    let unanswered = rows.iter().filter(|q| q.answer.is_none()).count();
    (rows, unanswered)
}

/// `POST /manage/questions/{id}/answer`: answers a question; the asker is
/// told by email.
pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let p = Pairs::parse(&body)?;
    let id = path.into_inner();
    // The challenge the question belongs to (404 for an unknown question).
    // Not `PageUser`: a signed-out visitor goes back to that challenge's
    // page, which the address of this form does not name.
    let challenge_id = queries::question_challenge(&state, id.clone()).await?;
    let Some(u) = user.0 else {
        return Ok(to_login(&manage_href(&challenge_id)));
    };
    let who = Principal::User(u.clone());
    let text = p.get("answer");
    match service::answer(&state, &who, &id, &text).await {
        Ok(q) => {
            let slug = queries::slug_of(&state, q.challenge_id).await?;
            Ok(see_other(&format!(
                "{}?done=answered#questions",
                manage_href(&slug)
            )))
        }
        Err(e) => {
            let forms = ManageForms {
                answer_for: id,
                answer_body: text,
                ..ManageForms::default()
            };
            let user = PageUser(u);
            manage_failure(
                &req,
                &state,
                &user,
                &challenge_id,
                e,
                Section::Answer,
                forms,
            )
            .await
        }
    }
}
