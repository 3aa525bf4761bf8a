//! The `tribu` binary itself: help, migrate, admin create, and `serve` with
//! no configuration (SQLite under ./data) or on PostgreSQL.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, KillOnDrop};

const BIN: &str = env!("CARGO_BIN_EXE_tribu");

/// A command run in `dir` with no `TRIBU_*` variables inherited.
fn tribu(dir: &std::path::Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("TRIBU_") {
            c.env_remove(k);
        }
    }
    c
}

async fn wait_ready(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await {
            if r.status() == 200 {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[test]
fn help_everywhere() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["worker", "--help"],
        vec!["migrate", "--help"],
        vec!["admin", "create", "--help"],
    ] {
        let out = tribu(dir.path())
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn migrate_then_admin_create() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = tribu(dir.path())
        .arg("migrate")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("applied"));
    assert!(dir.path().join("data/tribu.db").exists());
    let out = tribu(dir.path())
        .arg("migrate")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));

    let out = tribu(dir.path())
        .args([
            "admin",
            "create",
            "--email",
            "root@example.org",
            "--password",
            "short",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success());
    let out = tribu(dir.path())
        .args(["admin", "create", "--email", "root@example.org"])
        .env("TRIBU_ADMIN_PASSWORD", "a long admin password")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("created platform admin root@example.org")
    );
    let out = tribu(dir.path())
        .args(["admin", "create", "--email", "root@example.org"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("promoted"));
}

#[test]
fn a_mistyped_database_url_fails_loudly() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = tribu(dir.path())
        .arg("migrate")
        .env("TRIBU_DATABASE_URL", "sqlit://data/tribu.db")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("scheme"));
    assert!(!dir.path().join("data").exists());
}

#[tokio::test]
async fn serve_with_no_configuration() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    // Only the port differs from a bare `tribu serve` (8080 may be taken here).
    let _server = KillOnDrop(
        tribu(dir.path())
            .arg("serve")
            .env("TRIBU_LISTEN", format!("127.0.0.1:{port}"))
            .env("TRIBU_LOG", "debug")
            .env("TRIBU_JWT_SECRET", "do-not-log-this-secret-0123456789")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert!(wait_ready(port).await, "tribu serve did not become ready");
    assert!(dir.path().join("data/tribu.db").exists());
    let page = reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap_or_default().contains("Tribu"));
    // Mail goes to data/outbox as .eml files.
    let r = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/register"))
        .json(&serde_json::json!({ "email": "first@example.org", "display_name": "First", "password": common::PASSWORD }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 201);
    let deadline = Instant::now() + Duration::from_secs(10);
    let outbox = dir.path().join("data/outbox");
    loop {
        let n = std::fs::read_dir(&outbox)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0);
        if n > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no .eml in data/outbox");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The secret never reaches the logs.
    let mut server = _server;
    let _ = server.0.kill();
    let out = std::mem::replace(
        &mut server.0,
        tribu(dir.path())
            .arg("--version")
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .wait_with_output()
    .unwrap_or_else(|e| panic!("{e}"));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("tribu serving"), "{log}");
    assert!(!log.contains("do-not-log-this-secret"), "secret in logs");
    assert!(!log.contains(common::PASSWORD), "password in logs");
}

#[test]
fn without_a_configured_secret_one_is_generated_and_kept() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = tribu::config::Config {
        data_dir: dir.path().join("data"),
        ..Default::default()
    };
    let a = config.signing_secret().unwrap_or_else(|e| panic!("{e}"));
    let b = config.signing_secret().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, b);
    assert!(a.expose().len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("data/secret.key"))
            .map(|m| m.permissions().mode())
            .unwrap_or(0);
        assert_eq!(mode & 0o077, 0, "secret.key readable by others");
    }
}

#[tokio::test]
async fn the_same_binary_serves_on_postgresql() {
    let Some(server_url) = common::pg_url() else {
        eprintln!("serve on PostgreSQL: skipped, needs TRIBU_TEST_DATABASE_URL");
        return;
    };
    let name = format!("tribu_t_{}", uuid::Uuid::new_v4().simple());
    let url = common::create_pg_database(&server_url, &name);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let ready = {
        let _server = KillOnDrop(
            tribu(dir.path())
                .arg("serve")
                .env("TRIBU_LISTEN", format!("127.0.0.1:{port}"))
                .env("TRIBU_DATABASE_URL", &url)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let ready = wait_ready(port).await;
        let r = reqwest::get(format!("http://127.0.0.1:{port}/"))
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        ready && r == 200
    };
    let tables = {
        use diesel::{Connection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::PgConnection::establish(&url)
            .ok()
            .and_then(|mut c| {
                diesel::sql_query("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('users', 'orgs', 'outbox')")
                    .get_result::<N>(&mut c)
                    .ok()
            })
            .map(|r| r.n)
            .unwrap_or(0)
    };
    common::drop_pg_database(&server_url, &name);
    assert!(ready, "tribu serve on PostgreSQL did not become ready");
    assert_eq!(tables, 3);
    assert!(
        !dir.path().join("data/tribu.db").exists(),
        "no SQLite file on PostgreSQL"
    );
}

#[test]
fn a_short_or_placeholder_jwt_secret_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for secret in ["too-short", "change-me-to-a-long-random-secret"] {
        let out = tribu(dir.path())
            .arg("serve")
            .env("TRIBU_LISTEN", format!("127.0.0.1:{}", free_port()))
            .env("TRIBU_JWT_SECRET", secret)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!out.status.success(), "{secret} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("jwt_secret"), "{err}");
        assert!(
            !err.contains(secret),
            "the secret itself is not printed: {err}"
        );
    }
}
