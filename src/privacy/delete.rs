//! Deleting an account. Sessions and tokens end; personal fields are
//! erased; what others rely on stays true: ledger entries, payouts and
//! audit records keep their ids (the audit's copies of the address are
//! blanked), and published solutions keep the attribution written into
//! their revisions, as their licences require. A sole owner of an
//! organisation must hand it over first.

use diesel::prelude::*;

use crate::audit::{self, Actor, Entry};
use crate::auth::crypto::verify_password;
use crate::db::schema::{
    audit_log, email_tokens, follows, judges, login_attempts, notification_prefs, notifications,
    org_invitations, org_members, outbox, refresh_tokens, sessions, team_invitations, team_members,
    users,
};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::orgs::model::Role;
use crate::state::AppState;

/// The name a deleted account goes by.
pub const FORMER_MEMBER: &str = "Former member";

/// What deleting keeps, for the confirmation page: the organisations the
/// person alone owns (each must be handed over first).
pub async fn blockers(state: &AppState, user_id: &str) -> AppResult<Vec<String>> {
    let uid = user_id.to_owned();
    state.db(move |c| sole_ownerships(c, &uid)).await
}

fn sole_ownerships(c: &mut DbConnection, user_id: &str) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    for (org, role) in crate::orgs::store::orgs_of_user(c, user_id)? {
        if role == Role::Owner && crate::orgs::store::count_owners(c, &org.id)? <= 1 {
            out.push(org.name);
        }
    }
    Ok(out)
}

/// Deletes `user_id`'s account after checking `password`.
pub async fn delete_account(state: &AppState, user_id: &str, password: &str) -> AppResult<()> {
    let uid = user_id.to_owned();
    let user = state
        .db(move |c| Ok(crate::auth::store::find_user(c, &uid)?))
        .await?;
    let (hash, pw) = (user.password_hash.clone(), password.to_owned());
    if !state.cpu(move || verify_password(&hash, &pw)).await? {
        return Err(AppError::field(
            "password",
            "incorrect",
            "The password is not correct.",
        ));
    }
    state
        .tx(move |c| {
            let owned = sole_ownerships(c, &user.id)?;
            if !owned.is_empty() {
                return Err(AppError::conflict(
                    "sole_owner",
                    format!(
                        "You are the only owner of {}: make someone else owner first.",
                        owned.join(", ")
                    ),
                ));
            }
            let at = now();
            let (id, email) = (user.id.clone(), user.email.clone());
            let session_ids: Vec<String> = sessions::table
                .filter(sessions::user_id.eq(&id))
                .select(sessions::id)
                .load(c)?;
            diesel::delete(
                refresh_tokens::table.filter(refresh_tokens::session_id.eq_any(&session_ids)),
            )
            .execute(c)?;
            crate::auth::store::revoke_sessions_except(c, &id, None, "account_deleted", at)?;
            diesel::update(sessions::table.filter(sessions::user_id.eq(&id)))
                .set((
                    sessions::user_agent.eq(None::<String>),
                    sessions::ip.eq(None::<String>),
                ))
                .execute(c)?;
            crate::orgs::service::revoke_keys_of(
                c,
                &Actor::user(&id),
                &id,
                None,
                "creator_deleted",
            )?;
            diesel::delete(email_tokens::table.filter(email_tokens::user_id.eq(&id))).execute(c)?;
            diesel::delete(login_attempts::table.filter(login_attempts::email.eq(&email)))
                .execute(c)?;
            diesel::delete(notifications::table.filter(notifications::user_id.eq(&id)))
                .execute(c)?;
            diesel::delete(notification_prefs::table.filter(notification_prefs::user_id.eq(&id)))
                .execute(c)?;
            diesel::delete(follows::table.filter(follows::user_id.eq(&id))).execute(c)?;
            diesel::delete(org_members::table.filter(org_members::user_id.eq(&id))).execute(c)?;
            // Messages to the address: the pending ones are not sent, the
            // others were a log of what was sent.
            diesel::delete(outbox::table.filter(outbox::recipient.eq(&email))).execute(c)?;
            let gone = format!("deleted-{id}@deleted.invalid");
            diesel::update(org_invitations::table.filter(org_invitations::email.eq(&email)))
                .set(org_invitations::email.eq(&gone))
                .execute(c)?;
            diesel::update(team_invitations::table.filter(team_invitations::email.eq(&email)))
                .set(team_invitations::email.eq(&gone))
                .execute(c)?;
            diesel::update(judges::table.filter(judges::email.eq(&email)))
                .set(judges::email.eq(&gone))
                .execute(c)?;
            // Named nowhere in public any more (the written attribution of
            // published work stays, as its licence requires).
            diesel::update(team_members::table.filter(team_members::user_id.eq(&id)))
                .set((
                    team_members::anonymous.eq(true),
                    team_members::credited.eq(false),
                ))
                .execute(c)?;
            // The audit keeps its records, without the address or the name.
            let entries: Vec<(String, String)> = audit_log::table
                .filter(audit_log::data.like(format!("%{}%", email.replace('%', ""))))
                .select((audit_log::id, audit_log::data))
                .load(c)?;
            for (aid, data) in entries {
                diesel::update(audit_log::table.find(aid))
                    .set(audit_log::data.eq(data.replace(&email, &gone)))
                    .execute(c)?;
            }
            diesel::update(users::table.find(&id))
                .set((
                    users::email.eq(&gone),
                    users::display_name.eq(FORMER_MEMBER),
                    users::password_hash.eq("!"),
                    users::email_verified_at.eq(None::<chrono::NaiveDateTime>),
                    users::public_profile.eq(false),
                    users::suspended_at.eq(Some(at)),
                    users::unread_notifications.eq(0),
                    users::updated_at.eq(at),
                ))
                .execute(c)?;
            audit::record(
                c,
                Entry {
                    actor: &Actor::user(&id),
                    org_id: None,
                    action: "user.deleted",
                    subject_type: "user",
                    subject_id: &id,
                    data: serde_json::json!({}),
                },
            )?;
            Ok(())
        })
        .await
}
