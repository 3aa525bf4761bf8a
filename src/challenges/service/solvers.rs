//! What solvers do on a challenge (register by accepting its rules, ask
//! questions) and what the organisation says back (answers,
//! announcements, emailed in each person's language).

use super::{actor_user, audit_challenge, audit_on, checked_text, org_access};
use crate::audit::Actor;
use crate::auth::principal::Principal;
use crate::challenges::model::{check_text, State};
use crate::challenges::store;
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::orgs::model::OrgAction;
use crate::state::AppState;

/// Registers a solver for an open challenge by accepting its current rules
/// (version and time recorded). The deadline is checked in the transaction.
pub async fn register(
    state: &AppState,
    user_id: &str,
    key: &str,
    rules_version: i32,
) -> AppResult<(store::Registration, bool)> {
    let (user_id, key, st) = (user_id.to_owned(), key.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            let ch = store::find_by_key(c, &key)?.ok_or(AppError::NotFound)?;
            register_in(c, &st, &user_id, &ch, rules_version, now())
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// [`register`] inside a caller's transaction, for flows that register a
/// person on the way (accepting a team invitation with the rules).
pub fn register_in(
    c: &mut DbConnection,
    st: &AppState,
    user_id: &str,
    ch: &store::Challenge,
    rules_version: i32,
    at: chrono::NaiveDateTime,
) -> AppResult<(store::Registration, bool)> {
    match ch.state_at(at) {
        State::Open => {}
        State::Draft => return Err(AppError::NotFound),
        State::Closed if ch.stored_state() == State::Open => {
            return Err(AppError::conflict(
                "deadline_passed",
                "The submission deadline has passed.",
            ));
        }
        other => {
            return Err(AppError::conflict(
                "challenge_not_open",
                format!("This challenge is {}.", other.as_str()),
            ))
        }
    }
    if ch.opens_at.is_some_and(|o| o > at) {
        return Err(AppError::conflict(
            "not_yet_open",
            "Registration opens later.",
        ));
    }
    if rules_version != ch.rules_version {
        return Err(AppError::conflict(
            "rules_version_mismatch",
            format!("Accept the current rules, version {}.", ch.rules_version),
        ));
    }
    let (reg, new) = store::accept_rules(c, &ch.id, user_id, rules_version, at)?;
    let action = if new {
        "registration.created"
    } else {
        "registration.rules_accepted"
    };
    audit_challenge(
        c,
        &Actor::user(user_id),
        ch,
        action,
        serde_json::json!({ "rules_version": rules_version }),
    )?;
    if new {
        let user = crate::auth::store::find_user(c, user_id)?;
        crate::notify::queue_for_user(
            c,
            &user,
            &crate::notify::mail::EmailKind::RegistrationConfirmed {
                challenge: ch.title.clone(),
                deadline: ch.submission_deadline.format("%Y-%m-%d %H:%M").to_string(),
                url: st.url(&format!("/challenges/{}", ch.slug)),
            },
        )?;
    }
    Ok((reg, new))
}

/// A registered solver asks a question, public or private to the organisation.
pub async fn ask(
    state: &AppState,
    user_id: &str,
    key: &str,
    body: &str,
    is_public: bool,
) -> AppResult<store::Question> {
    let body = checked_text("body", body, 5, 5_000)?;
    let (user_id, key) = (user_id.to_owned(), key.to_owned());
    state
        .tx(move |c| {
            let ch = store::find_by_key(c, &key)?.ok_or(AppError::NotFound)?;
            if ch.stored_state() == State::Draft {
                return Err(AppError::NotFound);
            }
            if store::registration(c, &ch.id, &user_id)?.is_none() {
                return Err(AppError::Forbidden("registration_required"));
            }
            let q = store::insert_question(c, &ch.id, &user_id, &body, is_public, now())?;
            audit_on(
                c,
                &Actor::user(&user_id),
                &ch,
                ("question", &q.id),
                "question.asked",
                serde_json::json!({ "public": is_public }),
            )?;
            Ok(q)
        })
        .await
}

/// The organisation answers a question; the asker is told by email.
pub async fn answer(
    state: &AppState,
    caller: &Principal,
    question_id: &str,
    body: &str,
) -> AppResult<store::Question> {
    let body = checked_text("answer", body, 1, 10_000)?;
    let (caller, qid, st) = (caller.clone(), question_id.to_owned(), state.clone());
    let q = state
        .tx(move |c| {
            let q = store::find_question(c, &qid)?;
            let (ch, _) = org_access(c, &caller, &q.challenge_id, OrgAction::EditChallenges)?;
            let q = store::answer_question(c, &q.id, &body, &actor_user(&caller), now())?;
            let asker = crate::auth::store::find_user(c, &q.asked_by)?;
            let url = st.url(&format!("/challenges/{}#questions", ch.slug));
            crate::notify::queue_for_user(
                c,
                &asker,
                &crate::notify::mail::EmailKind::QuestionAnswered {
                    challenge: ch.title.clone(),
                    url,
                },
            )?;
            audit_on(
                c,
                &caller.actor(),
                &ch,
                ("question", &q.id),
                "question.answered",
                serde_json::json!({}),
            )?;
            Ok(q)
        })
        .await?;
    state.wake_worker();
    Ok(q)
}

/// Posts an announcement and emails every registrant in their language.
pub async fn announce(
    state: &AppState,
    caller: &Principal,
    key: &str,
    title: &str,
    body: &str,
) -> AppResult<(store::Announcement, usize)> {
    let mut errors = Vec::new();
    let title = check_text("title", title, 3, 140)
        .map_err(|e| errors.push(e))
        .ok();
    let body = check_text("body", body, 1, 20_000)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(title), Some(body)) = (title, body) else {
        return Err(AppError::Validation(errors));
    };
    let (caller, key, st) = (caller.clone(), key.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::EditChallenges)?;
            if ch.stored_state() == State::Draft {
                return Err(AppError::conflict(
                    "not_published",
                    "Publish the challenge before announcing.",
                ));
            }
            let a =
                store::insert_announcement(c, &ch.id, &title, &body, &actor_user(&caller), now())?;
            let url = st.url(&format!("/challenges/{}#announcements", ch.slug));
            // Registrants and those who follow the challenge, each once.
            let mut recipients = store::registrant_contacts(c, &ch.id)?;
            for u in crate::notify::follows::challenge_followers(c, &ch.id)? {
                if !recipients.iter().any(|r| r.id == u.id) {
                    recipients.push(u);
                }
            }
            for u in &recipients {
                crate::notify::queue_for_user(
                    c,
                    u,
                    &crate::notify::mail::EmailKind::Announcement {
                        challenge: ch.title.clone(),
                        title: title.clone(),
                        body: body.clone(),
                        url: url.clone(),
                    },
                )?;
            }
            audit_challenge(
                c,
                &caller.actor(),
                &ch,
                "announcement.posted",
                serde_json::json!({ "announcement": a.id, "recipients": recipients.len() }),
            )?;
            Ok((a, recipients.len()))
        })
        .await?;
    state.wake_worker();
    Ok(out)
}
