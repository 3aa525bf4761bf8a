//! Challenge pages for visitors and solvers: the list with search, filters
//! and cursor pages; the challenge page (prizes, timeline, rules, licences,
//! questions, announcements) with registration and asking a question; and
//! "my registrations".
//!
//! Handlers stay thin: they parse, call the same store and service
//! functions as the JSON API (`api::ListParams`, `store::list_public`,
//! `api::summaries`, `service::readable`, `api::view`, `service::register`,
//! `service::ask`) and render. No rule is decided here.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::auth::extract::{AuthUser, MaybeUser, Principal};
use crate::challenges::api::{self, ChallengeSummary, ChallengeView, ListParams};
use crate::challenges::model::{Kind, Licence, Sort, State, CATEGORIES};
use crate::challenges::service;
use crate::challenges::store::{self, Challenge, QuestionScope};
use crate::db::now;
use crate::error::AppError;
use crate::frontend::format::{countdown, is_urgent, money, Stamp};
use crate::frontend::forms::{field_message, FormErrors};
use crate::frontend::session::{encode, login_href, to_login};
use crate::frontend::widgets::{Choice, Notice};
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::i18n::Tr;
use crate::money::model::{Currency, CURRENCIES};
use crate::state::AppState;

/// Challenges per list page (fills rows of 1, 2 or 3 cards).
const PAGE_SIZE: i64 = 12;

// ---- labels and small helpers ----

/// The translated name of a challenge state.
pub fn state_label(t: Tr, s: State) -> &'static str {
    match s {
        State::Draft => t.get("challenges.state.draft"),
        State::Open => t.get("challenges.state.open"),
        State::Closed => t.get("challenges.state.closed"),
        State::Judging => t.get("challenges.state.judging"),
        State::Awarded => t.get("challenges.state.awarded"),
        State::Settled => t.get("challenges.state.settled"),
        State::Cancelled => t.get("challenges.state.cancelled"),
    }
}

/// The translated name of a category (the raw value if unknown).
pub fn category_label(t: Tr, c: &str) -> String {
    match c {
        "health" => t.get("challenges.category.health"),
        "environment" => t.get("challenges.category.environment"),
        "energy" => t.get("challenges.category.energy"),
        "water" => t.get("challenges.category.water"),
        "food" => t.get("challenges.category.food"),
        "education" => t.get("challenges.category.education"),
        "technology" => t.get("challenges.category.technology"),
        "science" => t.get("challenges.category.science"),
        "social" => t.get("challenges.category.social"),
        "design" => t.get("challenges.category.design"),
        "other" => t.get("challenges.category.other"),
        other => other,
    }
    .to_owned()
}

/// The translated name of a kind of challenge (the raw value if unknown).
pub fn kind_label(t: Tr, k: &str) -> String {
    match Kind::parse(k) {
        Some(Kind::Ideation) => t.get("challenges.kind.ideation"),
        Some(Kind::Theoretical) => t.get("challenges.kind.theoretical"),
        Some(Kind::ReductionToPractice) => t.get("challenges.kind.reduction_to_practice"),
        Some(Kind::Software) => t.get("challenges.kind.software"),
        Some(Kind::Design) => t.get("challenges.kind.design"),
        None => k,
    }
    .to_owned()
}

fn sort_label(t: Tr, s: Sort) -> &'static str {
    match s {
        Sort::Newest => t.get("challenges.sort.newest"),
        Sort::DeadlineSoonest => t.get("challenges.sort.deadline_soonest"),
        Sort::LargestPrize => t.get("challenges.sort.largest_prize"),
    }
}

// ---- the list ----

/// The list page's query: every field as text, so that an empty box of the
/// filter form means "no filter" rather than a bad request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListForm {
    q: String,
    state: String,
    category: String,
    kind: String,
    /// In major units (whole euros…), as people type it.
    min_prize: String,
    currency: String,
    tag: String,
    org: String,
    sort: String,
    cursor: String,
}

impl ListForm {
    /// Keeps only values the filter form offers, so a hand-edited address
    /// narrows nothing instead of failing.
    fn cleaned(&self) -> ListForm {
        let keep = |ok: bool, v: &str| {
            if ok {
                v.trim().to_owned()
            } else {
                String::new()
            }
        };
        let state = self.state.trim();
        let currency = self.currency.trim().to_ascii_uppercase();
        ListForm {
            q: self.q.trim().chars().take(200).collect(),
            state: keep(State::parse(state).is_some_and(State::is_public), state),
            category: keep(CATEGORIES.contains(&self.category.trim()), &self.category),
            kind: keep(Kind::parse(self.kind.trim()).is_some(), &self.kind),
            min_prize: self.min_prize.trim().to_owned(),
            currency: keep(CURRENCIES.iter().any(|(c, _)| *c == currency), &currency),
            tag: self.tag.trim().to_lowercase(),
            org: self.org.trim().to_lowercase(),
            sort: match self.sort.trim() {
                "" => String::new(),
                s => Sort::parse(s)
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            },
            cursor: self.cursor.trim().to_owned(),
        }
    }

    /// The smallest prize in minor units of the chosen currency (cents when
    /// none is chosen); `Err` when the box holds something else than an amount.
    fn min_prize_minor(&self) -> Result<Option<i64>, ()> {
        if self.min_prize.is_empty() {
            return Ok(None);
        }
        let units = Currency::parse("currency", &self.currency)
            .map(|c| c.minor_units())
            .unwrap_or(2);
        crate::money::model::parse_typed_amount(&self.min_prize, units)
    }

    /// The API's parameters for this form.
    fn params(&self, min_prize: Option<i64>) -> ListParams {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        ListParams {
            q: opt(&self.q),
            state: opt(&self.state),
            category: opt(&self.category),
            tag: opt(&self.tag),
            kind: opt(&self.kind),
            min_prize,
            currency: opt(&self.currency),
            org: opt(&self.org),
            sort: opt(&self.sort),
            limit: Some(PAGE_SIZE),
            cursor: opt(&self.cursor),
        }
    }

    /// The filters as query pairs (without the cursor).
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("q", self.q.as_str()),
            ("state", &self.state),
            ("category", &self.category),
            ("kind", &self.kind),
            ("min_prize", &self.min_prize),
            ("currency", &self.currency),
            ("tag", &self.tag),
            ("org", &self.org),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }

    /// The link to the list with these filters, and a cursor if given.
    pub fn href(&self, cursor: Option<&str>) -> String {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs() {
            ser.append_pair(k, v);
        }
        if let Some(c) = cursor {
            ser.append_pair("cursor", c);
        }
        let qs = ser.finish();
        if qs.is_empty() {
            "/challenges".to_owned()
        } else {
            format!("/challenges?{qs}")
        }
    }

    /// How many filters besides the search words and the sort are set.
    fn filter_count(&self) -> usize {
        [
            &self.state,
            &self.category,
            &self.kind,
            &self.min_prize,
            &self.currency,
            &self.tag,
            &self.org,
        ]
        .iter()
        .filter(|v| !v.is_empty())
        .count()
    }
}

/// A challenge as a card of the list.
#[derive(Debug, Clone)]
pub struct Card {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub org_name: String,
    pub org_slug: String,
    pub category: String,
    pub category_label: String,
    pub kind_label: String,
    pub prize: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub deadline: Stamp,
    pub countdown: String,
    pub urgent: bool,
    pub tags: Vec<String>,
    pub funded: bool,
}

/// The landing page.
#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: PageCtx,
    /// Open challenges closing soonest.
    cards: Vec<Card>,
}

/// `/`: what Tribu is, where to start, and what is open now.
pub async fn home(
    req: HttpRequest,
    user: MaybeUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let page = PageCtx::new(&req, &user);
    let cards = featured(&state, page.t, 3).await?;
    render(&HomePage { page, cards })
}

/// The open challenges that close soonest, as cards (the home page shows them).
pub async fn featured(state: &AppState, t: Tr, n: i64) -> Result<Vec<Card>, AppError> {
    let rows = state
        .db(move |c| {
            let q = store::ListQuery {
                states: vec![State::Open],
                sort: Sort::DeadlineSoonest,
                limit: n,
                ..Default::default()
            };
            let (rows, _) = store::list_public(c, &q, now())?;
            api::summaries(c, &rows)
        })
        .await?;
    let at = now();
    Ok(rows.into_iter().map(|s| card(t, s, at)).collect())
}

fn card(t: Tr, s: ChallengeSummary, at: NaiveDateTime) -> Card {
    Card {
        category_label: category_label(t, &s.category),
        kind_label: kind_label(t, &s.kind),
        prize: money(t, &s.prize_pool),
        state: s.state.as_str(),
        state_label: state_label(t, s.state),
        deadline: Stamp::of(s.submission_deadline),
        countdown: countdown(t, s.state, s.submission_deadline, at),
        urgent: is_urgent(s.state, s.submission_deadline, at),
        funded: s.funded,
        tags: s.tags,
        slug: s.slug,
        title: s.title,
        summary: s.summary,
        org_name: s.organisation.name,
        org_slug: s.organisation.slug,
        category: s.category,
    }
}

#[derive(Template)]
#[template(path = "challenges/list.html")]
struct ListPage {
    page: PageCtx,
    form: ListForm,
    cards: Vec<Card>,
    next_href: Option<String>,
    first_href: Option<String>,
    states: Vec<Choice>,
    categories: Vec<Choice>,
    kinds: Vec<Choice>,
    currencies: Vec<Choice>,
    sorts: Vec<Choice>,
    filters_open: bool,
    filtered: bool,
    errors: FormErrors,
    notice: Option<Notice>,
}

/// `GET /challenges`: search, filter, sort and page through public challenges.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<ListForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let form = q.into_inner().cleaned();
    let mut errors = FormErrors::default();
    let min_prize = form.min_prize_minor().unwrap_or_else(|()| {
        errors.add("min_prize", t.get("challenges.filter.min_prize_invalid"));
        None
    });
    let params = form.params(min_prize);
    let (summaries, next, cursor_reset) = state
        .db(move |c| {
            let at = now();
            let (query, reset) = match params.to_query(c) {
                Ok(q) => (q, false),
                // A stale or mangled cursor: start again from the top.
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
            let (rows, next) = store::list_public(c, &query, at)?;
            Ok((api::summaries(c, &rows)?, next.map(|n| n.encode()), reset))
        })
        .await?;
    let at = now();
    let cards = summaries.into_iter().map(|s| card(t, s, at)).collect();
    let states = std::iter::once(Choice::of(
        "",
        t.get("challenges.filter.any_state"),
        &form.state,
    ))
    .chain(
        State::ALL
            .into_iter()
            .filter(|s| s.is_public())
            .map(|s| Choice::of(s.as_str(), state_label(t, s), &form.state)),
    )
    .collect();
    let categories = std::iter::once(Choice::of(
        "",
        t.get("challenges.filter.any_category"),
        &form.category,
    ))
    .chain(
        CATEGORIES
            .iter()
            .map(|c| Choice::of(c, category_label(t, c), &form.category)),
    )
    .collect();
    let kinds = std::iter::once(Choice::of(
        "",
        t.get("challenges.filter.any_kind"),
        &form.kind,
    ))
    .chain(
        Kind::ALL
            .into_iter()
            .map(|k| Choice::of(k.as_str(), kind_label(t, k.as_str()), &form.kind)),
    )
    .collect();
    let currencies = std::iter::once(Choice::of(
        "",
        t.get("challenges.filter.any_currency"),
        &form.currency,
    ))
    .chain(
        CURRENCIES
            .iter()
            .map(|(c, _)| Choice::of(c, *c, &form.currency)),
    )
    .collect();
    let current_sort = if form.sort.is_empty() {
        Sort::Newest.as_str()
    } else {
        form.sort.as_str()
    };
    let sorts = [Sort::Newest, Sort::DeadlineSoonest, Sort::LargestPrize]
        .into_iter()
        .map(|s| Choice::of(s.as_str(), sort_label(t, s), current_sort))
        .collect();
    let notice = if cursor_reset {
        Some(Notice::info(t.get("challenges.list.cursor_reset")))
    } else {
        None
    };
    let page = ListPage {
        page: ctx,
        next_href: next.as_deref().map(|c| form.href(Some(c))),
        first_href: (!form.cursor.is_empty()).then(|| form.href(None)),
        filters_open: form.filter_count() > 0 || !errors.is_empty(),
        filtered: form.filter_count() > 0 || !form.q.is_empty(),
        form,
        cards,
        states,
        categories,
        kinds,
        currencies,
        sorts,
        errors,
        notice,
    };
    render(&page)
}

// ---- the challenge page ----

/// A prize tier as shown.
#[derive(Debug, Clone)]
struct TierRow {
    rank: i32,
    label: String,
    amount: String,
}

/// A question as shown.
#[derive(Debug, Clone)]
struct QuestionRow {
    id: String,
    body: String,
    answer: Option<String>,
    asked: Stamp,
    answered: Option<Stamp>,
    is_public: bool,
    mine: bool,
}

/// An announcement as shown.
#[derive(Debug, Clone)]
struct AnnouncementRow {
    id: String,
    title: String,
    /// Sanitised HTML.
    body_html: String,
    posted: Stamp,
}

/// What the action box offers the viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offer {
    /// Signed out, challenge open: sign in to register.
    SignIn,
    /// Signed in, open, not registered: the registration form.
    Register,
    /// Registered, a newer rules version waits: the same form again.
    Reaccept,
    /// Registered and up to date.
    Registered,
    /// Open, but registration opens later.
    NotYet,
    /// Not open (closed, judging, …): nothing to do.
    Closed,
}

#[derive(Template)]
#[template(path = "challenges/show.html")]
struct ShowPage {
    page: PageCtx,
    v: ChallengeView,
    state: &'static str,
    state_label: &'static str,
    category_label: String,
    kind_label: String,
    prize: String,
    /// "5 000.00 EUR funded in escrow", when escrow holds the whole pool.
    escrow_text: Option<String>,
    tiers: Vec<TierRow>,
    opens: Option<Stamp>,
    opens_past: bool,
    deadline: Stamp,
    judging: Stamp,
    countdown: String,
    urgent: bool,
    licences: Vec<Licence>,
    offer: Offer,
    organiser: bool,
    signed_in: bool,
    /// "Rules version 2 accepted on" and when (registered viewers).
    accepted: Option<Accepted>,
    /// "I accept the rules (version 2)".
    accept_label: String,
    /// Why a registered solver sees the form again.
    reaccept_text: String,
    rules_version_text: String,
    team_text: String,
    registrations_text: String,
    questions: Vec<QuestionRow>,
    announcements: Vec<AnnouncementRow>,
    /// Shown in the action box (registration outcomes).
    notice: Option<Notice>,
    /// Shown in the questions section.
    ask_notice: Option<Notice>,
    register_errors: FormErrors,
    ask_errors: FormErrors,
    ask_body: String,
    ask_public: bool,
    login_href: String,
    signup_href: String,
}

/// When the viewer accepted the rules.
#[derive(Debug, Clone)]
struct Accepted {
    text: String,
    when: Stamp,
}

/// Everything the challenge page reads, in one go.
struct ShowData {
    ch: Challenge,
    view: ChallengeView,
    accepted_at: Option<NaiveDateTime>,
    questions: Vec<store::Question>,
    announcements: Vec<store::Announcement>,
}

async fn load(state: &AppState, user: Option<AuthUser>, key: String) -> Result<ShowData, AppError> {
    state
        .db(move |c| {
            let uid = user.as_ref().map(|u| u.user.id.clone());
            let who = user.map(Principal::User);
            let (ch, organiser) = service::readable(c, who.as_ref(), &key)?;
            let view = api::view(c, &ch, who.as_ref(), organiser)?;
            let accepted_at = match &uid {
                Some(u) => store::registration(c, &ch.id, u)?.map(|r| r.accepted_at),
                None => None,
            };
            // The same scope as the API: the organisation sees every question.
            let scope = if organiser {
                QuestionScope::All
            } else {
                QuestionScope::Viewer(uid)
            };
            let questions = store::list_questions(c, &ch.id, &scope)?;
            let announcements = store::list_announcements(c, &ch.id)?;
            Ok(ShowData {
                ch,
                view,
                accepted_at,
                questions,
                announcements,
            })
        })
        .await
}

fn show_page(ctx: PageCtx, d: ShowData, me: Option<&str>) -> ShowPage {
    let t = ctx.t;
    let at = now();
    let v = d.view;
    let st = v.state;
    let offer = if v.viewer.registered {
        if v.viewer.needs_reacceptance && st == State::Open {
            Offer::Reaccept
        } else {
            Offer::Registered
        }
    } else if st != State::Open {
        Offer::Closed
    } else if v.timeline.opens_at.is_some_and(|o| o > at) {
        Offer::NotYet
    } else if ctx.user.is_none() {
        Offer::SignIn
    } else {
        Offer::Register
    };
    let escrow_text = v.escrow.fully_funded.then(|| {
        t.fmt(
            "challenges.escrow.funded",
            &[("amount", &money(t, &v.escrow.funded))],
        )
    });
    let opens = v.timeline.opens_at.or(v.published_at);
    let n = v.registrations;
    let registrations_text = if n == 1 {
        t.get("challenges.registrations.one").to_owned()
    } else {
        t.fmt("challenges.registrations.other", &[("n", &n.to_string())])
    };
    let path = format!("/challenges/{}", v.slug);
    let version = v.rules.version.to_string();
    let questions = d
        .questions
        .into_iter()
        .map(|q| QuestionRow {
            mine: me == Some(q.asked_by.as_str()),
            asked: Stamp::of(q.created_at),
            answered: q.answered_at.map(Stamp::of),
            id: q.id,
            body: q.body,
            answer: q.answer,
            is_public: q.is_public,
        })
        .collect();
    let announcements = d
        .announcements
        .into_iter()
        .map(|a| AnnouncementRow {
            body_html: crate::markdown::render(&a.body_md),
            posted: Stamp::of(a.created_at),
            id: a.id,
            title: a.title,
        })
        .collect();
    ShowPage {
        state: st.as_str(),
        state_label: state_label(t, st),
        category_label: category_label(t, &v.category),
        kind_label: kind_label(t, &v.kind),
        prize: money(t, &v.prize_pool),
        escrow_text,
        tiers: v
            .prize_tiers
            .iter()
            .map(|tier| TierRow {
                rank: tier.rank,
                label: tier.label.clone(),
                amount: money(t, &tier.amount),
            })
            .collect(),
        opens: opens.map(Stamp::of),
        opens_past: opens.is_some_and(|o| o <= at),
        deadline: Stamp::of(v.timeline.submission_deadline),
        judging: Stamp::of(v.timeline.judging_deadline),
        countdown: countdown(t, st, v.timeline.submission_deadline, at),
        urgent: is_urgent(st, v.timeline.submission_deadline, at),
        licences: v.allowed_licences.clone(),
        offer,
        organiser: v.viewer.organiser,
        signed_in: ctx.user.is_some(),
        accepted: v
            .viewer
            .rules_version_accepted
            .zip(d.accepted_at)
            .map(|(ver, when)| Accepted {
                text: t.fmt(
                    "challenges.register.accepted_on",
                    &[("version", &ver.to_string())],
                ),
                when: Stamp::of(when),
            }),
        accept_label: t.fmt("challenges.register.accept", &[("version", &version)]),
        reaccept_text: t.fmt(
            "challenges.register.reaccept",
            &[
                ("version", &version),
                (
                    "old",
                    &v.viewer
                        .rules_version_accepted
                        .unwrap_or_default()
                        .to_string(),
                ),
            ],
        ),
        rules_version_text: t.fmt("challenges.rules.version", &[("version", &version)]),
        team_text: if v.limits.team_size <= 1 {
            t.get("challenges.limits.solo").to_owned()
        } else {
            t.fmt(
                "challenges.limits.team_up_to",
                &[("n", &v.limits.team_size.to_string())],
            )
        },
        registrations_text,
        questions,
        announcements,
        notice: None,
        ask_notice: None,
        register_errors: FormErrors::default(),
        ask_errors: FormErrors::default(),
        ask_body: String::new(),
        ask_public: true,
        login_href: login_href(&path),
        signup_href: format!("/signup?next={}", encode(&path)),
        page: ctx,
        v,
    }
}

/// Query flag naming what was just done, for the notice after a redirect.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// `GET /challenges/{slug}`: the challenge page (drafts only for their
/// organisation; an id redirects to the slug).
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let d = load(&state, user.0.clone(), key.clone()).await?;
    if d.ch.slug != key {
        return Ok(HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, format!("/challenges/{}", d.ch.slug)))
            .finish());
    }
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let me = user.0.as_ref().map(|u| u.user.id.as_str());
    let mut p = show_page(ctx, d, me);
    p.notice = match q.done.as_str() {
        "registered" => Some(Notice::ok(t.get("challenges.done.registered"))),
        "accepted" => Some(Notice::ok(t.fmt(
            "challenges.done.accepted",
            &[("version", &p.v.rules.version.to_string())],
        ))),
        _ => None,
    };
    if q.done == "asked" {
        p.ask_notice = Some(Notice::ok(t.get("challenges.done.asked")));
    }
    render(&p)
}

/// The registration form: accepting a rules version.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    rules_version: String,
    /// The checkbox: present when ticked.
    accept_rules: Option<String>,
}

/// The message of a registration refusal.
fn register_message(t: Tr, code: &str) -> Option<&'static str> {
    Some(match code {
        "deadline_passed" => t.get("challenges.register.error.deadline_passed"),
        "challenge_not_open" => t.get("challenges.register.error.not_open"),
        "not_yet_open" => t.get("challenges.register.error.not_yet_open"),
        "rules_version_mismatch" => t.get("challenges.register.error.rules_changed"),
        _ => return None,
    })
}

/// `POST /challenges/{slug}/register`: registers by accepting the current
/// rules, or accepts a newer version.
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/challenges/{slug}")));
    };
    let f = form.into_inner();
    let t = PageCtx::new(&req, &user).t;
    let mut errors = FormErrors::default();
    let status = if f.accept_rules.is_none() {
        errors.add("accept_rules", t.get("challenges.register.error.accept"));
        errors.notice = Some(t.get("challenges.register.error.accept").to_owned());
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        let version = f.rules_version.trim().parse::<i32>().unwrap_or(0);
        match service::register(&state, &u.user.id, &slug, version).await {
            Ok((r, new)) => {
                let done = if new { "registered" } else { "accepted" };
                return Ok(see_other(&format!(
                    "/challenges/{}?done={done}#register",
                    encode(&slug_of(&state, &r.challenge_id, &slug).await)
                )));
            }
            Err(e) => match register_message(t, e.code()) {
                Some(m) => {
                    errors.code = e.code().to_owned();
                    errors.notice = Some(m.to_owned());
                    e.status_code()
                }
                None => return Err(e),
            },
        }
    };
    let d = load(&state, Some(u.clone()), slug).await?;
    let mut p = show_page(PageCtx::new(&req, &user), d, Some(&u.user.id));
    p.register_errors = errors;
    render_status(&p, status)
}

/// The slug of a challenge (the page links use it even when the form was
/// posted to its id).
async fn slug_of(state: &AppState, id: &str, fallback: &str) -> String {
    let id = id.to_owned();
    state
        .db(move |c| Ok(store::find(c, &id)?.slug))
        .await
        .unwrap_or_else(|_| fallback.to_owned())
}

/// The question form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AskForm {
    body: String,
    /// The checkbox: present when the question may be shown to everyone.
    is_public: Option<String>,
}

/// `POST /challenges/{slug}/questions`: a registered solver asks the
/// organisation, publicly or privately.
pub async fn ask(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    form: web::Form<AskForm>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/challenges/{slug}#questions")));
    };
    let f = form.into_inner();
    let t = PageCtx::new(&req, &user).t;
    let is_public = f.is_public.is_some();
    let (errors, status) = match service::ask(&state, &u.user.id, &slug, &f.body, is_public).await {
        Ok(q) => {
            let slug = slug_of(&state, &q.challenge_id, &slug).await;
            return Ok(see_other(&format!(
                "/challenges/{}?done=asked#questions",
                encode(&slug)
            )));
        }
        Err(AppError::Validation(list)) => {
            let mut errors = FormErrors::default();
            for e in &list {
                let m = match (e.field.as_str(), e.code.as_str()) {
                    ("body", "too_short" | "required") => t.get("challenges.ask.error.too_short"),
                    ("body", "too_long") => t.get("challenges.ask.error.too_long"),
                    (field, code) => field_message(t, field, code),
                };
                errors.add(&e.field, m);
            }
            errors.notice = Some(t.get("form.error.summary").to_owned());
            (errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::Forbidden("registration_required")) => {
            let mut errors = FormErrors::default();
            errors.notice = Some(t.get("challenges.ask.error.register_first").to_owned());
            errors.code = "registration_required".into();
            (errors, StatusCode::FORBIDDEN)
        }
        Err(e) => return Err(e),
    };
    let d = load(&state, Some(u.clone()), slug).await?;
    let mut p = show_page(PageCtx::new(&req, &user), d, Some(&u.user.id));
    p.ask_errors = errors;
    p.ask_body = f.body;
    p.ask_public = is_public;
    render_status(&p, status)
}

// ---- my registrations ----

/// One of my registrations as shown.
#[derive(Debug, Clone)]
struct MyRow {
    card: Card,
    rules_version: i32,
    needs_reacceptance: bool,
}

#[derive(Template)]
#[template(path = "challenges/mine.html")]
struct MinePage {
    page: PageCtx,
    rows: Vec<MyRow>,
}

/// `GET /me/challenges`: the challenges I registered for.
pub async fn mine(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
) -> Result<HttpResponse, AppError> {
    let Some(u) = user.0.clone() else {
        return Ok(to_login("/me/challenges"));
    };
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let uid = u.user.id;
    // The same reads as `GET /api/v1/me/registrations`.
    let data = state
        .db(move |c| {
            let rows = store::registrations_of(c, &uid)?;
            let challenges: Vec<Challenge> = rows.iter().map(|(_, ch)| ch.clone()).collect();
            let sums = api::summaries(c, &challenges)?;
            Ok(rows
                .into_iter()
                .zip(sums)
                .map(|((r, ch), s)| (r.rules_version, r.rules_version < ch.rules_version, s))
                .collect::<Vec<_>>())
        })
        .await?;
    let at = now();
    let rows = data
        .into_iter()
        .map(|(rules_version, needs, s)| MyRow {
            // New rules matter only while the challenge is open.
            needs_reacceptance: needs && s.state == State::Open,
            card: card(t, s, at),
            rules_version,
        })
        .collect();
    render(&MinePage { page: ctx, rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::model::Language;
    use chrono::Duration;

    fn at() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default()
    }

    #[test]
    fn countdowns_read_naturally() {
        let t = Tr::new(Language::En);
        let now = at();
        let c = |d: Duration| countdown(t, State::Open, now + d, now);
        assert_eq!(
            c(Duration::days(3) + Duration::hours(5)),
            "Closes in 3 days"
        );
        assert_eq!(c(Duration::hours(47)), "Closes in 47 hours");
        assert_eq!(c(Duration::minutes(90)), "Closes in 1 hour");
        assert_eq!(c(Duration::minutes(12)), "Closes in 12 minutes");
        assert_eq!(c(Duration::seconds(30)), "Closes in less than a minute");
        assert_eq!(c(Duration::seconds(-1)), "Submissions closed");
        assert_eq!(
            countdown(t, State::Judging, now + Duration::days(3), now),
            "Submissions closed"
        );
        let fr = Tr::new(Language::Fr);
        assert_eq!(
            countdown(fr, State::Open, now + Duration::days(5), now),
            "Clôture dans 5 jours"
        );
        assert!(is_urgent(State::Open, now + Duration::hours(10), now));
        assert!(!is_urgent(State::Open, now + Duration::days(10), now));
    }

    #[test]
    fn minimum_prizes_are_typed_in_major_units() {
        assert_eq!(
            crate::money::model::parse_typed_amount("1000", 2)
                .ok()
                .flatten(),
            Some(100_000)
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("1 000", 2)
                .ok()
                .flatten(),
            Some(100_000)
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("2500,5", 2)
                .ok()
                .flatten(),
            Some(250_050)
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("2500.05", 2)
                .ok()
                .flatten(),
            Some(250_005)
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("12500", 0)
                .ok()
                .flatten(),
            Some(12_500)
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("1.5", 0)
                .ok()
                .flatten(),
            None
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("1.50", 2)
                .ok()
                .flatten(),
            Some(150)
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("-5", 2)
                .ok()
                .flatten(),
            None
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("abc", 2)
                .ok()
                .flatten(),
            None
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("", 2)
                .ok()
                .flatten(),
            None
        );
        assert_eq!(
            crate::money::model::parse_typed_amount("99999999999999999999", 2)
                .ok()
                .flatten(),
            None
        );
    }

    #[test]
    fn filters_are_cleaned_and_carried_to_the_next_page() {
        let raw = ListForm {
            q: " water ".into(),
            state: "draft".into(),
            category: "water".into(),
            kind: "nonsense".into(),
            currency: "eur".into(),
            sort: "prize".into(),
            tag: "Clean-Water".into(),
            ..ListForm::default()
        };
        let f = raw.cleaned();
        assert_eq!(f.state, "", "drafts are never listed");
        assert_eq!(f.kind, "");
        assert_eq!(f.currency, "EUR");
        assert_eq!(f.sort, "largest_prize");
        assert_eq!(f.tag, "clean-water");
        assert_eq!(
            f.href(Some("abc")),
            "/challenges?q=water&category=water&currency=EUR&tag=clean-water&sort=largest_prize&cursor=abc"
        );
        assert_eq!(ListForm::default().href(None), "/challenges");
        let p = f.params(Some(5));
        assert_eq!(p.limit, Some(PAGE_SIZE));
        assert_eq!(p.min_prize, Some(5));
        assert_eq!(p.cursor, None);
    }

    #[test]
    fn every_state_category_and_kind_has_a_label() {
        for lang in [Language::En, Language::Fr] {
            let t = Tr::new(lang);
            for s in State::ALL {
                assert!(!state_label(t, s).starts_with("challenges."));
            }
            for c in CATEGORIES {
                assert!(!category_label(t, c).starts_with("challenges."));
            }
            for k in Kind::ALL {
                assert!(!kind_label(t, k.as_str()).starts_with("challenges."));
            }
        }
    }
}
