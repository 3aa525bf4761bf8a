//! Platform admin pages: the funding requests waiting for the money to
//! arrive, the challenges waiting for review, and the platform setting that
//! makes publishing wait for an admin's approval.
//!
//! Handlers call the same flows as the JSON API's admin endpoints
//! (`service::confirm_funding`, `service::review_decision`, the settings
//! write of `api::put_settings`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::manage::{category_label, failure, kind_label};
use crate::audit;
use crate::auth::extract::MaybeUser;
use crate::challenges::api::{self, ChallengeView};
use crate::challenges::service;
use crate::challenges::store::{self, Challenge};
use crate::db::now;
use crate::error::{AppError, AppResult};
use crate::frontend::format::{amount, money, Stamp};
use crate::frontend::session::to_login;
use crate::frontend::widgets::Notice;
use crate::frontend::{error_page, render, render_status, see_other, PageCtx};
use crate::money::store::{self as ledger, Funding};
use crate::state::AppState;

/// The signed-in platform admin's id; otherwise the response to send
/// (sign in first, or the 403 page).
fn admin_id(req: &HttpRequest, user: &MaybeUser) -> Result<String, Box<HttpResponse>> {
    match &user.0 {
        None => Err(Box::new(to_login("/admin"))),
        Some(u) if u.user.is_platform_admin => Ok(u.user.id.clone()),
        Some(_) => Err(Box::new(error_page(
            req,
            user,
            StatusCode::FORBIDDEN,
            "admin_required",
        ))),
    }
}

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
struct TierItem {
    rank: i32,
    label: String,
    amount: String,
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
    kind_label: &'static str,
    category_label: &'static str,
    pool: String,
    funded: bool,
    balance: String,
    deadline: Stamp,
    judging: Stamp,
    submitted: Stamp,
    tiers: Vec<TierItem>,
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

/// The queues and the setting, read in one go.
struct AdminData {
    fundings: Vec<(Funding, String, String)>,
    /// Each with the view the admin reads and its review version.
    reviews: Vec<(Challenge, ChallengeView, String)>,
    review_required: bool,
}

async fn load(state: &AppState) -> AppResult<AdminData> {
    state
        .db(|c| {
            let mut fundings = Vec::new();
            for f in ledger::pending_fundings(c)? {
                let ch = store::find(c, &f.challenge_id)?;
                let org = crate::orgs::store::find_by_id(c, &ch.org_id)?;
                fundings.push((f, ch.title, org.name));
            }
            let mut reviews = Vec::new();
            for ch in store::awaiting_review(c)? {
                // The admin reads the text as it would go live.
                let (shown, rules) = service::as_reviewed(c, &ch)?;
                let mut v = api::view(c, &shown, None, true)?;
                v.rules.html = crate::markdown::render(&rules);
                let version = service::review_version(c, &ch)?;
                reviews.push((ch, v, version));
            }
            Ok(AdminData {
                fundings,
                reviews,
                review_required: service::review_required(c)?,
            })
        })
        .await
}

impl AdminPage {
    fn build(page: PageCtx, d: AdminData) -> Self {
        let t = page.t;
        let fundings = d
            .fundings
            .into_iter()
            .map(|(f, title, org)| FundingItem {
                amount: amount(t, f.amount, &f.currency),
                fee: amount(t, f.fee, &f.currency),
                total: amount(t, f.amount + f.fee, &f.currency),
                reference: crate::money::model::payment_reference(&f.id),
                requested: Stamp::of(f.requested_at),
                id: f.id,
                challenge_title: title,
                org_name: org,
                value: String::new(),
                error: None,
            })
            .collect();
        let reviews = d
            .reviews
            .into_iter()
            .map(|(ch, v, version)| ReviewItem {
                id: ch.id.clone(),
                version,
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
                tiers: v
                    .prize_tiers
                    .iter()
                    .map(|tier| TierItem {
                        rank: tier.rank,
                        label: tier.label.clone(),
                        amount: money(t, &tier.amount),
                    })
                    .collect(),
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
    user: MaybeUser,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    if let Err(res) = admin_id(&req, &user) {
        return Ok(*res);
    }
    let d = load(&state).await?;
    let mut p = AdminPage::build(PageCtx::new(&req, &user), d);
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
    user: &MaybeUser,
    err: AppError,
    target: Target,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(req, user);
    let (errors, status) = failure(ctx.t, err)?;
    let d = load(state).await?;
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
    user: MaybeUser,
    path: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let admin = match admin_id(&req, &user) {
        Ok(a) => a,
        Err(res) => return Ok(*res),
    };
    let id = path.into_inner();
    let f = form.into_inner();
    match service::confirm_funding(&state, &admin, &id, &f.reference).await {
        Ok(_) => Ok(see_other("/admin?done=confirmed")),
        Err(e) => {
            let target = Target::Funding {
                id,
                value: f.reference,
            };
            refused(&req, &state, &user, e, target).await
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

async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    id: String,
    form: ReviewForm,
    approve: bool,
) -> Result<HttpResponse, AppError> {
    let admin = match admin_id(&req, &user) {
        Ok(a) => a,
        Err(res) => return Ok(*res),
    };
    let comment = Some(form.comment.trim().to_owned()).filter(|c| !c.is_empty());
    let version = Some(form.version.clone()).filter(|v| !v.is_empty());
    match service::review_decision(&state, &admin, &id, approve, comment, version).await {
        Ok(_) if approve => Ok(see_other("/admin?done=approved")),
        Ok(_) => Ok(see_other("/admin?done=changes_requested")),
        Err(e) => {
            let target = Target::Review {
                id,
                value: form.comment,
            };
            refused(&req, &state, &user, e, target).await
        }
    }
}

/// `POST /admin/reviews/{id}/approve`: approves; the challenge opens.
pub async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    form: web::Form<ReviewForm>,
) -> Result<HttpResponse, AppError> {
    decide(req, state, user, path.into_inner(), form.into_inner(), true).await
}

/// `POST /admin/reviews/{id}/request-changes`: sends it back with a comment.
pub async fn request_changes(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    form: web::Form<ReviewForm>,
) -> Result<HttpResponse, AppError> {
    decide(
        req,
        state,
        user,
        path.into_inner(),
        form.into_inner(),
        false,
    )
    .await
}

/// The platform settings form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    /// Present when the box is checked.
    publish_requires_review: Option<String>,
}

/// `POST /admin/settings`: whether publishing needs an admin's approval.
/// The same write as `PUT /api/v1/admin/settings`: the setting and an audit
/// record, in one transaction.
pub async fn save_settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let admin = match admin_id(&req, &user) {
        Ok(a) => a,
        Err(res) => return Ok(*res),
    };
    let want = form.publish_requires_review.is_some();
    state
        .tx(move |c| {
            store::set_setting(
                c,
                store::SETTING_PUBLISH_REVIEW,
                if want { "true" } else { "false" },
                now(),
            )?;
            audit::record(
                c,
                audit::Entry {
                    actor: &audit::Actor::user(&admin),
                    org_id: None,
                    action: "platform.settings_changed",
                    subject_type: "platform",
                    subject_id: "settings",
                    data: serde_json::json!({ "publish_requires_review": want }),
                },
            )?;
            Ok(())
        })
        .await?;
    Ok(see_other("/admin?done=settings"))
}
