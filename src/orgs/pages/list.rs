//! My organisations, and creating one (I become its owner).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{role_label, DoneQuery};
use crate::error::AppError;
use crate::frontend::forms::{form_failure, FormErrors};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::Notice;
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::orgs::model::Slug;
use crate::orgs::{queries, service};
use crate::state::AppState;

/// One of my organisations, with my role in it.
#[derive(Debug, Clone)]
struct OrgRow {
    name: String,
    slug: String,
    role: &'static str,
    role_label: &'static str,
}

#[derive(Template)]
#[template(path = "orgs/list.html")]
struct OrgsPage {
    page: PageCtx,
    orgs: Vec<OrgRow>,
    notice: Option<Notice>,
}

/// `GET /orgs`: the organisations I belong to.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = user.ctx(&req);
    let t = ctx.t;
    let orgs = queries::of_user(&state, user.0.user.id.clone())
        .await?
        .into_iter()
        .map(|(o, r)| OrgRow {
            name: o.name,
            slug: o.slug,
            role: r.as_str(),
            role_label: role_label(t, r),
        })
        .collect();
    let notice = match q.done.as_str() {
        "left" => Some(Notice::ok(t.get("orgs.left"))),
        _ => None,
    };
    render(&OrgsPage {
        page: ctx,
        orgs,
        notice,
    })
}

/// The new-organisation form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewOrgForm {
    name: String,
    slug: String,
}

#[derive(Template)]
#[template(path = "orgs/new.html")]
struct NewOrgPage {
    page: PageCtx,
    name: String,
    slug: String,
    errors: FormErrors,
}

/// `GET /orgs/new`.
pub async fn new_form(req: HttpRequest, user: PageUser) -> Result<HttpResponse, AppError> {
    render(&NewOrgPage {
        page: user.ctx(&req),
        name: String::new(),
        slug: String::new(),
        errors: FormErrors::default(),
    })
}

/// `POST /orgs/new`: creates it with me as owner; an empty slug is derived
/// from the name.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    form: web::Form<NewOrgForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let slug = match f.slug.trim() {
        "" => Slug::suggest(&f.name),
        s => s.to_ascii_lowercase(),
    };
    match service::create(&state, &user.0, &slug, &f.name).await {
        Ok(org) => Ok(see_other(&format!("/orgs/{}?done=created", org.slug))),
        Err(e) => {
            let ctx = user.ctx(&req);
            let (errors, status) = form_failure(ctx.t, e, &[])?;
            render_status(
                &NewOrgPage {
                    page: ctx,
                    name: f.name,
                    slug,
                    errors,
                },
                status,
            )
        }
    }
}
