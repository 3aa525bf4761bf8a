//! Demo data (`tribu seed --demo`, `tribu serve --demo`): a small, believable
//! community built through the same services the API and the pages use, so
//! escrow, audit log, outbox and search index are exactly what real use
//! would leave behind.
//!
//! Three organisations (a water NGO, a city's mobility lab, a university
//! open-science group) run eight challenges across the life cycle: three
//! open with funded escrow, a draft with a funding request waiting for the
//! admin, one closed, one in judging, one awarded, one cancelled with its
//! escrow refunded. Eight solvers register, ask questions that the
//! organisations answer in public, and receive announcements.
//!
//! The services refuse deadlines in the past, so closed, judging and
//! awarded challenges are created with future dates, published and moved
//! through the state machine (the audit log records each transition); only
//! then are their dates — and those of their registrations, questions and
//! announcements — moved back to where that story would have put them.
//!
//! Seeding is idempotent: when the demo admin or a demo organisation exists
//! it changes nothing.

//!
//! The script is split by what it creates: [`people`], [`organisations`]
//! and [`challenges`] (with the playing of each story); [`timeline`] moves
//! finished stories back in time. The CLI and the tests use what is public
//! here.

mod challenges;
mod organisations;
mod people;
mod timeline;

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
use organisations::ORGS;
use people::PEOPLE;

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
        n += c.announcements.len();
        n += c.story.events().len();
        if c.story == Story::Cancelled {
            n += 1;
        }
    }
    // moving finished stories back in time
    (n + 1) as u64
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

    // The platform admin, through the same path as `tribu admin create`.
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

    let people = people::create(state, step).await?;
    let accounts = organisations::create(state, &people, step).await?;

    for spec in CHALLENGES {
        challenges::play(state, spec, &admin, &people, step).await?;
    }

    // Put finished stories where they belong in time.
    state
        .tx(|c| {
            for spec in CHALLENGES {
                timeline::backdate(c, spec)?;
            }
            Ok(())
        })
        .await
        .map_err(|e| failed("setting the demo timeline", e))?;
    step("timeline");

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
