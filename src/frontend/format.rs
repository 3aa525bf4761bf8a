//! One formatter for each thing the pages show people: times, money,
//! countdowns, percentages and file sizes, in English and French alike.

use chrono::{NaiveDateTime, SecondsFormat};

use crate::challenges::model::State;
use crate::i18n::{Language, Tr};
use crate::money::model::{Currency, Money};

/// A time for the pages: machine-readable and as UTC text (the small script
/// rewrites it in the viewer's time zone).
#[derive(Debug, Clone)]
pub struct Stamp {
    pub iso: String,
    pub text: String,
}

impl Stamp {
    /// The stamp of a UTC time.
    pub fn of(t: NaiveDateTime) -> Self {
        Stamp {
            iso: t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true),
            text: t.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// Money for people in the page's language: `5 000.00 EUR`, and
/// `5 000,00 EUR` in French.
pub fn money(t: Tr, m: &Money) -> String {
    let text = match Currency::parse("currency", &m.currency) {
        Ok(c) => c.format(m.amount),
        Err(_) => format!("{} {}", m.amount, m.currency),
    };
    match t.lang {
        Language::Fr => text.replace('.', ","),
        Language::En => text,
    }
}

/// Minor units of a currency code, for people (see [`money`]).
pub fn amount(t: Tr, minor: i64, currency: &str) -> String {
    money(
        t,
        &Money {
            amount: minor,
            currency: currency.to_owned(),
        },
    )
}

/// "Closes in 3 days", "closes in 5 hours"… while a challenge takes
/// submissions (or, for its organisation, before it opens); "Submissions
/// closed" once the deadline has passed or the challenge moved on. By the
/// server's clock.
pub fn countdown(t: Tr, state: State, deadline: NaiveDateTime, at: NaiveDateTime) -> String {
    if state == State::Cancelled {
        return t.get("countdown.cancelled").to_owned();
    }
    if !matches!(state, State::Open | State::Draft) || deadline <= at {
        return t.get("countdown.closed").to_owned();
    }
    let left = deadline - at;
    let (hours, minutes) = (left.num_hours(), left.num_minutes());
    if hours >= 48 {
        t.fmt("countdown.days", &[("n", &left.num_days().to_string())])
    } else if hours >= 2 {
        t.fmt("countdown.hours", &[("n", &hours.to_string())])
    } else if hours == 1 {
        t.get("countdown.one_hour").to_owned()
    } else if minutes >= 2 {
        t.fmt("countdown.minutes", &[("n", &minutes.to_string())])
    } else {
        t.get("countdown.now").to_owned()
    }
}

/// Whether an open challenge's deadline is under three days away: the
/// countdown stands out.
pub fn is_urgent(state: State, deadline: NaiveDateTime, at: NaiveDateTime) -> bool {
    state == State::Open && deadline > at && (deadline - at).num_hours() < 72
}

/// Basis points as a percentage for people: "50 %", "33,34 %" in French.
pub fn percent(t: Tr, bps: i32) -> String {
    let (whole, frac) = (bps / 100, (bps % 100).abs());
    let sep = if t.lang == Language::Fr { ',' } else { '.' };
    let n = if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}{sep}{frac:02}")
    };
    t.fmt("format.percent", &[("n", &n)])
}

/// A file size for people: "512 B", "12.3 KB", "4.5 MB" (units translated,
/// the French decimal comma).
pub fn human_size(t: Tr, bytes: i64) -> String {
    let sep = if t.lang == Language::Fr { "," } else { "." };
    let one = |x: f64| format!("{x:.1}").replace('.', sep);
    let b = bytes.max(0) as f64;
    if b < 1024.0 {
        t.fmt("format.size.bytes", &[("n", &bytes.max(0).to_string())])
    } else if b < 1024.0 * 1024.0 {
        t.fmt("format.size.kb", &[("n", &one(b / 1024.0))])
    } else {
        t.fmt("format.size.mb", &[("n", &one(b / (1024.0 * 1024.0)))])
    }
}

/// The first 12 hex digits of a hash, for tight spaces (the full value goes
/// in a `title` or next to it).
pub fn short_hash(hash: &str) -> String {
    let head: String = hash.chars().take(12).collect();
    if head.len() < hash.len() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default()
    }

    #[test]
    fn money_follows_the_language() {
        let m = Money {
            amount: 500_050,
            currency: "EUR".into(),
        };
        assert_eq!(money(Tr::new(Language::En), &m), "5\u{202f}000.50 EUR");
        assert_eq!(money(Tr::new(Language::Fr), &m), "5\u{202f}000,50 EUR");
        assert_eq!(
            amount(Tr::new(Language::Fr), 12_500, "JPY"),
            "12\u{202f}500 JPY"
        );
    }

    #[test]
    fn countdowns_read_naturally() {
        let t = Tr::new(Language::En);
        let d = |h: i64| t0() + chrono::Duration::hours(h);
        assert_eq!(
            countdown(t, State::Open, d(24 * 5), t0()),
            "Closes in 5 days"
        );
        assert_eq!(countdown(t, State::Open, d(5), t0()), "Closes in 5 hours");
        assert_eq!(countdown(t, State::Open, d(1), t0()), "Closes in 1 hour");
        assert_eq!(countdown(t, State::Open, d(-1), t0()), "Submissions closed");
        assert_eq!(
            countdown(t, State::Judging, d(5), t0()),
            "Submissions closed"
        );
        let fr = Tr::new(Language::Fr);
        assert_eq!(
            countdown(fr, State::Open, d(24 * 5), t0()),
            "Clôture dans 5 jours"
        );
        assert!(is_urgent(State::Open, d(5), t0()));
        assert!(!is_urgent(State::Open, d(24 * 5), t0()));
    }

    #[test]
    fn sizes_and_percentages_in_both_languages() {
        let (en, fr) = (Tr::new(Language::En), Tr::new(Language::Fr));
        assert_eq!(percent(en, 3334), "33.34%");
        assert_eq!(percent(fr, 3334), "33,34\u{a0}%");
        assert_eq!(percent(en, 5000), "50%");
        assert!(human_size(en, 1536).starts_with("1.5"));
        assert!(human_size(fr, 1536).starts_with("1,5"));
        assert_eq!(short_hash("0123456789abcdef"), "0123456789ab…");
    }
}
