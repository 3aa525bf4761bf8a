//! Ranking: from scorecards to a leaderboard, and how much judges agree.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

/// A submitted scorecard, reduced to what ranking needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub judge: String,
    pub entry: String,
    /// The weighted score, 0–100 ([`weighted_score`]).
    pub score: f64,
    /// Raw score per criterion id.
    pub criteria: BTreeMap<String, i32>,
}

/// An entry's place on the leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Standing {
    pub entry: String,
    /// 1 for the best; equal scores share the earlier final revision's rank
    /// order but never a rank.
    pub rank: usize,
    /// Mean of the judges' weighted scores, 0–100.
    pub raw: f64,
    /// Mean after per-judge normalisation (equal to `raw` when it is off).
    pub normalised: f64,
    /// Judges who scored it.
    pub judges: usize,
    /// Population standard deviation of its judges' scores (0–100 scale).
    pub spread: f64,
    /// Mean raw score per criterion id.
    pub criteria: BTreeMap<String, f64>,
}

/// Judges with fewer scored entries than this keep their raw scores when
/// normalisation is on: a mean and spread of one or two scores say nothing.
pub const MIN_CARDS_TO_NORMALISE: usize = 3;

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

fn sd(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64).sqrt()
}

/// Rounds to 4 decimals: results are shown and compared at that precision,
/// so the order of floating-point sums cannot change a ranking.
fn r4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Each judge's scores rescaled to z-scores against that judge's own mean
/// and spread, then back onto the panel's mean and spread: a lenient or
/// harsh judge no longer moves an entry by being lenient or harsh. Judges
/// with fewer than [`MIN_CARDS_TO_NORMALISE`] cards, or who gave every
/// entry the same score, are placed at the panel mean (z = 0) only in the
/// second case; the first keep their raw scores.
pub fn normalise(cards: &[Card]) -> Vec<f64> {
    let all: Vec<f64> = cards.iter().map(|c| c.score).collect();
    let (pm, psd) = (mean(&all), sd(&all));
    let mut by_judge: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for c in cards {
        by_judge.entry(&c.judge).or_default().push(c.score);
    }
    let stats: BTreeMap<&str, (usize, f64, f64)> = by_judge
        .iter()
        .map(|(j, xs)| (*j, (xs.len(), mean(xs), sd(xs))))
        .collect();
    cards
        .iter()
        .map(|c| match stats.get(c.judge.as_str()) {
            Some(&(n, m, s)) if n >= MIN_CARDS_TO_NORMALISE => {
                let z = if s > 1e-9 { (c.score - m) / s } else { 0.0 };
                pm + z * psd
            }
            _ => c.score,
        })
        .collect()
}

/// The leaderboard: per entry the mean of its judges' scores (normalised
/// when asked), ranked best first; equal scores rank the entry whose final
/// revision came first higher (then by id, so the order is total).
/// The result does not depend on the order of `cards`.
pub fn leaderboard(
    cards: &[Card],
    normalised: bool,
    final_revision_at: &HashMap<String, NaiveDateTime>,
) -> Vec<Standing> {
    let mut cards = cards.to_vec();
    cards.sort_by(|a, b| (&a.entry, &a.judge).cmp(&(&b.entry, &b.judge)));
    let norm = if normalised {
        normalise(&cards)
    } else {
        cards.iter().map(|c| c.score).collect()
    };
    let mut per_entry: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in cards.iter().enumerate() {
        per_entry.entry(&c.entry).or_default().push(i);
    }
    let mut rows: Vec<Standing> = per_entry
        .into_iter()
        .map(|(entry, idx)| {
            let raws: Vec<f64> = idx.iter().map(|&i| cards[i].score).collect();
            let norms: Vec<f64> = idx.iter().map(|&i| norm[i]).collect();
            let mut crit: BTreeMap<String, Vec<f64>> = BTreeMap::new();
            for &i in &idx {
                for (k, v) in &cards[i].criteria {
                    crit.entry(k.clone()).or_default().push(f64::from(*v));
                }
            }
            Standing {
                entry: entry.to_owned(),
                rank: 0,
                raw: r4(mean(&raws)),
                normalised: r4(mean(&norms)),
                judges: idx.len(),
                spread: r4(sd(&raws)),
                criteria: crit.into_iter().map(|(k, v)| (k, r4(mean(&v)))).collect(),
            }
        })
        .collect();
    let far = NaiveDateTime::MAX;
    rows.sort_by(|a, b| {
        let key = |s: &Standing| if normalised { s.normalised } else { s.raw };
        key(b)
            .total_cmp(&key(a))
            .then_with(|| {
                let ta = final_revision_at.get(&a.entry).unwrap_or(&far);
                let tb = final_revision_at.get(&b.entry).unwrap_or(&far);
                ta.cmp(tb)
            })
            .then_with(|| a.entry.cmp(&b.entry))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    rows
}

/// Krippendorff's alpha for interval data: 1 − observed disagreement /
/// expected disagreement, over the entries scored by at least two judges.
/// 1 is perfect agreement, 0 agreement no better than chance. `None` when
/// fewer than two entries have two scores, or every score is the same.
pub fn krippendorff_alpha(units: &[Vec<f64>]) -> Option<f64> {
    let pairable: Vec<&Vec<f64>> = units.iter().filter(|u| u.len() >= 2).collect();
    let n: usize = pairable.iter().map(|u| u.len()).sum();
    if pairable.len() < 2 || n < 2 {
        return None;
    }
    // Σ over ordered pairs i≠j of (a_i − a_j)² equals 2m·Σ(a − ā)²: one
    // pass instead of m² (30,000 values make 900 million pairs otherwise).
    let pair_sum = |values: &mut dyn Iterator<Item = f64>| -> f64 {
        let v: Vec<f64> = values.collect();
        let m = v.len() as f64;
        let mean = v.iter().sum::<f64>() / m;
        2.0 * m * v.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>()
    };
    let mut d_o = 0.0;
    for u in &pairable {
        d_o += pair_sum(&mut u.iter().copied()) / (u.len() as f64 - 1.0);
    }
    d_o /= n as f64;
    let mut d_e = pair_sum(&mut pairable.iter().flat_map(|u| u.iter().copied()));
    d_e /= (n * (n - 1)) as f64;
    if d_e <= 1e-12 {
        return None;
    }
    Some(r4(1.0 - d_o / d_e))
}

/// How much the judges agree, in plain words (thresholds after
/// Krippendorff: 0.8 reliable, 0.667 tentative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    /// α ≥ 0.8
    Strong,
    /// 0.667 ≤ α < 0.8
    Fair,
    /// 0.4 ≤ α < 0.667
    Partial,
    /// α < 0.4
    Weak,
}

impl Agreement {
    pub fn of(alpha: f64) -> Self {
        if alpha >= 0.8 {
            Agreement::Strong
        } else if alpha >= 0.667 {
            Agreement::Fair
        } else if alpha >= 0.4 {
            Agreement::Partial
        } else {
            Agreement::Weak
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Agreement::Strong => "strong",
            Agreement::Fair => "fair",
            Agreement::Partial => "partial",
            Agreement::Weak => "weak",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judging::model::SplitMix64;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn agreement_is_krippendorffs_alpha() {
        // Perfect agreement.
        let same = vec![vec![10.0, 10.0], vec![50.0, 50.0], vec![90.0, 90.0]];
        assert_eq!(krippendorff_alpha(&same), Some(1.0));
        // By hand: units (1,2) and (3,4); D_o = (2 + 2) / 4 = 1 (each unit's
        // ordered pairs, over m − 1 = 1, over n = 4 values); D_e = 40 / 12
        // (the 12 ordered pairs of all values); alpha = 1 − 1 / (40/12) = 0.7.
        let a = krippendorff_alpha(&[vec![1.0, 2.0], vec![3.0, 4.0]]);
        assert_eq!(a, Some(0.7));
        assert_eq!(krippendorff_alpha(&[vec![1.0, 2.0]]), None);
        assert_eq!(Agreement::of(0.85), Agreement::Strong);
        assert_eq!(Agreement::of(0.5), Agreement::Partial);
    }

    #[test]
    fn ties_go_to_the_earlier_final_revision() {
        let card = |j: &str, e: &str, s: f64| Card {
            judge: j.into(),
            entry: e.into(),
            score: s,
            criteria: BTreeMap::new(),
        };
        let t = |s: i64| {
            chrono::DateTime::from_timestamp(s, 0)
                .map(|d| d.naive_utc())
                .unwrap_or_default()
        };
        let when: HashMap<String, NaiveDateTime> =
            [("late".to_string(), t(200)), ("early".to_string(), t(100))].into();
        let board = leaderboard(
            &[card("j", "late", 80.0), card("j", "early", 80.0)],
            false,
            &when,
        );
        assert_eq!(board[0].entry, "early");
        assert_eq!((board[0].rank, board[1].rank), (1, 2));
    }

    /// Krippendorff's alpha (interval) straight from its definition, over
    /// every ordered pair: the oracle for the one-pass version.
    fn alpha_by_pairs(units: &[Vec<f64>]) -> Option<f64> {
        let pairable: Vec<&Vec<f64>> = units.iter().filter(|u| u.len() >= 2).collect();
        let n: usize = pairable.iter().map(|u| u.len()).sum();
        if pairable.len() < 2 || n < 2 {
            return None;
        }
        let pairs = |v: &[f64]| {
            let mut s = 0.0;
            for (i, a) in v.iter().enumerate() {
                for (j, b) in v.iter().enumerate() {
                    if i != j {
                        s += (a - b) * (a - b);
                    }
                }
            }
            s
        };
        let d_o = pairable
            .iter()
            .map(|u| pairs(u) / (u.len() as f64 - 1.0))
            .sum::<f64>()
            / n as f64;
        let all: Vec<f64> = pairable.iter().flat_map(|u| u.iter().copied()).collect();
        let d_e = pairs(&all) / (n * (n - 1)) as f64;
        (d_e > 1e-12).then(|| r4(1.0 - d_o / d_e))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// The one-pass alpha is the definition's.
        #[test]
        fn alpha_in_one_pass_is_alpha_by_pairs(
            units in proptest::collection::vec(
                proptest::collection::vec(0u8..=100, 0..5), 0..12)
        ) {
            let units: Vec<Vec<f64>> = units
                .into_iter()
                .map(|u| u.into_iter().map(f64::from).collect())
                .collect();
            let fast = krippendorff_alpha(&units);
            let slow = alpha_by_pairs(&units);
            match (fast, slow) {
                (Some(a), Some(b)) => prop_assert!((a - b).abs() <= 1.0001e-4, "{a} vs {b}"),
                (a, b) => prop_assert_eq!(a, b),
            }
        }

        /// The leaderboard does not depend on the order of the scorecards.
        #[test]
        fn aggregation_ignores_order(
            scores in proptest::collection::vec((0usize..4, 0usize..6, 0u32..=100), 1..30),
            normalised in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let mut seen = BTreeSet::new();
            let cards: Vec<Card> = scores.into_iter()
                .filter(|(j, e, _)| seen.insert((*j, *e)))
                .map(|(j, e, s)| Card { judge: format!("j{j}"), entry: format!("e{e}"), score: f64::from(s), criteria: BTreeMap::new() })
                .collect();
            let mut shuffled = cards.clone();
            SplitMix64(seed).shuffle(&mut shuffled);
            let when = HashMap::new();
            prop_assert_eq!(leaderboard(&cards, normalised, &when), leaderboard(&shuffled, normalised, &when));
        }

        /// Normalisation makes a judge who scores every entry two points
        /// higher than another indistinguishable from them.
        #[test]
        fn a_lenient_judge_is_corrected(
            base in proptest::collection::vec(0u32..=90, 3..10),
            shift in 1u32..=10,
        ) {
            let mut cards = Vec::new();
            for (i, s) in base.iter().enumerate() {
                cards.push(Card { judge: "strict".into(), entry: format!("e{i}"), score: f64::from(*s), criteria: BTreeMap::new() });
                cards.push(Card { judge: "lenient".into(), entry: format!("e{i}"), score: f64::from(*s + shift), criteria: BTreeMap::new() });
            }
            let n = normalise(&cards);
            for pair in n.chunks(2) {
                prop_assert!((pair[0] - pair[1]).abs() < 1e-9, "{:?}", pair);
            }
        }
    }
}
