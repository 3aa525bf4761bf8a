//! Challenge pages for organisations, a file per use case: the dashboard
//! of an organisation's challenges ([`dashboard`]), the step form that
//! creates and edits one ([`form`], over [`step_form`]), and the
//! management page ([`challenge`]) with its sections: funding and
//! publishing ([`funding`]), registrants and entries ([`entries`]),
//! questions ([`questions`]), rules versions and announcements
//! ([`rules`]), and the audit log ([`audit`]).
//!
//! Handlers parse, call one use case of [`crate::challenges::service`]
//! (the same flows as the JSON API) or one read of
//! [`crate::challenges::queries`], and render; every rule stays in the
//! service and the model. Here: the messages of the service's error codes
//! and the labels only these pages use, shared with the platform admin
//! pages in [`super::admin`].

mod audit;
mod challenge;
mod dashboard;
pub mod entries;
mod form;
mod funding;
mod questions;
mod resources;
mod rules;
mod step_form;

pub use challenge::show;
pub use dashboard::dashboard;
pub use form::{create, edit_form, new_form, update};
pub use funding::{act, OneClick};
pub use questions::answer;
pub use resources::{remove as remove_resource, upload as upload_resource};
pub use rules::{announce, new_rules};

use actix_web::http::StatusCode;
use actix_web::ResponseError;
use serde::Deserialize;

use crate::challenges::model::review;
use crate::error::AppError;
use crate::frontend::forms::{field_message, FormErrors};
use crate::i18n::Tr;

/// Query flags naming what was just done, for the notice after a redirect.
/// Values stay text so a mangled link shows no notice rather than a 400.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    /// What happened (`created`, `published`, …).
    pub done: String,
    /// The funding request just made (payment instructions).
    pub funding: String,
    /// A number for the notice (rules version, recipients).
    pub n: String,
}

/// The translated state of the platform's review.
pub fn review_label(t: Tr, state: &str) -> &'static str {
    match state {
        review::PENDING => t.get("manage.review.pending"),
        review::CHANGES_REQUESTED => t.get("manage.review.changes_requested"),
        review::APPROVED => t.get("manage.review.approved"),
        _ => t.get("manage.review.none"),
    }
}

/// The translated visibility of a challenge in lists.
fn visibility_label(t: Tr, v: &str) -> &'static str {
    match v {
        "unlisted" => t.get("manage.visibility.unlisted"),
        _ => t.get("manage.visibility.public"),
    }
}

/// The translated message of a field error of the challenge forms (codes of
/// `challenges::model` and `service::validate`, plus the page's own parse
/// errors); anything else falls back to the account pages' messages.
pub fn error_text(t: Tr, field: &str, code: &str) -> &'static str {
    match (field, code) {
        ("title", "too_short") => t.get("manage.error.title_short"),
        ("summary", "too_short") => t.get("manage.error.summary_short"),
        ("rules", "too_short") => t.get("manage.error.rules_short"),
        ("prize_tiers", "required") | (_, "invalid_tiers") => t.get("manage.error.tiers"),
        ("max_submissions_per_solver", "out_of_range") => t.get("manage.error.submissions_range"),
        ("max_team_size", "out_of_range") => t.get("manage.error.team_range"),
        (_, "invalid_ranks") => t.get("manage.error.ranks"),
        (_, "invalid_amount") => t.get("manage.error.amount"),
        (_, "invalid_amount_format") => t.get("manage.error.amount_format"),
        (_, "invalid_label") => t.get("manage.error.tier_label"),
        (_, "invalid_category") => t.get("manage.error.category"),
        (_, "invalid_kind") => t.get("manage.error.kind"),
        (_, "invalid_currency") => t.get("manage.error.currency"),
        (_, "invalid_visibility") => t.get("manage.error.visibility"),
        (_, "invalid_tag") => t.get("manage.error.tag"),
        (_, "too_many_tags") => t.get("manage.error.too_many_tags"),
        (_, "invalid_datetime") => t.get("manage.error.datetime"),
        (_, "in_the_past") => t.get("manage.error.in_the_past"),
        (_, "after_deadline") => t.get("manage.error.opens_after_deadline"),
        (_, "before_submission_deadline") => t.get("manage.error.judging_before_deadline"),
        (_, "invalid_licences") => t.get("manage.error.licences_count"),
        (_, "unknown_licence") => t.get("manage.error.unknown_licence"),
        (_, "no_open_licence") => t.get("manage.error.no_open_licence"),
        (_, "invalid_number") => t.get("manage.error.number"),
        ("comment", "required") => t.get("admin.error.comment_required"),
        _ => field_message(t, field, code),
    }
}

/// The translated notice of a conflict the challenge flows answer with.
fn conflict_text(t: Tr, code: &str) -> Option<&'static str> {
    Some(match code {
        "escrow_insufficient" => t.get("manage.error.escrow_insufficient"),
        "deadline_passed" => t.get("manage.error.deadline_passed"),
        "illegal_transition" => t.get("manage.error.illegal_transition"),
        "state_changed" => t.get("manage.error.state_changed"),
        "locked_after_publish" => t.get("manage.error.locked_after_publish"),
        "not_editable" => t.get("manage.error.not_editable"),
        "not_fundable" => t.get("manage.error.not_fundable"),
        "already_funded" => t.get("manage.error.already_funded"),
        "not_published" => t.get("manage.error.not_published"),
        "not_awaiting_review" => t.get("admin.error.not_awaiting_review"),
        "review_outdated" => t.get("admin.error.review_outdated"),
        "funding_not_pending" => t.get("admin.error.funding_not_pending"),
        _ => return None,
    })
}

/// Turns a service error into form messages and the status to answer with:
/// validation errors become field messages, known conflicts a notice.
/// Anything else (404, 403, …) comes back as `Err` for the error page.
pub fn failure(t: Tr, err: AppError) -> Result<(FormErrors, StatusCode), AppError> {
    let status = err.status_code();
    let mut out = FormErrors::default();
    out.code = err.code().to_owned();
    match &err {
        AppError::Validation(list) => {
            for e in list {
                out.add(&e.field, error_text(t, &e.field, &e.code));
            }
            out.notice = Some(t.get("form.error.summary").to_owned());
        }
        AppError::Conflict { code, .. } => match conflict_text(t, code) {
            Some(m) => out.notice = Some(m.to_owned()),
            None => return Err(err),
        },
        _ => return Err(err),
    }
    Ok((out, status))
}

/// The page path of a challenge's management page.
fn manage_href(key: &str) -> String {
    format!("/manage/challenges/{key}")
}

#[cfg(test)]
mod tests {
    use super::form::combine;
    use super::*;
    use crate::auth::model::Language;
    use crate::challenges::model::{Kind, State, CATEGORIES};
    use crate::error::FieldError;
    use crate::frontend::labels::{category_label, kind_label, state_label};

    #[test]
    fn local_errors_come_before_the_service_ones() {
        let local = vec![FieldError::new("prize_tiers", "invalid_amount_format", "x")];
        let service = Err(AppError::Validation(vec![
            FieldError::new("prize_tiers", "invalid_ranks", "x"),
            FieldError::new("title", "too_short", "x"),
        ]));
        let t = Tr::new(Language::En);
        let (errors, status) = failure(t, combine(local, service)).unwrap_or_default();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            errors.field("prize_tiers"),
            Some(t.get("manage.error.amount_format"))
        );
        assert_eq!(
            errors.field("title"),
            Some(t.get("manage.error.title_short"))
        );
        assert!(failure(t, combine(Vec::new(), Err(AppError::NotFound))).is_err());
        let (errors, status) =
            failure(t, AppError::conflict("escrow_insufficient", "x")).unwrap_or_default();
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            errors.notice.as_deref(),
            Some(t.get("manage.error.escrow_insufficient"))
        );
    }

    #[test]
    fn every_label_is_translated_in_both_languages() {
        for lang in Language::ALL {
            let t = Tr::new(lang);
            for s in State::ALL {
                assert!(!state_label(t, s).starts_with("manage."), "{lang:?} {s:?}");
            }
            for k in Kind::ALL {
                assert!(!kind_label(t, k.as_str()).is_empty(), "{lang:?} {k:?}");
            }
            for c in CATEGORIES {
                let l = category_label(t, c);
                assert!(!l.is_empty() && !l.starts_with("manage."), "{lang:?} {c}");
            }
            for r in [
                review::NONE,
                review::PENDING,
                review::CHANGES_REQUESTED,
                review::APPROVED,
            ] {
                assert!(!review_label(t, r).starts_with("manage."), "{lang:?} {r}");
            }
            for code in [
                "invalid_tiers",
                "invalid_ranks",
                "invalid_amount",
                "invalid_label",
                "invalid_category",
                "invalid_kind",
                "invalid_currency",
                "invalid_visibility",
                "invalid_tag",
                "too_many_tags",
                "in_the_past",
                "after_deadline",
                "before_submission_deadline",
                "invalid_licences",
                "unknown_licence",
                "no_open_licence",
                "out_of_range",
            ] {
                assert_ne!(
                    error_text(t, "max_team_size", code),
                    t.get("form.error.invalid"),
                    "{code}"
                );
            }
        }
    }
}
