//! `tribu seed --demo` and `tribu serve --demo`, run as the real binary with
//! no configuration (SQLite under ./data), or on a fresh PostgreSQL database
//! when `TRIBU_TEST_DATABASE_URL` is set.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, KillOnDrop};
use diesel::prelude::*;
use tribu::challenges::model::State;
use tribu::db::schema;

const BIN: &str = env!("CARGO_BIN_EXE_tribu");

/// A command run in `dir` with no `TRIBU_*` variables inherited.
fn tribu(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("TRIBU_") {
            c.env_remove(k);
        }
    }
    c
}

/// The database a test runs against: SQLite in the temp folder (the
/// default `tribu` picks with no configuration), or a fresh PostgreSQL
/// database dropped at the end.
struct Db {
    url: String,
    /// `TRIBU_DATABASE_URL` to pass (`None`: the SQLite default).
    env: Option<String>,
    pg: Option<(String, String)>,
}

impl Db {
    fn new(dir: &Path) -> Db {
        match common::pg_url() {
            Some(server) => {
                let name = format!("tribu_t_{}", uuid::Uuid::new_v4().simple());
                let url = common::create_pg_database(&server, &name);
                Db {
                    url: url.clone(),
                    env: Some(url),
                    pg: Some((server, name)),
                }
            }
            None => Db {
                url: format!("sqlite://{}", dir.join("data/tribu.db").display()),
                env: None,
                pg: None,
            },
        }
    }

    fn command(&self, dir: &Path) -> Command {
        let mut c = tribu(dir);
        if let Some(url) = &self.env {
            c.env("TRIBU_DATABASE_URL", url);
        }
        c
    }

    fn conn(&self) -> tribu::db::PooledConn {
        let pool = tribu::db::connect(&self.url, 1).unwrap_or_else(|e| panic!("connect: {e}"));
        pool.get().unwrap_or_else(|e| panic!("connection: {e}"))
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.pg {
            common::drop_pg_database(server, name);
        }
    }
}

fn run(cmd: &mut Command) -> (String, Output) {
    let out = cmd.output().unwrap_or_else(|e| panic!("run tribu: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "tribu failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (stdout, out)
}

/// Everything the seed writes, counted.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    users: i64,
    orgs: i64,
    members: i64,
    challenges: i64,
    registrations: i64,
    questions: i64,
    answered_public: i64,
    announcements: i64,
    fundings: i64,
    journal_entries: i64,
    journal_lines: i64,
    audit: i64,
}

fn counts(conn: &mut tribu::db::DbConnection) -> Counts {
    fn n<T>(r: QueryResult<T>) -> T {
        r.unwrap_or_else(|e| panic!("count: {e}"))
    }
    Counts {
        users: n(schema::users::table.count().get_result(conn)),
        orgs: n(schema::orgs::table.count().get_result(conn)),
        members: n(schema::org_members::table.count().get_result(conn)),
        challenges: n(schema::challenges::table.count().get_result(conn)),
        registrations: n(schema::registrations::table.count().get_result(conn)),
        questions: n(schema::questions::table.count().get_result(conn)),
        answered_public: n(schema::questions::table
            .filter(schema::questions::is_public.eq(true))
            .filter(schema::questions::answer.is_not_null())
            .count()
            .get_result(conn)),
        announcements: n(schema::announcements::table.count().get_result(conn)),
        fundings: n(schema::fundings::table.count().get_result(conn)),
        journal_entries: n(schema::journal_entries::table.count().get_result(conn)),
        journal_lines: n(schema::journal_lines::table.count().get_result(conn)),
        audit: n(schema::audit_log::table.count().get_result(conn)),
    }
}

#[test]
fn seed_demo_builds_a_community_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::new(dir.path());

    let (first, _) = run(db.command(dir.path()).args(["seed", "--demo"]));
    assert!(
        first.contains(tribu::seed::DEMO_ADMIN_EMAIL),
        "admin email printed:\n{first}"
    );
    assert!(
        first.contains(tribu::seed::DEMO_PASSWORD),
        "password printed:\n{first}"
    );
    assert!(tribu::seed::DEMO_PASSWORD.chars().count() >= 12);

    let mut conn = db.conn();
    let before = counts(&mut conn);
    assert_eq!(before.orgs, 3, "{before:?}");
    assert_eq!(before.challenges, 8, "{before:?}");
    assert!(before.users >= 12, "{before:?}");
    assert!(before.registrations >= 8, "{before:?}");
    assert!(before.answered_public >= 6, "{before:?}");
    assert!(before.announcements >= 2, "{before:?}");

    // Every state of the story, three open challenges.
    let all: Vec<tribu::challenges::store::Challenge> = schema::challenges::table
        .select(tribu::challenges::store::Challenge::as_select())
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    let states: BTreeSet<&str> = all.iter().map(|c| c.state.as_str()).collect();
    for s in ["draft", "open", "closed", "judging", "awarded", "cancelled"] {
        assert!(states.contains(s), "no {s} challenge: {states:?}");
    }
    let now = tribu::db::now();
    assert!(
        all.iter()
            .filter(|c| c.state_at(now) == State::Open)
            .count()
            >= 3
    );

    // Money: every entry balanced, open escrows hold their pool, the
    // cancelled one was refunded in full, the awarded one paid its winners
    // and refunded the rest.
    let bad = tribu::money::store::unbalanced_entries(&mut conn).unwrap_or_else(|e| panic!("{e}"));
    assert!(bad.is_empty(), "unbalanced entries {bad:?}");
    for c in &all {
        let flows =
            tribu::challenges::service::flows(&mut conn, c).unwrap_or_else(|e| panic!("{e}"));
        match c.stored_state() {
            State::Draft => assert_eq!(flows.balance(), 0, "{}", c.slug),
            State::Cancelled => {
                assert_eq!(flows.balance(), 0, "{}", c.slug);
                assert_eq!(flows.refunded, c.prize_total, "{} refunded", c.slug);
            }
            State::Awarded => {
                assert_eq!(flows.balance(), 0, "{} escrow emptied", c.slug);
                assert_eq!(
                    flows.funded,
                    flows.awarded + flows.refunded,
                    "{} funded = awarded + refunded: {flows:?}",
                    c.slug
                );
                assert!(flows.awarded > 0 && flows.refunded > 0, "{flows:?}");
            }
            _ => assert!(flows.balance() >= c.prize_total, "{} escrow", c.slug),
        }
    }
    judging_is_real(&mut conn, &all, &first);
    // The audit log tells the story of the state changes.
    let transitions: i64 = schema::audit_log::table
        .filter(schema::audit_log::action.eq("challenge.transition"))
        .count()
        .get_result(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        transitions >= 7 + 6,
        "publications plus close/judge/award/cancel: {transitions}"
    );
    drop(conn);

    let (second, _) = run(db.command(dir.path()).args(["seed", "--demo"]));
    assert!(second.contains("already present"), "second run:\n{second}");
    let after = counts(&mut db.conn());
    assert_eq!(before, after, "the second run changed the database");
}

fn count(r: QueryResult<i64>) -> i64 {
    r.unwrap_or_else(|e| panic!("count: {e}"))
}

/// The finished stories as the database has them: entries, rounds,
/// scorecards, results and award entries written by the real services;
/// the judge of the open round among the accounts the CLI printed.
fn judging_is_real(
    conn: &mut tribu::db::DbConnection,
    all: &[tribu::challenges::store::Challenge],
    printed: &str,
) {
    use schema::{
        awards, journal_entries, judges, org_members, results, revisions, round_entries, rounds,
        scorecards, submissions, users,
    };
    let of = |s: State| -> Vec<&tribu::challenges::store::Challenge> {
        all.iter().filter(|c| c.stored_state() == s).collect()
    };
    let entries = |conn: &mut tribu::db::DbConnection, id: &str| {
        count(
            submissions::table
                .filter(submissions::challenge_id.eq(id))
                .filter(submissions::state.eq("submitted"))
                .count()
                .get_result(conn),
        )
    };
    let rounds_of = |conn: &mut tribu::db::DbConnection, id: &str| -> Vec<(String, String)> {
        rounds::table
            .filter(rounds::challenge_id.eq(id))
            .select((rounds::id, rounds::state))
            .load(conn)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let cards = |conn: &mut tribu::db::DbConnection, round: &str, state: &str| {
        count(
            scorecards::table
                .filter(scorecards::round_id.eq(round))
                .filter(scorecards::state.eq(state))
                .count()
                .get_result(conn),
        )
    };

    // The closed challenge has entries and no round yet.
    for c in of(State::Closed) {
        assert!(entries(conn, &c.id) >= 3, "{} entries", c.slug);
        assert!(rounds_of(conn, &c.id).is_empty(), "{} rounds", c.slug);
    }

    // The awarded challenge: a closed round, every card submitted, results
    // published, prizes posted as award entries, the rest as a refund.
    let awarded = of(State::Awarded);
    assert!(!awarded.is_empty());
    for c in awarded {
        assert!(entries(conn, &c.id) >= 3, "{} entries", c.slug);
        let rs = rounds_of(conn, &c.id);
        assert!(
            !rs.is_empty() && rs.iter().all(|(_, s)| s == "closed"),
            "{rs:?}"
        );
        for (r, _) in &rs {
            assert!(cards(conn, r, "submitted") >= 3, "{} scorecards", c.slug);
            assert_eq!(cards(conn, r, "draft"), 0, "{} drafts", c.slug);
        }
        let published: i64 = count(
            results::table
                .filter(results::challenge_id.eq(&c.id))
                .count()
                .get_result(conn),
        );
        assert_eq!(published, 1, "{} results", c.slug);
        let prizes = count(
            awards::table
                .filter(awards::challenge_id.eq(&c.id))
                .count()
                .get_result(conn),
        );
        assert!(prizes >= 1, "{} awards", c.slug);
        for (kind, n) in [("award", prizes), ("refund", 1)] {
            let posted = count(
                journal_entries::table
                    .filter(journal_entries::challenge_id.eq(&c.id))
                    .filter(journal_entries::kind.eq(kind))
                    .count()
                    .get_result(conn),
            );
            assert_eq!(posted, n, "{} {kind} entries", c.slug);
        }
        // Results came after the deadline, and before the judging one.
        let at: chrono::NaiveDateTime = results::table
            .find(&c.id)
            .select(results::published_at)
            .first(conn)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            c.submission_deadline < at && at <= c.judging_deadline,
            "{at}"
        );
    }

    // The judging challenge: an open round, partly scored, and a judge
    // whose account the CLI listed; judges belong to no organisation.
    let judging = of(State::Judging);
    assert!(!judging.is_empty());
    for c in judging {
        assert!(entries(conn, &c.id) >= 3, "{} entries", c.slug);
        let rs = rounds_of(conn, &c.id);
        let open: Vec<&String> = rs
            .iter()
            .filter(|(_, s)| s == "open")
            .map(|(r, _)| r)
            .collect();
        assert_eq!(open.len(), 1, "{} open rounds: {rs:?}", c.slug);
        assert!(cards(conn, open[0], "submitted") >= 1, "{} scored", c.slug);
        let assigned = count(
            schema::assignments::table
                .filter(schema::assignments::round_id.eq(open[0]))
                .count()
                .get_result(conn),
        );
        assert!(
            cards(conn, open[0], "submitted") < assigned,
            "{} partly",
            c.slug
        );
        let panel: Vec<(String, String)> = judges::table
            .inner_join(users::table.on(judges::user_id.eq(users::id.nullable())))
            .filter(judges::challenge_id.eq(&c.id))
            .filter(judges::status.eq("active"))
            .select((users::id, users::email))
            .load(conn)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!panel.is_empty(), "{} panel", c.slug);
        let line = format!("judge of {}", c.title);
        assert!(
            panel.iter().any(|(_, email)| printed
                .lines()
                .any(|l| l.contains(email) && l.contains(&line))),
            "no judge of {} listed:\n{printed}",
            c.slug
        );
        for (id, email) in &panel {
            let memberships = count(
                org_members::table
                    .filter(org_members::user_id.eq(id))
                    .count()
                    .get_result(conn),
            );
            assert_eq!(
                memberships, 0,
                "{email} judges and belongs to an organisation"
            );
        }
    }

    // Every judged entry is the revision in force at the deadline.
    let judged: Vec<(String, i32, chrono::NaiveDateTime, chrono::NaiveDateTime)> =
        round_entries::table
            .inner_join(rounds::table)
            .inner_join(
                schema::challenges::table.on(rounds::challenge_id.eq(schema::challenges::id)),
            )
            .select((
                round_entries::submission_id,
                round_entries::revision,
                round_entries::revised_at,
                schema::challenges::submission_deadline,
            ))
            .load(conn)
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(!judged.is_empty());
    for (sub, n, revised, deadline) in judged {
        assert!(revised < deadline, "{sub}: revised after the deadline");
        let last: Option<i32> = revisions::table
            .filter(revisions::submission_id.eq(&sub))
            .filter(revisions::created_at.lt(deadline))
            .select(diesel::dsl::max(revisions::number))
            .first(conn)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(last, Some(n), "{sub}: judged revision");
    }
}

#[test]
fn seed_without_demo_explains_itself() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = tribu(dir.path())
        .arg("seed")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demo"));
}

#[tokio::test]
async fn serve_demo_fills_an_empty_database_then_serves() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::new(dir.path());
    let port = free_port();
    let _server = KillOnDrop(
        db.command(dir.path())
            .args(["serve", "--demo"])
            .env("TRIBU_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let feed = loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/feeds/challenges.atom")).await
        {
            if r.status() == 200 {
                break r.text().await.unwrap_or_default();
            }
        }
        assert!(
            Instant::now() < deadline,
            "tribu serve --demo did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Seeding happens before listening, so the feed already has the demo.
    assert!(feed.contains("/challenges/arsenic-test-strips"), "{feed}");
    assert_eq!(counts(&mut db.conn()).challenges, 8);
    // The awarded challenge's results and its solutions are public.
    let get = |path: &str| reqwest::get(format!("http://127.0.0.1:{port}{path}"));
    let results = get("/challenges/rainwater-harvesting-kits/results")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(results.status(), 200);
    let page = results.text().await.unwrap_or_default();
    assert!(page.contains("FlushBox"), "{page}");
    let gallery = get("/solutions").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(gallery.status(), 200);
    let page = gallery.text().await.unwrap_or_default();
    assert!(page.contains("Folding liner tank"), "{page}");
}
