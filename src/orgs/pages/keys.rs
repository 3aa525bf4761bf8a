//! The API keys of an organisation (owners and admins): listing, creating
//! one (its secret shown once) and revoking.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{scope_label, DoneQuery};
use crate::auth::extract::{AuthUser, Principal};
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::forms::{form_failure, FormErrors, Pairs};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::{Choice, Notice};
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::i18n::Tr;
use crate::orgs::model::Scope;
use crate::orgs::queries;
use crate::orgs::service::{self, NewKey};
use crate::state::AppState;

/// An API key as listed (never with its secret).
#[derive(Debug, Clone)]
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    scopes: Vec<&'static str>,
    created: Stamp,
    last_used: Option<Stamp>,
    revoked: Option<Stamp>,
}

#[derive(Template)]
#[template(path = "orgs/api_keys.html")]
struct KeysPage {
    page: PageCtx,
    org_name: String,
    slug: String,
    tab: &'static str,
    can_keys: bool,
    keys: Vec<KeyRow>,
    name: String,
    scopes: Vec<Choice>,
    errors: FormErrors,
    notice: Option<Notice>,
}

/// Every scope as a checkbox, those in `checked` ticked.
fn scope_choices(t: Tr, checked: &[String]) -> Vec<Choice> {
    Scope::ALL
        .iter()
        .map(|s| {
            Choice::new(
                s.as_str(),
                scope_label(t, *s),
                checked.iter().any(|c| c == s.as_str()),
            )
        })
        .collect()
}

/// The keys page of `slug`, with an empty creation form.
async fn keys_page(
    state: &AppState,
    ctx: PageCtx,
    user: &AuthUser,
    slug: &str,
) -> Result<KeysPage, AppError> {
    let t = ctx.t;
    let who = Principal::User(user.clone());
    let (org, keys) = queries::api_keys(state, who, slug.to_owned()).await?;
    let keys = keys
        .into_iter()
        .map(|k| KeyRow {
            scopes: k.scope_list().into_iter().map(|s| s.as_str()).collect(),
            created: Stamp::of(k.created_at),
            last_used: k.last_used_at.map(Stamp::of),
            revoked: k.revoked_at.map(Stamp::of),
            id: k.id,
            name: k.name,
            prefix: k.prefix,
        })
        .collect();
    Ok(KeysPage {
        page: ctx,
        org_name: org.name,
        slug: org.slug,
        tab: "keys",
        can_keys: true,
        keys,
        name: String::new(),
        scopes: scope_choices(t, &[]),
        errors: FormErrors::default(),
        notice: None,
    })
}

/// `GET /orgs/{slug}/api-keys` (owners and admins).
pub async fn keys(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let mut p = keys_page(&state, user.ctx(&req), &user.0, &path.into_inner()).await?;
    if q.done == "revoked" {
        p.notice = Some(Notice::ok(p.page.t.get("keys.revoked_notice")));
    }
    render(&p)
}

#[derive(Template)]
#[template(path = "orgs/key_created.html")]
struct KeyCreatedPage {
    page: PageCtx,
    org_name: String,
    slug: String,
    name: String,
    secret: String,
}

/// `POST /orgs/{slug}/api-keys`: creates a key and shows its secret once.
/// The body is parsed by hand because the scope checkboxes repeat a name.
pub async fn create_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Pairs::parse(&body)?;
    let slug = path.into_inner();
    let (name, scopes) = (form.get("name"), form.all("scopes"));
    let new_key = NewKey {
        name: name.clone(),
        scopes: scopes.clone(),
    };
    let who = Principal::User(user.0.clone());
    match service::create_key(&state, &who, &slug, new_key).await {
        Ok((key, secret)) => {
            let org = queries::by_id(&state, key.org_id).await?;
            render(&KeyCreatedPage {
                page: user.ctx(&req),
                org_name: org.name,
                slug: org.slug,
                name: key.name,
                secret,
            })
        }
        Err(e) => {
            let ctx = user.ctx(&req);
            let t = ctx.t;
            let (errors, status) = form_failure(t, e, &[])?;
            let mut p = keys_page(&state, ctx, &user.0, &slug).await?;
            p.name = name;
            p.scopes = scope_choices(t, &scopes);
            p.errors = errors;
            render_status(&p, status)
        }
    }
}

/// `POST /orgs/{slug}/api-keys/{id}/revoke`.
pub async fn revoke_key(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    service::revoke_key(&state, &Principal::User(user.0), &slug, id).await?;
    Ok(see_other(&format!("/orgs/{slug}/api-keys?done=revoked")))
}
