//! Ledger rules, pure: currencies, accounts, the entries each movement
//! writes, and the balance check every entry passes before it is stored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

/// The currencies prizes can be offered in, with their minor units.
pub const CURRENCIES: &[(&str, u32)] = &[
    ("EUR", 2),
    ("USD", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("JPY", 0),
];

/// An ISO 4217 currency code Tribu supports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let c = raw.trim().to_ascii_uppercase();
        if CURRENCIES.iter().any(|(code, _)| *code == c) {
            Ok(Currency(c))
        } else {
            Err(FieldError::new(
                field,
                "invalid_currency",
                "Choose a supported currency (EUR, USD, GBP, …).",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point (2 for EUR, 0 for JPY).
    pub fn minor_units(&self) -> u32 {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == self.0)
            .map(|(_, u)| *u)
            .unwrap_or(2)
    }

    /// Formats minor units for people: `5000.00 EUR`, `12,500 JPY` style
    /// without locale grouping (pages add their own).
    pub fn format(&self, amount: i64) -> String {
        let units = self.minor_units();
        if units == 0 {
            return format!("{} {}", group(amount), self.0);
        }
        let div = 10i64.pow(units);
        let sign = if amount < 0 { "-" } else { "" };
        let a = amount.unsigned_abs() as i64;
        format!(
            "{sign}{}.{:0width$} {}",
            group(a / div),
            a % div,
            self.0,
            width = units as usize
        )
    }
}

fn group(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// An amount of money as the API shows it: `{ "amount": 500000, "currency": "EUR" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Minor units (cents).
    pub amount: i64,
    pub currency: String,
}

impl Money {
    pub fn new(amount: i64, currency: &Currency) -> Self {
        Money {
            amount,
            currency: currency.as_str().to_owned(),
        }
    }
}

/// The kinds of ledger accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// Money an organisation has put in and may get back.
    OrgFunding,
    /// A challenge's prize pool held until awards.
    ChallengeEscrow,
    /// What a solver is owed.
    SolverPayable,
    /// The platform's fees.
    PlatformFees,
    /// Money in transit at the payment provider (or the bank, for manual payments).
    ProviderClearing,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::OrgFunding => "org_funding",
            AccountKind::ChallengeEscrow => "challenge_escrow",
            AccountKind::SolverPayable => "solver_payable",
            AccountKind::PlatformFees => "platform_fees",
            AccountKind::ProviderClearing => "provider_clearing",
        }
    }
}

/// Owner id of the platform-wide accounts.
pub const PLATFORM: &str = "platform";

/// One account: a kind, whose it is, and its currency.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountRef {
    pub kind: AccountKind,
    pub owner: String,
    pub currency: Currency,
}

impl AccountRef {
    pub fn new(kind: AccountKind, owner: &str, currency: &Currency) -> Self {
        AccountRef {
            kind,
            owner: owner.to_owned(),
            currency: currency.clone(),
        }
    }
}

/// One line of a journal entry; positive amounts are credits to the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub account: AccountRef,
    pub amount: i64,
}

/// Why an entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("an entry needs at least two lines")]
    TooFewLines,
    #[error("a line of zero")]
    ZeroLine,
    #[error("lines do not sum to zero in {0}")]
    Unbalanced(String),
    #[error("amount overflow")]
    Overflow,
}

/// Checks that lines form a valid entry: two or more non-zero lines that sum
/// to zero in every currency.
pub fn check_balanced(lines: &[Line]) -> Result<(), LedgerError> {
    if lines.len() < 2 {
        return Err(LedgerError::TooFewLines);
    }
    let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
    for l in lines {
        if l.amount == 0 {
            return Err(LedgerError::ZeroLine);
        }
        let s = sums.entry(l.account.currency.as_str()).or_insert(0);
        *s = s.checked_add(l.amount).ok_or(LedgerError::Overflow)?;
    }
    match sums.into_iter().find(|(_, s)| *s != 0) {
        Some((c, _)) => Err(LedgerError::Unbalanced(c.to_owned())),
        None => Ok(()),
    }
}

/// The platform fee on an amount, in basis points, rounded half up.
pub fn fee_for(amount: i64, fee_bps: u32) -> i64 {
    let raw = (amount as i128) * (fee_bps as i128);
    ((raw + 5_000) / 10_000) as i64
}

/// Money received for a challenge: the pool goes to its escrow, the fee to
/// the platform, both out of the clearing account.
pub fn funding_lines(challenge_id: &str, amount: i64, fee: i64, currency: &Currency) -> Vec<Line> {
    let mut lines = vec![
        Line {
            account: AccountRef::new(AccountKind::ProviderClearing, PLATFORM, currency),
            amount: -(amount + fee),
        },
        Line {
            account: AccountRef::new(AccountKind::ChallengeEscrow, challenge_id, currency),
            amount,
        },
    ];
    if fee > 0 {
        lines.push(Line {
            account: AccountRef::new(AccountKind::PlatformFees, PLATFORM, currency),
            amount: fee,
        });
    }
    lines
}

/// Giving back what is left in escrow to the organisation. Nothing when empty.
pub fn refund_lines(
    challenge_id: &str,
    org_id: &str,
    escrow_balance: i64,
    currency: &Currency,
) -> Vec<Line> {
    if escrow_balance <= 0 {
        return Vec::new();
    }
    vec![
        Line {
            account: AccountRef::new(AccountKind::ChallengeEscrow, challenge_id, currency),
            amount: -escrow_balance,
        },
        Line {
            account: AccountRef::new(AccountKind::OrgFunding, org_id, currency),
            amount: escrow_balance,
        },
    ]
}

/// A prize moving from a challenge's escrow to the payables of the people
/// who won it (`(user id, amount)` each): one line per person with a part.
pub fn award_lines(challenge_id: &str, payees: &[(String, i64)], currency: &Currency) -> Vec<Line> {
    let total: i64 = payees.iter().map(|(_, a)| *a).sum();
    if total <= 0 {
        return Vec::new();
    }
    let mut lines = vec![Line {
        account: AccountRef::new(AccountKind::ChallengeEscrow, challenge_id, currency),
        amount: -total,
    }];
    for (user, amount) in payees.iter().filter(|(_, a)| *a != 0) {
        lines.push(Line {
            account: AccountRef::new(AccountKind::SolverPayable, user, currency),
            amount: *amount,
        });
    }
    lines
}

/// The states of a funding request (stored as text).
pub mod funding_status {
    pub const REQUESTED: &str = "requested";
    pub const CONFIRMED: &str = "confirmed";
    pub const CANCELLED: &str = "cancelled";
}

/// What the organisation quotes with its transfer so an admin can match it
/// to the request: `TRIBU-` and the end of the request's id.
pub fn payment_reference(funding_id: &str) -> String {
    let tail = &funding_id[funding_id.len().saturating_sub(12)..];
    format!("TRIBU-{}", tail.to_uppercase())
}

/// How much a new funding request should bring: what the pool still lacks.
pub fn funding_needed(pool: i64, escrow_balance: i64, pending: i64) -> i64 {
    (pool - escrow_balance - pending).max(0)
}

/// The public picture of a challenge's escrow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EscrowSummary {
    pub pool: Money,
    /// Everything ever paid into escrow.
    pub funded: Money,
    /// Moved to winners.
    pub awarded: Money,
    /// Given back to the organisation.
    pub refunded: Money,
    /// What escrow holds now.
    pub balance: Money,
    /// Whether escrow holds the whole pool.
    pub fully_funded: bool,
}

/// Credits and debits of an escrow account, by the kind of entry that made them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EscrowFlows {
    pub funded: i64,
    pub awarded: i64,
    pub refunded: i64,
}

impl EscrowFlows {
    pub fn balance(&self) -> i64 {
        self.funded - self.awarded - self.refunded
    }

    pub fn summary(&self, pool: i64, currency: &Currency) -> EscrowSummary {
        EscrowSummary {
            pool: Money::new(pool, currency),
            funded: Money::new(self.funded, currency),
            awarded: Money::new(self.awarded, currency),
            refunded: Money::new(self.refunded, currency),
            balance: Money::new(self.balance(), currency),
            fully_funded: self.balance() >= pool && pool > 0,
        }
    }
}

/// Minor units from an amount a person typed in major units: `5000`,
/// `5000.5`, `5 000,50`, `.75` (spaces, `_` and `'` group digits; a comma
/// or a point separates decimals). `Ok(None)` when empty; `Err` when it is
/// not an amount of a currency with `minor_units` decimals (more decimals
/// than it has, unless they are zeros; a sign, letters, several separators,
/// or too large).
#[allow(clippy::result_unit_err)] // the caller words the message for its field
pub fn parse_typed_amount(raw: &str, minor_units: u32) -> Result<Option<i64>, ()> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{202f}' | '_' | '\''))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if s.is_empty() {
        return Ok(None);
    }
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if !digits(int) || !digits(frac) || (int.is_empty() && frac.is_empty()) {
        return Err(());
    }
    let (kept, extra) = frac.split_at(frac.len().min(minor_units as usize));
    if extra.chars().any(|c| c != '0') {
        return Err(());
    }
    let scale = 10i64.checked_pow(minor_units).ok_or(())?;
    let whole: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| ())?
    };
    let frac_value: i64 = if kept.is_empty() {
        0
    } else {
        format!("{kept:0<width$}", width = minor_units as usize)
            .parse()
            .map_err(|_| ())?
    };
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_value))
        .map(Some)
        .ok_or(())
}

/// Major units as a person types them back into a form: `500000` EUR →
/// `5000`, `500050` → `5000.50`.
pub fn typed_amount(minor: i64, minor_units: u32) -> String {
    let scale = 10i64.pow(minor_units);
    if minor_units == 0 || minor % scale == 0 {
        return (minor / scale).to_string();
    }
    format!(
        "{}.{:0width$}",
        minor / scale,
        (minor % scale).abs(),
        width = minor_units as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_typed_by_people_become_minor_units() {
        assert_eq!(parse_typed_amount("5000", 2), Ok(Some(500_000)));
        assert_eq!(parse_typed_amount("5 000,50", 2), Ok(Some(500_050)));
        assert_eq!(parse_typed_amount("5000.5", 2), Ok(Some(500_050)));
        assert_eq!(parse_typed_amount(".75", 2), Ok(Some(75)));
        assert_eq!(parse_typed_amount("1.500", 2), Ok(Some(150)));
        assert_eq!(parse_typed_amount("12500", 0), Ok(Some(12_500)));
        assert_eq!(parse_typed_amount("  ", 2), Ok(None));
        for bad in [
            "5.001",
            "12.5",
            "1e3",
            "-5",
            "5.0.0",
            "abc",
            ".",
            "99999999999999999999",
        ] {
            let units = if bad == "12.5" { 0 } else { 2 };
            assert_eq!(parse_typed_amount(bad, units), Err(()), "{bad}");
        }
        for (a, u) in [(1, 2), (500_050, 2), (7, 0), (123_456_789, 2)] {
            assert_eq!(parse_typed_amount(&typed_amount(a, u), u), Ok(Some(a)));
        }
        assert_eq!(typed_amount(500_000, 2), "5000");
        assert_eq!(typed_amount(500_050, 2), "5000.50");
    }

    proptest! {
        #[test]
        fn typed_amounts_round_trip(minor in 0i64..1_000_000_000_000, units in 0u32..4) {
            prop_assert_eq!(parse_typed_amount(&typed_amount(minor, units), units), Ok(Some(minor)));
        }
    }
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn eur() -> Currency {
        Currency("EUR".into())
    }

    #[test]
    fn entries_must_balance() {
        let e = eur();
        assert_eq!(check_balanced(&funding_lines("c", 1000, 50, &e)), Ok(()));
        assert_eq!(check_balanced(&refund_lines("c", "o", 1000, &e)), Ok(()));
        let bad = vec![
            Line {
                account: AccountRef::new(AccountKind::ChallengeEscrow, "c", &e),
                amount: 10,
            },
            Line {
                account: AccountRef::new(AccountKind::OrgFunding, "o", &e),
                amount: -9,
            },
        ];
        assert_eq!(
            check_balanced(&bad),
            Err(LedgerError::Unbalanced("EUR".into()))
        );
        assert_eq!(check_balanced(&bad[..1]), Err(LedgerError::TooFewLines));
        // Sums are per currency: EUR and USD lines cannot offset each other.
        let usd = Currency("USD".into());
        let mixed = vec![
            Line {
                account: AccountRef::new(AccountKind::ChallengeEscrow, "c", &e),
                amount: 10,
            },
            Line {
                account: AccountRef::new(AccountKind::OrgFunding, "o", &usd),
                amount: -10,
            },
        ];
        assert!(check_balanced(&mixed).is_err());
    }

    #[test]
    fn fees_round_half_up() {
        assert_eq!(fee_for(1_000_000, 500), 50_000);
        assert_eq!(fee_for(1, 5_000), 1);
        assert_eq!(fee_for(1, 4_999), 0);
        assert_eq!(fee_for(0, 500), 0);
    }

    #[test]
    fn formatting() {
        assert_eq!(eur().format(500_000), "5\u{202f}000.00 EUR");
        assert_eq!(Currency("JPY".into()).format(12_500), "12\u{202f}500 JPY");
        assert!(Currency::parse("c", "btc").is_err());
        assert_eq!(Currency::parse("c", "usd").map(|c| c.0), Ok("USD".into()));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Fund(i64),
        Cancel,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![4 => (1i64..5_000_000).prop_map(Op::Fund), 1 => Just(Op::Cancel)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Any sequence of fundings, refunds and cancellations leaves every
        /// entry balanced, no escrow negative, and no money created or lost.
        #[test]
        fn fundings_refunds_and_cancellations_keep_the_books(
            ops in proptest::collection::vec(op(), 0..40),
            fee_bps in 0u32..2_000,
        ) {
            let e = eur();
            let mut balances: HashMap<AccountRef, i64> = HashMap::new();
            let mut cancelled = false;
            let escrow = AccountRef::new(AccountKind::ChallengeEscrow, "c1", &e);
            for op in ops {
                let lines = match op {
                    // Money cannot come in after cancellation.
                    Op::Fund(_) if cancelled => Vec::new(),
                    Op::Fund(x) => funding_lines("c1", x, fee_for(x, fee_bps), &e),
                    Op::Cancel => {
                        cancelled = true;
                        let bal = balances.get(&escrow).copied().unwrap_or(0);
                        refund_lines("c1", "o1", bal, &e)
                    }
                };
                if lines.is_empty() {
                    continue;
                }
                prop_assert_eq!(check_balanced(&lines), Ok(()));
                for l in lines {
                    *balances.entry(l.account).or_insert(0) += l.amount;
                }
                prop_assert!(balances.get(&escrow).copied().unwrap_or(0) >= 0);
                prop_assert_eq!(balances.values().sum::<i64>(), 0);
            }
            if cancelled {
                prop_assert_eq!(balances.get(&escrow).copied().unwrap_or(0), 0);
            }
        }

        #[test]
        fn funding_needed_never_overfunds(pool in 0i64..10_000_000, bal in 0i64..10_000_000, pending in 0i64..10_000_000) {
            let need = funding_needed(pool, bal, pending);
            prop_assert!(need >= 0);
            prop_assert!(bal + pending + need >= pool);
            if need > 0 { prop_assert_eq!(bal + pending + need, pool); }
        }
    }
}
