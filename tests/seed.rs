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
    // cancelled one was refunded in full.
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
            _ => assert!(flows.balance() >= c.prize_total, "{} escrow", c.slug),
        }
    }
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
}
