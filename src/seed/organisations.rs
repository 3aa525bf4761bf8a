//! The demo organisations: each created by its owner, who then adds a
//! colleague as admin.

use super::people::{People, PEOPLE};
use super::timeline::Clock;
use super::{day, failed, judging, Account};
use crate::auth::principal::AuthUser;
use crate::db::now;
use crate::orgs::model::Role;
use crate::orgs::store as orgs;
use crate::state::AppState;

/// A demo organisation.
pub(super) struct OrgSpec {
    pub(super) slug: &'static str,
    pub(super) name: &'static str,
    pub(super) owner: &'static str,
    /// A second person, made an admin (they answer questions too).
    pub(super) admin: &'static str,
}

/// The organisations that run the demo challenges.
pub(super) const ORGS: &[OrgSpec] = &[
    OrgSpec {
        slug: "aquacommons",
        name: "AquaCommons",
        owner: "amina",
        admin: "tomas",
    },
    OrgSpec {
        slug: "northbridge-mobility",
        name: "Northbridge City Mobility Lab",
        owner: "lea",
        admin: "sam",
    },
    OrgSpec {
        slug: "eastmoor-open-science",
        name: "Eastmoor University Open Science Collective",
        owner: "priya",
        admin: "jonah",
    },
];

/// Creates the organisations, and lists every demo account but the admin
/// (organisation people first, then solvers and judges) with what it is for.
pub(super) async fn create(
    state: &AppState,
    people: &People,
    clock: &mut Clock,
    step: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<Vec<Account>> {
    let mut accounts = Vec::new();
    for (i, o) in ORGS.iter().enumerate() {
        clock.at(day(-180 + i as i64, 14));
        let owner = people.get(o.owner)?;
        let auth = AuthUser {
            user: owner.clone(),
            session_id: String::new(),
        };
        let org = crate::orgs::service::create(state, &auth, o.slug, o.name)
            .await
            .map_err(|e| failed(&format!("creating {}", o.slug), e))?;
        step(o.name);
        clock.at(day(-179 + i as i64, 10));
        let colleague = people.get(o.admin)?;
        let (org_id, colleague_id, owner_id) =
            (org.id.clone(), colleague.id.clone(), owner.id.clone());
        state
            .tx(move |c| {
                orgs::add_member(c, &org_id, &colleague_id, Role::Admin, now())?;
                crate::audit::record(
                    c,
                    crate::audit::Entry {
                        actor: &crate::audit::Actor::user(&owner_id),
                        org_id: Some(&org_id),
                        action: "member.added",
                        subject_type: "user",
                        subject_id: &colleague_id,
                        data: serde_json::json!({ "role": "admin", "via": "demo seed" }),
                    },
                )?;
                Ok(())
            })
            .await
            .map_err(|e| failed(&format!("adding a member to {}", o.slug), e))?;
        step(colleague.email.as_str());
        accounts.push(Account {
            email: owner.email.clone(),
            name: owner.display_name.clone(),
            role: format!("owner of {}", o.name),
        });
        accounts.push(Account {
            email: colleague.email.clone(),
            name: colleague.display_name.clone(),
            role: format!("admin of {}", o.name),
        });
    }
    for p in PEOPLE
        .iter()
        .filter(|p| !ORGS.iter().any(|o| o.owner == p.key || o.admin == p.key))
    {
        // Judges are judges per challenge; everyone else enters challenges.
        let panels = judging::panels_of(p.key);
        let role = if panels.is_empty() {
            "solver".to_owned()
        } else {
            format!("judge of {}", panels.join("; "))
        };
        accounts.push(Account {
            email: p.email.to_owned(),
            name: p.name.to_owned(),
            role,
        });
    }
    Ok(accounts)
}
