//! Outbox rules, pure: when to retry, when to give up.

use chrono::Duration;

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

    proptest! {
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
