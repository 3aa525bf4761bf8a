//! A solver's public profile: their published solutions and prizes, shown
//! only when they turned it on, and never with an entry where they chose to
//! stay anonymous.

use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::ToSchema;

use super::{view, SubmissionView};
use crate::challenges::store as challenges;
use crate::error::{AppError, AppResult};
use crate::money::model::Money;
use crate::state::AppState;
use crate::submissions::model::Viewer;
use crate::submissions::store;

/// A prize on a public profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicPrize {
    pub challenge_slug: String,
    pub challenge_title: String,
    pub submission_id: String,
    pub submission_title: String,
    pub tier_rank: i32,
    /// The person's share.
    pub amount: Money,
}

/// A solver's public profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct SolverProfile {
    pub id: String,
    pub display_name: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub member_since: NaiveDateTime,
    /// Published solutions they co-authored, newest first.
    pub solutions: Vec<SubmissionView>,
    pub prizes: Vec<PublicPrize>,
}

/// The public profile of `user_id`: 404 unless they turned it on (and
/// their account is in good standing).
pub async fn solver_profile(state: &AppState, user_id: String) -> AppResult<SolverProfile> {
    state
        .db(move |c| {
            let user = crate::auth::store::find_user(c, &user_id).map_err(|e| match e {
                diesel::result::Error::NotFound => AppError::NotFound,
                other => other.into(),
            })?;
            if !user.public_profile || user.suspended_at.is_some() {
                return Err(AppError::NotFound);
            }
            let hidden = store::anonymous_teams(c, &user.id)?;
            let mut subs: Vec<_> = store::of_user(c, &user.id)?
                .into_iter()
                .filter(|s| s.published_at.is_some() && !hidden.contains(&s.team_id))
                .collect();
            subs.sort_by_key(|s| std::cmp::Reverse(s.published_at));
            let shown: Vec<String> = subs.iter().map(|s| s.id.clone()).collect();
            let mut solutions = Vec::new();
            for s in &subs {
                let ch = challenges::find(c, &s.challenge_id)?;
                solutions.push(view(c, s, &ch, Viewer::default())?);
            }
            let prizes = crate::judging::queries::results::prizes_of_user(c, &user.id)?
                .into_iter()
                .filter(|p| shown.contains(&p.submission_id))
                .map(|p| PublicPrize {
                    challenge_slug: p.challenge_slug,
                    challenge_title: p.challenge_title,
                    submission_id: p.submission_id,
                    submission_title: p.submission_title,
                    tier_rank: p.tier_rank,
                    amount: p.amount,
                })
                .collect();
            Ok(SolverProfile {
                id: user.id,
                display_name: user.display_name,
                member_since: user.created_at,
                solutions,
                prizes,
            })
        })
        .await
}
