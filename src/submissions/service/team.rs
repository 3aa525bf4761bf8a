//! Teams: invitations by email, joining and leaving, and prize shares that
//! apply once every member approved them.

use serde::Deserialize;
use utoipa::ToSchema;

use super::{audit_sub, ensure_open, own_open, withdraw_if_agreed};
use crate::audit::{self, Actor, Entry};
use crate::auth::model::Email;
use crate::challenges::store::{self as challenges, Challenge};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::submissions::model::team::{may_change_withdrawal, withdrawal};
use crate::submissions::model::{check_shares, equal_shares};
use crate::submissions::store;

/// Invites a co-author by email (the invitee may not have an account yet).
pub async fn invite(
    state: &AppState,
    user_id: &str,
    id: &str,
    email: &str,
) -> AppResult<store::TeamInvitation> {
    let email = Email::parse("email", email).map_err(|e| AppError::Validation(vec![e]))?;
    let (uid, id, st) = (user_id.to_owned(), id.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            let members = store::members(c, &s.team_id)?;
            if members.iter().any(|(_, _, e)| *e == email.as_str()) {
                return Err(AppError::conflict(
                    "already_member",
                    "This person is already in the team.",
                ));
            }
            let pending = store::pending_invitations(c, &s.team_id, now())?;
            if members.len() + pending.len() + 1 > ch.max_team_size as usize {
                return Err(AppError::field(
                    "email",
                    "team_too_large",
                    format!("Teams have at most {} members.", ch.max_team_size),
                ));
            }
            crate::notify::invitation_quota(&store::invitations_to_since(
                c,
                email.as_str(),
                now() - chrono::Duration::hours(1),
            )?)?;
            let (inv, token) = store::invite(c, &s.team_id, email.as_str(), &uid, now())?;
            let inviter = crate::auth::store::find_user(c, &uid)?;
            crate::notify::queue_for_address(
                c,
                email.as_str(),
                "",
                &crate::notify::mail::EmailKind::TeamInvitation {
                    challenge: ch.title.clone(),
                    inviter: inviter.display_name.clone(),
                    url: st.url(&format!("/team-invitations/{token}")),
                },
            )?;
            audit_sub(
                c,
                &Actor::user(&uid),
                &ch,
                &s,
                "team.invited",
                serde_json::json!({ "email": email.as_str() }),
            )?;
            Ok(inv)
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// Accepts or declines a team invitation (the signed-in account's email must be the invited one).
pub async fn respond(
    state: &AppState,
    user_id: &str,
    token: &str,
    accept: bool,
) -> AppResult<String> {
    respond_to(
        state,
        user_id,
        Invite::Token(token.to_owned()),
        accept,
        None,
    )
    .await
}

/// Accepts a team invitation, registering the invitee for the challenge
/// under `rules_version` first if they were not registered: one step from
/// the invitation page.
pub async fn accept_with_rules(
    state: &AppState,
    user_id: &str,
    token: &str,
    rules_version: i32,
) -> AppResult<String> {
    respond_to(
        state,
        user_id,
        Invite::Token(token.to_owned()),
        true,
        Some(rules_version),
    )
    .await
}

/// Like [`respond`], for an invitation listed on the invitee's dashboard
/// (found by id; the email check still applies).
pub async fn respond_by_id(
    state: &AppState,
    user_id: &str,
    invitation_id: &str,
    accept: bool,
) -> AppResult<String> {
    respond_to(
        state,
        user_id,
        Invite::Id(invitation_id.to_owned()),
        accept,
        None,
    )
    .await
}

/// How an invitation is named: the emailed token, or its id.
enum Invite {
    Token(String),
    Id(String),
}

async fn respond_to(
    state: &AppState,
    user_id: &str,
    which: Invite,
    accept: bool,
    rules_version: Option<i32>,
) -> AppResult<String> {
    let (uid, st) = (user_id.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            let found = match &which {
                Invite::Token(t) => store::invitation_by_token(c, t, now())?,
                Invite::Id(id) => store::invitation_by_id(c, id, now())?,
            };
            let inv = found.ok_or_else(|| {
                AppError::bad_request(
                    "invalid_token",
                    "This invitation is invalid or was answered already.",
                )
            })?;
            let user = crate::auth::store::find_user(c, &uid)?;
            if user.email != inv.email {
                return Err(AppError::Forbidden("invitation_email_mismatch"));
            }
            let challenge_id = store::team_challenge(c, &inv.team_id)?;
            let ch = challenges::find(c, &challenge_id)?;
            let at = now();
            if !accept {
                store::respond(c, &inv.id, "declined", at)?;
                let data = serde_json::json!({ "invitation": inv.id });
                audit_team(c, &uid, &ch, &inv.team_id, "team.declined", data)?;
                return Ok(inv.team_id);
            }
            ensure_open(&ch, at)?;
            if challenges::registration(c, &ch.id, &uid)?.is_none() {
                match rules_version {
                    Some(v) => {
                        crate::challenges::service::register_in(c, &st, &uid, &ch, v, at)?;
                    }
                    None => return Err(AppError::Forbidden("registration_required")),
                }
            }
            if store::team_of(c, &ch.id, &uid)?.is_some() {
                return Err(AppError::conflict(
                    "already_in_team",
                    "You already belong to a team in this challenge.",
                ));
            }
            let members = store::members(c, &inv.team_id)?;
            if members.len() + 1 > ch.max_team_size as usize {
                return Err(AppError::conflict(
                    "team_too_large",
                    format!("Teams have at most {} members.", ch.max_team_size),
                ));
            }
            store::respond(c, &inv.id, "accepted", at)?;
            store::add_member(c, &inv.team_id, &ch.id, &uid, "member", 0, at)?;
            // Named among the copyright holders unless the team chose not
            // to; the name goes again if they choose anonymity.
            let credited = store::team_rules(c, &inv.team_id)?.credit_joiners;
            store::set_credited(c, &inv.team_id, &uid, credited)?;
            reset_shares(c, &inv.team_id)?;
            audit_team(
                c,
                &uid,
                &ch,
                &inv.team_id,
                "team.joined",
                serde_json::json!({ "credited": credited }),
            )?;
            Ok(inv.team_id)
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// The audit entry of a person answering an invitation to a team.
fn audit_team(
    conn: &mut DbConnection,
    user_id: &str,
    ch: &Challenge,
    team_id: &str,
    action: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        Entry {
            actor: &Actor::user(user_id),
            org_id: Some(&ch.org_id),
            action,
            subject_type: "team",
            subject_id: team_id,
            data,
        },
    )?;
    Ok(())
}

/// Shares back to equal after a membership change.
fn reset_shares(conn: &mut DbConnection, team_id: &str) -> AppResult<()> {
    let members = store::members(conn, team_id)?;
    let shares = equal_shares(members.len());
    let pairs: Vec<(String, i32)> = members
        .iter()
        .zip(shares)
        .map(|((m, _, _), s)| (m.user_id.clone(), s))
        .collect();
    store::set_shares(conn, team_id, &pairs)?;
    store::supersede_proposals(conn, team_id)?;
    Ok(())
}

/// A team member withdraws a pending invitation (sent to the wrong
/// address, or no longer wanted): its link stops working.
pub async fn cancel_invitation(
    state: &AppState,
    user_id: &str,
    id: &str,
    invitation_id: &str,
) -> AppResult<()> {
    let (uid, id, inv_id) = (user_id.to_owned(), id.to_owned(), invitation_id.to_owned());
    state
        .tx(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            let inv = store::invitation_by_id(c, &inv_id, now())?
                .filter(|i| i.team_id == s.team_id)
                .ok_or(AppError::NotFound)?;
            if store::respond(c, &inv.id, "cancelled", now())? != 1 {
                return Err(AppError::NotFound);
            }
            let data = serde_json::json!({ "invitation": inv.id });
            audit_team(c, &uid, &ch, &s.team_id, "team.invitation_cancelled", data)?;
            Ok(())
        })
        .await
}

/// A member leaves, or the submitter removes one, before the deadline.
pub async fn remove_member(
    state: &AppState,
    user_id: &str,
    id: &str,
    member_id: &str,
) -> AppResult<()> {
    let (uid, id, member) = (user_id.to_owned(), id.to_owned(), member_id.to_owned());
    state
        .tx(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            let members = store::members(c, &s.team_id)?;
            let me = members
                .iter()
                .find(|(m, _, _)| m.user_id == uid)
                .map(|(m, _, _)| m.role.clone())
                .unwrap_or_default();
            let target = members
                .iter()
                .find(|(m, _, _)| m.user_id == member)
                .map(|(m, _, _)| m.role.clone())
                .ok_or(AppError::NotFound)?;
            if target == "submitter" {
                return Err(AppError::conflict(
                    "submitter_stays",
                    "The submitter stays in the team; withdraw the submission instead.",
                ));
            }
            if member != uid && me != "submitter" {
                return Err(AppError::Forbidden("submitter_required"));
            }
            store::remove_member(c, &s.team_id, &member)?;
            store::unvote_withdrawal(c, &s.id, &member)?;
            reset_shares(c, &s.team_id)?;
            audit_sub(
                c,
                &Actor::user(&uid),
                &ch,
                &s,
                if member == uid {
                    "team.left"
                } else {
                    "team.member_removed"
                },
                serde_json::json!({ "user": member }),
            )?;
            // Everyone left may have agreed to withdraw already.
            withdraw_if_agreed(c, &Actor::user(&uid), &s, &ch)?;
            Ok(())
        })
        .await
}

/// A member chooses whether public results and public views of the entry
/// name them. Only for oneself, and at any time: a name can be withdrawn
/// from a public page after the fact.
pub async fn set_anonymous(
    state: &AppState,
    user_id: &str,
    id: &str,
    member_id: &str,
    anonymous: bool,
) -> AppResult<()> {
    if member_id != user_id {
        return Err(AppError::Forbidden("own_membership_only"));
    }
    let (uid, id) = (user_id.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let s = store::find_opt(c, &id)?.ok_or(AppError::NotFound)?;
            let member = store::members(c, &s.team_id)?
                .into_iter()
                .find(|(m, _, _)| m.user_id == uid)
                .ok_or(AppError::NotFound)?;
            if member.0.anonymous == anonymous {
                return Ok(());
            }
            let ch = challenges::find(c, &s.challenge_id)?;
            store::set_anonymous(c, &s.team_id, &uid, anonymous)?;
            audit_sub(
                c,
                &Actor::user(&uid),
                &ch,
                &s,
                "team.member_anonymous",
                serde_json::json!({ "user": uid, "anonymous": anonymous }),
            )?;
            Ok(())
        })
        .await
}

/// A team's own rules.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamRulesInput {
    /// Who may withdraw the entry: `team` (every member must agree) or
    /// `creator` (the team's creator alone; only a team of one may choose
    /// it, and those invited later see it before they join).
    pub withdrawal: Option<String>,
    /// Name members who join later among the copyright holders (unless
    /// they choose anonymity).
    pub credit_joiners: Option<bool>,
}

/// A member changes the team's rules, before the deadline.
pub async fn set_team_rules(
    state: &AppState,
    user_id: &str,
    id: &str,
    input: TeamRulesInput,
) -> AppResult<store::TeamRules> {
    let mode = match input.withdrawal.as_deref() {
        None => None,
        Some(raw) => Some(withdrawal::parse(raw).ok_or_else(|| {
            AppError::field(
                "withdrawal",
                "invalid_withdrawal_rule",
                "Choose team (every member agrees) or creator.",
            )
        })?),
    };
    let (uid, id) = (user_id.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            let rules = store::team_rules(c, &s.team_id)?;
            let to = mode.unwrap_or(rules.withdrawal.as_str()).to_owned();
            if to == withdrawal::CREATOR && rules.withdrawal != to && uid != rules.created_by {
                return Err(AppError::Forbidden("creator_required"));
            }
            let members = store::members(c, &s.team_id)?.len();
            may_change_withdrawal(&rules.withdrawal, &to, members).map_err(|code| {
                AppError::conflict(
                    code,
                    "Only a team of one can give its creator the sole say; with others in the team, every member agrees to a withdrawal.",
                )
            })?;
            let credit = input.credit_joiners.unwrap_or(rules.credit_joiners);
            if to != rules.withdrawal || credit != rules.credit_joiners {
                store::set_team_rules(c, &s.team_id, &to, credit)?;
                audit_sub(
                    c,
                    &Actor::user(&uid),
                    &ch,
                    &s,
                    "team.rules_changed",
                    serde_json::json!({ "withdrawal": to, "credit_joiners": credit }),
                )?;
            }
            Ok(store::team_rules(c, &s.team_id)?)
        })
        .await
}

/// A share per member.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ShareInput {
    pub user_id: String,
    /// Basis points (10,000 = the whole prize).
    pub bps: i32,
}

/// Proposes new shares; they apply once every member has approved.
/// Returns whether they applied already (a team of one).
pub async fn propose_shares(
    state: &AppState,
    user_id: &str,
    id: &str,
    shares: Vec<ShareInput>,
) -> AppResult<bool> {
    let (uid, id) = (user_id.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let (s, ch) = own_open(c, &uid, &id)?;
            let members = store::members(c, &s.team_id)?;
            let mut ordered = Vec::new();
            for (m, _, _) in &members {
                let sh = shares
                    .iter()
                    .find(|x| x.user_id == m.user_id)
                    .ok_or_else(|| {
                        AppError::field(
                            "shares",
                            "shares_mismatch",
                            "Give one share per team member.",
                        )
                    })?;
                ordered.push(sh.bps);
            }
            check_shares("shares", &ordered, members.len())
                .map_err(|e| AppError::Validation(vec![e]))?;
            if shares.len() != members.len() {
                return Err(AppError::field(
                    "shares",
                    "shares_mismatch",
                    "Give one share per team member.",
                ));
            }
            let pairs: Vec<(String, i32)> = members
                .iter()
                .zip(&ordered)
                .map(|((m, _, _), b)| (m.user_id.clone(), *b))
                .collect();
            let p = store::propose(
                c,
                &s.team_id,
                &serde_json::to_string(&pairs).unwrap_or_default(),
                &uid,
                now(),
            )?;
            store::approve(c, &p.id, &uid, now())?;
            audit_sub(
                c,
                &Actor::user(&uid),
                &ch,
                &s,
                "team.shares_proposed",
                serde_json::json!({ "shares": pairs }),
            )?;
            apply_if_approved(c, &s.team_id, &p)
        })
        .await
}

/// Approves the pending share proposal of the submission's team.
pub async fn approve_shares(state: &AppState, user_id: &str, id: &str) -> AppResult<bool> {
    let (uid, id) = (user_id.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let (s, _) = own_open(c, &uid, &id)?;
            let p = store::pending_proposal(c, &s.team_id)?.ok_or_else(|| {
                AppError::conflict("no_pending_proposal", "No share change is waiting.")
            })?;
            store::approve(c, &p.id, &uid, now())?;
            apply_if_approved(c, &s.team_id, &p)
        })
        .await
}

fn apply_if_approved(
    conn: &mut DbConnection,
    team_id: &str,
    p: &store::Proposal,
) -> AppResult<bool> {
    let members = store::members(conn, team_id)?;
    let approved = store::approvals(conn, &p.id)?;
    if !members
        .iter()
        .all(|(m, _, _)| approved.contains(&m.user_id))
    {
        return Ok(false);
    }
    let pairs: Vec<(String, i32)> = serde_json::from_str(&p.shares).map_err(AppError::internal)?;
    store::set_shares(conn, team_id, &pairs)?;
    store::mark_applied(conn, &p.id)?;
    Ok(true)
}
