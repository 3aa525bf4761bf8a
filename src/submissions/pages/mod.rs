//! Submission pages, a file per use case: entering and revising
//! ([`entry`]), the submission page ([`show`]) and what its buttons do
//! ([`lifecycle`], [`files`], [`team`]), receipts and history
//! ([`receipts`]), team invitations ([`invitations`]), the solutions
//! gallery ([`gallery`]) and the solver dashboard ([`dashboard`]).
//!
//! Handlers stay thin: they parse, call one use case of
//! [`super::service`] (the same flows as the JSON API) or one read of
//! [`super::queries`], and render. Rules live in the service and the model;
//! the pages only decide what to show, and turn the service's stable error
//! codes into messages (here, once for every page of the area).

pub mod build_on;
pub mod dashboard;
pub mod entry;
pub mod files;
pub mod gallery;
pub mod invitations;
pub mod lifecycle;
pub mod profile;
pub mod receipts;
pub mod show;
pub mod team;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Deserialize;

use super::model::state as sub_state;
use crate::auth::extract::MaybeUser;
use crate::challenges::model::State;
use crate::error::AppError;
use crate::frontend::forms::{field_message, FormErrors};
use crate::frontend::session::to_login;
use crate::frontend::widgets::Notice;
use crate::i18n::Tr;

// ---- labels ----

/// The translated name of a submission state (the raw value if unknown).
pub fn state_label(t: Tr, state: &str) -> String {
    match state {
        sub_state::DRAFT => t.get("sub.state.draft"),
        sub_state::SUBMITTED => t.get("sub.state.submitted"),
        sub_state::WITHDRAWN => t.get("sub.state.withdrawn"),
        sub_state::DISQUALIFIED => t.get("sub.state.disqualified"),
        other => other,
    }
    .to_owned()
}

/// The translated name of a challenge state.
fn challenge_state_label(t: Tr, s: State) -> &'static str {
    match s {
        State::Draft => t.get("sub.challenge_state.draft"),
        State::Open => t.get("sub.challenge_state.open"),
        State::Closed => t.get("sub.challenge_state.closed"),
        State::Judging => t.get("sub.challenge_state.judging"),
        State::Awarded => t.get("sub.challenge_state.awarded"),
        State::Settled => t.get("sub.challenge_state.settled"),
        State::Cancelled => t.get("sub.challenge_state.cancelled"),
    }
}

/// "Revision 3".
fn revision_label(t: Tr, n: i32) -> String {
    t.fmt("sub.revision.n", &[("n", &n.to_string())])
}

/// The attribution line in the viewer's language: "Title — by A, B — CC-BY-4.0".
fn attribution(t: Tr, title: &str, holders: &str, licence: &str) -> String {
    t.fmt(
        "sub.attribution",
        &[("title", title), ("holders", holders), ("licence", licence)],
    )
}

// ---- error codes of the service, as people read them ----

/// The message of a field error, specific to the submission forms.
fn field_msg(t: Tr, field: &str, code: &str) -> &'static str {
    match (field, code) {
        ("title", _) => t.get("sub.error.title"),
        ("abstract", _) => t.get("sub.error.abstract"),
        ("body", "too_long") => t.get("sub.error.body_too_long"),
        ("body", _) => t.get("sub.error.body"),
        ("licence", "licence_incompatible") => t.get("sub.error.licence_incompatible"),
        ("licence", _) => t.get("sub.error.licence"),
        ("builds_on", _) => t.get("sub.error.builds_on"),
        ("copyright_holders", _) => t.get("sub.error.holders"),
        ("reason", _) => t.get("sub.error.reason"),
        ("shares", _) => t.get("sub.error.shares"),
        ("email", "team_too_large") => t.get("sub.error.team_too_large"),
        ("file", _) => t.get("sub.error.file"),
        (f, c) => field_message(t, f, c),
    }
}

/// The message of an error code shown above a form or section.
fn code_message(t: Tr, code: &str) -> Option<&'static str> {
    Some(match code {
        "registration_required" => t.get("sub.error.registration_required"),
        "rules_acceptance_required" => t.get("sub.error.rules_acceptance_required"),
        "deadline_passed" => t.get("sub.error.deadline_passed"),
        "challenge_not_open" => t.get("sub.error.challenge_not_open"),
        "submission_limit_reached" => t.get("sub.error.submission_limit_reached"),
        "not_editable" => t.get("sub.error.not_editable"),
        "edit_conflict" => t.get("sub.error.edit_conflict"),
        "not_withdrawable" => t.get("sub.error.not_withdrawable"),
        "not_disqualifiable" => t.get("sub.error.not_disqualifiable"),
        "already_member" => t.get("sub.error.already_member"),
        "submitter_stays" => t.get("sub.error.submitter_stays"),
        "submitter_required" => t.get("sub.error.submitter_required"),
        "no_pending_proposal" => t.get("sub.error.no_pending_proposal"),
        "already_in_team" => t.get("sub.error.already_in_team"),
        "team_too_large" => t.get("sub.error.team_too_large"),
        "invitation_email_mismatch" => t.get("sub.error.invitation_email_mismatch"),
        "payload_too_large" => t.get("sub.error.too_large"),
        "creator_decides" => t.get("sub.error.creator_decides"),
        "creator_required" => t.get("sub.error.creator_required"),
        "team_consent_required" => t.get("sub.error.team_consent_required"),
        _ => return None,
    })
}

/// Turns a service error into form messages and the status to answer with.
/// Validation errors and the known codes become messages; anything else
/// comes back as `Err`, for the error page.
fn failure(t: Tr, err: AppError) -> Result<(FormErrors, StatusCode), AppError> {
    let status = err.status_code();
    let mut out = FormErrors::default();
    out.code = err.code().to_owned();
    match err {
        AppError::Validation(list) => {
            for e in &list {
                out.add(&e.field, field_msg(t, &e.field, &e.code));
            }
            out.notice = Some(t.get("form.error.summary").to_owned());
        }
        e => match code_message(t, e.code()) {
            Some(m) => out.notice = Some(m.to_owned()),
            None => return Err(e),
        },
    }
    Ok((out, status))
}

/// The notice for a code that blocks entering or editing, with the link
/// that helps (register, accept the rules, back to the challenge…).
fn blocker_notice(t: Tr, code: &str, slug: &str, submission: Option<&str>) -> Option<Notice> {
    let n = Notice::error(code_message(t, code)?);
    Some(match (code, submission) {
        ("registration_required", _) => n.with_link(
            format!("/challenges/{slug}#register"),
            t.get("sub.link.register"),
        ),
        ("rules_acceptance_required", _) => n.with_link(
            format!("/challenges/{slug}#register"),
            t.get("sub.link.accept_rules"),
        ),
        ("submission_limit_reached", _) => {
            n.with_link("/me/submissions", t.get("sub.link.my_submissions"))
        }
        (_, Some(id)) => n.with_link(format!("/submissions/{id}"), t.get("sub.link.back")),
        _ => n.with_link(format!("/challenges/{slug}"), t.get("sub.link.challenge")),
    })
}

/// Signed-out visitors are sent to sign in (a team member following an
/// email link); signed-in people who may not see it get the 404 page.
fn not_visible(user: &MaybeUser, path: &str, err: AppError) -> Result<HttpResponse, AppError> {
    match err {
        AppError::NotFound if user.0.is_none() => Ok(to_login(path)),
        e => Err(e),
    }
}

// ---- the notice after a redirect ----

/// Query flag naming what was just done, for the notice after a redirect.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// The notice after a redirect.
fn done_notice(t: Tr, done: &str) -> Option<Notice> {
    let key = match done {
        "attached" => "sub.done.attached",
        "invited" => "sub.done.invited",
        "invitation_cancelled" => "sub.done.invitation_cancelled",
        "removed" => "sub.done.removed",
        "shares_proposed" => "sub.done.shares_proposed",
        "shares_approved" => "sub.done.shares_approved",
        "shares_applied" => "sub.done.shares_applied",
        "opt_in" => "sub.done.opt_in",
        "opt_out" => "sub.done.opt_out",
        "withdrawn" => "sub.done.withdrawn",
        "withdrawal_agreed" => "sub.done.withdrawal_agreed",
        "withdrawal_taken_back" => "sub.done.withdrawal_taken_back",
        "rules" => "sub.done.rules",
        "disqualified" => "sub.done.disqualified",
        "submitted" => "sub.done.submitted",
        "unchanged" => "sub.done.unchanged",
        "joined" => "sub.done.joined",
        "left" => "sub.done.left",
        "declined" => "sub.done.declined",
        "anonymous" => "sub.done.anonymous",
        "named" => "sub.done.named",
        _ => return None,
    };
    Some(Notice::ok(t.get(key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::now;
    use crate::frontend::format::{countdown, human_size, is_urgent, percent, short_hash};
    use crate::i18n::Language;

    #[test]
    fn numbers_read_naturally_in_both_languages() {
        let en = Tr::new(Language::En);
        let fr = Tr::new(Language::Fr);
        assert_eq!(percent(en, 5000), "50%");
        assert_eq!(percent(en, 3334), "33.34%");
        assert_eq!(percent(fr, 3334), "33,34\u{a0}%");
        assert_eq!(human_size(en, 512), "512 B");
        assert_eq!(human_size(en, 1536), "1.5 KB");
        assert_eq!(human_size(fr, 25 * 1024 * 1024), "25,0 Mo");
        assert_eq!(short_hash(&"a".repeat(64)), format!("{}…", "a".repeat(12)));
        assert_eq!(short_hash("abc"), "abc");
    }

    #[test]
    fn every_label_and_message_is_translated() {
        for lang in Language::ALL {
            let t = Tr::new(lang);
            for s in [
                sub_state::DRAFT,
                sub_state::SUBMITTED,
                sub_state::WITHDRAWN,
                sub_state::DISQUALIFIED,
            ] {
                assert!(!state_label(t, s).starts_with("sub."), "{lang:?} {s}");
            }
            for s in State::ALL {
                assert!(!challenge_state_label(t, s).starts_with("sub."));
            }
            for code in [
                "registration_required",
                "rules_acceptance_required",
                "deadline_passed",
                "submission_limit_reached",
                "already_in_team",
                "invitation_email_mismatch",
            ] {
                let n = blocker_notice(t, code, "x", None).map(|n| n.text);
                assert!(n.is_some_and(|m| !m.starts_with("sub.")), "{lang:?} {code}");
            }
        }
    }

    #[test]
    fn countdowns() {
        let t = Tr::new(Language::En);
        let at = now();
        let d = |h: i64| at + chrono::Duration::hours(h);
        assert_eq!(countdown(t, State::Open, d(24 * 5), at), "Closes in 5 days");
        assert_eq!(countdown(t, State::Open, d(5), at), "Closes in 5 hours");
        assert_eq!(countdown(t, State::Closed, d(5), at), "Submissions closed");
        assert_eq!(countdown(t, State::Open, d(-1), at), "Submissions closed");
        assert!(is_urgent(State::Open, d(5), at));
        assert!(!is_urgent(State::Open, d(100), at));
    }
}
