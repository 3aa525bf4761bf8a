//! Read models of payouts and refunds: a solver's own, an organisation's
//! challenge, and the platform admins' lists with filters and a CSV export.

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{self, Status};
use super::service::Outgoing;
use super::store::{self, Filter, Payout, Refund};
use crate::auth::principal::Principal;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::money::model::{Currency, Money};
use crate::money::reconcile::{reconcile, Difference, LedgerItem, OutKind, ProviderItem};
use crate::money::store as ledger;
use crate::orgs::model::OrgAction;
use crate::state::AppState;

/// A payout as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayoutView {
    pub id: String,
    pub challenge_id: String,
    pub challenge_title: String,
    pub award_id: String,
    /// Who is paid.
    pub user_id: String,
    pub payee_name: String,
    pub amount: Money,
    pub status: Status,
    /// `manual` or `stripe`.
    pub provider: String,
    /// The bank or provider reference, once sent.
    pub reference: Option<String>,
    /// Why the last attempt failed.
    pub failure: Option<String>,
    pub attempts: i32,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub paid_at: Option<NaiveDateTime>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub failed_at: Option<NaiveDateTime>,
}

/// A refund as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefundView {
    pub id: String,
    pub challenge_id: String,
    pub challenge_title: String,
    pub org_id: String,
    pub org_name: String,
    pub amount: Money,
    /// `unawarded` (results are out) or `cancelled`.
    pub reason: String,
    pub status: Status,
    pub provider: String,
    pub reference: Option<String>,
    pub failure: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub paid_at: Option<NaiveDateTime>,
}

/// Payouts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutList {
    pub data: Vec<PayoutView>,
}

/// Refunds.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundList {
    pub data: Vec<RefundView>,
}

/// A challenge's money out: its payouts and its refund.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengePayouts {
    pub data: Vec<PayoutView>,
    pub refund: Option<RefundView>,
    /// Whether everything is paid (the challenge is `settled`).
    pub settled: bool,
}

fn money(amount: i64, code: &str) -> AppResult<Money> {
    let cur = Currency::parse("currency", code).map_err(|e| AppError::internal(e.message))?;
    Ok(Money::new(amount, &cur))
}

/// A payout with its challenge's title and its payee's name.
pub fn payout_view(c: &mut DbConnection, p: Payout) -> AppResult<PayoutView> {
    let ch = crate::challenges::store::find(c, &p.challenge_id)?;
    let user = crate::auth::store::find_user(c, &p.user_id)?;
    Ok(PayoutView {
        amount: money(p.amount, &p.currency)?,
        status: p.state(),
        challenge_title: ch.title,
        payee_name: user.display_name,
        id: p.id,
        challenge_id: p.challenge_id,
        award_id: p.award_id,
        user_id: p.user_id,
        provider: p.provider,
        reference: p.reference,
        failure: p.failure,
        attempts: p.attempts,
        created_at: p.created_at,
        paid_at: p.paid_at,
        failed_at: p.failed_at,
    })
}

/// A refund with its challenge's title and its organisation's name.
pub fn refund_view(c: &mut DbConnection, r: Refund) -> AppResult<RefundView> {
    let ch = crate::challenges::store::find(c, &r.challenge_id)?;
    let org = crate::orgs::store::find_by_id(c, &r.org_id)?;
    Ok(RefundView {
        amount: money(r.amount, &r.currency)?,
        status: r.state(),
        challenge_title: ch.title,
        org_name: org.name,
        id: r.id,
        challenge_id: r.challenge_id,
        org_id: r.org_id,
        reason: r.reason,
        provider: r.provider,
        reference: r.reference,
        failure: r.failure,
        created_at: r.created_at,
        paid_at: r.paid_at,
    })
}

/// The caller's own payouts, newest first.
pub async fn mine(state: &AppState, user_id: &str) -> AppResult<Vec<PayoutView>> {
    let uid = user_id.to_owned();
    state
        .db(move |c| {
            store::payouts_of_user(c, &uid)?
                .into_iter()
                .map(|p| payout_view(c, p))
                .collect()
        })
        .await
}

/// Filters of the admins' lists, as typed.
#[derive(Debug, Clone, Default)]
pub struct AdminFilter {
    pub status: Option<String>,
    pub challenge: Option<String>,
}

impl AdminFilter {
    fn parse(&self, c: &mut DbConnection) -> AppResult<Filter> {
        let status = match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(Status::parse(s).ok_or_else(|| {
                AppError::Validation(vec![crate::error::FieldError::new(
                    "status",
                    "invalid_status",
                    "Choose pending, submitted, paid or failed.",
                )])
            })?),
        };
        let challenge_id = match self.challenge.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(key) => Some(
                crate::challenges::store::find_by_key(c, key)?
                    .ok_or(AppError::NotFound)?
                    .id,
            ),
        };
        Ok(Filter {
            status,
            challenge_id,
        })
    }
}

/// How many rows an admin list shows (the CSV has them all).
pub const ADMIN_LIMIT: i64 = 500;

/// Every payout and refund, filtered (platform admins).
pub async fn admin_lists(
    state: &AppState,
    f: AdminFilter,
    limit: i64,
) -> AppResult<(Vec<PayoutView>, Vec<RefundView>)> {
    state
        .db(move |c| {
            let filter = f.parse(c)?;
            let payouts = store::list_payouts(c, &filter, limit)?
                .into_iter()
                .map(|p| payout_view(c, p))
                .collect::<AppResult<Vec<_>>>()?;
            let refunds = store::list_refunds(c, &filter, limit)?
                .into_iter()
                .map(|r| refund_view(c, r))
                .collect::<AppResult<Vec<_>>>()?;
            Ok((payouts, refunds))
        })
        .await
}

/// The admins' list as CSV: one line per payout or refund.
pub async fn admin_csv(state: &AppState, f: AdminFilter) -> AppResult<String> {
    let (payouts, refunds) = admin_lists(state, f, i64::MAX).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "kind",
        "id",
        "challenge_id",
        "challenge",
        "payee",
        "amount",
        "currency",
        "status",
        "provider",
        "reference",
        "failure",
        "created_at",
        "paid_at",
    ];
    let csv_err = |e: csv::Error| AppError::internal(e.to_string());
    w.write_record(header).map_err(csv_err)?;
    let stamp = |t: Option<NaiveDateTime>| t.map(|t| t.and_utc().to_rfc3339()).unwrap_or_default();
    for p in payouts {
        w.write_record([
            "payout".to_owned(),
            p.id,
            p.challenge_id,
            cell(&p.challenge_title),
            cell(&p.payee_name),
            p.amount.amount.to_string(),
            p.amount.currency,
            p.status.as_str().to_owned(),
            p.provider,
            cell(p.reference.as_deref().unwrap_or("")),
            cell(p.failure.as_deref().unwrap_or("")),
            stamp(Some(p.created_at)),
            stamp(p.paid_at),
        ])
        .map_err(csv_err)?;
    }
    for r in refunds {
        w.write_record([
            "refund".to_owned(),
            r.id,
            r.challenge_id,
            cell(&r.challenge_title),
            cell(&r.org_name),
            r.amount.amount.to_string(),
            r.amount.currency,
            r.status.as_str().to_owned(),
            r.provider,
            cell(r.reference.as_deref().unwrap_or("")),
            cell(r.failure.as_deref().unwrap_or("")),
            stamp(Some(r.created_at)),
            stamp(r.paid_at),
        ])
        .map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(AppError::internal)
}

use crate::api::csv_cell as cell;

/// A challenge's payouts and refund, for its organisation.
pub async fn of_challenge(
    state: &AppState,
    caller: &Principal,
    key: &str,
) -> AppResult<ChallengePayouts> {
    let (caller, key) = (caller.clone(), key.to_owned());
    state
        .db(move |c| {
            let (ch, _) = crate::challenges::service::org_access(
                c,
                &caller,
                &key,
                OrgAction::ViewChallenges,
            )?;
            let (data, refund) = money_out(c, &ch.id)?;
            Ok(ChallengePayouts {
                data,
                refund,
                settled: ch.stored_state() == crate::challenges::model::State::Settled,
            })
        })
        .await
}

/// A challenge's payouts and its refund (organisation views).
pub fn money_out(
    c: &mut DbConnection,
    challenge_id: &str,
) -> AppResult<(Vec<PayoutView>, Option<RefundView>)> {
    let payouts = store::payouts_of_challenge(c, challenge_id)?
        .into_iter()
        .map(|p| payout_view(c, p))
        .collect::<AppResult<Vec<_>>>()?;
    let refund = store::refund_of_challenge(c, challenge_id)?
        .map(|r| refund_view(c, r))
        .transpose()?;
    Ok((payouts, refund))
}

/// The payout of one award's part for one person, if any (dashboards).
pub fn payout_of(c: &mut DbConnection, award_id: &str, user_id: &str) -> AppResult<Option<Payout>> {
    Ok(store::payouts_of_user(c, user_id)?
        .into_iter()
        .find(|p| p.award_id == award_id))
}

/// Reconciliation with the manual provider, whose record of what left is
/// the payouts and refunds marked paid: the ledger's `payout` and
/// `refund_paid` entries against those rows, matched by the key each row's
/// entry is journaled under. Every difference, none when the books agree.
pub fn manual_differences(c: &mut DbConnection) -> AppResult<Vec<Difference>> {
    let ledger: Vec<LedgerItem> = ledger::outflows(c)?
        .into_iter()
        .filter_map(|o| {
            let kind = match o.kind.as_str() {
                ledger::entry_kind::PAYOUT => OutKind::Transfer,
                ledger::entry_kind::REFUND_PAID => OutKind::Refund,
                _ => return None,
            };
            Some(LedgerItem {
                key: o.idempotency_key,
                reference: None,
                kind,
                amount: o.amount,
                currency: o.currency,
            })
        })
        .collect();
    let paid = Filter {
        status: Some(Status::Paid),
        challenge_id: None,
    };
    let payouts = store::list_payouts(c, &paid, i64::MAX)?
        .into_iter()
        .map(|p| ProviderItem {
            key: Some(model::paid_entry_key(Payout::SUBJECT, &p.id)),
            id: p.id,
            kind: OutKind::Transfer,
            amount: p.amount,
            currency: p.currency,
        });
    let refunds = store::list_refunds(c, &paid, i64::MAX)?
        .into_iter()
        .map(|r| ProviderItem {
            key: Some(model::paid_entry_key(Refund::SUBJECT, &r.id)),
            id: r.id,
            kind: OutKind::Refund,
            amount: r.amount,
            currency: r.currency,
        });
    let provider: Vec<ProviderItem> = payouts.chain(refunds).collect();
    Ok(reconcile(&ledger, &provider))
}

/// Compares what the ledger says left through a provider that moves money
/// itself (Stripe) with what the provider holds: every transfer of each
/// challenge's transfer group, every refund of its card payments. Paid
/// payouts and refunds are matched by our id (kept in the provider's
/// metadata) or by the provider's id.
pub async fn provider_differences(
    c: &mut DbConnection,
    provider: &dyn crate::money::provider::PaymentProvider,
) -> AppResult<Vec<Difference>> {
    let name = provider.name();
    let all = Filter::default();
    let payouts: Vec<Payout> = store::list_payouts(c, &all, i64::MAX)?
        .into_iter()
        .filter(|p| p.provider == name)
        .collect();
    let refunds: Vec<Refund> = store::list_refunds(c, &all, i64::MAX)?
        .into_iter()
        .filter(|r| r.provider == name)
        .collect();
    let mut challenges: Vec<String> = payouts
        .iter()
        .map(|p| p.challenge_id.clone())
        .chain(refunds.iter().map(|r| r.challenge_id.clone()))
        .collect();
    challenges.sort();
    challenges.dedup();
    let ledger_side: Vec<LedgerItem> = payouts
        .iter()
        .filter(|p| p.state() == Status::Paid)
        .map(|p| LedgerItem {
            key: p.id.clone(),
            reference: p.reference.clone(),
            kind: OutKind::Transfer,
            amount: p.amount,
            currency: p.currency.clone(),
        })
        .chain(
            refunds
                .iter()
                .filter(|r| r.state() == Status::Paid)
                .map(|r| LedgerItem {
                    key: r.id.clone(),
                    reference: r.reference.clone(),
                    kind: OutKind::Refund,
                    amount: r.amount,
                    currency: r.currency.clone(),
                }),
        )
        .collect();
    let unavailable =
        |e: crate::money::provider::ProviderError| AppError::Unavailable(e.to_string());
    let mut provider_side = Vec::new();
    for ch in &challenges {
        let group = crate::money::provider::transfer_group(ch);
        for m in provider.transfers_of(&group).await.map_err(unavailable)? {
            provider_side.push(ProviderItem {
                id: m.id,
                key: m.ours,
                kind: OutKind::Transfer,
                amount: m.amount,
                currency: m.currency,
            });
        }
        for f in ledger::card_payments(c, ch)? {
            let Some(pi) = f.payment_intent_id else {
                continue;
            };
            for m in provider.refunds_of(&pi).await.map_err(unavailable)? {
                provider_side.push(ProviderItem {
                    id: m.id,
                    key: m.ours,
                    kind: OutKind::Refund,
                    amount: m.amount,
                    currency: m.currency,
                });
            }
        }
    }
    Ok(reconcile(&ledger_side, &provider_side))
}
