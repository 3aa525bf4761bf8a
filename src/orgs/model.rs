//! Organisation rules, pure: slugs, roles, API key scopes and who may do what.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

/// A URL-safe organisation identifier: 3–40 of `a-z0-9-`, no leading,
/// trailing or doubled hyphen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

/// Slugs that would collide with routes or confuse people.
const RESERVED: &[&str] = &[
    "new", "admin", "api", "static", "me", "settings", "www", "tribu",
];

impl Slug {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_ascii_lowercase();
        let bad = |m: &str| Err(FieldError::new(field, "invalid_slug", m));
        if s.len() < 3 || s.len() > 40 {
            return bad("Use 3 to 40 characters.");
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            || s.starts_with('-')
            || s.ends_with('-')
            || s.contains("--")
        {
            return bad("Use lowercase letters, digits and single hyphens.");
        }
        if RESERVED.contains(&s.as_str()) {
            return bad("This name is reserved.");
        }
        // Addresses accept an id or a slug: a slug shaped like an id could
        // stand for another record.
        if looks_like_id(&s) {
            return bad("This address looks like an id; add a word.");
        }
        Ok(Slug(s))
    }

    /// A slug suggestion from a display name ("Ada's Lab!" → "adas-lab").
    pub fn suggest(name: &str) -> String {
        let mut out = String::new();
        for c in name.to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if let Some(plain) = fold_accent(c) {
                out.push_str(plain);
            } else if (c.is_whitespace() || c == '-' || c == '_')
                && !out.ends_with('-')
                && !out.is_empty()
            {
                out.push('-');
            }
        }
        let out = out.trim_end_matches('-');
        if out.len() <= SUGGESTED_MAX {
            return out.to_owned();
        }
        // Cut at the last whole word that fits, unless that leaves too little.
        let head = &out[..SUGGESTED_MAX];
        let whole = out[SUGGESTED_MAX..].starts_with('-');
        let cut = match head.rfind('-') {
            Some(i) if i >= 3 && !whole => &head[..i],
            _ => head,
        };
        cut.trim_end_matches('-').to_owned()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Longest suggested slug, in characters (all ASCII).
const SUGGESTED_MAX: usize = 40;

/// The plain letters of a Latin letter with a diacritic, so that "Défi
/// Cœur" suggests `defi-coeur` rather than `dfi-cur`.
fn fold_accent(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => "a",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'æ' => "ae",
        'œ' => "oe",
        'ß' => "ss",
        _ => return None,
    })
}

/// Whether `s` has the shape of a record id (a UUID), which a slug must not.
pub fn looks_like_id(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok()
}

/// A member's role in an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn parse(raw: &str) -> Option<Role> {
        match raw {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

/// What an API key may do. A key acts as a member of its organisation,
/// limited to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Hash)]
pub enum Scope {
    #[serde(rename = "org:read")]
    OrgRead,
    #[serde(rename = "members:read")]
    MembersRead,
    #[serde(rename = "members:write")]
    MembersWrite,
    #[serde(rename = "challenges:read")]
    ChallengesRead,
    #[serde(rename = "challenges:write")]
    ChallengesWrite,
    #[serde(rename = "submissions:read")]
    SubmissionsRead,
    #[serde(rename = "judging:write")]
    JudgingWrite,
    #[serde(rename = "funding:write")]
    FundingWrite,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::OrgRead,
        Scope::MembersRead,
        Scope::MembersWrite,
        Scope::ChallengesRead,
        Scope::ChallengesWrite,
        Scope::SubmissionsRead,
        Scope::JudgingWrite,
        Scope::FundingWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OrgRead => "org:read",
            Scope::MembersRead => "members:read",
            Scope::MembersWrite => "members:write",
            Scope::ChallengesRead => "challenges:read",
            Scope::ChallengesWrite => "challenges:write",
            Scope::SubmissionsRead => "submissions:read",
            Scope::JudgingWrite => "judging:write",
            Scope::FundingWrite => "funding:write",
        }
    }

    pub fn parse(raw: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Parses the stored, space-separated list (unknown entries are dropped).
    pub fn parse_list(raw: &str) -> Vec<Scope> {
        raw.split_whitespace().filter_map(Scope::parse).collect()
    }

    /// The stored form of a list: sorted, unique, space-separated.
    pub fn join(scopes: &[Scope]) -> String {
        let mut v: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v.join(" ")
    }
}

/// Who is acting on an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A signed-in member with a role.
    Member(Role),
    /// An API key of the organisation.
    Key(Vec<Scope>),
}

/// Things one can do to an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgAction {
    View,
    ViewMembers,
    ManageMembers,
    ManageApiKeys,
    ViewAudit,
    /// See drafts, registrants, funding, private questions.
    ViewChallenges,
    /// See the entries of the organisation's challenges.
    ViewSubmissions,
    /// Create and edit drafts, answer questions, post announcements.
    EditChallenges,
    /// Publish, cancel, change rules.
    PublishChallenges,
    /// Ask for funding.
    FundChallenges,
    /// Run judging: the panel, rounds, rubric, assignment, results.
    ManageJudging,
    /// See judging progress and the leaderboard.
    ViewJudging,
    /// Register and manage outgoing webhook endpoints.
    ManageWebhooks,
}

/// The permission table.
pub fn allowed(who: &Principal, action: OrgAction) -> bool {
    match who {
        Principal::Member(role) => match action {
            OrgAction::View
            | OrgAction::ViewMembers
            | OrgAction::ViewChallenges
            | OrgAction::ViewSubmissions
            | OrgAction::ViewJudging
            | OrgAction::EditChallenges => true,
            OrgAction::ManageMembers
            | OrgAction::ManageApiKeys
            | OrgAction::ViewAudit
            | OrgAction::PublishChallenges
            | OrgAction::ManageJudging
            | OrgAction::ManageWebhooks
            | OrgAction::FundChallenges => *role >= Role::Admin,
        },
        // Keys never manage keys: a leaked key must not mint others.
        Principal::Key(scopes) => match action {
            OrgAction::View => scopes.contains(&Scope::OrgRead),
            OrgAction::ViewMembers => scopes.contains(&Scope::MembersRead),
            OrgAction::ManageMembers => scopes.contains(&Scope::MembersWrite),
            OrgAction::ViewChallenges => {
                scopes.contains(&Scope::ChallengesRead) || scopes.contains(&Scope::ChallengesWrite)
            }
            OrgAction::EditChallenges | OrgAction::PublishChallenges => {
                scopes.contains(&Scope::ChallengesWrite)
            }
            OrgAction::ViewSubmissions => scopes.contains(&Scope::SubmissionsRead),
            OrgAction::ManageJudging => scopes.contains(&Scope::JudgingWrite),
            OrgAction::ViewJudging => {
                scopes.contains(&Scope::JudgingWrite) || scopes.contains(&Scope::SubmissionsRead)
            }
            OrgAction::FundChallenges => scopes.contains(&Scope::FundingWrite),
            // Nor webhooks: a leaked key must not send the organisation's
            // events somewhere else.
            OrgAction::ManageApiKeys | OrgAction::ViewAudit | OrgAction::ManageWebhooks => false,
        },
    }
}

/// Whether changing or removing the member with `target_role` is allowed for
/// an actor with `actor_role`: only owners touch owners.
pub fn may_manage_member(actor_role: Role, target_role: Role, new_role: Option<Role>) -> bool {
    if actor_role < Role::Admin {
        return false;
    }
    let touches_owner = target_role == Role::Owner || new_role == Some(Role::Owner);
    !touches_owner || actor_role == Role::Owner
}

/// Whether an API key (with `members:write`) may make this change: it
/// manages plain members only and never raises anyone's role.
pub fn key_may_manage_member(target_role: Role, new_role: Option<Role>) -> bool {
    target_role == Role::Member && new_role.is_none_or(|r| r == Role::Member)
}

/// Whether a change leaves the organisation without an owner.
pub fn leaves_no_owner(owners: usize, target_role: Role, new_role: Option<Role>) -> bool {
    target_role == Role::Owner && new_role != Some(Role::Owner) && owners <= 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn suggestions_fold_accents_and_cut_at_a_word() {
        assert_eq!(
            Slug::suggest("Défi Cœur de la Forêt"),
            "defi-coeur-de-la-foret"
        );
        assert_eq!(
            Slug::suggest("Low-cost water quality sensors for rural community wells"),
            "low-cost-water-quality-sensors-for-rural"
        );
        assert_eq!(Slug::suggest(&"x".repeat(50)), "x".repeat(40));
    }

    #[test]
    fn slugs() {
        assert!(Slug::parse("s", "open-water-lab").is_ok());
        for bad in [
            "ab",
            "-ab",
            "ab-",
            "a--b",
            "Ünï",
            "admin",
            "a b c",
            "01936f3e-7c1a-7b2d-9e4f-0123456789ab",
        ] {
            assert!(Slug::parse("s", bad).is_err(), "{bad}");
        }
        assert_eq!(Slug::suggest("Ada's  Lab!"), "adas-lab");
    }

    #[test]
    fn members_cannot_manage_keys_and_keys_never_do() {
        assert!(!allowed(
            &Principal::Member(Role::Member),
            OrgAction::ManageApiKeys
        ));
        assert!(allowed(
            &Principal::Member(Role::Admin),
            OrgAction::ManageApiKeys
        ));
        assert!(!allowed(
            &Principal::Key(Scope::ALL.to_vec()),
            OrgAction::ManageApiKeys
        ));
        assert!(allowed(
            &Principal::Key(vec![Scope::OrgRead]),
            OrgAction::View
        ));
        assert!(!allowed(
            &Principal::Key(vec![Scope::OrgRead]),
            OrgAction::ViewMembers
        ));
    }

    #[test]
    fn only_owners_touch_owners() {
        assert!(!may_manage_member(Role::Admin, Role::Owner, None));
        assert!(!may_manage_member(
            Role::Admin,
            Role::Member,
            Some(Role::Owner)
        ));
        assert!(may_manage_member(
            Role::Admin,
            Role::Member,
            Some(Role::Admin)
        ));
        assert!(may_manage_member(
            Role::Owner,
            Role::Owner,
            Some(Role::Member)
        ));
        assert!(!may_manage_member(Role::Member, Role::Member, None));
    }

    #[test]
    fn the_last_owner_stays() {
        assert!(leaves_no_owner(1, Role::Owner, None));
        assert!(leaves_no_owner(1, Role::Owner, Some(Role::Admin)));
        assert!(!leaves_no_owner(2, Role::Owner, None));
        assert!(!leaves_no_owner(1, Role::Admin, None));
    }

    proptest! {
        #[test]
        fn suggested_slugs_parse_when_long_enough(name in "[A-Za-z0-9 _'!-]{0,60}") {
            let s = Slug::suggest(&name);
            if s.len() >= 3 && !RESERVED.contains(&s.as_str()) {
                prop_assert!(Slug::parse("s", &s).is_ok(), "{}", s);
            }
        }

        #[test]
        fn scope_lists_round_trip(idx in proptest::collection::vec(0usize..8, 0..8)) {
            let scopes: Vec<Scope> = idx.iter().map(|i| Scope::ALL[*i]).collect();
            let joined = Scope::join(&scopes);
            let back = Scope::parse_list(&joined);
            for s in &scopes { prop_assert!(back.contains(s)); }
            prop_assert_eq!(Scope::join(&back), joined);
        }
    }
}
