//! Blind rounds' neutral codes, and prizes from a ranking.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::FieldError;

/// Stable neutral codes for a round's entries (`E-001`, `E-002`, …): the
/// order comes from a hash of the round and the entry, so it says nothing
/// about who entered first, and it stays the same each time it is computed.
pub fn neutral_codes(round_id: &str, entries: &[String]) -> BTreeMap<String, String> {
    let mut keyed: Vec<(String, &String)> = entries
        .iter()
        .map(|e| {
            let h = Sha256::digest(format!("{round_id}/{e}").as_bytes());
            (hex::encode(h), e)
        })
        .collect();
    keyed.sort();
    let width = entries.len().to_string().len().max(3);
    keyed
        .into_iter()
        .enumerate()
        .map(|(i, (_, e))| (e.clone(), format!("E-{:0width$}", i + 1)))
        .collect()
}

/// A neutral name for an attachment in a blind round: `attachment-2.pdf`
/// (the extension kept when it is short and plain, so it still opens).
pub fn neutral_file_name(index: usize, original: &str) -> String {
    let ext = original
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| (1..=5).contains(&e.len()) && e.chars().all(|c| c.is_ascii_alphanumeric()));
    match ext {
        Some(e) => format!("attachment-{index}.{e}"),
        None => format!("attachment-{index}"),
    }
}

// ---- prizes ----

/// A prize tier (from the challenge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub rank: i32,
    pub amount: i64,
}

/// The organisation's decision for one tier: the entries that win it (one,
/// several tied entries sharing it, or none when it is withheld).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TierDecision {
    pub rank: i32,
    /// Entry ids; empty to withhold the tier.
    pub entries: Vec<String>,
}

/// What one entry receives from one tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Prize {
    pub tier_rank: i32,
    pub entry: String,
    pub amount: i64,
}

/// Checks the organisation's mapping of the ranking onto the tiers and
/// returns each winning entry's prize. A tier split between entries is
/// divided equally with the largest-remainder rule (the earlier-ranked entry
/// gets a leftover minor unit first). An entry wins at most one tier; every
/// tier is decided exactly once; only ranked entries win.
pub fn prizes(
    tiers: &[Tier],
    decisions: &[TierDecision],
    ranked: &[String],
) -> Result<Vec<Prize>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut seen_entries = BTreeSet::new();
    let mut seen_tiers = BTreeSet::new();
    let position: HashMap<&str, usize> = ranked
        .iter()
        .enumerate()
        .map(|(i, e)| (e.as_str(), i))
        .collect();
    let mut out = Vec::new();
    for (i, d) in decisions.iter().enumerate() {
        let Some(tier) = tiers.iter().find(|t| t.rank == d.rank) else {
            errors.push(FieldError::new(
                &format!("tiers[{i}].rank"),
                "unknown_tier",
                "No prize tier has this rank.",
            ));
            continue;
        };
        if !seen_tiers.insert(d.rank) {
            errors.push(FieldError::new(
                &format!("tiers[{i}].rank"),
                "duplicate_tier",
                "Each tier is decided once.",
            ));
            continue;
        }
        let mut winners: Vec<&String> = Vec::new();
        for e in &d.entries {
            if !position.contains_key(e.as_str()) {
                errors.push(FieldError::new(
                    &format!("tiers[{i}].entries"),
                    "not_ranked",
                    "Only entries on the final leaderboard can win.",
                ));
            } else if !seen_entries.insert(e.clone()) {
                errors.push(FieldError::new(
                    &format!("tiers[{i}].entries"),
                    "already_awarded",
                    "An entry wins at most one tier.",
                ));
            } else {
                winners.push(e);
            }
        }
        winners.sort_by_key(|e| position.get(e.as_str()).copied().unwrap_or(usize::MAX));
        let n = winners.len() as i64;
        if n == 0 {
            continue;
        }
        let base = tier.amount / n;
        let extra = tier.amount - base * n;
        for (j, e) in winners.into_iter().enumerate() {
            let amount = base + i64::from((j as i64) < extra);
            out.push(Prize {
                tier_rank: tier.rank,
                entry: e.clone(),
                amount,
            });
        }
    }
    for t in tiers {
        if !seen_tiers.contains(&t.rank) {
            errors.push(FieldError::new(
                "tiers",
                "tier_undecided",
                format!("Decide tier {}: award it or withhold it.", t.rank),
            ));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i:02}")).collect()
    }

    #[test]
    fn neutral_codes_are_stable_and_say_nothing() {
        let entries = ids("e", 12);
        let a = neutral_codes("round-1", &entries);
        let mut rev = entries.clone();
        rev.reverse();
        assert_eq!(a, neutral_codes("round-1", &rev));
        let codes: BTreeSet<&String> = a.values().collect();
        assert_eq!(codes.len(), 12);
        assert!(a.values().all(|c| c.starts_with("E-0")));
        assert_ne!(a, neutral_codes("round-2", &entries));
        assert_eq!(
            neutral_file_name(1, "Team Ada report.PDF"),
            "attachment-1.pdf"
        );
        assert_eq!(neutral_file_name(2, "noext"), "attachment-2");
    }

    #[test]
    fn tiers_can_be_withheld_or_split() {
        let tiers = [
            Tier {
                rank: 1,
                amount: 1001,
            },
            Tier {
                rank: 2,
                amount: 500,
            },
        ];
        let ranked = ids("e", 3);
        let d = [
            TierDecision {
                rank: 1,
                entries: vec!["e00".into(), "e01".into()],
            },
            TierDecision {
                rank: 2,
                entries: vec![],
            },
        ];
        let p = prizes(&tiers, &d, &ranked).unwrap_or_default();
        assert_eq!(
            p.iter().map(|p| p.amount).collect::<Vec<_>>(),
            vec![501, 500]
        );
        let twice = [
            TierDecision {
                rank: 1,
                entries: vec!["e00".into()],
            },
            TierDecision {
                rank: 2,
                entries: vec!["e00".into()],
            },
        ];
        assert!(prizes(&tiers, &twice, &ranked).is_err());
        let undecided = [TierDecision {
            rank: 1,
            entries: vec!["e00".into()],
        }];
        assert!(prizes(&tiers, &undecided, &ranked).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// A tier split among tied entries always hands out the whole amount.
        #[test]
        fn split_tiers_sum_to_the_tier(amount in 0i64..10_000_000, n in 1usize..7) {
            let ranked = ids("e", n);
            let p = prizes(&[Tier { rank: 1, amount }], &[TierDecision { rank: 1, entries: ranked.clone() }], &ranked).unwrap_or_default();
            prop_assert_eq!(p.iter().map(|p| p.amount).sum::<i64>(), amount);
            let max = p.iter().map(|p| p.amount).max().unwrap_or(0);
            let min = p.iter().map(|p| p.amount).min().unwrap_or(0);
            prop_assert!(max - min <= 1);
        }
    }
}
