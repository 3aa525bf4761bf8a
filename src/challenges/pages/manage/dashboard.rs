//! An organisation's dashboard: its challenges grouped by state, with how
//! far each is funded and where the platform's review stands.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::review_label;
use crate::auth::extract::Principal;
use crate::challenges::model::{review, State};
use crate::challenges::queries;
use crate::error::AppError;
use crate::frontend::format::{money, Stamp};
use crate::frontend::labels::state_label;
use crate::frontend::session::PageUser;
use crate::frontend::{render, PageCtx};
use crate::orgs::model::Role;
use crate::state::AppState;

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
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let who = Principal::User(user.0.clone());
    let d = queries::dashboard(&state, who, path.into_inner()).await?;
    let ctx = user.ctx(&req);
    let t = ctx.t;
    let mut groups: Vec<Group> = State::ALL
        .iter()
        .map(|s| Group {
            state: s.as_str(),
            label: state_label(t, *s),
            rows: Vec::new(),
        })
        .collect();
    let total = d.rows.len();
    for r in d.rows {
        let (ch, s) = (r.ch, r.summary);
        let funding = match s.state {
            State::Awarded | State::Settled | State::Cancelled => "",
            _ if r.balance >= ch.prize_total => "funded",
            _ if r.pending > 0 => "pending",
            _ if r.balance > 0 => "partial",
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
        org_name: d.org_name,
        slug: d.org_slug,
        tab: "challenges",
        can_keys: d.role.is_some_and(|r| r >= Role::Admin),
        groups,
        total,
    })
}
