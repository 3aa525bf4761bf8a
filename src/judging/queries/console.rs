//! What the organisation's judging console shows: the panel and the rounds
//! of a challenge; and one round with its progress, leaderboard and, for
//! the final round, what results can map onto.

use serde::Serialize;

use super::board::{self, Leaderboard};
use super::views::{self, JudgeView, RoundView};
use crate::auth::principal::Principal;
use crate::challenges::model::State;
use crate::challenges::store::{self as challenges, Challenge};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::judging::model::RoundState;
use crate::judging::service::organiser_of;
use crate::judging::store::{self, judge_status};
use crate::money::model::{Currency, Money};
use crate::orgs::model::OrgAction;

/// The console of a challenge's judging.
#[derive(Debug, Clone, Serialize)]
pub struct Console {
    pub challenge_id: String,
    pub slug: String,
    pub title: String,
    pub state: State,
    pub blind: bool,
    /// The caller may change things (not only look).
    pub can_manage: bool,
    pub panel: Vec<JudgeView>,
    pub rounds: Vec<RoundView>,
    pub results_published: bool,
}

/// Whether `caller` may manage judging of `ch` (a role or scope check that
/// answers no rather than failing).
fn may_manage(conn: &mut DbConnection, caller: &Principal, ch: &Challenge) -> AppResult<bool> {
    crate::challenges::service::is_org_side(conn, Some(caller), ch, OrgAction::ManageJudging)
}

/// The console of challenge `key`.
pub fn console(conn: &mut DbConnection, caller: &Principal, key: &str) -> AppResult<Console> {
    let ch = organiser_of(conn, caller, key, OrgAction::ViewJudging)?;
    Ok(Console {
        can_manage: may_manage(conn, caller, &ch)?,
        panel: views::panel(conn, &ch)?,
        rounds: views::rounds(conn, &ch, true)?,
        results_published: store::results_of(conn, &ch.id)?.is_some(),
        challenge_id: ch.id.clone(),
        slug: ch.slug.clone(),
        title: ch.title.clone(),
        state: ch.stored_state(),
        blind: ch.blind_judging,
    })
}

/// A judge who may be paired by hand.
#[derive(Debug, Clone, Serialize)]
pub struct PanelJudge {
    pub id: String,
    pub name: String,
}

/// A prize tier, for the results form.
#[derive(Debug, Clone, Serialize)]
pub struct TierOption {
    pub rank: i32,
    pub label: String,
    pub amount: Money,
}

/// One round in the console.
#[derive(Debug, Clone, Serialize)]
pub struct RoundConsole {
    pub round: RoundView,
    pub challenge_id: String,
    pub slug: String,
    pub title: String,
    pub blind: bool,
    pub can_manage: bool,
    /// Judges of the round (active), by name.
    pub judges: Vec<PanelJudge>,
    pub leaderboard: Option<Leaderboard>,
    /// This is the last round, closed, and the challenge awaits results.
    pub can_publish: bool,
    pub results_published: bool,
    pub tiers: Vec<TierOption>,
}

/// One round of a challenge, for its organisation.
pub fn round_console(
    conn: &mut DbConnection,
    caller: &Principal,
    round_id: &str,
) -> AppResult<RoundConsole> {
    let round = store::find_round_opt(conn, round_id)?.ok_or(AppError::NotFound)?;
    let ch = organiser_of(conn, caller, &round.challenge_id, OrgAction::ViewJudging)?;
    let can_manage = may_manage(conn, caller, &ch)?;
    let mut judges = Vec::new();
    let round_judges = store::round_judge_ids(conn, &round.id)?;
    for j in store::judges_of(conn, &ch.id)? {
        let named = round_judges.is_empty() || round_judges.contains(&j.id);
        if j.status != judge_status::ACTIVE || !named {
            continue;
        }
        let name = match &j.user_id {
            Some(uid) => crate::auth::store::find_user(conn, uid)?.display_name,
            None => j.email.clone(),
        };
        judges.push(PanelJudge { id: j.id, name });
    }
    let leaderboard = if round.round_state() == RoundState::Draft {
        None
    } else {
        Some(board::leaderboard(conn, &round, true)?)
    };
    let rounds = store::rounds_of(conn, &ch.id)?;
    let is_last = rounds.last().is_some_and(|r| r.id == round.id);
    let results_published = store::results_of(conn, &ch.id)?.is_some();
    let cur =
        Currency::parse("currency", &ch.currency).map_err(|e| AppError::internal(e.message))?;
    let tiers = challenges::tiers(conn, &ch.id)?
        .into_iter()
        .map(|t| TierOption {
            rank: t.rank,
            label: t.label,
            amount: Money::new(t.amount, &cur),
        })
        .collect();
    Ok(RoundConsole {
        round: views::round_view(conn, &round, true)?,
        can_publish: can_manage
            && is_last
            && round.round_state() == RoundState::Closed
            && ch.stored_state() == State::Judging
            && !results_published,
        challenge_id: ch.id.clone(),
        slug: ch.slug.clone(),
        title: ch.title.clone(),
        blind: ch.blind_judging,
        can_manage,
        judges,
        leaderboard,
        results_published,
        tiers,
    })
}
