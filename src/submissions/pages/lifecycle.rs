//! What the submission page's buttons do to the submission itself: enter a
//! draft, withdraw, opt in to the gallery, and (for the organisation)
//! disqualify. Each redirects back with a notice, or shows the page again
//! with the message.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::show::{on_top, show_failure};
use crate::auth::extract::Principal;
use crate::error::AppError;
use crate::frontend::forms::lf;
use crate::frontend::see_other;
use crate::frontend::session::PageUser;
use crate::state::AppState;
use crate::submissions::service::{self, SubmissionInput};

/// `POST /submissions/{id}/withdraw`.
pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    match service::withdraw(&state, &user.0.user.id, &id).await {
        Ok((_, service::Withdrawal::Done)) => {
            Ok(see_other(&format!("/submissions/{id}?done=withdrawn")))
        }
        Ok((_, service::Withdrawal::Waiting)) => Ok(see_other(&format!(
            "/submissions/{id}?done=withdrawal_agreed#withdraw"
        ))),
        Err(e) => show_failure(&req, &state, &user.maybe(), &id, e, on_top).await,
    }
}

/// `POST /submissions/{id}/withdraw/keep`: takes back my agreement.
pub async fn keep(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    match service::keep_entry(&state, &user.0.user.id, &id).await {
        Ok(_) => Ok(see_other(&format!(
            "/submissions/{id}?done=withdrawal_taken_back#withdraw"
        ))),
        Err(e) => show_failure(&req, &state, &user.maybe(), &id, e, on_top).await,
    }
}

/// `POST /submissions/{id}/submit`: enters a draft as it is.
pub async fn enter(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let input = SubmissionInput {
        submit: Some(true),
        ..SubmissionInput::default()
    };
    match service::revise(&state, &user.0.user.id, &id, input).await {
        Ok(_) => Ok(see_other(&format!("/submissions/{id}?done=submitted"))),
        Err(e) => show_failure(&req, &state, &user.maybe(), &id, e, on_top).await,
    }
}

/// The publish opt-in form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OptInForm {
    /// `yes` or `no`.
    publish_opt_in: String,
}

/// `POST /submissions/{id}/opt-in`: publish in the gallery even without winning, or not.
pub async fn opt_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<OptInForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let on = form.publish_opt_in == "yes";
    let input = SubmissionInput {
        publish_opt_in: Some(on),
        ..SubmissionInput::default()
    };
    let done = if on { "opt_in" } else { "opt_out" };
    match service::revise(&state, &user.0.user.id, &id, input).await {
        Ok(_) => Ok(see_other(&format!("/submissions/{id}?done={done}#gallery"))),
        Err(e) => show_failure(&req, &state, &user.maybe(), &id, e, on_top).await,
    }
}

/// The disqualification form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DisqualifyForm {
    reason: String,
}

/// `POST /submissions/{id}/disqualify` (the organisation, with a reason).
pub async fn disqualify(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<DisqualifyForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let reason = lf(&form.reason);
    let who = Principal::User(user.0.clone());
    match service::disqualify(&state, &who, &id, &reason).await {
        Ok(_) => Ok(see_other(&format!("/submissions/{id}?done=disqualified"))),
        Err(e) => {
            show_failure(&req, &state, &user.maybe(), &id, e, |p, errors| {
                p.disqualify_errors = errors;
                p.reason = reason;
            })
            .await
        }
    }
}
