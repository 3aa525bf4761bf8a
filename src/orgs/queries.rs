//! Read models of organisations: what the JSON API answers and what the
//! pages show. Each read checks the caller's access through
//! [`service::access`] first, so a private organisation answers 404 to
//! anyone with no tie to it, whichever way it is asked. Nothing here writes.

use serde::Serialize;
use utoipa::ToSchema;

use super::model::{allowed, OrgAction, Role, Scope};
use super::service;
use super::store;
pub use super::store::{ApiKey, Invitation, Member, Org};
use crate::audit::{self, AuditRecord};
use crate::auth::principal::Principal;
use crate::db::now;
use crate::error::AppResult;
use crate::state::AppState;

/// An organisation and the caller's role in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgView {
    #[serde(flatten)]
    pub org: Org,
    /// The caller's role, for a person.
    pub role: Option<Role>,
}

/// Members and pending invitations.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    pub data: Vec<Member>,
    /// Shown to owners and admins only.
    pub invitations: Vec<Invitation>,
}

/// An API key as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    #[serde(flatten)]
    pub key: ApiKey,
    pub scopes: Vec<Scope>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(key: ApiKey) -> Self {
        ApiKeyView {
            scopes: key.scope_list(),
            key,
        }
    }
}

/// The organisations `user_id` belongs to, with their role in each.
pub async fn of_user(state: &AppState, user_id: String) -> AppResult<Vec<(Org, Role)>> {
    state
        .db(move |c| Ok(store::orgs_of_user(c, &user_id)?))
        .await
}

/// Where a person lands after signing in when no `next` says otherwise: a
/// platform admin on `/admin`, a member of one organisation on its
/// challenges (of several, on the list of them), anyone else on their own
/// dashboard of registrations, entries, invitations and prizes.
pub async fn landing(state: &AppState, user_id: String, platform_admin: bool) -> AppResult<String> {
    if platform_admin {
        return Ok("/admin".to_owned());
    }
    let orgs = of_user(state, user_id).await?;
    Ok(landing_for(orgs.iter().map(|(o, _)| o.slug.as_str())))
}

/// [`landing`] for a person who is no platform admin, from the slugs of
/// their organisations.
fn landing_for<'a>(mut orgs: impl Iterator<Item = &'a str>) -> String {
    match (orgs.next(), orgs.next()) {
        (None, _) => "/me/submissions".to_owned(),
        (Some(slug), None) => format!("/orgs/{slug}/challenges"),
        (Some(_), Some(_)) => "/orgs".to_owned(),
    }
}

/// The organisation `slug`, for its members and its API keys.
pub async fn one(state: &AppState, who: Principal, slug: String) -> AppResult<OrgView> {
    let a = state
        .db(move |c| service::access(c, &who, &slug, OrgAction::View))
        .await?;
    Ok(OrgView {
        org: a.org,
        role: a.role,
    })
}

/// Who is in an organisation, as its members (or a key with
/// `members:read`) may see it.
pub struct Roster {
    pub org: Org,
    /// The caller's role; `None` for a key.
    pub role: Option<Role>,
    pub members: Vec<Member>,
    /// Pending invitations, for those who manage members (empty otherwise).
    pub invitations: Vec<Invitation>,
}

/// The members of `slug` and, for those who manage them, its pending invitations.
pub async fn roster(state: &AppState, who: Principal, slug: String) -> AppResult<Roster> {
    state
        .db(move |c| {
            let a = service::access(c, &who, &slug, OrgAction::ViewMembers)?;
            let members = store::list_members(c, &a.org.id)?;
            let invitations = if allowed(&a.who, OrgAction::ManageMembers) {
                store::pending_invitations(c, &a.org.id, now())?
            } else {
                Vec::new()
            };
            Ok(Roster {
                org: a.org,
                role: a.role,
                members,
                invitations,
            })
        })
        .await
}

/// The API keys of `slug` (owners and admins, or a key allowed to manage keys).
pub async fn api_keys(
    state: &AppState,
    who: Principal,
    slug: String,
) -> AppResult<(Org, Vec<ApiKey>)> {
    state
        .db(move |c| {
            let a = service::access(c, &who, &slug, OrgAction::ManageApiKeys)?;
            let keys = store::list_api_keys(c, &a.org.id)?;
            Ok((a.org, keys))
        })
        .await
}

/// The latest `limit` audit records of `slug` (owners and admins).
pub async fn audit_log(
    state: &AppState,
    who: Principal,
    slug: String,
    limit: i64,
) -> AppResult<Vec<AuditRecord>> {
    state
        .db(move |c| {
            let a = service::access(c, &who, &slug, OrgAction::ViewAudit)?;
            Ok(audit::for_org(c, &a.org.id, limit)?)
        })
        .await
}

/// An organisation by id (one the caller just acted on).
pub async fn by_id(state: &AppState, id: String) -> AppResult<Org> {
    state.db(move |c| Ok(store::find_by_id(c, &id)?)).await
}

/// The invitation of an emailed `token`, if it still works, and its organisation.
pub async fn invitation(state: &AppState, token: String) -> AppResult<Option<(Invitation, Org)>> {
    state
        .db(
            move |c| match store::invitation_by_token(c, &token, now())? {
                Some(inv) => {
                    let org = store::find_by_id(c, &inv.org_id)?;
                    Ok(Some((inv, org)))
                }
                None => Ok(None),
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::landing_for;

    #[test]
    fn a_person_lands_where_their_work_is() {
        assert_eq!(landing_for([].into_iter()), "/me/submissions");
        assert_eq!(landing_for(["lab"].into_iter()), "/orgs/lab/challenges");
        assert_eq!(landing_for(["lab", "mill"].into_iter()), "/orgs");
    }
}
