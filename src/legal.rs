//! The terms of use and the privacy notice: Markdown whose text the
//! platform configures (`TRIBU_TERMS_FILE`, `TRIBU_PRIVACY_FILE`), with
//! Tribu's own default text in each language when it does not.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::extract::MaybeUser;
use crate::auth::model::Language;
use crate::error::{AppError, AppResult};
use crate::frontend::{render, PageCtx};
use crate::state::AppState;

/// Which of the two texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    Terms,
    Privacy,
}

/// Tribu's default text of `doc` in `lang`.
fn default_text(doc: Doc, lang: Language) -> &'static str {
    match (doc, lang) {
        (Doc::Terms, Language::En) => include_str!("../frontend/legal/terms.en.md"),
        (Doc::Terms, Language::Fr) => include_str!("../frontend/legal/terms.fr.md"),
        (Doc::Privacy, Language::En) => include_str!("../frontend/legal/privacy.en.md"),
        (Doc::Privacy, Language::Fr) => include_str!("../frontend/legal/privacy.fr.md"),
    }
}

/// The Markdown of `doc`: the platform's file when configured (one text for
/// every language: it is the platform's legal wording), else the default.
pub async fn text(state: &AppState, doc: Doc, lang: Language) -> AppResult<String> {
    let file = match doc {
        Doc::Terms => state.config.terms_file.clone(),
        Doc::Privacy => state.config.privacy_file.clone(),
    };
    match file {
        Some(path) => tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| AppError::internal(format!("reading {}: {e}", path.display()))),
        None => Ok(default_text(doc, lang).to_owned()),
    }
}

#[derive(Template)]
#[template(path = "legal.html")]
struct LegalPage {
    page: PageCtx,
    title: &'static str,
    html: String,
}

/// `GET /terms` and `GET /privacy` (the route's data says which).
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    doc: web::Data<Doc>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let md = text(&state, **doc, t.lang).await?;
    render(&LegalPage {
        title: match **doc {
            Doc::Terms => t.get("legal.terms"),
            Doc::Privacy => t.get("legal.privacy"),
        },
        html: crate::markdown::render(&md),
        page: ctx,
    })
}
