//! Organisation flows shared by the JSON API and the pages.

use serde::Deserialize;

use super::model::{self, allowed, OrgAction, Principal as OrgPrincipal, Role, Scope, Slug};
use super::store::{self, ApiKey, Invitation, Org};
use crate::audit::{self, Actor, Entry};
use crate::auth::model::{parse_display_name, Email};
use crate::auth::principal::{AuthUser, Principal};
use crate::auth::store as users;
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult, FieldError};
use crate::notify::mail::EmailKind;
use crate::state::AppState;

/// An organisation together with how the caller relates to it.
pub struct Access {
    pub org: Org,
    pub who: OrgPrincipal,
    /// The caller's role when a person, `None` for a key.
    pub role: Option<Role>,
}

/// Loads `slug` for `caller` and checks `action`. Someone with no tie to the
/// organisation gets 404 so private resources do not reveal themselves.
pub fn access(
    conn: &mut DbConnection,
    caller: &Principal,
    slug: &str,
    action: OrgAction,
) -> AppResult<Access> {
    let org = store::find_by_slug(conn, slug)?.ok_or(AppError::NotFound)?;
    access_org(conn, caller, org, action)
}

/// [`access`] for an organisation already loaded.
pub fn access_org(
    conn: &mut DbConnection,
    caller: &Principal,
    org: Org,
    action: OrgAction,
) -> AppResult<Access> {
    let (who, role) = match caller {
        Principal::User(u) => {
            let role = store::role_of(conn, &org.id, &u.user.id)?.ok_or(AppError::NotFound)?;
            (OrgPrincipal::Member(role), Some(role))
        }
        Principal::Key(k) => {
            if k.key.org_id != org.id {
                return Err(AppError::NotFound);
            }
            (OrgPrincipal::Key(k.key.scope_list()), None)
        }
    };
    if !allowed(&who, action) {
        return Err(match who {
            OrgPrincipal::Key(_) => AppError::Forbidden("insufficient_scope"),
            OrgPrincipal::Member(_) => AppError::Forbidden("insufficient_role"),
        });
    }
    Ok(Access { org, who, role })
}

fn audit_org(
    conn: &mut DbConnection,
    actor: &Actor,
    org: &Org,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        Entry {
            actor,
            org_id: Some(&org.id),
            action,
            subject_type,
            subject_id,
            data,
        },
    )?;
    Ok(())
}

/// Creates an organisation owned by `user`.
pub async fn create(state: &AppState, user: &AuthUser, slug: &str, name: &str) -> AppResult<Org> {
    let mut errors = Vec::new();
    let name = parse_display_name("name", name)
        .map_err(|e| errors.push(e))
        .ok();
    let slug = Slug::parse("slug", slug).map_err(|e| errors.push(e)).ok();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(AppError::internal("validated fields missing"));
    };
    let uid = user.user.id.clone();
    state
        .tx(move |c| {
            let org = store::create_org(c, slug.as_str(), &name, &uid, now())?;
            audit_org(
                c,
                &Actor::user(&uid),
                &org,
                "org.created",
                "org",
                &org.id,
                serde_json::json!({ "slug": org.slug }),
            )?;
            Ok(org)
        })
        .await
}

/// Invites `email` with `role`; the invitee may not have an account yet.
pub async fn invite(
    state: &AppState,
    caller: &Principal,
    slug: &str,
    email: &str,
    role: &str,
) -> AppResult<Invitation> {
    let mut errors = Vec::new();
    let email = Email::parse("email", email)
        .map_err(|e| errors.push(e))
        .ok();
    let role = Role::parse(role)
        .ok_or_else(|| {
            errors.push(FieldError::new(
                "role",
                "invalid_role",
                "Choose owner, admin or member.",
            ))
        })
        .ok();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (Some(email), Some(role)) = (email, role) else {
        return Err(AppError::internal("validated fields missing"));
    };
    let (caller, slug, st) = (caller.clone(), slug.to_owned(), state.clone());
    let inv = state
        .tx(move |c| {
            let a = access(c, &caller, &slug, OrgAction::ManageMembers)?;
            // Only owners may hand out ownership.
            if role == Role::Owner && a.role != Some(Role::Owner) {
                return Err(AppError::Forbidden("owner_required"));
            }
            // A key invites plain members only: a leaked key must not mint
            // admins, who could then mint keys.
            if matches!(a.who, OrgPrincipal::Key(_)) && role != Role::Member {
                return Err(AppError::Forbidden("key_invites_members_only"));
            }
            crate::notify::invitation_quota(&store::invitations_to_since(
                c,
                email.as_str(),
                now() - chrono::Duration::hours(1),
            )?)?;
            if let Some(existing) = users::find_user_by_email(c, email.as_str())? {
                if store::role_of(c, &a.org.id, &existing.id)?.is_some() {
                    return Err(AppError::conflict(
                        "already_member",
                        "This person is already a member.",
                    ));
                }
            }
            let (inviter_id, inviter_name) = match &caller {
                Principal::User(u) => (u.user.id.clone(), u.user.display_name.clone()),
                Principal::Key(k) => (k.key.created_by.clone(), a.org.name.clone()),
            };
            let (inv, token) =
                store::create_invitation(c, &a.org.id, email.as_str(), role, &inviter_id, now())?;
            let url = st.url(&format!("/invitations/{token}"));
            crate::notify::queue_for_address(
                c,
                email.as_str(),
                "",
                &EmailKind::OrgInvitation {
                    org_name: a.org.name.clone(),
                    inviter: inviter_name,
                    url,
                },
            )?;
            audit_org(
                c,
                &caller.actor(),
                &a.org,
                "member.invited",
                "invitation",
                &inv.id,
                serde_json::json!({ "email": inv.email, "role": inv.role }),
            )?;
            Ok(inv)
        })
        .await?;
    state.wake_worker();
    Ok(inv)
}

/// Accepts an invitation for the signed-in user, whose email must match.
pub async fn accept_invitation(state: &AppState, user: &AuthUser, token: String) -> AppResult<Org> {
    let u = user.user.clone();
    state
        .tx(move |c| {
            let inv = store::invitation_by_token(c, &token, now())?.ok_or_else(|| {
                AppError::bad_request(
                    "invalid_token",
                    "This invitation is invalid or has expired.",
                )
            })?;
            if inv.email != u.email {
                return Err(AppError::Forbidden("invitation_email_mismatch"));
            }
            let org = store::find_by_id(c, &inv.org_id)?;
            if store::role_of(c, &org.id, &u.id)?.is_none() {
                let role = Role::parse(&inv.role).unwrap_or(Role::Member);
                store::add_member(c, &org.id, &u.id, role, now())?;
            }
            store::mark_invitation_accepted(c, &inv.id, now())?;
            audit_org(
                c,
                &Actor::user(&u.id),
                &org,
                "member.joined",
                "user",
                &u.id,
                serde_json::json!({ "invitation": inv.id, "role": inv.role }),
            )?;
            Ok(org)
        })
        .await
}

/// Changes a member's role (owners alone touch owners; one owner always remains).
pub async fn set_role(
    state: &AppState,
    caller: &Principal,
    slug: &str,
    user_id: String,
    role: &str,
) -> AppResult<()> {
    let role = Role::parse(role)
        .ok_or_else(|| AppError::field("role", "invalid_role", "Choose owner, admin or member."))?;
    let (caller, slug) = (caller.clone(), slug.to_owned());
    state
        .tx(move |c| {
            let a = access(c, &caller, &slug, OrgAction::ManageMembers)?;
            let target = store::role_of(c, &a.org.id, &user_id)?.ok_or(AppError::NotFound)?;
            check_member_change(c, &a, target, Some(role))?;
            store::set_role(c, &a.org.id, &user_id, role)?;
            if role < Role::Admin {
                revoke_keys_of(
                    c,
                    &caller.actor(),
                    &user_id,
                    Some(&a.org.id),
                    "creator_demoted",
                )?;
            }
            audit_org(
                c,
                &caller.actor(),
                &a.org,
                "member.role_changed",
                "user",
                &user_id,
                serde_json::json!({ "from": target.as_str(), "to": role.as_str() }),
            )?;
            Ok(())
        })
        .await
}

fn check_member_change(
    c: &mut DbConnection,
    a: &Access,
    target: Role,
    new_role: Option<Role>,
) -> AppResult<()> {
    match a.who {
        OrgPrincipal::Member(r) => {
            if !model::may_manage_member(r, target, new_role) {
                return Err(AppError::Forbidden("owner_required"));
            }
        }
        OrgPrincipal::Key(_) => {
            if !model::key_may_manage_member(target, new_role) {
                return Err(AppError::Forbidden("key_manages_members_only"));
            }
        }
    }
    let owners = store::count_owners(c, &a.org.id)? as usize;
    if model::leaves_no_owner(owners, target, new_role) {
        return Err(AppError::conflict(
            "last_owner",
            "An organisation keeps at least one owner.",
        ));
    }
    Ok(())
}

/// Removes a member, or lets a member leave.
pub async fn remove_member(
    state: &AppState,
    caller: &Principal,
    slug: &str,
    user_id: String,
) -> AppResult<()> {
    let (caller, slug) = (caller.clone(), slug.to_owned());
    state
        .tx(move |c| {
            let leaving = matches!(&caller, Principal::User(u) if u.user.id == user_id);
            let action = if leaving {
                OrgAction::View
            } else {
                OrgAction::ManageMembers
            };
            let a = access(c, &caller, &slug, action)?;
            let target = store::role_of(c, &a.org.id, &user_id)?.ok_or(AppError::NotFound)?;
            if leaving {
                let owners = store::count_owners(c, &a.org.id)? as usize;
                if model::leaves_no_owner(owners, target, None) {
                    return Err(AppError::conflict(
                        "last_owner",
                        "The last owner cannot leave; make someone else owner first.",
                    ));
                }
            } else {
                check_member_change(c, &a, target, None)?;
            }
            store::remove_member(c, &a.org.id, &user_id)?;
            revoke_keys_of(
                c,
                &caller.actor(),
                &user_id,
                Some(&a.org.id),
                "creator_left",
            )?;
            let action = if leaving {
                "member.left"
            } else {
                "member.removed"
            };
            audit_org(
                c,
                &caller.actor(),
                &a.org,
                action,
                "user",
                &user_id,
                serde_json::json!({ "role": target.as_str() }),
            )?;
            Ok(())
        })
        .await
}

/// Revokes the keys a person created (in one organisation, or all of them
/// when `org_id` is `None`): a key acts for its creator and ends with their
/// standing. Each revocation is audited with its reason.
pub fn revoke_keys_of(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: &str,
    org_id: Option<&str>,
    reason: &str,
) -> AppResult<()> {
    for (id, org) in store::revoke_keys_created_by(conn, user_id, org_id, now())? {
        audit::record(
            conn,
            Entry {
                actor,
                org_id: Some(&org),
                action: "api_key.revoked",
                subject_type: "api_key",
                subject_id: &id,
                data: serde_json::json!({ "reason": reason, "creator": user_id }),
            },
        )?;
    }
    Ok(())
}

/// Withdraws a pending invitation.
pub async fn revoke_invitation(
    state: &AppState,
    caller: &Principal,
    slug: &str,
    id: String,
) -> AppResult<()> {
    let (caller, slug) = (caller.clone(), slug.to_owned());
    state
        .tx(move |c| {
            let a = access(c, &caller, &slug, OrgAction::ManageMembers)?;
            if store::revoke_invitation(c, &a.org.id, &id, now())? == 0 {
                return Err(AppError::NotFound);
            }
            audit_org(
                c,
                &caller.actor(),
                &a.org,
                "invitation.revoked",
                "invitation",
                &id,
                serde_json::json!({}),
            )?;
            Ok(())
        })
        .await
}

/// Fields of a new API key.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub name: String,
    /// e.g. `["org:read", "challenges:write"]`.
    pub scopes: Vec<String>,
}

/// Creates an API key; returns it with its secret (shown this once).
pub async fn create_key(
    state: &AppState,
    caller: &Principal,
    slug: &str,
    k: NewKey,
) -> AppResult<(ApiKey, String)> {
    let mut errors = Vec::new();
    let name = parse_display_name("name", &k.name)
        .map_err(|e| errors.push(e))
        .ok();
    let mut scopes = Vec::new();
    for s in &k.scopes {
        match Scope::parse(s) {
            Some(sc) => scopes.push(sc),
            None => errors.push(FieldError::new(
                "scopes",
                "invalid_scope",
                format!("Unknown scope {s:?}."),
            )),
        }
    }
    if k.scopes.is_empty() {
        errors.push(FieldError::new(
            "scopes",
            "required",
            "Choose at least one scope.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let name = name.unwrap_or_default();
    let (caller, slug) = (caller.clone(), slug.to_owned());
    state
        .tx(move |c| {
            let a = access(c, &caller, &slug, OrgAction::ManageApiKeys)?;
            let Principal::User(u) = &caller else {
                return Err(AppError::Forbidden("user_required"));
            };
            let (key, secret) =
                store::create_api_key(c, &a.org.id, &name, &scopes, &u.user.id, now())?;
            audit_org(
                c,
                &caller.actor(),
                &a.org,
                "api_key.created",
                "api_key",
                &key.id,
                serde_json::json!({ "name": key.name, "scopes": key.scopes }),
            )?;
            Ok((key, secret))
        })
        .await
}

/// Revokes an API key; it answers 401 from then on.
pub async fn revoke_key(
    state: &AppState,
    caller: &Principal,
    slug: &str,
    id: String,
) -> AppResult<()> {
    let (caller, slug) = (caller.clone(), slug.to_owned());
    state
        .tx(move |c| {
            let a = access(c, &caller, &slug, OrgAction::ManageApiKeys)?;
            if store::revoke_api_key(c, &a.org.id, &id, now())? == 0 {
                return Err(AppError::NotFound);
            }
            audit_org(
                c,
                &caller.actor(),
                &a.org,
                "api_key.revoked",
                "api_key",
                &id,
                serde_json::json!({}),
            )?;
            Ok(())
        })
        .await
}
