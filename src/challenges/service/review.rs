//! Publishing and the platform's review: a draft opens once its escrow
//! holds the whole pool, after a platform admin's approval when the
//! platform asks for one; text changes to an open challenge wait for the
//! same approval. An approval names the version the admin read.

use chrono::NaiveDateTime;

use super::funding::flows;
use super::{apply, audit_challenge, org_access_locked};
use crate::audit::Actor;
use crate::auth::principal::Principal;
use crate::challenges::model::{self, review, Event, PendingTexts, State};
use crate::challenges::store::{self, Challenge};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::orgs::model::OrgAction;
use crate::state::AppState;

/// The text changes of an open challenge waiting for review, if any.
pub fn pending_of(ch: &Challenge) -> Option<PendingTexts> {
    ch.pending_changes
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
}

/// The challenge as it would read once its pending changes are approved,
/// and the rules text it would have: what a reviewer reads.
pub fn as_reviewed(conn: &mut DbConnection, ch: &Challenge) -> AppResult<(Challenge, String)> {
    let mut shown = ch.clone();
    let mut rules = store::rules(conn, &ch.id, ch.rules_version)?;
    if let Some(p) = pending_of(ch) {
        if let Some(v) = p.summary {
            shown.summary = v;
        }
        if let Some(v) = p.description {
            shown.description_md = v;
        }
        if let Some(v) = p.eligibility {
            shown.eligibility = v;
        }
        if let Some(v) = p.category {
            shown.category = v;
        }
        if let Some(v) = p.tags {
            shown.tags = v.join(" ");
        }
        if let Some(v) = p.rules {
            rules = v;
        }
    }
    Ok((shown, rules))
}

/// The version of a challenge a reviewer approves (see [`model::review_digest`]).
pub fn review_version(conn: &mut DbConnection, ch: &Challenge) -> AppResult<String> {
    let (shown, rules) = as_reviewed(conn, ch)?;
    let tiers: Vec<String> = store::tiers(conn, &ch.id)?
        .into_iter()
        .map(|t| format!("{}:{}:{}", t.rank, t.label, t.amount))
        .collect();
    let dates = format!(
        "{:?} {} {}",
        shown.opens_at, shown.submission_deadline, shown.judging_deadline
    );
    let limits = format!(
        "{} {} {} {:?} {:?}",
        shown.max_submissions_per_solver,
        shown.max_team_size,
        shown.blind_judging,
        shown.max_attachment_bytes,
        shown.max_submission_bytes
    );
    Ok(model::review_digest(&[
        &shown.title,
        &shown.slug,
        &shown.summary,
        &shown.description_md,
        &shown.eligibility,
        &shown.category,
        &shown.tags,
        &shown.kind,
        &shown.currency,
        &shown.visibility,
        &shown.allowed_licences,
        &rules,
        &tiers.join("|"),
        &dates,
        &limits,
    ]))
}

/// What publishing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// The challenge is open.
    Open,
    /// It waits for a platform admin's approval.
    AwaitingReview,
}

/// Whether publishing needs an admin's approval (platform setting).
pub fn review_required(conn: &mut DbConnection) -> AppResult<bool> {
    Ok(store::setting(conn, store::SETTING_PUBLISH_REVIEW)?.as_deref() == Some("true"))
}

/// Opens a draft now: refused until escrow holds the whole pool and while
/// its deadline has passed.
fn open_now(
    conn: &mut DbConnection,
    st: &AppState,
    actor: &Actor,
    ch: &Challenge,
    at: NaiveDateTime,
) -> AppResult<()> {
    let f = flows(conn, ch)?;
    if f.balance() < ch.prize_total {
        return Err(AppError::conflict(
            "escrow_insufficient",
            format!(
                "Escrow holds {} of the {} prize pool; fund the rest first.",
                f.balance(),
                ch.prize_total
            ),
        ));
    }
    if ch.submission_deadline <= at {
        return Err(AppError::conflict(
            "deadline_passed",
            "The submission deadline has passed; move it before publishing.",
        ));
    }
    apply(conn, actor, ch, Event::Publish, at)?;
    crate::webhooks::service::emit(
        conn,
        &ch.org_id,
        "challenge.published",
        serde_json::json!({
            "challenge": crate::webhooks::service::challenge_ref(ch),
            "submission_deadline": ch.submission_deadline.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "url": st.url(&format!("/challenges/{}", ch.slug)),
        }),
    )?;
    // Those who follow its organisation or its category hear of it.
    let org = crate::orgs::store::find_by_id(conn, &ch.org_id)?;
    for user in crate::notify::follows::publication_followers(conn, ch)? {
        crate::notify::queue_for_user(
            conn,
            &user,
            &crate::notify::mail::EmailKind::ChallengePublished {
                challenge: ch.title.clone(),
                org: org.name.clone(),
                summary: ch.summary.clone(),
                url: st.url(&format!("/challenges/{}", ch.slug)),
            },
        )?;
    }
    Ok(())
}

/// Publishes a draft: refused until escrow holds the whole pool; sent to the
/// review queue first when the platform requires it.
pub async fn publish(
    state: &AppState,
    caller: &Principal,
    key: &str,
) -> AppResult<(Challenge, Published)> {
    let (caller, key, st) = (caller.clone(), key.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            // Lock, then read, then decide: a cancellation or funding racing
            // this publication waits for it and sees its outcome.
            let ch = org_access_locked(c, &caller, &key, OrgAction::PublishChallenges)?;
            let at = now();
            if ch.stored_state() != State::Draft {
                return Err(AppError::conflict(
                    "illegal_transition",
                    format!(
                        "A challenge that is {} cannot be published.",
                        ch.stored_state().as_str()
                    ),
                ));
            }
            let needs_review = review_required(c)? && ch.review_state != review::APPROVED;
            let outcome = if needs_review {
                // Escrow is checked now too, so the queue only holds fundable work.
                let f = flows(c, &ch)?;
                if f.balance() < ch.prize_total {
                    return Err(AppError::conflict(
                        "escrow_insufficient",
                        "Fund the whole prize pool before asking for review.",
                    ));
                }
                store::set_review(c, &ch.id, review::PENDING, None, at)?;
                audit_challenge(
                    c,
                    &caller.actor(),
                    &ch,
                    "challenge.review_requested",
                    serde_json::json!({}),
                )?;
                Published::AwaitingReview
            } else {
                open_now(c, &st, &caller.actor(), &ch, at)?;
                Published::Open
            };
            Ok((store::find(c, &ch.id)?, outcome))
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// A platform admin's decision on a challenge waiting for review. With
/// `version` (what the admin read, see [`review_version`]) an approval of a
/// challenge that changed meanwhile is refused.
pub async fn review_decision(
    state: &AppState,
    admin_id: &str,
    key: &str,
    approve: bool,
    comment: Option<String>,
    version: Option<String>,
) -> AppResult<Challenge> {
    let (admin_id, key, st) = (admin_id.to_owned(), key.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            let ch = store::find_by_key(c, &key)?.ok_or(AppError::NotFound)?;
            store::lock(c, &ch.id)?;
            let ch = store::find(c, &ch.id)?;
            let changes = ch.stored_state() == State::Open && ch.pending_changes.is_some();
            if ch.review_state != review::PENDING || !(ch.stored_state() == State::Draft || changes)
            {
                return Err(AppError::conflict(
                    "not_awaiting_review",
                    "This challenge is not waiting for review.",
                ));
            }
            let current = review_version(c, &ch)?;
            if version.as_deref().is_some_and(|v| v != current) {
                return Err(AppError::conflict(
                    "review_outdated",
                    "The challenge changed since you read it; read it again before deciding.",
                ));
            }
            let at = now();
            let actor = Actor::user(&admin_id);
            if approve && changes {
                apply_pending(c, &actor, &ch, at)?;
                store::set_review(c, &ch.id, review::APPROVED, comment.as_deref(), at)?;
                audit_challenge(
                    c,
                    &actor,
                    &ch,
                    "challenge.changes_approved",
                    serde_json::json!({ "comment": comment, "version": current }),
                )?;
            } else if approve {
                store::set_review(c, &ch.id, review::APPROVED, comment.as_deref(), at)?;
                audit_challenge(
                    c,
                    &actor,
                    &ch,
                    "challenge.review_approved",
                    serde_json::json!({ "comment": comment, "version": current }),
                )?;
                let ch = store::find(c, &ch.id)?;
                open_now(c, &st, &actor, &ch, at)?;
            } else {
                let comment = comment.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
                    AppError::field("comment", "required", "Say what should change.")
                })?;
                if changes {
                    store::set_pending_changes(c, &ch.id, None, at)?;
                }
                store::set_review(c, &ch.id, review::CHANGES_REQUESTED, Some(&comment), at)?;
                audit_challenge(
                    c,
                    &actor,
                    &ch,
                    "challenge.changes_requested",
                    serde_json::json!({ "comment": comment }),
                )?;
            }
            Ok(store::find(c, &ch.id)?)
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// Puts approved text changes live on an open challenge.
fn apply_pending(
    conn: &mut DbConnection,
    actor: &Actor,
    ch: &Challenge,
    at: NaiveDateTime,
) -> AppResult<()> {
    let Some(p) = pending_of(ch) else {
        return Ok(());
    };
    let (shown, _) = as_reviewed(conn, ch)?;
    let tags: Vec<String> = shown.tags.split_whitespace().map(str::to_owned).collect();
    store::update_texts(
        conn,
        &ch.id,
        &shown.summary,
        &shown.description_md,
        &shown.eligibility,
        &shown.category,
        &tags,
        at,
    )?;
    if let Some(rules) = p.rules {
        let by = actor
            .user_id
            .clone()
            .unwrap_or_else(|| ch.created_by.clone());
        let fresh = store::find(conn, &ch.id)?;
        let v = store::new_rules_version(conn, &fresh, &rules, &by, at)?;
        audit_challenge(
            conn,
            actor,
            ch,
            "challenge.rules_published",
            serde_json::json!({ "version": v }),
        )?;
    }
    store::set_pending_changes(conn, &ch.id, None, at)?;
    Ok(())
}
