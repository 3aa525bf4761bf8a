//! What the organisation tells its solvers from the management page: new
//! rules versions (solvers accept them again) and announcements (emailed
//! to every registrant).

use actix_web::{web, HttpRequest, HttpResponse};

use super::challenge::{manage_failure, ManageForms, Section};
use super::manage_href;
use crate::auth::extract::Principal;
use crate::challenges::queries::Announcement;
use crate::challenges::service;
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::forms::Pairs;
use crate::frontend::see_other;
use crate::frontend::session::PageUser;
use crate::state::AppState;

/// An announcement as listed.
#[derive(Debug, Clone)]
pub struct AnnouncementRow {
    pub title: String,
    pub body_html: String,
    pub posted: Stamp,
}

/// The announcements as listed, newest first.
pub fn announcement_rows(announcements: Vec<Announcement>) -> Vec<AnnouncementRow> {
    announcements
        .into_iter()
        .map(|a| AnnouncementRow {
            body_html: crate::markdown::render(&a.body_md),
            title: a.title,
            posted: Stamp::of(a.created_at),
        })
        .collect()
}

/// `POST /manage/challenges/{key}/rules`: publishes a new rules version.
pub async fn new_rules(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let p = Pairs::parse(&body)?;
    let key = path.into_inner();
    let who = Principal::User(user.0.clone());
    let text = p.get("rules");
    match service::new_rules(&state, &who, &key, text.clone()).await {
        Ok(v) => Ok(see_other(&format!(
            "{}?done=rules&n={v}#rules",
            manage_href(&key)
        ))),
        Err(e) => {
            let forms = ManageForms {
                rules_text: Some(text),
                ..ManageForms::default()
            };
            manage_failure(&req, &state, &user, &key, e, Section::Rules, forms).await
        }
    }
}

/// `POST /manage/challenges/{key}/announcements`: posts an announcement and
/// emails every registrant.
pub async fn announce(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let p = Pairs::parse(&body)?;
    let key = path.into_inner();
    let who = Principal::User(user.0.clone());
    let (title, text) = (p.get("title"), p.get("body"));
    match service::announce(&state, &who, &key, &title, &text).await {
        Ok((_, n)) => Ok(see_other(&format!(
            "{}?done=announced&n={n}#announcements",
            manage_href(&key)
        ))),
        Err(e) => {
            let forms = ManageForms {
                ann_title: title,
                ann_body: text,
                ..ManageForms::default()
            };
            manage_failure(&req, &state, &user, &key, e, Section::Announce, forms).await
        }
    }
}
