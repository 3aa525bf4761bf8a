//! Submission flows shared by the API and the pages: entering, revising,
//! attachments, teams and shares, withdrawal and disqualification,
//! confidentiality, and publication of solutions.

use chrono::NaiveDateTime;
use serde::Deserialize;
use utoipa::ToSchema;

use super::blobs::Staged;
use super::model::{self, check_shares, equal_shares, state, Canonical, Viewer};
use super::store::{self, Attachment, Revision, Submission};
use crate::audit::{self, Actor, Entry};
use crate::auth::model::Email;
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
    let s = store::find_opt(conn, id)?.ok_or(AppError::NotFound)?;
    if !store::is_member(conn, &s.team_id, user_id)? {
        return Err(AppError::NotFound);
    }
    let c = challenges::find(conn, &s.challenge_id)?;
    ensure_open(&c, now())?;
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

/// The names of a team, in join order.
fn team_names(conn: &mut DbConnection, team_id: &str) -> AppResult<String> {
    Ok(store::members(conn, team_id)?
        .into_iter()
        .map(|(_, n, _)| n)
        .collect::<Vec<_>>()
        .join(", "))
}

/// Writes the next revision from `prev` (if any) overlaid with `input`, and
/// queues the receipt to every team member.
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
) -> AppResult<Revision> {
    let mut errors = Vec::new();
    let pick = |new: &Option<String>, old: Option<&str>| {
        new.clone()
            .or_else(|| old.map(str::to_owned))
            .unwrap_or_default()
    };
    let title = check_text(
        "title",
        &pick(&input.title, prev.map(|r| r.title.as_str())),
        3,
        140,
    )
    .map_err(|e| errors.push(e))
    .ok();
    let abstract_text = check_text(
        "abstract",
        &pick(&input.abstract_text, prev.map(|r| r.abstract_text.as_str())),
        10,
        1_000,
    )
    .map_err(|e| errors.push(e))
    .ok();
    let body = check_text(
        "body",
        &pick(&input.body, prev.map(|r| r.body_md.as_str())),
        1,
        100_000,
    )
    .map_err(|e| errors.push(e))
    .ok();
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
        attachments: files
            .iter()
            .map(|a| (a.filename.clone(), a.sha256.clone()))
            .collect(),
    }
    .hash();
    let at = now();
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
            let s = store::insert_submission(c, &ch.id, &team, st_name, title.trim(), licence.trim(), &uid, at)?;
            let rev = write_revision(&st, c, &s, &ch, None, &input, Vec::new(), &uid)?;
            if input.publish_opt_in == Some(true) {
                store::set_opt_in(c, &s.id, true, at)?;
            }
            let s = store::find(c, &s.id)?;
            audit_sub(c, &Actor::user(&uid), &ch, &s, "submission.created", serde_json::json!({ "state": s.state, "revision": rev.number, "sha256": rev.content_sha256 }))?;
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
            let (s, ch) = own_open(c, &uid, &id)?;
            if !model::counts_against_limit(&s.state) {
                return Err(AppError::conflict(
                    "not_editable",
                    format!("A {} submission cannot change.", s.state),
                ));
            }
            let at = now();
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

/// Checks, before a byte of the file is read, that `user_id` may add a file
/// to submission `id` now: a member of its team, the challenge open, the
/// submission editable, room left in its byte budget, and the account under
/// its hourly upload limit. Answers the most bytes the file may have.
pub async fn upload_slot(state: &AppState, user_id: &str, id: &str) -> AppResult<u64> {
    let (uid, id) = (user_id.to_owned(), id.to_owned());
    let (file_max, total_max, per_hour) = (
        state.config.attachment_max_bytes,
        state.config.submission_max_bytes,
        state.config.uploads_per_hour,
    );
    state
        .db(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            editable(&s)?;
            let at = now();
            let recent = store::uploads_since(c, &uid, at - chrono::Duration::hours(1))?;
            if let Some(secs) =
                crate::auth::model::window_wait(at, &recent, per_hour, chrono::Duration::hours(1))
            {
                return Err(AppError::TooManyRequests {
                    retry_after_secs: secs as u64,
                });
            }
            let used = used_bytes(c, &s)?;
            let (per_file, total) = attachment_limits(&ch, file_max, total_max);
            let room = total.saturating_sub(used);
            if room == 0 {
                return Err(AppError::PayloadTooLarge);
            }
            Ok(per_file.min(room))
        })
        .await
}

/// A challenge's attachment limits (its own, else the platform's `file_max`
/// and `total_max`): per file and per submission, in bytes.
pub fn attachment_limits(ch: &Challenge, file_max: u64, total_max: u64) -> (u64, u64) {
    (
        ch.max_attachment_bytes
            .map(|m| m as u64)
            .unwrap_or(file_max),
        ch.max_submission_bytes
            .map(|m| m as u64)
            .unwrap_or(total_max),
    )
}

/// A submission's attachments may change only while it is a draft or entered.
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

/// Bytes of the attachments of a submission's current revision.
fn used_bytes(c: &mut DbConnection, s: &Submission) -> AppResult<u64> {
    let prev = store::revision(c, &s.id, s.current_revision)?;
    let existing = store::attachments_by_ids(c, &prev.attachment_list())?;
    Ok(existing.iter().map(|a| a.size.max(0) as u64).sum())
}

/// Records a received file as an attachment of submission `id` (a new
/// revision that includes it), then moves its bytes from staging into the
/// store. Every check of [`upload_slot`] runs again inside the transaction;
/// if anything fails the staged bytes are removed, so a refused upload
/// leaves nothing behind.
pub async fn add_staged(
    state: &AppState,
    user_id: &str,
    id: &str,
    filename: &str,
    staged: Staged,
) -> AppResult<(Attachment, Revision)> {
    let recorded = record_staged(state, user_id, id, filename, &staged).await;
    match recorded {
        Ok(out) => {
            state.blobs.commit(&staged).await?;
            state.wake_worker();
            Ok(out)
        }
        Err(e) => {
            state.blobs.discard(&staged).await;
            Err(e)
        }
    }
}

async fn record_staged(
    state: &AppState,
    user_id: &str,
    id: &str,
    filename: &str,
    staged: &Staged,
) -> AppResult<(Attachment, Revision)> {
    if staged.size == 0 {
        return Err(AppError::field("file", "empty", "The file is empty."));
    }
    let name = model::sanitize_filename(filename);
    let (ctype, sha, size) = (
        staged.content_type.clone(),
        staged.sha256.clone(),
        staged.size as i64,
    );
    let (uid, id, st, default_total) = (
        user_id.to_owned(),
        id.to_owned(),
        state.clone(),
        state.config.submission_max_bytes,
    );
    state
        .tx(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            editable(&s)?;
            let prev = store::revision(c, &s.id, s.current_revision)?;
            let mut ids = prev.attachment_list();
            let total_max = ch.max_submission_bytes.unwrap_or(default_total as i64);
            if used_bytes(c, &s)? as i64 + size > total_max {
                return Err(AppError::PayloadTooLarge);
            }
            let a = store::insert_attachment(c, &s.id, &name, &ctype, size, &sha, &uid, now())?;
            ids.push(a.id.clone());
            let rev = write_revision(&st, c, &s, &ch, Some(&prev), &SubmissionInput::default(), ids, &uid)?;
            audit_sub(c, &Actor::user(&uid), &ch, &s, "submission.attachment_added", serde_json::json!({ "attachment": a.id, "sha256": a.sha256, "size": a.size, "revision": rev.number }))?;
            Ok((a, rev))
        })
        .await
}

/// Adds a file held in memory (the demo seed): the same checks and the same
/// path through staging as an upload.
pub async fn add_attachment(
    state: &AppState,
    user_id: &str,
    id: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> AppResult<(Attachment, Revision)> {
    let max = upload_slot(state, user_id, id).await?;
    let chunks =
        futures_util::stream::iter([Ok::<_, std::convert::Infallible>(bytes::Bytes::from(bytes))]);
    let staged = state.blobs.stage(chunks, max).await?;
    add_staged(state, user_id, id, filename, staged).await
}

/// Withdraws a submission before the deadline: kept for the record, out of
/// judging and of the per-solver limit.
pub async fn withdraw(state: &AppState, user_id: &str, id: &str) -> AppResult<Submission> {
    let (uid, id) = (user_id.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
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
            audit_sub(
                c,
                &Actor::user(&uid),
                &ch,
                &s,
                "submission.withdrawn",
                serde_json::json!({}),
            )?;
            Ok(store::find(c, &s.id)?)
        })
        .await
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

/// Invites a co-author by email (the invitee may not have an account yet).
pub async fn invite(
    state: &AppState,
    user_id: &str,
    id: &str,
    email: &str,
) -> AppResult<store::TeamInvitation> {
    let email = Email::parse("email", email).map_err(|e| AppError::Validation(vec![e]))?;
    let (uid, id, st) = (user_id.to_owned(), id.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            let members = store::members(c, &s.team_id)?;
            if members.iter().any(|(_, _, e)| *e == email.as_str()) {
                return Err(AppError::conflict(
                    "already_member",
                    "This person is already in the team.",
                ));
            }
            let pending = store::pending_invitations(c, &s.team_id, now())?;
            if members.len() + pending.len() + 1 > ch.max_team_size as usize {
                return Err(AppError::field(
                    "email",
                    "team_too_large",
                    format!("Teams have at most {} members.", ch.max_team_size),
                ));
            }
            crate::notify::invitation_quota(&store::invitations_to_since(
                c,
                email.as_str(),
                now() - chrono::Duration::hours(1),
            )?)?;
            let (inv, token) = store::invite(c, &s.team_id, email.as_str(), &uid, now())?;
            let inviter = crate::auth::store::find_user(c, &uid)?;
            crate::notify::queue_for_address(
                c,
                email.as_str(),
                "",
                &crate::notify::mail::EmailKind::TeamInvitation {
                    challenge: ch.title.clone(),
                    inviter: inviter.display_name.clone(),
                    url: st.url(&format!("/team-invitations/{token}")),
                },
            )?;
            audit_sub(
                c,
                &Actor::user(&uid),
                &ch,
                &s,
                "team.invited",
                serde_json::json!({ "email": email.as_str() }),
            )?;
            Ok(inv)
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// Accepts or declines a team invitation (the signed-in account's email must be the invited one).
pub async fn respond(
    state: &AppState,
    user_id: &str,
    token: &str,
    accept: bool,
) -> AppResult<String> {
    respond_to(state, user_id, Invite::Token(token.to_owned()), accept).await
}

/// Like [`respond`], for an invitation listed on the invitee's dashboard
/// (found by id; the email check still applies).
pub async fn respond_by_id(
    state: &AppState,
    user_id: &str,
    invitation_id: &str,
    accept: bool,
) -> AppResult<String> {
    respond_to(state, user_id, Invite::Id(invitation_id.to_owned()), accept).await
}

/// How an invitation is named: the emailed token, or its id.
enum Invite {
    Token(String),
    Id(String),
}

async fn respond_to(
    state: &AppState,
    user_id: &str,
    which: Invite,
    accept: bool,
) -> AppResult<String> {
    let uid = user_id.to_owned();
    state
        .tx(move |c| {
            let found = match &which {
                Invite::Token(t) => store::invitation_by_token(c, t, now())?,
                Invite::Id(id) => store::invitation_by_id(c, id, now())?,
            };
            let inv = found.ok_or_else(|| {
                AppError::bad_request(
                    "invalid_token",
                    "This invitation is invalid or was answered already.",
                )
            })?;
            let user = crate::auth::store::find_user(c, &uid)?;
            if user.email != inv.email {
                return Err(AppError::Forbidden("invitation_email_mismatch"));
            }
            let challenge_id = store::team_challenge(c, &inv.team_id)?;
            let ch = challenges::find(c, &challenge_id)?;
            let at = now();
            if !accept {
                store::respond(c, &inv.id, "declined", at)?;
                audit::record(
                    c,
                    Entry {
                        actor: &Actor::user(&uid),
                        org_id: Some(&ch.org_id),
                        action: "team.declined",
                        subject_type: "team",
                        subject_id: &inv.team_id,
                        data: serde_json::json!({ "invitation": inv.id }),
                    },
                )?;
                return Ok(inv.team_id);
            }
            ensure_open(&ch, at)?;
            if challenges::registration(c, &ch.id, &uid)?.is_none() {
                return Err(AppError::Forbidden("registration_required"));
            }
            if store::team_of(c, &ch.id, &uid)?.is_some() {
                return Err(AppError::conflict(
                    "already_in_team",
                    "You already belong to a team in this challenge.",
                ));
            }
            let members = store::members(c, &inv.team_id)?;
            if members.len() + 1 > ch.max_team_size as usize {
                return Err(AppError::conflict(
                    "team_too_large",
                    format!("Teams have at most {} members.", ch.max_team_size),
                ));
            }
            store::respond(c, &inv.id, "accepted", at)?;
            store::add_member(c, &inv.team_id, &ch.id, &uid, "member", 0, at)?;
            reset_shares(c, &inv.team_id)?;
            audit::record(
                c,
                Entry {
                    actor: &Actor::user(&uid),
                    org_id: Some(&ch.org_id),
                    action: "team.joined",
                    subject_type: "team",
                    subject_id: &inv.team_id,
                    data: serde_json::json!({}),
                },
            )?;
            Ok(inv.team_id)
        })
        .await
}

/// Shares back to equal after a membership change.
fn reset_shares(conn: &mut DbConnection, team_id: &str) -> AppResult<()> {
    let members = store::members(conn, team_id)?;
    let shares = equal_shares(members.len());
    let pairs: Vec<(String, i32)> = members
        .iter()
        .zip(shares)
        .map(|((m, _, _), s)| (m.user_id.clone(), s))
        .collect();
    store::set_shares(conn, team_id, &pairs)?;
    store::supersede_proposals(conn, team_id)?;
    Ok(())
}

/// A member leaves, or the submitter removes one, before the deadline.
pub async fn remove_member(
    state: &AppState,
    user_id: &str,
    id: &str,
    member_id: &str,
) -> AppResult<()> {
    let (uid, id, member) = (user_id.to_owned(), id.to_owned(), member_id.to_owned());
    state
        .tx(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            let members = store::members(c, &s.team_id)?;
            let me = members
                .iter()
                .find(|(m, _, _)| m.user_id == uid)
                .map(|(m, _, _)| m.role.clone())
                .unwrap_or_default();
            let target = members
                .iter()
                .find(|(m, _, _)| m.user_id == member)
                .map(|(m, _, _)| m.role.clone())
                .ok_or(AppError::NotFound)?;
            if target == "submitter" {
                return Err(AppError::conflict(
                    "submitter_stays",
                    "The submitter stays in the team; withdraw the submission instead.",
                ));
            }
            if member != uid && me != "submitter" {
                return Err(AppError::Forbidden("submitter_required"));
            }
            store::remove_member(c, &s.team_id, &member)?;
            reset_shares(c, &s.team_id)?;
            audit_sub(
                c,
                &Actor::user(&uid),
                &ch,
                &s,
                if member == uid {
                    "team.left"
                } else {
                    "team.member_removed"
                },
                serde_json::json!({ "user": member }),
            )?;
            Ok(())
        })
        .await
}

/// A share per member.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ShareInput {
    pub user_id: String,
    /// Basis points (10,000 = the whole prize).
    pub bps: i32,
}

/// Proposes new shares; they apply once every member has approved.
/// Returns whether they applied already (a team of one).
pub async fn propose_shares(
    state: &AppState,
    user_id: &str,
    id: &str,
    shares: Vec<ShareInput>,
) -> AppResult<bool> {
    let (uid, id) = (user_id.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            let members = store::members(c, &s.team_id)?;
            let mut ordered = Vec::new();
            for (m, _, _) in &members {
                let sh = shares
                    .iter()
                    .find(|x| x.user_id == m.user_id)
                    .ok_or_else(|| {
                        AppError::field(
                            "shares",
                            "shares_mismatch",
                            "Give one share per team member.",
                        )
                    })?;
                ordered.push(sh.bps);
            }
            check_shares("shares", &ordered, members.len())
                .map_err(|e| AppError::Validation(vec![e]))?;
            if shares.len() != members.len() {
                return Err(AppError::field(
                    "shares",
                    "shares_mismatch",
                    "Give one share per team member.",
                ));
            }
            let pairs: Vec<(String, i32)> = members
                .iter()
                .zip(&ordered)
                .map(|((m, _, _), b)| (m.user_id.clone(), *b))
                .collect();
            let p = store::propose(
                c,
                &s.team_id,
                &serde_json::to_string(&pairs).unwrap_or_default(),
                &uid,
                now(),
            )?;
            store::approve(c, &p.id, &uid, now())?;
            audit_sub(
                c,
                &Actor::user(&uid),
                &ch,
                &s,
                "team.shares_proposed",
                serde_json::json!({ "shares": pairs }),
            )?;
            apply_if_approved(c, &s.team_id, &p)
        })
        .await
}

/// Approves the pending share proposal of the submission's team.
pub async fn approve_shares(state: &AppState, user_id: &str, id: &str) -> AppResult<bool> {
    let (uid, id) = (user_id.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let (s, _) = own_open(c, &uid, &id)?;
            let p = store::pending_proposal(c, &s.team_id)?.ok_or_else(|| {
                AppError::conflict("no_pending_proposal", "No share change is waiting.")
            })?;
            store::approve(c, &p.id, &uid, now())?;
            apply_if_approved(c, &s.team_id, &p)
        })
        .await
}

fn apply_if_approved(
    conn: &mut DbConnection,
    team_id: &str,
    p: &store::Proposal,
) -> AppResult<bool> {
    let members = store::members(conn, team_id)?;
    let approved = store::approvals(conn, &p.id)?;
    if !members
        .iter()
        .all(|(m, _, _)| approved.contains(&m.user_id))
    {
        return Ok(false);
    }
    let pairs: Vec<(String, i32)> = serde_json::from_str(&p.shares).map_err(AppError::internal)?;
    store::set_shares(conn, team_id, &pairs)?;
    store::mark_applied(conn, &p.id)?;
    Ok(true)
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
