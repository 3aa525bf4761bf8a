//! Notification rules, pure: which emails are notifications people choose
//! about (and may unsubscribe from in one click), which channels a choice
//! leaves open, how an unsubscribe link is signed; and the outbox's retry
//! rule.

use chrono::Duration;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The kinds of notification: each is an email and an in-app notice, and a
/// person may turn either off per kind. Account emails (address
/// verification, password reset and change, organisation invitations) are
/// not among them: they are always sent.
pub const KINDS: &[&str] = &[
    "challenge_published",
    "registration_confirmed",
    "question_answered",
    "announcement",
    "deadline_reminder",
    "judging_reminder",
    "receipt",
    "team_invitation",
    "judge_invitation",
    "round_opened",
    "round_closed",
    "results_winner",
    "results_published",
    "payout_paid",
    "payout_failed",
    "funding_requested",
    "funding_confirmed",
    "disqualified",
];

/// The reminder of a submission deadline due at `now`, if any: the
/// 24-hour one inside the last day, else the 7-day one inside the last
/// week; nothing once the deadline has passed. Each is sent once per person
/// and deadline (the store keeps what was sent), so a person who registers
/// in the last day gets only the 24-hour one.
pub fn deadline_reminder_due(
    now: chrono::NaiveDateTime,
    deadline: chrono::NaiveDateTime,
) -> Option<&'static str> {
    if now >= deadline {
        None
    } else if deadline - now <= Duration::hours(24) {
        Some("deadline_24h")
    } else if deadline - now <= Duration::days(7) {
        Some("deadline_7d")
    } else {
        None
    }
}

/// Whether judges with scorecards left are reminded at `now`: inside the
/// last three days before the judging deadline.
pub fn judging_reminder_due(now: chrono::NaiveDateTime, deadline: chrono::NaiveDateTime) -> bool {
    now < deadline && deadline - now <= Duration::days(3)
}

/// Whether `kind` is a notification people choose about.
pub fn is_notification(kind: &str) -> bool {
    KINDS.contains(&kind)
}

/// Where a message of `kind` goes for a person whose choice for it is
/// `pref` (`(email, in_app)`, none: both on) — `(email, in_app)`. Without
/// an account there is no notification centre and no choice: email only.
pub fn channels(kind: &str, has_account: bool, pref: Option<(bool, bool)>) -> (bool, bool) {
    if !is_notification(kind) || !has_account {
        return (true, false);
    }
    pref.unwrap_or((true, true))
}

/// The signature of an unsubscribe link for `user_id` and `kind`: only the
/// platform can make one, and it stops that kind only.
pub fn unsubscribe_signature(secret: &[u8], user_id: &str, kind: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("unsubscribe\n{user_id}\n{kind}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature` is the one [`unsubscribe_signature`] makes (compared
/// in constant time).
pub fn unsubscribe_valid(secret: &[u8], user_id: &str, kind: &str, signature: &str) -> bool {
    let Ok(sig) = hex::decode(signature) else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("unsubscribe\n{user_id}\n{kind}").as_bytes());
    is_notification(kind) && mac.verify_slice(&sig).is_ok()
}

/// After this many failed attempts a message is marked `failed` for good.
pub const MAX_ATTEMPTS: i32 = 8;

/// The states of an outbox row.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const SENT: &str = "sent";
    pub const FAILED: &str = "failed";
}

/// What happens after a failed attempt number `attempts` (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryIn(Duration),
    GiveUp,
}

/// Exponential backoff: 30 s, 1 min, 2 min, … capped at 1 hour, then give up.
pub fn after_failure(attempts: i32) -> AfterFailure {
    if attempts >= MAX_ATTEMPTS {
        return AfterFailure::GiveUp;
    }
    let exp = (attempts.max(1) - 1).min(10) as u32;
    let secs = (30i64 * 2i64.pow(exp)).min(3600);
    AfterFailure::RetryIn(Duration::seconds(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn backoff_doubles_then_gives_up() {
        assert_eq!(
            after_failure(1),
            AfterFailure::RetryIn(Duration::seconds(30))
        );
        assert_eq!(
            after_failure(2),
            AfterFailure::RetryIn(Duration::seconds(60))
        );
        assert_eq!(
            after_failure(3),
            AfterFailure::RetryIn(Duration::seconds(120))
        );
        assert_eq!(after_failure(MAX_ATTEMPTS), AfterFailure::GiveUp);
    }

    #[test]
    fn account_emails_are_always_sent_and_never_in_app() {
        assert_eq!(
            channels("verify_email", true, Some((false, false))),
            (true, false)
        );
        assert_eq!(channels("receipt", false, None), (true, false));
        assert_eq!(channels("receipt", true, None), (true, true));
        assert_eq!(
            channels("receipt", true, Some((false, true))),
            (false, true)
        );
    }

    #[test]
    fn unsubscribe_links_are_signed_per_person_and_kind() {
        let s = unsubscribe_signature(b"secret", "u1", "announcement");
        assert!(unsubscribe_valid(b"secret", "u1", "announcement", &s));
        assert!(!unsubscribe_valid(b"secret", "u1", "receipt", &s));
        assert!(!unsubscribe_valid(b"secret", "u2", "announcement", &s));
        assert!(!unsubscribe_valid(b"other", "u1", "announcement", &s));
        assert!(!unsubscribe_valid(b"secret", "u1", "announcement", "zz"));
        let v = unsubscribe_signature(b"secret", "u1", "verify_email");
        assert!(!unsubscribe_valid(b"secret", "u1", "verify_email", &v));
    }

    #[test]
    fn reminders_fall_in_their_windows() {
        let d = chrono::DateTime::from_timestamp(2_000_000_000, 0)
            .map(|t| t.naive_utc())
            .unwrap_or_default();
        assert_eq!(deadline_reminder_due(d - Duration::days(8), d), None);
        assert_eq!(
            deadline_reminder_due(d - Duration::days(7), d),
            Some("deadline_7d")
        );
        assert_eq!(
            deadline_reminder_due(d - Duration::hours(25), d),
            Some("deadline_7d")
        );
        assert_eq!(
            deadline_reminder_due(d - Duration::hours(24), d),
            Some("deadline_24h")
        );
        assert_eq!(deadline_reminder_due(d, d), None);
        assert!(judging_reminder_due(d - Duration::days(3), d));
        assert!(!judging_reminder_due(d - Duration::days(4), d));
        assert!(!judging_reminder_due(d, d));
    }

    proptest! {
        /// Inside the week before a deadline exactly one reminder is due,
        /// and the 24-hour one never before the last day.
        #[test]
        fn one_reminder_at_a_time(mins in 0i64..20_000) {
            let d = chrono::DateTime::from_timestamp(2_000_000_000, 0).map(|t| t.naive_utc()).unwrap_or_default();
            let now = d - Duration::minutes(mins);
            let due = deadline_reminder_due(now, d);
            prop_assert_eq!(due.is_some(), mins > 0 && mins <= 7 * 24 * 60);
            if due == Some("deadline_24h") {
                prop_assert!(mins <= 24 * 60);
            }
        }

        #[test]
        fn a_signature_never_serves_another_kind(a in 0usize..KINDS.len(), b in 0usize..KINDS.len(), user in "[a-z0-9]{1,12}") {
            let s = unsubscribe_signature(b"k", &user, KINDS[a]);
            prop_assert_eq!(unsubscribe_valid(b"k", &user, KINDS[b], &s), a == b);
        }

        #[test]
        fn backoff_never_shrinks_and_stays_bounded(a in 1i32..MAX_ATTEMPTS - 1) {
            match (after_failure(a), after_failure(a + 1)) {
                (AfterFailure::RetryIn(x), AfterFailure::RetryIn(y)) => {
                    prop_assert!(x <= y);
                    prop_assert!(y <= Duration::hours(1));
                }
                (AfterFailure::RetryIn(_), AfterFailure::GiveUp) => prop_assert!(a + 1 >= MAX_ATTEMPTS),
                _ => prop_assert!(false),
            }
        }
    }
}
