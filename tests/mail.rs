//! Mail delivery: the SMTP transport against a real SMTP server on
//! 127.0.0.1 (Python's aiosmtpd), and retries with backoff when the relay is
//! down.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, require_all, KillOnDrop, TestApp, PASSWORD};
use serde_json::json;
use tribu::config::{MailTransport, Secret};

/// Starts aiosmtpd writing each message into the maildir `dir`, or says why not.
fn start_smtpd(dir: &std::path::Path, port: u16) -> Option<KillOnDrop> {
    let has = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !has {
        if require_all() {
            panic!("python3 with aiosmtpd is required (pip install aiosmtpd)");
        }
        eprintln!("SMTP test skipped: python3 -m aiosmtpd not available (pip install aiosmtpd)");
        return None;
    }
    let child = Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            panic!("aiosmtpd did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(KillOnDrop(child))
}

#[tokio::test]
async fn the_smtp_transport_delivers_to_a_real_server() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // aiosmtpd's Mailbox handler creates the maildir itself.
    let maildir = tmp.path().join("mail");
    let port = free_port();
    let Some(_smtpd) = start_smtpd(&maildir, port) else {
        return;
    };
    let app = TestApp::spawn_with(|c| {
        c.mail_transport = MailTransport::Smtp;
        c.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
    })
    .await;
    app.register("smtp@example.org", "Sam Smtp").await;
    // Read the message back from the server's mailbox.
    let deadline = Instant::now() + Duration::from_secs(15);
    let message = loop {
        let found = std::fs::read_dir(maildir.join("new"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .find(|m| m.contains("smtp@example.org"));
        if let Some(m) = found {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "no message reached the SMTP server"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let text = common::decode_qp(&message);
    assert!(
        text.contains("Subject: Confirm your email address for Tribu"),
        "{text}"
    );
    assert!(
        text.contains("multipart/alternative")
            && text.contains("text/html")
            && text.contains("text/plain")
    );
    let token = common::link_token(&text, "/verify-email?token=")
        .unwrap_or_else(|| panic!("no link in {text}"));
    let r = app
        .post("/api/v1/auth/verify-email", None, json!({ "token": token }))
        .await;
    assert_eq!(r.status(), 200);
    // Nothing went to the file outbox.
    assert!(!app.mail_dir().exists());
}

#[tokio::test]
async fn a_failed_delivery_is_recorded_and_retried_later() {
    let port = free_port(); // nothing listens there
    let app = TestApp::spawn_with(|c| {
        c.mail_transport = MailTransport::Smtp;
        c.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
    })
    .await;
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "retry@example.org", "display_name": "Retry", "password": PASSWORD }),
        )
        .await;
    // The request does not wait for mail: it succeeds with the relay down.
    assert_eq!(r.status(), 201);
    let deadline = Instant::now() + Duration::from_secs(10);
    let row = loop {
        let mut conn = app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        let rows = tribu::notify::store::recent(&mut conn, 10).unwrap_or_default();
        if let Some(r) = rows
            .into_iter()
            .find(|r| r.attempts > 0 && r.last_error.is_some())
        {
            break r;
        }
        assert!(Instant::now() < deadline, "delivery failure not recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(row.status, "pending");
    assert_eq!(row.attempts, 1);
    let wait = row.next_attempt_at - tribu::db::now();
    assert!(
        wait > chrono::Duration::seconds(20) && wait <= chrono::Duration::seconds(30),
        "backoff {wait}"
    );
}
