//! Challenge rules, pure: the state machine, the deadline that closes a
//! challenge by the server's clock, field validation, licences, and the
//! listing cursor.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::money::model::Currency;

/// The life of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Draft,
    Open,
    Closed,
    Judging,
    Awarded,
    Settled,
    Cancelled,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Draft,
        State::Open,
        State::Closed,
        State::Judging,
        State::Awarded,
        State::Settled,
        State::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Open => "open",
            State::Closed => "closed",
            State::Judging => "judging",
            State::Awarded => "awarded",
            State::Settled => "settled",
            State::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether visitors can see a challenge in this state.
    pub fn is_public(self) -> bool {
        !matches!(self, State::Draft)
    }
}

/// What can happen to a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Publish,
    Close,
    StartJudging,
    Award,
    Settle,
    Cancel,
}

/// An event that the current state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: State,
    pub event: Event,
}

/// The transition table: the one place that says which state follows which.
pub fn transition(from: State, event: Event) -> Result<State, IllegalTransition> {
    use Event::*;
    use State::*;
    match (from, event) {
        (Draft, Publish) => Ok(Open),
        (Open, Close) => Ok(Closed),
        (Closed, StartJudging) => Ok(Judging),
        (Judging, Award) => Ok(Awarded),
        (Awarded, Settle) => Ok(Settled),
        (Draft | Open | Closed, Cancel) => Ok(Cancelled),
        _ => Err(IllegalTransition { from, event }),
    }
}

/// The state as the world sees it now: an open challenge whose submission
/// deadline has passed is closed, whether or not the worker has written it.
pub fn effective_state(
    stored: State,
    submission_deadline: NaiveDateTime,
    now: NaiveDateTime,
) -> State {
    if stored == State::Open && now >= submission_deadline {
        State::Closed
    } else {
        stored
    }
}

/// The kinds of challenge (InnoCentive's vocabulary, plus software and design).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Ideation,
    Theoretical,
    ReductionToPractice,
    Software,
    Design,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Ideation,
        Kind::Theoretical,
        Kind::ReductionToPractice,
        Kind::Software,
        Kind::Design,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ideation => "ideation",
            Kind::Theoretical => "theoretical",
            Kind::ReductionToPractice => "reduction_to_practice",
            Kind::Software => "software",
            Kind::Design => "design",
        }
    }

    pub fn parse(raw: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// Categories a challenge is filed under.
pub const CATEGORIES: &[&str] = &[
    "health",
    "environment",
    "energy",
    "water",
    "food",
    "education",
    "technology",
    "science",
    "social",
    "design",
    "other",
];

/// Who sees a challenge in lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Listed, searchable, in feeds.
    Public,
    /// Reachable by its link only.
    Unlisted,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
        }
    }
    pub fn parse(raw: &str) -> Option<Visibility> {
        match raw {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            _ => None,
        }
    }
}

/// Where a challenge is in the platform's review (when publishing needs approval).
pub mod review {
    pub const NONE: &str = "none";
    pub const PENDING: &str = "pending";
    pub const CHANGES_REQUESTED: &str = "changes_requested";
    pub const APPROVED: &str = "approved";
}

/// Text changes to an open challenge held until a platform admin approves
/// them, when the platform reviews challenges: the public page only ever
/// shows approved text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingTexts {
    pub summary: Option<String>,
    pub description: Option<String>,
    pub eligibility: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    /// A new rules version (Markdown), published on approval.
    pub rules: Option<String>,
}

impl PendingTexts {
    /// `later` over `self`: the newer proposal wins field by field.
    pub fn merge(self, later: PendingTexts) -> PendingTexts {
        PendingTexts {
            summary: later.summary.or(self.summary),
            description: later.description.or(self.description),
            eligibility: later.eligibility.or(self.eligibility),
            category: later.category.or(self.category),
            tags: later.tags.or(self.tags),
            rules: later.rules.or(self.rules),
        }
    }
}

/// The version a reviewer saw: a digest of every reviewed text, so an
/// approval names exactly what it approved and an edit made meanwhile is
/// not approved with it.
pub fn review_digest(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..12])
}

/// A licence from SPDX, with what people need to know about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Licence {
    /// The SPDX identifier, e.g. `CC-BY-4.0`.
    pub id: String,
    pub name: String,
    /// Where its text is.
    pub url: String,
    /// OSI-approved, or one of the open Creative Commons licences.
    pub open: bool,
}

/// Creative Commons licences that count as open (no NC, no ND).
fn open_creative_commons(id: &str) -> bool {
    id == "CC0-1.0" || (id.starts_with("CC-BY-") && !id.contains("-NC") && !id.contains("-ND"))
}

impl Licence {
    /// Looks up an SPDX licence id (case-insensitive).
    pub fn parse(raw: &str) -> Option<Licence> {
        let raw = raw.trim();
        // SPDX ids are matched case-insensitively, as the SPDX spec says.
        let id = spdx::license_id(raw).or_else(|| {
            spdx::identifiers::LICENSES
                .iter()
                .find(|l| l.name.eq_ignore_ascii_case(raw))
                .and_then(|l| spdx::license_id(l.name))
        })?;
        if id.is_deprecated() {
            return None;
        }
        Some(Licence {
            id: id.name.to_owned(),
            name: id.full_name.to_owned(),
            url: format!("https://spdx.org/licenses/{}.html", id.name),
            open: id.is_osi_approved() || open_creative_commons(id.name),
        })
    }
}

/// Parses the allowed licences: 1–10 known SPDX ids, at least one open.
pub fn parse_licences(field: &str, raw: &[String]) -> Result<Vec<Licence>, FieldError> {
    if raw.is_empty() || raw.len() > 10 {
        return Err(FieldError::new(
            field,
            "invalid_licences",
            "Allow between 1 and 10 licences.",
        ));
    }
    let mut out: Vec<Licence> = Vec::new();
    for r in raw {
        let l = Licence::parse(r).ok_or_else(|| {
            FieldError::new(
                field,
                "unknown_licence",
                format!("{r:?} is not an SPDX licence identifier."),
            )
        })?;
        if !out.iter().any(|o| o.id == l.id) {
            out.push(l);
        }
    }
    if !out.iter().any(|l| l.open) {
        return Err(FieldError::new(
            field,
            "no_open_licence",
            "Allow at least one open licence (OSI-approved, CC0, CC-BY or CC-BY-SA).",
        ));
    }
    Ok(out)
}

/// One prize tier as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TierInput {
    pub rank: i32,
    pub label: String,
    /// Minor units.
    pub amount: i64,
}

/// Checks prize tiers: 1–10 tiers, ranks 1..n without gaps, positive
/// amounts, a label each. Returns them sorted by rank.
pub fn check_tiers(field: &str, tiers: &[TierInput]) -> Result<Vec<TierInput>, FieldError> {
    if tiers.is_empty() || tiers.len() > 10 {
        return Err(FieldError::new(
            field,
            "invalid_tiers",
            "Offer between 1 and 10 prize tiers.",
        ));
    }
    let mut sorted = tiers.to_vec();
    sorted.sort_by_key(|t| t.rank);
    for (i, t) in sorted.iter().enumerate() {
        if t.rank != i as i32 + 1 {
            return Err(FieldError::new(
                field,
                "invalid_ranks",
                "Rank tiers 1, 2, 3… without gaps or repeats.",
            ));
        }
        if t.amount <= 0 || t.amount > 100_000_000_000 {
            return Err(FieldError::new(
                field,
                "invalid_amount",
                "Each prize must be a positive amount.",
            ));
        }
        let n = t.label.trim().chars().count();
        if n == 0 || n > 80 {
            return Err(FieldError::new(
                field,
                "invalid_label",
                "Give each tier a label of at most 80 characters.",
            ));
        }
    }
    Ok(sorted)
}

/// The total of the tiers (the prize pool).
pub fn pool(tiers: &[TierInput]) -> i64 {
    tiers.iter().map(|t| t.amount).sum()
}

/// Normalises tags: lowercase, `a-z0-9-`, 1–30 characters, at most 10, unique.
pub fn parse_tags(field: &str, raw: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for r in raw {
        let t: String = r
            .trim()
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_whitespace() || c == '_' {
                    '-'
                } else {
                    c
                }
            })
            .filter(|c| c.is_alphanumeric() || *c == '-')
            .collect();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 30 {
            return Err(FieldError::new(
                field,
                "invalid_tag",
                "Keep tags under 30 characters.",
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 10 {
        return Err(FieldError::new(
            field,
            "too_many_tags",
            "Use at most 10 tags.",
        ));
    }
    Ok(out)
}

/// Text length check in characters: at least `min` once trimmed, at most
/// `max` as sent (what the OpenAPI document's `minLength`/`maxLength` say,
/// so a schema-valid text is never too long and an overlong one never
/// passes).
pub fn check_text(field: &str, raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    let n = s.chars().count();
    if n < min {
        return Err(FieldError::new(
            field,
            if min <= 1 { "required" } else { "too_short" },
            format!("Write at least {min} characters."),
        ));
    }
    if raw.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("Write at most {max} characters."),
        ));
    }
    Ok(s.to_owned())
}

/// Checks the timeline: submissions close after they open and after now,
/// judging ends after submissions close.
pub fn check_timeline(
    opens_at: Option<NaiveDateTime>,
    submission_deadline: NaiveDateTime,
    judging_deadline: NaiveDateTime,
    now: NaiveDateTime,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if submission_deadline <= now {
        errors.push(FieldError::new(
            "submission_deadline",
            "in_the_past",
            "The submission deadline must be in the future.",
        ));
    }
    if let Some(o) = opens_at {
        if o >= submission_deadline {
            errors.push(FieldError::new(
                "opens_at",
                "after_deadline",
                "Opening must come before the submission deadline.",
            ));
        }
    }
    if judging_deadline <= submission_deadline {
        errors.push(FieldError::new(
            "judging_deadline",
            "before_submission_deadline",
            "Judging must end after submissions close.",
        ));
    }
    errors
}

/// A slug suggestion for a challenge title.
pub fn slug_from_title(title: &str) -> String {
    let s = crate::orgs::model::Slug::suggest(title);
    if s.len() < 3 {
        format!("challenge-{s}").trim_end_matches('-').to_owned()
    } else if crate::orgs::model::looks_like_id(&s) {
        format!("c-{s}")
    } else {
        s
    }
}

/// The orders a list can be sorted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    DeadlineSoonest,
    LargestPrize,
}

impl Sort {
    pub fn parse(raw: &str) -> Option<Sort> {
        match raw {
            "newest" => Some(Sort::Newest),
            "deadline" | "deadline_soonest" => Some(Sort::DeadlineSoonest),
            "prize" | "largest_prize" => Some(Sort::LargestPrize),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::DeadlineSoonest => "deadline_soonest",
            Sort::LargestPrize => "largest_prize",
        }
    }
}

/// Where a page of a list ended: the sort key of the last item and its id.
/// Keyset pagination, so items added meanwhile neither repeat nor vanish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub sort: Sort,
    /// Microseconds since the epoch for time sorts, minor units for prize.
    pub key: i64,
    pub id: String,
}

impl Cursor {
    /// Opaque text for clients.
    pub fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(raw: &str) -> Option<Cursor> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// Turns free text into a safe full-text query: words only, each matched as a
/// prefix, all required. `None` when nothing searchable is left.
pub fn search_terms(q: &str) -> Option<Vec<String>> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| w.to_lowercase())
        .collect();
    (!words.is_empty()).then_some(words)
}

/// Currency check re-exported for challenge forms.
pub fn parse_currency(field: &str, raw: &str) -> Result<Currency, FieldError> {
    Currency::parse(field, raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use proptest::prelude::*;

    fn t(s: i64) -> NaiveDateTime {
        DateTime::from_timestamp(1_800_000_000 + s, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default()
    }

    #[test]
    fn the_happy_path_and_cancellation() {
        let mut s = State::Draft;
        for e in [
            Event::Publish,
            Event::Close,
            Event::StartJudging,
            Event::Award,
            Event::Settle,
        ] {
            s = transition(s, e).unwrap_or(State::Draft);
        }
        assert_eq!(s, State::Settled);
        for from in [State::Draft, State::Open, State::Closed] {
            assert_eq!(transition(from, Event::Cancel), Ok(State::Cancelled));
        }
        for from in [
            State::Judging,
            State::Awarded,
            State::Settled,
            State::Cancelled,
        ] {
            assert!(transition(from, Event::Cancel).is_err());
        }
        assert!(transition(State::Open, Event::Publish).is_err());
    }

    #[test]
    fn a_passed_deadline_closes() {
        assert_eq!(effective_state(State::Open, t(10), t(9)), State::Open);
        assert_eq!(effective_state(State::Open, t(10), t(10)), State::Closed);
        assert_eq!(effective_state(State::Draft, t(10), t(11)), State::Draft);
    }

    #[test]
    fn licences() {
        let l = Licence::parse("cc-by-4.0").unwrap_or_else(|| panic!("CC-BY-4.0"));
        assert_eq!(l.id, "CC-BY-4.0");
        assert!(l.open && l.url.ends_with("CC-BY-4.0.html"));
        assert!(Licence::parse("MIT").is_some_and(|l| l.open));
        assert!(Licence::parse("CC-BY-NC-4.0").is_some_and(|l| !l.open));
        assert!(Licence::parse("Not-A-Licence").is_none());
        assert!(parse_licences("l", &["CC-BY-NC-4.0".into()]).is_err());
        assert!(parse_licences("l", &["CC-BY-NC-4.0".into(), "CC0-1.0".into()]).is_ok());
        assert!(parse_licences("l", &[]).is_err());
    }

    #[test]
    fn tiers() {
        let ok = vec![
            TierInput {
                rank: 2,
                label: "Runner-up".into(),
                amount: 100,
            },
            TierInput {
                rank: 1,
                label: "Winner".into(),
                amount: 500,
            },
        ];
        let sorted = check_tiers("t", &ok).unwrap_or_default();
        assert_eq!(sorted[0].rank, 1);
        assert_eq!(pool(&sorted), 600);
        let gap = vec![TierInput {
            rank: 2,
            label: "x".into(),
            amount: 1,
        }];
        assert!(check_tiers("t", &gap).is_err());
        let zero = vec![TierInput {
            rank: 1,
            label: "x".into(),
            amount: 0,
        }];
        assert!(check_tiers("t", &zero).is_err());
    }

    #[test]
    fn search_terms_are_words_only() {
        assert_eq!(
            search_terms("water \"OR\" filter*"),
            Some(vec!["water".into(), "or".into(), "filter".into()])
        );
        assert_eq!(search_terms("  ***  "), None);
    }

    fn any_state() -> impl Strategy<Value = State> {
        proptest::sample::select(State::ALL.to_vec())
    }
    fn any_event() -> impl Strategy<Value = Event> {
        proptest::sample::select(vec![
            Event::Publish,
            Event::Close,
            Event::StartJudging,
            Event::Award,
            Event::Settle,
            Event::Cancel,
        ])
    }

    proptest! {
        #[test]
        fn terminal_states_stay_terminal(s in any_state(), e in any_event()) {
            if matches!(s, State::Settled | State::Cancelled) {
                prop_assert!(transition(s, e).is_err());
            }
            if let Ok(next) = transition(s, e) {
                prop_assert_ne!(next, s);
                prop_assert_ne!(next, State::Draft);
            }
        }

        #[test]
        fn cursors_round_trip(key in any::<i64>(), id in "[a-f0-9-]{1,36}") {
            let c = Cursor { sort: Sort::LargestPrize, key, id };
            prop_assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }

        #[test]
        fn tags_are_normalised(raw in proptest::collection::vec("[A-Za-z0-9 _-]{0,20}", 0..10)) {
            if let Ok(tags) = parse_tags("t", &raw) {
                for t in tags {
                    prop_assert!(!t.is_empty());
                    prop_assert!(t.chars().all(|c| c.is_alphanumeric() || c == '-'));
                    prop_assert_eq!(t.to_lowercase(), t.clone());
                }
            }
        }
    }
}
