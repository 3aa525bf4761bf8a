//! The permission matrix: every API route (every method of every resource
//! under `/api/v1`) against every kind of caller, over real HTTP.
//!
//! How it works:
//!
//! - The routes come from the route table itself: [`api_routes`] reads the
//!   block between `// API ROUTES BEGIN` and `// API ROUTES END` of
//!   `src/app.rs` (as `tests/csrf_walk.rs` reads the page routes), and the
//!   test checks it against the paths and methods of the served
//!   `/api/v1/openapi.json`. A route without a row in [`rows`] fails the
//!   test, naming it; so does a row whose route no longer exists
//!   ([`coverage`]).
//! - One world is built ([`world`]): an organisation (`open-lab`) with an
//!   owner, an admin and a member; another organisation (`else-lab`, owned
//!   by its one member, the `outsider`, with a draft of its own); a
//!   challenge in judging (`<judged>`) with the `solver`'s entry (`<sub>`,
//!   with an attachment), whose team has a co-author (`team`) who accepted,
//!   the entry of another solver (`rival`, `<rsub>`), and a `judge` assigned
//!   to both in the open round (`<round>`); an open challenge (`<open>`)
//!   where the same people have entries that can still change (`<osub>`,
//!   whose team also has a third member, the `leaver`); a third challenge
//!   (`<other>`) with its own judge (`ojudge`); a draft, a pending funding,
//!   two challenges waiting for review, an awarded challenge with payouts
//!   and a refund, a question, a resource for registered solvers, a webhook
//!   endpoint with a delivery, invitations (to an organisation, a team, a
//!   panel) addressed to some of the roles, and a platform admin
//!   (`padmin`).
//! - The 13 roles are [`Role`]. API keys of `open-lab` are made per row from
//!   its `scopes`, which list the scopes any one of which lets a key in:
//!   `key` holds the first, `nokey` every scope but those listed (a row with
//!   no scope: `key` holds every scope, `nokey` only `org:read`).
//! - Each [`Row`] names its route (as written in `src/app.rs`), the path it
//!   sends (`<name>` placeholders are the world's objects, `<u>` a token
//!   unique to the request), a valid body, the scopes, and what each role
//!   must get: `ok` (allowed: any answer but 401, 403, 404, 405 or 5xx, so
//!   a 409 or 422 from the logic counts) or the exact refusal status.
//!   Expectations are written as `role=…` tokens, where a group (`all`,
//!   `users`, `keys`, `org`, `staff`, `entrants`) sets several roles and
//!   later tokens override earlier ones; the shared patterns are the
//!   `const`s ([`SELF`], [`ORG_VIEW`], [`DRAFT`]…). The house rule for
//!   refusals: 401 without credentials, 404 for a thing that exists but is
//!   not yours, 403 when the thing is visible to you but the action is not
//!   yours (and for an API key on a route for people). A route may have
//!   several rows with different targets: the first row of a route is the
//!   main one; later ones probe a private target (a draft, a draft entry,
//!   another organisation) or another's object named under a path the
//!   caller may use (the outsider's `else-lab` paths, the rival's entry).
//! - Each row is sent as every role, refused roles first and allowed roles
//!   last, so one role's success cannot change what a refused role sees;
//!   a read is then sent to the refused roles again, so that nothing an
//!   allowed role read (a cached answer included) reaches them. Rows that
//!   consume their target name a [`Fresh`] kind: a new target is made
//!   before each role's request. Rows that change the world for later rows
//!   run in a later `phase` (results and conflicts, then closing the round
//!   and leaving a team, accepting invitations, signing out, changing
//!   passwords, deleting accounts last); within a phase, rows run in order.
//! - Every discrepancy is collected and printed as one table at the end,
//!   after the matrix of every status received (`--nocapture` shows it),
//!   then the test fails if there is any. "Unexpected allows" counts the
//!   requests a refused role got through.
//!
//! Adding a route: add it to `src/app.rs` (and its OpenAPI annotation), then
//! add a `row(...)` to [`rows`] with the route exactly as in `src/app.rs`, a
//! target path (add the object it needs to [`world`] as a `<name>` if none
//! fits, or a [`Fresh`] kind if each request consumes one), a valid body,
//! the scopes a key needs and the expected answer of every role; if it
//! changes what later rows see, give it a later `phase`. Run
//! `cargo test --test permission_matrix -- --nocapture` to see the matrix.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use common::fixtures::{id_of, slug_of, World, ORG, OWNER};
use common::{decode_qp, link_token, TestApp, Tokens, PASSWORD};
use serde_json::{json, Value};

// ---- roles ----

/// Who calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Role {
    /// No credentials.
    Anon,
    /// The entrant who created the entry (`<sub>` and `<osub>`).
    Solver,
    /// Another entrant of the same challenges, with entries of their own.
    Rival,
    /// The co-author who accepted the team invitation of the solver's entries.
    Team,
    /// A judge of `<judged>`, assigned to its entries in the open round.
    Judge,
    /// The judge of another challenge (`<other>`).
    OtherJudge,
    /// A plain member of `open-lab`.
    Member,
    /// An admin of `open-lab`.
    Admin,
    /// The owner of `open-lab`.
    Owner,
    /// The member (and owner) of another organisation, `else-lab`.
    Outsider,
    /// A platform admin (no tie to `open-lab`).
    Platform,
    /// An API key of `open-lab` holding the first of the row's scopes.
    Key,
    /// An API key of `open-lab` holding every scope but the row's.
    NoKey,
}

impl Role {
    const ALL: [Role; 13] = [
        Role::Anon,
        Role::Solver,
        Role::Rival,
        Role::Team,
        Role::Judge,
        Role::OtherJudge,
        Role::Member,
        Role::Admin,
        Role::Owner,
        Role::Outsider,
        Role::Platform,
        Role::Key,
        Role::NoKey,
    ];

    fn name(self) -> &'static str {
        match self {
            Role::Anon => "anon",
            Role::Solver => "solver",
            Role::Rival => "rival",
            Role::Team => "team",
            Role::Judge => "judge",
            Role::OtherJudge => "ojudge",
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
            Role::Outsider => "outsider",
            Role::Platform => "padmin",
            Role::Key => "key",
            Role::NoKey => "nokey",
        }
    }

    fn is_person(self) -> bool {
        !matches!(self, Role::Anon | Role::Key | Role::NoKey)
    }

    /// The roles a name or a group name stands for.
    fn group(name: &str) -> Option<Vec<Role>> {
        use Role::*;
        Some(match name {
            "all" => Role::ALL.to_vec(),
            "users" => Role::ALL.into_iter().filter(|r| r.is_person()).collect(),
            "keys" => vec![Key, NoKey],
            "org" => vec![Member, Admin, Owner],
            "staff" => vec![Admin, Owner],
            "entrants" => vec![Solver, Rival, Team],
            _ => vec![Role::ALL.into_iter().find(|r| r.name() == name)?],
        })
    }
}

/// What a role must get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Allowed: anything but 401, 403, 404, 405 or a server error.
    Ok,
    /// Refused with exactly this status.
    Status(u16),
}

impl Expect {
    fn label(self) -> String {
        match self {
            Expect::Ok => "ok".into(),
            Expect::Status(s) => s.to_string(),
        }
    }
}

/// Whether a status means the request got through to the logic.
fn got_through(status: u16) -> bool {
    !matches!(status, 401 | 403 | 404 | 405) && status < 500
}

/// Parses `role=ok|NNN` tokens; every role must end up with an expectation.
fn expectations(spec: &str) -> BTreeMap<Role, Expect> {
    let mut m = BTreeMap::new();
    for tok in spec.split_whitespace() {
        let (who, what) = tok
            .split_once('=')
            .unwrap_or_else(|| panic!("bad token {tok:?} in {spec:?}"));
        let e = if what == "ok" {
            Expect::Ok
        } else {
            Expect::Status(
                what.parse()
                    .unwrap_or_else(|e| panic!("bad status {what:?} in {spec:?}: {e}")),
            )
        };
        for r in Role::group(who).unwrap_or_else(|| panic!("unknown role {who:?} in {spec:?}")) {
            m.insert(r, e);
        }
    }
    for r in Role::ALL {
        assert!(m.contains_key(&r), "{spec:?} says nothing of {}", r.name());
    }
    m
}

// ---- the shared expectations ----

/// Anyone, with or without credentials.
const PUBLIC: &str = "all=ok";
/// A person's own things: every signed-in person; a key is not a person.
const SELF: &str = "anon=401 keys=403 users=ok";
/// Platform admins only (a key is not a person: 403 too).
const PLATFORM: &str = "anon=401 users=403 keys=403 padmin=ok";
/// What every member of the organisation may see or do, and a key with the scope.
const ORG_VIEW: &str = "anon=401 users=404 org=ok key=ok nokey=403";
/// Owners and admins, and a key with the scope; a plain member is refused.
const ORG_MANAGE: &str = "anon=401 users=404 member=403 staff=ok key=ok nokey=403";
/// Owners and admins only: no key, whatever its scopes.
const ORG_PEOPLE: &str = "anon=401 users=404 member=403 staff=ok keys=403";

/// A draft, read: its organisation alone (and a key that may read its
/// challenges); anyone else, signed in or not, gets 404.
const DRAFT: &str = "all=404 org=ok key=ok";
/// A person's action on a draft: nobody may take part in it yet.
const NOT_OPEN: &str = "anon=401 keys=403 users=404";

/// Another's object named under a path the caller may use (the outsider
/// under else-lab): refused as if it did not exist. open-lab's keys see no
/// else-lab path at all.
const ELSEWHERE: &str = "anon=401 users=404 keys=404";

/// The scopes a key may hold.
const ALL_SCOPES: [&str; 8] = [
    "org:read",
    "members:read",
    "members:write",
    "challenges:read",
    "challenges:write",
    "submissions:read",
    "judging:write",
    "funding:write",
];

// ---- rows ----

/// What a request sends.
#[derive(Clone, Copy)]
enum Body {
    None,
    /// A JSON template (`<name>` placeholders filled in).
    Json(&'static str),
    /// A multipart upload: one `file` field.
    File(&'static str, &'static [u8]),
}

/// A target made anew before each role's request (the request consumes it),
/// bound to `<fresh>`; or, for [`Fresh::Session`], the caller's own new
/// session.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fresh {
    None,
    /// A draft of `open-lab`, by its slug.
    Draft,
    /// A new plain member of `open-lab`, by user id.
    OrgMember,
    /// A pending invitation to `open-lab`.
    OrgInvitation,
    /// An API key of `open-lab`.
    ApiKey,
    /// A webhook endpoint of `open-lab`.
    Webhook,
    /// A resource of `<open>`.
    Resource,
    /// A pending team invitation of `<osub>`.
    TeamInvitation,
    /// A judge invited to `<open>`'s panel.
    Judge,
    /// The pair (judge × `<rsub>`) made again in the round.
    Pair,
    /// The refresh token of a new session of a spare account.
    RefreshToken,
    /// A person calls with a new session of their own (so that ending it
    /// ends nothing else).
    Session,
}

struct Row {
    method: &'static str,
    /// The route as written in `src/app.rs`, under `/api/v1`.
    route: &'static str,
    /// The path sent, under `/api/v1`, with `<name>` placeholders.
    target: &'static str,
    /// The scopes any one of which lets a key in (see [`Row::key_scopes`]).
    scopes: &'static [&'static str],
    expect: BTreeMap<Role, Expect>,
    body: Body,
    fresh: Fresh,
    phase: u8,
}

fn row(
    method: &'static str,
    route: &'static str,
    target: &'static str,
    scopes: &'static [&'static str],
    spec: &str,
) -> Row {
    Row {
        method,
        route,
        target,
        scopes,
        expect: expectations(spec),
        body: if method == "GET" || method == "DELETE" {
            Body::None
        } else {
            Body::Json("{}")
        },
        fresh: Fresh::None,
        phase: 0,
    }
}

impl Row {
    fn json(mut self, t: &'static str) -> Self {
        self.body = Body::Json(t);
        self
    }
    fn file(mut self, name: &'static str, bytes: &'static [u8]) -> Self {
        self.body = Body::File(name, bytes);
        self
    }
    fn fresh(mut self, f: Fresh) -> Self {
        self.fresh = f;
        self
    }
    fn phase(mut self, p: u8) -> Self {
        self.phase = p;
        self
    }
    /// The scopes of the `key` and `nokey` roles of this row.
    fn key_scopes(&self) -> (Vec<&'static str>, Vec<&'static str>) {
        if self.scopes.is_empty() {
            (ALL_SCOPES.to_vec(), vec!["org:read"])
        } else {
            (
                self.scopes[..1].to_vec(),
                ALL_SCOPES
                    .into_iter()
                    .filter(|s| !self.scopes.contains(s))
                    .collect(),
            )
        }
    }
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

const CHALLENGE_BODY: &str = r#"{"org": "<org>", "title": "Plan <u>",
  "summary": "Design an open sensor for river pollution.", "description": "Describe the sensor.",
  "category": "environment", "kind": "design", "currency": "EUR",
  "prize_tiers": [{"rank": 1, "label": "Winner", "amount": 100000}],
  "submission_deadline": "<deadline>", "judging_deadline": "<judging_deadline>",
  "rules": "Entries must be original.", "allowed_licences": ["CC-BY-4.0", "MIT"]}"#;

const ROUND_BODY: &str = r#"{"name": "Round <u>", "judges_per_entry": 1,
  "criteria": [{"name": "Impact", "weight": 1.0, "scale_min": 1, "scale_max": 10}]}"#;

/// What a key needs to read an organisation's challenges: either scope.
const READ: &[&str] = &["challenges:read", "challenges:write"];

/// Every route, with what each role gets.
fn rows() -> Vec<Row> {
    let entry_team = "anon=401 keys=403 users=404 solver=ok team=ok";
    let judge_only = "anon=401 keys=403 users=404 judge=ok";
    let private_entry = "anon=404 users=404 solver=ok team=ok org=ok key=ok nokey=404";
    vec![
        // ---- the document and accounts ----
        row("GET", "/openapi.json", "/openapi.json", &[], PUBLIC),
        row("POST", "/auth/register", "/auth/register", &[], PUBLIC).json(
            r#"{"email": "reg<u>@new.org", "display_name": "New Person", "password": "correct horse battery staple"}"#,
        ),
        // A made-up token: refused alike whoever asks.
        row("POST", "/auth/verify-email", "/auth/verify-email", &[], "all=400")
            .json(r#"{"token": "no-such-token"}"#),
        row("POST", "/auth/verify-email/resend", "/auth/verify-email/resend", &[], PUBLIC)
            .json(r#"{"email": "spare@tribu.test"}"#),
        row("POST", "/auth/login", "/auth/login", &[], PUBLIC)
            .json(r#"{"email": "spare@tribu.test", "password": "correct horse battery staple"}"#),
        row("POST", "/auth/refresh", "/auth/refresh", &[], PUBLIC)
            .json(r#"{"refresh_token": "<fresh>"}"#)
            .fresh(Fresh::RefreshToken),
        // Signs out the bearer's session: a key has none.
        row("POST", "/auth/logout", "/auth/logout", &[], "anon=401 keys=401 users=ok")
            .fresh(Fresh::Session)
            .phase(4),
        row("POST", "/auth/password-reset", "/auth/password-reset", &[], PUBLIC)
            .json(r#"{"email": "spare@tribu.test"}"#),
        row("POST", "/auth/password-reset/confirm", "/auth/password-reset/confirm", &[], "all=400")
            .json(r#"{"token": "no-such-token", "new_password": "another long enough password"}"#),
        // ---- me ----
        row("GET", "/me", "/me", &[], SELF),
        row("PATCH", "/me", "/me", &[], SELF).json(r#"{"language": "en"}"#),
        row("POST", "/me/password", "/me/password", &[], SELF)
            .json(r#"{"current_password": "correct horse battery staple", "new_password": "correct horse battery staple"}"#)
            .phase(5),
        row("GET", "/me/sessions", "/me/sessions", &[], SELF),
        row("DELETE", "/me/sessions/{id}", "/me/sessions/<spare_session>", &[], "anon=401 keys=403 users=404 solver=ok"),
        row("GET", "/me/notifications", "/me/notifications", &[], SELF),
        row("POST", "/me/notifications/read", "/me/notifications/read", &[], SELF),
        row("POST", "/me/notifications/{id}/read", "/me/notifications/<notification>/read", &[], "anon=401 keys=403 users=404 solver=ok"),
        row("GET", "/me/notification-preferences", "/me/notification-preferences", &[], SELF),
        row("PUT", "/me/notification-preferences", "/me/notification-preferences", &[], SELF)
            .json(r#"{"data": [{"kind": "announcement", "email": true, "in_app": true}]}"#),
        row("GET", "/me/export", "/me/export", &[], SELF),
        row("POST", "/me/delete", "/me/delete", &[], SELF)
            .json(r#"{"password": "correct horse battery staple"}"#)
            .phase(9),
        row("GET", "/me/follows", "/me/follows", &[], SELF),
        row("PUT", "/me/follows/{target_type}/{target}", "/me/follows/challenge/<open>", &[], SELF),
        row("PUT", "/me/follows/{target_type}/{target}", "/me/follows/challenge/<draft>", &[], "anon=401 keys=403 users=404"),
        row("DELETE", "/me/follows/{target_type}/{target}", "/me/follows/challenge/<open>", &[], SELF),
        row("GET", "/me/orgs", "/me/orgs", &[], SELF),
        row("GET", "/me/registrations", "/me/registrations", &[], SELF),
        row("GET", "/me/submissions", "/me/submissions", &[], SELF),
        row("GET", "/me/team-invitations", "/me/team-invitations", &[], SELF),
        row("GET", "/me/judge-invitations", "/me/judge-invitations", &[], SELF),
        row("GET", "/me/assignments", "/me/assignments", &[], SELF),
        row("GET", "/me/payouts", "/me/payouts", &[], SELF),
        // Payments are manual here: nobody onboards.
        row("POST", "/me/payouts/onboarding", "/me/payouts/onboarding", &[], "anon=401 keys=403 users=404"),
        // ---- organisations ----
        row("POST", "/orgs", "/orgs", &[], SELF).json(r#"{"slug": "org-<u>", "name": "Org <u>"}"#),
        row("GET", "/orgs/{slug}", "/orgs/<org>", &["org:read"], ORG_VIEW),
        row("GET", "/orgs/{slug}/members", "/orgs/<org>/members", &["members:read"], ORG_VIEW),
        // Another organisation: its member alone; open-lab's keys see nothing.
        row("GET", "/orgs/{slug}", "/orgs/<other_org>", &["org:read"], "anon=401 users=404 outsider=ok keys=404"),
        row("GET", "/orgs/{slug}/members", "/orgs/<other_org>/members", &["members:read"], "anon=401 users=404 outsider=ok keys=404"),
        row("GET", "/orgs/{slug}/challenges", "/orgs/<other_org>/challenges", READ, "anon=401 users=404 outsider=ok keys=404"),
        row("POST", "/orgs/{slug}/members", "/orgs/<org>/members", &["members:write"], ORG_MANAGE)
            .json(r#"{"email": "inv<u>@lab.org", "role": "member"}"#),
        row("PATCH", "/orgs/{slug}/members/{user_id}", "/orgs/<org>/members/<member_id>", &["members:write"], ORG_MANAGE)
            .json(r#"{"role": "member"}"#),
        row("DELETE", "/orgs/{slug}/members/{user_id}", "/orgs/<org>/members/<fresh>", &["members:write"], ORG_MANAGE)
            .fresh(Fresh::OrgMember),
        row("DELETE", "/orgs/{slug}/invitations/{id}", "/orgs/<org>/invitations/<fresh>", &["members:write"], ORG_MANAGE)
            .fresh(Fresh::OrgInvitation),
        row("GET", "/orgs/{slug}/api-keys", "/orgs/<org>/api-keys", &[], ORG_PEOPLE),
        row("POST", "/orgs/{slug}/api-keys", "/orgs/<org>/api-keys", &[], ORG_PEOPLE)
            .json(r#"{"name": "Key <u>", "scopes": ["org:read"]}"#),
        row("DELETE", "/orgs/{slug}/api-keys/{id}", "/orgs/<org>/api-keys/<fresh>", &[], ORG_PEOPLE)
            .fresh(Fresh::ApiKey),
        row("GET", "/orgs/{slug}/audit", "/orgs/<org>/audit", &[], ORG_PEOPLE),
        row("GET", "/orgs/{slug}/webhooks", "/orgs/<org>/webhooks", &[], ORG_PEOPLE),
        row("POST", "/orgs/{slug}/webhooks", "/orgs/<org>/webhooks", &[], ORG_PEOPLE)
            .json(r#"{"url": "http://127.0.0.1:9/hooks", "events": ["challenge.published"]}"#),
        row("DELETE", "/orgs/{slug}/webhooks/{id}", "/orgs/<org>/webhooks/<fresh>", &[], ORG_PEOPLE)
            .fresh(Fresh::Webhook),
        row("POST", "/orgs/{slug}/webhooks/{id}/disable", "/orgs/<org>/webhooks/<hook>/disable", &[], ORG_PEOPLE),
        row("POST", "/orgs/{slug}/webhooks/{id}/enable", "/orgs/<org>/webhooks/<hook>/enable", &[], ORG_PEOPLE),
        row("GET", "/orgs/{slug}/webhooks/{id}/deliveries", "/orgs/<org>/webhooks/<hook>/deliveries", &[], ORG_PEOPLE),
        row(
            "POST",
            "/orgs/{slug}/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            "/orgs/<org>/webhooks/<hook>/deliveries/<delivery>/redeliver",
            &[],
            ORG_PEOPLE,
        ),
        row("GET", "/orgs/{slug}/challenges", "/orgs/<org>/challenges", READ, ORG_VIEW),
        row("GET", "/orgs/{slug}/profile", "/orgs/<org>/profile", &[], PUBLIC),
        // An invitation to else-lab addressed to the rival: theirs alone.
        row("POST", "/invitations/accept", "/invitations/accept", &[], "anon=401 keys=403 users=403 rival=ok")
            .json(r#"{"token": "<org_invitation>"}"#)
            .phase(3),
        // ---- the platform's admins ----
        row("GET", "/admin/users", "/admin/users", &[], PLATFORM),
        row("POST", "/admin/users/{id}/suspend", "/admin/users/<victim>/suspend", &[], PLATFORM),
        row("POST", "/admin/users/{id}/reinstate", "/admin/users/<victim>/reinstate", &[], PLATFORM),
        row("GET", "/admin/fundings", "/admin/fundings", &[], PLATFORM),
        row("POST", "/admin/fundings/{id}/confirm", "/admin/fundings/<funding>/confirm", &[], PLATFORM)
            .json(r#"{"reference": "BANK-<u>"}"#),
        row("GET", "/admin/payouts", "/admin/payouts", &[], PLATFORM),
        row("GET", "/admin/payouts.csv", "/admin/payouts.csv", &[], PLATFORM),
        row("POST", "/admin/payouts/{id}/paid", "/admin/payouts/<payout>/paid", &[], PLATFORM)
            .json(r#"{"reference": "PAY-<u>"}"#),
        row("POST", "/admin/payouts/{id}/failed", "/admin/payouts/<payout2>/failed", &[], PLATFORM)
            .json(r#"{"reason": "The bank bounced it."}"#),
        row("POST", "/admin/payouts/{id}/retry", "/admin/payouts/<payout2>/retry", &[], PLATFORM),
        row("GET", "/admin/refunds", "/admin/refunds", &[], PLATFORM),
        row("POST", "/admin/refunds/{id}/failed", "/admin/refunds/<refund>/failed", &[], PLATFORM)
            .json(r#"{"reason": "The bank bounced it."}"#),
        row("POST", "/admin/refunds/{id}/retry", "/admin/refunds/<refund>/retry", &[], PLATFORM),
        row("POST", "/admin/refunds/{id}/paid", "/admin/refunds/<refund>/paid", &[], PLATFORM)
            .json(r#"{"reference": "REF-<u>"}"#),
        row("GET", "/admin/money/report", "/admin/money/report", &[], PLATFORM),
        row("GET", "/admin/reviews", "/admin/reviews", &[], PLATFORM),
        row("POST", "/admin/reviews/{id}/approve", "/admin/reviews/<review1>/approve", &[], PLATFORM),
        row("POST", "/admin/reviews/{id}/request-changes", "/admin/reviews/<review2>/request-changes", &[], PLATFORM)
            .json(r#"{"comment": "Please say who may enter."}"#),
        row("GET", "/admin/settings", "/admin/settings", &[], PLATFORM),
        row("PUT", "/admin/settings", "/admin/settings", &[], PLATFORM)
            .json(r#"{"publish_requires_review": false}"#),
        // Signed by the provider, not by a bearer; payments are manual here.
        row("POST", "/webhooks/stripe", "/webhooks/stripe", &[], "all=400"),
        // ---- challenges ----
        row("GET", "/challenges", "/challenges", &[], PUBLIC),
        row("POST", "/challenges", "/challenges", &["challenges:write"], ORG_VIEW).json(CHALLENGE_BODY),
        row("GET", "/challenges/{id}", "/challenges/<draft>", READ, DRAFT),
        row("GET", "/challenges/{id}", "/challenges/<open>", READ, PUBLIC),
        // Public, yet people outside the organisation get 404 here (not 403).
        row("PATCH", "/challenges/{id}", "/challenges/<open>", &["challenges:write"], ORG_VIEW)
            .json(r#"{"summary": "A clearer summary of the open challenge."}"#),
        row("POST", "/challenges/{id}/publish", "/challenges/<draft>/publish", &["challenges:write"], ORG_MANAGE),
        row("POST", "/challenges/{id}/cancel", "/challenges/<fresh>/cancel", &["challenges:write"], ORG_MANAGE)
            .json(r#"{"reason": "No longer needed."}"#)
            .fresh(Fresh::Draft),
        row("GET", "/challenges/{id}/escrow", "/challenges/<open>/escrow", &[], PUBLIC),
        row("GET", "/challenges/{id}/escrow", "/challenges/<draft>/escrow", READ, DRAFT),
        row("POST", "/challenges/{id}/funding", "/challenges/<draft>/funding", &["funding:write"], ORG_MANAGE),
        row("GET", "/challenges/{id}/fundings", "/challenges/<draft>/fundings", READ, ORG_VIEW),
        row("POST", "/challenges/{id}/rules", "/challenges/<other>/rules", &["challenges:write"], ORG_MANAGE)
            .json(r#"{"text": "Entries must be original and openly licensed, version two."}"#)
            .phase(1),
        row("GET", "/challenges/{id}/registrations", "/challenges/<judged>/registrations", READ, ORG_VIEW),
        row("POST", "/challenges/{id}/registrations", "/challenges/<draft>/registrations", &[], NOT_OPEN)
            .json(r#"{"rules_version": 1, "accept_rules": true}"#),
        // Anyone signed in, its judge and its organisation's members
        // included (their entries get automatic conflicts).
        row("POST", "/challenges/{id}/registrations", "/challenges/<other>/registrations", &[], SELF)
            .json(r#"{"rules_version": 1, "accept_rules": true}"#),
        row("GET", "/challenges/{id}/questions", "/challenges/<open>/questions", &[], PUBLIC),
        row("GET", "/challenges/{id}/questions", "/challenges/<draft>/questions", READ, DRAFT),
        row("POST", "/challenges/{id}/questions", "/challenges/<open>/questions", &[], "anon=401 keys=403 users=403 entrants=ok")
            .json(r#"{"body": "Is a working prototype required?"}"#),
        row("POST", "/challenges/{id}/questions", "/challenges/<draft>/questions", &[], NOT_OPEN)
            .json(r#"{"body": "Is a working prototype required?"}"#),
        row("POST", "/questions/{id}/answer", "/questions/<question>/answer", &["challenges:write"], ORG_VIEW)
            .json(r#"{"answer": "No, a design is enough."}"#),
        row("GET", "/challenges/{id}/announcements", "/challenges/<open>/announcements", &[], PUBLIC),
        row("GET", "/challenges/{id}/announcements", "/challenges/<draft>/announcements", READ, DRAFT),
        row("POST", "/challenges/{id}/announcements", "/challenges/<open>/announcements", &["challenges:write"], ORG_VIEW)
            .json(r#"{"title": "An update", "body": "The FAQ has grown."}"#),
        // Every member and a key that reads challenges (the organisation's
        // whole audit log is for owners and admins, never keys).
        row("GET", "/challenges/{id}/audit", "/challenges/<judged>/audit", READ, ORG_VIEW),
        row("GET", "/challenges/{id}/registrants.csv", "/challenges/<judged>/registrants.csv", READ, ORG_VIEW),
        row("GET", "/challenges/{id}/entries.csv", "/challenges/<judged>/entries.csv", &["submissions:read"], ORG_VIEW),
        row("GET", "/challenges/{id}/resources", "/challenges/<open>/resources", &[], PUBLIC),
        row("GET", "/challenges/{id}/resources", "/challenges/<draft>/resources", READ, DRAFT),
        row("POST", "/challenges/{id}/resources", "/challenges/<open>/resources", &["challenges:write"], ORG_VIEW)
            .file("data.csv", b"pump_id,strokes\nHP-0001,2400\n"),
        // A file for registered solvers only.
        row("GET", "/challenges/{id}/resources/{resource_id}", "/challenges/<open>/resources/<resource>", READ,
            "anon=404 users=404 entrants=ok org=ok key=ok nokey=404"),
        row("DELETE", "/challenges/{id}/resources/{resource_id}", "/challenges/<open>/resources/<fresh>", &["challenges:write"], ORG_VIEW)
            .fresh(Fresh::Resource),
        row("PUT", "/challenges/{id}/cover", "/challenges/<open>/cover", &["challenges:write"], ORG_VIEW).file("cover.png", PNG),
        row("GET", "/challenges/{id}/payouts", "/challenges/<awarded>/payouts", READ, ORG_VIEW),
        row("GET", "/solvers/{id}", "/solvers/<solver_id>", &[], PUBLIC),
        // ---- submissions and teams ----
        row("GET", "/challenges/{id}/submissions", "/challenges/<judged>/submissions", &[], PUBLIC),
        row("GET", "/challenges/{id}/submissions", "/challenges/<draft>/submissions", READ, DRAFT),
        row("POST", "/challenges/{id}/submissions", "/challenges/<draft>/submissions", &[], NOT_OPEN)
            .json(r#"{"title": "Entry <u>", "abstract": "A cheap optical turbidity sensor.", "body": "An LED and a photodiode.", "licence": "CC-BY-4.0"}"#),
        row("POST", "/challenges/{id}/submissions", "/challenges/<open>/submissions", &[], "anon=401 keys=403 users=403 entrants=ok")
            .json(r#"{"title": "Entry <u>", "abstract": "A cheap optical turbidity sensor.", "body": "An LED and a photodiode.", "licence": "CC-BY-4.0"}"#),
        // The assigned judge gets 404 too: judges read entries through their
        // assignments (`submissions::service::viewer` never sets
        // `assigned_judge`).
        row("GET", "/submissions/{id}", "/submissions/<sub>", &["submissions:read"], private_entry),
        // A draft never entered: its team's alone (one team per solver and
        // challenge, so the co-author's too).
        row("GET", "/submissions/{id}", "/submissions/<draft_sub>", &["submissions:read"], "all=404 solver=ok team=ok"),
        row("PATCH", "/submissions/{id}", "/submissions/<osub>", &[], entry_team)
            .json(r#"{"abstract": "A cheaper optical turbidity sensor."}"#),
        row("GET", "/submissions/{id}/revisions", "/submissions/<sub>/revisions", &["submissions:read"], private_entry),
        row("POST", "/submissions/{id}/attachments", "/submissions/<osub>/attachments", &[], entry_team)
            .file("notes.txt", b"More notes on the design.\n"),
        row("GET", "/submissions/{id}/attachments/{attachment_id}", "/submissions/<sub>/attachments/<attachment>", &["submissions:read"], private_entry),
        row("POST", "/submissions/{id}/withdraw", "/submissions/<osub>/withdraw", &[], entry_team),
        row("DELETE", "/submissions/{id}/withdraw", "/submissions/<osub>/withdraw", &[], entry_team),
        row("PUT", "/submissions/{id}/team/rules", "/submissions/<osub>/team/rules", &[], entry_team)
            .json(r#"{"credit_joiners": true}"#),
        row("POST", "/submissions/{id}/disqualify", "/submissions/<dq>/disqualify", &["challenges:write"], ORG_MANAGE)
            .json(r#"{"reason": "It copies another entry."}"#),
        row("POST", "/submissions/{id}/team/invitations", "/submissions/<osub>/team/invitations", &[], entry_team)
            .json(r#"{"email": "mate<u>@solvers.org"}"#),
        row("DELETE", "/submissions/{id}/team/invitations/{invitation_id}", "/submissions/<osub>/team/invitations/<fresh>", &[], entry_team)
            .fresh(Fresh::TeamInvitation),
        // A member's own choices: the co-author's own id. Anyone else gets
        // 403 `own_membership_only`, decided from the path before anything
        // is looked up (so it tells nothing).
        row("PATCH", "/submissions/{id}/team/members/{user_id}", "/submissions/<osub>/team/members/<team_id>", &[],
            "anon=401 keys=403 users=403 team=ok")
            .json(r#"{"anonymous": false}"#),
        // The submitter removes a third member (who is no role here).
        row("DELETE", "/submissions/{id}/team/members/{user_id}", "/submissions/<osub>/team/members/<leaver_id>", &[],
            "anon=401 keys=403 users=404 solver=ok team=403")
            .phase(2),
        row("POST", "/submissions/{id}/team/shares", "/submissions/<osub>/team/shares", &[], entry_team)
            .json(r#"{"shares": [{"user_id": "<solver_id>", "bps": 3334}, {"user_id": "<team_id>", "bps": 3333}, {"user_id": "<leaver_id>", "bps": 3333}]}"#),
        row("POST", "/submissions/{id}/team/shares/approve", "/submissions/<osub>/team/shares/approve", &[], entry_team),
        // Addressed to the other judge (who registers on the way).
        row("POST", "/team-invitations/accept", "/team-invitations/accept", &[], "anon=401 keys=403 users=403 ojudge=ok")
            .json(r#"{"token": "<team_invitation>", "rules_version": 1}"#)
            .phase(3),
        // Addressed to the judge.
        row("POST", "/team-invitations/decline", "/team-invitations/decline", &[], "anon=401 keys=403 users=403 judge=ok")
            .json(r#"{"token": "<team_invitation2>"}"#),
        row("GET", "/solutions", "/solutions", &[], PUBLIC),
        // ---- judging ----
        row("GET", "/challenges/{id}/judges", "/challenges/<judged>/judges", &["judging:write", "submissions:read"], ORG_VIEW),
        row("POST", "/challenges/{id}/judges", "/challenges/<open>/judges", &["judging:write"], ORG_MANAGE)
            .json(r#"{"email": "j<u>@judges.org"}"#),
        row("DELETE", "/challenges/{id}/judges/{judge_id}", "/challenges/<open>/judges/<fresh>", &["judging:write"], ORG_MANAGE)
            .fresh(Fresh::Judge),
        // Addressed to the rival (to judge <other>).
        row("POST", "/judge-invitations/accept", "/judge-invitations/accept", &[], "anon=401 keys=403 users=403 rival=ok")
            .json(r#"{"token": "<judge_invitation>"}"#)
            .phase(3),
        // Addressed to the co-author.
        row("POST", "/judge-invitations/decline", "/judge-invitations/decline", &[], "anon=401 keys=403 users=403 team=ok")
            .json(r#"{"token": "<judge_invitation2>"}"#),
        row("GET", "/challenges/{id}/rounds", "/challenges/<judged>/rounds", &[], PUBLIC),
        row("GET", "/challenges/{id}/rounds", "/challenges/<draft>/rounds", READ, DRAFT),
        row("POST", "/challenges/{id}/rounds", "/challenges/<open>/rounds", &["judging:write"], ORG_MANAGE).json(ROUND_BODY),
        row("GET", "/rounds/{id}", "/rounds/<round>", &["judging:write", "submissions:read"], "anon=401 users=404 judge=ok org=ok key=ok nokey=403"),
        row("PATCH", "/rounds/{id}", "/rounds/<round>", &["judging:write"], ORG_MANAGE).json(ROUND_BODY),
        row("POST", "/rounds/{id}/open", "/rounds/<round>/open", &["judging:write"], ORG_MANAGE),
        row("POST", "/rounds/{id}/assignments", "/rounds/<round>/assignments", &["judging:write"], ORG_MANAGE),
        row("DELETE", "/rounds/{id}/assignments/{judge_id}/{submission_id}", "/rounds/<round>/assignments/<judge_id>/<rsub>", &["judging:write"], ORG_MANAGE)
            .fresh(Fresh::Pair),
        row("POST", "/rounds/{id}/conflicts", "/rounds/<round>/conflicts", &[], judge_only)
            .json(r#"{"submission_id": "<rsub>", "reason": "I mentored this team."}"#)
            .phase(1),
        row("GET", "/rounds/{id}/entries", "/rounds/<round>/entries", &[], judge_only),
        row("GET", "/rounds/{id}/leaderboard", "/rounds/<round>/leaderboard", &["judging:write", "submissions:read"], "anon=401 users=404 judge=ok org=ok key=ok nokey=403"),
        row("GET", "/rounds/{id}/leaderboard.csv", "/rounds/<round>/leaderboard.csv", &["judging:write", "submissions:read"], "anon=401 users=404 judge=ok org=ok key=ok nokey=403"),
        row("GET", "/rounds/{id}/scorecards.csv", "/rounds/<round>/scorecards.csv", &["judging:write", "submissions:read"], ORG_VIEW),
        row("GET", "/assignments/{id}", "/assignments/<assignment>", &[], judge_only),
        row("PUT", "/assignments/{id}/scorecard", "/assignments/<assignment>/scorecard", &[], judge_only)
            .json(r#"{"scores": {"<criterion1>": 7, "<criterion2>": 3}, "comments": {"<criterion1>": "Clear."}, "submit": false}"#),
        row("GET", "/assignments/{id}/files/{index}", "/assignments/<assignment>/files/1", &[], judge_only),
        row("POST", "/rounds/{id}/close", "/rounds/<round>/close", &["judging:write"], ORG_MANAGE).phase(2),
        // The round is still open: the organisation's answer is a 409.
        row("POST", "/challenges/{id}/results", "/challenges/<judged>/results", &["judging:write"], ORG_MANAGE)
            .json(r#"{"tiers": [{"rank": 1, "entries": ["<sub>"]}]}"#)
            .phase(1),
        row("GET", "/challenges/{id}/results", "/challenges/<awarded>/results", &[], PUBLIC),
        // Not published yet: nobody sees them, the organisation included.
        row("GET", "/challenges/{id}/results", "/challenges/<judged>/results", READ, "all=404"),
        // ---- another's thing through a path one may use ----
        // Each names an object of open-lab (or of another team) under a
        // path its caller may use: the outsider under else-lab, the rival
        // under their own entry. Nobody may reach it that way.
        row("DELETE", "/orgs/{slug}/webhooks/{id}", "/orgs/<other_org>/webhooks/<hook>", &[], ELSEWHERE),
        row("POST", "/orgs/{slug}/webhooks/{id}/disable", "/orgs/<other_org>/webhooks/<hook>/disable", &[], ELSEWHERE),
        row("POST", "/orgs/{slug}/webhooks/{id}/enable", "/orgs/<other_org>/webhooks/<hook>/enable", &[], ELSEWHERE),
        row("GET", "/orgs/{slug}/webhooks/{id}/deliveries", "/orgs/<other_org>/webhooks/<hook>/deliveries", &[], ELSEWHERE),
        row(
            "POST",
            "/orgs/{slug}/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            "/orgs/<other_org>/webhooks/<hook>/deliveries/<delivery>/redeliver",
            &[],
            ELSEWHERE,
        ),
        row("DELETE", "/orgs/{slug}/api-keys/{id}", "/orgs/<other_org>/api-keys/<fresh>", &[], ELSEWHERE)
            .fresh(Fresh::ApiKey),
        row("DELETE", "/orgs/{slug}/invitations/{id}", "/orgs/<other_org>/invitations/<fresh>", &["members:write"], ELSEWHERE)
            .fresh(Fresh::OrgInvitation),
        row("PATCH", "/orgs/{slug}/members/{user_id}", "/orgs/<other_org>/members/<member_id>", &["members:write"], ELSEWHERE)
            .json(r#"{"role": "admin"}"#),
        row("DELETE", "/orgs/{slug}/members/{user_id}", "/orgs/<other_org>/members/<member_id>", &["members:write"], ELSEWHERE),
        row("GET", "/challenges/{id}/resources/{resource_id}", "/challenges/<else_draft>/resources/<resource>", READ, "all=404"),
        row("DELETE", "/challenges/{id}/resources/{resource_id}", "/challenges/<else_draft>/resources/<resource>", &["challenges:write"], ELSEWHERE),
        row("DELETE", "/challenges/{id}/judges/{judge_id}", "/challenges/<else_draft>/judges/<judge_id>", &["judging:write"], ELSEWHERE),
        row("GET", "/submissions/{id}/attachments/{attachment_id}", "/submissions/<rsub>/attachments/<attachment>", &["submissions:read"], "all=404"),
        row("DELETE", "/submissions/{id}/team/invitations/{invitation_id}", "/submissions/<osub>/team/invitations/<rival_invitation>", &[], "anon=401 keys=403 users=404"),
        row("DELETE", "/submissions/{id}/team/members/{user_id}", "/submissions/<osub>/team/members/<rival_id>", &[], "anon=401 keys=403 users=404"),

    ]
}

// ---- the route table ----

/// `(METHOD, path)` of every route between the API markers of `src/app.rs`,
/// without the `/api/v1` prefix.
fn api_routes() -> BTreeSet<(String, String)> {
    let src = include_str!("../src/app.rs");
    let begin = src.find("// API ROUTES BEGIN").unwrap_or(0);
    let end = src.find("// API ROUTES END").unwrap_or(src.len());
    let mut out = BTreeSet::new();
    for chunk in src[begin..end].split("r(\"").skip(1) {
        let path = chunk.split('"').next().unwrap_or_default();
        for m in ["get", "post", "put", "patch", "delete"] {
            if chunk.contains(&format!("{m}().to(")) {
                out.insert((m.to_uppercase(), path.to_owned()));
            }
        }
    }
    out
}

/// `(METHOD, path)` of every `/api/v1` operation of the served document,
/// without the prefix.
async fn documented_routes(app: &TestApp) -> BTreeSet<(String, String)> {
    let doc = app.get_json("/api/v1/openapi.json", None).await;
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let Some(rest) = path.strip_prefix("/api/v1") else {
            continue;
        };
        for (m, _) in item.as_object().into_iter().flatten() {
            if ["get", "post", "put", "patch", "delete"].contains(&m.as_str()) {
                out.insert((m.to_uppercase(), rest.to_owned()));
            }
        }
    }
    out
}

// ---- the world ----

/// The world every row is sent against.
struct Fx {
    w: World,
    /// Each person's access token and email.
    people: BTreeMap<Role, (String, String)>,
    /// The `<name>` placeholders.
    vars: HashMap<String, String>,
    /// API keys of `open-lab` by their sorted scopes.
    keys: HashMap<Vec<&'static str>, String>,
    org_id: String,
}

/// Fills `<name>` placeholders.
fn fill(template: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let j = after
            .find('>')
            .unwrap_or_else(|| panic!("unclosed placeholder in {template:?}"));
        let name = &after[..j];
        let v = vars
            .get(name)
            .unwrap_or_else(|| panic!("no <{name}> in the world (in {template:?})"));
        out.push_str(v);
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    out
}

/// Sends `method path` and answers its status, the problem's `code` if any,
/// and the JSON body.
async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut rq = app.http.request(m, app.url(path));
    if let Some(t) = token {
        rq = rq.bearer_auth(t);
    }
    if let Some(b) = body {
        rq = rq.json(&b);
    }
    let r = rq
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap_or_default();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

/// [`call`], asserting the status; answers the JSON body.
async fn expect(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
    want: u16,
) -> Value {
    let token = Some(token).filter(|t| !t.is_empty());
    let (status, v) = call(app, method, path, token, Some(body)).await;
    assert_eq!(status, want, "{method} {path}: {v}");
    v
}

/// A multipart request of one `file` field.
async fn send_file(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    name: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let boundary = "tribuMATRIX";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let mut rq = app
        .http
        .request(m, app.url(path))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body);
    if let Some(t) = token {
        rq = rq.bearer_auth(t);
    }
    let r = rq
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap_or_default();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

/// Waits for an email to `to` with a link to `path` whose token is not in
/// `used`; answers the token (and adds it to `used`).
async fn mail_token(app: &TestApp, to: &str, path: &str, used: &mut HashSet<String>) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(rd) = std::fs::read_dir(app.mail_dir()) {
            for e in rd.flatten() {
                let text = decode_qp(&std::fs::read_to_string(e.path()).unwrap_or_default());
                if !text.contains(&format!("To: {to}")) {
                    continue;
                }
                if let Some(t) = link_token(&text, path) {
                    if used.insert(t.clone()) {
                        return t;
                    }
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "no new email to {to} with a {path} link"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `inviter` invites `email` to the team of `sub`; `invitee` accepts.
async fn join_team(
    app: &TestApp,
    inviter: &Tokens,
    sub: &str,
    invitee: &Tokens,
    email: &str,
    used: &mut HashSet<String>,
) {
    expect(
        app,
        "POST",
        &format!("/api/v1/submissions/{sub}/team/invitations"),
        &inviter.access,
        json!({ "email": email }),
        201,
    )
    .await;
    let token = mail_token(app, email, "/team-invitations/", used).await;
    expect(
        app,
        "POST",
        "/api/v1/team-invitations/accept",
        &invitee.access,
        json!({ "token": token }),
        204,
    )
    .await;
}

/// Builds the world of the matrix (see the module's documentation).
async fn world() -> Fx {
    let w = World::with(|c| c.webhooks_allow_private = true).await;
    let app = &w.app;
    let owner = w.owner.clone();
    let padmin = w.admin.clone();
    let mut used = HashSet::new();
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut set = |k: &str, v: String| {
        assert!(!v.is_empty(), "<{k}> is empty");
        vars.insert(k.to_owned(), v);
    };

    // The people.
    let emails = [
        (Role::Solver, "solver@solvers.org", "Sol Solver"),
        (Role::Rival, "rival@solvers.org", "Riva Rival"),
        (Role::Team, "team@solvers.org", "Tea Mate"),
        (Role::Judge, "judge@judges.org", "Jude Judge"),
        (Role::OtherJudge, "ojudge@judges.org", "Otto Judge"),
        (Role::Member, "member@lab.org", "Mem Member"),
        (Role::Admin, "orgadmin@lab.org", "Ada Orgadmin"),
        (Role::Outsider, "outsider@else.org", "Out Sider"),
    ];
    let signed = futures_util::future::join_all(
        emails
            .iter()
            .map(|(_, email, name)| app.signed_in(email, name)),
    )
    .await;
    let leaver_email = "leaver@solvers.org";
    let leaver = app.signed_in(leaver_email, "Lee Leaver").await;
    app.signed_in("spare@tribu.test", "Spare Account").await;
    let mut people: BTreeMap<Role, (String, String)> = BTreeMap::new();
    let mut tokens: BTreeMap<Role, Tokens> = BTreeMap::new();
    for ((role, email, _), t) in emails.iter().zip(signed) {
        people.insert(*role, (t.access.clone(), (*email).to_owned()));
        tokens.insert(*role, t);
    }
    people.insert(Role::Owner, (owner.access.clone(), OWNER.to_owned()));
    people.insert(
        Role::Platform,
        (padmin.access.clone(), "admin@tribu.org".to_owned()),
    );
    let tok = |r: Role| tokens[&r].clone();
    let (solver, rival, team, judge, ojudge) = (
        tok(Role::Solver),
        tok(Role::Rival),
        tok(Role::Team),
        tok(Role::Judge),
        tok(Role::OtherJudge),
    );
    let id_of_me = |t: &Tokens| {
        let t = t.access.clone();
        async move { id_of(&app.get_json("/api/v1/me", Some(&t)).await) }
    };
    set("solver_id", id_of_me(&solver).await);
    set("team_id", id_of_me(&team).await);
    set("member_id", id_of_me(&tok(Role::Member)).await);
    set("leaver_id", id_of_me(&leaver).await);

    // The organisations.
    w.join_org(&tok(Role::Member), "member@lab.org", "member")
        .await;
    w.join_org(&tok(Role::Admin), "orgadmin@lab.org", "admin")
        .await;
    w.create_org(&tok(Role::Outsider), "else-lab", "Else Lab")
        .await;
    set("org", ORG.to_owned());
    set("other_org", "else-lab".to_owned());
    let org_id = id_of(
        &app.get_json(&format!("/api/v1/orgs/{ORG}"), Some(&owner.access))
            .await,
    );
    assert!(!org_id.is_empty(), "the organisation's id");
    let hook = expect(
        app,
        "POST",
        &format!("/api/v1/orgs/{ORG}/webhooks"),
        &owner.access,
        json!({ "url": "http://127.0.0.1:9/hooks", "events": ["submission.created"] }),
        201,
    )
    .await;
    let hook = hook["endpoint"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    set("hook", hook.clone());

    // A draft of else-lab: the outsider's own paths.
    let outsider = tok(Role::Outsider);
    let body = World::challenge_body(
        "Else draft",
        chrono::Duration::days(20),
        json!({ "org": "else-lab" }),
    );
    let else_draft = slug_of(
        &expect(
            app,
            "POST",
            "/api/v1/challenges",
            &outsider.access,
            body,
            201,
        )
        .await,
    );
    set("else_draft", else_draft);

    // The challenges.
    let judged = w
        .open_challenge("Judged entries", json!({ "max_team_size": 5 }))
        .await;
    let open = w
        .open_challenge("Open entries", json!({ "max_team_size": 50 }))
        .await;
    let other = w.open_challenge("Other panel", json!({})).await;
    let draft = slug_of(&w.draft("Draft plans", json!({})).await);
    set("judged", judged.clone());
    set("open", open.clone());
    set("other", other.clone());
    set("draft", draft);
    let deadline = common::fixtures::at(chrono::Duration::days(20));
    let judging_deadline = common::fixtures::at(chrono::Duration::days(30));
    set("deadline", deadline);
    set("judging_deadline", judging_deadline);

    // Entries in the challenge that will be judged.
    for t in [&solver, &team, &rival] {
        w.register(t, &judged).await;
        w.register(t, &open).await;
    }
    let sub = id_of(&w.submit(&solver, &judged, "Judged entry", false).await);
    join_team(app, &solver, &sub, &team, "team@solvers.org", &mut used).await;
    let r = w
        .upload(&solver, &sub, "design.txt", b"An LED and a photodiode.\n")
        .await;
    assert_eq!(r.status(), 201, "attachment");
    let up: Value = r.json().await.unwrap_or_default();
    set("attachment", id_of(&up["attachment"]));
    let rsub = id_of(&w.submit(&rival, &judged, "Rival entry", false).await);
    set("sub", sub.clone());
    set("rsub", rsub.clone());

    // Entries that can still change.
    let osub = id_of(&w.submit(&solver, &open, "Open entry", false).await);
    join_team(app, &solver, &osub, &team, "team@solvers.org", &mut used).await;
    w.register(&leaver, &open).await;
    join_team(app, &solver, &osub, &leaver, leaver_email, &mut used).await;
    let rosub = id_of(&w.submit(&rival, &open, "Rival open entry", false).await);
    set(
        "draft_sub",
        id_of(&w.submit(&solver, &open, "Draft entry", true).await),
    );
    let probe = expect(
        app,
        "POST",
        &format!("/api/v1/submissions/{rosub}/team/invitations"),
        &rival.access,
        json!({ "email": "probe@solvers.org" }),
        201,
    )
    .await;
    set("rival_invitation", id_of(&probe));
    set("rival_id", id_of_me(&rival).await);
    let dq = id_of(&w.submit(&rival, &open, "Copied entry", false).await);
    set("osub", osub);
    set("dq", dq);
    // Team invitations addressed to the other judge and to the judge.
    for (email, name) in [
        ("ojudge@judges.org", "team_invitation"),
        ("judge@judges.org", "team_invitation2"),
    ] {
        expect(
            app,
            "POST",
            &format!("/api/v1/submissions/{rosub}/team/invitations"),
            &rival.access,
            json!({ "email": email }),
            201,
        )
        .await;
        set(
            name,
            mail_token(app, email, "/team-invitations/", &mut used).await,
        );
    }

    // The panels and the round.
    let judge_id = w.judge(&judge, "judge@judges.org", &judged).await;
    w.judge(&ojudge, "ojudge@judges.org", &other).await;
    set("judge_id", judge_id);
    w.close_submissions(&judged);
    let round = w.round(&judged, 1, json!({})).await;
    let round_id = id_of(&round);
    expect(
        app,
        "POST",
        &format!("/api/v1/rounds/{round_id}/open"),
        &owner.access,
        json!({}),
        200,
    )
    .await;
    set("round", round_id);
    let criteria = round["criteria"].as_array().cloned().unwrap_or_default();
    set("criterion1", id_of(&criteria[0]));
    set("criterion2", id_of(&criteria[1]));
    let mine = app
        .get_json("/api/v1/me/assignments", Some(&judge.access))
        .await;
    let assignment = mine["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["submission_id"] == sub.as_str())
        .map(id_of)
        .unwrap_or_default();
    set("assignment", assignment);

    // Judge invitations addressed to the rival and to the co-author.
    for (email, name) in [
        ("rival@solvers.org", "judge_invitation"),
        ("team@solvers.org", "judge_invitation2"),
    ] {
        expect(
            app,
            "POST",
            &format!("/api/v1/challenges/{other}/judges"),
            &owner.access,
            json!({ "email": email }),
            201,
        )
        .await;
        set(
            name,
            mail_token(app, email, "/judge-invitations/", &mut used).await,
        );
    }
    // An invitation to else-lab addressed to the rival.
    expect(
        app,
        "POST",
        "/api/v1/orgs/else-lab/members",
        &tok(Role::Outsider).access,
        json!({ "email": "rival@solvers.org", "role": "member" }),
        201,
    )
    .await;
    set(
        "org_invitation",
        mail_token(app, "rival@solvers.org", "/invitations/", &mut used).await,
    );

    // A question, a resource for registered solvers, a delivery.
    let q = expect(
        app,
        "POST",
        &format!("/api/v1/challenges/{open}/questions"),
        &solver.access,
        json!({ "body": "May entries reuse published designs?" }),
        201,
    )
    .await;
    set("question", id_of(&q));
    let (status, res) = send_file(
        app,
        "POST",
        &format!("/api/v1/challenges/{open}/resources"),
        Some(&owner.access),
        "readings.csv",
        b"site,ntu\nA,12\n",
    )
    .await;
    assert_eq!(status, 201, "resource: {res}");
    set("resource", id_of(&res));
    let deliveries = app
        .get_json(
            &format!("/api/v1/orgs/{ORG}/webhooks/{hook}/deliveries"),
            Some(&owner.access),
        )
        .await;
    set("delivery", id_of(&deliveries["data"][0]));

    // The solver's public profile, a notification, a second session.
    expect(
        app,
        "PATCH",
        "/api/v1/me",
        &solver.access,
        json!({ "public_profile": true }),
        200,
    )
    .await;
    let notes = app
        .get_json("/api/v1/me/notifications", Some(&solver.access))
        .await;
    set("notification", id_of(&notes["data"][0]));
    let again = expect(
        app,
        "POST",
        "/api/v1/auth/login",
        "",
        json!({ "email": "solver@solvers.org", "password": PASSWORD }),
        200,
    )
    .await;
    set(
        "spare_session",
        again["session_id"].as_str().unwrap_or_default().to_owned(),
    );
    let victim = app.register("victim@tribu.test", "Vic Victim").await;
    set("victim", id_of(&victim));

    // Money: a pending funding, an awarded challenge with payouts and a refund.
    let pending = slug_of(&w.draft("Pending funding", json!({})).await);
    set("funding", id_of(&w.request_funding(&pending).await));
    let awarded = w.awarded().await;
    set("awarded", awarded.slug.clone());
    let payouts = app
        .get_json(
            &format!("/api/v1/admin/payouts?challenge={}", awarded.slug),
            Some(&padmin.access),
        )
        .await;
    set("payout", id_of(&payouts["data"][0]));
    set("payout2", id_of(&payouts["data"][1]));
    let refunds = app
        .get_json(
            &format!("/api/v1/admin/refunds?challenge={}", awarded.slug),
            Some(&padmin.access),
        )
        .await;
    set("refund", id_of(&refunds["data"][0]));

    // Two challenges waiting for review.
    expect(
        app,
        "PUT",
        "/api/v1/admin/settings",
        &padmin.access,
        json!({ "publish_requires_review": true }),
        200,
    )
    .await;
    for (title, name) in [("Review one", "review1"), ("Review two", "review2")] {
        let slug = slug_of(&w.draft(title, json!({})).await);
        w.fund(&slug).await;
        let p = w.publish(&slug).await;
        assert_eq!(p["outcome"], "awaiting_review", "{p}");
        set(name, slug);
    }
    expect(
        app,
        "PUT",
        "/api/v1/admin/settings",
        &padmin.access,
        json!({ "publish_requires_review": false }),
        200,
    )
    .await;

    Fx {
        w,
        people,
        vars,
        keys: HashMap::new(),
        org_id,
    }
}

impl Fx {
    fn app(&self) -> &TestApp {
        &self.w.app
    }

    /// The key of `open-lab` with exactly `scopes`, made on first use.
    async fn key(&mut self, scopes: &[&'static str]) -> String {
        let mut k = scopes.to_vec();
        k.sort_unstable();
        if let Some(s) = self.keys.get(&k) {
            return s.clone();
        }
        let secret = self.w.api_key(&k).await;
        self.keys.insert(k, secret.clone());
        secret
    }

    /// Makes the [`Fresh`] target of one request: answers `<fresh>`, and
    /// for [`Fresh::Session`] the caller's new access token.
    async fn fresh(&self, f: Fresh, role: Role, u: &str) -> (Option<String>, Option<String>) {
        let app = self.app();
        let owner = &self.w.owner.access;
        let v = &self.vars;
        let made = match f {
            Fresh::None => return (None, None),
            Fresh::Session => {
                return match self.people.get(&role) {
                    Some((_, email)) => (None, Some(app.login(email, PASSWORD).await.access)),
                    None => (None, None),
                };
            }
            Fresh::RefreshToken => app.login("spare@tribu.test", PASSWORD).await.refresh,
            Fresh::Draft => slug_of(&self.w.draft(&format!("Cancel me {u}"), json!({})).await),
            Fresh::OrgMember => {
                let user = app
                    .register(&format!("m{u}@lab.org"), "Temporary Member")
                    .await;
                let uid = id_of(&user);
                let mut conn = app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
                tribu::orgs::store::add_member(
                    &mut conn,
                    &self.org_id,
                    &uid,
                    tribu::orgs::model::Role::Member,
                    tribu::db::now(),
                )
                .unwrap_or_else(|e| panic!("add member: {e}"));
                uid
            }
            Fresh::OrgInvitation => id_of(
                &expect(
                    app,
                    "POST",
                    &format!("/api/v1/orgs/{ORG}/members"),
                    owner,
                    json!({ "email": format!("i{u}@lab.org"), "role": "member" }),
                    201,
                )
                .await,
            ),
            Fresh::ApiKey => id_of(
                &expect(
                    app,
                    "POST",
                    &format!("/api/v1/orgs/{ORG}/api-keys"),
                    owner,
                    json!({ "name": "Spare key", "scopes": ["org:read"] }),
                    201,
                )
                .await,
            ),
            Fresh::Webhook => {
                let v = expect(
                    app,
                    "POST",
                    &format!("/api/v1/orgs/{ORG}/webhooks"),
                    owner,
                    json!({ "url": "http://127.0.0.1:9/spare", "events": ["round.closed"] }),
                    201,
                )
                .await;
                id_of(&v["endpoint"])
            }
            Fresh::Resource => {
                let (status, r) = send_file(
                    app,
                    "POST",
                    &format!("/api/v1/challenges/{}/resources", v["open"]),
                    Some(owner),
                    &format!("spare-{u}.txt"),
                    b"spare\n",
                )
                .await;
                assert_eq!(status, 201, "spare resource: {r}");
                id_of(&r)
            }
            Fresh::TeamInvitation => id_of(
                &expect(
                    app,
                    "POST",
                    &format!("/api/v1/submissions/{}/team/invitations", v["osub"]),
                    &self.people[&Role::Solver].0,
                    json!({ "email": format!("t{u}@solvers.org") }),
                    201,
                )
                .await,
            ),
            Fresh::Judge => id_of(
                &expect(
                    app,
                    "POST",
                    &format!("/api/v1/challenges/{}/judges", v["open"]),
                    owner,
                    json!({ "email": format!("j{u}@judges.org") }),
                    201,
                )
                .await,
            ),
            Fresh::Pair => {
                expect(
                    app,
                    "POST",
                    &format!("/api/v1/rounds/{}/assignments", v["round"]),
                    owner,
                    json!({ "judge_id": v["judge_id"], "submission_id": v["rsub"] }),
                    200,
                )
                .await;
                return (None, None);
            }
        };
        assert!(!made.is_empty(), "fresh {f:?} for {}", role.name());
        (Some(made), None)
    }
}

// ---- the run ----

/// One request of the matrix.
struct Outcome {
    row: usize,
    role: Role,
    /// Sent again after the allowed roles (reads only): nothing an allowed
    /// role did or read, a cached answer included, reaches a refused one.
    again: bool,
    expect: Expect,
    status: u16,
    code: String,
}

impl Outcome {
    /// What is wrong with it, if anything.
    fn verdict(&self) -> Option<&'static str> {
        match self.expect {
            Expect::Ok if !got_through(self.status) => Some("allowed role refused"),
            Expect::Ok => None,
            Expect::Status(s) if s == self.status => None,
            Expect::Status(_) if got_through(self.status) => Some("UNEXPECTED ALLOW"),
            Expect::Status(_) => Some("other refusal"),
        }
    }
}

/// Sends row `i` as `role`; `keys` are the row's two API keys.
async fn send_as(
    fx: &Fx,
    rows: &[Row],
    i: usize,
    role: Role,
    keys: &(String, String),
) -> (u16, String) {
    let r = &rows[i];
    let u = format!("{i}{}", role.name());
    let (fresh, session) = fx.fresh(r.fresh, role, &u).await;
    let mut vars = fx.vars.clone();
    vars.insert("u".into(), u);
    if let Some(f) = fresh {
        vars.insert("fresh".into(), f);
    }
    let token = match role {
        Role::Anon => None,
        Role::Key => Some(keys.0.clone()),
        Role::NoKey => Some(keys.1.clone()),
        _ => Some(session.unwrap_or_else(|| fx.people[&role].0.clone())),
    };
    let path = format!("/api/v1{}", fill(r.target, &vars));
    let (status, v) = match r.body {
        Body::None => call(fx.app(), r.method, &path, token.as_deref(), None).await,
        Body::Json(t) => {
            let text = fill(t, &vars);
            let b: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} {}: body {text}: {e}", r.method, r.route));
            call(fx.app(), r.method, &path, token.as_deref(), Some(b)).await
        }
        Body::File(name, bytes) => {
            send_file(fx.app(), r.method, &path, token.as_deref(), name, bytes).await
        }
    };
    (status, v["code"].as_str().unwrap_or_default().to_owned())
}

/// The route table's problems: routes without a row, rows without a route,
/// two rows alike.
fn coverage(rows: &[Row], routed: &BTreeSet<(String, String)>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut covered = BTreeSet::new();
    let mut targets = BTreeSet::new();
    for r in rows {
        if !targets.insert((r.method, r.target)) {
            problems.push(format!("two rows for {} {}", r.method, r.target));
        }
        let k = (r.method.to_owned(), r.route.to_owned());
        if !routed.contains(&k) {
            problems.push(format!(
                "a row for {} /api/v1{} but no such route in src/app.rs",
                r.method, r.route
            ));
        }
        covered.insert(k);
    }
    for (m, p) in routed.difference(&covered) {
        problems.push(format!("no row for the route {m} /api/v1{p}"));
    }
    problems
}

/// The matrix as received: a line per row, a column per role; `!` marks a
/// discrepancy (of the first request or of the one sent again).
fn matrix(rows: &[Row], outcomes: &[Outcome], width: usize) -> String {
    let mut m = format!("{:width$}", "row");
    for role in Role::ALL {
        m.push_str(&format!(" {:>8}", role.name()));
    }
    m.push('\n');
    for (i, r) in rows.iter().enumerate() {
        m.push_str(&format!("{:width$}", format!("{} {}", r.method, r.target)));
        for role in Role::ALL {
            let mine: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.row == i && o.role == role)
                .collect();
            let cell = mine
                .iter()
                .find(|o| !o.again)
                .map(|o| {
                    let bad = mine.iter().any(|o| o.verdict().is_some());
                    format!("{}{}", if bad { "!" } else { "" }, o.status)
                })
                .unwrap_or_default();
            m.push_str(&format!(" {cell:>8}"));
        }
        m.push('\n');
    }
    m
}

#[tokio::test]
async fn every_api_route_answers_every_role_as_the_matrix_says() {
    let started = Instant::now();
    let rows = rows();

    // The route table, the document and the matrix name the same routes.
    let routed = api_routes();
    assert!(routed.len() > 100, "parsed the route table: {routed:?}");
    let mut problems = coverage(&rows, &routed);
    let mut fx = world().await;
    let documented = documented_routes(fx.app()).await;
    for (m, p) in routed.difference(&documented) {
        problems.push(format!("{m} /api/v1{p} is routed but not in openapi.json"));
    }
    for (m, p) in documented.difference(&routed) {
        problems.push(format!("{m} /api/v1{p} is in openapi.json but not routed"));
    }
    let set_up = started.elapsed();

    // The keys every row needs.
    let mut keys: Vec<(String, String)> = Vec::with_capacity(rows.len());
    for r in &rows {
        let (with, without) = r.key_scopes();
        keys.push((fx.key(&with).await, fx.key(&without).await));
    }

    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (rows[i].phase, i));
    let mut outcomes: Vec<Outcome> = Vec::new();
    for i in order {
        let r = &rows[i];
        if !routed.contains(&(r.method.to_owned(), r.route.to_owned())) {
            continue;
        }
        // Refused roles first: an allowed role's success changes nothing
        // they see. A read is sent to the refused roles again at the end.
        let mut roles: Vec<(Role, bool)> = Role::ALL.iter().map(|r| (*r, false)).collect();
        roles.sort_by_key(|(role, _)| (r.expect[role] == Expect::Ok, *role));
        if r.method == "GET" {
            let refused = Role::ALL
                .into_iter()
                .filter(|role| r.expect[role] != Expect::Ok);
            roles.extend(refused.map(|role| (role, true)).collect::<Vec<_>>());
        }
        for (role, again) in roles {
            let (status, code) = send_as(&fx, &rows, i, role, &keys[i]).await;
            outcomes.push(Outcome {
                row: i,
                role,
                again,
                expect: r.expect[&role],
                status,
                code,
            });
        }
    }

    let width = rows
        .iter()
        .map(|r| r.method.len() + r.target.len() + 1)
        .max()
        .unwrap_or(40);
    println!("{}", matrix(&rows, &outcomes, width));

    // The discrepancies, in one table.
    let bad: Vec<&Outcome> = outcomes.iter().filter(|o| o.verdict().is_some()).collect();
    let unexpected_allows = bad
        .iter()
        .filter(|o| o.expect != Expect::Ok && got_through(o.status))
        .count();
    let mut report = String::new();
    if !bad.is_empty() {
        report.push_str(&format!(
            "{:width$} {:>8} {:>8} {:>6}  {}\n",
            "row", "role", "expected", "got", "what"
        ));
        for o in &bad {
            let r = &rows[o.row];
            report.push_str(&format!(
                "{:width$} {:>8} {:>8} {:>6}  {} {}{}\n",
                format!("{} {}", r.method, r.target),
                o.role.name(),
                o.expect.label(),
                o.status,
                o.verdict().unwrap_or_default(),
                o.code,
                if o.again {
                    " (sent again after the allowed roles)"
                } else {
                    ""
                },
            ));
        }
    }
    println!(
        "{} rows over {} routes × {} roles: {} requests; set-up {:.1?}, total {:.1?}",
        rows.len(),
        routed.len(),
        Role::ALL.len(),
        outcomes.len(),
        set_up,
        started.elapsed()
    );
    println!("Unexpected allows: {unexpected_allows}");
    println!("Discrepancies: {}", bad.len());
    for p in &problems {
        println!("route table: {p}");
    }
    if !report.is_empty() {
        println!("{report}");
    }
    assert!(
        problems.is_empty() && bad.is_empty(),
        "{} route table problem(s), {} discrepancies ({unexpected_allows} unexpected allows):\n{}\n{report}",
        problems.len(),
        bad.len(),
        problems.join("\n")
    );
}

/// The coverage check names a route without a row and a row without a route.
#[test]
fn a_missing_or_stale_row_is_named() {
    let mut rows = rows();
    let routed = api_routes();
    assert!(coverage(&rows, &routed).is_empty());
    let dropped = rows.remove(1);
    rows.push(row("GET", "/gone", "/gone", &[], PUBLIC));
    let problems = coverage(&rows, &routed).join("\n");
    assert!(
        problems.contains(&format!(
            "no row for the route {} /api/v1{}",
            dropped.method, dropped.route
        )),
        "{problems}"
    );
    assert!(
        problems.contains("a row for GET /api/v1/gone but no such route"),
        "{problems}"
    );
}
