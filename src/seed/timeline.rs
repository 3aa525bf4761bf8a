//! Putting the demo's stories in time. The services stamp what they write
//! with the server's clock and refuse deadlines in the past, so the seed
//! plays every story now — finished challenges with future deadlines — and
//! keeps a [`Clock`]: before each step it notes when, in the story, that
//! step happens. [`remap`] then moves every timestamp written during a step
//! to the step's time in the story, in every table the seed writes (the
//! audit log and the ledger included), keeping the milliseconds between the
//! writes of one step so their order holds. [`schedule`] gives finished
//! challenges their past deadlines. The outbox keeps its real times: the
//! worker delivers those emails whenever it runs.

use chrono::{Duration, NaiveDateTime, Timelike};
use diesel::prelude::*;

use super::challenges::ChallengeSpec;
use super::day;
use crate::challenges::store as challenges;
use crate::db::schema;
use crate::db::{now, DbConnection};
use crate::error::AppError;

/// `n` instants spread evenly inside `[from, to]`, in order.
pub(super) fn spread(n: usize, from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDateTime> {
    let span = (to - from).num_seconds().max(0);
    (1..=n as i64)
        .map(|i| from + Duration::seconds(span * i / (n as i64 + 1)))
        .collect()
}

/// `t` moved into waking hours: its day's 24 hours squeezed into
/// 08:00–22:00, so people act in the daytime and order is kept.
pub(super) fn daytime(t: NaiveDateTime) -> NaiveDateTime {
    let midnight = t.date().and_hms_opt(0, 0, 0).unwrap_or(t);
    midnight + Duration::hours(8) + Duration::seconds((t - midnight).num_seconds() * 14 / 24)
}

/// [`spread`], for things people do: in the daytime, still inside
/// `[from, to]` and in order.
pub(super) fn spread_daytime(
    n: usize,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Vec<NaiveDateTime> {
    spread(n, from, to)
        .into_iter()
        .map(|t| daytime(t).max(from).min(to))
        .collect()
}

/// When things happen in a challenge's story.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dates {
    pub(super) opened: NaiveDateTime,
    pub(super) deadline: NaiveDateTime,
    pub(super) judging: NaiveDateTime,
    /// Activity ends here: the deadline, or an hour ago while still open.
    pub(super) active_until: NaiveDateTime,
    /// Solvers register before this; questions and entries come after.
    pub(super) middle: NaiveDateTime,
}

impl Dates {
    /// The dates the script gives a challenge.
    pub(super) fn of(spec: &ChallengeSpec) -> Dates {
        let opened = day(spec.opens, 9);
        let deadline = day(spec.deadline, 17);
        let active_until = deadline.min(now() - Duration::hours(1));
        Dates {
            opened,
            deadline,
            judging: day(spec.judging, 17),
            active_until,
            middle: opened + (active_until - opened) / 2,
        }
    }
}

/// A step of the seed: when it was played, and when the story has it.
#[derive(Debug, Clone, Copy)]
struct Mark {
    real: NaiveDateTime,
    story: NaiveDateTime,
}

/// A real instant after every write made so far: times have microseconds,
/// and a write in the same microsecond as the next step's mark would move
/// with that step.
fn fresh_now() -> NaiveDateTime {
    let before = now();
    loop {
        let t = now();
        // (`!=`, not `>`: a clock set back must not stall the seed)
        if t != before {
            return t;
        }
        std::hint::spin_loop();
    }
}

/// Notes, before each step of the seed, when that step happens in the
/// story.
#[derive(Debug)]
pub(super) struct Clock {
    marks: Vec<Mark>,
    /// Story times stay before the seed started, so no remapped time can
    /// fall inside a later pass's window and move twice.
    latest: NaiveDateTime,
}

impl Clock {
    pub(super) fn new() -> Clock {
        Clock {
            marks: Vec::new(),
            latest: now() - Duration::minutes(1),
        }
    }

    /// What the seed writes from now on happened at `story` (to the
    /// second: the milliseconds come from the real writes).
    pub(super) fn at(&mut self, story: NaiveDateTime) {
        let story = story.min(self.latest);
        self.marks.push(Mark {
            real: fresh_now(),
            story: story.with_nanosecond(0).unwrap_or(story),
        });
    }

    /// What the seed writes from now on keeps its real time (drafts).
    pub(super) fn real(&mut self) {
        let t = fresh_now();
        self.marks.push(Mark { real: t, story: t });
    }

    /// The steps played since the last call, to [`remap`].
    pub(super) fn take(&mut self) -> Moves {
        let mut marks = std::mem::take(&mut self.marks);
        marks.sort_by_key(|m| m.real);
        Moves {
            marks,
            until: now(),
        }
    }
}

/// Steps played and where they go in time.
#[derive(Debug, Clone)]
pub(super) struct Moves {
    marks: Vec<Mark>,
    until: NaiveDateTime,
}

impl Moves {
    /// Where a time written inside the window goes: its step's story time
    /// plus how long into the step it was written.
    fn map(&self, t: NaiveDateTime) -> NaiveDateTime {
        let i = self.marks.partition_point(|m| m.real <= t);
        match i.checked_sub(1).and_then(|i| self.marks.get(i)) {
            Some(m) => m.story + (t - m.real),
            None => t,
        }
    }
}

/// Moves every `$col` of `$table` written inside the window. Rows are
/// matched by the time itself: rows that share a time share its new time.
macro_rules! remap_columns {
    ($conn:expr, $moves:expr, $from:expr, $table:ident: $($col:ident),+) => {
        $({
            use schema::$table as t;
            let times: Vec<Option<NaiveDateTime>> = t::table
                .filter(t::$col.ge($from).and(t::$col.le($moves.until)))
                .select(t::$col.nullable())
                .distinct()
                .load($conn)?;
            for old in times.into_iter().flatten() {
                let new = $moves.map(old);
                if new != old {
                    diesel::update(t::table.filter(t::$col.eq(old)))
                        .set(t::$col.eq(new))
                        .execute($conn)?;
                }
            }
        })+
    };
}

/// Moves what the seed wrote during `moves` to its time in the story.
pub(super) fn remap(conn: &mut DbConnection, moves: &Moves) -> Result<(), AppError> {
    let Some(from) = moves.marks.first().map(|m| m.real) else {
        return Ok(());
    };
    // Expiry times lie in the future: they keep their distance to the
    // creation they belong to.
    {
        use schema::judges as j;
        let rows: Vec<(String, NaiveDateTime, NaiveDateTime)> = j::table
            .filter(j::created_at.ge(from).and(j::created_at.le(moves.until)))
            .select((j::id, j::created_at, j::expires_at))
            .load(conn)?;
        for (id, created, expires) in rows {
            diesel::update(j::table.find(id))
                .set(j::expires_at.eq(moves.map(created) + (expires - created)))
                .execute(conn)?;
        }
    }
    {
        use schema::team_invitations as ti;
        let rows: Vec<(String, NaiveDateTime, Option<NaiveDateTime>)> = ti::table
            .filter(ti::created_at.ge(from).and(ti::created_at.le(moves.until)))
            .select((ti::id, ti::created_at, ti::expires_at))
            .load(conn)?;
        for (id, created, expires) in rows {
            if let Some(expires) = expires {
                diesel::update(ti::table.find(id))
                    .set(ti::expires_at.eq(moves.map(created) + (expires - created)))
                    .execute(conn)?;
            }
        }
    }
    remap_columns!(conn, moves, from, users: created_at, updated_at, email_verified_at);
    remap_columns!(conn, moves, from, orgs: created_at);
    remap_columns!(conn, moves, from, org_members: created_at);
    remap_columns!(conn, moves, from, audit_log: created_at);
    remap_columns!(conn, moves, from, challenges: created_at, updated_at, published_at);
    remap_columns!(conn, moves, from, challenge_rules: created_at);
    remap_columns!(conn, moves, from, registrations: accepted_at, created_at);
    remap_columns!(conn, moves, from, questions: created_at, answered_at);
    remap_columns!(conn, moves, from, announcements: created_at);
    remap_columns!(conn, moves, from, ledger_accounts: created_at);
    remap_columns!(conn, moves, from, journal_entries: created_at);
    remap_columns!(conn, moves, from, fundings: requested_at, confirmed_at);
    remap_columns!(conn, moves, from, teams: created_at);
    remap_columns!(conn, moves, from, team_members: joined_at);
    remap_columns!(conn, moves, from, team_invitations: created_at, responded_at);
    remap_columns!(conn, moves, from, share_proposals: created_at);
    remap_columns!(conn, moves, from, share_approvals: approved_at);
    remap_columns!(
        conn, moves, from, submissions: created_at, updated_at, submitted_at, published_at
    );
    remap_columns!(conn, moves, from, revisions: created_at);
    remap_columns!(conn, moves, from, attachments: created_at);
    remap_columns!(conn, moves, from, judges: created_at, responded_at, removed_at);
    remap_columns!(conn, moves, from, rounds: created_at, opened_at, closed_at);
    remap_columns!(conn, moves, from, round_entries: revised_at);
    remap_columns!(conn, moves, from, conflicts: created_at);
    remap_columns!(conn, moves, from, assignments: created_at);
    remap_columns!(conn, moves, from, scorecards: created_at, updated_at, submitted_at);
    remap_columns!(conn, moves, from, results: published_at);
    remap_columns!(conn, moves, from, awards: created_at);
    remap_columns!(conn, moves, from, challenge_cancellations: cancelled_at);
    remap_columns!(conn, moves, from, challenge_resources: created_at);
    remap_columns!(conn, moves, from, payouts: created_at, updated_at);
    remap_columns!(conn, moves, from, refunds: created_at, updated_at);
    Ok(())
}

/// Gives a finished challenge the deadlines its story has (in the past),
/// so the clock closes it.
pub(super) fn schedule(conn: &mut DbConnection, spec: &ChallengeSpec) -> Result<(), AppError> {
    use schema::challenges as ch;
    let Some(c) = challenges::find_by_key(conn, spec.slug)? else {
        return Ok(());
    };
    let d = Dates::of(spec);
    diesel::update(ch::table.find(&c.id))
        .set((
            ch::submission_deadline.eq(d.deadline),
            ch::judging_deadline.eq(d.judging),
        ))
        .execute(conn)?;
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
        let awake = spread_daytime(5, a, b);
        assert!(awake.windows(2).all(|w| w[0] < w[1]));
        assert!(awake.iter().all(|t| (8..22).contains(&t.hour())));
    }

    #[test]
    fn daytime_keeps_the_day_and_the_order() {
        let night = day(3, 2);
        let evening = day(3, 23);
        assert_eq!(daytime(night).date(), night.date());
        assert!(daytime(night).hour() >= 8 && daytime(evening).hour() < 22);
        assert!(daytime(night) < daytime(evening));
        assert!(daytime(evening) < daytime(day(4, 0)));
    }

    #[test]
    fn steps_move_to_their_story_time_keeping_their_order() {
        let mut clock = Clock::new();
        let early = day(-30, 9);
        clock.at(early);
        let first = now();
        std::thread::sleep(std::time::Duration::from_millis(2));
        clock.at(day(-10, 9));
        let second = now();
        clock.real();
        let third = now();
        let moves = clock.take();
        let a = moves.map(first);
        assert!(a >= early && a < early + Duration::seconds(1), "{a}");
        let b = moves.map(second);
        assert!(b >= day(-10, 9) && b < day(-10, 9) + Duration::seconds(1));
        assert_eq!(moves.map(third), third, "real steps keep their time");
        // Before the first step: untouched.
        let before = first - Duration::hours(1);
        assert_eq!(moves.map(before), before);
        // Story times never reach the seed's own time.
        let mut clock = Clock::new();
        clock.at(now() + Duration::days(1));
        let m = clock.take();
        assert!(m.marks.iter().all(|m| m.story < m.real));
    }
}
