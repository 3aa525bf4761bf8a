//! Reconciliation, pure: what the ledger says left through the payment
//! provider against what the provider says it sent. Whoever reads each side
//! (the manual provider's rows, Stripe's transfers and refunds) builds the
//! two lists; [`reconcile`] names every difference.
//!
//! An item of the provider is matched to the ledger by the key we gave it
//! (our idempotency key, carried in the provider's metadata), else by its
//! id recorded as the ledger item's reference. Each item matches at most
//! once: a transfer the provider made twice under one key shows as one
//! match and one transfer the ledger does not know.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use super::model::Currency;

/// Which way money left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutKind {
    /// A prize sent to a solver.
    Transfer,
    /// Escrow given back to an organisation.
    Refund,
}

impl OutKind {
    /// `transfer` or `refund`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutKind::Transfer => "transfer",
            OutKind::Refund => "refund",
        }
    }
}

/// Money the ledger says left through the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerItem {
    /// Our idempotency key for it, unique per payment.
    pub key: String,
    /// The provider's id for it, when the ledger recorded one.
    pub reference: Option<String>,
    pub kind: OutKind,
    /// Minor units.
    pub amount: i64,
    pub currency: String,
}

/// A transfer or refund as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderItem {
    /// The provider's id.
    pub id: String,
    /// Our key, as we gave it to the provider (metadata), if it has one.
    pub key: Option<String>,
    pub kind: OutKind,
    /// Minor units.
    pub amount: i64,
    pub currency: String,
}

/// One disagreement between the ledger and the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The provider sent it; the ledger has no record of it.
    NotInLedger(ProviderItem),
    /// The ledger records it; the provider has no such payment.
    NotAtProvider(LedgerItem),
    /// Both know it, with different amounts (or currencies).
    AmountDiffers {
        ledger: LedgerItem,
        provider: ProviderItem,
    },
}

/// Every difference between what the ledger says left and what the
/// provider reports: the provider's unmatched and mismatched items in its
/// order, then the ledger's unmatched items in its order.
pub fn reconcile<'a>(ledger: &'a [LedgerItem], provider: &'a [ProviderItem]) -> Vec<Difference> {
    // Candidates by key and by reference, in the ledger's order; an index
    // is taken once, so duplicates on either side stay visible.
    let mut by_key: BTreeMap<(OutKind, &str), VecDeque<usize>> = BTreeMap::new();
    let mut by_ref: BTreeMap<(OutKind, &str), VecDeque<usize>> = BTreeMap::new();
    for (i, l) in ledger.iter().enumerate() {
        by_key.entry((l.kind, &l.key)).or_default().push_back(i);
        if let Some(r) = &l.reference {
            by_ref.entry((l.kind, r)).or_default().push_back(i);
        }
    }
    let mut taken = vec![false; ledger.len()];
    let mut out = Vec::new();
    for p in provider {
        let found = p
            .key
            .as_deref()
            .and_then(|k| take(&mut by_key, (p.kind, k), &mut taken))
            .or_else(|| take(&mut by_ref, (p.kind, &p.id), &mut taken));
        match found {
            None => out.push(Difference::NotInLedger(p.clone())),
            Some(i) => {
                let l = &ledger[i];
                if l.amount != p.amount || l.currency != p.currency {
                    out.push(Difference::AmountDiffers {
                        ledger: l.clone(),
                        provider: p.clone(),
                    });
                }
            }
        }
    }
    out.extend(
        ledger
            .iter()
            .zip(&taken)
            .filter(|(_, t)| !**t)
            .map(|(l, _)| Difference::NotAtProvider(l.clone())),
    );
    out
}

/// The first ledger item under `k` not matched yet, now matched.
fn take<'a>(
    map: &mut BTreeMap<(OutKind, &'a str), VecDeque<usize>>,
    k: (OutKind, &'a str),
    taken: &mut [bool],
) -> Option<usize> {
    let q = map.get_mut(&k)?;
    while let Some(i) = q.pop_front() {
        if !taken[i] {
            taken[i] = true;
            return Some(i);
        }
    }
    None
}

/// An amount for people: `300.00 EUR`, or the raw minor units of a
/// currency Tribu does not know.
fn amount(minor: i64, currency: &str) -> String {
    match Currency::parse("currency", currency) {
        Ok(c) => c.format(minor),
        Err(_) => format!("{minor} {currency} (minor units)"),
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::NotInLedger(p) => write!(
                f,
                "at the provider, not in the ledger: {} {} {} (key {})",
                p.kind.as_str(),
                p.id,
                amount(p.amount, &p.currency),
                p.key.as_deref().unwrap_or("none"),
            ),
            Difference::NotAtProvider(l) => write!(
                f,
                "in the ledger, not at the provider: {} {} {}{}",
                l.kind.as_str(),
                l.key,
                amount(l.amount, &l.currency),
                l.reference
                    .as_deref()
                    .map(|r| format!(" (reference {r})"))
                    .unwrap_or_default(),
            ),
            Difference::AmountDiffers { ledger, provider } => write!(
                f,
                "amounts differ: {} {}: ledger {}, provider {} ({})",
                ledger.kind.as_str(),
                ledger.key,
                amount(ledger.amount, &ledger.currency),
                amount(provider.amount, &provider.currency),
                provider.id,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(key: &str, kind: OutKind, amount: i64) -> LedgerItem {
        LedgerItem {
            key: key.into(),
            reference: Some(format!("ref-{key}")),
            kind,
            amount,
            currency: "EUR".into(),
        }
    }

    /// What an honest provider reports for a ledger item.
    fn reported(l: &LedgerItem) -> ProviderItem {
        ProviderItem {
            id: l.reference.clone().unwrap_or_default(),
            key: Some(l.key.clone()),
            kind: l.kind,
            amount: l.amount,
            currency: l.currency.clone(),
        }
    }

    #[test]
    fn each_kind_of_difference_is_named() {
        let a = item("a", OutKind::Transfer, 300);
        let b = item("b", OutKind::Refund, 400);
        let c = item("c", OutKind::Transfer, 500);
        let mut short = reported(&c);
        short.amount = 499;
        let stray = ProviderItem {
            id: "tr_9".into(),
            key: None,
            kind: OutKind::Transfer,
            amount: 7,
            currency: "EUR".into(),
        };
        let got = reconcile(
            &[a.clone(), b.clone(), c.clone()],
            &[reported(&a), short.clone(), stray.clone()],
        );
        assert_eq!(
            got,
            vec![
                Difference::AmountDiffers {
                    ledger: c,
                    provider: short
                },
                Difference::NotInLedger(stray),
                Difference::NotAtProvider(b),
            ]
        );
    }

    #[test]
    fn the_reference_matches_when_the_provider_lost_our_key() {
        let a = item("a", OutKind::Transfer, 300);
        let mut p = reported(&a);
        p.key = None;
        assert_eq!(reconcile(&[a], &[p]), vec![]);
    }

    #[test]
    fn a_transfer_made_twice_shows_once_as_unknown() {
        let a = item("a", OutKind::Transfer, 300);
        let twice = [reported(&a), reported(&a)];
        assert_eq!(
            reconcile(std::slice::from_ref(&a), &twice),
            vec![Difference::NotInLedger(reported(&a))]
        );
    }

    #[test]
    fn kinds_and_currencies_must_agree() {
        let a = item("a", OutKind::Transfer, 300);
        let mut refund = reported(&a);
        refund.kind = OutKind::Refund;
        assert_eq!(reconcile(std::slice::from_ref(&a), &[refund]).len(), 2);
        let mut usd = reported(&a);
        usd.currency = "USD".into();
        assert!(matches!(
            reconcile(&[a], &[usd]).as_slice(),
            [Difference::AmountDiffers { .. }]
        ));
    }

    #[test]
    fn differences_read_well() {
        let a = item("payout-paid:1", OutKind::Transfer, 30_000);
        let text = Difference::NotAtProvider(a).to_string();
        assert!(text.contains("payout-paid:1"), "{text}");
        assert!(text.contains("300.00 EUR"), "{text}");
    }

    fn items() -> impl Strategy<Value = Vec<LedgerItem>> {
        let kind = prop_oneof![Just(OutKind::Transfer), Just(OutKind::Refund)];
        let currency = prop::sample::select(vec!["EUR", "USD", "JPY"]);
        prop::collection::vec((kind, 1i64..10_000_000, currency, any::<bool>()), 0..30).prop_map(
            |v| {
                v.into_iter()
                    .enumerate()
                    .map(|(i, (kind, amount, currency, with_ref))| LedgerItem {
                        key: format!("key-{i}"),
                        reference: with_ref.then(|| format!("tr_{i}")),
                        kind,
                        amount,
                        currency: currency.into(),
                    })
                    .collect()
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// The books agree with an honest provider.
        #[test]
        fn a_set_against_itself_differs_in_nothing(ledger in items()) {
            let provider: Vec<_> = ledger.iter().map(reported).collect();
            prop_assert_eq!(reconcile(&ledger, &provider), vec![]);
        }

        /// A payment missing on one side is that one difference, and only it.
        #[test]
        fn removing_one_item_finds_exactly_it(ledger in items(), pick in any::<prop::sample::Index>()) {
            prop_assume!(!ledger.is_empty());
            let i = pick.index(ledger.len());
            let provider: Vec<_> = ledger.iter().map(reported).collect();

            let mut fewer = ledger.clone();
            let gone = fewer.remove(i);
            prop_assert_eq!(
                reconcile(&fewer, &provider),
                vec![Difference::NotInLedger(reported(&gone))]
            );

            let mut unsent = provider.clone();
            unsent.remove(i);
            prop_assert_eq!(
                reconcile(&ledger, &unsent),
                vec![Difference::NotAtProvider(ledger[i].clone())]
            );
        }

        /// One amount changed is one mismatch, whatever the order of the provider's list.
        #[test]
        fn a_changed_amount_is_one_mismatch(ledger in items(), pick in any::<prop::sample::Index>(), delta in 1i64..1000) {
            prop_assume!(!ledger.is_empty());
            let i = pick.index(ledger.len());
            let mut provider: Vec<_> = ledger.iter().map(reported).collect();
            provider[i].amount += delta;
            let changed = provider[i].clone();
            provider.reverse();
            prop_assert_eq!(
                reconcile(&ledger, &provider),
                vec![Difference::AmountDiffers { ledger: ledger[i].clone(), provider: changed }]
            );
        }
    }
}
