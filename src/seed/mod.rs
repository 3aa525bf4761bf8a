//! Demo data (`tribu seed --demo`, `tribu serve --demo`): a small, believable
//! community built through the same services the API and the pages use, so
//! escrow, ledger, audit log, outbox and search index are exactly what real
//! use would leave behind.
//!
//! Three organisations (a water NGO, a city's mobility lab, a university
//! open-science group) run eight challenges across the life cycle: three
//! open with funded escrow, a draft with a funding request waiting for the
//! admin, one closed, one in judging, one awarded, one cancelled with its
//! escrow refunded. Eight solvers register, ask questions that the
//! organisations answer in public, and receive announcements.
//!
//! The closed, judging and awarded challenges have entries from the
//! solvers — some by teams of two or three who agreed their prize shares,
//! some revised before the deadline, some opted in to the gallery. The
//! closed challenge stops there: no round yet. The others are judged by
//! panels of outside experts (demo accounts listed as "judge of …",
//! members of no organisation): the judging challenge has an open round
//! with some scorecards submitted, one in draft and one not started; the
//! awarded challenge's round is closed with every scorecard submitted, and
//! its results are published with the leaderboard mapped onto its tiers
//! (one withheld), so escrow went to the winners' payables and the rest
//! back to the organisation, and winners and opted-in entries are in the
//! solutions gallery.
//!
//! The services stamp writes with the server's clock and refuse deadlines
//! in the past, so every story is played now, finished ones with future
//! deadlines, while a clock notes when each step happens in the story
//! ([`timeline`]). Once the entries are in, what was written moves to its
//! story time (the audit log and the ledger included) and the finished
//! challenges get their past deadlines; the worker's own closing job then
//! closes them, judging is played through the judging services — the
//! first round's opening moves a challenge `closed → judging`, publishing
//! results `judging → awarded` — and its writes move back in time too. A
//! draft keeps its real times; so does the outbox.
//!
//! Seeding is idempotent: when the demo admin or a demo organisation exists
//! it changes nothing.
//!
//! The script is split by what it creates: [`people`], [`organisations`],
//! [`challenges`] (each story's setup), [`entries`] and [`judging`];
//! [`timeline`] puts it all in time. The CLI and the tests use what is
//! public here.

mod challenges;
mod entries;
mod files;
mod judging;
mod organisations;
mod people;
mod timeline;

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::principal::{AuthUser, Principal};
use crate::auth::store::{self as users, User};
use crate::db::schema;
use crate::db::{now, DbConnection};
use crate::error::AppError;
use crate::orgs::store as orgs;
use crate::state::AppState;
use challenges::{Story, CHALLENGES};
use judging::JUDGING;
use organisations::ORGS;
use people::PEOPLE;
use timeline::Clock;

/// The password of every demo account (printed by the CLI).
pub const DEMO_PASSWORD: &str = "tribu-demo-2026";

/// The demo platform admin.
pub const DEMO_ADMIN_EMAIL: &str = "admin@tribu.example";

const DEMO_ADMIN_NAME: &str = "Tribu Admin";

/// A demo account as the CLI lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub email: String,
    pub name: String,
    /// What the account is for, e.g. "owner of AquaCommons" or "solver".
    pub role: String,
}

/// What a demo seed created.
#[derive(Debug, Clone)]
pub struct Report {
    pub admin_email: String,
    pub password: String,
    /// Every demo account but the admin, organisation people first.
    pub accounts: Vec<Account>,
    pub orgs: usize,
    pub challenges: usize,
}

/// What [`demo`] did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The data was created.
    Seeded(Report),
    /// Demo data was already there; nothing changed.
    AlreadyPresent,
}

/// Moves what the seed wrote since the last call to its time in the story.
async fn move_back(
    state: &AppState,
    clock: &mut Clock,
    step: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<()> {
    let moves = clock.take();
    state
        .tx(move |c| timeline::remap(c, &moves))
        .await
        .map_err(|e| failed("setting the demo timeline", e))?;
    step("timeline");
    Ok(())
}

/// Midnight UTC today plus `days`, at `hour`:00.
fn day(days: i64, hour: u32) -> NaiveDateTime {
    let midnight = now().date().and_hms_opt(0, 0, 0).unwrap_or_else(now);
    midnight + Duration::days(days) + Duration::hours(i64::from(hour))
}

/// Whole units of `currency` in minor units (EUR 25 → 2500).
fn minor_units(currency: &str, whole: i64) -> i64 {
    let digits = crate::money::model::Currency::parse("currency", currency)
        .map(|c| c.minor_units())
        .unwrap_or(2);
    whole * 10i64.pow(digits)
}

/// An error with what was being done and, for validation, which fields.
fn failed(what: &str, e: AppError) -> anyhow::Error {
    match &e {
        AppError::Validation(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            anyhow::anyhow!("{what}: {}", fields.join("; "))
        }
        _ => anyhow::anyhow!("{what}: {e}"),
    }
}

/// A caller acting as `user` (services take the same principal as requests).
fn as_user(user: &User) -> Principal {
    Principal::User(AuthUser {
        user: user.clone(),
        session_id: String::new(),
    })
}

/// Whether the database has any account (`serve --demo` seeds only when not).
pub fn has_users(conn: &mut DbConnection) -> QueryResult<bool> {
    let n: i64 = schema::users::table.count().get_result(conn)?;
    Ok(n > 0)
}

/// Whether demo data is there already: the demo admin or a demo organisation.
pub fn already_present(conn: &mut DbConnection) -> QueryResult<bool> {
    if users::find_user_by_email(conn, DEMO_ADMIN_EMAIL)?.is_some() {
        return Ok(true);
    }
    for o in ORGS {
        if orgs::find_by_slug(conn, o.slug)?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// How many steps [`demo`] reports, for a progress bar.
pub fn total_steps() -> u64 {
    let mut n = 1 + PEOPLE.len() + ORGS.len() * 2;
    for c in CHALLENGES {
        // create, ask for funding; then confirm and publish unless a draft
        n += 2;
        if c.story != Story::Draft {
            n += 2;
        }
        n += c.registrants.len();
        n += c
            .questions
            .iter()
            .map(|q| 1 + usize::from(q.answer.is_some()))
            .sum::<usize>();
        if c.story != Story::Awarded {
            // (an awarded story's announcements come with its judging)
            n += c.announcements.len();
        }
        if c.story == Story::Cancelled {
            n += 1;
        }
        if c.story.finished() {
            // its entries, and the clock closing it
            n += entries::steps(c.slug) + 1;
        }
    }
    n += JUDGING.iter().map(judging::steps).sum::<usize>();
    // the two moves back in time
    (n + 2) as u64
}

// ---- the seed ----

/// Seeds the demo community unless it is there already. `step` is called
/// once per created thing with a short description (for a progress bar).
pub async fn demo(state: &AppState, step: &(dyn Fn(&str) + Sync)) -> anyhow::Result<Outcome> {
    if state
        .db(|c| Ok(already_present(c)?))
        .await
        .map_err(|e| failed("checking for demo data", e))?
    {
        return Ok(Outcome::AlreadyPresent);
    }

    let mut clock = Clock::new();
    // The platform admin, through the same path as `tribu admin create`.
    clock.at(day(-210, 9));
    let admin = state
        .db(|c| {
            crate::auth::service::create_admin(
                c,
                DEMO_ADMIN_EMAIL,
                DEMO_ADMIN_NAME,
                Some(DEMO_PASSWORD),
            )
        })
        .await
        .map_err(|e| failed("creating the demo admin", e))?
        .0;
    step(DEMO_ADMIN_EMAIL);

    let people = people::create(state, &mut clock, step).await?;
    let accounts = organisations::create(state, &people, &mut clock, step).await?;

    for spec in CHALLENGES {
        challenges::play(state, spec, &admin, &people, &mut clock, step).await?;
    }
    // Entries while the finished challenges are still open; the panel and
    // the rubric before their deadlines.
    let mut ids = HashMap::new();
    for spec in CHALLENGES.iter().filter(|c| c.story.finished()) {
        entries::submit(state, spec, &people, &mut clock, step, &mut ids).await?;
    }
    let mut rounds = Vec::new();
    for j in JUDGING {
        rounds.push(judging::prepare(state, j, &people, &mut clock, step).await?);
    }

    // Everything so far moves to its time in the story: revisions land
    // before the deadlines they are judged against.
    move_back(state, &mut clock, step).await?;

    // The deadlines pass: the worker's closing job closes each challenge.
    for spec in CHALLENGES.iter().filter(|c| c.story.finished()) {
        state
            .tx(move |c| timeline::schedule(c, spec))
            .await
            .map_err(|e| failed(&format!("scheduling {}", spec.slug), e))?;
        clock.at(timeline::Dates::of(spec).deadline);
        let closed = state
            .db(crate::challenges::service::close_due)
            .await
            .map_err(|e| failed(&format!("closing {}", spec.slug), e))?;
        anyhow::ensure!(
            closed == 1,
            "closing {}: {closed} challenges closed",
            spec.slug
        );
        step("closed");
    }
    for (j, round) in JUDGING.iter().zip(&rounds) {
        judging::run(state, j, round, &ids, &people, &mut clock, step).await?;
    }
    move_back(state, &mut clock, step).await?;

    Ok(Outcome::Seeded(Report {
        admin_email: DEMO_ADMIN_EMAIL.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
        accounts,
        orgs: ORGS.len(),
        challenges: CHALLENGES.len(),
    }))
}

#[cfg(test)]
mod tests {
    use super::people::Person;
    use super::*;
    use crate::challenges::model::{check_tiers, parse_licences, TierInput, CATEGORIES};
    use crate::orgs::model::Slug;

    fn person(key: &str) -> Option<&'static Person> {
        PEOPLE.iter().find(|p| p.key == key)
    }

    #[test]
    fn the_script_is_valid_and_covers_every_state() {
        assert!(DEMO_PASSWORD.chars().count() >= 12);
        for s in [
            Story::Draft,
            Story::Open,
            Story::Closed,
            Story::Judging,
            Story::Awarded,
            Story::Cancelled,
        ] {
            assert!(CHALLENGES.iter().any(|c| c.story == s), "{s:?}");
        }
        assert!(CHALLENGES.iter().filter(|c| c.story == Story::Open).count() >= 3);
        for c in CHALLENGES {
            assert!(ORGS.iter().any(|o| o.slug == c.org), "{}", c.slug);
            assert!(CATEGORIES.contains(&c.category), "{}", c.category);
            assert!(Slug::parse("slug", c.slug).is_ok(), "{}", c.slug);
            let tiers: Vec<TierInput> = c
                .tiers
                .iter()
                .enumerate()
                .map(|(i, (l, a))| TierInput {
                    rank: i as i32 + 1,
                    label: (*l).into(),
                    amount: minor_units(c.currency, *a),
                })
                .collect();
            assert!(check_tiers("t", &tiers).is_ok(), "{}", c.slug);
            let licences: Vec<String> = c.licences.iter().map(|l| (*l).into()).collect();
            assert!(parse_licences("l", &licences).is_ok(), "{}", c.slug);
            assert!(
                c.summary.chars().count() <= 300 && c.title.chars().count() <= 140,
                "{}",
                c.slug
            );
            assert!(c.opens < c.deadline && c.deadline < c.judging, "{}", c.slug);
            // Finished stories have passed deadlines; the rest have future ones.
            let finished = matches!(c.story, Story::Closed | Story::Judging | Story::Awarded);
            assert_eq!(finished, c.deadline <= 0, "{}", c.slug);
            for k in c
                .registrants
                .iter()
                .chain(c.questions.iter().map(|q| &q.asker))
            {
                assert!(person(k).is_some(), "{k}");
            }
            for q in c.questions {
                assert!(
                    c.registrants.contains(&q.asker),
                    "{} must register to ask",
                    q.asker
                );
            }
        }
        let answered: usize = CHALLENGES
            .iter()
            .map(|c| {
                c.questions
                    .iter()
                    .filter(|q| q.public && q.answer.is_some())
                    .count()
            })
            .sum();
        assert!(answered >= 6);
        assert!(
            CHALLENGES
                .iter()
                .map(|c| c.announcements.len())
                .sum::<usize>()
                >= 2
        );
        for o in ORGS {
            assert!(person(o.owner).is_some() && person(o.admin).is_some());
        }
    }
}
