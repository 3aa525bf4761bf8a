//! Organisation pages: my organisations, creating one, members and
//! invitations, API keys, and the page an invitation link opens.
//!
//! Handlers parse, call [`crate::orgs::service`] (the same flows as the JSON
//! API) and render; permission checks stay in the service and the model.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::model::{allowed, may_manage_member, OrgAction, Role, Scope, Slug};
use super::service::{self, NewKey};
use super::store::{self, Invitation, Org};
use crate::auth::extract::{AuthUser, MaybeUser, Principal};
use crate::db::now;
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::forms::{form_failure, FormErrors};
use crate::frontend::session::{encode, login_href, to_login};
use crate::frontend::widgets::{Action, Choice, MessagePage, Notice};
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;

/// The translated name of a role.
pub fn role_label(t: Tr, role: Role) -> &'static str {
    match role {
        Role::Owner => t.get("role.owner"),
        Role::Admin => t.get("role.admin"),
        Role::Member => t.get("role.member"),
    }
}

/// The translated description of an API key scope.
pub fn scope_label(t: Tr, scope: Scope) -> &'static str {
    match scope {
        Scope::OrgRead => t.get("scope.org_read"),
        Scope::MembersRead => t.get("scope.members_read"),
        Scope::MembersWrite => t.get("scope.members_write"),
        Scope::ChallengesRead => t.get("scope.challenges_read"),
        Scope::ChallengesWrite => t.get("scope.challenges_write"),
        Scope::SubmissionsRead => t.get("scope.submissions_read"),
        Scope::JudgingWrite => t.get("scope.judging_write"),
        Scope::FundingWrite => t.get("scope.funding_write"),
    }
}

/// Query flag naming what was just done, for the notice after a redirect.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

// ---- my organisations ----

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
    user: MaybeUser,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(u) = user.0.clone() else {
        return Ok(to_login("/orgs"));
    };
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let uid = u.user.id.clone();
    let rows = state.db(move |c| Ok(store::orgs_of_user(c, &uid)?)).await?;
    let orgs = rows
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

// ---- create ----

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
pub async fn new_form(req: HttpRequest, user: MaybeUser) -> Result<HttpResponse, AppError> {
    if user.0.is_none() {
        return Ok(to_login("/orgs/new"));
    }
    render(&NewOrgPage {
        page: PageCtx::new(&req, &user),
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
    user: MaybeUser,
    form: web::Form<NewOrgForm>,
) -> Result<HttpResponse, AppError> {
    let Some(u) = user.0.clone() else {
        return Ok(to_login("/orgs/new"));
    };
    let f = form.into_inner();
    let slug = match f.slug.trim() {
        "" => Slug::suggest(&f.name),
        s => s.to_ascii_lowercase(),
    };
    match service::create(&state, &u, &slug, &f.name).await {
        Ok(org) => Ok(see_other(&format!("/orgs/{}?done=created", org.slug))),
        Err(e) => {
            let ctx = PageCtx::new(&req, &user);
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

// ---- members ----

#[derive(Debug, Clone)]
struct MemberRow {
    user_id: String,
    display_name: String,
    email: String,
    role_label: &'static str,
    joined: Stamp,
    is_me: bool,
    /// Roles I may give this member (empty: I cannot change it).
    role_choices: Vec<Choice>,
    removable: bool,
}

#[derive(Debug, Clone)]
struct InvitationRow {
    id: String,
    email: String,
    role_label: &'static str,
    expires: Stamp,
}

/// What the members page shows, loaded in one go.
struct MembersData {
    org: Org,
    my_role: Role,
    members: Vec<store::Member>,
    invitations: Vec<Invitation>,
}

async fn load_members(
    state: &AppState,
    user: &AuthUser,
    slug: &str,
) -> Result<MembersData, AppError> {
    let who = Principal::User(user.clone());
    let slug = slug.to_owned();
    state
        .db(move |c| {
            let a = service::access(c, &who, &slug, OrgAction::ViewMembers)?;
            let members = store::list_members(c, &a.org.id)?;
            let invitations = if allowed(&a.who, OrgAction::ManageMembers) {
                store::pending_invitations(c, &a.org.id, now())?
            } else {
                Vec::new()
            };
            Ok(MembersData {
                my_role: a.role.unwrap_or(Role::Member),
                org: a.org,
                members,
                invitations,
            })
        })
        .await
}

#[derive(Template)]
#[template(path = "orgs/members.html")]
struct MembersPage {
    page: PageCtx,
    org_name: String,
    slug: String,
    tab: &'static str,
    can_keys: bool,
    can_manage: bool,
    my_role_label: &'static str,
    me_id: String,
    members: Vec<MemberRow>,
    invitations: Vec<InvitationRow>,
    invite_email: String,
    invite_roles: Vec<Choice>,
    invite_errors: FormErrors,
    notice: Option<Notice>,
}

const ROLES: [Role; 3] = [Role::Member, Role::Admin, Role::Owner];

impl MembersPage {
    fn new(page: PageCtx, me: &AuthUser, d: MembersData) -> Self {
        let t = page.t;
        let mine = d.my_role;
        let can_manage = mine >= Role::Admin;
        let members = d
            .members
            .into_iter()
            .map(|m| {
                let choices: Vec<Choice> = ROLES
                    .iter()
                    .filter(|r| **r == m.role || may_manage_member(mine, m.role, Some(**r)))
                    .map(|r| Choice::new(r.as_str(), role_label(t, *r), *r == m.role))
                    .collect();
                let is_me = m.user_id == me.user.id;
                MemberRow {
                    role_label: role_label(t, m.role),
                    joined: Stamp::of(m.joined_at),
                    removable: !is_me && may_manage_member(mine, m.role, None),
                    role_choices: if choices.len() > 1 {
                        choices
                    } else {
                        Vec::new()
                    },
                    is_me,
                    user_id: m.user_id,
                    display_name: m.display_name,
                    email: m.email,
                }
            })
            .collect();
        let invitations = d
            .invitations
            .into_iter()
            .map(|i| InvitationRow {
                role_label: Role::parse(&i.role).map(|r| role_label(t, r)).unwrap_or(""),
                expires: Stamp::of(i.expires_at),
                id: i.id,
                email: i.email,
            })
            .collect();
        MembersPage {
            org_name: d.org.name,
            slug: d.org.slug,
            tab: "members",
            can_keys: can_manage,
            can_manage,
            my_role_label: role_label(t, mine),
            me_id: me.user.id.clone(),
            members,
            invitations,
            invite_email: String::new(),
            invite_roles: invite_roles(t, mine, "member"),
            invite_errors: FormErrors::default(),
            notice: None,
            page,
        }
    }
}

/// The roles I may invite with: owners alone hand out ownership.
fn invite_roles(t: Tr, mine: Role, selected: &str) -> Vec<Choice> {
    ROLES
        .iter()
        .filter(|r| **r != Role::Owner || mine == Role::Owner)
        .map(|r| Choice::new(r.as_str(), role_label(t, *r), r.as_str() == selected))
        .collect()
}

/// `GET /orgs/{slug}`: members and invitations.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/orgs/{slug}")));
    };
    let d = load_members(&state, &u, &slug).await?;
    let mut p = MembersPage::new(PageCtx::new(&req, &user), &u, d);
    let t = p.page.t;
    p.notice = match q.done.as_str() {
        "created" => Some(Notice::ok(t.get("org.created"))),
        "joined" => Some(Notice::ok(t.get("org.joined"))),
        "invited" => Some(Notice::ok(t.get("org.invited"))),
        "role" => Some(Notice::ok(t.get("org.role_changed"))),
        "removed" => Some(Notice::ok(t.get("org.member_removed"))),
        "invitation_revoked" => Some(Notice::ok(t.get("org.invitation_revoked"))),
        _ => None,
    };
    render(&p)
}

/// Re-renders the members page after a failed action, with its message.
async fn members_failure(
    req: &HttpRequest,
    state: &AppState,
    user: &MaybeUser,
    me: &AuthUser,
    slug: &str,
    err: AppError,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(req, user);
    let (errors, status) = form_failure(
        ctx.t,
        err,
        &["last_owner", "owner_required", "already_member"],
    )?;
    let d = load_members(state, me, slug).await?;
    let mut p = MembersPage::new(ctx, me, d);
    p.notice = errors.summary().map(Notice::error);
    render_status(&p, status)
}

/// The invitation form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    role: String,
}

/// `POST /orgs/{slug}/invite`.
pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/orgs/{slug}")));
    };
    let f = form.into_inner();
    let who = Principal::User(u.clone());
    match service::invite(&state, &who, &slug, &f.email, &f.role).await {
        Ok(_) => Ok(see_other(&format!("/orgs/{slug}?done=invited"))),
        Err(e) => {
            let ctx = PageCtx::new(&req, &user);
            let t = ctx.t;
            let (errors, status) = form_failure(t, e, &["already_member", "owner_required"])?;
            let d = load_members(&state, &u, &slug).await?;
            let mine = d.my_role;
            let mut p = MembersPage::new(ctx, &u, d);
            p.invite_email = f.email;
            p.invite_roles = invite_roles(t, mine, &f.role);
            p.invite_errors = errors;
            render_status(&p, status)
        }
    }
}

/// The role-change form of a member row.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

/// `POST /orgs/{slug}/members/{user_id}/role`.
pub async fn set_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, String)>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let (slug, user_id) = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/orgs/{slug}")));
    };
    let who = Principal::User(u.clone());
    match service::set_role(&state, &who, &slug, user_id, &form.role).await {
        Ok(()) => Ok(see_other(&format!("/orgs/{slug}?done=role"))),
        Err(e) => members_failure(&req, &state, &user, &u, &slug, e).await,
    }
}

/// `POST /orgs/{slug}/members/{user_id}/remove`: removes a member, or leaves
/// when it is my own id.
pub async fn remove_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, user_id) = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/orgs/{slug}")));
    };
    let leaving = user_id == u.user.id;
    let who = Principal::User(u.clone());
    match service::remove_member(&state, &who, &slug, user_id).await {
        Ok(()) if leaving => Ok(see_other("/orgs?done=left")),
        Ok(()) => Ok(see_other(&format!("/orgs/{slug}?done=removed"))),
        Err(e) => members_failure(&req, &state, &user, &u, &slug, e).await,
    }
}

/// `POST /orgs/{slug}/invitations/{id}/revoke`.
pub async fn revoke_invitation(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/orgs/{slug}")));
    };
    service::revoke_invitation(&state, &Principal::User(u), &slug, id).await?;
    Ok(see_other(&format!("/orgs/{slug}?done=invitation_revoked")))
}

// ---- API keys ----

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

async fn keys_page(
    state: &AppState,
    ctx: PageCtx,
    user: &AuthUser,
    slug: &str,
) -> Result<KeysPage, AppError> {
    let t = ctx.t;
    let who = Principal::User(user.clone());
    let slug = slug.to_owned();
    let (org, keys) = state
        .db(move |c| {
            let a = service::access(c, &who, &slug, OrgAction::ManageApiKeys)?;
            let keys = store::list_api_keys(c, &a.org.id)?;
            Ok((a.org, keys))
        })
        .await?;
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
    user: MaybeUser,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/orgs/{slug}/api-keys")));
    };
    let mut p = keys_page(&state, PageCtx::new(&req, &user), &u, &slug).await?;
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
    user: MaybeUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| AppError::bad_request("invalid_form", e.to_string()))?;
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let slug = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/orgs/{slug}/api-keys")));
    };
    let name = value("name");
    let scopes: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "scopes")
        .map(|(_, v)| v.clone())
        .collect();
    let new_key = NewKey {
        name: name.clone(),
        scopes: scopes.clone(),
    };
    match service::create_key(&state, &Principal::User(u.clone()), &slug, new_key).await {
        Ok((key, secret)) => {
            let org_id = key.org_id;
            let org = state
                .db(move |c| Ok(store::find_by_id(c, &org_id)?))
                .await?;
            render(&KeyCreatedPage {
                page: PageCtx::new(&req, &user),
                org_name: org.name,
                slug: org.slug,
                name: key.name,
                secret,
            })
        }
        Err(e) => {
            let ctx = PageCtx::new(&req, &user);
            let t = ctx.t;
            let (errors, status) = form_failure(t, e, &[])?;
            let mut p = keys_page(&state, ctx, &u, &slug).await?;
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
    user: MaybeUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/orgs/{slug}/api-keys")));
    };
    service::revoke_key(&state, &Principal::User(u), &slug, id).await?;
    Ok(see_other(&format!("/orgs/{slug}/api-keys?done=revoked")))
}

// ---- invitations ----

#[derive(Template)]
#[template(path = "orgs/invitation.html")]
struct InvitationPage {
    page: PageCtx,
    org_name: String,
    role_label: &'static str,
    invited_email: String,
    token: String,
    /// `accept` (signed in with the invited email), `mismatch` (signed in as
    /// someone else) or `signed_out`.
    state: &'static str,
    login_href: String,
    signup_href: String,
}

fn invitation_invalid(ctx: PageCtx, status: StatusCode) -> Result<HttpResponse, AppError> {
    let t = ctx.t;
    let page = MessagePage::new(
        ctx,
        "error",
        t.get("invitation.invalid.heading"),
        t.get("invitation.invalid.lead"),
    )
    .para(t.get("invitation.invalid.body"))
    .action(Action::primary("/", t.get("error.home")));
    render_status(&page, status)
}

/// `GET /invitations/{token}`: what the invitation is, and how to accept it.
pub async fn invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let tk = token.clone();
    let found = state
        .db(move |c| match store::invitation_by_token(c, &tk, now())? {
            Some(inv) => {
                let org = store::find_by_id(c, &inv.org_id)?;
                Ok(Some((inv, org)))
            }
            None => Ok(None),
        })
        .await?;
    let Some((inv, org)) = found else {
        return invitation_invalid(ctx, StatusCode::NOT_FOUND);
    };
    let here = format!("/invitations/{}", encode(&token));
    let state_name = match &user.0 {
        Some(u) if u.user.email.eq_ignore_ascii_case(&inv.email) => "accept",
        Some(_) => "mismatch",
        None => "signed_out",
    };
    render(&InvitationPage {
        page: ctx,
        org_name: org.name,
        role_label: Role::parse(&inv.role)
            .map(|r| role_label(t, r))
            .unwrap_or(""),
        signup_href: format!(
            "/signup?next={}&email={}",
            encode(&here),
            encode(&inv.email)
        ),
        login_href: login_href(&here),
        invited_email: inv.email,
        token,
        state: state_name,
    })
}

/// `POST /invitations/{token}/accept`.
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let here = format!("/invitations/{}", encode(&token));
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&here));
    };
    match service::accept_invitation(&state, &u, token).await {
        Ok(org) => Ok(see_other(&format!("/orgs/{}?done=joined", org.slug))),
        Err(AppError::BadRequest {
            code: "invalid_token",
            ..
        }) => invitation_invalid(PageCtx::new(&req, &user), StatusCode::BAD_REQUEST),
        // The invitation page explains whom it is for.
        Err(AppError::Forbidden("invitation_email_mismatch")) => Ok(see_other(&here)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::model::Language;

    #[test]
    fn every_role_and_scope_has_a_label_in_both_languages() {
        for lang in Language::ALL {
            let t = Tr::new(lang);
            for r in ROLES {
                assert!(!role_label(t, r).starts_with("role."), "{lang:?} {r:?}");
            }
            for s in Scope::ALL {
                assert!(!scope_label(t, s).starts_with("scope."), "{lang:?} {s:?}");
            }
        }
    }

    #[test]
    fn only_owners_may_invite_owners() {
        let t = Tr::new(Language::En);
        assert!(!invite_roles(t, Role::Admin, "member")
            .iter()
            .any(|c| c.value == "owner"));
        assert!(invite_roles(t, Role::Owner, "member")
            .iter()
            .any(|c| c.value == "owner"));
    }
}
