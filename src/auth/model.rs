//! Account rules, pure: parsing of what users send, the login throttle, the
//! refresh-token rotation decision. No IO here.

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

/// Passwords shorter than this are refused (OWASP ASVS 2.1.1).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longer passwords are refused so hashing cost stays bounded.
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Failed logins allowed per account or per IP within [`THROTTLE_WINDOW_MINUTES`].
pub const MAX_FAILED_LOGINS: usize = 5;
/// The sliding window of the login throttle.
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

/// A normalised (trimmed, lower-cased) email address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` with no spaces, at most 254 characters.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_lowercase();
        let invalid = || FieldError::new(field, "invalid_email", "Enter a valid email address.");
        if s.is_empty() || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || local.contains('@')
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(invalid());
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 1 to 80 visible characters.
pub fn parse_display_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    let n = s.chars().count();
    if n == 0 {
        return Err(FieldError::new(field, "required", "Enter a name."));
    }
    // The limit counts what was sent, as the API's `maxLength` does.
    if raw.chars().count() > 80 || s.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "invalid",
            "Use at most 80 characters.",
        ));
    }
    Ok(s.to_owned())
}

/// Checks a new password's length (in characters, not bytes).
pub fn check_password(field: &str, raw: &str) -> Result<(), FieldError> {
    let n = raw.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(
            field,
            "too_short",
            format!("Use at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("Use at most {MAX_PASSWORD_CHARS} characters."),
        ));
    }
    Ok(())
}

/// The languages the interface and emails are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Fr,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Fr];

    /// `en` or `fr` (a region such as `fr-CA` counts as its language).
    pub fn parse(raw: &str) -> Option<Self> {
        let primary = raw.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Language::En),
            "fr" => Some(Language::Fr),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
        }
    }

    /// The best supported language of an `Accept-Language` header, by q-value.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f32, Language)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Language::parse(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l)
    }
}

/// What the login throttle decides for one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    Allow,
    /// Refuse, and say when to come back.
    Wait {
        retry_after_secs: u64,
    },
}

/// Decides whether a login may be tried, given the times of recent failures
/// for the account and for the IP. Once either has [`MAX_FAILED_LOGINS`]
/// failures within the window, refuse until the oldest of the failures that
/// count leaves the window.
pub fn throttle(
    now: NaiveDateTime,
    account_failures: &[NaiveDateTime],
    ip_failures: &[NaiveDateTime],
    max_per_ip: usize,
) -> Throttle {
    let window = Duration::minutes(THROTTLE_WINDOW_MINUTES);
    match (
        window_wait(now, account_failures, MAX_FAILED_LOGINS, window),
        window_wait(now, ip_failures, max_per_ip, window),
    ) {
        (None, None) => Throttle::Allow,
        (a, b) => Throttle::Wait {
            retry_after_secs: a.unwrap_or(0).max(b.unwrap_or(0)) as u64,
        },
    }
}

/// A sliding-window limit: given the times of past events, whether one more
/// may happen now. `None` when it may; else the seconds until it may (when
/// the oldest of the `max` latest events leaves the window).
pub fn window_wait(
    now: NaiveDateTime,
    times: &[NaiveDateTime],
    max: usize,
    window: Duration,
) -> Option<i64> {
    let mut recent: Vec<NaiveDateTime> = times
        .iter()
        .copied()
        .filter(|t| *t > now - window && *t <= now)
        .collect();
    if recent.len() < max.max(1) {
        return None;
    }
    recent.sort();
    // Allowed again once only max-1 events remain in the window.
    let pivot = recent[recent.len() - max.max(1)];
    Some((pivot + window - now).num_seconds().max(1))
}

/// Reset and verification links mailed to one account within an hour, at
/// most: more would let anyone flood a mailbox through the public forms.
pub const MAX_LINKS_PER_HOUR: usize = 3;
/// Invitations (to an organisation, or to teams) mailed to one address within
/// an hour, at most.
pub const MAX_INVITATIONS_PER_HOUR: usize = 5;

/// What to do with a presented refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Issue a new pair and mark this token used.
    Rotate,
    /// The token was already used: someone replayed it, so the whole session
    /// (the token family) is revoked.
    RevokeFamily,
    /// The session is revoked or expired.
    Reject,
}

/// The rotation rule for a refresh token that exists.
pub fn refresh_decision(
    now: NaiveDateTime,
    token_used: bool,
    session_revoked: bool,
    session_expires_at: NaiveDateTime,
) -> RefreshDecision {
    if session_revoked || session_expires_at <= now {
        RefreshDecision::Reject
    } else if token_used {
        RefreshDecision::RevokeFamily
    } else {
        RefreshDecision::Rotate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use proptest::prelude::*;

    fn t(secs: i64) -> NaiveDateTime {
        DateTime::from_timestamp(1_800_000_000 + secs, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default()
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("e", " Ada@Example.ORG ").map(|e| e.0),
            Ok("ada@example.org".into())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.org",
            "a b@x.org",
            "a@x",
            "a@.org",
            "a@x..org",
        ] {
            assert!(Email::parse("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_twelve_characters() {
        assert!(check_password("p", "short").is_err());
        assert!(check_password("p", "exactly12chr").is_ok());
        // Characters, not bytes.
        assert!(check_password("p", "ééééééééééé").is_err());
    }

    #[test]
    fn accept_language_prefers_the_highest_q() {
        assert_eq!(
            Language::from_accept_language("fr-CA,fr;q=0.9,en;q=0.8"),
            Some(Language::Fr)
        );
        assert_eq!(
            Language::from_accept_language("de,en;q=0.5,fr;q=0.4"),
            Some(Language::En)
        );
        assert_eq!(Language::from_accept_language("de"), None);
    }

    #[test]
    fn the_sixth_failure_is_refused() {
        let fails: Vec<_> = (0..4).map(|i| t(i * 10)).collect();
        assert_eq!(throttle(t(60), &fails, &[], 100), Throttle::Allow);
        let fails: Vec<_> = (0..5).map(|i| t(i * 10)).collect();
        assert_eq!(
            throttle(t(60), &fails, &[], 100),
            Throttle::Wait {
                retry_after_secs: 15 * 60 - 60
            }
        );
        // After the window, allowed again.
        assert_eq!(throttle(t(15 * 60 + 1), &fails, &[], 100), Throttle::Allow);
    }

    #[test]
    fn one_address_gets_its_own_higher_limit() {
        // Six failures from one address (a campus NAT) against six accounts:
        // no account is over its limit, and the address is under its own.
        let fails: Vec<_> = (0..6).map(|i| t(i * 10)).collect();
        assert_eq!(throttle(t(60), &[], &fails, 100), Throttle::Allow);
        assert!(matches!(
            throttle(t(60), &[], &fails, 6),
            Throttle::Wait { .. }
        ));
    }

    #[test]
    fn refresh_reuse_revokes_the_family() {
        assert_eq!(
            refresh_decision(t(0), false, false, t(10)),
            RefreshDecision::Rotate
        );
        assert_eq!(
            refresh_decision(t(0), true, false, t(10)),
            RefreshDecision::RevokeFamily
        );
        assert_eq!(
            refresh_decision(t(0), false, true, t(10)),
            RefreshDecision::Reject
        );
        assert_eq!(
            refresh_decision(t(10), false, false, t(10)),
            RefreshDecision::Reject
        );
    }

    proptest! {
        #[test]
        fn throttle_refuses_exactly_when_five_recent_failures(
            offsets in proptest::collection::vec(0i64..3_600, 0..20),
            now in 0i64..3_600,
        ) {
            let fails: Vec<_> = offsets.iter().map(|o| t(*o)).collect();
            let recent = offsets.iter().filter(|o| **o > now - 900 && **o <= now).count();
            match throttle(t(now), &fails, &[], 100) {
                Throttle::Allow => prop_assert!(recent < MAX_FAILED_LOGINS),
                Throttle::Wait { retry_after_secs } => {
                    prop_assert!(recent >= MAX_FAILED_LOGINS);
                    prop_assert!((1..=900).contains(&retry_after_secs));
                    // Waiting that long really frees the account.
                    let later = now + retry_after_secs as i64;
                    let recent_later = offsets.iter().filter(|o| **o > later - 900 && **o <= now).count();
                    prop_assert!(recent_later < MAX_FAILED_LOGINS);
                }
            }
        }

        #[test]
        fn parsed_emails_are_stable(local in "[a-z0-9._+-]{1,20}", domain in "[a-z0-9-]{1,20}\\.[a-z]{2,6}") {
            let raw = format!("{local}@{domain}");
            let e = Email::parse("e", &raw.to_uppercase());
            prop_assert_eq!(e.clone().map(|e| e.0), Ok(raw.clone()));
            let again = Email::parse("e", e.map(|e| e.0).unwrap_or_default().as_str()).map(|e| e.0);
            prop_assert_eq!(again, Ok(raw));
        }
    }
}
