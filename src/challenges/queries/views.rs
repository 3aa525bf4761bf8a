//! The JSON views of challenges (what the API answers, and what the pages
//! build their own views from) and the small pure conversions of rows into
//! them.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::principal::Principal;
use crate::challenges::model::{Cursor, Licence, Sort, State};
use crate::challenges::service::{self, currency_of};
use crate::challenges::store::{self, Announcement, Challenge, ListQuery, Question, Registration};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::money::model::{EscrowSummary, Money};
use crate::money::store::{self as ledger, Funding};

/// The organisation behind a challenge.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrgRef {
    pub slug: String,
    pub name: String,
}

/// A prize tier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierView {
    pub rank: i32,
    pub label: String,
    pub amount: Money,
}

/// The dates of a challenge (UTC).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Timeline {
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub opens_at: Option<NaiveDateTime>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub submission_deadline: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub judging_deadline: NaiveDateTime,
}

/// A version of the rules.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RulesView {
    pub version: i32,
    pub text: String,
    /// Sanitised HTML of `text`.
    pub html: String,
}

/// Limits on entries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Limits {
    pub submissions_per_solver: i32,
    pub team_size: i32,
    /// Largest attachment in bytes; null means the platform default.
    pub attachment_bytes: Option<i64>,
    /// Largest total of a submission's attachments; null means the platform default.
    pub submission_bytes: Option<i64>,
}

/// The caller's relation to the challenge.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Viewer {
    pub registered: bool,
    /// The rules version the caller accepted.
    pub rules_version_accepted: Option<i32>,
    /// A newer rules version waits for acceptance.
    pub needs_reacceptance: bool,
    /// The caller belongs to the organisation.
    pub organiser: bool,
}

/// A challenge in full.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeView {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Markdown as written.
    pub description: String,
    /// Sanitised HTML.
    pub description_html: String,
    pub category: String,
    pub tags: Vec<String>,
    pub kind: String,
    pub state: State,
    pub visibility: String,
    pub prize_pool: Money,
    pub prize_tiers: Vec<TierView>,
    pub timeline: Timeline,
    pub eligibility: String,
    pub rules: RulesView,
    pub allowed_licences: Vec<Licence>,
    pub limits: Limits,
    pub blind_judging: bool,
    pub organisation: OrgRef,
    pub escrow: EscrowSummary,
    pub registrations: i64,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub published_at: Option<NaiveDateTime>,
    /// Review by the platform (`none`, `pending`, `changes_requested`, `approved`), for the organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewView>,
    /// Why and when it was cancelled and where its escrow went (cancelled
    /// challenges only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<CancellationView>,
    pub viewer: Viewer,
}

/// A cancellation, for everyone who may read the challenge.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CancellationView {
    /// In the organisation's words.
    pub reason: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub cancelled_at: NaiveDateTime,
    /// The escrow given back to the organisation; absent when escrow held nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund: Option<CancelRefund>,
}

/// Where a cancelled challenge's escrow stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CancelRefund {
    pub amount: Money,
    /// `pending`, `submitted`, `paid` or `failed`.
    pub status: String,
    /// When the money reached the organisation.
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub paid_at: Option<NaiveDateTime>,
}

/// The cancellation of `c`, if it was cancelled.
fn cancellation(conn: &mut DbConnection, c: &Challenge) -> AppResult<Option<CancellationView>> {
    let Some((reason, cancelled_at)) = store::cancellation(conn, &c.id)? else {
        return Ok(None);
    };
    let refund = crate::payouts::store::refund_of_challenge(conn, &c.id)?
        .map(|r| -> AppResult<CancelRefund> {
            Ok(CancelRefund {
                amount: Money::new(r.amount, &currency_of(&r.currency)?),
                status: r.status,
                paid_at: r.paid_at,
            })
        })
        .transpose()?;
    Ok(Some(CancellationView {
        reason,
        cancelled_at,
        refund,
    }))
}

/// Where the platform's review stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    pub state: String,
    pub comment: Option<String>,
    /// Digest of the reviewed texts: an approval may name it.
    pub version: String,
    /// Text changes to an open challenge waiting for approval.
    pub pending_changes: Option<crate::challenges::model::PendingTexts>,
}

/// Builds the full view (one transaction's worth of reads).
pub fn view(
    conn: &mut DbConnection,
    c: &Challenge,
    caller: Option<&Principal>,
    organiser: bool,
) -> AppResult<ChallengeView> {
    let cur = currency_of(&c.currency)?;
    let tiers = store::tiers(conn, &c.id)?;
    let rules = store::rules(conn, &c.id, c.rules_version)?;
    let org = crate::orgs::store::find_by_id(conn, &c.org_id)?;
    let flows = service::flows(conn, c)?;
    let registrations = store::count_registrations(conn, &c.id)?;
    let reg = match caller {
        Some(Principal::User(u)) => store::registration(conn, &c.id, &u.user.id)?,
        _ => None,
    };
    Ok(ChallengeView {
        id: c.id.clone(),
        slug: c.slug.clone(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        description: c.description_md.clone(),
        description_html: crate::markdown::render(&c.description_md),
        category: c.category.clone(),
        tags: c.tag_list(),
        kind: c.kind.clone(),
        state: c.state_at(now()),
        visibility: c.visibility.clone(),
        prize_pool: Money::new(c.prize_total, &cur),
        prize_tiers: tiers
            .into_iter()
            .map(|t| TierView {
                rank: t.rank,
                label: t.label,
                amount: Money::new(t.amount, &cur),
            })
            .collect(),
        timeline: Timeline {
            opens_at: c.opens_at,
            submission_deadline: c.submission_deadline,
            judging_deadline: c.judging_deadline,
        },
        eligibility: c.eligibility.clone(),
        rules: RulesView {
            version: c.rules_version,
            html: crate::markdown::render(&rules),
            text: rules,
        },
        allowed_licences: c
            .licence_ids()
            .iter()
            .filter_map(|l| Licence::parse(l))
            .collect(),
        limits: Limits {
            submissions_per_solver: c.max_submissions_per_solver,
            team_size: c.max_team_size,
            attachment_bytes: c.max_attachment_bytes,
            submission_bytes: c.max_submission_bytes,
        },
        blind_judging: c.blind_judging,
        organisation: OrgRef {
            slug: org.slug,
            name: org.name,
        },
        escrow: flows.summary(c.prize_total, &cur),
        registrations,
        published_at: c.published_at,
        review: if organiser {
            Some(ReviewView {
                state: c.review_state.clone(),
                comment: c.review_comment.clone(),
                version: service::review_version(conn, c)?,
                pending_changes: service::pending_of(c),
            })
        } else {
            None
        },
        cancellation: cancellation(conn, c)?,
        viewer: Viewer {
            registered: reg.is_some(),
            rules_version_accepted: reg.as_ref().map(|r| r.rules_version),
            needs_reacceptance: reg
                .as_ref()
                .is_some_and(|r| r.rules_version < c.rules_version),
            organiser,
        },
    })
}

/// A challenge in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeSummary {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub category: String,
    pub tags: Vec<String>,
    pub kind: String,
    pub state: State,
    pub prize_pool: Money,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub submission_deadline: NaiveDateTime,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub published_at: Option<NaiveDateTime>,
    pub organisation: OrgRef,
    /// Escrow holds the whole pool.
    pub funded: bool,
}

/// Summaries for a page of challenges.
pub fn summaries(conn: &mut DbConnection, rows: &[Challenge]) -> AppResult<Vec<ChallengeSummary>> {
    let ids: Vec<String> = rows.iter().map(|c| c.org_id.clone()).collect();
    let orgs = store::org_names(conn, &ids)?;
    let challenge_ids: Vec<String> = rows.iter().map(|c| c.id.clone()).collect();
    let escrow = ledger::escrow_balances(conn, &challenge_ids)?;
    let at = now();
    let mut out = Vec::with_capacity(rows.len());
    for c in rows {
        let cur = currency_of(&c.currency)?;
        let (slug, name) = orgs
            .iter()
            .find(|(id, _, _)| *id == c.org_id)
            .map(|(_, s, n)| (s.clone(), n.clone()))
            .unwrap_or_default();
        let funded = escrow.get(&c.id).copied().unwrap_or(0) >= c.prize_total;
        out.push(ChallengeSummary {
            id: c.id.clone(),
            slug: c.slug.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            category: c.category.clone(),
            tags: c.tag_list(),
            kind: c.kind.clone(),
            state: c.state_at(at),
            prize_pool: Money::new(c.prize_total, &cur),
            submission_deadline: c.submission_deadline,
            published_at: c.published_at,
            organisation: OrgRef { slug, name },
            funded,
        });
    }
    Ok(out)
}

/// A page of challenges.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengePage {
    pub data: Vec<ChallengeSummary>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Filters, sort and paging of the challenge list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Words to find in the title, summary and description.
    pub q: Option<String>,
    /// Comma-separated states, e.g. `open,closed`. Without it every public
    /// state but `cancelled` is listed.
    pub state: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub kind: Option<String>,
    /// Smallest prize pool, in minor units.
    pub min_prize: Option<i64>,
    pub currency: Option<String>,
    /// Organisation slug.
    pub org: Option<String>,
    /// `newest` (default), `deadline_soonest` or `largest_prize`.
    pub sort: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl ListParams {
    /// Parses into a store query; bad values are 400s with the field named.
    pub fn to_query(&self, conn: &mut DbConnection) -> AppResult<ListQuery> {
        let mut states = Vec::new();
        for s in self
            .state
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            states.push(State::parse(s).ok_or_else(|| {
                AppError::bad_request("invalid_query", format!("unknown state {s:?}"))
            })?);
        }
        let sort = match self.sort.as_deref() {
            None | Some("") => Sort::Newest,
            Some(s) => Sort::parse(s).ok_or_else(|| {
                AppError::bad_request("invalid_query", format!("unknown sort {s:?}"))
            })?,
        };
        let cursor = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(Cursor::decode(c).ok_or_else(|| {
                AppError::bad_request("invalid_cursor", "The cursor is not one this API gave.")
            })?),
        };
        let limit = self.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(AppError::bad_request(
                "invalid_query",
                "limit must be between 1 and 100",
            ));
        }
        let org_id = match self.org.as_deref().filter(|s| !s.is_empty()) {
            Some(slug) => Some(
                crate::orgs::store::find_by_slug(conn, slug)?
                    .map(|o| o.id)
                    .unwrap_or_else(|| "-".into()),
            ),
            None => None,
        };
        let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.trim().is_empty());
        Ok(ListQuery {
            q: nonempty(&self.q),
            states,
            category: nonempty(&self.category),
            tag: nonempty(&self.tag).map(|t| t.to_lowercase()),
            kind: nonempty(&self.kind),
            min_prize: self.min_prize,
            currency: nonempty(&self.currency).map(|c| c.to_uppercase()),
            org_id,
            sort,
            cursor,
            limit,
        })
    }
}

/// A funding request and how to pay it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundingView {
    #[serde(flatten)]
    pub funding: Funding,
    /// Amount plus fee: what to transfer.
    pub total: Money,
    /// What to quote with the transfer so the admin can match it.
    pub payment_reference: String,
    /// Where to send the transfer, while a bank transfer is awaited and the
    /// platform configured its details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_to: Option<crate::config::BankDetails>,
}

/// The view of a funding request; `bank` says where transfers go.
pub fn funding_view(
    f: Funding,
    bank: Option<crate::config::BankDetails>,
) -> AppResult<FundingView> {
    let cur = currency_of(&f.currency)?;
    let awaiting_transfer =
        f.status == crate::money::model::funding_status::REQUESTED && f.checkout_url.is_none();
    Ok(FundingView {
        total: Money::new(f.amount + f.fee, &cur),
        payment_reference: crate::money::model::payment_reference(&f.id),
        pay_to: bank.filter(|_| awaiting_transfer),
        funding: f,
    })
}

/// A registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationView {
    pub challenge_id: String,
    pub rules_version: i32,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub accepted_at: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub registered_at: NaiveDateTime,
}

/// The view of a registration.
pub fn registration_view(r: Registration) -> RegistrationView {
    RegistrationView {
        challenge_id: r.challenge_id,
        rules_version: r.rules_version,
        accepted_at: r.accepted_at,
        registered_at: r.created_at,
    }
}

/// One of my registrations.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyRegistration {
    pub challenge: ChallengeSummary,
    pub rules_version: i32,
    pub needs_reacceptance: bool,
}

/// A question and its answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: String,
    pub body: String,
    pub is_public: bool,
    pub answer: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub answered_at: Option<NaiveDateTime>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub asked_at: NaiveDateTime,
    /// The caller asked it.
    pub mine: bool,
}

/// The view of a question for the caller `me`.
pub fn question_view(q: Question, me: Option<&str>) -> QuestionView {
    QuestionView {
        mine: me == Some(q.asked_by.as_str()),
        id: q.id,
        body: q.body,
        is_public: q.is_public,
        answer: q.answer,
        answered_at: q.answered_at,
        asked_at: q.created_at,
    }
}

/// An announcement.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementView {
    pub id: String,
    pub title: String,
    pub body: String,
    pub body_html: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub posted_at: NaiveDateTime,
}

/// The view of an announcement.
pub fn announcement_view(a: Announcement) -> AnnouncementView {
    AnnouncementView {
        body_html: crate::markdown::render(&a.body_md),
        id: a.id,
        title: a.title,
        body: a.body_md,
        posted_at: a.created_at,
    }
}
