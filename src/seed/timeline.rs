//! Moving finished stories back in time. The services refuse deadlines in
//! the past, so closed, judging and awarded challenges are played with
//! future dates; once played, their dates and those of their registrations,
//! questions and announcements move to where the story puts them.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::challenges::{ChallengeSpec, Story};
use super::day;
use crate::challenges::store as challenges;
use crate::db::schema;
use crate::db::{now, DbConnection};
use crate::error::AppError;

/// `n` instants spread evenly inside `[from, to]`, in order.
fn spread(n: usize, from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDateTime> {
    let span = (to - from).num_seconds().max(0);
    (1..=n as i64)
        .map(|i| from + Duration::seconds(span * i / (n as i64 + 1)))
        .collect()
}

/// Moves a played challenge's dates to where its story puts them: opened
/// `opens` days ago, deadlines as scripted, and its registrations,
/// questions and announcements spread over the time it was open. Drafts and
/// the audit log keep their real times.
pub(super) fn backdate(conn: &mut DbConnection, spec: &ChallengeSpec) -> Result<(), AppError> {
    use schema::{announcements, challenges as ch, questions, registrations};
    if spec.story == Story::Draft {
        return Ok(());
    }
    let Some(c) = challenges::find_by_key(conn, spec.slug)? else {
        return Ok(());
    };
    let today = now();
    let opened = day(spec.opens, 9);
    let deadline = day(spec.deadline, 17);
    let judging = day(spec.judging, 17);
    // Activity happens while submissions are open (and before now).
    let active_until = deadline.min(today - Duration::hours(1));
    let updated = match spec.story {
        Story::Closed => deadline,
        Story::Judging => deadline + Duration::days(1),
        Story::Awarded => judging,
        Story::Cancelled => c.updated_at,
        Story::Draft | Story::Open => opened,
    };
    diesel::update(ch::table.find(&c.id))
        .set((
            ch::created_at.eq(opened - Duration::days(3)),
            ch::published_at.eq(Some(opened)),
            ch::opens_at.eq(Some(opened)),
            ch::submission_deadline.eq(deadline),
            ch::judging_deadline.eq(judging),
            ch::updated_at.eq(updated),
        ))
        .execute(conn)?;

    // Registrations in the first half of the open period, questions after.
    let middle = opened + (active_until - opened) / 2;
    let regs: Vec<String> = registrations::table
        .filter(registrations::challenge_id.eq(&c.id))
        .order(registrations::created_at.asc())
        .select(registrations::id)
        .load(conn)?;
    for (id, t) in regs.iter().zip(spread(regs.len(), opened, middle)) {
        diesel::update(registrations::table.find(id))
            .set((
                registrations::created_at.eq(t),
                registrations::accepted_at.eq(t),
            ))
            .execute(conn)?;
    }
    let qs: Vec<(String, Option<NaiveDateTime>)> = questions::table
        .filter(questions::challenge_id.eq(&c.id))
        .order(questions::created_at.asc())
        .select((questions::id, questions::answered_at))
        .load(conn)?;
    for ((id, answered), t) in qs.iter().zip(spread(qs.len(), middle, active_until)) {
        let answered_at = answered.map(|_| (t + Duration::hours(20)).min(today));
        diesel::update(questions::table.find(id))
            .set((
                questions::created_at.eq(t),
                questions::answered_at.eq(answered_at),
            ))
            .execute(conn)?;
    }
    // Announcements: a winners' note after judging, others mid-way.
    let notes: Vec<String> = announcements::table
        .filter(announcements::challenge_id.eq(&c.id))
        .order(announcements::created_at.asc())
        .select(announcements::id)
        .load(conn)?;
    for id in &notes {
        let t = match spec.story {
            Story::Awarded => judging + Duration::days(1),
            Story::Cancelled => c.updated_at,
            _ => middle,
        };
        diesel::update(announcements::table.find(id))
            .set(announcements::created_at.eq(t.min(today)))
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_stays_inside_and_in_order() {
        let a = day(0, 0);
        let b = day(10, 0);
        let ts = spread(4, a, b);
        assert_eq!(ts.len(), 4);
        assert!(ts.windows(2).all(|w| w[0] < w[1]));
        assert!(ts.iter().all(|t| *t > a && *t < b));
        assert!(spread(3, b, a).iter().all(|t| *t == b));
    }
}
