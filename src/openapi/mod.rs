//! The OpenAPI 3.1 document, generated from the handlers' annotations, and a
//! documentation page rendered from it on the server (no CDN, no script).

use actix_web::HttpResponse;
use askama::Template;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{auth, challenges, error, health, judging, money, orgs, payouts, submissions};

mod constraints;
mod links;
mod webhooks;

struct Security;

/// Every operation documents the problems it can answer, as
/// `application/problem+json`: 400 for any malformed request, 401 and 403
/// where credentials are required, 404 where a resource is named, 409 for
/// writes (state conflicts, an Idempotency-Key still running), 413 for
/// bodies too large, 415 and 422 for request bodies (422 also for a reused
/// Idempotency-Key), 429 where a rate limit applies. Problems a handler
/// declares itself keep their description and move to the problem type.
struct Problems;

/// Operations behind a rate limit (besides sign-in, which declares its own).
const RATE_LIMITED: &[(&str, &str)] = &[
    ("post", "/api/v1/submissions/{id}/attachments"),
    ("post", "/api/v1/orgs/{slug}/members"),
    ("post", "/api/v1/submissions/{id}/team/invitations"),
    ("post", "/api/v1/challenges/{id}/judges"),
];

impl Modify for Problems {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, Response};
        let problem = || Content::new(Some(Ref::from_schema_name("Problem")));
        for (path, item) in doc.paths.paths.iter_mut() {
            let ops = [
                ("get", &mut item.get),
                ("post", &mut item.post),
                ("put", &mut item.put),
                ("patch", &mut item.patch),
                ("delete", &mut item.delete),
            ];
            for (method, op) in ops {
                let Some(op) = op else { continue };
                if path == "/healthz" || path == "/readyz" {
                    continue;
                }
                let write = method != "get";
                let secured = op.security.is_some();
                let body = op.request_body.is_some();
                let mut wanted: Vec<(&str, &str)> =
                    vec![("400", "Malformed request: bad JSON, query string or header")];
                if secured {
                    wanted.push(("401", "Missing or invalid credentials"));
                    wanted.push(("403", "Not allowed: role, key scope or account state"));
                }
                if secured || path.contains('{') {
                    wanted.push(("404", "No such resource, or not one the caller may see"));
                }
                if write {
                    wanted.push((
                        "409",
                        "Conflicts with the current state; the code says which",
                    ));
                    wanted.push(("413", "Request body too large"));
                    wanted.push(("422", "Invalid fields (see `errors`), or an Idempotency-Key reused for another request"));
                }
                if body {
                    wanted.push(("415", "Unsupported content type"));
                }
                if RATE_LIMITED.contains(&(method, path.as_str())) {
                    wanted.push((
                        "429",
                        "Too many requests; Retry-After says when to come back",
                    ));
                }
                for (status, description) in wanted {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| {
                            RefOr::T(
                                utoipa::openapi::ResponseBuilder::new()
                                    .description(description)
                                    .content("application/problem+json", problem())
                                    .build(),
                            )
                        });
                }
                // Problems declared by a handler are served as problem+json.
                for (status, r) in op.responses.responses.iter_mut() {
                    let RefOr::T(r) = r else { continue };
                    if !status.starts_with('4') && !status.starts_with('5') {
                        continue;
                    }
                    if let Some(c) = r.content.shift_remove("application/json") {
                        r.content.insert("application/problem+json".to_owned(), c);
                    } else if r.content.is_empty() {
                        *r = Response::new(r.description.clone());
                        r.content
                            .insert("application/problem+json".to_owned(), problem());
                    }
                }
            }
        }
    }
}

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
    modifiers(&Security, &Problems),
    paths(
        spec,
        health::healthz, health::readyz,
        auth::api::register, auth::api::verify_email, auth::api::resend_verification, auth::api::login,
        auth::api::refresh, auth::api::logout, auth::api::password_reset, auth::api::password_reset_confirm,
        auth::api::me, auth::api::update_me, auth::api::change_password, auth::api::sessions, auth::api::revoke_session,
        orgs::api::mine, orgs::api::create, orgs::api::show, orgs::api::members, orgs::api::invite,
        orgs::api::set_role, orgs::api::remove_member, orgs::api::revoke_invitation,
        orgs::api::list_keys, orgs::api::create_key, orgs::api::revoke_key, orgs::api::audit_log, orgs::api::accept,
        auth::api::find_users, auth::api::suspend, auth::api::reinstate,
        challenges::api::list, challenges::api::create, challenges::api::show, challenges::api::update,
        challenges::api::publish, challenges::api::cancel, challenges::api::escrow, challenges::api::request_funding,
        challenges::api::fundings, challenges::api::new_rules, challenges::api::registrants, challenges::api::register,
        challenges::api::questions, challenges::api::ask, challenges::api::announcements, challenges::api::announce,
        challenges::api::audit_trail, challenges::api::answer, challenges::api::my_registrations, challenges::api::of_org, challenges::api::org_profile,
        challenges::api::resources, challenges::api::add_resource, challenges::api::set_cover,
        challenges::api::download_resource, challenges::api::remove_resource,
        challenges::api::pending_fundings, challenges::api::confirm_funding, challenges::api::reviews,
        challenges::api::approve, challenges::api::request_changes, challenges::api::settings, challenges::api::put_settings,
        submissions::api::list, submissions::api::create, submissions::api::show, submissions::api::update,
        submissions::api::revisions, submissions::api::upload, submissions::api::download, submissions::api::withdraw, crate::notify::api::list, crate::privacy::api::export, challenges::api::registrants_csv, challenges::api::entries_csv, crate::privacy::api::delete, crate::webhooks::api::list, crate::webhooks::api::create, crate::webhooks::api::remove, crate::webhooks::api::enable, crate::webhooks::api::disable, crate::webhooks::api::deliveries, crate::webhooks::api::redeliver, crate::notify::api::read_one, crate::notify::api::read_all, crate::notify::api::preferences, crate::notify::api::set_preferences, crate::notify::api::follows, crate::notify::api::follow, crate::notify::api::unfollow, submissions::api::keep, submissions::api::team_rules,
        submissions::api::disqualify, submissions::api::invite, submissions::api::cancel_invitation, submissions::api::solver_profile, submissions::api::remove_member, submissions::api::update_member,
        submissions::api::propose_shares, submissions::api::approve_shares, submissions::api::accept,
        submissions::api::decline, submissions::api::mine, submissions::api::my_invitations, submissions::api::gallery,
        judging::api::list_judges, judging::api::invite_judge, judging::api::remove_judge,
        judging::api::accept_invitation, judging::api::decline_invitation, judging::api::my_invitations,
        judging::api::list_rounds, judging::api::create_round, judging::api::show_round, judging::api::update_round,
        judging::api::open_round, judging::api::assign, judging::api::unassign, judging::api::close_round,
        judging::api::declare_conflict, judging::api::round_entries, judging::api::leaderboard,
        judging::api::leaderboard_csv, judging::api::scorecards_csv, judging::api::my_assignments,
        judging::api::show_assignment, judging::api::save_scorecard, judging::api::judged_file,
        judging::api::publish_results, judging::api::show_results,
        payouts::api::mine, payouts::api::of_challenge, payouts::api::admin_payouts, payouts::api::admin_refunds,
        payouts::api::admin_csv, payouts::api::payout_paid, payouts::api::payout_failed,
        payouts::api::refund_paid, payouts::api::refund_failed, payouts::api::stripe_webhook,
        payouts::api::onboarding, payouts::api::retry_payout, payouts::api::retry_refund,
        money::api::report,
    ),
    components(schemas(error::Problem, error::FieldError))
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn spec() -> HttpResponse {
    HttpResponse::Ok().json(served())
}

/// The document as served, built once: what the derive macros say, with the
/// validators' enums, lengths and ranges added ([`constraints`]) and the
/// links between operations ([`links`]). Kept as JSON because utoipa's typed
/// `Link` would write `operation_id` where OpenAPI says `operationId`.
pub fn served() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut v = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        constraints::apply(&mut v);
        links::apply(&mut v);
        webhooks::apply(&mut v);
        v
    })
}

/// The served document, typed, for the server's own use (the `Allow` of a
/// 405, the documentation page); it has no links.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut v = served().clone();
        // Links are dropped here: see `served`.
        strip_links(&mut v);
        serde_json::from_value(v).unwrap_or_else(|_| ApiDoc::openapi())
    })
}

fn strip_links(v: &mut serde_json::Value) {
    let items = v.get_mut("paths").and_then(|p| p.as_object_mut());
    for item in items.into_iter().flat_map(|p| p.values_mut()) {
        let ops = item.as_object_mut();
        for op in ops.into_iter().flat_map(|o| o.values_mut()) {
            let responses = op.get_mut("responses").and_then(|r| r.as_object_mut());
            for r in responses.into_iter().flat_map(|r| r.values_mut()) {
                if let Some(r) = r.as_object_mut() {
                    r.remove("links");
                }
            }
        }
    }
}

/// The methods the document lists for a path pattern (`Allow` of a 405).
pub fn methods_of(pattern: &str) -> Vec<&'static str> {
    let Some(item) = document().paths.paths.get(pattern) else {
        return Vec::new();
    };
    [
        ("GET", item.get.is_some()),
        ("POST", item.post.is_some()),
        ("PUT", item.put.is_some()),
        ("PATCH", item.patch.is_some()),
        ("DELETE", item.delete.is_some()),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(m, _)| m)
    .collect()
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
    page: crate::frontend::PageCtx,
    title: String,
    version: String,
    /// The document's description, rendered from its Markdown.
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
                    (
                        code.clone(),
                        crate::markdown::render(&status_meaning(code, &desc)),
                    )
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
                summary: crate::markdown::render(&op.summary.clone().unwrap_or_default()),
                description: crate::markdown::render(&op.description.clone().unwrap_or_default()),
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

/// What a status code means, with the operation's own words when they say
/// more than the code's name (utoipa leaves most descriptions empty).
fn status_meaning(code: &str, described: &str) -> String {
    let name = match code {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        "204" => "Done; no body",
        "303" => "See other: follow the Location header",
        "400" => "Bad request: the body or a parameter cannot be read",
        "401" => "Sign in first: no valid bearer token",
        "403" => "Forbidden: signed in, but not allowed",
        "404" => "Not found, or not yours to see",
        "409" => "Conflict with the current state",
        "413" => "Too large",
        "415" => "Unsupported media type: send JSON",
        "422" => "Validation failed: see errors[] for each field",
        "429" => "Too many requests: wait for Retry-After",
        "503" => "Unavailable: a provider or the database did not answer; retry",
        _ => "",
    };
    let described = described.trim();
    match (name.is_empty(), described.is_empty() || described == name) {
        (_, true) => name.to_owned(),
        (true, false) => described.to_owned(),
        (false, false) => format!("{name}. {described}"),
    }
}

/// The API documentation page (`/api/docs`), in the site's layout.
pub async fn docs_page(
    req: actix_web::HttpRequest,
    user: crate::auth::extract::MaybeUser,
) -> Result<HttpResponse, error::AppError> {
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
        page: crate::frontend::PageCtx::new(&req, &user),
        title: doc.info.title.clone(),
        version: doc.info.version.clone(),
        description: crate::markdown::render(&doc.info.description.clone().unwrap_or_default()),
        groups: groups(&doc),
        schemas,
    };
    let html = page.render().map_err(error::AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}
