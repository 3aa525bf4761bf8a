//! The challenge page: prizes, timeline, rules, licences, questions and
//! announcements, with registration (accepting a rules version) and asking
//! the organisation a question.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;

use crate::auth::extract::MaybeUser;
use crate::challenges::model::{Licence, State};
use crate::challenges::pages::{prize_lines, PrizeLine};
use crate::challenges::queries::{self, CancellationView, ChallengeView, PublicChallenge};
use crate::challenges::service;
use crate::db::now;
use crate::error::AppError;
use crate::frontend::format::{countdown, is_urgent, money, Stamp};
use crate::frontend::forms::{field_message, FormErrors};
use crate::frontend::labels::{category_label, kind_label, state_label};
use crate::frontend::session::{encode, login_href, to_login, PageUser};
use crate::frontend::widgets::Notice;
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;

/// A question as shown.
#[derive(Debug, Clone)]
struct QuestionRow {
    id: String,
    body: String,
    /// The answer as sanitised HTML from its Markdown, like the description.
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
    /// Follow this challenge (its announcements reach followers).
    follow: Option<crate::frontend::follow::FollowButton>,
    v: ChallengeView,
    /// Rounds with a public rubric (transparency: how entries will be judged).
    rounds: Vec<crate::judging::queries::views::RoundView>,
    /// Results are published.
    results: bool,
    state: &'static str,
    state_label: &'static str,
    category_label: String,
    kind_label: String,
    prize: String,
    /// "5 000.00 EUR funded in escrow", when escrow holds the whole pool.
    escrow_text: Option<String>,
    tiers: Vec<PrizeLine>,
    opens: Option<Stamp>,
    opens_past: bool,
    deadline: Stamp,
    judging: Stamp,
    countdown: String,
    urgent: bool,
    licences: Vec<Licence>,
    offer: Offer,
    /// The challenge is open: people may still register (and then ask).
    open: bool,
    /// The deadline and the end of judging are behind us.
    deadline_past: bool,
    judging_past: bool,
    /// Why and when it was cancelled, and where the money went.
    cancelled: Option<CancelBanner>,
    /// Its files, with a download link where the viewer may download.
    resources: Vec<ResourceLine>,
    cover_url: Option<String>,
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

/// A resource on the challenge page.
#[derive(Debug, Clone)]
struct ResourceLine {
    filename: String,
    size: String,
    short_hash: String,
    sha256: String,
    /// Absent: only registered solvers may download it.
    url: Option<String>,
}

/// The banner of a cancelled challenge.
#[derive(Debug, Clone)]
struct CancelBanner {
    reason: String,
    when: Stamp,
    /// Where the escrow went: refunded (with the date), on its way, or none held.
    money: String,
    refunded: Option<Stamp>,
}

impl CancelBanner {
    fn of(t: Tr, c: &CancellationView, org: &str) -> Self {
        let (money, refunded) = match &c.refund {
            None => (t.get("challenges.cancelled.no_money").to_owned(), None),
            Some(r) if r.status == "paid" => (
                t.fmt(
                    "challenges.cancelled.refunded",
                    &[("amount", &money(t, &r.amount)), ("org", org)],
                ),
                r.paid_at.map(Stamp::of),
            ),
            Some(r) => (
                t.fmt(
                    "challenges.cancelled.refunding",
                    &[("amount", &money(t, &r.amount)), ("org", org)],
                ),
                None,
            ),
        };
        CancelBanner {
            reason: c.reason.clone(),
            when: Stamp::of(c.cancelled_at),
            money,
            refunded,
        }
    }
}

/// When the viewer accepted the rules.
#[derive(Debug, Clone)]
struct Accepted {
    text: String,
    when: Stamp,
}

/// The challenge page for the viewer `me` (signed out: `None`).
fn show_page(ctx: PageCtx, d: PublicChallenge, me: Option<&str>) -> ShowPage {
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
            answer: q.answer.as_deref().map(crate::markdown::render),
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
        follow: None,
        rounds: d.rounds,
        results: d.results,
        state: st.as_str(),
        state_label: state_label(t, st),
        category_label: category_label(t, &v.category),
        kind_label: kind_label(t, &v.kind),
        prize: money(t, &v.prize_pool),
        escrow_text,
        tiers: prize_lines(t, &v.prize_tiers),
        opens: opens.map(Stamp::of),
        opens_past: opens.is_some_and(|o| o <= at),
        deadline: Stamp::of(v.timeline.submission_deadline),
        judging: Stamp::of(v.timeline.judging_deadline),
        countdown: countdown(t, st, v.timeline.submission_deadline, at),
        urgent: is_urgent(st, v.timeline.submission_deadline, at),
        licences: v.allowed_licences.clone(),
        offer,
        open: st == State::Open,
        deadline_past: v.timeline.submission_deadline <= at,
        judging_past: matches!(st, State::Awarded | State::Settled)
            || v.timeline.judging_deadline <= at,
        resources: d
            .resources
            .data
            .iter()
            .map(|r| ResourceLine {
                filename: r.resource.filename.clone(),
                size: crate::frontend::format::human_size(t, r.resource.size),
                short_hash: r.resource.sha256.chars().take(12).collect(),
                sha256: r.resource.sha256.clone(),
                url: r.download_url.clone(),
            })
            .collect(),
        cover_url: d.resources.cover_url.clone(),
        cancelled: v
            .cancellation
            .as_ref()
            .map(|c| CancelBanner::of(t, c, &v.organisation.name)),
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
    let d = queries::public_page(&state, user.0.clone(), key.clone()).await?;
    if d.ch.slug != key {
        return Ok(HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, format!("/challenges/{}", d.ch.slug)))
            .finish());
    }
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let me = user.0.as_ref().map(|u| u.user.id.as_str());
    let follow = crate::frontend::follow::FollowButton::load(
        &state,
        &user,
        crate::notify::follows::target::CHALLENGE,
        &key,
        &format!("/challenges/{key}"),
    )
    .await?;
    let mut p = show_page(ctx, d, me);
    p.follow = Some(follow);
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
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let f = form.into_inner();
    let t = user.ctx(&req).t;
    let mut errors = FormErrors::default();
    let status = if f.accept_rules.is_none() {
        errors.add("accept_rules", t.get("challenges.register.error.accept"));
        errors.notice = Some(t.get("challenges.register.error.accept").to_owned());
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        let version = f.rules_version.trim().parse::<i32>().unwrap_or(0);
        match service::register(&state, &user.0.user.id, &slug, version).await {
            Ok((r, new)) => {
                let done = if new { "registered" } else { "accepted" };
                let query = format!("done={done}#register");
                let to = back_to(&state, r.challenge_id, &slug, &query).await;
                return Ok(see_other(&to));
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
    let mut p = again(&req, &state, &user, slug).await?;
    p.register_errors = errors;
    render_status(&p, status)
}

/// The challenge page after a form, with `query` (and a fragment): by
/// slug, even when the form was posted to the id.
async fn back_to(state: &AppState, challenge_id: String, key: &str, query: &str) -> String {
    let slug = queries::slug_of(state, challenge_id)
        .await
        .unwrap_or_else(|_| key.to_owned());
    format!("/challenges/{}?{query}", encode(&slug))
}

/// The challenge page shown again to `user` after a refused form.
async fn again(
    req: &HttpRequest,
    state: &AppState,
    user: &PageUser,
    key: String,
) -> Result<ShowPage, AppError> {
    let d = queries::public_page(state, Some(user.0.clone()), key).await?;
    Ok(show_page(user.ctx(req), d, Some(&user.0.user.id)))
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
    // Not `PageUser`: the sign-in page brings the asker back to the
    // questions themselves, which a `Referer` cannot name.
    let Some(u) = user.0.map(PageUser) else {
        return Ok(to_login(&format!("/challenges/{slug}#questions")));
    };
    let f = form.into_inner();
    let t = u.ctx(&req).t;
    let is_public = f.is_public.is_some();
    let asked = service::ask(&state, &u.0.user.id, &slug, &f.body, is_public).await;
    let (errors, status) = match asked {
        Ok(q) => {
            let to = back_to(&state, q.challenge_id, &slug, "done=asked#questions").await;
            return Ok(see_other(&to));
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
    let mut p = again(&req, &state, &u, slug).await?;
    p.ask_errors = errors;
    p.ask_body = f.body;
    p.ask_public = is_public;
    render_status(&p, status)
}
