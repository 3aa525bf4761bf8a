//! The solver dashboard: my registrations (with their countdowns), my
//! submissions and the team invitations waiting for me.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{challenge_state_label, done_notice, revision_label, state_label, DoneQuery};
use crate::challenges::model::State;
use crate::db::now;
use crate::error::AppError;
use crate::frontend::format::{countdown, is_urgent, short_hash, Stamp};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::Notice;
use crate::frontend::{render, PageCtx};
use crate::state::AppState;
use crate::submissions::queries;

/// One of my registrations.
#[derive(Debug, Clone)]
struct RegistrationRow {
    slug: String,
    title: String,
    state: &'static str,
    state_label: &'static str,
    deadline: Stamp,
    countdown: String,
    urgent: bool,
    open: bool,
    new_rules: bool,
}

/// One of my submissions.
#[derive(Debug, Clone)]
struct SubmissionRow {
    id: String,
    title: String,
    challenge_title: String,
    challenge_slug: String,
    state: String,
    state_label: String,
    /// "Revision 3".
    revision_label: String,
    sha256: String,
    short: String,
    updated: Stamp,
    deadline: Stamp,
    countdown: String,
    urgent: bool,
    open: bool,
}

/// A team invitation waiting for me.
#[derive(Debug, Clone)]
struct InvitationRow {
    id: String,
    challenge_title: String,
    challenge_slug: String,
    inviter: String,
    sent: Stamp,
    registered: bool,
}

/// A prize I won.
#[derive(Debug, Clone)]
struct PrizeRow {
    challenge_title: String,
    challenge_slug: String,
    submission_id: String,
    submission_title: String,
    tier_rank: i32,
    amount: String,
    awarded: Stamp,
    /// The payout's state, and its label.
    status: String,
    status_label: &'static str,
    paid: Option<Stamp>,
    failure: Option<String>,
}

#[derive(Template)]
#[template(path = "submissions/mine.html")]
struct MinePage {
    page: PageCtx,
    prizes: Vec<PrizeRow>,
    /// Prizes wait for a payout account; what the provider still needs.
    payout_setup: Option<String>,
    judging: usize,
    registrations: Vec<RegistrationRow>,
    submissions: Vec<SubmissionRow>,
    invitations: Vec<InvitationRow>,
    notice: Option<Notice>,
}

/// `GET /me/submissions`: my registrations, my submissions and the team
/// invitations waiting for me.
pub async fn mine(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = user.ctx(&req);
    let t = ctx.t;
    let d = queries::dashboard(&state, &user.0).await?;
    let at = now();
    let registrations = d
        .registrations
        .into_iter()
        .map(|(r, ch)| {
            let st = ch.state_at(at);
            RegistrationRow {
                state: st.as_str(),
                state_label: challenge_state_label(t, st),
                deadline: Stamp::of(ch.submission_deadline),
                countdown: countdown(t, st, ch.submission_deadline, at),
                urgent: is_urgent(st, ch.submission_deadline, at),
                open: st == State::Open,
                new_rules: st == State::Open && r.rules_version < ch.rules_version,
                slug: ch.slug,
                title: ch.title,
            }
        })
        .collect();
    let submissions = d
        .submissions
        .into_iter()
        .map(|(v, ch)| {
            let st = ch.state_at(at);
            SubmissionRow {
                state_label: state_label(t, &v.state),
                countdown: countdown(t, st, ch.submission_deadline, at),
                urgent: is_urgent(st, ch.submission_deadline, at),
                open: st == State::Open,
                updated: Stamp::of(v.revision.created_at),
                short: short_hash(&v.revision.sha256),
                sha256: v.revision.sha256,
                revision_label: revision_label(t, v.revision.number),
                deadline: Stamp::of(ch.submission_deadline),
                id: v.id,
                title: v.title,
                challenge_title: v.challenge.title,
                challenge_slug: v.challenge.slug,
                state: v.state,
            }
        })
        .collect();
    let invitations = d
        .invitations
        .into_iter()
        .map(|i| InvitationRow {
            id: i.inv.id,
            challenge_title: i.ch.title,
            challenge_slug: i.ch.slug,
            inviter: i.inviter,
            sent: Stamp::of(i.inv.created_at),
            registered: i.registered,
        })
        .collect();
    let prizes = d
        .prizes
        .iter()
        .map(|p| PrizeRow {
            challenge_title: p.challenge_title.clone(),
            challenge_slug: p.challenge_slug.clone(),
            submission_id: p.submission_id.clone(),
            submission_title: p.submission_title.clone(),
            tier_rank: p.tier_rank,
            amount: crate::frontend::format::money(t, &p.amount),
            awarded: Stamp::of(p.awarded_at),
            status: p.status.clone(),
            status_label: t.get(match p.status.as_str() {
                "submitted" => "payout.status.submitted",
                "paid" => "payout.status.paid",
                "failed" => "payout.status.failed",
                _ => "payout.status.awaiting",
            }),
            paid: p.paid_at.map(Stamp::of),
            failure: p.failure.clone(),
        })
        .collect();
    render(&MinePage {
        notice: done_notice(t, &q.done),
        prizes,
        payout_setup: d.payout_setup.map(|needs| needs.join(", ")),
        judging: d.judging,
        page: ctx,
        registrations,
        submissions,
        invitations,
    })
}
