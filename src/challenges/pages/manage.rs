//! Challenge pages for organisations: the dashboard of an organisation's
//! challenges, the step form that creates and edits one, and the management
//! page (review, funding, publishing, rules versions, registrants,
//! questions, announcements and the audit log).
//!
//! Handlers parse, call [`crate::challenges::service`] (the same flows as the
//! JSON API) and render; every rule stays in the service and the model. The
//! small helpers at the top (notices, choices, labels, error messages) are
//! shared with the platform admin pages in [`super::admin`].

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Deserialize;

use crate::audit::{self, AuditRecord};
use crate::auth::extract::{MaybeUser, Principal};
use crate::challenges::api::{self, ChallengeView};
use crate::challenges::model::{review, Kind, State, TierInput, CATEGORIES};
use crate::challenges::service::{self, ChallengeInput, Published};
use crate::challenges::store::{self, Challenge};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult, FieldError};
use crate::frontend::format::{amount, money, Stamp};
use crate::frontend::forms::{field_message, FormErrors, Pairs};
use crate::frontend::session::to_login;
use crate::frontend::widgets::{Choice, Notice};
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::i18n::Tr;
use crate::money::model::{funding_needed, parse_typed_amount, typed_amount, Currency, CURRENCIES};
use crate::money::store::{self as ledger, funding_status, Funding};
use crate::orgs::model::{allowed, OrgAction, Role};
use crate::state::AppState;

// ---- helpers shared with the admin pages ----

/// Query flags naming what was just done, for the notice after a redirect.
/// Values stay text so a mangled link shows no notice rather than a 400.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    /// What happened (`created`, `published`, …).
    pub done: String,
    /// The funding request just made (payment instructions).
    pub funding: String,
    /// A number for the notice (rules version, recipients).
    pub n: String,
}

/// The translated name of a challenge state.
pub fn state_label(t: Tr, s: State) -> &'static str {
    match s {
        State::Draft => t.get("manage.state.draft"),
        State::Open => t.get("manage.state.open"),
        State::Closed => t.get("manage.state.closed"),
        State::Judging => t.get("manage.state.judging"),
        State::Awarded => t.get("manage.state.awarded"),
        State::Settled => t.get("manage.state.settled"),
        State::Cancelled => t.get("manage.state.cancelled"),
    }
}

/// The translated name of a stored state code.
fn state_code_label(t: Tr, code: &str) -> String {
    State::parse(code)
        .map(|s| state_label(t, s).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// The translated name of a kind of challenge.
pub fn kind_label(t: Tr, kind: &str) -> &'static str {
    match Kind::parse(kind) {
        Some(Kind::Ideation) => t.get("manage.kind.ideation"),
        Some(Kind::Theoretical) => t.get("manage.kind.theoretical"),
        Some(Kind::ReductionToPractice) => t.get("manage.kind.reduction_to_practice"),
        Some(Kind::Software) => t.get("manage.kind.software"),
        Some(Kind::Design) => t.get("manage.kind.design"),
        None => "",
    }
}

/// The translated name of a category.
pub fn category_label(t: Tr, category: &str) -> &'static str {
    match category {
        "health" => t.get("manage.category.health"),
        "environment" => t.get("manage.category.environment"),
        "energy" => t.get("manage.category.energy"),
        "water" => t.get("manage.category.water"),
        "food" => t.get("manage.category.food"),
        "education" => t.get("manage.category.education"),
        "technology" => t.get("manage.category.technology"),
        "science" => t.get("manage.category.science"),
        "social" => t.get("manage.category.social"),
        "design" => t.get("manage.category.design"),
        "other" => t.get("manage.category.other"),
        _ => "",
    }
}

/// The translated state of the platform's review.
pub fn review_label(t: Tr, state: &str) -> &'static str {
    match state {
        review::PENDING => t.get("manage.review.pending"),
        review::CHANGES_REQUESTED => t.get("manage.review.changes_requested"),
        review::APPROVED => t.get("manage.review.approved"),
        _ => t.get("manage.review.none"),
    }
}

fn visibility_label(t: Tr, v: &str) -> &'static str {
    match v {
        "unlisted" => t.get("manage.visibility.unlisted"),
        _ => t.get("manage.visibility.public"),
    }
}

fn funding_status_label(t: Tr, status: &str) -> &'static str {
    match status {
        funding_status::CONFIRMED => t.get("manage.funding.status.confirmed"),
        funding_status::CANCELLED => t.get("manage.funding.status.cancelled"),
        _ => t.get("manage.funding.status.requested"),
    }
}

/// The translated message of a field error of the challenge forms (codes of
/// `challenges::model` and `service::validate`, plus the page's own parse
/// errors); anything else falls back to the account pages' messages.
pub fn error_text(t: Tr, field: &str, code: &str) -> &'static str {
    match (field, code) {
        ("title", "too_short") => t.get("manage.error.title_short"),
        ("summary", "too_short") => t.get("manage.error.summary_short"),
        ("rules", "too_short") => t.get("manage.error.rules_short"),
        ("prize_tiers", "required") | (_, "invalid_tiers") => t.get("manage.error.tiers"),
        ("max_submissions_per_solver", "out_of_range") => t.get("manage.error.submissions_range"),
        ("max_team_size", "out_of_range") => t.get("manage.error.team_range"),
        (_, "invalid_ranks") => t.get("manage.error.ranks"),
        (_, "invalid_amount") => t.get("manage.error.amount"),
        (_, "invalid_amount_format") => t.get("manage.error.amount_format"),
        (_, "invalid_label") => t.get("manage.error.tier_label"),
        (_, "invalid_category") => t.get("manage.error.category"),
        (_, "invalid_kind") => t.get("manage.error.kind"),
        (_, "invalid_currency") => t.get("manage.error.currency"),
        (_, "invalid_visibility") => t.get("manage.error.visibility"),
        (_, "invalid_tag") => t.get("manage.error.tag"),
        (_, "too_many_tags") => t.get("manage.error.too_many_tags"),
        (_, "invalid_datetime") => t.get("manage.error.datetime"),
        (_, "in_the_past") => t.get("manage.error.in_the_past"),
        (_, "after_deadline") => t.get("manage.error.opens_after_deadline"),
        (_, "before_submission_deadline") => t.get("manage.error.judging_before_deadline"),
        (_, "invalid_licences") => t.get("manage.error.licences_count"),
        (_, "unknown_licence") => t.get("manage.error.unknown_licence"),
        (_, "no_open_licence") => t.get("manage.error.no_open_licence"),
        (_, "invalid_number") => t.get("manage.error.number"),
        ("comment", "required") => t.get("admin.error.comment_required"),
        _ => field_message(t, field, code),
    }
}

/// The translated notice of a conflict the challenge flows answer with.
fn conflict_text(t: Tr, code: &str) -> Option<&'static str> {
    Some(match code {
        "escrow_insufficient" => t.get("manage.error.escrow_insufficient"),
        "deadline_passed" => t.get("manage.error.deadline_passed"),
        "illegal_transition" => t.get("manage.error.illegal_transition"),
        "state_changed" => t.get("manage.error.state_changed"),
        "locked_after_publish" => t.get("manage.error.locked_after_publish"),
        "not_editable" => t.get("manage.error.not_editable"),
        "not_fundable" => t.get("manage.error.not_fundable"),
        "already_funded" => t.get("manage.error.already_funded"),
        "not_published" => t.get("manage.error.not_published"),
        "not_awaiting_review" => t.get("admin.error.not_awaiting_review"),
        "review_outdated" => t.get("admin.error.review_outdated"),
        "funding_not_pending" => t.get("admin.error.funding_not_pending"),
        _ => return None,
    })
}

/// Turns a service error into form messages and the status to answer with:
/// validation errors become field messages, known conflicts a notice.
/// Anything else (404, 403, …) comes back as `Err` for the error page.
pub fn failure(t: Tr, err: AppError) -> Result<(FormErrors, StatusCode), AppError> {
    let status = err.status_code();
    let mut out = FormErrors::default();
    out.code = err.code().to_owned();
    match &err {
        AppError::Validation(list) => {
            for e in list {
                out.add(&e.field, error_text(t, &e.field, &e.code));
            }
            out.notice = Some(t.get("form.error.summary").to_owned());
        }
        AppError::Conflict { code, .. } => match conflict_text(t, code) {
            Some(m) => out.notice = Some(m.to_owned()),
            None => return Err(err),
        },
        _ => return Err(err),
    }
    Ok((out, status))
}

/// The page path of a challenge's management page.
fn manage_href(key: &str) -> String {
    format!("/manage/challenges/{key}")
}

// ---- the step form ----

/// The common licences offered as checkboxes; others go in a text field.
const COMMON_LICENCES: [&str; 5] = ["CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "MIT", "Apache-2.0"];
/// Tier rows shown on a new challenge.
const TIER_ROWS: usize = 5;
/// Tier rows read from a form (the model allows up to 10).
const MAX_TIER_ROWS: usize = 10;
/// What a `datetime-local` input sends.
const DATETIME_LOCAL: &str = "%Y-%m-%dT%H:%M";

/// One prize tier row as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct TierRow {
    rank: String,
    label: String,
    /// In major units (`5000` or `5000.50` for EUR).
    amount: String,
}

/// Every field of the step form, as typed, so a refused form comes back
/// exactly as it was sent.
#[derive(Debug, Clone, Default)]
struct StepForm {
    title: String,
    slug: String,
    summary: String,
    description: String,
    category: String,
    kind: String,
    tags: String,
    currency: String,
    tiers: Vec<TierRow>,
    opens_at: String,
    submission_deadline: String,
    judging_deadline: String,
    rules: String,
    /// Checked common licences.
    licences: Vec<String>,
    /// Other SPDX ids, comma-separated.
    other_licences: String,
    eligibility: String,
    max_submissions: String,
    max_team: String,
    blind_judging: bool,
    visibility: String,
}

/// A `datetime-local` value read as UTC. `Ok(None)` when empty.
fn parse_utc(raw: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, ()> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDateTime::parse_from_str(s, DATETIME_LOCAL)
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map(|n| Some(n.and_utc()))
        .map_err(|_| ())
}

/// The value of a `datetime-local` input; seconds only when there are some
/// (set through the API), so saving the form does not move a date.
fn local_value(t: NaiveDateTime) -> String {
    if chrono::Timelike::second(&t) == 0 {
        t.format(DATETIME_LOCAL).to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

fn minor_units_of(code: &str) -> u32 {
    Currency::parse("currency", code)
        .map(|c| c.minor_units())
        .unwrap_or(2)
}

impl StepForm {
    /// A new challenge's form with sensible defaults.
    fn blank(t: Tr) -> Self {
        StepForm {
            kind: Kind::Ideation.as_str().to_owned(),
            currency: "EUR".to_owned(),
            tiers: (1..=TIER_ROWS)
                .map(|i| TierRow {
                    rank: i.to_string(),
                    ..TierRow::default()
                })
                .collect(),
            licences: vec!["CC-BY-4.0".to_owned()],
            eligibility: t.get("manage.form.eligibility_default").to_owned(),
            max_submissions: "1".to_owned(),
            max_team: "5".to_owned(),
            visibility: "public".to_owned(),
            ..StepForm::default()
        }
    }

    /// The form as sent.
    fn from_pairs(p: &Pairs) -> Self {
        let mut tiers: Vec<TierRow> = (1..=MAX_TIER_ROWS)
            .map(|i| TierRow {
                rank: p.get(&format!("tier{i}_rank")),
                label: p.get(&format!("tier{i}_label")),
                amount: p.get(&format!("tier{i}_amount")),
            })
            .collect();
        // Keep the rows that were on the page (at least the usual five).
        let shown = (1..=MAX_TIER_ROWS)
            .filter(|i| p.has(&format!("tier{i}_label")))
            .max()
            .unwrap_or(0)
            .max(TIER_ROWS);
        tiers.truncate(shown);
        for (i, row) in tiers.iter_mut().enumerate() {
            if row.rank.trim().is_empty() {
                row.rank = (i + 1).to_string();
            }
        }
        // Checked values that are not among the checkboxes (sent by hand or
        // by an older page) stay visible in the free text field.
        let (licences, extra): (Vec<String>, Vec<String>) = p
            .all("allowed_licences")
            .into_iter()
            .partition(|l| COMMON_LICENCES.iter().any(|c| c.eq_ignore_ascii_case(l)));
        let mut other_licences = p.get("other_licences");
        if !extra.is_empty() {
            let typed = other_licences.trim().trim_end_matches(',').to_owned();
            other_licences = std::iter::once(typed)
                .filter(|s| !s.is_empty())
                .chain(extra)
                .collect::<Vec<_>>()
                .join(", ");
        }
        StepForm {
            title: p.get("title"),
            slug: p.get("slug"),
            summary: p.get("summary"),
            description: p.get("description"),
            category: p.get("category"),
            kind: p.get("kind"),
            tags: p.get("tags"),
            currency: p.get("currency"),
            tiers,
            opens_at: p.get("opens_at"),
            submission_deadline: p.get("submission_deadline"),
            judging_deadline: p.get("judging_deadline"),
            rules: p.get("rules"),
            licences,
            other_licences,
            eligibility: p.get("eligibility"),
            max_submissions: p.get("max_submissions_per_solver"),
            max_team: p.get("max_team_size"),
            blind_judging: p.has("blind_judging"),
            visibility: p.get("visibility"),
        }
    }

    /// The form of an existing challenge.
    fn from_challenge(ch: &Challenge, tiers: &[store::Tier], rules: &str) -> Self {
        let units = minor_units_of(&ch.currency);
        let mut rows: Vec<TierRow> = tiers
            .iter()
            .map(|t| TierRow {
                rank: t.rank.to_string(),
                label: t.label.clone(),
                amount: typed_amount(t.amount, units),
            })
            .collect();
        let mut next = rows.len() + 1;
        while rows.len() < TIER_ROWS {
            rows.push(TierRow {
                rank: next.to_string(),
                ..TierRow::default()
            });
            next += 1;
        }
        let ids = ch.licence_ids();
        let (common, other): (Vec<String>, Vec<String>) = ids
            .into_iter()
            .partition(|l| COMMON_LICENCES.contains(&l.as_str()));
        StepForm {
            title: ch.title.clone(),
            slug: ch.slug.clone(),
            summary: ch.summary.clone(),
            description: ch.description_md.clone(),
            category: ch.category.clone(),
            kind: ch.kind.clone(),
            tags: ch.tag_list().join(", "),
            currency: ch.currency.clone(),
            tiers: rows,
            opens_at: ch.opens_at.map(local_value).unwrap_or_default(),
            submission_deadline: local_value(ch.submission_deadline),
            judging_deadline: local_value(ch.judging_deadline),
            rules: rules.to_owned(),
            licences: common,
            other_licences: other.join(", "),
            eligibility: ch.eligibility.clone(),
            max_submissions: ch.max_submissions_per_solver.to_string(),
            max_team: ch.max_team_size.to_string(),
            blind_judging: ch.blind_judging,
            visibility: ch.visibility.clone(),
        }
    }

    /// Takes the fields an open challenge may still change from `p`.
    fn with_texts_from(mut self, p: &Pairs) -> Self {
        self.summary = p.get("summary");
        self.description = p.get("description");
        self.category = p.get("category");
        self.tags = p.get("tags");
        self.eligibility = p.get("eligibility");
        self
    }

    /// The service input, and the fields the page itself could not read
    /// (amounts, dates, numbers). With `texts_only`, only the fields an open
    /// challenge may change are sent.
    fn to_input(&self, texts_only: bool) -> (ChallengeInput, Vec<FieldError>) {
        let tags: Vec<String> = self
            .tags
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let mut input = ChallengeInput {
            summary: Some(self.summary.clone()),
            description: Some(self.description.clone()),
            category: Some(self.category.clone()),
            tags: Some(tags),
            eligibility: Some(self.eligibility.clone()),
            ..ChallengeInput::default()
        };
        let mut errors = Vec::new();
        if texts_only {
            return (input, errors);
        }
        input.title = Some(self.title.clone());
        input.slug = Some(self.slug.trim().to_owned()).filter(|s| !s.is_empty());
        input.kind = Some(self.kind.clone());
        input.currency = Some(self.currency.clone());
        input.visibility = Some(self.visibility.clone());
        input.rules = Some(self.rules.clone());
        input.blind_judging = Some(self.blind_judging);
        let units = minor_units_of(&self.currency);
        let mut tiers = Vec::new();
        for (i, row) in self.tiers.iter().enumerate() {
            if row.label.trim().is_empty() && row.amount.trim().is_empty() {
                continue;
            }
            let rank = match row.rank.trim() {
                "" => Some(i as i32 + 1),
                r => r.parse::<i32>().ok(),
            };
            let Some(rank) = rank else {
                errors.push(FieldError::new(
                    "prize_tiers",
                    "invalid_ranks",
                    "Ranks are whole numbers.",
                ));
                continue;
            };
            match parse_typed_amount(&row.amount, units) {
                Ok(Some(amount)) => tiers.push(TierInput {
                    rank,
                    label: row.label.clone(),
                    amount,
                }),
                Ok(None) => errors.push(FieldError::new(
                    "prize_tiers",
                    "invalid_amount",
                    "Give each tier an amount.",
                )),
                Err(()) => errors.push(FieldError::new(
                    "prize_tiers",
                    "invalid_amount_format",
                    "Write amounts like 5000 or 5000.50.",
                )),
            }
        }
        input.prize_tiers = Some(tiers);
        for (field, raw, slot) in [
            ("opens_at", &self.opens_at, &mut input.opens_at),
            (
                "submission_deadline",
                &self.submission_deadline,
                &mut input.submission_deadline,
            ),
            (
                "judging_deadline",
                &self.judging_deadline,
                &mut input.judging_deadline,
            ),
        ] {
            match parse_utc(raw) {
                Ok(v) => *slot = v,
                Err(()) => errors.push(FieldError::new(
                    field,
                    "invalid_datetime",
                    "Not a date and time.",
                )),
            }
        }
        let mut licences: Vec<String> = self.licences.clone();
        licences.extend(
            self.other_licences
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
        );
        input.allowed_licences = Some(licences);
        for (field, raw, slot) in [
            (
                "max_submissions_per_solver",
                &self.max_submissions,
                &mut input.max_submissions_per_solver,
            ),
            ("max_team_size", &self.max_team, &mut input.max_team_size),
        ] {
            match raw.trim() {
                "" => {}
                s => match s.parse::<i32>() {
                    Ok(n) => *slot = Some(n),
                    Err(_) => errors.push(FieldError::new(
                        field,
                        "invalid_number",
                        "Not a whole number.",
                    )),
                },
            }
        }
        (input, errors)
    }
}

/// The create and edit form.
#[derive(Template)]
#[template(path = "manage/form.html")]
struct FormPage {
    page: PageCtx,
    org_name: String,
    /// `new` or `edit`.
    mode: &'static str,
    action: String,
    back_href: String,
    /// The challenge's title when editing.
    heading: String,
    /// An open challenge: only texts may change.
    locked: bool,
    f: StepForm,
    categories: Vec<Choice>,
    kinds: Vec<Choice>,
    currencies: Vec<Choice>,
    visibilities: Vec<Choice>,
    licences: Vec<Choice>,
    now_utc: String,
    errors: FormErrors,
}

/// What the form page shows around the fields.
struct FormFrame {
    org_name: String,
    mode: &'static str,
    action: String,
    back_href: String,
    heading: String,
    locked: bool,
}

impl FormPage {
    fn new(page: PageCtx, frame: FormFrame, mut f: StepForm, errors: FormErrors) -> Self {
        let t = page.t;
        if frame.locked {
            // Nothing can be added to a locked list: show the tiers there are.
            f.tiers
                .retain(|r| !r.label.trim().is_empty() || !r.amount.trim().is_empty());
        }
        let mut categories = vec![Choice::new(
            "",
            t.get("manage.form.category_choose"),
            f.category.is_empty(),
        )];
        categories.extend(
            CATEGORIES
                .iter()
                .map(|c| Choice::new(c, category_label(t, c), f.category == *c)),
        );
        let kinds = Kind::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), kind_label(t, k.as_str()), f.kind == k.as_str()))
            .collect();
        let currencies = CURRENCIES
            .iter()
            .map(|(c, _)| Choice::new(c, *c, f.currency.eq_ignore_ascii_case(c)))
            .collect();
        let visibilities = ["public", "unlisted"]
            .iter()
            .map(|v| Choice::new(v, visibility_label(t, v), f.visibility == *v))
            .collect();
        let licences = COMMON_LICENCES
            .iter()
            .map(|l| Choice::new(l, *l, f.licences.iter().any(|x| x.eq_ignore_ascii_case(l))))
            .collect();
        FormPage {
            org_name: frame.org_name,
            mode: frame.mode,
            action: frame.action,
            back_href: frame.back_href,
            heading: frame.heading,
            locked: frame.locked,
            f,
            categories,
            kinds,
            currencies,
            visibilities,
            licences,
            now_utc: now().format("%Y-%m-%d %H:%M").to_string(),
            errors,
            page,
        }
    }
}

/// One error for a form the page could not fully read: its own field
/// errors first (they say why a value could not even be read), then what the
/// service's validation says about the rest.
fn combine(local: Vec<FieldError>, checked: AppResult<()>) -> AppError {
    match checked {
        Err(AppError::Validation(list)) => {
            let mut all = local;
            all.extend(list);
            AppError::Validation(all)
        }
        Err(other) => other,
        Ok(()) => AppError::Validation(local),
    }
}

// ---- create ----

/// The organisation of a form, checked for the right to edit challenges.
async fn org_for_form(
    state: &AppState,
    who: &Principal,
    slug: &str,
) -> AppResult<crate::orgs::store::Org> {
    let (who, slug) = (who.clone(), slug.to_owned());
    state
        .db(move |c| {
            Ok(crate::orgs::service::access(c, &who, &slug, OrgAction::EditChallenges)?.org)
        })
        .await
}

fn new_frame(org: crate::orgs::store::Org) -> FormFrame {
    FormFrame {
        action: format!("/orgs/{}/challenges/new", org.slug),
        back_href: format!("/orgs/{}/challenges", org.slug),
        org_name: org.name,
        mode: "new",
        heading: String::new(),
        locked: false,
    }
}

/// `GET /orgs/{slug}/challenges/new`: the step form, empty.
pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/orgs/{slug}/challenges/new")));
    };
    let org = org_for_form(&state, &Principal::User(u), &slug).await?;
    let ctx = PageCtx::new(&req, &user);
    let f = StepForm::blank(ctx.t);
    render(&FormPage::new(
        ctx,
        new_frame(org),
        f,
        FormErrors::default(),
    ))
}

/// `POST /orgs/{slug}/challenges/new`: creates the draft, or shows the form
/// again with every value kept and the errors next to their fields.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let p = Pairs::parse(&body)?;
    let slug = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/orgs/{slug}/challenges/new")));
    };
    let who = Principal::User(u);
    let f = StepForm::from_pairs(&p);
    let (input, local) = f.to_input(false);
    let err = if local.is_empty() {
        match service::create(&state, &who, &slug, input).await {
            Ok(ch) => {
                return Ok(see_other(&format!(
                    "{}?done=created",
                    manage_href(&ch.slug)
                )))
            }
            Err(e) => e,
        }
    } else {
        let (w, s) = (who.clone(), slug.clone());
        let checked = state
            .db(move |c| {
                crate::orgs::service::access(c, &w, &s, OrgAction::EditChallenges)?;
                service::validate(c, &input, None, now()).map(|_| ())
            })
            .await;
        combine(local, checked)
    };
    let ctx = PageCtx::new(&req, &user);
    let (errors, status) = failure(ctx.t, err)?;
    let org = org_for_form(&state, &who, &slug).await?;
    render_status(&FormPage::new(ctx, new_frame(org), f, errors), status)
}

// ---- edit ----

/// A challenge with what its form needs.
struct EditData {
    org: crate::orgs::store::Org,
    ch: Challenge,
    tiers: Vec<store::Tier>,
    rules: String,
}

async fn load_edit(state: &AppState, who: &Principal, key: &str) -> AppResult<EditData> {
    let (who, key) = (who.clone(), key.to_owned());
    state
        .db(move |c| {
            let (ch, a) = service::org_access(c, &who, &key, OrgAction::EditChallenges)?;
            let tiers = store::tiers(c, &ch.id)?;
            let rules = store::rules(c, &ch.id, ch.rules_version)?;
            Ok(EditData {
                org: a.org,
                ch,
                tiers,
                rules,
            })
        })
        .await
}

fn edit_frame(d: &EditData, locked: bool) -> FormFrame {
    FormFrame {
        org_name: d.org.name.clone(),
        mode: "edit",
        action: format!("{}/edit", manage_href(&d.ch.slug)),
        back_href: manage_href(&d.ch.slug),
        heading: d.ch.title.clone(),
        locked,
    }
}

/// Whether the challenge can be edited now, and whether only its texts.
fn edit_mode(ch: &Challenge) -> Option<bool> {
    match ch.state_at(now()) {
        State::Draft => Some(false),
        State::Open => Some(true),
        _ => None,
    }
}

/// `GET /manage/challenges/{key}/edit`: the step form, filled in. On an open
/// challenge the fields promised to solvers are shown locked.
pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("{}/edit", manage_href(&key))));
    };
    let d = load_edit(&state, &Principal::User(u), &key).await?;
    let Some(locked) = edit_mode(&d.ch) else {
        return Ok(see_other(&format!(
            "{}?done=not_editable",
            manage_href(&d.ch.slug)
        )));
    };
    let f = StepForm::from_challenge(&d.ch, &d.tiers, &d.rules);
    render(&FormPage::new(
        PageCtx::new(&req, &user),
        edit_frame(&d, locked),
        f,
        FormErrors::default(),
    ))
}

/// `POST /manage/challenges/{key}/edit`: saves through `service::update`.
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let p = Pairs::parse(&body)?;
    let key = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("{}/edit", manage_href(&key))));
    };
    let who = Principal::User(u);
    let d = load_edit(&state, &who, &key).await?;
    let Some(locked) = edit_mode(&d.ch) else {
        return Ok(see_other(&format!(
            "{}?done=not_editable",
            manage_href(&d.ch.slug)
        )));
    };
    let f = if locked {
        StepForm::from_challenge(&d.ch, &d.tiers, &d.rules).with_texts_from(&p)
    } else {
        StepForm::from_pairs(&p)
    };
    let (input, local) = f.to_input(locked);
    let err = if local.is_empty() {
        match service::update(&state, &who, &key, input).await {
            Ok(ch) => {
                // Changes to an open challenge may wait for the platform's review.
                let done = if ch.pending_changes.is_some() {
                    "held"
                } else {
                    "updated"
                };
                return Ok(see_other(&format!("{}?done={done}", manage_href(&ch.slug))));
            }
            Err(e) => e,
        }
    } else {
        let ch = d.ch.clone();
        let current: Vec<TierInput> = d
            .tiers
            .iter()
            .map(|t| TierInput {
                rank: t.rank,
                label: t.label.clone(),
                amount: t.amount,
            })
            .collect();
        let rules = d.rules.clone();
        let checked = state
            .db(move |c| {
                service::validate(c, &input, Some((&ch, current, rules)), now()).map(|_| ())
            })
            .await;
        combine(local, checked)
    };
    let ctx = PageCtx::new(&req, &user);
    let (errors, status) = failure(ctx.t, err)?;
    render_status(
        &FormPage::new(ctx, edit_frame(&d, locked), f, errors),
        status,
    )
}

// ---- the management page ----

/// Who wrote an audit record.
enum ActorName {
    User(String),
    Key(String),
    System,
}

/// An audit record with its actor's name and its data.
struct AuditItem {
    record: AuditRecord,
    actor: ActorName,
    data: serde_json::Value,
}

/// Everything the management page shows, read in one go.
struct ManageData {
    view: ChallengeView,
    currency: String,
    can_publish: bool,
    can_fund: bool,
    review_required: bool,
    /// Requested and not yet confirmed, in minor units.
    pending: i64,
    fundings: Vec<Funding>,
    registrants: Vec<store::Registrant>,
    /// Entered, withdrawn and disqualified submissions (drafts stay with their team).
    entries: Vec<EntryRow>,
    /// Questions with the asker's name.
    questions: Vec<(store::Question, String)>,
    announcements: Vec<store::Announcement>,
    audit: Vec<AuditItem>,
}

/// The data column of audit records, which `AuditRecord` does not carry:
/// the from → to of transitions, amounts, comments.
fn audit_data(c: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    use crate::db::schema::audit_log;
    audit_log::table
        .filter(audit_log::id.eq_any(ids))
        .select((audit_log::id, audit_log::data))
        .load(c)
}

/// How many audit records the page lists (the newest).
const AUDIT_SHOWN: usize = 100;

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
    let data: HashMap<String, String> = audit_data(c, &ids)?.into_iter().collect();
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

async fn load_manage(
    state: &AppState,
    who: &Principal,
    key: &str,
) -> AppResult<(ManageData, usize)> {
    let (who, key) = (who.clone(), key.to_owned());
    state
        .db(move |c| {
            let (ch, a) = service::org_access(c, &who, &key, OrgAction::ViewChallenges)?;
            let view = api::view(c, &ch, Some(&who), true)?;
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
            let data = ManageData {
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
                view,
            };
            Ok((data, audit_total))
        })
        .await
}

#[derive(Debug, Clone)]
struct TierLine {
    rank: i32,
    label: String,
    amount: String,
}

#[derive(Debug, Clone)]
struct FundingRow {
    amount: String,
    fee: String,
    total: String,
    reference: String,
    /// The bank reference the admin recorded on receipt.
    received_ref: Option<String>,
    status: String,
    status_label: &'static str,
    requested: Stamp,
    confirmed: Option<Stamp>,
}

/// How to pay a funding request just made.
#[derive(Debug, Clone)]
struct PayBox {
    amount: String,
    fee: String,
    total: String,
    reference: String,
}

/// A submission as the organisation lists it.
#[derive(Debug, Clone)]
struct EntryRow {
    id: String,
    title: String,
    team: String,
    state: String,
    revision: i32,
    updated: Stamp,
}

/// The challenge's entries: never a draft that was not entered.
fn entries(c: &mut DbConnection, challenge_id: &str) -> AppResult<Vec<EntryRow>> {
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
        out.push(EntryRow {
            id: s.id,
            title: s.title,
            team,
            state: s.state,
            revision: s.current_revision,
            updated: Stamp::of(s.updated_at),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone)]
struct RegistrantRow {
    name: String,
    email: String,
    rules_version: i32,
    /// Accepted an older rules version than the current one.
    outdated: bool,
    registered: Stamp,
}

#[derive(Debug, Clone)]
struct QuestionRow {
    id: String,
    asker: String,
    body: String,
    is_public: bool,
    answer: Option<String>,
    asked: Stamp,
    answered: Option<Stamp>,
}

#[derive(Debug, Clone)]
struct AnnouncementRow {
    title: String,
    body_html: String,
    posted: Stamp,
}

#[derive(Debug, Clone)]
struct AuditRow {
    who: String,
    what: String,
    detail: String,
    when: Stamp,
}

/// What was typed in the page's forms, and their errors, for a re-render.
#[derive(Debug, Clone, Default)]
struct ManageForms {
    rules_text: Option<String>,
    rules_errors: FormErrors,
    ann_title: String,
    ann_body: String,
    ann_errors: FormErrors,
    /// The question whose answer form failed.
    answer_for: String,
    answer_body: String,
    answer_errors: FormErrors,
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
    kind_label: &'static str,
    category_label: &'static str,
    visibility: String,
    visibility_label: &'static str,
    review_state: String,
    review_label: &'static str,
    review_comment: Option<String>,
    review_required: bool,
    /// Text changes of an open challenge wait for the platform's review.
    changes_pending: bool,
    tiers: Vec<TierLine>,
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
    pay: Option<PayBox>,
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

fn money_field(t: Tr, data: &serde_json::Value, name: &str, currency: &str) -> Option<String> {
    data.get(name)
        .and_then(|v| v.as_i64())
        .map(|a| amount(t, a, currency))
}

/// What an audit record says, in words: the action and its details.
fn audit_words(t: Tr, item: &AuditItem, currency: &str) -> (String, String) {
    let d = &item.data;
    let text = |name: &str| d.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let number = |name: &str| d.get(name).and_then(|v| v.as_i64()).map(|n| n.to_string());
    let (what, detail) = match item.record.action.as_str() {
        "challenge.created" => (t.get("manage.audit.created"), None),
        "challenge.updated" => (t.get("manage.audit.updated"), None),
        "challenge.transition" => {
            let from = text("from")
                .map(|s| state_code_label(t, &s))
                .unwrap_or_default();
            let to = text("to")
                .map(|s| state_code_label(t, &s))
                .unwrap_or_default();
            let mut detail = format!("{from} → {to}");
            if text("reason").as_deref() == Some("deadline") {
                detail = format!("{detail} ({})", t.get("manage.audit.by_deadline"));
            }
            (t.get("manage.audit.transition"), Some(detail))
        }
        "challenge.review_requested" => (t.get("manage.audit.review_requested"), None),
        "challenge.review_approved" => (t.get("manage.audit.review_approved"), text("comment")),
        "challenge.changes_requested" => (t.get("manage.audit.changes_requested"), text("comment")),
        "challenge.rules_published" => (
            t.get("manage.audit.rules_published"),
            number("version").map(|v| t.fmt("manage.rules.version", &[("n", &v)])),
        ),
        "funding.requested" => (
            t.get("manage.audit.funding_requested"),
            money_field(t, d, "amount", currency),
        ),
        "funding.confirmed" => {
            let amount = money_field(t, d, "amount", currency).unwrap_or_default();
            let detail = match text("reference") {
                Some(r) => format!("{amount} · {r}"),
                None => amount,
            };
            (t.get("manage.audit.funding_confirmed"), Some(detail))
        }
        "escrow.refunded" => (
            t.get("manage.audit.refunded"),
            money_field(t, d, "amount", currency),
        ),
        "announcement.posted" => (
            t.get("manage.audit.announced"),
            number("recipients").map(|n| match n.as_str() {
                "1" => t.get("manage.audit.recipients_one").to_owned(),
                _ => t.fmt("manage.audit.recipients", &[("n", &n)]),
            }),
        ),
        "registration.created" => (t.get("manage.audit.registered"), None),
        "registration.rules_accepted" => (
            t.get("manage.audit.rules_accepted"),
            number("rules_version").map(|v| t.fmt("manage.rules.version", &[("n", &v)])),
        ),
        other => (other, None),
    };
    (what.to_owned(), detail.unwrap_or_default())
}

impl ManagePage {
    fn build(
        page: PageCtx,
        d: ManageData,
        audit_total: usize,
        q: &DoneQuery,
        forms: ManageForms,
    ) -> Self {
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
        let fundings: Vec<FundingRow> = d
            .fundings
            .iter()
            .map(|f| FundingRow {
                amount: amount(t, f.amount, &f.currency),
                fee: amount(t, f.fee, &f.currency),
                total: amount(t, f.amount + f.fee, &f.currency),
                reference: crate::money::model::payment_reference(&f.id),
                received_ref: f.reference.clone(),
                status: f.status.clone(),
                status_label: funding_status_label(t, &f.status),
                requested: Stamp::of(f.requested_at),
                confirmed: f.confirmed_at.map(Stamp::of),
            })
            .collect();
        let pay = d
            .fundings
            .iter()
            .find(|f| !q.funding.is_empty() && f.id == q.funding)
            .map(|f| PayBox {
                amount: amount(t, f.amount, &f.currency),
                fee: amount(t, f.fee, &f.currency),
                total: amount(t, f.amount + f.fee, &f.currency),
                reference: crate::money::model::payment_reference(&f.id),
            });
        let notice = match q.done.as_str() {
            "created" => Some(Notice::ok(t.get("manage.done.created"))),
            "updated" => Some(Notice::ok(t.get("manage.done.updated"))),
            "held" => Some(Notice::ok(t.get("manage.done.held"))),
            "published" => Some(Notice::ok(t.get("manage.done.published"))),
            "awaiting_review" => Some(Notice::info(t.get("manage.done.awaiting_review"))),
            "cancelled" => Some(Notice::ok(t.get("manage.done.cancelled"))),
            "funding" if pay.is_none() => Some(Notice::ok(t.get("manage.done.funding"))),
            "rules" => Some(Notice::ok(t.fmt("manage.done.rules", &[("n", &q.n)]))),
            "answered" => Some(Notice::ok(t.get("manage.done.answered"))),
            "announced" if q.n == "1" => Some(Notice::ok(t.get("manage.done.announced_one"))),
            "announced" => Some(Notice::ok(t.fmt("manage.done.announced", &[("n", &q.n)]))),
            "not_editable" => Some(Notice::error(t.get("manage.error.not_editable"))),
            _ => None,
        };
        let registrants = d
            .registrants
            .into_iter()
            .map(|r| RegistrantRow {
                outdated: r.rules_version < v.rules.version,
                name: r.display_name,
                email: r.email,
                rules_version: r.rules_version,
                registered: Stamp::of(r.registered_at),
            })
            .collect();
        let mut questions: Vec<QuestionRow> = d
            .questions
            .into_iter()
            .map(|(q, asker)| QuestionRow {
                id: q.id,
                asker,
                body: q.body,
                is_public: q.is_public,
                answer: q.answer,
                asked: Stamp::of(q.created_at),
                answered: q.answered_at.map(Stamp::of),
            })
            .collect();
        // Unanswered first, each group oldest first.
        questions.sort_by_key(|q| q.answer.is_some());
        let unanswered = questions.iter().filter(|q| q.answer.is_none()).count();
        let announcements = d
            .announcements
            .into_iter()
            .map(|a| AnnouncementRow {
                body_html: crate::markdown::render(&a.body_md),
                title: a.title,
                posted: Stamp::of(a.created_at),
            })
            .collect();
        let audit = d
            .audit
            .iter()
            .map(|item| {
                let (what, detail) = audit_words(t, item, &cur);
                AuditRow {
                    who: match &item.actor {
                        ActorName::User(n) => n.clone(),
                        ActorName::Key(n) => t.fmt("manage.audit.api_key", &[("name", n)]),
                        ActorName::System => t.get("manage.audit.system").to_owned(),
                    },
                    what,
                    detail,
                    when: Stamp::of(item.record.created_at),
                }
            })
            .collect();
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
            tiers: v
                .prize_tiers
                .iter()
                .map(|tier| TierLine {
                    rank: tier.rank,
                    label: tier.label.clone(),
                    amount: money(t, &tier.amount),
                })
                .collect(),
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
            fundings,
            pay,
            registrants,
            entries: d.entries,
            questions,
            unanswered,
            announcements,
            audit,
            audit_total,
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
    user: MaybeUser,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&manage_href(&key)));
    };
    let (d, total) = load_manage(&state, &Principal::User(u), &key).await?;
    render(&ManagePage::build(
        PageCtx::new(&req, &user),
        d,
        total,
        &q,
        ManageForms::default(),
    ))
}

/// Which form of the management page failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// A one-button action (publish, fund, cancel): a notice at the top.
    Action,
    Rules,
    Announce,
    Answer,
}

/// The request a management page form came with.
struct Caller<'a> {
    req: &'a HttpRequest,
    state: &'a AppState,
    user: &'a MaybeUser,
    who: Principal,
}

/// Shows the management page again after a refused action, with its message
/// where it belongs and what was typed kept.
async fn manage_failure(
    c: &Caller<'_>,
    key: &str,
    err: AppError,
    section: Section,
    mut forms: ManageForms,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(c.req, c.user);
    let (errors, status) = failure(ctx.t, err)?;
    let (d, total) = load_manage(c.state, &c.who, key).await?;
    let mut notice = None;
    match section {
        Section::Action => notice = errors.summary().map(Notice::error),
        Section::Rules => forms.rules_errors = errors,
        Section::Announce => forms.ann_errors = errors,
        Section::Answer => forms.answer_errors = errors,
    }
    let mut p = ManagePage::build(ctx, d, total, &DoneQuery::default(), forms);
    if notice.is_some() {
        p.notice = notice;
    }
    render_status(&p, status)
}

/// The one-button actions of the management page.
#[derive(Debug, Clone, Copy)]
enum Button {
    Fund,
    Publish,
    Cancel,
}

/// Runs a one-button action and comes back to the page with its outcome.
async fn button(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    key: String,
    which: Button,
) -> Result<HttpResponse, AppError> {
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&manage_href(&key)));
    };
    let who = Principal::User(u);
    let done = match which {
        Button::Fund => service::request_funding(&state, &who, &key)
            .await
            .map(|f| format!("done=funding&funding={}#funding", f.id)),
        Button::Publish => service::publish(&state, &who, &key)
            .await
            .map(|(_, outcome)| match outcome {
                Published::Open => "done=published".to_owned(),
                Published::AwaitingReview => "done=awaiting_review".to_owned(),
            }),
        Button::Cancel => service::cancel(&state, &who, &key)
            .await
            .map(|_| "done=cancelled".to_owned()),
    };
    match done {
        Ok(q) => Ok(see_other(&format!("{}?{q}", manage_href(&key)))),
        Err(e) => {
            let c = Caller {
                req: &req,
                state: &state,
                user: &user,
                who,
            };
            manage_failure(&c, &key, e, Section::Action, ManageForms::default()).await
        }
    }
}

/// `POST /manage/challenges/{key}/funding`: asks to fund what the pool
/// lacks; the page then shows the payment instructions.
pub async fn request_funding(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    button(req, state, user, path.into_inner(), Button::Fund).await
}

/// `POST /manage/challenges/{key}/publish`: opens the challenge, or sends it
/// to the platform's review.
pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    button(req, state, user, path.into_inner(), Button::Publish).await
}

/// `POST /manage/challenges/{key}/cancel`: cancels and refunds the escrow.
pub async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    button(req, state, user, path.into_inner(), Button::Cancel).await
}

/// `POST /manage/challenges/{key}/rules`: publishes a new rules version.
pub async fn new_rules(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let p = Pairs::parse(&body)?;
    let key = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&manage_href(&key)));
    };
    let who = Principal::User(u);
    let text = p.get("rules");
    match service::new_rules(&state, &who, &key, text.clone()).await {
        Ok(v) => Ok(see_other(&format!(
            "{}?done=rules&n={v}#rules",
            manage_href(&key)
        ))),
        Err(e) => {
            let forms = ManageForms {
                rules_text: Some(text),
                ..ManageForms::default()
            };
            let c = Caller {
                req: &req,
                state: &state,
                user: &user,
                who,
            };
            manage_failure(&c, &key, e, Section::Rules, forms).await
        }
    }
}

/// `POST /manage/challenges/{key}/announcements`: posts an announcement and
/// emails every registrant.
pub async fn announce(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let p = Pairs::parse(&body)?;
    let key = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&manage_href(&key)));
    };
    let who = Principal::User(u);
    let (title, text) = (p.get("title"), p.get("body"));
    match service::announce(&state, &who, &key, &title, &text).await {
        Ok((_, n)) => Ok(see_other(&format!(
            "{}?done=announced&n={n}#announcements",
            manage_href(&key)
        ))),
        Err(e) => {
            let forms = ManageForms {
                ann_title: title,
                ann_body: text,
                ..ManageForms::default()
            };
            let c = Caller {
                req: &req,
                state: &state,
                user: &user,
                who,
            };
            manage_failure(&c, &key, e, Section::Announce, forms).await
        }
    }
}

/// `POST /manage/questions/{id}/answer`: answers a question; the asker is
/// told by email.
pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let p = Pairs::parse(&body)?;
    let id = path.into_inner();
    // The challenge the question belongs to (404 for an unknown question).
    let qid = id.clone();
    let challenge_id = state
        .db(move |c| Ok(store::find_question(c, &qid)?.challenge_id))
        .await?;
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&manage_href(&challenge_id)));
    };
    let who = Principal::User(u);
    let text = p.get("answer");
    match service::answer(&state, &who, &id, &text).await {
        Ok(q) => {
            let slug = state
                .db(move |c| Ok(store::find(c, &q.challenge_id)?.slug))
                .await?;
            Ok(see_other(&format!(
                "{}?done=answered#questions",
                manage_href(&slug)
            )))
        }
        Err(e) => {
            let forms = ManageForms {
                answer_for: id,
                answer_body: text,
                ..ManageForms::default()
            };
            let c = Caller {
                req: &req,
                state: &state,
                user: &user,
                who,
            };
            manage_failure(&c, &challenge_id, e, Section::Answer, forms).await
        }
    }
}

// ---- the organisation's dashboard ----

#[derive(Debug, Clone)]
struct DashRow {
    slug: String,
    title: String,
    prize: String,
    deadline: Stamp,
    /// `funded`, `partial`, `unfunded`, or empty once the money has moved on.
    funding: &'static str,
    funding_label: &'static str,
    /// The review state when there is one to show.
    review: &'static str,
    review_label: &'static str,
    unlisted: bool,
}

#[derive(Debug, Clone)]
struct Group {
    state: &'static str,
    label: &'static str,
    rows: Vec<DashRow>,
}

#[derive(Template)]
#[template(path = "manage/dashboard.html")]
struct DashboardPage {
    page: PageCtx,
    org_name: String,
    /// The organisation's slug (the tabs use it).
    slug: String,
    tab: &'static str,
    can_keys: bool,
    groups: Vec<Group>,
    total: usize,
}

/// `GET /orgs/{slug}/challenges`: the organisation's challenges by state.
pub async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/orgs/{slug}/challenges")));
    };
    let who = Principal::User(u);
    let (org, role, rows, sums, money_in) = state
        .db(move |c| {
            let a = crate::orgs::service::access(c, &who, &slug, OrgAction::ViewChallenges)?;
            let rows = store::of_org(c, &a.org.id)?;
            let sums = api::summaries(c, &rows)?;
            // Per challenge: what escrow holds, and what is requested on top.
            let mut money_in = Vec::with_capacity(rows.len());
            for ch in &rows {
                money_in.push((
                    service::flows(c, ch)?.balance(),
                    ledger::pending_amount(c, &ch.id)?,
                ));
            }
            Ok((a.org, a.role, rows, sums, money_in))
        })
        .await?;
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let mut groups: Vec<Group> = State::ALL
        .iter()
        .map(|s| Group {
            state: s.as_str(),
            label: state_label(t, *s),
            rows: Vec::new(),
        })
        .collect();
    let total = rows.len();
    for ((ch, s), (balance, pending)) in rows.iter().zip(sums).zip(money_in) {
        let funding = match s.state {
            State::Awarded | State::Settled | State::Cancelled => "",
            _ if balance >= ch.prize_total => "funded",
            _ if pending > 0 => "pending",
            _ if balance > 0 => "partial",
            _ => "unfunded",
        };
        let review = match ch.review_state.as_str() {
            review::PENDING => "pending",
            review::CHANGES_REQUESTED => "changes_requested",
            review::APPROVED if s.state == State::Draft => "approved",
            _ => "",
        };
        let row = DashRow {
            funding_label: match funding {
                "funded" => t.get("manage.funding.funded"),
                "partial" => t.get("manage.funding.partial"),
                "pending" => t.get("manage.funding.pending"),
                "unfunded" => t.get("manage.funding.unfunded"),
                _ => "",
            },
            funding,
            review_label: review_label(t, review),
            review,
            unlisted: ch.visibility == "unlisted",
            prize: money(t, &s.prize_pool),
            deadline: Stamp::of(s.submission_deadline),
            slug: s.slug,
            title: s.title,
        };
        if let Some(g) = groups.iter_mut().find(|g| g.state == s.state.as_str()) {
            g.rows.push(row);
        }
    }
    groups.retain(|g| !g.rows.is_empty());
    render(&DashboardPage {
        page: ctx,
        org_name: org.name,
        slug: org.slug,
        tab: "challenges",
        can_keys: role.is_some_and(|r| r >= Role::Admin),
        groups,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::model::Language;

    #[test]
    fn datetime_local_values_are_utc() {
        let t = parse_utc("2031-03-04T05:06")
            .ok()
            .flatten()
            .map(|d| d.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2031-03-04T05:06:00+00:00"));
        assert_eq!(parse_utc(""), Ok(None));
        assert!(parse_utc("04/03/2031").is_err());
    }

    fn pairs(list: &[(&str, &str)]) -> Pairs {
        Pairs(
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn the_form_becomes_a_challenge_input() {
        let p = pairs(&[
            ("title", "Clean water"),
            ("currency", "EUR"),
            ("tier1_rank", "1"),
            ("tier1_label", "Winner"),
            ("tier1_amount", "5000"),
            ("tier2_rank", "2"),
            ("tier2_label", ""),
            ("tier2_amount", ""),
            ("submission_deadline", "2031-01-01T12:00"),
            ("judging_deadline", "2031-02-01T12:00"),
            ("allowed_licences", "CC-BY-4.0"),
            ("allowed_licences", "MIT"),
            ("other_licences", "MPL-2.0, "),
            ("tags", "water, filtration ,"),
            ("max_team_size", "3"),
            ("blind_judging", "true"),
        ]);
        let f = StepForm::from_pairs(&p);
        assert_eq!(f.tiers.len(), TIER_ROWS);
        let (input, errors) = f.to_input(false);
        assert!(errors.is_empty(), "{errors:?}");
        let tiers = input.prize_tiers.unwrap_or_default();
        assert_eq!(tiers.len(), 1);
        assert_eq!(tiers[0].amount, 500_000);
        assert_eq!(
            input.allowed_licences.unwrap_or_default(),
            vec!["CC-BY-4.0", "MIT", "MPL-2.0"]
        );
        assert_eq!(input.tags.unwrap_or_default(), vec!["water", "filtration"]);
        assert_eq!(input.max_team_size, Some(3));
        assert_eq!(input.max_submissions_per_solver, None);
        assert_eq!(input.blind_judging, Some(true));
        assert_eq!(input.slug, None);
        assert!(input.opens_at.is_none() && input.submission_deadline.is_some());
    }

    #[test]
    fn unreadable_values_are_field_errors() {
        let p = pairs(&[
            ("currency", "JPY"),
            ("tier1_label", "Winner"),
            ("tier1_amount", "10.5"),
            ("opens_at", "soon"),
            ("max_submissions_per_solver", "two"),
        ]);
        let (_, errors) = StepForm::from_pairs(&p).to_input(false);
        let fields: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert!(fields.contains(&("prize_tiers", "invalid_amount_format")));
        assert!(fields.contains(&("opens_at", "invalid_datetime")));
        assert!(fields.contains(&("max_submissions_per_solver", "invalid_number")));
    }

    #[test]
    fn an_open_challenge_sends_only_its_texts() {
        let p = pairs(&[
            ("title", "New title"),
            ("summary", "A longer summary"),
            ("currency", "USD"),
        ]);
        let (input, errors) = StepForm::from_pairs(&p).to_input(true);
        assert!(errors.is_empty());
        assert!(input.summary.is_some() && input.description.is_some() && input.tags.is_some());
        assert!(input.title.is_none() && input.currency.is_none() && input.prize_tiers.is_none());
        assert!(
            input.rules.is_none()
                && input.allowed_licences.is_none()
                && input.blind_judging.is_none()
        );
        assert!(
            input.submission_deadline.is_none()
                && input.visibility.is_none()
                && input.kind.is_none()
        );
    }

    #[test]
    fn local_errors_come_before_the_service_ones() {
        let local = vec![FieldError::new("prize_tiers", "invalid_amount_format", "x")];
        let service = Err(AppError::Validation(vec![
            FieldError::new("prize_tiers", "invalid_ranks", "x"),
            FieldError::new("title", "too_short", "x"),
        ]));
        let t = Tr::new(Language::En);
        let (errors, status) = failure(t, combine(local, service)).unwrap_or_default();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            errors.field("prize_tiers"),
            Some(t.get("manage.error.amount_format"))
        );
        assert_eq!(
            errors.field("title"),
            Some(t.get("manage.error.title_short"))
        );
        assert!(failure(t, combine(Vec::new(), Err(AppError::NotFound))).is_err());
        let (errors, status) =
            failure(t, AppError::conflict("escrow_insufficient", "x")).unwrap_or_default();
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            errors.notice.as_deref(),
            Some(t.get("manage.error.escrow_insufficient"))
        );
    }

    #[test]
    fn the_payment_reference_matches_the_api() {
        assert_eq!(
            crate::money::model::payment_reference("0190f0a1-aaaa-7bbb-8ccc-0123456789ab"),
            "TRIBU-0123456789AB"
        );
        assert_eq!(crate::money::model::payment_reference("abc"), "TRIBU-ABC");
    }

    #[test]
    fn every_label_is_translated_in_both_languages() {
        for lang in Language::ALL {
            let t = Tr::new(lang);
            for s in State::ALL {
                assert!(!state_label(t, s).starts_with("manage."), "{lang:?} {s:?}");
            }
            for k in Kind::ALL {
                assert!(!kind_label(t, k.as_str()).is_empty(), "{lang:?} {k:?}");
            }
            for c in CATEGORIES {
                let l = category_label(t, c);
                assert!(!l.is_empty() && !l.starts_with("manage."), "{lang:?} {c}");
            }
            for r in [
                review::NONE,
                review::PENDING,
                review::CHANGES_REQUESTED,
                review::APPROVED,
            ] {
                assert!(!review_label(t, r).starts_with("manage."), "{lang:?} {r}");
            }
            for code in [
                "invalid_tiers",
                "invalid_ranks",
                "invalid_amount",
                "invalid_label",
                "invalid_category",
                "invalid_kind",
                "invalid_currency",
                "invalid_visibility",
                "invalid_tag",
                "too_many_tags",
                "in_the_past",
                "after_deadline",
                "before_submission_deadline",
                "invalid_licences",
                "unknown_licence",
                "no_open_licence",
                "out_of_range",
            ] {
                assert_ne!(
                    error_text(t, "max_team_size", code),
                    t.get("form.error.invalid"),
                    "{code}"
                );
            }
        }
    }

    #[test]
    fn a_challenge_fills_the_form_and_round_trips() {
        let at = chrono::DateTime::from_timestamp(1_900_000_000, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default();
        let ch = Challenge {
            id: "c1".into(),
            org_id: "o1".into(),
            slug: "clean-water".into(),
            title: "Clean water".into(),
            summary: "Filter water for less".into(),
            description_md: "# Hi".into(),
            category: "water".into(),
            tags: "water filtration".into(),
            kind: "design".into(),
            currency: "EUR".into(),
            prize_total: 750_050,
            state: "draft".into(),
            visibility: "unlisted".into(),
            opens_at: None,
            submission_deadline: at,
            judging_deadline: at,
            eligibility: "Everyone".into(),
            allowed_licences: "CC-BY-4.0 MPL-2.0".into(),
            max_submissions_per_solver: 2,
            max_team_size: 4,
            blind_judging: true,
            rules_version: 1,
            review_state: "none".into(),
            review_comment: None,
            created_by: "u1".into(),
            created_at: at,
            updated_at: at,
            published_at: None,
            max_attachment_bytes: None,
            max_submission_bytes: None,
            pending_changes: None,
        };
        let tiers = vec![
            store::Tier {
                id: "t1".into(),
                rank: 1,
                label: "Winner".into(),
                amount: 500_000,
            },
            store::Tier {
                id: "t2".into(),
                rank: 2,
                label: "Runner-up".into(),
                amount: 250_050,
            },
        ];
        let f = StepForm::from_challenge(&ch, &tiers, "The rules of the challenge.");
        assert_eq!(f.tiers.len(), TIER_ROWS);
        assert_eq!(f.tiers[1].amount, "2500.50");
        assert_eq!(f.tiers[2].rank, "3");
        assert_eq!(f.licences, vec!["CC-BY-4.0"]);
        assert_eq!(f.other_licences, "MPL-2.0");
        assert_eq!(f.tags, "water, filtration");
        let (input, errors) = f.to_input(false);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(input.prize_tiers.map(|t| model_pool(&t)), Some(750_050));
        assert_eq!(input.submission_deadline.map(|d| d.naive_utc()), Some(at));
        assert_eq!(input.slug.as_deref(), Some("clean-water"));
    }

    fn model_pool(t: &[TierInput]) -> i64 {
        crate::challenges::model::pool(t)
    }
}
