//! Challenge pages for visitors and solvers: the home page (here), the list
//! with search, filters and cursor pages ([`list`]); the challenge page
//! (prizes, timeline, rules, licences, questions, announcements) with
//! registration and asking a question ([`show`]); and "my registrations"
//! ([`mine`]).
//!
//! Handlers stay thin: they parse, call one read of
//! [`crate::challenges::queries`] (the same reads as the JSON API) or one
//! use case of [`crate::challenges::service`], and render. No rule is
//! decided here.

pub mod cover;
pub mod list;
pub mod mine;
pub mod org;
pub mod show;

pub use list::list;
pub use mine::mine;
pub use show::{ask, register, show};

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;

use crate::auth::extract::MaybeUser;
use crate::challenges::queries::{self, ChallengeSummary};
use crate::db::now;
use crate::error::AppError;
use crate::frontend::format::{countdown, is_urgent, money, Stamp};
use crate::frontend::labels::{category_label, kind_label, state_label};
use crate::frontend::{render, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;

/// A challenge as a card of a list.
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

/// The card of a challenge, by the server's clock `at`.
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
    let rows = queries::featured(state, n).await?;
    let at = now();
    Ok(rows.into_iter().map(|s| card(t, s, at)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::model::Language;
    use crate::challenges::model::State;
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
}
