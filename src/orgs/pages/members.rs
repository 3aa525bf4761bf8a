//! The members page of an organisation: who is in it with which role,
//! pending invitations, and (for owners and admins) inviting, changing
//! roles and removing; any member may leave.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{role_label, DoneQuery, ROLES};
use crate::auth::extract::MaybeUser;
use crate::auth::extract::{AuthUser, Principal};
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::forms::{form_failure, FormErrors};
use crate::frontend::session::{encode, to_login, PageUser};
use crate::frontend::widgets::{Choice, Notice};
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::i18n::Tr;
use crate::orgs::model::{may_manage_member, Role};
use crate::orgs::queries::{self, Roster};
use crate::orgs::service;
use crate::state::AppState;

/// A member as listed, with what I may do to them.
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

/// A pending invitation as listed.
#[derive(Debug, Clone)]
struct InvitationRow {
    id: String,
    email: String,
    role_label: &'static str,
    expires: Stamp,
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
    /// My role, to offer the roles I may invite with.
    my_role: Role,
}

impl MembersPage {
    fn new(page: PageCtx, me: &AuthUser, d: Roster) -> Self {
        let t = page.t;
        let mine = my_role(&d);
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
            my_role: mine,
            page,
        }
    }
}

/// My role in the organisation shown (people only see the page).
fn my_role(d: &Roster) -> Role {
    d.role.unwrap_or(Role::Member)
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
    // Visitors and people outside the organisation see its public page,
    // once it has one; before that it stays private (sign in, or 404).
    let public = format!("/organisations/{}", encode(&slug));
    let has_public = || async {
        !matches!(
            crate::challenges::queries::org_profile(&state, slug.clone()).await,
            Err(AppError::NotFound)
        )
    };
    let Some(me) = user.0.clone() else {
        if has_public().await {
            return Ok(see_other(&public));
        }
        return Ok(to_login(&format!("/orgs/{}", encode(&slug))));
    };
    let d = match queries::roster(&state, Principal::User(me.clone()), slug.clone()).await {
        Err(AppError::NotFound) if has_public().await => return Ok(see_other(&public)),
        other => other?,
    };
    let mut p = MembersPage::new(PageCtx::new(&req, &user), &me, d);
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

/// Renders the members page again after a failed action: the service's
/// error (those in `expected` become a message), placed by `place`.
async fn members_failure(
    req: &HttpRequest,
    state: &AppState,
    me: &PageUser,
    slug: &str,
    err: AppError,
    expected: &[&str],
    place: impl FnOnce(&mut MembersPage, FormErrors),
) -> Result<HttpResponse, AppError> {
    let ctx = me.ctx(req);
    let (errors, status) = form_failure(ctx.t, err, expected)?;
    let who = Principal::User(me.0.clone());
    let d = queries::roster(state, who, slug.to_owned()).await?;
    let mut p = MembersPage::new(ctx, &me.0, d);
    place(&mut p, errors);
    render_status(&p, status)
}

/// What can go wrong with a member's role or removal, as a notice on top.
const MEMBER_ERRORS: &[&str] = &["last_owner", "owner_required", "already_member"];

/// Puts an error above the members table.
fn on_top(p: &mut MembersPage, errors: FormErrors) {
    p.notice = errors.summary().map(Notice::error);
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
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let f = form.into_inner();
    let who = Principal::User(user.0.clone());
    match service::invite(&state, &who, &slug, &f.email, &f.role).await {
        Ok(_) => Ok(see_other(&format!("/orgs/{slug}?done=invited"))),
        Err(e) => {
            let expected = ["already_member", "owner_required"];
            members_failure(&req, &state, &user, &slug, e, &expected, |p, errors| {
                p.invite_roles = invite_roles(p.page.t, p.my_role, &f.role);
                p.invite_email = f.email;
                p.invite_errors = errors;
            })
            .await
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
    user: PageUser,
    path: web::Path<(String, String)>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let (slug, user_id) = path.into_inner();
    let who = Principal::User(user.0.clone());
    match service::set_role(&state, &who, &slug, user_id, &form.role).await {
        Ok(()) => Ok(see_other(&format!("/orgs/{slug}?done=role"))),
        Err(e) => members_failure(&req, &state, &user, &slug, e, MEMBER_ERRORS, on_top).await,
    }
}

/// `POST /orgs/{slug}/members/{user_id}/remove`: removes a member, or leaves
/// when it is my own id.
pub async fn remove_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, user_id) = path.into_inner();
    let leaving = user_id == user.0.user.id;
    let who = Principal::User(user.0.clone());
    match service::remove_member(&state, &who, &slug, user_id).await {
        Ok(()) if leaving => Ok(see_other("/orgs?done=left")),
        Ok(()) => Ok(see_other(&format!("/orgs/{slug}?done=removed"))),
        Err(e) => members_failure(&req, &state, &user, &slug, e, MEMBER_ERRORS, on_top).await,
    }
}

/// `POST /orgs/{slug}/invitations/{id}/revoke`.
pub async fn revoke_invitation(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    service::revoke_invitation(&state, &Principal::User(user.0), &slug, id).await?;
    Ok(see_other(&format!("/orgs/{slug}?done=invitation_revoked")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::model::Language;

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
