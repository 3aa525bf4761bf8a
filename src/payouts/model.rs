//! The rules of money leaving the platform, pure: the state machine every
//! payout and refund follows, when a challenge is settled, the retry
//! schedule, and the journal lines of a payment out.
//!
//! ```text
//! pending ──submit──► submitted ──confirm──► paid (final)
//!    │                   │
//!    └──────fail─────────┴──fail──► failed ──submit──► submitted (a retry)
//! ```
//!
//! Events may arrive twice and in any order (webhooks, retries, two admins
//! at once): an event that its state has already passed is a no-op, never a
//! second movement of money.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use crate::money::model::{AccountKind, AccountRef, Currency, Line, PLATFORM};

/// Where a payout or refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Owed, nothing sent yet.
    Pending,
    /// Sent to the provider (or the bank); waiting for its answer.
    Submitted,
    /// Arrived. Final.
    Paid,
    /// The provider refused or gave up; may be retried.
    Failed,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Pending,
        Status::Submitted,
        Status::Paid,
        Status::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Submitted => "submitted",
            Status::Paid => "paid",
            Status::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What can happen to a payout or refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Handed to the provider (a first try or a retry).
    Submit,
    /// The provider (or an admin) says it arrived.
    Confirm,
    /// The provider refused it, or an admin recorded a bounced transfer.
    Fail,
}

/// The outcome of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The state changes to this one: audit it, and on `Paid` journal it.
    To(Status),
    /// The state is already there or past it: nothing to do.
    Already,
}

/// Why an event cannot apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} payout cannot be {event}")]
pub struct Refused {
    pub from: &'static str,
    pub event: &'static str,
}

/// The next state after `event`, if any.
pub fn step(from: Status, event: Event) -> Result<Step, Refused> {
    use Event::*;
    use Status::*;
    match (from, event) {
        (Pending | Failed, Submit) => Ok(Step::To(Submitted)),
        (Submitted, Submit) => Ok(Step::Already),
        (Submitted, Confirm) => Ok(Step::To(Paid)),
        (Pending | Submitted, Fail) => Ok(Step::To(Failed)),
        (Failed, Fail) => Ok(Step::Already),
        // Paid is final: a late failure or a replayed confirmation changes nothing.
        (Paid, _) => Ok(Step::Already),
        (Pending, Confirm) => Err(Refused {
            from: "pending",
            event: "confirmed before it is sent",
        }),
        (Failed, Confirm) => Err(Refused {
            from: "failed",
            event: "confirmed without a retry",
        }),
    }
}

/// Whether a challenge whose results are out is settled: every payout paid
/// and its refund (if there is one) paid.
pub fn settled(payouts: &[Status], refund: Option<Status>) -> bool {
    payouts.iter().all(|s| *s == Status::Paid) && refund.is_none_or(|s| s == Status::Paid)
}

/// How long to wait before retry `attempt` (1-based) after a temporary
/// failure (429, 5xx, network): 30 s doubling, at most 6 h.
pub fn backoff(attempt: u32) -> Duration {
    let secs = 30i64.saturating_mul(1i64 << attempt.saturating_sub(1).min(20));
    Duration::seconds(secs.min(6 * 3600))
}

/// When to try again, from now.
pub fn next_attempt(now: NaiveDateTime, attempt: u32) -> NaiveDateTime {
    now + backoff(attempt)
}

/// Temporary failures are retried automatically this many times; after
/// that the payout is failed and waits for a person.
pub const MAX_AUTOMATIC_ATTEMPTS: u32 = 8;

/// A payout arrived: the solver's payable goes out through the provider.
pub fn payout_lines(user_id: &str, amount: i64, currency: &Currency) -> Vec<Line> {
    out_lines(AccountKind::SolverPayable, user_id, amount, currency)
}

/// A refund arrived: what the organisation was owed goes out through the
/// provider.
pub fn refund_lines(org_id: &str, amount: i64, currency: &Currency) -> Vec<Line> {
    out_lines(AccountKind::OrgFunding, org_id, amount, currency)
}

fn out_lines(kind: AccountKind, owner: &str, amount: i64, currency: &Currency) -> Vec<Line> {
    if amount <= 0 {
        return Vec::new();
    }
    vec![
        Line {
            account: AccountRef::new(kind, owner, currency),
            amount: -amount,
        },
        Line {
            account: AccountRef::new(AccountKind::ProviderClearing, PLATFORM, currency),
            amount,
        },
    ]
}

/// The idempotency key of a payout: one per award and team member, the same
/// on every attempt, so the provider never makes the transfer twice.
pub fn payout_key(award_id: &str, user_id: &str) -> String {
    format!("transfer:{award_id}:{user_id}")
}

/// The idempotency key of a challenge's refund (there is at most one).
pub fn refund_key(challenge_id: &str) -> String {
    format!("refund:{challenge_id}")
}

/// The idempotency key of the journal entry of a payout (`subject`
/// `payout`) or refund (`refund`) paid: one entry per row, whatever
/// retries; reconciliation finds the entry of a row by it.
pub fn paid_entry_key(subject: &str, id: &str) -> String {
    format!("{subject}-paid:{id}")
}

/// A reference typed by an admin: 1–200 visible characters.
pub fn parse_reference(raw: &str) -> Result<String, crate::error::FieldError> {
    let r = raw.trim();
    if r.is_empty() || r.chars().count() > REFERENCE_MAX || r.chars().any(char::is_control) {
        return Err(crate::error::FieldError::new(
            "reference",
            "invalid_reference",
            "Give the bank or provider reference (1–200 characters).",
        ));
    }
    Ok(r.to_owned())
}

/// A failure reason typed by an admin: 1–500 characters.
pub fn parse_failure(raw: &str) -> Result<String, crate::error::FieldError> {
    let r = raw.trim();
    if r.is_empty() || r.chars().count() > FAILURE_MAX {
        return Err(crate::error::FieldError::new(
            "reason",
            "invalid_reason",
            "Say why the payment failed (1–500 characters).",
        ));
    }
    Ok(r.to_owned())
}

pub const REFERENCE_MAX: usize = 200;
pub const FAILURE_MAX: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::model::check_balanced;
    use proptest::prelude::*;

    #[test]
    fn the_happy_path_and_a_retry() {
        assert_eq!(
            step(Status::Pending, Event::Submit),
            Ok(Step::To(Status::Submitted))
        );
        assert_eq!(
            step(Status::Submitted, Event::Fail),
            Ok(Step::To(Status::Failed))
        );
        assert_eq!(
            step(Status::Failed, Event::Submit),
            Ok(Step::To(Status::Submitted))
        );
        assert_eq!(
            step(Status::Submitted, Event::Confirm),
            Ok(Step::To(Status::Paid))
        );
        assert_eq!(step(Status::Paid, Event::Fail), Ok(Step::Already));
        assert_eq!(step(Status::Paid, Event::Confirm), Ok(Step::Already));
        assert!(step(Status::Pending, Event::Confirm).is_err());
    }

    #[test]
    fn settlement_needs_every_payout_and_the_refund() {
        assert!(settled(&[Status::Paid, Status::Paid], None));
        assert!(settled(&[Status::Paid], Some(Status::Paid)));
        assert!(!settled(&[Status::Paid, Status::Submitted], None));
        assert!(!settled(&[Status::Paid], Some(Status::Failed)));
        assert!(settled(&[], Some(Status::Paid)));
    }

    #[test]
    fn backoff_doubles_and_stops_at_six_hours() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(5), Duration::seconds(480));
        assert_eq!(backoff(40), Duration::seconds(6 * 3600));
    }

    #[test]
    fn payments_out_balance_and_zero_moves_nothing() {
        let eur = Currency::parse("c", "EUR").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(check_balanced(&payout_lines("u", 1234, &eur)), Ok(()));
        assert_eq!(check_balanced(&refund_lines("o", 1, &eur)), Ok(()));
        assert!(payout_lines("u", 0, &eur).is_empty());
    }

    #[test]
    fn references_are_checked() {
        assert_eq!(parse_reference("  SEPA-123 ").as_deref(), Ok("SEPA-123"));
        assert!(parse_reference(" ").is_err());
        assert!(parse_reference(&"x".repeat(201)).is_err());
        assert!(parse_reference("a\nb").is_err());
        assert!(parse_failure("IBAN closed").is_ok());
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![Just(Event::Submit), Just(Event::Confirm), Just(Event::Fail)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Whatever events arrive, in whatever order and however often: the
        /// payout is paid at most once, and once paid it stays paid.
        #[test]
        fn paid_happens_at_most_once_and_is_final(events in prop::collection::vec(event(), 0..40)) {
            let mut s = Status::Pending;
            let mut paid = 0;
            for e in events {
                match step(s, e) {
                    Ok(Step::To(next)) => {
                        prop_assert_ne!(s, Status::Paid);
                        if next == Status::Paid { paid += 1; }
                        s = next;
                    }
                    Ok(Step::Already) | Err(_) => {}
                }
            }
            prop_assert!(paid <= 1);
            if paid == 1 { prop_assert_eq!(s, Status::Paid); }
        }

        /// Only a submitted payout can be paid: money is never recorded as
        /// arrived without having been sent.
        #[test]
        fn paid_only_from_submitted(from in prop::sample::select(Status::ALL.to_vec()), e in event()) {
            if let Ok(Step::To(Status::Paid)) = step(from, e) {
                prop_assert_eq!(from, Status::Submitted);
                prop_assert_eq!(e, Event::Confirm);
            }
        }

        /// The retry schedule never shrinks.
        #[test]
        fn backoff_is_monotonic(a in 1u32..64) {
            prop_assert!(backoff(a + 1) >= backoff(a));
        }
    }
}
