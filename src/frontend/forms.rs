//! Forms: what went wrong with a submitted form (translated, per field and
//! for the whole form), the bodies that `web::Form` cannot read, and the
//! small normalisations every form needs. The CSRF check is not here: it
//! runs for every unsafe page request in [`super::csrf`].

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::error::AppError;
use crate::i18n::Tr;

/// What went wrong with a submitted form, already translated: a message per
/// field, and one for the form as a whole.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    fields: Vec<(String, &'static str)>,
    /// Shown above the form (`role="alert"`).
    pub notice: Option<String>,
    /// The stable code behind `notice` (templates add links for some).
    pub code: String,
    /// For `rate_limited`: seconds until the next attempt is allowed.
    pub retry_after: Option<u64>,
}

impl FormErrors {
    /// The message for `field`, if it has an error.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| f == name).map(|(_, m)| *m)
    }

    /// Whether `field` has an error (for `has-error` and `aria-invalid`).
    pub fn has(&self, name: &str) -> bool {
        self.field(name).is_some()
    }

    /// Adds a message for `field` (the first one per field wins).
    pub fn add(&mut self, field: &str, message: &'static str) {
        if !self.has(field) {
            self.fields.push((field.to_owned(), message));
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.notice.is_none()
    }

    /// The notice, else the first field message: for one-button forms that
    /// have no field to attach a message to.
    pub fn summary(&self) -> Option<String> {
        self.notice
            .clone()
            .or_else(|| self.fields.first().map(|(_, m)| (*m).to_owned()))
    }
}

/// The translated message of a field error code.
pub fn field_message(t: Tr, field: &str, code: &str) -> &'static str {
    let password = matches!(field, "password" | "new_password");
    match code {
        "too_short" if password => t.get("form.error.password_too_short"),
        "too_long" if password => t.get("form.error.password_too_long"),
        "invalid" if matches!(field, "display_name" | "name") => t.get("form.error.name_invalid"),
        "too_short" | "too_long" if field == "reason" => t.get("judging.conflict.error.reason"),
        "required" if field == "scopes" => t.get("form.error.scopes_required"),
        "required" => t.get("form.error.required"),
        "invalid_email" => t.get("form.error.invalid_email"),
        "too_short" => t.get("form.error.too_short"),
        "too_long" => t.get("form.error.too_long"),
        "invalid_language" => t.get("form.error.invalid_language"),
        "invalid_slug" => t.get("form.error.invalid_slug"),
        "slug_taken" => t.get("form.error.slug_taken"),
        "invalid_role" => t.get("form.error.invalid_role"),
        "invalid_scope" => t.get("form.error.invalid_scope"),
        "incorrect" => t.get("form.error.incorrect"),
        _ => t.get("form.error.invalid"),
    }
}

/// The translated message of an error code shown above a form.
pub fn notice_message(t: Tr, code: &str) -> Option<&'static str> {
    Some(match code {
        "email_taken" => t.get("form.error.email_taken"),
        "invalid_credentials" => t.get("form.error.invalid_credentials"),
        "email_unverified" => t.get("form.error.email_unverified"),
        "account_suspended" => t.get("form.error.account_suspended"),
        "already_member" => t.get("form.error.already_member"),
        "last_owner" => t.get("form.error.last_owner"),
        "owner_required" => t.get("form.error.owner_required"),
        "invalid_token" => t.get("form.error.invalid_token"),
        "invitation_email_mismatch" => t.get("form.error.invitation_email_mismatch"),
        code => return judging_notice(t, code),
    })
}

/// Messages of the judging flows' conflicts (409), for forms.
fn judging_notice(t: Tr, code: &str) -> Option<&'static str> {
    Some(match code {
        "invitation_not_pending" => t.get("judging.error.invitation_not_pending"),
        "already_on_panel" => t.get("judging.error.already_on_panel"),
        "judging_over" => t.get("judging.error.judging_over"),
        "final_round_exists" => t.get("judging.error.final_round_exists"),
        "round_not_draft" => t.get("judging.error.round_not_draft"),
        "round_not_open" => t.get("judging.error.round_not_open"),
        "round_closed" => t.get("judging.error.round_closed"),
        "submissions_open" => t.get("judging.error.submissions_open"),
        "previous_round_open" => t.get("judging.error.previous_round_open"),
        "no_entries" => t.get("judging.error.no_entries"),
        "no_rubric" => t.get("judging.error.no_rubric"),
        "no_judges" => t.get("judging.error.no_judges"),
        "conflict_of_interest" => t.get("judging.error.conflict_of_interest"),
        "results_published" => t.get("judging.error.results_published"),
        "not_judging" => t.get("judging.error.not_judging"),
        "no_round" => t.get("judging.error.no_round"),
        "round_not_closed" => t.get("judging.error.round_not_closed"),
        "not_on_panel" => t.get("judging.error.not_on_panel"),
        "cannot_suspend_self" => t.get("admin.users.error.self"),
        _ => return None,
    })
}

/// Turns a service error into form messages and the status to answer with.
/// Validation errors always become messages; other errors only when their
/// code is in `expected`. Anything else comes back as `Err` for the error page.
pub fn form_failure(
    t: Tr,
    err: AppError,
    expected: &[&str],
) -> Result<(FormErrors, StatusCode), AppError> {
    let status = err.status_code();
    let mut out = FormErrors {
        code: err.code().to_owned(),
        ..FormErrors::default()
    };
    match err {
        AppError::Validation(list) => {
            for e in &list {
                out.add(&e.field, field_message(t, &e.field, &e.code));
            }
            out.notice = Some(t.get("form.error.summary").to_owned());
        }
        AppError::TooManyRequests { retry_after_secs } if expected.contains(&"rate_limited") => {
            let minutes = retry_after_secs.div_ceil(60).max(1).to_string();
            out.notice = Some(t.fmt("form.error.rate_limited", &[("minutes", &minutes)]));
            out.retry_after = Some(retry_after_secs);
        }
        e => match notice_message(t, e.code()) {
            Some(m) if expected.contains(&e.code()) => out.notice = Some(m.to_owned()),
            _ => return Err(e),
        },
    }
    Ok((out, status))
}

/// `Retry-After` on a page answered 429 from a form's rate-limit error.
pub fn with_retry_after(mut res: HttpResponse, errors: &FormErrors) -> HttpResponse {
    if let Some(secs) = errors.retry_after {
        if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    res
}

/// A urlencoded form body kept as pairs, for forms whose fields repeat
/// (checkbox lists) or are numbered (prize tier rows), and for long texts
/// beyond the 64 KiB limit of `web::Form`.
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    /// Parses a urlencoded body.
    pub fn parse(body: &[u8]) -> Result<Self, AppError> {
        serde_urlencoded::from_bytes(body)
            .map(Pairs)
            .map_err(|e| AppError::bad_request("invalid_form", e.to_string()))
    }

    /// The first value of `name`, or empty.
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether `name` was sent (a checked checkbox).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// Textareas post CRLF line ends; the services store what they are given,
/// so the pages send LF, as the API's clients do.
pub fn lf(s: &str) -> String {
    s.replace("\r\n", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Language;

    #[test]
    fn service_errors_become_form_messages() {
        let t = Tr::new(Language::Fr);
        let e = AppError::Validation(vec![crate::error::FieldError::new(
            "password",
            "too_short",
            "x",
        )]);
        let (errors, status) = form_failure(t, e, &[])
            .map_err(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            errors.field("password"),
            Some(t.get("form.error.password_too_short"))
        );
        let (errors, status) = form_failure(
            t,
            AppError::TooManyRequests {
                retry_after_secs: 61,
            },
            &["rate_limited"],
        )
        .map_err(|e| e.to_string())
        .unwrap_or_default();
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(errors.notice.unwrap_or_default().contains('2'));
        assert!(form_failure(t, AppError::Forbidden("account_suspended"), &[]).is_err());
        assert!(form_failure(t, AppError::NotFound, &["not_found"]).is_err());
    }
}
