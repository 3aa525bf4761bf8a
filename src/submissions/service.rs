//! Submission use cases, shared by the API and the pages: entering and
//! revising (here), attachments ([`attachments`]), teams and prize shares
//! ([`team`]), withdrawal and disqualification, who may see a submission,
//! and publication of solutions.
//!
//! Each write is one transaction that checks the deadline by the server's
//! clock, records the audit entry and queues the emails it causes; what
//! the pages and the API read lives in [`super::queries`].

mod attachments;
mod team;

pub use attachments::{add_attachment, add_staged, attachment_limits, upload_slot};
pub use team::{
    accept_with_rules, approve_shares, cancel_invitation, invite, propose_shares, remove_member,
    respond, respond_by_id, set_anonymous, set_team_rules, ShareInput, TeamRulesInput,
};

use chrono::NaiveDateTime;
use serde::Deserialize;
use utoipa::ToSchema;

use super::model::{self, state, team as team_model, Canonical, Viewer};
use super::queries::team_names;
use super::store::{self, Revision, Submission};
use crate::audit::{self, Actor, Entry};
use crate::auth::principal::Principal;
use crate::challenges::model::{check_text, State};
use crate::challenges::store::{self as challenges, Challenge};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult, FieldError};
use crate::orgs::model::OrgAction;
use crate::state::AppState;

/// What a solver writes. On PATCH every field is optional.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionInput {
    pub title: Option<String>,
    #[serde(rename = "abstract")]
    pub abstract_text: Option<String>,
    /// Markdown.
    pub body: Option<String>,
    /// One SPDX id from the challenge's allowed licences.
    pub licence: Option<String>,
    /// Defaults to the team members' names.
    pub copyright_holders: Option<String>,
    /// Keep as a draft instead of entering it (create only).
    pub draft: Option<bool>,
    /// Enter a draft (PATCH).
    pub submit: Option<bool>,
    /// Publish in the gallery after results even without winning.
    pub publish_opt_in: Option<bool>,
    /// The id of a published solution this entry builds on (create only).
    /// Its licence must allow adaptations, and this entry's licence must
    /// be compatible with it (a ShareAlike source needs the same family).
    pub builds_on: Option<String>,
}

/// How the caller relates to a submission.
pub fn viewer(
    conn: &mut DbConnection,
    caller: Option<&Principal>,
    s: &Submission,
    c: &Challenge,
) -> AppResult<Viewer> {
    let mut v = Viewer::default();
    if let Some(Principal::User(u)) = caller {
        v.team_member = store::is_member(conn, &s.team_id, &u.user.id)?;
    }
    v.organiser =
        crate::challenges::service::is_org_side(conn, caller, c, OrgAction::ViewSubmissions)?;
    Ok(v)
}

/// A submission the caller may see (404 otherwise, existence not leaked).
pub fn readable(
    conn: &mut DbConnection,
    caller: Option<&Principal>,
    id: &str,
) -> AppResult<(Submission, Challenge, Viewer)> {
    let s = store::find_opt(conn, id)?.ok_or(AppError::NotFound)?;
    let c = challenges::find(conn, &s.challenge_id)?;
    let v = viewer(conn, caller, &s, &c)?;
    if !model::can_view(v, s.published_at.is_some(), s.submitted_at.is_some()) {
        return Err(AppError::NotFound);
    }
    Ok((s, c, v))
}

/// A submission the user's team owns, while the challenge is open.
fn own_open(
    conn: &mut DbConnection,
    user_id: &str,
    id: &str,
) -> AppResult<(Submission, Challenge)> {
    own_open_at(conn, user_id, id, now())
}

/// [`own_open`] at `at`: a write that stamps its rows passes the same instant
/// it was checked at, so nothing accepted is stored at or after the
/// deadline (a later clock reading could fall past it).
fn own_open_at(
    conn: &mut DbConnection,
    user_id: &str,
    id: &str,
    at: NaiveDateTime,
) -> AppResult<(Submission, Challenge)> {
    let s = store::find_opt(conn, id)?.ok_or(AppError::NotFound)?;
    if !store::is_member(conn, &s.team_id, user_id)? {
        return Err(AppError::NotFound);
    }
    let c = challenges::find(conn, &s.challenge_id)?;
    ensure_open(&c, at)?;
    Ok((s, c))
}

/// The deadline, by the server's clock, inside the caller's transaction.
fn ensure_open(c: &Challenge, at: NaiveDateTime) -> AppResult<()> {
    match c.state_at(at) {
        State::Open => Ok(()),
        State::Draft => Err(AppError::NotFound),
        _ if at >= c.submission_deadline => Err(AppError::conflict(
            "deadline_passed",
            "The submission deadline has passed; the submission is read-only.",
        )),
        other => Err(AppError::conflict(
            "challenge_not_open",
            format!("This challenge is {}.", other.as_str()),
        )),
    }
}

/// A submission (its text and its attachments) may change only while it is
/// a draft or entered.
fn editable(s: &Submission) -> AppResult<()> {
    if model::counts_against_limit(&s.state) {
        Ok(())
    } else {
        Err(AppError::conflict(
            "not_editable",
            format!("A {} submission cannot change.", s.state),
        ))
    }
}

fn check_licence(c: &Challenge, raw: &str) -> Result<String, FieldError> {
    let allowed = c.licence_ids();
    let found = crate::challenges::model::Licence::parse(raw)
        .map(|l| l.id)
        .filter(|id| allowed.contains(id));
    found.ok_or_else(|| {
        FieldError::new(
            "licence",
            "licence_not_allowed",
            format!(
                "Choose one of the challenge's licences: {}.",
                allowed.join(", ")
            ),
        )
    })
}

fn audit_sub(
    conn: &mut DbConnection,
    actor: &Actor,
    c: &Challenge,
    s: &Submission,
    action: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        Entry {
            actor,
            org_id: Some(&c.org_id),
            action,
            subject_type: "submission",
            subject_id: &s.id,
            data,
        },
    )?;
    Ok(())
}

/// Writes the next revision from `prev` (if any) overlaid with `input`, and
/// queues the receipt to every team member. `at` is the instant the
/// deadline was checked at ([`ensure_open`]): the revision is stamped with
/// it, so one accepted before the deadline is always judged.
#[allow(clippy::too_many_arguments)]
fn write_revision(
    st: &AppState,
    conn: &mut DbConnection,
    s: &Submission,
    c: &Challenge,
    prev: Option<&Revision>,
    input: &SubmissionInput,
    attachment_ids: Vec<String>,
    by: &str,
    at: NaiveDateTime,
) -> AppResult<Revision> {
    let mut errors = Vec::new();
    // A field not sent keeps the previous revision's value.
    let mut text = |field: &str, new: &Option<String>, old: Option<&str>, min, max| {
        let value = new
            .clone()
            .or_else(|| old.map(str::to_owned))
            .unwrap_or_default();
        check_text(field, &value, min, max)
            .map_err(|e| errors.push(e))
            .ok()
    };
    let title = text(
        "title",
        &input.title,
        prev.map(|r| r.title.as_str()),
        3,
        140,
    );
    let abstract_text = text(
        "abstract",
        &input.abstract_text,
        prev.map(|r| r.abstract_text.as_str()),
        10,
        1_000,
    );
    let body = text(
        "body",
        &input.body,
        prev.map(|r| r.body_md.as_str()),
        1,
        100_000,
    );
    let licence = match (&input.licence, prev) {
        (Some(l), _) => check_licence(c, l).map_err(|e| errors.push(e)).ok(),
        (None, Some(p)) => Some(p.licence.clone()),
        (None, None) => {
            errors.push(FieldError::new(
                "licence",
                "required",
                "Choose a licence from the challenge's list.",
            ));
            None
        }
    };
    if let (Some(l), Some(src)) = (&licence, &s.builds_on) {
        let source = source_licence(conn, src)?;
        if let Err((code, why)) = model::derivatives::check_derivative_licence(&source, l) {
            errors.push(FieldError::new("licence", code, why));
        }
    }
    let holders = match (&input.copyright_holders, prev) {
        (Some(h), _) => check_text("copyright_holders", h, 1, 500)
            .map_err(|e| errors.push(e))
            .ok(),
        (None, Some(p)) => Some(p.copyright_holders.clone()),
        (None, None) => Some(team_names(conn, &s.team_id)?),
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (Some(title), Some(abstract_text), Some(body), Some(licence), Some(holders)) =
        (title, abstract_text, body, licence, holders)
    else {
        return Err(AppError::internal("validated fields missing"));
    };
    let files = store::attachments_by_ids(conn, &attachment_ids)?;
    let hash = Canonical {
        title: &title,
        abstract_text: &abstract_text,
        body: &body,
        licence: &licence,
        copyright_holders: &holders,
        builds_on: s.builds_on.as_deref(),
        attachments: files
            .iter()
            .map(|a| (a.filename.clone(), a.sha256.clone()))
            .collect(),
    }
    .hash();
    let rev = store::add_revision(
        conn,
        s,
        &store::NewRevision {
            title: &title,
            abstract_text: &abstract_text,
            body_md: &body,
            licence: &licence,
            copyright_holders: &holders,
            attachment_ids: &attachment_ids,
            content_sha256: &hash,
        },
        by,
        at,
    )
    .map_err(|e| match e {
        diesel::result::Error::RollbackTransaction => AppError::conflict(
            "edit_conflict",
            "Someone else changed this submission meanwhile; reload and try again.",
        ),
        other => other.into(),
    })?;
    let url = st.url(&format!("/submissions/{}/receipt", s.id));
    for (_, name, email) in store::members(conn, &s.team_id)? {
        crate::notify::queue_for_address(
            conn,
            &email,
            &name,
            &crate::notify::mail::EmailKind::Receipt {
                challenge: c.title.clone(),
                title: title.clone(),
                revision: rev.number,
                hash: hash.clone(),
                at: rev
                    .created_at
                    .and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                url: url.clone(),
            },
        )?;
    }
    Ok(rev)
}

/// The `submission.created` webhook event of an entry (entered, not a
/// draft): which entry, when, and its receipt's hash; nothing of its
/// content, which stays confidential until results.
fn entered_event(
    c: &mut DbConnection,
    ch: &Challenge,
    s: &Submission,
    rev: &Revision,
) -> AppResult<()> {
    crate::webhooks::service::emit(
        c,
        &ch.org_id,
        "submission.created",
        serde_json::json!({
            "challenge": crate::webhooks::service::challenge_ref(ch),
            "submission_id": s.id,
            "revision": rev.number,
            "sha256": rev.content_sha256,
            "submitted_at": now().and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }),
    )
}

/// The published solution `id`, if it may be built on: 422 on the
/// `builds_on` field otherwise (unpublished work is not named, so its
/// existence does not leak).
fn published_source(c: &mut DbConnection, id: &str) -> AppResult<Submission> {
    let src = store::find_opt(c, id)?
        .filter(|s| s.published_at.is_some())
        .ok_or_else(|| {
            AppError::field(
                "builds_on",
                "source_not_published",
                "Only a published solution can be built on.",
            )
        })?;
    let licence = source_licence(c, &src.id)?;
    if !model::derivatives::allows_derivatives(&licence) {
        return Err(AppError::field(
            "builds_on",
            "no_derivatives",
            format!("This solution is under {licence}, which allows no adaptations."),
        ));
    }
    Ok(src)
}

/// The licence a source is published under: its current revision's.
fn source_licence(c: &mut DbConnection, id: &str) -> AppResult<String> {
    let src = store::find(c, id)?;
    Ok(store::revision(c, &src.id, src.current_revision)?.licence)
}

/// Enters (or drafts) a submission for a registered solver of an open challenge.
pub async fn create(
    state: &AppState,
    user_id: &str,
    challenge_key: &str,
    input: SubmissionInput,
) -> AppResult<(Submission, Revision)> {
    let (uid, key, st) = (user_id.to_owned(), challenge_key.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            let ch = challenges::find_by_key(c, &key)?.ok_or(AppError::NotFound)?;
            let at = now();
            ensure_open(&ch, at)?;
            let reg = challenges::registration(c, &ch.id, &uid)?.ok_or(AppError::Forbidden("registration_required"))?;
            if reg.rules_version < ch.rules_version {
                return Err(AppError::conflict("rules_acceptance_required", format!("Accept the new rules (version {}) first.", ch.rules_version)));
            }
            let team = match store::team_of(c, &ch.id, &uid)? {
                Some(t) => t,
                None => store::create_team(c, &ch.id, &uid, at)?,
            };
            if store::active_count(c, &team)? >= ch.max_submissions_per_solver as i64 {
                return Err(AppError::conflict("submission_limit_reached", format!("This challenge takes at most {} submissions per solver.", ch.max_submissions_per_solver)));
            }
            let st_name = if input.draft == Some(true) { state::DRAFT } else { state::SUBMITTED };
            let title = input.title.clone().unwrap_or_default();
            let licence = input.licence.clone().unwrap_or_default();
            let source = input.builds_on.as_deref().map(|src| published_source(c, src)).transpose()?;
            let mut s = store::insert_submission(c, &ch.id, &team, st_name, title.trim(), licence.trim(), &uid, at)?;
            if let Some(src) = &source {
                store::set_builds_on(c, &s.id, &src.id)?;
                s = store::find(c, &s.id)?;
            }
            let rev = write_revision(&st, c, &s, &ch, None, &input, Vec::new(), &uid, at)?;
            if input.publish_opt_in == Some(true) {
                store::set_opt_in(c, &s.id, true, at)?;
            }
            let s = store::find(c, &s.id)?;
            audit_sub(c, &Actor::user(&uid), &ch, &s, "submission.created", serde_json::json!({ "state": s.state, "revision": rev.number, "sha256": rev.content_sha256 }))?;
            if s.state == state::SUBMITTED {
                entered_event(c, &ch, &s, &rev)?;
            }
            Ok((s, rev))
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// Edits a submission before the deadline: a new immutable revision.
pub async fn revise(
    state: &AppState,
    user_id: &str,
    id: &str,
    input: SubmissionInput,
) -> AppResult<(Submission, Option<Revision>)> {
    let (uid, id, st) = (user_id.to_owned(), id.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            let at = now();
            let (s, ch) = own_open_at(c, &uid, &id, at)?;
            editable(&s)?;
            if input.builds_on.is_some() {
                return Err(AppError::field(
                    "builds_on",
                    "source_fixed",
                    "The source an entry builds on is named when it is created and does not change.",
                ));
            }
            let content = input.title.is_some()
                || input.abstract_text.is_some()
                || input.body.is_some()
                || input.licence.is_some()
                || input.copyright_holders.is_some();
            let rev = if content {
                let prev = store::revision(c, &s.id, s.current_revision)?;
                Some(write_revision(
                    &st,
                    c,
                    &s,
                    &ch,
                    Some(&prev),
                    &input,
                    prev.attachment_list(),
                    &uid,
                    at,
                )?)
            } else {
                None
            };
            if input.submit == Some(true) && s.state == state::DRAFT {
                store::set_state(c, &s.id, &[state::DRAFT], state::SUBMITTED, None, at)?;
                audit_sub(
                    c,
                    &Actor::user(&uid),
                    &ch,
                    &s,
                    "submission.submitted",
                    serde_json::json!({}),
                )?;
                let cur = match &rev {
                    Some(r) => r.clone(),
                    None => store::revision(c, &s.id, s.current_revision)?,
                };
                entered_event(c, &ch, &s, &cur)?;
            }
            if let Some(o) = input.publish_opt_in.filter(|o| *o != s.publish_opt_in) {
                store::set_opt_in(c, &s.id, o, at)?;
                audit_sub(
                    c,
                    &Actor::user(&uid),
                    &ch,
                    &s,
                    "submission.publish_opt_in",
                    serde_json::json!({ "opt_in": o }),
                )?;
            }
            if let Some(r) = &rev {
                audit_sub(
                    c,
                    &Actor::user(&uid),
                    &ch,
                    &s,
                    "submission.revised",
                    serde_json::json!({ "revision": r.number, "sha256": r.content_sha256 }),
                )?;
            }
            Ok((store::find(c, &s.id)?, rev))
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// Where a withdrawal stands after a member's word on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawal {
    /// The entry is withdrawn.
    Done,
    /// Recorded; the rest of the team (or its creator) must still agree.
    Waiting,
}

/// A member agrees to withdraw a submission before the deadline (kept for
/// the record, out of judging and of the per-solver limit). It is withdrawn
/// once the team's rule is met: every member agrees, or the creator alone
/// when the team chose so.
pub async fn withdraw(
    state: &AppState,
    user_id: &str,
    id: &str,
) -> AppResult<(Submission, Withdrawal)> {
    let (uid, id) = (user_id.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            if !model::counts_against_limit(&s.state) {
                return Err(AppError::conflict(
                    "not_withdrawable",
                    format!("A {} submission cannot be withdrawn.", s.state),
                ));
            }
            let rules = store::team_rules(c, &s.team_id)?;
            if !team_model::may_vote(&rules.withdrawal, &rules.created_by, &uid) {
                return Err(AppError::Forbidden("creator_decides"));
            }
            if store::vote_withdrawal(c, &s.id, &uid, now())? == 1 {
                audit_sub(
                    c,
                    &Actor::user(&uid),
                    &ch,
                    &s,
                    "submission.withdrawal_agreed",
                    serde_json::json!({}),
                )?;
            }
            let done = withdraw_if_agreed(c, &Actor::user(&uid), &s, &ch)?;
            Ok((store::find(c, &s.id)?, done))
        })
        .await
}

/// A member takes back their agreement to withdraw, while it still waits.
pub async fn keep_entry(state: &AppState, user_id: &str, id: &str) -> AppResult<Submission> {
    let (uid, id) = (user_id.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            if store::unvote_withdrawal(c, &s.id, &uid)? == 1 {
                audit_sub(
                    c,
                    &Actor::user(&uid),
                    &ch,
                    &s,
                    "submission.withdrawal_taken_back",
                    serde_json::json!({}),
                )?;
            }
            Ok(store::find(c, &s.id)?)
        })
        .await
}

/// Withdraws the submission if its team's rule is met by the agreements
/// recorded; called after each agreement and after a member leaves.
fn withdraw_if_agreed(
    c: &mut DbConnection,
    actor: &Actor,
    s: &Submission,
    ch: &Challenge,
) -> AppResult<Withdrawal> {
    let rules = store::team_rules(c, &s.team_id)?;
    let members: Vec<String> = store::members(c, &s.team_id)?
        .into_iter()
        .map(|(m, _, _)| m.user_id)
        .collect();
    let votes = store::withdrawal_votes(c, &s.id)?;
    fn refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    if votes.is_empty()
        || !team_model::withdrawal_agreed(
            &rules.withdrawal,
            &rules.created_by,
            &refs(&members),
            &refs(&votes),
        )
    {
        return Ok(Withdrawal::Waiting);
    }
    if store::set_state(
        c,
        &s.id,
        &[state::DRAFT, state::SUBMITTED],
        state::WITHDRAWN,
        None,
        now(),
    )? != 1
    {
        return Err(AppError::conflict(
            "not_withdrawable",
            format!("A {} submission cannot be withdrawn.", s.state),
        ));
    }
    store::clear_withdrawal_votes(c, &s.id)?;
    audit_sub(
        c,
        actor,
        ch,
        s,
        "submission.withdrawn",
        serde_json::json!({ "agreed": votes, "rule": rules.withdrawal }),
    )?;
    Ok(Withdrawal::Done)
}

/// The organisation disqualifies a submission with a reason; the team is told.
pub async fn disqualify(
    state: &AppState,
    caller: &Principal,
    id: &str,
    reason: &str,
) -> AppResult<Submission> {
    let reason =
        check_text("reason", reason, 5, 2_000).map_err(|e| AppError::Validation(vec![e]))?;
    let (caller, id, st) = (caller.clone(), id.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            let s = store::find_opt(c, &id)?.ok_or(AppError::NotFound)?;
            let (ch, _) = crate::challenges::service::org_access(
                c,
                &caller,
                &s.challenge_id,
                OrgAction::PublishChallenges,
            )?;
            // A draft that was never entered is not the organisation's to see.
            if s.submitted_at.is_none() {
                return Err(AppError::NotFound);
            }
            if store::set_state(
                c,
                &s.id,
                &[state::SUBMITTED],
                state::DISQUALIFIED,
                Some(&reason),
                now(),
            )? != 1
            {
                return Err(AppError::conflict(
                    "not_disqualifiable",
                    format!("A {} submission cannot be disqualified.", s.state),
                ));
            }
            let url = st.url(&format!("/submissions/{}", s.id));
            for (_, name, email) in store::members(c, &s.team_id)? {
                crate::notify::queue_for_address(
                    c,
                    &email,
                    &name,
                    &crate::notify::mail::EmailKind::Disqualified {
                        challenge: ch.title.clone(),
                        title: s.title.clone(),
                        reason: reason.clone(),
                        url: url.clone(),
                    },
                )?;
            }
            audit_sub(
                c,
                &caller.actor(),
                &ch,
                &s,
                "submission.disqualified",
                serde_json::json!({ "reason": reason }),
            )?;
            Ok(store::find(c, &s.id)?)
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// Publishes the solutions of a challenge whose results are out: the
/// winners, and every other entrant who opted in. The results step of
/// judging calls this; it is idempotent.
pub fn publish_results(
    conn: &mut DbConnection,
    challenge_id: &str,
    winners: &[String],
) -> AppResult<usize> {
    let mut ids: Vec<String> = Vec::new();
    for s in store::of_challenge(conn, challenge_id)? {
        let eligible = s.state == state::SUBMITTED;
        if eligible && (winners.contains(&s.id) || s.publish_opt_in) {
            ids.push(s.id);
        }
    }
    Ok(store::mark_published(conn, &ids, now())?)
}
