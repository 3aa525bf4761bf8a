//! Organisation pages, a file per use case: my organisations and creating
//! one ([`list`]), members and invitations ([`members`]), API keys
//! ([`keys`]), and the page an invitation link opens ([`invitation`]).
//!
//! Handlers parse, call one flow of [`crate::orgs::service`] (the same
//! flows as the JSON API) or one read of [`crate::orgs::queries`], and
//! render; permission checks stay in the service and the model. The labels
//! of roles and scopes live here, once for every page of the area.

pub mod invitation;
pub mod keys;
pub mod list;
pub mod members;

use serde::Deserialize;

use super::model::{Role, Scope};
use crate::i18n::Tr;

/// Every role, the least powerful first (the order of the role selects).
const ROLES: [Role; 3] = [Role::Member, Role::Admin, Role::Owner];

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
}
