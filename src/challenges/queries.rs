//! Read models of challenges: what the JSON API answers, what the pages and
//! the feeds show. Each function reads in one go, on one connection, and
//! applies who may see what through [`service::readable`] and
//! [`service::org_access`], so the API and the pages never show a challenge
//! differently. Nothing here writes.
//!
//! The JSON views live in [`views`]; the management pages of an
//! organisation read through [`manage`]. The rows handlers may name are
//! re-exported here, so handlers never reach for a store.

mod manage;
mod resources;
mod views;

pub use super::store::Resource;
pub use manage::{
    dashboard, edit, export_csv, form_org, management, question_challenge, ActorName, AuditItem,
    Dashboard, DashboardRow, EditData, EntryItem, FormOrg, ManageData,
};
pub use resources::{cover, resource_file, resources, ResourceList, ResourceView};
pub use views::{
    announcement_view, funding_view, question_view, registration_view, summaries, view,
    AnnouncementView, CancelRefund, CancellationView, ChallengePage, ChallengeSummary,
    ChallengeView, FundingView, Limits, ListParams, MyRegistration, OrgRef, QuestionView,
    RegistrationView, ReviewView, RulesView, TierView, Timeline, Viewer,
};

pub use super::store::{Announcement, Challenge, Question, Registrant, Tier};
pub use crate::money::store::Funding;

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{Sort, State};
use super::service::{self, Settings};
use super::store::{self, ListQuery, QuestionScope};
use crate::audit::{self, AuditRecord};
use crate::auth::principal::{AuthUser, Principal};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::money::model::{EscrowSummary, Money};
use crate::money::store as ledger;
use crate::orgs::model::OrgAction;
use crate::state::AppState;

// ---- one challenge ----

/// `ch` as `caller` sees it, as its organisation or not: the answer to a
/// write that returned it.
pub async fn view_of(
    state: &AppState,
    ch: Challenge,
    caller: Option<Principal>,
    organiser: bool,
) -> AppResult<ChallengeView> {
    state
        .db(move |c| view(c, &ch, caller.as_ref(), organiser))
        .await
}

/// A challenge the caller may read (drafts only for its organisation).
pub async fn challenge(
    state: &AppState,
    caller: Option<Principal>,
    key: String,
) -> AppResult<ChallengeView> {
    state
        .db(move |c| {
            let (ch, organiser) = service::readable(c, caller.as_ref(), &key)?;
            view(c, &ch, caller.as_ref(), organiser)
        })
        .await
}

/// The public escrow summary of a challenge the caller may read.
pub async fn escrow(
    state: &AppState,
    caller: Option<Principal>,
    key: String,
) -> AppResult<EscrowSummary> {
    state
        .db(move |c| {
            let (ch, _) = service::readable(c, caller.as_ref(), &key)?;
            let cur = service::currency_of(&ch.currency)?;
            Ok(service::flows(c, &ch)?.summary(ch.prize_total, &cur))
        })
        .await
}

/// The slug of a challenge by id (links use it even when a form was posted
/// to the id).
pub async fn slug_of(state: &AppState, id: String) -> AppResult<String> {
    state.db(move |c| Ok(store::find(c, &id)?.slug)).await
}

/// The question scope of a reader: the organisation sees every question,
/// anyone else the answered public ones and their own.
fn scope(organiser: bool, me: Option<String>) -> QuestionScope {
    if organiser {
        QuestionScope::All
    } else {
        QuestionScope::Viewer(me)
    }
}

/// The person behind a caller, if it is one.
fn person(caller: Option<&Principal>) -> Option<String> {
    match caller {
        Some(Principal::User(u)) => Some(u.user.id.clone()),
        _ => None,
    }
}

/// The questions of a challenge the caller may see.
pub async fn questions(
    state: &AppState,
    caller: Option<Principal>,
    key: String,
) -> AppResult<Vec<QuestionView>> {
    state
        .db(move |c| {
            let (ch, organiser) = service::readable(c, caller.as_ref(), &key)?;
            let me = person(caller.as_ref());
            Ok(
                store::list_questions(c, &ch.id, &scope(organiser, me.clone()))?
                    .into_iter()
                    .map(|q| question_view(q, me.as_deref()))
                    .collect(),
            )
        })
        .await
}

/// The announcements of a challenge the caller may read, newest first.
pub async fn announcements(
    state: &AppState,
    caller: Option<Principal>,
    key: String,
) -> AppResult<Vec<AnnouncementView>> {
    state
        .db(move |c| {
            let (ch, _) = service::readable(c, caller.as_ref(), &key)?;
            Ok(store::list_announcements(c, &ch.id)?
                .into_iter()
                .map(announcement_view)
                .collect())
        })
        .await
}

/// Everything the public challenge page shows, for a visitor or a person.
pub struct PublicChallenge {
    pub ch: Challenge,
    pub view: ChallengeView,
    /// When the person accepted the rules version they registered under.
    pub accepted_at: Option<NaiveDateTime>,
    /// The questions they may see (as the API's `questions`).
    pub questions: Vec<Question>,
    pub announcements: Vec<Announcement>,
    /// Rounds whose rubric is public (the first from publication, later
    /// ones once open), with their criteria.
    pub rounds: Vec<crate::judging::queries::views::RoundView>,
    /// Whether results are published.
    pub results: bool,
    /// Its files (with what the person may download) and cover.
    pub resources: ResourceList,
}

/// The public page of a challenge the person may read.
pub async fn public_page(
    state: &AppState,
    user: Option<AuthUser>,
    key: String,
) -> AppResult<PublicChallenge> {
    state
        .db(move |c| {
            let uid = user.as_ref().map(|u| u.user.id.clone());
            let who = user.map(Principal::User);
            let (ch, organiser) = service::readable(c, who.as_ref(), &key)?;
            let view = view(c, &ch, who.as_ref(), organiser)?;
            let accepted_at = match &uid {
                Some(u) => store::registration(c, &ch.id, u)?.map(|r| r.accepted_at),
                None => None,
            };
            Ok(PublicChallenge {
                resources: resources::listed(c, who.as_ref(), &ch, organiser)?,
                questions: store::list_questions(c, &ch.id, &scope(organiser, uid))?,
                announcements: store::list_announcements(c, &ch.id)?,
                rounds: crate::judging::queries::views::rounds(c, &ch, false)?,
                results: crate::judging::store::results_of(c, &ch.id)?.is_some(),
                ch,
                view,
                accepted_at,
            })
        })
        .await
}

// ---- lists ----

/// One page of public challenges for the API's parameters.
pub async fn list(state: &AppState, params: ListParams) -> AppResult<ChallengePage> {
    state
        .db(move |c| {
            let q = params.to_query(c)?;
            page(c, &q)
        })
        .await
}

/// A page of the public list and the cursor of the next one.
fn page(c: &mut DbConnection, q: &ListQuery) -> AppResult<ChallengePage> {
    let (rows, next) = store::list_public(c, q, now())?;
    Ok(ChallengePage {
        data: summaries(c, &rows)?,
        next_cursor: next.map(|n| n.encode()),
    })
}

/// A page of the public list as people browse it.
pub struct Browsed {
    pub page: ChallengePage,
    /// A stale or mangled cursor started the list again from the top.
    pub cursor_reset: bool,
    /// How many challenges match, over every page.
    pub total: i64,
    /// Slug and name of each organisation with public challenges.
    pub orgs: Vec<(String, String)>,
}

/// A page of the public list for people browsing it: a stale or mangled
/// cursor starts again from the top instead of failing.
pub async fn browse(state: &AppState, params: ListParams) -> AppResult<Browsed> {
    state
        .db(move |c| {
            let (query, reset) = match params.to_query(c) {
                Ok(q) => (q, false),
                Err(AppError::BadRequest {
                    code: "invalid_cursor",
                    ..
                }) => {
                    let mut p = params.clone();
                    p.cursor = None;
                    (p.to_query(c)?, true)
                }
                Err(e) => return Err(e),
            };
            Ok(Browsed {
                total: store::count_public(c, &query, now())?,
                orgs: store::public_orgs(c)?,
                page: page(c, &query)?,
                cursor_reset: reset,
            })
        })
        .await
}

/// An organisation's public face: its challenges, open and past, and what
/// it has awarded.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgProfile {
    pub organisation: OrgRef,
    /// Taking entries now, closing soonest first.
    pub open: Vec<ChallengeSummary>,
    /// Closed, in judging, awarded or settled, newest first (at most 100).
    pub past: Vec<ChallengeSummary>,
    /// Prizes awarded over all its challenges, one total per currency.
    pub awarded: Vec<Money>,
}

/// The public profile of the organisation `slug`: 404 when there is no such
/// organisation or it has no public challenge open or past yet.
pub async fn org_profile(state: &AppState, slug: String) -> AppResult<OrgProfile> {
    state
        .db(move |c| {
            let org = crate::orgs::store::find_by_slug(c, &slug)?.ok_or(AppError::NotFound)?;
            let at = now();
            let mut q = ListQuery {
                org_id: Some(org.id.clone()),
                states: vec![State::Open],
                sort: Sort::DeadlineSoonest,
                limit: 100,
                ..Default::default()
            };
            let (open, _) = store::list_public(c, &q, at)?;
            q.states = vec![
                State::Closed,
                State::Judging,
                State::Awarded,
                State::Settled,
            ];
            q.sort = Sort::Newest;
            let (past, _) = store::list_public(c, &q, at)?;
            // An organisation that has not published yet keeps to itself.
            if open.is_empty() && past.is_empty() {
                return Err(AppError::NotFound);
            }
            let mut totals: std::collections::BTreeMap<String, i64> = Default::default();
            for ch in &past {
                let cur = service::currency_of(&ch.currency)?;
                let awarded = service::flows(c, ch)?.summary(ch.prize_total, &cur).awarded;
                if awarded.amount > 0 {
                    *totals.entry(ch.currency.clone()).or_default() += awarded.amount;
                }
            }
            let mut awarded = Vec::new();
            for (code, amount) in totals {
                awarded.push(Money::new(amount, &service::currency_of(&code)?));
            }
            Ok(OrgProfile {
                organisation: OrgRef {
                    slug: org.slug,
                    name: org.name,
                },
                open: summaries(c, &open)?,
                past: summaries(c, &past)?,
                awarded,
            })
        })
        .await
}

/// The `n` open challenges that close soonest (the home page shows them).
pub async fn featured(state: &AppState, n: i64) -> AppResult<Vec<ChallengeSummary>> {
    let q = ListQuery {
        states: vec![State::Open],
        sort: Sort::DeadlineSoonest,
        limit: n,
        ..Default::default()
    };
    state.db(move |c| Ok(page(c, &q)?.data)).await
}

/// An organisation's challenges in every state, newest first.
pub async fn of_org(state: &AppState, caller: Principal, slug: String) -> AppResult<ChallengePage> {
    state
        .db(move |c| {
            let a = crate::orgs::service::access(c, &caller, &slug, OrgAction::ViewChallenges)?;
            let rows = store::of_org(c, &a.org.id)?;
            Ok(ChallengePage {
                data: summaries(c, &rows)?,
                next_cursor: None,
            })
        })
        .await
}

/// The challenges a person registered for, newest first.
pub async fn my_registrations(state: &AppState, user_id: String) -> AppResult<Vec<MyRegistration>> {
    state
        .db(move |c| {
            let rows = store::registrations_of(c, &user_id)?;
            let challenges: Vec<Challenge> = rows.iter().map(|(_, ch)| ch.clone()).collect();
            let sums = summaries(c, &challenges)?;
            Ok(rows
                .into_iter()
                .zip(sums)
                .map(|((r, ch), s)| MyRegistration {
                    needs_reacceptance: r.rules_version < ch.rules_version,
                    rules_version: r.rules_version,
                    challenge: s,
                })
                .collect())
        })
        .await
}

// ---- the organisation's side ----

/// Who registered for a challenge (its organisation).
pub async fn registrants(
    state: &AppState,
    caller: Principal,
    key: String,
) -> AppResult<Vec<Registrant>> {
    state
        .db(move |c| {
            let (ch, _) = service::org_access(c, &caller, &key, OrgAction::ViewChallenges)?;
            Ok(store::registrants(c, &ch.id)?)
        })
        .await
}

/// A challenge's funding requests (its organisation).
pub async fn fundings(
    state: &AppState,
    caller: Principal,
    key: String,
) -> AppResult<Vec<FundingView>> {
    let list = state
        .db(move |c| {
            let (ch, _) = service::org_access(c, &caller, &key, OrgAction::ViewChallenges)?;
            Ok(ledger::fundings_of(c, &ch.id)?)
        })
        .await?;
    let bank = state.config.bank_details();
    list.into_iter()
        .map(|f| funding_view(f, bank.clone()))
        .collect()
}

/// Every change to a challenge (its organisation).
pub async fn audit_trail(
    state: &AppState,
    caller: Principal,
    key: String,
) -> AppResult<Vec<AuditRecord>> {
    state
        .db(move |c| {
            let (ch, _) = service::org_access(c, &caller, &key, OrgAction::ViewChallenges)?;
            Ok(audit::for_subject(c, "challenge", &ch.id)?)
        })
        .await
}

// ---- the platform admin's side ----

/// Funding requests waiting for the money to arrive.
pub async fn pending_fundings(state: &AppState) -> AppResult<Vec<FundingView>> {
    let list = state.db(|c| Ok(ledger::pending_fundings(c)?)).await?;
    list.into_iter().map(|f| funding_view(f, None)).collect()
}

/// Challenges waiting for the platform's review, oldest request first.
pub async fn awaiting_review(state: &AppState) -> AppResult<ChallengePage> {
    state
        .db(|c| {
            let rows = store::awaiting_review(c)?;
            Ok(ChallengePage {
                data: summaries(c, &rows)?,
                next_cursor: None,
            })
        })
        .await
}

/// The platform settings in force.
pub async fn settings(state: &AppState) -> AppResult<Settings> {
    state
        .db(|c| {
            Ok(Settings {
                publish_requires_review: service::review_required(c)?,
            })
        })
        .await
}

/// A funding request waiting for its money, with its challenge's title and
/// its organisation's name.
pub struct PendingFunding {
    pub funding: Funding,
    pub challenge_title: String,
    pub org_name: String,
}

/// A challenge waiting for review as the admin reads it: the text as it
/// would go live, and the review version the decision names.
pub struct ReviewCase {
    pub ch: Challenge,
    pub view: ChallengeView,
    pub version: String,
}

/// The platform admin's page: both queues and the setting.
pub struct AdminQueues {
    pub fundings: Vec<PendingFunding>,
    pub reviews: Vec<ReviewCase>,
    pub review_required: bool,
}

/// Everything the platform admin's page shows, read in one go.
pub async fn admin_queues(state: &AppState) -> AppResult<AdminQueues> {
    state
        .db(|c| {
            let mut fundings = Vec::new();
            for f in ledger::pending_fundings(c)? {
                let ch = store::find(c, &f.challenge_id)?;
                let org = crate::orgs::store::find_by_id(c, &ch.org_id)?;
                fundings.push(PendingFunding {
                    funding: f,
                    challenge_title: ch.title,
                    org_name: org.name,
                });
            }
            let mut reviews = Vec::new();
            for ch in store::awaiting_review(c)? {
                // The admin reads the text as it would go live.
                let (shown, rules) = service::as_reviewed(c, &ch)?;
                let mut view = view(c, &shown, None, true)?;
                view.rules.html = crate::markdown::render(&rules);
                let version = service::review_version(c, &ch)?;
                reviews.push(ReviewCase { ch, view, version });
            }
            Ok(AdminQueues {
                fundings,
                reviews,
                review_required: service::review_required(c)?,
            })
        })
        .await
}

// ---- feeds ----

/// How many challenges the Atom feed carries.
pub const FEED_SIZE: usize = 50;

/// A challenge in the feed with its organisation's slug and name.
pub struct FeedItem {
    pub ch: Challenge,
    pub org_slug: String,
    pub org_name: String,
}

/// The newest published challenges, newest first: every listed state but
/// cancelled, plus the cancelled ones that had been opened (a cancelled
/// draft was never public). Two queries, so ordering never meets a missing
/// `published_at`.
pub async fn latest(state: &AppState) -> AppResult<Vec<FeedItem>> {
    state
        .db(|c| {
            let at = now();
            let query = |states: Vec<State>| ListQuery {
                states,
                sort: Sort::Newest,
                limit: FEED_SIZE as i64,
                ..ListQuery::default()
            };
            let listed = [
                State::Open,
                State::Closed,
                State::Judging,
                State::Awarded,
                State::Settled,
            ];
            let (mut rows, _) = store::list_public(c, &query(listed.to_vec()), at)?;
            let (cancelled, _) = store::list_public(c, &query(vec![State::Cancelled]), at)?;
            rows.extend(cancelled.into_iter().filter(|c| c.published_at.is_some()));
            rows.sort_by(|a, b| (b.published_at, &b.id).cmp(&(a.published_at, &a.id)));
            rows.truncate(FEED_SIZE);
            let ids: Vec<String> = rows.iter().map(|r| r.org_id.clone()).collect();
            let orgs = store::org_names(c, &ids)?;
            Ok(rows
                .into_iter()
                .map(|ch| {
                    let (org_slug, org_name) = orgs
                        .iter()
                        .find(|o| o.0 == ch.org_id)
                        .map(|o| (o.1.clone(), o.2.clone()))
                        .unwrap_or_default();
                    FeedItem {
                        ch,
                        org_slug,
                        org_name,
                    }
                })
                .collect())
        })
        .await
}

/// A challenge the caller may read, with its organisation's name (its
/// calendar).
pub async fn with_org_name(
    state: &AppState,
    caller: Option<Principal>,
    key: String,
) -> AppResult<(Challenge, String)> {
    state
        .db(move |c| {
            let (ch, _) = service::readable(c, caller.as_ref(), &key)?;
            let org = crate::orgs::store::find_by_id(c, &ch.org_id)?;
            Ok((ch, org.name))
        })
        .await
}
