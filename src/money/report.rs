//! The money report, a read model (the `queries` layer of money): for each
//! challenge and currency, what came in (pool and fees), what was awarded,
//! paid out, refunded and refunded for real, and what is still to send;
//! totals per currency. The database sums the ledger
//! ([`store::challenge_sums`]); this module shapes the answer of the API
//! and the admin page, and the text table and CSV of `tribu money report`.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::model::{Currency, Money};
use super::store::{self, ChallengeSums};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The sums of one challenge, or of every challenge in one currency, in
/// minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    pub funded: i64,
    pub fees: i64,
    pub awarded: i64,
    pub paid_out: i64,
    pub refunded: i64,
    pub refund_paid: i64,
}

impl Sums {
    /// What the platform still has to send: prizes awarded and not paid
    /// out, refunds owed and not paid.
    pub fn outstanding(&self) -> i64 {
        self.awarded - self.paid_out + self.refunded - self.refund_paid
    }

    fn add(&mut self, o: &Sums) {
        self.funded += o.funded;
        self.fees += o.fees;
        self.awarded += o.awarded;
        self.paid_out += o.paid_out;
        self.refunded += o.refunded;
        self.refund_paid += o.refund_paid;
    }

    fn figures(&self, c: &Currency) -> MoneyFigures {
        MoneyFigures {
            funded: Money::new(self.funded, c),
            fees: Money::new(self.fees, c),
            awarded: Money::new(self.awarded, c),
            paid_out: Money::new(self.paid_out, c),
            refunded: Money::new(self.refunded, c),
            refund_paid: Money::new(self.refund_paid, c),
            outstanding: Money::new(self.outstanding(), c),
        }
    }
}

impl From<&ChallengeSums> for Sums {
    fn from(r: &ChallengeSums) -> Self {
        Sums {
            funded: r.funded,
            fees: r.fees,
            awarded: r.awarded,
            paid_out: r.paid_out,
            refunded: r.refunded,
            refund_paid: r.refund_paid,
        }
    }
}

/// The figures of a challenge or of a currency's total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MoneyFigures {
    /// Paid into escrow: the prize pools.
    pub funded: Money,
    /// Platform fees paid on top of the pools.
    pub fees: Money,
    /// Moved from escrow to winners.
    pub awarded: Money,
    /// Prizes sent to winners.
    pub paid_out: Money,
    /// Escrow given back to organisations (owed to them).
    pub refunded: Money,
    /// Refunds sent to organisations.
    pub refund_paid: Money,
    /// Still to send: awarded − paid out + refunded − refund paid.
    pub outstanding: Money,
}

/// One challenge's money, in its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChallengeMoney {
    pub challenge_id: String,
    pub title: String,
    pub slug: String,
    pub currency: String,
    #[serde(flatten)]
    pub figures: MoneyFigures,
}

/// Every challenge's money in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CurrencyTotals {
    pub currency: String,
    #[serde(flatten)]
    pub figures: MoneyFigures,
}

/// The money report: each challenge with money in the ledger, and totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MoneyReport {
    /// By title.
    pub challenges: Vec<ChallengeMoney>,
    /// One per currency, by code.
    pub totals: Vec<CurrencyTotals>,
}

fn currency(code: &str) -> AppResult<Currency> {
    Currency::parse("currency", code).map_err(|e| AppError::internal(e.message))
}

/// The report of the database's sums.
pub fn build(rows: &[ChallengeSums]) -> AppResult<MoneyReport> {
    // Totals add up the rows already summed by the database: a few rows,
    // and the totals always agree with the lines above them.
    let mut totals: BTreeMap<&str, Sums> = BTreeMap::new();
    let mut challenges = Vec::with_capacity(rows.len());
    for r in rows {
        let sums = Sums::from(r);
        totals.entry(&r.currency).or_default().add(&sums);
        challenges.push(ChallengeMoney {
            challenge_id: r.challenge_id.clone(),
            title: r.title.clone(),
            slug: r.slug.clone(),
            currency: r.currency.clone(),
            figures: sums.figures(&currency(&r.currency)?),
        });
    }
    let totals = totals
        .into_iter()
        .map(|(code, sums)| {
            Ok(CurrencyTotals {
                currency: code.to_owned(),
                figures: sums.figures(&currency(code)?),
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(MoneyReport { challenges, totals })
}

/// The report, read on `c` (the command line).
pub fn load(c: &mut DbConnection) -> AppResult<MoneyReport> {
    build(&store::challenge_sums(c)?)
}

/// The report (the API and the admin page).
pub async fn report(state: &AppState) -> AppResult<MoneyReport> {
    state.db(load).await
}

/// The column headings of the text table after the challenge's.
const AMOUNT_HEADINGS: [&str; 7] = [
    "Funded",
    "Fees",
    "Awarded",
    "Paid out",
    "Refunded",
    "Refund paid",
    "Outstanding",
];

/// The figures in the order of [`AMOUNT_HEADINGS`].
fn amounts(f: &MoneyFigures) -> [&Money; 7] {
    [
        &f.funded,
        &f.fees,
        &f.awarded,
        &f.paid_out,
        &f.refunded,
        &f.refund_paid,
        &f.outstanding,
    ]
}

fn formatted(m: &Money) -> String {
    match Currency::parse("currency", &m.currency) {
        Ok(c) => c.format(m.amount),
        Err(_) => format!("{} {}", m.amount, m.currency),
    }
}

/// Titles longer than this are cut in the text table.
const TITLE_WIDTH: usize = 40;

fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// The report as an aligned text table: one line per challenge, a rule,
/// then one total line per currency.
pub fn text(r: &MoneyReport) -> String {
    if r.challenges.is_empty() {
        return "No money in the ledger yet.\n".to_owned();
    }
    let mut lines: Vec<Vec<String>> = vec![["Challenge", "Slug"]
        .into_iter()
        .chain(AMOUNT_HEADINGS)
        .map(str::to_owned)
        .collect()];
    for c in &r.challenges {
        let mut l = vec![cut(&c.title, TITLE_WIDTH), c.slug.clone()];
        l.extend(amounts(&c.figures).into_iter().map(formatted));
        lines.push(l);
    }
    let body = lines.len();
    for t in &r.totals {
        let mut l = vec![format!("Total {}", t.currency), String::new()];
        l.extend(amounts(&t.figures).into_iter().map(formatted));
        lines.push(l);
    }
    // Widths in characters: amounts group digits with U+202F, one column
    // wide but three bytes.
    let columns = lines[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let render = |l: &[String]| -> String {
        let cells: Vec<String> = l
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, w))| {
                let pad = " ".repeat(w - cell.chars().count());
                if i < 2 {
                    format!("{cell}{pad}")
                } else {
                    format!("{pad}{cell}")
                }
            })
            .collect();
        format!("{}\n", cells.join("  ").trim_end())
    };
    let rule = format!(
        "{}\n",
        "-".repeat(widths.iter().sum::<usize>() + 2 * (columns - 1))
    );
    let mut out = render(&lines[0]);
    out.push_str(&rule);
    for l in &lines[1..body] {
        out.push_str(&render(l));
    }
    out.push_str(&rule);
    for l in &lines[body..] {
        out.push_str(&render(l));
    }
    out
}

use crate::api::csv_cell as cell;

/// The report as CSV, amounts in minor units: one `challenge` line per
/// challenge, then one `total` line per currency.
pub fn csv(r: &MoneyReport) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| AppError::internal(e.to_string());
    w.write_record([
        "kind",
        "challenge_id",
        "slug",
        "title",
        "currency",
        "funded",
        "fees",
        "awarded",
        "paid_out",
        "refunded",
        "refund_paid",
        "outstanding",
    ])
    .map_err(csv_err)?;
    let line = |kind: &str, id: &str, slug: &str, title: &str, cur: &str, f: &MoneyFigures| {
        let mut l = vec![
            kind.to_owned(),
            id.to_owned(),
            slug.to_owned(),
            cell(title),
            cur.to_owned(),
        ];
        l.extend(amounts(f).into_iter().map(|m| m.amount.to_string()));
        l
    };
    for c in &r.challenges {
        let l = line(
            "challenge",
            &c.challenge_id,
            &c.slug,
            &c.title,
            &c.currency,
            &c.figures,
        );
        w.write_record(l).map_err(csv_err)?;
    }
    for t in &r.totals {
        let l = line("total", "", "", "", &t.currency, &t.figures);
        w.write_record(l).map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, title: &str, currency: &str, s: Sums) -> ChallengeSums {
        ChallengeSums {
            challenge_id: id.into(),
            title: title.into(),
            slug: id.into(),
            currency: currency.into(),
            funded: s.funded,
            fees: s.fees,
            awarded: s.awarded,
            paid_out: s.paid_out,
            refunded: s.refunded,
            refund_paid: s.refund_paid,
        }
    }

    fn sums() -> Sums {
        Sums {
            funded: 100_000,
            fees: 5_000,
            awarded: 60_000,
            paid_out: 30_000,
            refunded: 40_000,
            refund_paid: 0,
        }
    }

    #[test]
    fn outstanding_is_what_is_owed_and_not_sent() {
        assert_eq!(sums().outstanding(), 70_000);
        assert_eq!(Sums::default().outstanding(), 0);
    }

    #[test]
    fn totals_are_per_currency() {
        let r = build(&[
            row("a", "Harbours", "EUR", sums()),
            row("b", "Rivers", "USD", sums()),
            row("c", "Lakes", "EUR", sums()),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.challenges.len(), 3);
        let codes: Vec<_> = r.totals.iter().map(|t| t.currency.as_str()).collect();
        assert_eq!(codes, ["EUR", "USD"]);
        assert_eq!(r.totals[0].figures.funded.amount, 200_000);
        assert_eq!(r.totals[0].figures.outstanding.amount, 140_000);
        assert_eq!(r.totals[1].figures.outstanding.amount, 70_000);
        assert_eq!(r.challenges[0].figures.outstanding.currency, "EUR");
    }

    #[test]
    fn the_text_table_is_aligned() {
        let r = build(&[
            row("a", "Harbours", "EUR", sums()),
            row("b", &"A very long title ".repeat(5), "EUR", Sums::default()),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let t = text(&r);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 6, "{t}");
        assert!(lines[0].starts_with("Challenge"));
        assert!(lines[2].contains("1\u{202f}000.00 EUR"), "{t}");
        assert!(lines[3].contains('…'), "{t}");
        assert!(lines[5].starts_with("Total EUR"), "{t}");
        // Every line ends where its last column ends.
        let width = |l: &str| l.chars().count();
        assert_eq!(width(lines[2]), width(lines[3]));
        assert_eq!(width(lines[2]), width(lines[5]));
        assert_eq!(
            text(&build(&[]).unwrap_or_else(|e| panic!("{e}")))
                .lines()
                .count(),
            1
        );
    }

    #[test]
    fn the_csv_has_minor_units_and_safe_titles() {
        let r = build(&[row("a", "=cmd()", "EUR", sums())]).unwrap_or_else(|e| panic!("{e}"));
        let c = csv(&r).unwrap_or_else(|e| panic!("{e}"));
        let lines: Vec<&str> = c.lines().collect();
        assert_eq!(lines.len(), 3, "{c}");
        assert_eq!(
            lines[1],
            "challenge,a,a,'=cmd(),EUR,100000,5000,60000,30000,40000,0,70000"
        );
        assert_eq!(
            lines[2],
            "total,,,,EUR,100000,5000,60000,30000,40000,0,70000"
        );
    }
}
