//! Platform admin pages: the funding requests waiting for the money to
//! arrive, the challenges waiting for review, and the platform setting that
//! makes publishing wait for an admin's approval.
//!
//! Handlers call the same flows as the JSON API's admin endpoints
//! (`service::confirm_funding`, `service::review_decision`,
//! `service::change_settings`) and read through `queries::admin_queues`.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::manage::failure;
use super::{prize_lines, PrizeLine};
use crate::challenges::queries::{self, AdminQueues};
use crate::challenges::service::{self, Settings};
use crate::error::AppError;
use crate::frontend::format::{amount, money, Stamp};
use crate::frontend::labels::{category_label, kind_label};
use crate::frontend::page_admin::PageAdmin;
use crate::frontend::widgets::Notice;
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::money::model::payment_reference;
use crate::state::AppState;

#[derive(Debug, Clone)]
struct FundingItem {
    id: String,
    challenge_title: String,
    org_name: String,
    amount: String,
    fee: String,
    total: String,
    reference: String,
    requested: Stamp,
    /// What was typed in its form, and why it was refused.
    value: String,
    error: Option<String>,
}

#[derive(Debug, Clone)]
struct ReviewItem {
    id: String,
    /// What the admin read; the decision names it.
    version: String,
    /// An open challenge's text changes, rather than a draft asking to open.
    changes: bool,
    title: String,
    org_name: String,
    summary: String,
    kind_label: String,
    category_label: String,
    pool: String,
    funded: bool,
    balance: String,
    deadline: Stamp,
    judging: Stamp,
    submitted: Stamp,
    tiers: Vec<PrizeLine>,
    licences: String,
    description_html: String,
    rules_html: String,
    rules_version: i32,
    comment: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct AdminPage {
    page: PageCtx,
    fundings: Vec<FundingItem>,
    reviews: Vec<ReviewItem>,
    publish_requires_review: bool,
    notice: Option<Notice>,
}

impl AdminPage {
    fn build(page: PageCtx, d: AdminQueues) -> Self {
        let t = page.t;
        let fundings = d
            .fundings
            .into_iter()
            .map(|p| {
                let f = p.funding;
                FundingItem {
                    amount: amount(t, f.amount, &f.currency),
                    fee: amount(t, f.fee, &f.currency),
                    total: amount(t, f.amount + f.fee, &f.currency),
                    reference: payment_reference(&f.id),
                    requested: Stamp::of(f.requested_at),
                    id: f.id,
                    challenge_title: p.challenge_title,
                    org_name: p.org_name,
                    value: String::new(),
                    error: None,
                }
            })
            .collect();
        let reviews = d
            .reviews
            .into_iter()
            .map(|r| {
                let (ch, v) = (r.ch, r.view);
                ReviewItem {
                    id: ch.id.clone(),
                    version: r.version,
                    changes: ch.pending_changes.is_some(),
                    title: v.title,
                    org_name: v.organisation.name,
                    summary: v.summary,
                    kind_label: kind_label(t, &v.kind),
                    category_label: category_label(t, &v.category),
                    pool: money(t, &v.escrow.pool),
                    funded: v.escrow.fully_funded,
                    balance: money(t, &v.escrow.balance),
                    deadline: Stamp::of(v.timeline.submission_deadline),
                    judging: Stamp::of(v.timeline.judging_deadline),
                    submitted: Stamp::of(ch.updated_at),
                    tiers: prize_lines(t, &v.prize_tiers),
                    licences: v
                        .allowed_licences
                        .iter()
                        .map(|l| l.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    description_html: v.description_html,
                    rules_html: v.rules.html,
                    rules_version: v.rules.version,
                    comment: String::new(),
                    error: None,
                }
            })
            .collect();
        AdminPage {
            page,
            fundings,
            reviews,
            publish_requires_review: d.review_required,
            notice: None,
        }
    }
}

/// Query flag naming what was just done.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// `GET /admin`: the platform admin's queues and settings.
pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PageAdmin,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let d = queries::admin_queues(&state).await?;
    let mut p = AdminPage::build(admin.ctx(&req), d);
    let t = p.page.t;
    p.notice = match q.done.as_str() {
        "confirmed" => Some(Notice::ok(t.get("admin.done.confirmed"))),
        "approved" => Some(Notice::ok(t.get("admin.done.approved"))),
        "changes_requested" => Some(Notice::ok(t.get("admin.done.changes_requested"))),
        "settings" => Some(Notice::ok(t.get("admin.done.settings"))),
        _ => None,
    };
    render(&p)
}

/// Which form of the admin page failed.
enum Target {
    Funding { id: String, value: String },
    Review { id: String, value: String },
}

/// Shows the admin page again after a refused action: a field's message on
/// its row, anything else at the top.
async fn refused(
    req: &HttpRequest,
    state: &AppState,
    admin: &PageAdmin,
    err: AppError,
    target: Target,
) -> Result<HttpResponse, AppError> {
    let ctx = admin.ctx(req);
    let (errors, status) = failure(ctx.t, err)?;
    let d = queries::admin_queues(state).await?;
    let mut p = AdminPage::build(ctx, d);
    let mut placed = false;
    match target {
        Target::Funding { id, value } => {
            if let Some(f) = p.fundings.iter_mut().find(|f| f.id == id) {
                f.error = errors.field("reference").map(str::to_owned);
                placed = f.error.is_some();
                f.value = value;
            }
        }
        Target::Review { id, value } => {
            if let Some(r) = p.reviews.iter_mut().find(|r| r.id == id) {
                r.error = errors.field("comment").map(str::to_owned);
                placed = r.error.is_some();
                r.comment = value;
            }
        }
    }
    if !placed {
        p.notice = errors.summary().map(Notice::error);
    }
    render_status(&p, status)
}

/// The "reference received" form of a funding request.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    reference: String,
}

/// `POST /admin/fundings/{id}/confirm`: records that the money arrived;
/// the challenge's escrow is credited once.
pub async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PageAdmin,
    path: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let f = form.into_inner();
    match service::confirm_funding(&state, &admin.0.user.id, &id, &f.reference).await {
        Ok(_) => Ok(see_other("/admin?done=confirmed")),
        Err(e) => {
            let target = Target::Funding {
                id,
                value: f.reference,
            };
            refused(&req, &state, &admin, e, target).await
        }
    }
}

/// The decision form of a challenge waiting for review.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    comment: String,
    /// The version the admin read (a hidden field).
    version: String,
}

/// The decision a review route stands for (named by the route table, as
/// `.app_data(web::Data::new(Verdict::Approve))`), so one handler,
/// [`decide`], serves both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Approve: the challenge opens (or its changes go live).
    Approve,
    /// Send it back with a comment.
    RequestChanges,
}

/// `POST /admin/reviews/{id}/approve` and `…/request-changes`: the decision
/// on a challenge waiting for review.
pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: PageAdmin,
    path: web::Path<String>,
    form: web::Form<ReviewForm>,
    verdict: web::Data<Verdict>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (path.into_inner(), form.into_inner());
    let approve = **verdict == Verdict::Approve;
    let comment = Some(form.comment.trim().to_owned()).filter(|c| !c.is_empty());
    let version = Some(form.version.clone()).filter(|v| !v.is_empty());
    match service::review_decision(&state, &admin.0.user.id, &id, approve, comment, version).await {
        Ok(_) if approve => Ok(see_other("/admin?done=approved")),
        Ok(_) => Ok(see_other("/admin?done=changes_requested")),
        Err(e) => {
            let target = Target::Review {
                id,
                value: form.comment,
            };
            refused(&req, &state, &admin, e, target).await
        }
    }
}

/// The platform settings form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    /// Present when the box is checked.
    publish_requires_review: Option<String>,
}

/// `POST /admin/settings`: whether publishing needs an admin's approval
/// (the same write as `PUT /api/v1/admin/settings`).
pub async fn save_settings(
    state: web::Data<AppState>,
    admin: PageAdmin,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let want = Settings {
        publish_requires_review: form.publish_requires_review.is_some(),
    };
    service::change_settings(&state, &admin.0.user.id, want).await?;
    Ok(see_other("/admin?done=settings"))
}
