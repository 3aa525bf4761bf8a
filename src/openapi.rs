//! The OpenAPI 3.1 document, generated from the handlers' annotations, and a
//! documentation page rendered from it on the server (no CDN, no script).

use actix_web::HttpResponse;
use askama::Template;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{auth, challenges, error, health, orgs, submissions};

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An access token (JWT) or an organisation API key (tribu_sk_…).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Tribu API", description = "Open innovation challenges: organisations, solvers, judges. Errors are application/problem+json with a stable `code`. Every POST accepts an `Idempotency-Key` header (1–255 visible ASCII characters): a retry with the same key replays the first answer (marked `Idempotent-Replayed: true`) for 24 hours."),
    modifiers(&Security),
    paths(
        spec,
        health::healthz, health::readyz,
        auth::api::register, auth::api::verify_email, auth::api::resend_verification, auth::api::login,
        auth::api::refresh, auth::api::logout, auth::api::password_reset, auth::api::password_reset_confirm,
        auth::api::me, auth::api::update_me, auth::api::change_password, auth::api::sessions, auth::api::revoke_session,
        orgs::api::mine, orgs::api::create, orgs::api::show, orgs::api::members, orgs::api::invite,
        orgs::api::set_role, orgs::api::remove_member, orgs::api::revoke_invitation,
        orgs::api::list_keys, orgs::api::create_key, orgs::api::revoke_key, orgs::api::audit_log, orgs::api::accept,
        auth::api::suspend, auth::api::reinstate,
        challenges::api::list, challenges::api::create, challenges::api::show, challenges::api::update,
        challenges::api::publish, challenges::api::cancel, challenges::api::escrow, challenges::api::request_funding,
        challenges::api::fundings, challenges::api::new_rules, challenges::api::registrants, challenges::api::register,
        challenges::api::questions, challenges::api::ask, challenges::api::announcements, challenges::api::announce,
        challenges::api::audit_trail, challenges::api::answer, challenges::api::my_registrations, challenges::api::of_org,
        challenges::api::pending_fundings, challenges::api::confirm_funding, challenges::api::reviews,
        challenges::api::approve, challenges::api::request_changes, challenges::api::settings, challenges::api::put_settings,
        submissions::api::list, submissions::api::create, submissions::api::show, submissions::api::update,
        submissions::api::revisions, submissions::api::upload, submissions::api::download, submissions::api::withdraw,
        submissions::api::disqualify, submissions::api::invite, submissions::api::remove_member,
        submissions::api::propose_shares, submissions::api::approve_shares, submissions::api::accept,
        submissions::api::decline, submissions::api::mine, submissions::api::my_invitations, submissions::api::gallery,
    ),
    components(schemas(error::Problem, error::FieldError))
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn spec() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// One operation on the documentation page.
pub struct Op {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub anchor: String,
    pub params: Vec<String>,
    pub body: Option<String>,
    pub responses: Vec<(String, String)>,
    pub secured: bool,
}

/// Operations grouped by tag.
pub struct Group {
    pub tag: String,
    pub ops: Vec<Op>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    title: String,
    version: String,
    description: String,
    groups: Vec<Group>,
    schemas: Vec<(String, String)>,
}

fn ref_name(r: &utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>) -> String {
    match r {
        utoipa::openapi::RefOr::Ref(r) => {
            r.ref_location.rsplit('/').next().unwrap_or("").to_owned()
        }
        utoipa::openapi::RefOr::T(_) => "inline".to_owned(),
    }
}

/// Builds the page model from the document.
fn groups(doc: &utoipa::openapi::OpenApi) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (path, item) in doc.paths.paths.iter() {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let tag = op
                .tags
                .as_ref()
                .and_then(|t| t.first().cloned())
                .unwrap_or_else(|| "other".into());
            let body = op.request_body.as_ref().and_then(|b| {
                b.content
                    .values()
                    .next()
                    .and_then(|c| c.schema.as_ref())
                    .map(ref_name)
            });
            let responses = op
                .responses
                .responses
                .iter()
                .map(|(code, r)| {
                    let desc = match r {
                        utoipa::openapi::RefOr::T(r) => r.description.clone(),
                        utoipa::openapi::RefOr::Ref(r) => r.ref_location.clone(),
                    };
                    (code.clone(), desc)
                })
                .collect();
            let params = op
                .parameters
                .as_ref()
                .map(|ps| ps.iter().map(|p| p.name.clone()).collect())
                .unwrap_or_default();
            let o = Op {
                method: method.to_owned(),
                path: path.clone(),
                summary: op.summary.clone().unwrap_or_default(),
                description: op.description.clone().unwrap_or_default(),
                anchor: format!(
                    "{}-{}",
                    method.to_lowercase(),
                    path.replace(['/', '{', '}'], "-")
                ),
                params,
                body,
                responses,
                secured: op.security.is_some(),
            };
            match groups.iter_mut().find(|g| g.tag == tag) {
                Some(g) => g.ops.push(o),
                None => groups.push(Group { tag, ops: vec![o] }),
            }
        }
    }
    groups
}

/// The API documentation page (`/api/docs`).
pub async fn docs_page() -> Result<HttpResponse, error::AppError> {
    let doc = ApiDoc::openapi();
    let schemas = doc
        .components
        .as_ref()
        .map(|c| {
            c.schemas
                .iter()
                .map(|(name, s)| {
                    (
                        name.clone(),
                        serde_json::to_string_pretty(s).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let page = DocsPage {
        title: doc.info.title.clone(),
        version: doc.info.version.clone(),
        description: doc.info.description.clone().unwrap_or_default(),
        groups: groups(&doc),
        schemas,
    };
    let html = page.render().map_err(error::AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}
