//! Published results as everyone sees them: each tier's winners (team names
//! unless a member chose to stay anonymous), the prize, the judging method,
//! scores where the organisation chose to show them, how much the judges
//! agreed, and links to the published solutions with licence and
//! attribution. Only published entries are named; the rest stay private.

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use crate::challenges::model::Licence;
use crate::challenges::store::{self as challenges, Challenge};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::judging::model::Agreement;
use crate::judging::service::results::PublishedRow;
use crate::judging::store;
use crate::money::model::{Currency, Money};

/// A published entry on the results page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicEntry {
    pub submission_id: String,
    pub rank: usize,
    pub title: String,
    /// The names of team members who did not ask to stay anonymous.
    pub team: Vec<String>,
    /// How many members stay anonymous.
    pub anonymous_members: usize,
    /// The final score, 0–100, when the organisation shows scores.
    pub score: Option<f64>,
    pub prize: Option<Money>,
    pub licence: Option<Licence>,
    /// "Title — by A, B — CC-BY-4.0".
    pub attribution: String,
    /// The published solution.
    pub url: String,
}

/// A prize tier and who won it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierResult {
    pub rank: i32,
    pub label: String,
    pub amount: Money,
    /// No entry was awarded this tier.
    pub withheld: bool,
    /// Submission ids of the winners (see `entries`).
    pub winners: Vec<String>,
}

/// The results of a challenge.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResultsView {
    pub challenge_id: String,
    pub slug: String,
    pub title: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub published_at: NaiveDateTime,
    /// Where the ranking method is written out.
    pub method_url: String,
    /// The final round judged.
    pub round: String,
    pub normalised: bool,
    pub show_scores: bool,
    pub alpha: Option<f64>,
    /// `strong`, `fair`, `partial` or `weak`.
    pub agreement: Option<String>,
    pub tiers: Vec<TierResult>,
    /// Published entries (winners and those who opted in), by rank.
    pub entries: Vec<PublicEntry>,
    /// Entries judged in the final round.
    pub judged: usize,
}

/// The published results of a challenge, or 404 before publication.
pub fn results(conn: &mut DbConnection, ch: &Challenge) -> AppResult<ResultsView> {
    let r = store::results_of(conn, &ch.id)?.ok_or(AppError::NotFound)?;
    let rows: Vec<PublishedRow> = serde_json::from_str(&r.standings).map_err(AppError::internal)?;
    let round = store::find_round(conn, &r.round_id)?;
    let cur =
        Currency::parse("currency", &ch.currency).map_err(|e| AppError::internal(e.message))?;
    let mut entries = Vec::new();
    for row in &rows {
        let s = crate::submissions::store::find(conn, &row.submission_id)?;
        if s.published_at.is_none() {
            continue;
        }
        let members = store::public_members(conn, &s.team_id)?;
        let rev = crate::submissions::store::revision(conn, &s.id, s.current_revision)?;
        entries.push(PublicEntry {
            submission_id: s.id.clone(),
            rank: row.rank,
            title: rev.title.clone(),
            team: members
                .iter()
                .filter(|(_, anon)| !anon)
                .map(|(n, _)| n.clone())
                .collect(),
            anonymous_members: members.iter().filter(|(_, anon)| *anon).count(),
            score: r.show_scores.then_some(row.score),
            prize: row.prize.map(|(_, amount)| Money::new(amount, &cur)),
            licence: Licence::parse(&rev.licence),
            attribution: crate::submissions::api::attribution(
                &rev.title,
                &rev.copyright_holders,
                &rev.licence,
            ),
            url: format!("/submissions/{}", s.id),
        });
    }
    let tiers = challenges::tiers(conn, &ch.id)?
        .into_iter()
        .map(|t| {
            let winners: Vec<String> = rows
                .iter()
                .filter(|row| row.prize.is_some_and(|(tier, _)| tier == t.rank))
                .map(|row| row.submission_id.clone())
                .collect();
            TierResult {
                rank: t.rank,
                label: t.label,
                amount: Money::new(t.amount, &cur),
                withheld: winners.is_empty(),
                winners,
            }
        })
        .collect();
    Ok(ResultsView {
        challenge_id: ch.id.clone(),
        slug: ch.slug.clone(),
        title: ch.title.clone(),
        published_at: r.published_at,
        method_url: "/judging/method".into(),
        round: round.name,
        normalised: round.normalise,
        show_scores: r.show_scores,
        agreement: r.alpha.map(|a| Agreement::of(a).as_str().to_owned()),
        alpha: r.alpha,
        tiers,
        entries,
        judged: rows.len(),
    })
}

/// A prize a person won (their share of a team's prize).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyPrize {
    pub challenge_id: String,
    pub challenge_slug: String,
    pub challenge_title: String,
    pub submission_id: String,
    pub submission_title: String,
    pub tier_rank: i32,
    /// The person's share.
    pub amount: Money,
    /// The payout's state: `pending`, `submitted`, `paid` or `failed`.
    pub status: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub paid_at: Option<NaiveDateTime>,
    /// Why the last payment attempt failed.
    pub failure: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub awarded_at: NaiveDateTime,
}

/// The prizes `user_id` won, newest first.
pub fn prizes_of_user(conn: &mut DbConnection, user_id: &str) -> AppResult<Vec<MyPrize>> {
    use crate::money::model::{AccountKind, AccountRef};
    let subs = crate::submissions::store::of_user(conn, user_id)?;
    let ids: Vec<String> = subs.iter().map(|s| s.id.clone()).collect();
    let mut out = Vec::new();
    for a in store::awards_of_submissions(conn, &ids)? {
        let cur =
            Currency::parse("currency", &a.currency).map_err(|e| AppError::internal(e.message))?;
        let share = crate::money::store::entry_amount(
            conn,
            &a.entry_id,
            &AccountRef::new(AccountKind::SolverPayable, user_id, &cur),
        )?;
        if share == 0 {
            continue;
        }
        let ch = challenges::find(conn, &a.challenge_id)?;
        let title = subs
            .iter()
            .find(|s| s.id == a.submission_id)
            .map(|s| s.title.clone())
            .unwrap_or_default();
        let payout = crate::payouts::queries::payout_of(conn, &a.id, user_id)?;
        out.push(MyPrize {
            status: payout
                .as_ref()
                .map(|p| p.status.clone())
                .unwrap_or_else(|| "pending".into()),
            paid_at: payout.as_ref().and_then(|p| p.paid_at),
            failure: payout.and_then(|p| p.failure),
            challenge_id: ch.id.clone(),
            challenge_slug: ch.slug.clone(),
            challenge_title: ch.title.clone(),
            submission_id: a.submission_id.clone(),
            submission_title: title,
            tier_rank: a.tier_rank,
            amount: Money::new(share, &cur),
            awarded_at: a.created_at,
        });
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.awarded_at));
    Ok(out)
}
