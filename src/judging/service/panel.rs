//! The panel of a challenge: inviting judges by email, their answer, their
//! removal, and the conflicts of interest Tribu finds by itself.

use crate::audit::Actor;
use crate::auth::model::Email;
use crate::auth::principal::{AuthUser, Principal};
use crate::challenges::model::State;
use crate::challenges::store::{self as challenges, Challenge};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::judging::model::RoundState;
use crate::judging::store::{self, judge_status, Judge};
use crate::notify::mail::EmailKind;
use crate::orgs::model::OrgAction;
use crate::state::AppState;

use super::{acting_user, audit_judging, organiser_of};

/// Invites `email` to judge challenge `key` (the person may have no account
/// yet: they sign up from the link).
pub async fn invite(
    state: &AppState,
    caller: &Principal,
    key: &str,
    email: &str,
) -> AppResult<Judge> {
    let email = Email::parse("email", email).map_err(|e| AppError::Validation(vec![e]))?;
    let (caller, key, st) = (caller.clone(), key.to_owned(), state.clone());
    let judge = state
        .tx(move |c| {
            let ch = organiser_of(c, &caller, &key, OrgAction::ManageJudging)?;
            if matches!(
                ch.stored_state(),
                State::Awarded | State::Settled | State::Cancelled
            ) {
                return Err(AppError::conflict(
                    "judging_over",
                    format!("This challenge is {}.", ch.stored_state().as_str()),
                ));
            }
            let taken = store::judges_of(c, &ch.id)?.into_iter().any(|j| {
                j.email == email.as_str()
                    && matches!(
                        j.status.as_str(),
                        judge_status::INVITED | judge_status::ACTIVE
                    )
            });
            if taken {
                return Err(AppError::conflict(
                    "already_on_panel",
                    "This person is already on the panel or invited.",
                ));
            }
            crate::notify::invitation_quota(&store::invitations_to_since(
                c,
                email.as_str(),
                now() - chrono::Duration::hours(1),
            )?)?;
            let by = acting_user(&caller);
            let (judge, token) = store::invite(c, &ch.id, email.as_str(), &by, now())?;
            let inviter = crate::auth::store::find_user(c, &by)?.display_name;
            crate::notify::queue_for_address(
                c,
                email.as_str(),
                "",
                &EmailKind::JudgeInvitation {
                    challenge: ch.title.clone(),
                    inviter,
                    url: st.url(&format!("/judge-invitations/{token}")),
                },
            )?;
            audit_judging(
                c,
                &caller.actor(),
                &ch,
                "judge.invited",
                "judge",
                &judge.id,
                serde_json::json!({ "email": judge.email }),
            )?;
            Ok(judge)
        })
        .await?;
    state.wake_worker();
    Ok(judge)
}

/// How an invitation is named: the emailed token, or its id (dashboard).
pub enum Invitation {
    Token(String),
    Id(String),
}

/// The signed-in person answers an invitation meant for their address.
/// Accepting joins the panel and records the conflicts Tribu can see.
pub async fn respond(
    state: &AppState,
    user: &AuthUser,
    which: Invitation,
    accept: bool,
) -> AppResult<Judge> {
    let u = user.user.clone();
    state
        .tx(move |c| {
            let at = now();
            let found = match &which {
                Invitation::Token(t) => store::invitation_by_token(c, t, at)?,
                Invitation::Id(id) => store::find_judge(c, id)
                    .ok()
                    .filter(|j| j.status == judge_status::INVITED && j.expires_at > at),
            };
            let inv = found.ok_or_else(|| AppError::Conflict {
                code: "invitation_not_pending",
                detail: "This invitation is unknown, expired or answered already.".into(),
            })?;
            if inv.email != u.email {
                return Err(AppError::Forbidden("invitation_email_mismatch"));
            }
            let ch = challenges::find(c, &inv.challenge_id)?;
            if accept && store::active_judge(c, &ch.id, &u.id)?.is_some() {
                return Err(AppError::conflict(
                    "already_on_panel",
                    "You are already on this panel.",
                ));
            }
            let (status, action) = if accept {
                (judge_status::ACTIVE, "judge.accepted")
            } else {
                (judge_status::DECLINED, "judge.declined")
            };
            if store::respond(c, &inv.id, status, accept.then_some(u.id.as_str()), at)? != 1 {
                return Err(AppError::conflict(
                    "invitation_not_pending",
                    "This invitation was answered meanwhile.",
                ));
            }
            let judge = store::find_judge(c, &inv.id)?;
            let found = if accept {
                automatic_conflicts(c, &ch, &judge)?
            } else {
                0
            };
            audit_judging(
                c,
                &Actor::user(&u.id),
                &ch,
                action,
                "judge",
                &judge.id,
                serde_json::json!({ "automatic_conflicts": found }),
            )?;
            Ok(judge)
        })
        .await
}

/// Takes a judge off the panel. Their unfinished scorecards (in rounds not
/// closed) go back to the assignment step; submitted ones stay on record.
pub async fn remove(
    state: &AppState,
    caller: &Principal,
    key: &str,
    judge_id: &str,
) -> AppResult<()> {
    let (caller, key, judge_id) = (caller.clone(), key.to_owned(), judge_id.to_owned());
    state
        .tx(move |c| {
            let ch = organiser_of(c, &caller, &key, OrgAction::ManageJudging)?;
            let judge = store::find_judge(c, &judge_id).map_err(|_| AppError::NotFound)?;
            if judge.challenge_id != ch.id {
                return Err(AppError::NotFound);
            }
            let at = now();
            if store::remove(c, &judge.id, at)? != 1 {
                return Err(AppError::conflict(
                    "not_on_panel",
                    "This judge was removed or declined already.",
                ));
            }
            let released = release_unfinished(c, &judge.id)?;
            audit_judging(
                c,
                &caller.actor(),
                &ch,
                "judge.removed",
                "judge",
                &judge.id,
                serde_json::json!({ "released_assignments": released }),
            )?;
            Ok(())
        })
        .await
}

/// Deletes a judge's assignments that have no submitted scorecard, in
/// rounds that are not closed; returns how many.
pub(crate) fn release_unfinished(conn: &mut DbConnection, judge_id: &str) -> AppResult<usize> {
    let mut n = 0;
    for a in store::assignments_of_judge(conn, judge_id)? {
        let round = store::find_round(conn, &a.round_id)?;
        if round.round_state() == RoundState::Closed {
            continue;
        }
        let submitted = store::scorecard_of(conn, &a.id)?
            .is_some_and(|s| s.state == store::card_state::SUBMITTED);
        if !submitted {
            store::delete_assignment(conn, &a.id)?;
            n += 1;
        }
    }
    Ok(n)
}

/// The conflicts Tribu sees between a judge and the challenge's entries:
/// the judge is in the entry's team; or the judge belongs to the organising
/// organisation and so does someone in the entry's team (a colleague's
/// entry). Each is recorded once; a pair already assigned in a round that is
/// not closed is taken apart. Returns how many were new.
pub(crate) fn automatic_conflicts(
    conn: &mut DbConnection,
    ch: &Challenge,
    judge: &Judge,
) -> AppResult<usize> {
    let Some(uid) = judge.user_id.clone() else {
        return Ok(0);
    };
    let judge_in_org = crate::orgs::store::role_of(conn, &ch.org_id, &uid)?.is_some();
    let mut n = 0;
    for s in crate::submissions::store::of_challenge(conn, &ch.id)? {
        let members = crate::submissions::store::members(conn, &s.team_id)?;
        let in_team = members.iter().any(|(m, _, _)| m.user_id == uid);
        let mut colleague = false;
        if judge_in_org && !in_team {
            for (m, _, _) in &members {
                if crate::orgs::store::role_of(conn, &ch.org_id, &m.user_id)?.is_some() {
                    colleague = true;
                    break;
                }
            }
        }
        let reason = if in_team {
            "The judge is in this entry's team."
        } else if colleague {
            "A colleague from the organising organisation is in this entry's team."
        } else {
            continue;
        };
        if store::add_conflict(conn, &judge.id, &s.id, reason, true, now())? {
            n += 1;
        }
        drop_pairs(conn, &judge.id, &s.id)?;
    }
    Ok(n)
}

/// Takes apart the pairs of a judge and an entry in rounds not closed.
pub(crate) fn drop_pairs(
    conn: &mut DbConnection,
    judge_id: &str,
    submission_id: &str,
) -> AppResult<usize> {
    let mut n = 0;
    for a in store::assignments_of_judge(conn, judge_id)? {
        if a.submission_id != submission_id {
            continue;
        }
        if store::find_round(conn, &a.round_id)?.round_state() != RoundState::Closed {
            store::delete_assignment(conn, &a.id)?;
            n += 1;
        }
    }
    Ok(n)
}
