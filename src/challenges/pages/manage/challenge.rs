//! The management page of a challenge: where it stands (review, escrow,
//! funding), its overview and rules, registrants and entries, questions,
//! announcements and the audit log. Its forms post to the handlers of the
//! sections; a refused one shows this page again with its message where it
//! belongs and what was typed kept ([`manage_failure`]).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::audit::AuditRow;
use super::entries::{entry_rows, registrant_rows, EntryRow, RegistrantRow};
use super::funding::{pay_box, FundingRow, PayBox};
use super::questions::QuestionRow;
use super::rules::{announcement_rows, AnnouncementRow};
use super::{failure, review_label, visibility_label, DoneQuery};
use crate::auth::extract::Principal;
use crate::challenges::model::{review, State};
use crate::challenges::pages::{prize_lines, PrizeLine};
use crate::challenges::queries::{self, ManageData};
use crate::error::AppError;
use crate::frontend::format::{amount, money, Stamp};
use crate::frontend::forms::FormErrors;
use crate::frontend::labels::{category_label, kind_label, payout_status_label, state_label};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::Notice;
use crate::frontend::{render, render_status, PageCtx};
use crate::money::model::funding_needed;
use crate::state::AppState;

/// What was typed in the page's forms, and their errors, for a re-render.
#[derive(Debug, Clone, Default)]
pub(super) struct ManageForms {
    pub(super) rules_text: Option<String>,
    pub(super) rules_errors: FormErrors,
    pub(super) ann_title: String,
    pub(super) ann_body: String,
    pub(super) ann_errors: FormErrors,
    /// The question whose answer form failed.
    pub(super) answer_for: String,
    pub(super) answer_body: String,
    pub(super) answer_errors: FormErrors,
    /// Why the organisation cancels, as typed.
    pub(super) cancel_reason: String,
    pub(super) cancel_errors: FormErrors,
    /// Why an upload of a resource was refused.
    pub(super) resource_errors: FormErrors,
}

/// A file attached to the challenge, as its organisation sees it.
#[derive(Debug, Clone)]
pub(crate) struct ResourceRow {
    pub(crate) id: String,
    pub(crate) filename: String,
    pub(crate) size: String,
    /// The first characters of its SHA-256 (the whole hash in a title).
    pub(crate) short_hash: String,
    pub(crate) sha256: String,
    pub(crate) public: bool,
    pub(crate) added: Stamp,
}

impl ResourceRow {
    pub(crate) fn of(t: crate::i18n::Tr, r: &crate::challenges::queries::Resource) -> Self {
        ResourceRow {
            id: r.id.clone(),
            filename: r.filename.clone(),
            size: crate::frontend::format::human_size(t, r.size),
            short_hash: r.sha256.chars().take(12).collect(),
            sha256: r.sha256.clone(),
            public: r.public,
            added: Stamp::of(r.created_at),
        }
    }
}

/// One line of a challenge's prize money, for its organisation.
#[derive(Debug, Clone)]
pub(super) struct MoneyOutRow {
    /// The winner, or "Refund to your organisation".
    payee: String,
    amount: String,
    status: &'static str,
    status_label: &'static str,
    paid: Option<Stamp>,
}

/// The lines of a challenge's payouts and refund.
fn money_out_rows(
    t: crate::i18n::Tr,
    payouts: Vec<crate::payouts::queries::PayoutView>,
    refund: Option<crate::payouts::queries::RefundView>,
) -> Vec<MoneyOutRow> {
    let mut rows: Vec<MoneyOutRow> = payouts
        .into_iter()
        .map(|p| MoneyOutRow {
            payee: p.payee_name,
            amount: money(t, &p.amount),
            status: p.status.as_str(),
            status_label: payout_status_label(t, p.status),
            paid: p.paid_at.map(Stamp::of),
        })
        .collect();
    rows.extend(refund.map(|r| MoneyOutRow {
        payee: t.get("payout.org.refund").to_owned(),
        amount: money(t, &r.amount),
        status: r.status.as_str(),
        status_label: payout_status_label(t, r.status),
        paid: r.paid_at.map(Stamp::of),
    }));
    rows
}

#[derive(Template)]
#[template(path = "manage/challenge.html")]
struct ManagePage {
    page: PageCtx,
    org_name: String,
    org_slug: String,
    slug: String,
    title: String,
    summary: String,
    state: &'static str,
    state_label: &'static str,
    kind_label: String,
    category_label: String,
    visibility: String,
    visibility_label: &'static str,
    review_state: String,
    review_label: &'static str,
    review_comment: Option<String>,
    review_required: bool,
    /// Text changes of an open challenge wait for the platform's review.
    changes_pending: bool,
    tiers: Vec<PrizeLine>,
    pool: String,
    funded: String,
    balance: String,
    awarded: String,
    refunded: String,
    /// Money has left escrow (awards or a refund).
    has_outflows: bool,
    missing: String,
    pending: String,
    fully_funded: bool,
    has_pending: bool,
    opens: Option<Stamp>,
    deadline: Stamp,
    judging: Stamp,
    rules_version: i32,
    licences: Vec<String>,
    max_submissions: i32,
    max_team: i32,
    blind: bool,
    registrations: i64,
    can_edit: bool,
    can_publish: bool,
    can_cancel: bool,
    can_fund: bool,
    can_rules: bool,
    can_announce: bool,
    /// A member who may edit but not publish, fund or cancel.
    limited_role: bool,
    fundings: Vec<FundingRow>,
    /// Prize money out, once results are published (or a refund, once cancelled).
    money_out: Vec<MoneyOutRow>,
    settled: bool,
    pay: Option<PayBox>,
    /// The challenge's files, and its cover (the image's address).
    resources: Vec<ResourceRow>,
    cover_url: Option<String>,
    cover_id: Option<String>,
    /// Resources can still change (not cancelled or settled).
    resources_open: bool,
    registrants: Vec<RegistrantRow>,
    entries: Vec<EntryRow>,
    questions: Vec<QuestionRow>,
    unanswered: usize,
    announcements: Vec<AnnouncementRow>,
    audit: Vec<AuditRow>,
    audit_total: usize,
    notice: Option<Notice>,
    rules_text: String,
    forms: ManageForms,
}

impl ManagePage {
    fn build(page: PageCtx, d: ManageData, q: &DoneQuery, forms: ManageForms) -> Self {
        let t = page.t;
        let v = d.view;
        let cur = d.currency;
        let state = v.state;
        let review = v.review.clone();
        let review_state = review.as_ref().map(|r| r.state.clone()).unwrap_or_default();
        let balance = v.escrow.balance.amount;
        let pool = v.escrow.pool.amount;
        let missing = (pool - balance).max(0);
        let is_draft = state == State::Draft;
        let fundable = d.can_fund
            && !matches!(state, State::Cancelled | State::Settled | State::Awarded)
            && funding_needed(pool, balance, d.pending) > 0;
        let pay = pay_box(t, &d.fundings, &q.funding, d.bank.as_ref());
        let notice = match q.done.as_str() {
            "created" => Some(Notice::ok(t.get("manage.done.created"))),
            "updated" => Some(Notice::ok(t.get("manage.done.updated"))),
            "held" => Some(Notice::ok(t.get("manage.done.held"))),
            "published" => Some(Notice::ok(t.get("manage.done.published"))),
            "awaiting_review" => Some(Notice::info(t.get("manage.done.awaiting_review"))),
            "cancelled" => Some(Notice::ok(t.get("manage.done.cancelled"))),
            "resource_added" => Some(Notice::ok(t.get("manage.done.resource_added"))),
            "resource_removed" => Some(Notice::ok(t.get("manage.done.resource_removed"))),
            "funding" if pay.is_none() => Some(Notice::ok(t.get("manage.done.funding"))),
            "rules" => Some(Notice::ok(t.fmt("manage.done.rules", &[("n", &q.n)]))),
            "answered" => Some(Notice::ok(t.get("manage.done.answered"))),
            "announced" if q.n == "1" => Some(Notice::ok(t.get("manage.done.announced_one"))),
            "announced" => Some(Notice::ok(t.fmt("manage.done.announced", &[("n", &q.n)]))),
            "not_editable" => Some(Notice::error(t.get("manage.error.not_editable"))),
            _ => None,
        };
        let (questions, unanswered) = super::questions::rows(d.questions);
        ManagePage {
            org_name: v.organisation.name.clone(),
            org_slug: v.organisation.slug.clone(),
            slug: v.slug.clone(),
            title: v.title.clone(),
            summary: v.summary.clone(),
            state: state.as_str(),
            state_label: state_label(t, state),
            kind_label: kind_label(t, &v.kind),
            category_label: category_label(t, &v.category),
            visibility_label: visibility_label(t, &v.visibility),
            visibility: v.visibility.clone(),
            review_label: review_label(t, &review_state),
            changes_pending: review.as_ref().is_some_and(|r| r.pending_changes.is_some()),
            review_comment: review.and_then(|r| r.comment),
            review_state: review_state.clone(),
            review_required: d.review_required,
            tiers: prize_lines(t, &v.prize_tiers),
            pool: money(t, &v.escrow.pool),
            funded: money(t, &v.escrow.funded),
            balance: money(t, &v.escrow.balance),
            awarded: money(t, &v.escrow.awarded),
            refunded: money(t, &v.escrow.refunded),
            has_outflows: v.escrow.awarded.amount > 0 || v.escrow.refunded.amount > 0,
            missing: amount(t, missing, &cur),
            pending: amount(t, d.pending, &cur),
            fully_funded: v.escrow.fully_funded,
            has_pending: d.pending > 0,
            opens: v.timeline.opens_at.map(Stamp::of),
            deadline: Stamp::of(v.timeline.submission_deadline),
            judging: Stamp::of(v.timeline.judging_deadline),
            rules_version: v.rules.version,
            licences: v.allowed_licences.iter().map(|l| l.id.clone()).collect(),
            max_submissions: v.limits.submissions_per_solver,
            max_team: v.limits.team_size,
            blind: v.blind_judging,
            registrations: v.registrations,
            can_edit: matches!(state, State::Draft | State::Open),
            can_publish: d.can_publish && is_draft && review_state != review::PENDING,
            can_cancel: d.can_publish
                && matches!(state, State::Draft | State::Open | State::Closed),
            can_fund: fundable,
            can_rules: d.can_publish && state == State::Open,
            can_announce: !is_draft && state != State::Cancelled,
            limited_role: !d.can_publish || !d.can_fund,
            fundings: super::funding::rows(t, &d.fundings),
            money_out: money_out_rows(t, d.payouts, d.refund),
            settled: state == State::Settled,
            pay,
            resources: d.resources.iter().map(|r| ResourceRow::of(t, r)).collect(),
            cover_url: d
                .cover
                .as_ref()
                .map(|_| format!("/challenges/{}/cover", v.slug)),
            cover_id: d.cover.as_ref().map(|r| r.id.clone()),
            resources_open: !matches!(state, State::Cancelled | State::Settled),
            registrants: registrant_rows(d.registrants, v.rules.version),
            entries: entry_rows(d.entries),
            questions,
            unanswered,
            announcements: announcement_rows(d.announcements),
            audit: super::audit::rows(t, &d.audit, &cur),
            audit_total: d.audit_total,
            notice,
            rules_text: forms
                .rules_text
                .clone()
                .unwrap_or_else(|| v.rules.text.clone()),
            forms,
            page,
        }
    }
}

/// `GET /manage/challenges/{key}`: the challenge's management page.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let who = Principal::User(user.0.clone());
    let d = queries::management(&state, who, path.into_inner()).await?;
    render(&ManagePage::build(
        user.ctx(&req),
        d,
        &q,
        ManageForms::default(),
    ))
}

/// Which form of the management page failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    /// A one-button action (publish, fund, cancel): a notice at the top.
    Action,
    Rules,
    Announce,
    Answer,
    /// The cancellation form, with its reason.
    Cancel,
    /// The resources' upload form.
    Resources,
}

/// Shows the management page again after a refused action, with its message
/// where it belongs and what was typed kept.
pub(super) async fn manage_failure(
    req: &HttpRequest,
    state: &AppState,
    user: &PageUser,
    key: &str,
    err: AppError,
    section: Section,
    mut forms: ManageForms,
) -> Result<HttpResponse, AppError> {
    let ctx = user.ctx(req);
    let (errors, status) = failure(ctx.t, err)?;
    let who = Principal::User(user.0.clone());
    let d = queries::management(state, who, key.to_owned()).await?;
    let mut notice = None;
    match section {
        Section::Action => notice = errors.summary().map(Notice::error),
        Section::Rules => forms.rules_errors = errors,
        Section::Announce => forms.ann_errors = errors,
        Section::Answer => forms.answer_errors = errors,
        Section::Cancel => forms.cancel_errors = errors,
        Section::Resources => forms.resource_errors = errors,
    }
    let mut p = ManagePage::build(ctx, d, &DoneQuery::default(), forms);
    if notice.is_some() {
        p.notice = notice;
    }
    render_status(&p, status)
}
