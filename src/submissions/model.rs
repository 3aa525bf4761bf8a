//! Submission rules, pure: prize shares, the money split they drive, file
//! names and types of attachments, the canonical content hash of a revision,
//! which revision is judged, and who may see a submission.

use chrono::NaiveDateTime;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::FieldError;

pub mod derivatives;
pub mod team;

/// Shares are basis points of the team's prize: they sum to this.
pub const WHOLE: i32 = 10_000;

/// The states of a submission.
pub mod state {
    /// Saved but not entered.
    pub const DRAFT: &str = "draft";
    /// Entered in the challenge.
    pub const SUBMITTED: &str = "submitted";
    /// Taken back by its team before the deadline.
    pub const WITHDRAWN: &str = "withdrawn";
    /// Removed by the organisation, with a reason.
    pub const DISQUALIFIED: &str = "disqualified";
}

/// Whether a submission in `state` counts against the per-solver limit.
pub fn counts_against_limit(state: &str) -> bool {
    matches!(state, state::DRAFT | state::SUBMITTED)
}

/// Equal shares for `n` members, the remainder going one point at a time to
/// the first members (so they always sum to 10,000).
pub fn equal_shares(n: usize) -> Vec<i32> {
    if n == 0 {
        return Vec::new();
    }
    let base = WHOLE / n as i32;
    let rem = (WHOLE - base * n as i32) as usize;
    (0..n).map(|i| base + i32::from(i < rem)).collect()
}

/// Checks proposed shares: one per member, none negative, summing to 10,000.
pub fn check_shares(field: &str, shares: &[i32], members: usize) -> Result<(), FieldError> {
    if shares.len() != members {
        return Err(FieldError::new(
            field,
            "shares_mismatch",
            "Give one share per team member.",
        ));
    }
    if shares.iter().any(|s| *s < 0)
        || shares.iter().map(|s| *s as i64).sum::<i64>() != WHOLE as i64
    {
        return Err(FieldError::new(
            field,
            "shares_sum",
            "Shares are basis points that must add up to 10,000.",
        ));
    }
    Ok(())
}

/// Splits `amount` minor units by basis-point shares with the largest
/// remainder rule: every minor unit is given to someone, ties to the earlier
/// member.
pub fn split(amount: i64, shares: &[i32]) -> Vec<i64> {
    if shares.is_empty() {
        return Vec::new();
    }
    let total: i64 = shares.iter().map(|s| *s as i64).sum();
    if total <= 0 {
        return vec![0; shares.len()];
    }
    let exact: Vec<(i64, i64)> = shares
        .iter()
        .map(|s| {
            let num = amount as i128 * *s as i128;
            ((num / total as i128) as i64, (num % total as i128) as i64)
        })
        .collect();
    let mut out: Vec<i64> = exact.iter().map(|(q, _)| *q).collect();
    let mut left = amount - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|a, b| exact[*b].1.cmp(&exact[*a].1).then(a.cmp(b)));
    for i in order.into_iter().cycle() {
        if left <= 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// A safe file name: the last path component, no control or reserved
/// characters, not hidden, at most 120 characters.
pub fn sanitize_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    // The crate misses some controls (DEL, C1); drop every one.
    let cleaned: String = sanitize_filename::sanitize(base)
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let trimmed: String = cleaned
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .chars()
        .take(120)
        .collect();
    if trimmed.is_empty() {
        "file".to_owned()
    } else {
        trimmed
    }
}

/// Types a browser could run as a page: never served as themselves.
const ACTIVE_TYPES: &[&str] = &[
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
];

/// The type of an attachment, decided from its bytes, not its name.
pub fn detect_type(bytes: &[u8]) -> String {
    let mut s = TypeSniffer::default();
    s.feed(bytes);
    s.finish()
}

/// How many leading bytes decide a type (magic numbers, markup).
const SNIFF_BYTES: usize = 8192;

/// [`detect_type`] over a file that arrives in chunks: it keeps the first
/// bytes and whether everything so far is UTF-8, never the whole file.
#[derive(Debug, Default, Clone)]
pub struct TypeSniffer {
    head: Vec<u8>,
    /// An incomplete UTF-8 sequence at the end of the last chunk.
    carry: Vec<u8>,
    not_utf8: bool,
}

impl TypeSniffer {
    /// Takes the next chunk.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if self.not_utf8 {
            return;
        }
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(chunk);
        match std::str::from_utf8(&buf) {
            Ok(_) => {}
            // Cut in the middle of a character: keep its start for the next chunk.
            Err(e) if e.error_len().is_none() => self.carry = buf[e.valid_up_to()..].to_vec(),
            Err(_) => self.not_utf8 = true,
        }
    }

    /// The type of everything fed.
    pub fn finish(self) -> String {
        let bytes = &self.head;
        if let Some(kind) = infer::get(bytes) {
            return kind.mime_type().to_owned();
        }
        let head: String = String::from_utf8_lossy(&bytes[..bytes.len().min(512)])
            .trim_start()
            .to_ascii_lowercase();
        if head.starts_with("<!doctype html")
            || head.starts_with("<html")
            || head.contains("<script")
        {
            return "text/html".to_owned();
        }
        if head.starts_with("<svg") || (head.starts_with("<?xml") && head.contains("<svg")) {
            return "image/svg+xml".to_owned();
        }
        if !self.not_utf8 && self.carry.is_empty() {
            return "text/plain".to_owned();
        }
        "application/octet-stream".to_owned()
    }
}

/// The type to serve an attachment with: active content goes out as plain
/// bytes, always as a download.
pub fn served_type(detected: &str) -> &str {
    if ACTIVE_TYPES.contains(&detected) {
        "application/octet-stream"
    } else if detected == "text/plain" {
        "text/plain; charset=utf-8"
    } else {
        detected
    }
}

/// SHA-256 of bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a revision contains, in the order it is hashed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Canonical<'a> {
    pub title: &'a str,
    #[serde(rename = "abstract")]
    pub abstract_text: &'a str,
    pub body: &'a str,
    pub licence: &'a str,
    pub copyright_holders: &'a str,
    /// The published solution this entry builds on. Left out when there is
    /// none, so the hashes of revisions made before sources existed hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builds_on: Option<&'a str>,
    /// `(file name, SHA-256)` of each attachment, sorted.
    pub attachments: Vec<(String, String)>,
}

impl Canonical<'_> {
    /// The SHA-256 of the canonical JSON: the proof of what was sent when.
    pub fn hash(&self) -> String {
        let mut c = self.clone();
        c.attachments.sort();
        sha256_hex(&serde_json::to_vec(&c).unwrap_or_default())
    }
}

/// The number of the revision judged: the last one made before the deadline.
pub fn judged_revision(revisions: &[(i32, NaiveDateTime)], deadline: NaiveDateTime) -> Option<i32> {
    revisions
        .iter()
        .filter(|(_, at)| *at < deadline)
        .max_by_key(|(n, _)| *n)
        .map(|(n, _)| *n)
}

/// How someone relates to a submission.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Viewer {
    pub team_member: bool,
    pub organiser: bool,
    pub assigned_judge: bool,
}

/// Who may see a submission: its team always; the organisation and its
/// assigned judges once it was entered (a draft that was never entered is
/// the team's alone); everyone once it is published. Everyone else gets 404,
/// so its existence does not leak.
pub fn can_view(v: Viewer, published: bool, entered: bool) -> bool {
    published || v.team_member || (entered && (v.organiser || v.assigned_judge))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equal_shares_sum_to_whole() {
        assert_eq!(equal_shares(3), vec![3334, 3333, 3333]);
        assert_eq!(equal_shares(1), vec![10_000]);
        assert!(check_shares("s", &[5000, 4000], 2).is_err());
        assert!(check_shares("s", &[5000, 5000], 2).is_ok());
        assert!(check_shares("s", &[10_000], 2).is_err());
    }

    #[test]
    fn file_names() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(sanitize_filename("report<1>.pdf"), "report1.pdf");
        assert_eq!(sanitize_filename(".."), "file");
        assert_eq!(sanitize_filename(".hidden"), "hidden");
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(detect_type(b"%PDF-1.7 ..."), "application/pdf");
        assert_eq!(
            detect_type(b"<!DOCTYPE html><script>x</script>"),
            "text/html"
        );
        assert_eq!(served_type("text/html"), "application/octet-stream");
        assert_eq!(detect_type(b"plain words"), "text/plain");
        assert_eq!(
            detect_type(&[0xff, 0xfe, 0x00, 0x81]),
            "application/octet-stream"
        );
        assert_eq!(
            detect_type(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]),
            "image/png"
        );
    }

    #[test]
    fn the_judged_revision_is_the_last_before_the_deadline() {
        let t = |s: i64| {
            chrono::DateTime::from_timestamp(1_800_000_000 + s, 0)
                .map(|d| d.naive_utc())
                .unwrap_or_default()
        };
        let revs = [(1, t(0)), (2, t(10)), (3, t(30))];
        assert_eq!(judged_revision(&revs, t(20)), Some(2));
        assert_eq!(judged_revision(&revs, t(0)), None);
    }

    proptest! {
        #[test]
        fn types_do_not_depend_on_how_a_file_is_cut(
            text in "\\PC{0,300}",
            binary in proptest::collection::vec(any::<u8>(), 0..300),
            cuts in proptest::collection::vec(0usize..400, 0..6),
            use_text in any::<bool>(),
        ) {
            let bytes: Vec<u8> = if use_text { text.into_bytes() } else { binary };
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.sort_unstable();
            let mut s = TypeSniffer::default();
            let mut from = 0;
            for c in cuts.into_iter().chain([bytes.len()]) {
                s.feed(&bytes[from..c]);
                from = c;
            }
            prop_assert_eq!(s.finish(), detect_type(&bytes));
            let whole_utf8 = std::str::from_utf8(&bytes).is_ok();
            if whole_utf8 && infer::get(&bytes).is_none() {
                prop_assert_ne!(detect_type(&bytes), "application/octet-stream");
            }
        }
    }

    #[test]
    fn confidentiality() {
        let organiser = Viewer {
            organiser: true,
            ..Default::default()
        };
        let team = Viewer {
            team_member: true,
            ..Default::default()
        };
        assert!(!can_view(Viewer::default(), false, true));
        assert!(can_view(Viewer::default(), true, true));
        assert!(can_view(team, false, false));
        assert!(can_view(organiser, false, true));
        // A draft never entered is the team's alone.
        assert!(!can_view(organiser, false, false));
    }

    #[test]
    fn the_hash_ignores_attachment_order_but_not_content() {
        let a = Canonical {
            title: "t",
            abstract_text: "a",
            body: "b",
            licence: "MIT",
            copyright_holders: "Ada",
            builds_on: None,
            attachments: vec![("x".into(), "1".into()), ("y".into(), "2".into())],
        };
        let mut b = a.clone();
        b.attachments.reverse();
        assert_eq!(a.hash(), b.hash());
        let c = Canonical {
            body: "B",
            ..a.clone()
        };
        assert_ne!(a.hash(), c.hash());
    }

    proptest! {
        #[test]
        fn splits_lose_no_minor_unit(amount in 0i64..1_000_000_000, n in 1usize..12, seed in proptest::collection::vec(0i32..10_000, 12)) {
            // Random shares that sum to 10,000.
            let mut shares: Vec<i32> = seed[..n].to_vec();
            let sum: i32 = shares.iter().sum();
            if sum == 0 { shares = equal_shares(n); } else {
                let mut acc = 0;
                for s in shares.iter_mut() { *s = (*s as i64 * 10_000 / sum as i64) as i32; acc += *s; }
                shares[0] += 10_000 - acc;
            }
            let parts = split(amount, &shares);
            prop_assert_eq!(parts.iter().sum::<i64>(), amount);
            for (p, s) in parts.iter().zip(&shares) {
                let exact = amount as f64 * *s as f64 / 10_000.0;
                prop_assert!((*p as f64 - exact).abs() < 1.0 + 1e-6, "{} vs {}", p, exact);
            }
        }

        #[test]
        fn equal_shares_always_sum(n in 1usize..200) {
            let s = equal_shares(n);
            prop_assert_eq!(s.iter().sum::<i32>(), WHOLE);
            prop_assert!(s.iter().max().unwrap_or(&0) - s.iter().min().unwrap_or(&0) <= 1);
        }

        #[test]
        fn sanitized_names_are_plain(raw in ".{0,200}") {
            let n = sanitize_filename(&raw);
            prop_assert!(!n.is_empty() && n.chars().count() <= 120);
            prop_assert!(!n.contains('/') && !n.contains('\\') && !n.starts_with('.'));
            prop_assert!(!n.chars().any(char::is_control));
        }
    }
}
