//! Scheduled reminders, found due by the worker: the 7-day and 24-hour
//! reminders of a submission deadline to registrants without a submitted
//! entry, and the 3-day reminder of a judging deadline to judges with
//! scorecards left. Each is recorded in `reminders_sent` in the transaction
//! that queues it, keyed by person, challenge, kind and deadline, so no
//! restart or second worker sends it twice, and a moved deadline is a new
//! one.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::mail::EmailKind;
use super::model::{deadline_reminder_due, judging_reminder_due};
use crate::challenges::store::Challenge;
use crate::db::schema::{
    assignments, challenges, registrations, reminders_sent, rounds, scorecards, submissions,
    team_members, users,
};
use crate::db::{write_tx, DbConnection};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Records a reminder as sent; false when it was sent before.
fn claim(
    c: &mut DbConnection,
    user_id: &str,
    ch: &Challenge,
    kind: &str,
    deadline: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let seen: i64 = reminders_sent::table
        .find((user_id, &ch.id, kind, deadline))
        .count()
        .get_result(c)?;
    if seen > 0 {
        return Ok(false);
    }
    diesel::insert_into(reminders_sent::table)
        .values((
            reminders_sent::user_id.eq(user_id),
            reminders_sent::challenge_id.eq(&ch.id),
            reminders_sent::kind.eq(kind),
            reminders_sent::deadline.eq(deadline),
            reminders_sent::sent_at.eq(at),
        ))
        .execute(c)?;
    Ok(true)
}

/// Challenges in `state` whose `deadline` column falls between `now` and
/// `until`.
fn challenges_due(
    c: &mut DbConnection,
    state: &str,
    judging: bool,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Vec<Challenge>> {
    let q = challenges::table
        .filter(challenges::state.eq(state))
        .select(Challenge::as_select())
        .into_boxed();
    if judging {
        q.filter(challenges::judging_deadline.gt(now))
            .filter(challenges::judging_deadline.le(until))
            .load(c)
    } else {
        q.filter(challenges::submission_deadline.gt(now))
            .filter(challenges::submission_deadline.le(until))
            .load(c)
    }
}

/// Sends what is due at `now`; returns how many reminders were queued.
pub fn run_due(c: &mut DbConnection, st: &AppState, now: NaiveDateTime) -> AppResult<usize> {
    let mut sent = 0;
    for ch in challenges_due(c, "open", false, now, now + chrono::Duration::days(7))? {
        let Some(kind) = deadline_reminder_due(now, ch.submission_deadline) else {
            continue;
        };
        // Registrants without a submitted entry in this challenge.
        let teams: Vec<String> = submissions::table
            .filter(submissions::challenge_id.eq(&ch.id))
            .filter(submissions::state.eq("submitted"))
            .select(submissions::team_id)
            .load(c)?;
        let entered: Vec<String> = team_members::table
            .filter(team_members::team_id.eq_any(&teams))
            .select(team_members::user_id)
            .load(c)?;
        let waiting: Vec<crate::auth::store::User> = users::table
            .filter(users::suspended_at.is_null())
            .filter(
                users::id.eq_any(
                    registrations::table
                        .filter(registrations::challenge_id.eq(&ch.id))
                        .select(registrations::user_id),
                ),
            )
            .select(crate::auth::store::User::as_select())
            .load(c)?
            .into_iter()
            .filter(|u| !entered.contains(&u.id))
            .collect();
        for user in waiting {
            let queued = write_tx(c, |c| {
                if !claim(c, &user.id, &ch, kind, ch.submission_deadline, now)? {
                    return Ok(false);
                }
                super::queue_for_user(
                    c,
                    &user,
                    &EmailKind::DeadlineReminder {
                        challenge: ch.title.clone(),
                        last_day: kind == "deadline_24h",
                        deadline: ch.submission_deadline.format("%Y-%m-%d %H:%M").to_string(),
                        url: st.url(&format!("/challenges/{}", ch.slug)),
                    },
                )?;
                Ok::<bool, AppError>(true)
            })?;
            sent += usize::from(queued);
        }
    }
    for ch in challenges_due(c, "judging", true, now, now + chrono::Duration::days(3))? {
        if !judging_reminder_due(now, ch.judging_deadline) {
            continue;
        }
        // Per judge user: assignments in open rounds without a submitted card.
        let pending: Vec<(String, String)> = assignments::table
            .inner_join(rounds::table)
            .inner_join(crate::db::schema::judges::table)
            .filter(rounds::challenge_id.eq(&ch.id))
            .filter(rounds::state.eq("open"))
            .filter(diesel::dsl::not(
                assignments::id.eq_any(
                    scorecards::table
                        .filter(scorecards::state.eq("submitted"))
                        .select(scorecards::assignment_id),
                ),
            ))
            .filter(crate::db::schema::judges::user_id.is_not_null())
            .select((
                crate::db::schema::judges::user_id.assume_not_null(),
                assignments::id,
            ))
            .load(c)?;
        let mut per_user: Vec<(String, usize)> = Vec::new();
        for (u, _) in pending {
            match per_user.iter_mut().find(|(x, _)| *x == u) {
                Some((_, n)) => *n += 1,
                None => per_user.push((u, 1)),
            }
        }
        for (user_id, left) in per_user {
            let user = crate::auth::store::find_user(c, &user_id)?;
            let queued = write_tx(c, |c| {
                if !claim(c, &user.id, &ch, "judging_3d", ch.judging_deadline, now)? {
                    return Ok(false);
                }
                super::queue_for_user(
                    c,
                    &user,
                    &EmailKind::JudgingReminder {
                        challenge: ch.title.clone(),
                        left,
                        deadline: ch.judging_deadline.format("%Y-%m-%d %H:%M").to_string(),
                        url: st.url("/judging"),
                    },
                )?;
                Ok::<bool, AppError>(true)
            })?;
            sent += usize::from(queued);
        }
    }
    Ok(sent)
}
