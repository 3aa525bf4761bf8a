//! Outgoing webhook rules, pure: the events an endpoint may take, how a
//! delivery is signed, when a failed one is tried again and when it gives
//! up, and which addresses a webhook may never reach (SSRF).

use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The events an endpoint can subscribe to.
pub const EVENTS: &[&str] = &[
    "challenge.published",
    "challenge.closed",
    "submission.created",
    "round.closed",
    "results.published",
    "payout.paid",
];

/// Whether `name` is an event.
pub fn is_event(name: &str) -> bool {
    EVENTS.contains(&name)
}

/// The `Tribu-Signature` header of `body` sent at unix time `t`:
/// `t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    format!("t={t},v1={}", hex::encode(mac(secret, t, body)))
}

fn mac(secret: &str, t: i64, body: &str) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(format!("{t}.{body}").as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// What a receiver does (and the README shows): parse the header, refuse a
/// timestamp further than `tolerance_secs` from `now`, compare the MAC in
/// constant time.
pub fn verify(secret: &str, header: &str, body: &str, now: i64, tolerance_secs: i64) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now - t).abs() > tolerance_secs {
        return false;
    }
    sigs.iter().any(|s| {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        m.update(format!("{t}.{body}").as_bytes());
        m.verify_slice(s).is_ok()
    })
}

/// How long a delivery keeps being tried: three days from its first try.
pub const RETRY_WINDOW: Duration = Duration::days(3);

/// When a delivery whose attempt number `attempts` (1-based) failed at
/// `at`, first tried at `first`, is tried again: after 30 s, 1, 2, 4 … min,
/// at most 6 h apart; none once that would pass the retry window.
pub fn next_attempt(
    attempts: i32,
    first: NaiveDateTime,
    at: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let exp = (attempts.max(1) - 1).min(20) as u32;
    let wait = Duration::seconds((30i64 << exp).min(6 * 3600));
    let next = at + wait;
    (next <= first + RETRY_WINDOW).then_some(next)
}

/// Whether a webhook may reach `ip`: never loopback, private, link-local
/// (the cloud metadata address among them), shared (CGNAT), unspecified,
/// multicast, broadcast, documentation or unique-local addresses; an
/// IPv4-mapped IPv6 address is judged as its IPv4 address.
pub fn public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_address(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_signature_verifies_within_its_tolerance_only() {
        let h = signature("whsec", 1_000, "{\"a\":1}");
        assert!(h.starts_with("t=1000,v1="));
        assert!(verify("whsec", &h, "{\"a\":1}", 1_200, 300));
        assert!(!verify("whsec", &h, "{\"a\":1}", 1_400, 300), "too old");
        assert!(
            !verify("whsec", &h, "{\"a\":2}", 1_000, 300),
            "body changed"
        );
        assert!(
            !verify("other", &h, "{\"a\":1}", 1_000, 300),
            "wrong secret"
        );
        assert!(!verify("whsec", "v1=00", "{}", 1_000, 300), "no timestamp");
    }

    #[test]
    fn addresses_a_webhook_may_not_reach() {
        for bad in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.3.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            let ip: IpAddr = bad.parse().unwrap_or_else(|e| panic!("{bad}: {e}"));
            assert!(!public_address(ip), "{bad}");
        }
        for good in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            let ip: IpAddr = good.parse().unwrap_or_else(|e| panic!("{good}: {e}"));
            assert!(public_address(ip), "{good}");
        }
    }

    #[test]
    fn retries_back_off_and_stop_after_three_days() {
        let t0 = NaiveDateTime::default();
        assert_eq!(next_attempt(1, t0, t0), Some(t0 + Duration::seconds(30)));
        assert_eq!(next_attempt(2, t0, t0), Some(t0 + Duration::seconds(60)));
        assert_eq!(next_attempt(20, t0, t0), Some(t0 + Duration::hours(6)));
        assert_eq!(next_attempt(3, t0, t0 + Duration::days(3)), None);
    }

    proptest! {
        #[test]
        fn retries_never_pass_the_window(attempts in 1i32..60, elapsed in 0i64..400_000) {
            let t0 = NaiveDateTime::default();
            let at = t0 + Duration::seconds(elapsed);
            if let Some(n) = next_attempt(attempts, t0, at) {
                prop_assert!(n > at);
                prop_assert!(n <= t0 + RETRY_WINDOW);
            }
        }

        #[test]
        fn any_change_to_the_body_breaks_the_signature(body in ".{0,64}", extra in ".{1,8}") {
            let h = signature("s", 10, &body);
            prop_assert!(verify("s", &h, &body, 10, 300));
            let changed = format!("{body}{extra}");
            prop_assert!(!verify("s", &h, &changed, 10, 300));
        }
    }
}
