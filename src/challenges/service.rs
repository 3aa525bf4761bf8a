//! Challenge use cases shared by the JSON API, the pages, the worker and the
//! demo seed. Each public `async fn` is one use case in one transaction: it
//! checks who may do it, applies the rules of `model`, writes through
//! `store` (and the ledger), audits, and queues what must be sent. Nothing
//! here knows about HTTP.
//!
//! A file per use case: creating and editing ([`editing`]) with the field
//! checks ([`validate`]), publishing and the platform's review
//! ([`review`]), funding, cancellation and refunds ([`funding`]), what
//! solvers do and the organisation answers ([`solvers`]), and the platform
//! settings ([`platform`]). Here: what they share (who may act on a
//! challenge, the state machine in a transaction, the audit trail) and the
//! worker's closing of challenges at their deadline.

mod editing;
mod funding;
mod platform;
mod resources;
mod review;
mod solvers;
mod validate;

pub use editing::{check_create, check_update, create, create_from_input, new_rules, update};
pub use funding::{cancel, confirm_card_payment, confirm_funding, flows, request_funding};
pub use platform::{change_settings, Settings};
pub use resources::{add_resource, remove_resource, resource_slot, COVER_MAX_BYTES, MAX_RESOURCES};
pub use review::{
    as_reviewed, pending_of, publish, review_decision, review_required, review_version, Published,
};
pub use solvers::{announce, answer, ask, register, register_in};
pub use validate::validate;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::model::{self, check_text, Event, State, TierInput};
use super::store::{self, Challenge};
use crate::audit::{self, Actor, Entry};
use crate::auth::principal::Principal;
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::money::model::Currency;
use crate::orgs::model::OrgAction;
use crate::orgs::service::{access_org, Access};
use crate::orgs::store as orgs;

/// Everything an organisation writes about a challenge. On PATCH every field
/// is optional and falls back to the current value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeInput {
    /// The organisation's slug (on create; an API key's own organisation by default).
    pub org: Option<String>,
    pub title: Option<String>,
    /// Defaults to one made from the title.
    pub slug: Option<String>,
    pub summary: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    /// ideation, theoretical, reduction_to_practice, software or design.
    pub kind: Option<String>,
    pub currency: Option<String>,
    pub prize_tiers: Option<Vec<TierInput>>,
    /// public or unlisted.
    pub visibility: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submission_deadline: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub judging_deadline: Option<DateTime<Utc>>,
    pub eligibility: Option<String>,
    /// Markdown; on an open challenge use the rules endpoint to publish a new version.
    pub rules: Option<String>,
    /// SPDX ids, e.g. `["CC-BY-4.0", "MIT"]`.
    pub allowed_licences: Option<Vec<String>>,
    pub max_submissions_per_solver: Option<i32>,
    pub max_team_size: Option<i32>,
    pub blind_judging: Option<bool>,
    /// Largest attachment in bytes (default: the platform's).
    pub max_attachment_bytes: Option<i64>,
    /// Largest total of a submission's attachments in bytes (default: the platform's).
    pub max_submission_bytes: Option<i64>,
}

impl ChallengeInput {
    /// Whether the input touches a field that is a promise to solvers once
    /// the challenge is open (everything but the texts and tags).
    fn touches_promises(&self) -> bool {
        self.org.is_some()
            || self.title.is_some()
            || self.slug.is_some()
            || self.kind.is_some()
            || self.currency.is_some()
            || self.prize_tiers.is_some()
            || self.visibility.is_some()
            || self.opens_at.is_some()
            || self.submission_deadline.is_some()
            || self.judging_deadline.is_some()
            || self.rules.is_some()
            || self.allowed_licences.is_some()
            || self.max_submissions_per_solver.is_some()
            || self.max_team_size.is_some()
            || self.blind_judging.is_some()
            || self.max_attachment_bytes.is_some()
            || self.max_submission_bytes.is_some()
    }
}

/// A text field checked on its own (see [`model::check_text`]), as a 422.
fn checked_text(field: &str, raw: &str, min: usize, max: usize) -> AppResult<String> {
    check_text(field, raw, min, max).map_err(|e| AppError::Validation(vec![e]))
}

/// The currency of a stored row: stored codes were checked on the way in,
/// so one that no longer parses is the server's fault.
pub fn currency_of(code: &str) -> AppResult<Currency> {
    Currency::parse("currency", code).map_err(|e| AppError::internal(e.message))
}

/// The acting user id for records (a key acts for whoever created it).
fn actor_user(caller: &Principal) -> String {
    match caller {
        Principal::User(u) => u.user.id.clone(),
        Principal::Key(k) => k.key.created_by.clone(),
    }
}

/// Loads a challenge for an organisation action; 404 when the caller has no
/// tie to its organisation.
pub fn org_access(
    conn: &mut DbConnection,
    caller: &Principal,
    key: &str,
    action: OrgAction,
) -> AppResult<(Challenge, Access)> {
    let c = store::find_by_key(conn, key)?.ok_or(AppError::NotFound)?;
    let org = orgs::find_by_id(conn, &c.org_id)?;
    let a = access_org(conn, caller, org, action)?;
    Ok((c, a))
}

/// [`org_access`], then the challenge's row lock, then a fresh read: a
/// flow racing this one on the same challenge (a cancellation, a funding
/// confirmation, a publication) waits for it and sees its outcome.
fn org_access_locked(
    conn: &mut DbConnection,
    caller: &Principal,
    key: &str,
    action: OrgAction,
) -> AppResult<Challenge> {
    let (ch, _) = org_access(conn, caller, key, action)?;
    store::lock(conn, &ch.id)?;
    Ok(store::find(conn, &ch.id)?)
}

/// Whether `caller` reads the challenge as its organisation for `action`: a
/// member with a role that allows it, or a key of the organisation with the
/// scope for it (a key with only `funding:write` reads nothing private).
pub fn is_org_side(
    conn: &mut DbConnection,
    caller: Option<&Principal>,
    c: &Challenge,
    action: OrgAction,
) -> AppResult<bool> {
    use crate::orgs::model::{allowed, Principal as OrgPrincipal};
    Ok(match caller {
        Some(Principal::User(u)) => orgs::role_of(conn, &c.org_id, &u.user.id)?
            .is_some_and(|role| allowed(&OrgPrincipal::Member(role), action)),
        Some(Principal::Key(k)) => {
            k.key.org_id == c.org_id && allowed(&OrgPrincipal::Key(k.key.scope_list()), action)
        }
        None => false,
    })
}

/// A challenge the caller may read: drafts (and, through the returned flag,
/// registrants and private questions) only for its organisation.
pub fn readable(
    conn: &mut DbConnection,
    caller: Option<&Principal>,
    key: &str,
) -> AppResult<(Challenge, bool)> {
    let c = store::find_by_key(conn, key)?.ok_or(AppError::NotFound)?;
    let org_side = is_org_side(conn, caller, &c, OrgAction::ViewChallenges)?;
    if c.stored_state() == State::Draft && !org_side {
        return Err(AppError::NotFound);
    }
    Ok((c, org_side))
}

/// Appends an audit record about `subject` (`(type, id)`) in the challenge's
/// organisation.
fn audit_on(
    conn: &mut DbConnection,
    actor: &Actor,
    ch: &Challenge,
    subject: (&str, &str),
    action: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        Entry {
            actor,
            org_id: Some(&ch.org_id),
            action,
            subject_type: subject.0,
            subject_id: subject.1,
            data,
        },
    )?;
    Ok(())
}

/// Appends an audit record about the challenge itself.
fn audit_challenge(
    conn: &mut DbConnection,
    actor: &Actor,
    c: &Challenge,
    action: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    audit_on(conn, actor, c, ("challenge", &c.id), action, data)
}

/// Applies `event` to a challenge inside the current transaction: checks
/// the table against the state by the clock, writes it, audits who/from/to.
pub fn apply(
    conn: &mut DbConnection,
    actor: &Actor,
    c: &Challenge,
    event: Event,
    at: NaiveDateTime,
) -> AppResult<State> {
    // A passed deadline has closed an open challenge already; record that first.
    let mut from = c.stored_state();
    let effective = c.state_at(at);
    if effective != from {
        if store::set_state(conn, &c.id, from, effective, at)? == 1 {
            audit_challenge(
                conn,
                &Actor::default(),
                c,
                "challenge.transition",
                serde_json::json!({ "from": from.as_str(), "to": effective.as_str(), "reason": "deadline" }),
            )?;
        }
        from = effective;
    }
    let to = model::transition(from, event).map_err(|e| {
        AppError::conflict(
            "illegal_transition",
            format!(
                "A challenge that is {} cannot be {:?}.",
                e.from.as_str(),
                e.event
            )
            .to_lowercase(),
        )
    })?;
    if store::set_state(conn, &c.id, from, to, at)? != 1 {
        return Err(AppError::conflict(
            "state_changed",
            "The challenge changed meanwhile; reload and try again.",
        ));
    }
    audit_challenge(
        conn,
        actor,
        c,
        "challenge.transition",
        serde_json::json!({ "from": from.as_str(), "to": to.as_str() }),
    )?;
    Ok(to)
}

/// Closes every open challenge whose deadline has passed (the worker's job).
pub fn close_due(conn: &mut DbConnection) -> AppResult<usize> {
    let at = now();
    let due = store::due_for_closing(conn, at)?;
    let mut n = 0;
    for ch in due {
        crate::db::write_tx(conn, |c| -> AppResult<()> {
            if store::set_state(c, &ch.id, State::Open, State::Closed, at)? == 1 {
                audit_challenge(
                    c,
                    &Actor::default(),
                    &ch,
                    "challenge.transition",
                    serde_json::json!({ "from": "open", "to": "closed", "reason": "deadline" }),
                )?;
                crate::webhooks::service::emit(
                    c,
                    &ch.org_id,
                    "challenge.closed",
                    serde_json::json!({ "challenge": crate::webhooks::service::challenge_ref(&ch), "reason": "deadline" }),
                )?;
                n += 1;
            }
            Ok(())
        })?;
    }
    Ok(n)
}
