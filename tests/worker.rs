//! The outbox worker (issue 12): several workers never send the same
//! message; a worker killed mid-send and started again loses none, with
//! duplicates bounded by one batch in flight, each message keeping its
//! Message-ID; SIGTERM lets the sends in flight finish.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tribu::config::{Config, Secret};
use tribu::notify::mail::Outgoing;

/// A database of its own (SQLite file, or a fresh PostgreSQL database) and
/// the configuration of a worker on it writing mail to files.
fn setup(dir: &Path) -> (Config, Option<(String, String)>) {
    let (url, pg) = match common::pg_url() {
        Some(server) => {
            let name = format!("tribu_w_{}", uuid::Uuid::new_v4().simple());
            (
                common::create_pg_database(&server, &name),
                Some((server, name)),
            )
        }
        None => (format!("sqlite://{}", dir.join("tribu.db").display()), None),
    };
    let config = Config {
        database_url: Secret::new(url),
        data_dir: dir.join("data"),
        base_url: Some("http://127.0.0.1:9".into()),
        worker_poll_ms: 50,
        outbox_lease_secs: 2,
        db_pool_size: 4,
        log: "warn".into(),
        ..Config::default()
    };
    (config, pg)
}

/// Queues `n` messages; returns their outbox ids.
fn queue(state: &tribu::state::AppState, n: usize) -> Vec<String> {
    let mut conn = state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    let mut ids = Vec::new();
    tribu::db::write_tx(&mut conn, |c| {
        for i in 0..n {
            let mail = Outgoing {
                kind: "announcement",
                to: format!("reader{}@solvers.org", i % 50),
                subject: format!("Message {i}"),
                text: format!("Body {i}"),
                html: format!("<p>Body {i}</p>"),
                summary: String::new(),
                url: None,
            };
            ids.push(tribu::notify::store::enqueue(
                c,
                &mail,
                None,
                tribu::db::now(),
            )?);
        }
        Ok::<(), diesel::result::Error>(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    ids
}

/// How many files in the mail folder carry each Message-ID's outbox id.
fn sent_ids(dir: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for p in common::fixtures::files_under(dir) {
        let Ok(raw) = std::fs::read_to_string(&p) else {
            continue;
        };
        let id = raw
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: <"))
            .and_then(|v| v.split('@').next())
            .unwrap_or_default()
            .to_owned();
        *out.entry(id).or_insert(0) += 1;
    }
    out
}

fn pending(state: &tribu::state::AppState) -> i64 {
    use diesel::prelude::*;
    let mut conn = state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    tribu::db::schema::outbox::table
        .filter(tribu::db::schema::outbox::status.eq("pending"))
        .count()
        .get_result(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn two_workers_send_each_of_a_thousand_messages_exactly_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (config, pg) = setup(dir.path());
    let state = tribu::app::build_state(config.clone()).unwrap_or_else(|e| panic!("{e:#}"));
    let ids = queue(&state, 1000);
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let w = tribu::app::worker(&state).unwrap_or_else(|e| panic!("{e:#}"));
            std::thread::spawn(move || {
                let mut sent = 0;
                loop {
                    match w.run_once() {
                        Ok(0) => break,
                        Ok(n) => sent += n,
                        Err(e) => panic!("{e}"),
                    }
                }
                sent
            })
        })
        .collect();
    let counts: Vec<usize> = workers
        .into_iter()
        .map(|h| h.join().unwrap_or_else(|_| panic!("worker thread")))
        .collect();
    assert_eq!(counts.iter().sum::<usize>(), 1000, "{counts:?}");
    let sent = sent_ids(&config.mail_dir());
    for id in &ids {
        assert_eq!(sent.get(id), Some(&1), "{id} sent once");
    }
    assert_eq!(sent.len(), 1000);
    if let Some((server, name)) = pg {
        drop(state);
        common::drop_pg_database(&server, &name);
    }
}

/// Starts `tribu worker` on `config`'s database.
fn spawn_worker(config: &Config) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tribu"))
        .arg("worker")
        .env("TRIBU_DATABASE_URL", config.database_url.expose())
        .env("TRIBU_DATA_DIR", &config.data_dir)
        .env("TRIBU_BASE_URL", "http://127.0.0.1:9")
        .env("TRIBU_MAIL_TRANSPORT", "file")
        .env("TRIBU_WORKER_POLL_MS", "50")
        .env("TRIBU_OUTBOX_LEASE_SECS", "2")
        .env("TRIBU_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("tribu worker: {e}"))
}

fn wait_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_worker_killed_mid_send_and_started_again_loses_no_message() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (config, pg) = setup(dir.path());
    let state = tribu::app::build_state(config.clone()).unwrap_or_else(|e| panic!("{e:#}"));
    let ids = queue(&state, 3000);
    let mail = config.mail_dir();

    let mut first = spawn_worker(&config);
    wait_until("the first sends", 60, || {
        sent_ids(&mail).values().sum::<usize>() >= 100
    });
    // SIGKILL: no chance to finish anything.
    first.kill().unwrap_or_else(|e| panic!("{e}"));
    let _ = first.wait();
    let at_kill = sent_ids(&mail).values().sum::<usize>();
    assert!(at_kill < 3000, "the kill came too late to test anything");

    let mut second = spawn_worker(&config);
    wait_until("every message", 120, || pending(&state) == 0);
    // SIGTERM: it finishes the pass in flight and exits by itself.
    let pid = second.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if second.try_wait().ok().flatten().is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let sent = sent_ids(&mail);
    for id in &ids {
        assert!(sent.get(id).is_some_and(|n| *n >= 1), "{id} was lost");
    }
    // At most the batch in flight at the kill (20) is sent twice, each
    // copy with the same Message-ID.
    let duplicates: usize = sent.values().map(|n| n - 1).sum();
    assert!(duplicates <= 20, "{duplicates} duplicates");
    if let Some((server, name)) = pg {
        drop(state);
        common::drop_pg_database(&server, &name);
    }
}
