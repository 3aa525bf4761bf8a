//! What an organisation's pages read: its dashboard of challenges, the step
//! form of a challenge, and the management page (escrow and funding,
//! registrants, entries, questions, announcements, the audit log).

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::views::{summaries, view, ChallengeSummary, ChallengeView};
use crate::audit::{self, AuditRecord};
use crate::auth::principal::Principal;
use crate::challenges::service;
use crate::challenges::store::{self, Announcement, Challenge, Question, Registrant, Tier};
use crate::db::DbConnection;
use crate::error::AppResult;
use crate::money::store::{self as ledger, Funding};
use crate::orgs::model::{allowed, OrgAction, Role};
use crate::state::AppState;

// ---- the dashboard ----

/// A challenge on its organisation's dashboard.
pub struct DashboardRow {
    pub ch: Challenge,
    pub summary: ChallengeSummary,
    /// What escrow holds, in minor units.
    pub balance: i64,
    /// What is requested on top and not yet confirmed.
    pub pending: i64,
}

/// An organisation's challenges, newest first, with their money.
pub struct Dashboard {
    pub org_name: String,
    pub org_slug: String,
    /// The reader's role (`None` for an API key).
    pub role: Option<Role>,
    pub rows: Vec<DashboardRow>,
}

/// The dashboard of the organisation `slug`.
pub async fn dashboard(state: &AppState, caller: Principal, slug: String) -> AppResult<Dashboard> {
    state
        .db(move |c| {
            let a = crate::orgs::service::access(c, &caller, &slug, OrgAction::ViewChallenges)?;
            let challenges = store::of_org(c, &a.org.id)?;
            let sums = summaries(c, &challenges)?;
            let mut rows = Vec::with_capacity(challenges.len());
            for (ch, summary) in challenges.into_iter().zip(sums) {
                rows.push(DashboardRow {
                    balance: service::flows(c, &ch)?.balance(),
                    pending: ledger::pending_amount(c, &ch.id)?,
                    ch,
                    summary,
                });
            }
            Ok(Dashboard {
                org_name: a.org.name,
                org_slug: a.org.slug,
                role: a.role,
                rows,
            })
        })
        .await
}

// ---- the step form ----

/// The organisation a new challenge's form is for.
pub struct FormOrg {
    pub name: String,
    pub slug: String,
}

/// The organisation `slug`, when the caller may edit its challenges.
pub async fn form_org(state: &AppState, caller: Principal, slug: String) -> AppResult<FormOrg> {
    state
        .db(move |c| {
            let org =
                crate::orgs::service::access(c, &caller, &slug, OrgAction::EditChallenges)?.org;
            Ok(FormOrg {
                name: org.name,
                slug: org.slug,
            })
        })
        .await
}

/// A challenge with what its form needs.
pub struct EditData {
    pub org_name: String,
    pub ch: Challenge,
    pub tiers: Vec<Tier>,
    pub rules: String,
}

/// A challenge the caller may edit, for its form.
pub async fn edit(state: &AppState, caller: Principal, key: String) -> AppResult<EditData> {
    state
        .db(move |c| {
            let (ch, a) = service::org_access(c, &caller, &key, OrgAction::EditChallenges)?;
            Ok(EditData {
                org_name: a.org.name,
                tiers: store::tiers(c, &ch.id)?,
                rules: store::rules(c, &ch.id, ch.rules_version)?,
                ch,
            })
        })
        .await
}

// ---- the management page ----

/// Who wrote an audit record.
pub enum ActorName {
    User(String),
    /// An API key, by its name.
    Key(String),
    /// The platform itself (a deadline passed).
    System,
}

/// An audit record with its actor's name and its data.
pub struct AuditItem {
    pub record: AuditRecord,
    pub actor: ActorName,
    pub data: serde_json::Value,
}

/// A submission as the organisation lists it: entered, withdrawn or
/// disqualified (drafts stay with their team).
pub struct EntryItem {
    pub id: String,
    pub title: String,
    /// The team members' names.
    pub team: String,
    pub state: String,
    pub revision: i32,
    pub updated_at: NaiveDateTime,
}

/// Everything the management page shows, read in one go.
pub struct ManageData {
    pub view: ChallengeView,
    pub currency: String,
    pub can_publish: bool,
    pub can_fund: bool,
    pub review_required: bool,
    /// Requested and not yet confirmed, in minor units.
    pub pending: i64,
    pub fundings: Vec<Funding>,
    pub registrants: Vec<Registrant>,
    pub entries: Vec<EntryItem>,
    /// Questions with the asker's name.
    pub questions: Vec<(Question, String)>,
    pub announcements: Vec<Announcement>,
    /// The newest audit records (at most [`AUDIT_SHOWN`]).
    pub audit: Vec<AuditItem>,
    /// How many audit records there are in all.
    pub audit_total: usize,
    /// Prize money out: each winner's payout and the refund.
    pub payouts: Vec<crate::payouts::queries::PayoutView>,
    pub refund: Option<crate::payouts::queries::RefundView>,
    /// Where to send a bank transfer (manual provider), when configured.
    pub bank: Option<crate::config::BankDetails>,
    /// Files attached to the challenge, and its cover image.
    pub resources: Vec<store::Resource>,
    pub cover: Option<store::Resource>,
}

/// How many audit records the page lists (the newest).
pub const AUDIT_SHOWN: usize = 100;

/// The management page of a challenge the caller may see as its organisation.
pub async fn management(state: &AppState, caller: Principal, key: String) -> AppResult<ManageData> {
    let bank = state.config.bank_details();
    state
        .db(move |c| {
            let (ch, a) = service::org_access(c, &caller, &key, OrgAction::ViewChallenges)?;
            let view = view(c, &ch, Some(&caller), true)?;
            let registrants = store::registrants(c, &ch.id)?;
            let mut names: HashMap<String, String> = registrants
                .iter()
                .map(|r| (r.user_id.clone(), r.display_name.clone()))
                .collect();
            let mut questions = Vec::new();
            for q in store::list_questions(c, &ch.id, &store::QuestionScope::All)? {
                let name = user_name(c, &mut names, &q.asked_by);
                questions.push((q, name));
            }
            let (audit, audit_total) = audit_items(c, &ch, &mut names)?;
            let (payouts, refund) = crate::payouts::queries::money_out(c, &ch.id)?;
            Ok(ManageData {
                resources: store::resources_of(c, &ch.id, store::resource_kind::FILE)?,
                cover: store::resources_of(c, &ch.id, store::resource_kind::COVER)?
                    .into_iter()
                    .next(),
                bank,
                payouts,
                refund,
                currency: ch.currency.clone(),
                can_publish: allowed(&a.who, OrgAction::PublishChallenges),
                can_fund: allowed(&a.who, OrgAction::FundChallenges),
                review_required: service::review_required(c)?,
                pending: ledger::pending_amount(c, &ch.id)?,
                fundings: ledger::fundings_of(c, &ch.id)?,
                announcements: store::list_announcements(c, &ch.id)?,
                entries: entries(c, &ch.id)?,
                registrants,
                questions,
                audit,
                audit_total,
                view,
            })
        })
        .await
}

/// The id of the challenge a question belongs to (404 for an unknown one).
pub async fn question_challenge(state: &AppState, question_id: String) -> AppResult<String> {
    state
        .db(move |c| Ok(store::find_question(c, &question_id)?.challenge_id))
        .await
}

/// The newest audit records of a challenge with names and data, and how
/// many there are in all.
fn audit_items(
    c: &mut DbConnection,
    ch: &Challenge,
    names: &mut HashMap<String, String>,
) -> AppResult<(Vec<AuditItem>, usize)> {
    let mut records = audit::for_subject(c, "challenge", &ch.id)?;
    let total = records.len();
    records.reverse();
    records.truncate(AUDIT_SHOWN);
    let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    let data: HashMap<String, String> = store::audit_data(c, &ids)?.into_iter().collect();
    let keys: HashMap<String, String> = crate::orgs::store::list_api_keys(c, &ch.org_id)?
        .into_iter()
        .map(|k| (k.id, k.name))
        .collect();
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        let actor = match (&r.actor_user_id, &r.actor_api_key_id) {
            (Some(uid), _) => ActorName::User(user_name(c, names, uid)),
            (None, Some(kid)) => ActorName::Key(keys.get(kid).cloned().unwrap_or_default()),
            (None, None) => ActorName::System,
        };
        let data = data
            .get(&r.id)
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(serde_json::Value::Null);
        out.push(AuditItem {
            record: r,
            actor,
            data,
        });
    }
    Ok((out, total))
}

/// A user's display name, cached for the page.
fn user_name(c: &mut DbConnection, names: &mut HashMap<String, String>, id: &str) -> String {
    if let Some(n) = names.get(id) {
        return n.clone();
    }
    let n = crate::auth::store::find_user(c, id)
        .map(|u| u.display_name)
        .unwrap_or_default();
    names.insert(id.to_owned(), n.clone());
    n
}

/// The challenge's entries: never a draft that was not entered.
/// A challenge's registrants (`what = "registrants"`) or entries (`"entries"`)
/// as CSV, for its organisation; typed text is made safe for spreadsheets.
pub async fn export_csv(
    state: &AppState,
    caller: Principal,
    key: String,
    what: &'static str,
) -> AppResult<String> {
    use crate::api::csv_cell as cell;
    use crate::error::AppError;
    state
        .db(move |c| {
            let action = if what == "entries" {
                OrgAction::ViewSubmissions
            } else {
                OrgAction::ViewChallenges
            };
            let (ch, _) = crate::challenges::service::org_access(c, &caller, &key, action)?;
            let mut w = csv::Writer::from_writer(Vec::new());
            let err = |e: csv::Error| AppError::internal(e.to_string());
            let time = |t: NaiveDateTime| {
                t.and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            };
            if what == "entries" {
                w.write_record([
                    "submission_id",
                    "title",
                    "team",
                    "state",
                    "revision",
                    "updated_at",
                ])
                .map_err(err)?;
                for e in entries(c, &ch.id)? {
                    w.write_record([
                        e.id,
                        cell(&e.title),
                        cell(&e.team),
                        e.state,
                        e.revision.to_string(),
                        time(e.updated_at),
                    ])
                    .map_err(err)?;
                }
            } else {
                w.write_record([
                    "user_id",
                    "name",
                    "email",
                    "rules_version",
                    "registered_at",
                    "accepted_at",
                ])
                .map_err(err)?;
                for r in store::registrants(c, &ch.id)? {
                    w.write_record([
                        r.user_id,
                        cell(&r.display_name),
                        cell(&r.email),
                        r.rules_version.to_string(),
                        time(r.registered_at),
                        time(r.accepted_at),
                    ])
                    .map_err(err)?;
                }
            }
            let bytes = w
                .into_inner()
                .map_err(|e| AppError::internal(e.to_string()))?;
            String::from_utf8(bytes).map_err(AppError::internal)
        })
        .await
}

fn entries(c: &mut DbConnection, challenge_id: &str) -> AppResult<Vec<EntryItem>> {
    let mut out = Vec::new();
    for s in crate::submissions::store::of_challenge(c, challenge_id)? {
        if s.submitted_at.is_none() {
            continue;
        }
        let team = crate::submissions::store::members(c, &s.team_id)?
            .into_iter()
            .map(|(_, name, _)| name)
            .collect::<Vec<_>>()
            .join(", ");
        out.push(EntryItem {
            id: s.id,
            title: s.title,
            team,
            state: s.state,
            revision: s.current_revision,
            updated_at: s.updated_at,
        });
    }
    Ok(out)
}
