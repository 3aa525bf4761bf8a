//! Creating and editing a challenge: drafts change freely; once open, only
//! the texts (held for the platform's review when it reviews challenges),
//! and the rules by publishing a new version.

use chrono::NaiveDateTime;

use super::review::{pending_of, review_required};
use super::{actor_user, audit_challenge, checked_text, org_access, validate, ChallengeInput};
use crate::audit::Actor;
use crate::auth::principal::Principal;
use crate::challenges::model::{review, PendingTexts, State, TierInput};
use crate::challenges::store::{self, Challenge, Fields};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::orgs::model::OrgAction;
use crate::orgs::store as orgs;
use crate::state::AppState;

/// Creates a draft for the organisation named in `input.org`, or, for an
/// API key, its own organisation by default.
pub async fn create_from_input(
    state: &AppState,
    caller: &Principal,
    input: ChallengeInput,
) -> AppResult<Challenge> {
    let org = match (&input.org, caller) {
        (Some(o), _) => o.clone(),
        (None, Principal::Key(k)) => {
            let id = k.key.org_id.clone();
            state
                .db(move |c| Ok(orgs::find_by_id(c, &id)?.slug))
                .await?
        }
        (None, Principal::User(_)) => {
            return Err(AppError::field(
                "org",
                "required",
                "Name the organisation (its slug).",
            ))
        }
    };
    create(state, caller, &org, input).await
}

/// The fields of a new challenge of `org_slug`, checked, when `caller` may
/// edit its challenges; and the organisation's id.
fn checked_new(
    conn: &mut DbConnection,
    caller: &Principal,
    org_slug: &str,
    input: &ChallengeInput,
    at: NaiveDateTime,
) -> AppResult<(String, Fields)> {
    let a = crate::orgs::service::access(conn, caller, org_slug, OrgAction::EditChallenges)?;
    Ok((a.org.id, validate(conn, input, None, at)?))
}

/// `input` over the current fields of `ch` (its tiers and rules too),
/// checked as of `at`.
fn checked_over(
    conn: &mut DbConnection,
    ch: &Challenge,
    input: &ChallengeInput,
    at: NaiveDateTime,
) -> AppResult<Fields> {
    let tiers = store::tiers(conn, &ch.id)?
        .into_iter()
        .map(|t| TierInput {
            rank: t.rank,
            label: t.label,
            amount: t.amount,
        })
        .collect();
    let rules = store::rules(conn, &ch.id, ch.rules_version)?;
    validate(conn, input, Some((ch, tiers, rules)), at)
}

/// Creates a draft for the organisation `org_slug`.
pub async fn create(
    state: &AppState,
    caller: &Principal,
    org_slug: &str,
    input: ChallengeInput,
) -> AppResult<Challenge> {
    let (caller, org_slug) = (caller.clone(), org_slug.to_owned());
    state
        .tx(move |c| {
            let at = now();
            let (org_id, fields) = checked_new(c, &caller, &org_slug, &input, at)?;
            let ch = store::insert(c, &org_id, &fields, &actor_user(&caller), at)?;
            audit_challenge(
                c,
                &caller.actor(),
                &ch,
                "challenge.created",
                serde_json::json!({ "title": ch.title }),
            )?;
            Ok(ch)
        })
        .await
}

/// Checks what [`create`] would check, writing nothing: for a form that the
/// page could not fully read, so its other fields get their messages too.
pub async fn check_create(
    state: &AppState,
    caller: &Principal,
    org_slug: &str,
    input: ChallengeInput,
) -> AppResult<()> {
    let (caller, org_slug) = (caller.clone(), org_slug.to_owned());
    state
        .db(move |c| checked_new(c, &caller, &org_slug, &input, now()).map(|_| ()))
        .await
}

/// Edits a challenge: every field while a draft; only texts and tags once
/// published (money, dates, licences and limits are promises to solvers).
pub async fn update(
    state: &AppState,
    caller: &Principal,
    key: &str,
    input: ChallengeInput,
) -> AppResult<Challenge> {
    let (caller, key) = (caller.clone(), key.to_owned());
    state
        .tx(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::EditChallenges)?;
            let at = now();
            let updated = match ch.state_at(at) {
                State::Draft => {
                    let f = checked_over(c, &ch, &input, at)?;
                    let updated = store::update_draft(c, &ch.id, &f, &actor_user(&caller), at)?;
                    reset_review(c, &caller.actor(), &updated, at)?
                }
                State::Open => {
                    if input.touches_promises() {
                        return Err(AppError::conflict(
                            "locked_after_publish",
                            "Once open, only the summary, description, eligibility, category and tags can change; rules change by publishing a new version.",
                        ));
                    }
                    // Validate the texts with the same rules, against a far deadline.
                    let f = checked_over(c, &ch, &input, ch.created_at)?;
                    if review_required(c)? {
                        // Held until approved: the public page shows only reviewed text.
                        let proposed = PendingTexts {
                            summary: input.summary.as_ref().map(|_| f.summary.clone()),
                            description: input.description.as_ref().map(|_| f.description_md.clone()),
                            eligibility: input.eligibility.as_ref().map(|_| f.eligibility.clone()),
                            category: input.category.as_ref().map(|_| f.category.clone()),
                            tags: input.tags.as_ref().map(|_| f.tags.clone()),
                            rules: None,
                        };
                        hold_for_review(c, &caller.actor(), &ch, proposed, at)?
                    } else {
                        store::update_texts(c, &ch.id, &f.summary, &f.description_md, &f.eligibility, &f.category, &f.tags, at)?
                    }
                }
                other => {
                    return Err(AppError::conflict("not_editable", format!("A challenge that is {} cannot be edited.", other.as_str())));
                }
            };
            audit_challenge(c, &caller.actor(), &updated, "challenge.updated", serde_json::json!({}))?;
            Ok(updated)
        })
        .await
}

/// Checks what [`update`] would check of a draft's fields, writing nothing
/// (see [`check_create`]).
pub async fn check_update(
    state: &AppState,
    caller: &Principal,
    key: &str,
    input: ChallengeInput,
) -> AppResult<()> {
    let (caller, key) = (caller.clone(), key.to_owned());
    state
        .db(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::EditChallenges)?;
            checked_over(c, &ch, &input, now()).map(|_| ())
        })
        .await
}

/// A reviewed draft that changes goes back to the start of review: an
/// approval covers the text the admin read, not a later one.
fn reset_review(
    conn: &mut DbConnection,
    actor: &Actor,
    ch: &Challenge,
    at: NaiveDateTime,
) -> AppResult<Challenge> {
    if ch.review_state != review::PENDING && ch.review_state != review::APPROVED {
        return Ok(ch.clone());
    }
    store::set_review(conn, &ch.id, review::NONE, None, at)?;
    audit_challenge(
        conn,
        actor,
        ch,
        "challenge.review_reset",
        serde_json::json!({ "was": ch.review_state }),
    )?;
    Ok(store::find(conn, &ch.id)?)
}

/// Keeps text changes to an open challenge aside and asks the platform to
/// review them; they go live when approved.
fn hold_for_review(
    conn: &mut DbConnection,
    actor: &Actor,
    ch: &Challenge,
    proposed: PendingTexts,
    at: NaiveDateTime,
) -> AppResult<Challenge> {
    let merged = pending_of(ch).unwrap_or_default().merge(proposed);
    let json = serde_json::to_string(&merged).map_err(AppError::internal)?;
    store::set_pending_changes(conn, &ch.id, Some(&json), at)?;
    store::set_review(conn, &ch.id, review::PENDING, None, at)?;
    audit_challenge(
        conn,
        actor,
        ch,
        "challenge.changes_submitted_for_review",
        serde_json::to_value(&merged).unwrap_or_default(),
    )?;
    Ok(store::find(conn, &ch.id)?)
}

/// Publishes a new rules version; registrants must accept it before their
/// next submission.
pub async fn new_rules(
    state: &AppState,
    caller: &Principal,
    key: &str,
    body: String,
) -> AppResult<i32> {
    let body = checked_text("rules", &body, 20, 50_000)?;
    let (caller, key) = (caller.clone(), key.to_owned());
    state
        .tx(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::PublishChallenges)?;
            let at = now();
            let st = ch.state_at(at);
            if !matches!(st, State::Draft | State::Open) {
                return Err(AppError::conflict(
                    "not_editable",
                    "Rules can change only before the deadline.",
                ));
            }
            if st == State::Open && review_required(c)? {
                let proposed = PendingTexts {
                    rules: Some(body),
                    ..Default::default()
                };
                hold_for_review(c, &caller.actor(), &ch, proposed, at)?;
                return Ok(ch.rules_version);
            }
            let v = store::new_rules_version(c, &ch, &body, &actor_user(&caller), at)?;
            let fresh = store::find(c, &ch.id)?;
            reset_review(c, &caller.actor(), &fresh, at)?;
            audit_challenge(
                c,
                &caller.actor(),
                &ch,
                "challenge.rules_published",
                serde_json::json!({ "version": v }),
            )?;
            Ok(v)
        })
        .await
}
