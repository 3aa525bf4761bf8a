//! The platform admins' payouts page: every payout and refund with filters
//! and a CSV export, and, for the manual provider, the forms that record a
//! bank transfer as sent or failed. Handlers call the same flows as the
//! JSON API (`service::record_*`).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::model::Status;
use super::queries::{self, AdminFilter, PayoutView, RefundView};
use super::service;
use crate::error::AppError;
use crate::frontend::format::{money, Stamp};
use crate::frontend::labels::payout_status_label;
use crate::frontend::page_admin::PageAdmin;
use crate::frontend::widgets::Notice;
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;

/// One payout or refund on the page.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    /// `payouts` or `refunds` (the form's path).
    kind: &'static str,
    challenge_title: String,
    /// The solver, or the organisation.
    payee: String,
    /// Why a refund exists; empty for payouts.
    reason: String,
    amount: String,
    status: &'static str,
    status_label: &'static str,
    reference: Option<String>,
    failure: Option<String>,
    created: Stamp,
    paid: Option<Stamp>,
    /// Recorded by hand (the manual provider) and not paid yet.
    recordable: bool,
    /// What was typed in its forms, and why it was refused.
    reference_value: String,
    reason_value: String,
    error: Option<String>,
}

fn payout_row(t: Tr, p: PayoutView) -> Row {
    Row {
        kind: "payouts",
        challenge_title: p.challenge_title,
        payee: p.payee_name,
        reason: String::new(),
        amount: money(t, &p.amount),
        status: p.status.as_str(),
        status_label: payout_status_label(t, p.status),
        reference: p.reference,
        failure: p.failure,
        created: Stamp::of(p.created_at),
        paid: p.paid_at.map(Stamp::of),
        recordable: p.provider == "manual" && p.status != Status::Paid,
        id: p.id,
        reference_value: String::new(),
        reason_value: String::new(),
        error: None,
    }
}

fn refund_row(t: Tr, r: RefundView) -> Row {
    Row {
        kind: "refunds",
        challenge_title: r.challenge_title,
        payee: r.org_name,
        reason: match r.reason.as_str() {
            service::reason::CANCELLED => t.get("payout.reason.cancelled"),
            _ => t.get("payout.reason.unawarded"),
        }
        .to_owned(),
        amount: money(t, &r.amount),
        status: r.status.as_str(),
        status_label: payout_status_label(t, r.status),
        reference: r.reference,
        failure: r.failure,
        created: Stamp::of(r.created_at),
        paid: r.paid_at.map(Stamp::of),
        recordable: r.provider == "manual" && r.status != Status::Paid,
        id: r.id,
        reference_value: String::new(),
        reason_value: String::new(),
        error: None,
    }
}

#[derive(Template)]
#[template(path = "payouts/admin.html")]
struct AdminPage {
    page: PageCtx,
    payouts: Vec<Row>,
    refunds: Vec<Row>,
    /// The filters in force, and the query string that repeats them.
    status: String,
    challenge: String,
    query: String,
    statuses: Vec<(&'static str, &'static str)>,
    notice: Option<Notice>,
}

impl AdminPage {
    /// The page's two lists, each with its heading and anchor.
    fn sections(&self) -> [(&'static str, &'static str, &Vec<Row>); 2] {
        let t = self.page.t;
        [
            (t.get("payout.admin.payouts"), "payouts", &self.payouts),
            (t.get("payout.admin.refunds"), "refunds", &self.refunds),
        ]
    }
}

/// The filters and the flag naming what was just done.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AdminQuery {
    status: String,
    challenge: String,
    done: String,
}

impl AdminQuery {
    fn filter(&self) -> AdminFilter {
        AdminFilter {
            status: Some(self.status.clone()),
            challenge: Some(self.challenge.clone()),
        }
    }

    fn query(&self) -> String {
        serde_urlencoded::to_string([
            ("status", self.status.as_str()),
            ("challenge", self.challenge.as_str()),
        ])
        .unwrap_or_default()
    }
}

async fn build(
    req: &HttpRequest,
    state: &AppState,
    admin: &PageAdmin,
    q: &AdminQuery,
) -> Result<AdminPage, AppError> {
    let page = admin.ctx(req);
    let t = page.t;
    let (payouts, refunds, notice) =
        match queries::admin_lists(state, q.filter(), queries::ADMIN_LIMIT).await {
            Ok((p, r)) => (p, r, None),
            // A filter that names nothing known shows an empty list and says why.
            Err(AppError::Validation(_)) | Err(AppError::NotFound) => (
                Vec::new(),
                Vec::new(),
                Some(Notice::error(t.get("payout.error.filter"))),
            ),
            Err(e) => return Err(e),
        };
    Ok(AdminPage {
        payouts: payouts.into_iter().map(|p| payout_row(t, p)).collect(),
        refunds: refunds.into_iter().map(|r| refund_row(t, r)).collect(),
        status: q.status.clone(),
        challenge: q.challenge.clone(),
        query: q.query(),
        statuses: Status::ALL
            .into_iter()
            .map(|s| (s.as_str(), payout_status_label(t, s)))
            .collect(),
        notice,
        page,
    })
}

/// `GET /admin/payouts`: every payout and refund, filtered.
pub async fn admin(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PageAdmin,
    q: web::Query<AdminQuery>,
) -> Result<HttpResponse, AppError> {
    let mut p = build(&req, &state, &admin, &q).await?;
    let t = p.page.t;
    let done = match q.done.as_str() {
        "paid" => Some(Notice::ok(t.get("payout.admin.done_paid"))),
        "failed" => Some(Notice::ok(t.get("payout.admin.done_failed"))),
        _ => None,
    };
    p.notice = p.notice.or(done);
    render(&p)
}

/// A record form: the reference of a transfer sent, or why it failed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RecordForm {
    reference: String,
    reason: String,
}

/// What a refused record says, on its row.
fn refusal(t: Tr, e: &AppError) -> Option<&'static str> {
    Some(match e {
        AppError::Validation(list) => match list.first().map(|f| f.code.as_str()) {
            Some("invalid_reference") => t.get("payout.error.reference"),
            _ => t.get("payout.error.reason"),
        },
        AppError::Conflict { code, .. } => match *code {
            "payout_paid" | "refund_paid" => t.get("payout.error.paid"),
            "provider_managed" => t.get("payout.admin.provider_managed"),
            _ => t.get("payout.error.changed"),
        },
        _ => return None,
    })
}

/// What a record route does (named by the route table, as
/// `.app_data(web::Data::new(Action::PayoutPaid))`), so one handler,
/// [`record`], serves all four.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    PayoutPaid,
    PayoutFailed,
    RefundPaid,
    RefundFailed,
}

/// `POST /admin/{payouts|refunds}/{id}/{paid|failed}`: records a bank
/// transfer sent, or failed.
pub async fn record(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PageAdmin,
    action: web::Data<Action>,
    path: web::Path<String>,
    form: web::Form<RecordForm>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (path.into_inner(), form.into_inner());
    let by = admin.0.user.id.clone();
    let res = match **action {
        Action::PayoutPaid => service::record_payout_paid(&state, &by, &id, &form.reference)
            .await
            .map(|_| "paid"),
        Action::PayoutFailed => service::record_payout_failed(&state, &by, &id, &form.reason)
            .await
            .map(|_| "failed"),
        Action::RefundPaid => service::record_refund_paid(&state, &by, &id, &form.reference)
            .await
            .map(|_| "paid"),
        Action::RefundFailed => service::record_refund_failed(&state, &by, &id, &form.reason)
            .await
            .map(|_| "failed"),
    };
    let err = match res {
        Ok(done) => return Ok(see_other(&format!("/admin/payouts?done={done}#row-{id}"))),
        Err(e) => e,
    };
    let status = actix_web::ResponseError::status_code(&err);
    let q = AdminQuery::default();
    let mut p = build(&req, &state, &admin, &q).await?;
    let Some(message) = refusal(p.page.t, &err) else {
        return Err(err);
    };
    let row = p
        .payouts
        .iter_mut()
        .chain(p.refunds.iter_mut())
        .find(|r| r.id == id);
    match row {
        Some(r) => {
            r.error = Some(message.to_owned());
            r.reference_value = form.reference;
            r.reason_value = form.reason;
        }
        None => p.notice = Some(Notice::error(message)),
    }
    render_status(&p, status)
}

/// `GET /me/payouts/onboarding`: on to the provider's onboarding, with a
/// fresh link (they expire within minutes, so the page makes one each time).
pub async fn onboarding(
    state: web::Data<AppState>,
    user: crate::frontend::session::PageUser,
) -> Result<HttpResponse, AppError> {
    let url = service::onboarding_link(&state, &user.0.user.id).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, url))
        .finish())
}
