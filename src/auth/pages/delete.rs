//! Deleting one's account: what goes, what stays and why, then the
//! password to confirm.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::clear_session;
use crate::error::AppError;
use crate::frontend::forms::{form_failure, FormErrors};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::MessagePage;
use crate::frontend::{render, render_status, PageCtx};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "auth/delete.html")]
struct DeletePage {
    page: PageCtx,
    /// Organisations only this person owns: to hand over first.
    blockers: Vec<String>,
    errors: FormErrors,
}

/// `GET /settings/delete`.
pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
) -> Result<HttpResponse, AppError> {
    let blockers = crate::privacy::delete::blockers(&state, &user.0.user.id).await?;
    render(&DeletePage {
        page: user.ctx(&req),
        blockers,
        errors: FormErrors::default(),
    })
}

/// The confirmation.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    password: String,
}

/// `POST /settings/delete`: deletes the account, signs out, says so.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    match crate::privacy::delete::delete_account(&state, &user.0.user.id, &form.password).await {
        Ok(()) => {
            // Signed out here and now; the page says it is done.
            let anonymous = crate::auth::extract::MaybeUser(None);
            let ctx = PageCtx::new(&req, &anonymous);
            let t = ctx.t;
            let page = MessagePage::new(
                ctx,
                "ok",
                t.get("privacy.delete.done"),
                t.get("privacy.delete.done_lead"),
            );
            let html = page.render().map_err(AppError::internal)?;
            let mut res = HttpResponse::Ok();
            clear_session(&state, &mut res);
            Ok(res
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(html))
        }
        Err(e) => {
            let ctx = user.ctx(&req);
            let (errors, status) = form_failure(ctx.t, e, &["sole_owner"])?;
            let blockers = crate::privacy::delete::blockers(&state, &user.0.user.id).await?;
            render_status(
                &DeletePage {
                    page: ctx,
                    blockers,
                    errors,
                },
                status,
            )
        }
    }
}
