//! The step form of a challenge as typed: every field kept as text, so a
//! refused form comes back exactly as it was sent, and turned into the
//! service's input with the fields the page itself could not read
//! (amounts, dates, numbers) reported as field errors.

use chrono::NaiveDateTime;

use crate::challenges::model::{Kind, TierInput};
use crate::challenges::queries::{Challenge, Tier};
use crate::challenges::service::ChallengeInput;
use crate::error::FieldError;
use crate::frontend::forms::Pairs;
use crate::i18n::Tr;
use crate::money::model::{parse_typed_amount, typed_amount, Currency};

/// The common licences offered as checkboxes; others go in a text field.
pub(super) const COMMON_LICENCES: [&str; 5] =
    ["CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "MIT", "Apache-2.0"];
/// Tier rows shown on a new challenge.
pub(super) const TIER_ROWS: usize = 5;
/// Tier rows read from a form (the model allows up to 10).
const MAX_TIER_ROWS: usize = 10;
/// What a `datetime-local` input sends.
const DATETIME_LOCAL: &str = "%Y-%m-%dT%H:%M";

/// One prize tier row as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct TierRow {
    pub(super) rank: String,
    pub(super) label: String,
    /// In major units (`5000` or `5000.50` for EUR).
    pub(super) amount: String,
}

/// Every field of the step form, as typed, so a refused form comes back
/// exactly as it was sent.
#[derive(Debug, Clone, Default)]
pub(super) struct StepForm {
    pub(super) title: String,
    pub(super) slug: String,
    pub(super) summary: String,
    pub(super) description: String,
    pub(super) category: String,
    pub(super) kind: String,
    pub(super) tags: String,
    pub(super) currency: String,
    pub(super) tiers: Vec<TierRow>,
    pub(super) opens_at: String,
    pub(super) submission_deadline: String,
    pub(super) judging_deadline: String,
    pub(super) rules: String,
    /// Checked common licences.
    pub(super) licences: Vec<String>,
    /// Other SPDX ids, comma-separated.
    pub(super) other_licences: String,
    pub(super) eligibility: String,
    pub(super) max_submissions: String,
    pub(super) max_team: String,
    pub(super) blind_judging: bool,
    pub(super) visibility: String,
}

/// A `datetime-local` value read as UTC. `Ok(None)` when empty.
fn parse_utc(raw: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, ()> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDateTime::parse_from_str(s, DATETIME_LOCAL)
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map(|n| Some(n.and_utc()))
        .map_err(|_| ())
}

/// The value of a `datetime-local` input; seconds only when there are some
/// (set through the API), so saving the form does not move a date.
fn local_value(t: NaiveDateTime) -> String {
    if chrono::Timelike::second(&t) == 0 {
        t.format(DATETIME_LOCAL).to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

/// The minor units of a currency code (2 when unknown).
fn minor_units_of(code: &str) -> u32 {
    Currency::parse("currency", code)
        .map(|c| c.minor_units())
        .unwrap_or(2)
}

impl StepForm {
    /// How many tier rows show at once: the usual five, or up to the last
    /// filled one; the rest (up to ten, what the rules allow) wait behind
    /// "More tiers".
    pub(super) fn visible_tiers(&self) -> usize {
        let last_filled = self
            .tiers
            .iter()
            .rposition(|r| !r.label.trim().is_empty() || !r.amount.trim().is_empty())
            .map_or(0, |i| i + 1);
        last_filled.max(TIER_ROWS).min(self.tiers.len())
    }

    /// A new challenge's form with sensible defaults.
    pub(super) fn blank(t: Tr) -> Self {
        StepForm {
            kind: Kind::Ideation.as_str().to_owned(),
            currency: "EUR".to_owned(),
            tiers: (1..=MAX_TIER_ROWS)
                .map(|i| TierRow {
                    rank: i.to_string(),
                    ..TierRow::default()
                })
                .collect(),
            licences: vec!["CC-BY-4.0".to_owned()],
            eligibility: t.get("manage.form.eligibility_default").to_owned(),
            max_submissions: "1".to_owned(),
            max_team: "5".to_owned(),
            visibility: "public".to_owned(),
            ..StepForm::default()
        }
    }

    /// The form as sent.
    pub(super) fn from_pairs(p: &Pairs) -> Self {
        let mut tiers: Vec<TierRow> = (1..=MAX_TIER_ROWS)
            .map(|i| TierRow {
                rank: p.get(&format!("tier{i}_rank")),
                label: p.get(&format!("tier{i}_label")),
                amount: p.get(&format!("tier{i}_amount")),
            })
            .collect();
        for (i, row) in tiers.iter_mut().enumerate() {
            if row.rank.trim().is_empty() {
                row.rank = (i + 1).to_string();
            }
        }
        // Checked values that are not among the checkboxes (sent by hand or
        // by an older page) stay visible in the free text field.
        let (licences, extra): (Vec<String>, Vec<String>) = p
            .all("allowed_licences")
            .into_iter()
            .partition(|l| COMMON_LICENCES.iter().any(|c| c.eq_ignore_ascii_case(l)));
        let mut other_licences = p.get("other_licences");
        if !extra.is_empty() {
            let typed = other_licences.trim().trim_end_matches(',').to_owned();
            other_licences = std::iter::once(typed)
                .filter(|s| !s.is_empty())
                .chain(extra)
                .collect::<Vec<_>>()
                .join(", ");
        }
        StepForm {
            title: p.get("title"),
            slug: p.get("slug"),
            summary: p.get("summary"),
            description: p.get("description"),
            category: p.get("category"),
            kind: p.get("kind"),
            tags: p.get("tags"),
            currency: p.get("currency"),
            tiers,
            opens_at: p.get("opens_at"),
            submission_deadline: p.get("submission_deadline"),
            judging_deadline: p.get("judging_deadline"),
            rules: p.get("rules"),
            licences,
            other_licences,
            eligibility: p.get("eligibility"),
            max_submissions: p.get("max_submissions_per_solver"),
            max_team: p.get("max_team_size"),
            blind_judging: p.has("blind_judging"),
            visibility: p.get("visibility"),
        }
    }

    /// The form of an existing challenge.
    pub(super) fn from_challenge(ch: &Challenge, tiers: &[Tier], rules: &str) -> Self {
        let units = minor_units_of(&ch.currency);
        let mut rows: Vec<TierRow> = tiers
            .iter()
            .map(|t| TierRow {
                rank: t.rank.to_string(),
                label: t.label.clone(),
                amount: typed_amount(t.amount, units),
            })
            .collect();
        let mut next = rows.len() + 1;
        while rows.len() < MAX_TIER_ROWS {
            rows.push(TierRow {
                rank: next.to_string(),
                ..TierRow::default()
            });
            next += 1;
        }
        let ids = ch.licence_ids();
        let (common, other): (Vec<String>, Vec<String>) = ids
            .into_iter()
            .partition(|l| COMMON_LICENCES.contains(&l.as_str()));
        StepForm {
            title: ch.title.clone(),
            slug: ch.slug.clone(),
            summary: ch.summary.clone(),
            description: ch.description_md.clone(),
            category: ch.category.clone(),
            kind: ch.kind.clone(),
            tags: ch.tag_list().join(", "),
            currency: ch.currency.clone(),
            tiers: rows,
            opens_at: ch.opens_at.map(local_value).unwrap_or_default(),
            submission_deadline: local_value(ch.submission_deadline),
            judging_deadline: local_value(ch.judging_deadline),
            rules: rules.to_owned(),
            licences: common,
            other_licences: other.join(", "),
            eligibility: ch.eligibility.clone(),
            max_submissions: ch.max_submissions_per_solver.to_string(),
            max_team: ch.max_team_size.to_string(),
            blind_judging: ch.blind_judging,
            visibility: ch.visibility.clone(),
        }
    }

    /// Takes the fields an open challenge may still change from `p`.
    pub(super) fn with_texts_from(mut self, p: &Pairs) -> Self {
        self.summary = p.get("summary");
        self.description = p.get("description");
        self.category = p.get("category");
        self.tags = p.get("tags");
        self.eligibility = p.get("eligibility");
        self
    }

    /// The service input, and the fields the page itself could not read
    /// (amounts, dates, numbers). With `texts_only`, only the fields an open
    /// challenge may change are sent.
    pub(super) fn to_input(&self, texts_only: bool) -> (ChallengeInput, Vec<FieldError>) {
        let tags: Vec<String> = self
            .tags
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let mut input = ChallengeInput {
            summary: Some(self.summary.clone()),
            description: Some(self.description.clone()),
            category: Some(self.category.clone()),
            tags: Some(tags),
            eligibility: Some(self.eligibility.clone()),
            ..ChallengeInput::default()
        };
        let mut errors = Vec::new();
        if texts_only {
            return (input, errors);
        }
        input.title = Some(self.title.clone());
        input.slug = Some(self.slug.trim().to_owned()).filter(|s| !s.is_empty());
        input.kind = Some(self.kind.clone());
        input.currency = Some(self.currency.clone());
        input.visibility = Some(self.visibility.clone());
        input.rules = Some(self.rules.clone());
        input.blind_judging = Some(self.blind_judging);
        let units = minor_units_of(&self.currency);
        let mut tiers = Vec::new();
        for (i, row) in self.tiers.iter().enumerate() {
            if row.label.trim().is_empty() && row.amount.trim().is_empty() {
                continue;
            }
            let rank = match row.rank.trim() {
                "" => Some(i as i32 + 1),
                r => r.parse::<i32>().ok(),
            };
            let Some(rank) = rank else {
                errors.push(FieldError::new(
                    "prize_tiers",
                    "invalid_ranks",
                    "Ranks are whole numbers.",
                ));
                continue;
            };
            match parse_typed_amount(&row.amount, units) {
                Ok(Some(amount)) => tiers.push(TierInput {
                    rank,
                    label: row.label.clone(),
                    amount,
                }),
                Ok(None) => errors.push(FieldError::new(
                    "prize_tiers",
                    "invalid_amount",
                    "Give each tier an amount.",
                )),
                Err(()) => errors.push(FieldError::new(
                    "prize_tiers",
                    "invalid_amount_format",
                    "Write amounts like 5000 or 5000.50.",
                )),
            }
        }
        input.prize_tiers = Some(tiers);
        for (field, raw, slot) in [
            ("opens_at", &self.opens_at, &mut input.opens_at),
            (
                "submission_deadline",
                &self.submission_deadline,
                &mut input.submission_deadline,
            ),
            (
                "judging_deadline",
                &self.judging_deadline,
                &mut input.judging_deadline,
            ),
        ] {
            match parse_utc(raw) {
                Ok(v) => *slot = v,
                Err(()) => errors.push(FieldError::new(
                    field,
                    "invalid_datetime",
                    "Not a date and time.",
                )),
            }
        }
        let mut licences: Vec<String> = self.licences.clone();
        licences.extend(
            self.other_licences
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
        );
        input.allowed_licences = Some(licences);
        for (field, raw, slot) in [
            (
                "max_submissions_per_solver",
                &self.max_submissions,
                &mut input.max_submissions_per_solver,
            ),
            ("max_team_size", &self.max_team, &mut input.max_team_size),
        ] {
            match raw.trim() {
                "" => {}
                s => match s.parse::<i32>() {
                    Ok(n) => *slot = Some(n),
                    Err(_) => errors.push(FieldError::new(
                        field,
                        "invalid_number",
                        "Not a whole number.",
                    )),
                },
            }
        }
        (input, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_local_values_are_utc() {
        let t = parse_utc("2031-03-04T05:06")
            .ok()
            .flatten()
            .map(|d| d.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2031-03-04T05:06:00+00:00"));
        assert_eq!(parse_utc(""), Ok(None));
        assert!(parse_utc("04/03/2031").is_err());
    }

    fn pairs(list: &[(&str, &str)]) -> Pairs {
        Pairs(
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn the_form_becomes_a_challenge_input() {
        let p = pairs(&[
            ("title", "Clean water"),
            ("currency", "EUR"),
            ("tier1_rank", "1"),
            ("tier1_label", "Winner"),
            ("tier1_amount", "5000"),
            ("tier2_rank", "2"),
            ("tier2_label", ""),
            ("tier2_amount", ""),
            ("submission_deadline", "2031-01-01T12:00"),
            ("judging_deadline", "2031-02-01T12:00"),
            ("allowed_licences", "CC-BY-4.0"),
            ("allowed_licences", "MIT"),
            ("other_licences", "MPL-2.0, "),
            ("tags", "water, filtration ,"),
            ("max_team_size", "3"),
            ("blind_judging", "true"),
        ]);
        let f = StepForm::from_pairs(&p);
        // Every row the rules allow is on the form; five show at once.
        assert_eq!(f.tiers.len(), MAX_TIER_ROWS);
        assert_eq!(f.visible_tiers(), TIER_ROWS);
        let (input, errors) = f.to_input(false);
        assert!(errors.is_empty(), "{errors:?}");
        let tiers = input.prize_tiers.unwrap_or_default();
        assert_eq!(tiers.len(), 1);
        assert_eq!(tiers[0].amount, 500_000);
        assert_eq!(
            input.allowed_licences.unwrap_or_default(),
            vec!["CC-BY-4.0", "MIT", "MPL-2.0"]
        );
        assert_eq!(input.tags.unwrap_or_default(), vec!["water", "filtration"]);
        assert_eq!(input.max_team_size, Some(3));
        assert_eq!(input.max_submissions_per_solver, None);
        assert_eq!(input.blind_judging, Some(true));
        assert_eq!(input.slug, None);
        assert!(input.opens_at.is_none() && input.submission_deadline.is_some());
    }

    #[test]
    fn tiers_past_the_fifth_stay_in_view_once_filled() {
        let mut list = vec![("title", "Many prizes")];
        let labels: Vec<(String, String)> = (1..=7)
            .map(|i| (format!("tier{i}_label"), format!("Prize {i}")))
            .collect();
        for (k, v) in &labels {
            list.push((k.as_str(), v.as_str()));
        }
        let f = StepForm::from_pairs(&pairs(&list));
        assert_eq!(f.visible_tiers(), 7);
        assert_eq!(f.tiers.len(), MAX_TIER_ROWS);
    }

    #[test]
    fn unreadable_values_are_field_errors() {
        let p = pairs(&[
            ("currency", "JPY"),
            ("tier1_label", "Winner"),
            ("tier1_amount", "10.5"),
            ("opens_at", "soon"),
            ("max_submissions_per_solver", "two"),
        ]);
        let (_, errors) = StepForm::from_pairs(&p).to_input(false);
        let fields: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert!(fields.contains(&("prize_tiers", "invalid_amount_format")));
        assert!(fields.contains(&("opens_at", "invalid_datetime")));
        assert!(fields.contains(&("max_submissions_per_solver", "invalid_number")));
    }

    #[test]
    fn an_open_challenge_sends_only_its_texts() {
        let p = pairs(&[
            ("title", "New title"),
            ("summary", "A longer summary"),
            ("currency", "USD"),
        ]);
        let (input, errors) = StepForm::from_pairs(&p).to_input(true);
        assert!(errors.is_empty());
        assert!(input.summary.is_some() && input.description.is_some() && input.tags.is_some());
        assert!(input.title.is_none() && input.currency.is_none() && input.prize_tiers.is_none());
        assert!(
            input.rules.is_none()
                && input.allowed_licences.is_none()
                && input.blind_judging.is_none()
        );
        assert!(
            input.submission_deadline.is_none()
                && input.visibility.is_none()
                && input.kind.is_none()
        );
    }

    #[test]
    fn a_challenge_fills_the_form_and_round_trips() {
        let at = chrono::DateTime::from_timestamp(1_900_000_000, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default();
        let ch = Challenge {
            id: "c1".into(),
            org_id: "o1".into(),
            slug: "clean-water".into(),
            title: "Clean water".into(),
            summary: "Filter water for less".into(),
            description_md: "# Hi".into(),
            category: "water".into(),
            tags: "water filtration".into(),
            kind: "design".into(),
            currency: "EUR".into(),
            prize_total: 750_050,
            state: "draft".into(),
            visibility: "unlisted".into(),
            opens_at: None,
            submission_deadline: at,
            judging_deadline: at,
            eligibility: "Everyone".into(),
            allowed_licences: "CC-BY-4.0 MPL-2.0".into(),
            max_submissions_per_solver: 2,
            max_team_size: 4,
            blind_judging: true,
            rules_version: 1,
            review_state: "none".into(),
            review_comment: None,
            created_by: "u1".into(),
            created_at: at,
            updated_at: at,
            published_at: None,
            max_attachment_bytes: None,
            max_submission_bytes: None,
            pending_changes: None,
        };
        let tiers = vec![
            Tier {
                id: "t1".into(),
                rank: 1,
                label: "Winner".into(),
                amount: 500_000,
            },
            Tier {
                id: "t2".into(),
                rank: 2,
                label: "Runner-up".into(),
                amount: 250_050,
            },
        ];
        let f = StepForm::from_challenge(&ch, &tiers, "The rules of the challenge.");
        assert_eq!(f.tiers.len(), MAX_TIER_ROWS);
        assert_eq!(f.tiers[1].amount, "2500.50");
        assert_eq!(f.tiers[2].rank, "3");
        assert_eq!(f.licences, vec!["CC-BY-4.0"]);
        assert_eq!(f.other_licences, "MPL-2.0");
        assert_eq!(f.tags, "water, filtration");
        let (input, errors) = f.to_input(false);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(input.prize_tiers.map(|t| model_pool(&t)), Some(750_050));
        assert_eq!(input.submission_deadline.map(|d| d.naive_utc()), Some(at));
        assert_eq!(input.slug.as_deref(), Some("clean-water"));
    }

    fn model_pool(t: &[TierInput]) -> i64 {
        crate::challenges::model::pool(t)
    }
}
