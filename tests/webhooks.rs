//! Outgoing webhooks (issue 12): endpoints refuse private addresses unless
//! allowed; deliveries are signed, retried with backoff, logged attempt by
//! attempt, sent again by hand; an endpoint that keeps failing is turned
//! off and its organisation's admins are told.

mod common;

use std::sync::{Arc, Mutex};

use common::assert_problem;
use common::fixtures::{World, ORG};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A request the receiver got: its signature header and body.
#[derive(Debug, Clone)]
struct Received {
    signature: String,
    event: String,
    body: String,
}

/// A receiver on 127.0.0.1 that answers each request with the next status
/// of `script` (then 200) and keeps what it got.
async fn receiver(script: Vec<u16>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    tokio::spawn(async move {
        let mut n = 0usize;
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head, then the body by its Content-Length.
            let (head, body_start) = loop {
                let Ok(k) = sock.read(&mut chunk).await else {
                    break (String::new(), 0);
                };
                if k == 0 {
                    break (String::new(), 0);
                }
                buf.extend_from_slice(&chunk[..k]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break (String::from_utf8_lossy(&buf[..i]).to_string(), i + 4);
                }
            };
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                    })
                    .unwrap_or_default()
            };
            let len: usize = header("content-length").parse().unwrap_or(0);
            while buf.len() < body_start + len {
                let Ok(k) = sock.read(&mut chunk).await else {
                    break;
                };
                if k == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..k]);
            }
            let body = String::from_utf8_lossy(&buf[body_start..(body_start + len).min(buf.len())])
                .to_string();
            if let Ok(mut g) = seen.lock() {
                g.push(Received {
                    signature: header("tribu-signature"),
                    event: header("tribu-event"),
                    body,
                });
            }
            let status = script.get(n).copied().unwrap_or(200);
            n += 1;
            let reply =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = sock.write_all(reply.as_bytes()).await;
        }
    });
    (format!("http://{addr}/hooks"), got)
}

async fn register(w: &World, url: &str, events: &[&str]) -> Value {
    let r = w
        .app
        .post(
            &format!("/api/v1/orgs/{ORG}/webhooks"),
            Some(&w.owner.access),
            json!({ "url": url, "events": events }),
        )
        .await;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(status, 201, "{v}");
    v
}

#[tokio::test]
async fn private_and_metadata_addresses_are_refused_unless_allowed() {
    let w = World::new().await;
    for url in [
        "http://127.0.0.1:9/hooks",
        "http://10.0.0.1/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hooks",
        "http://localhost:8080/hooks",
        "ftp://example.org/hooks",
    ] {
        let r = w
            .app
            .post(
                &format!("/api/v1/orgs/{ORG}/webhooks"),
                Some(&w.owner.access),
                json!({ "url": url, "events": ["submission.created"] }),
            )
            .await;
        let p = assert_problem(r, 422, "validation_failed").await;
        assert_eq!(p["errors"][0]["code"], "url_refused", "{url}: {p}");
    }
    let r = w
        .app
        .post(
            &format!("/api/v1/orgs/{ORG}/webhooks"),
            Some(&w.owner.access),
            json!({ "url": "https://example.org/hooks", "events": ["everything"] }),
        )
        .await;
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "unknown_event", "{p}");
    // A solver, or an API key, gets nowhere near the organisation's webhooks.
    let key = w.api_key(&["challenges:write"]).await;
    let r = w
        .app
        .get(&format!("/api/v1/orgs/{ORG}/webhooks"), Some(&key))
        .await;
    assert_eq!(r.status(), 403);
    let solver = w.app.signed_in("sol@solvers.org", "Sol").await;
    let r = w
        .app
        .get(
            &format!("/api/v1/orgs/{ORG}/webhooks"),
            Some(&solver.access),
        )
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_signed_delivery_is_retried_until_it_lands_and_every_attempt_is_logged() {
    let w = World::with(|c| c.webhooks_allow_private = true).await;
    let app = &w.app;
    let (url, got) = receiver(vec![500, 500, 500]).await;
    let created = register(&w, &url, &["submission.created"]).await;
    let secret = created["secret"].as_str().unwrap_or_default().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    let id = created["endpoint"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let listed = app
        .get_json(
            &format!("/api/v1/orgs/{ORG}/webhooks"),
            Some(&w.owner.access),
        )
        .await;
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once"
    );

    let slug = w.open_challenge("Hooked", json!({})).await;
    let ada = w.solver("ada@solvers.org", "Ada", &slug).await;
    w.submit(&ada, &slug, "Confidential title", false).await;

    // The worker's first try gets 500; the next ones are forced past their
    // backoff instead of waiting for it.
    let mut later = tribu::db::now();
    for _ in 0..40 {
        if got.lock().map(|g| g.len()).unwrap_or(0) >= 4 {
            break;
        }
        later += chrono::Duration::hours(1);
        tribu::webhooks::service::deliver_due(&app.state, later)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let received = got.lock().map(|g| g.clone()).unwrap_or_default();
    assert_eq!(received.len(), 4, "{received:?}");
    for r in &received {
        assert_eq!(r.event, "submission.created");
        let t = r
            .signature
            .split(',')
            .find_map(|p| p.strip_prefix("t="))
            .and_then(|t| t.parse::<i64>().ok())
            .unwrap_or_default();
        assert!(
            tribu::webhooks::model::verify(&secret, &r.signature, &r.body, t, 300),
            "{r:?}"
        );
        assert!(
            !r.body.contains("Confidential title"),
            "no content: {}",
            r.body
        );
    }
    let body: Value = serde_json::from_str(&received[0].body).unwrap_or_default();
    assert_eq!(body["type"], "submission.created");
    assert!(body["data"]["submission_id"].is_string(), "{body}");

    let log = app
        .get_json(
            &format!("/api/v1/orgs/{ORG}/webhooks/{id}/deliveries"),
            Some(&w.owner.access),
        )
        .await;
    let d = &log["data"][0];
    assert_eq!(d["status"], "delivered", "{log}");
    let codes: Vec<i64> = d["attempts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["status_code"].as_i64())
        .collect();
    assert_eq!(codes, vec![500, 500, 500, 200], "{log}");

    // Sent again by hand: the same event id, a new delivery.
    let did = d["id"].as_str().unwrap_or_default();
    let r = app
        .post(
            &format!("/api/v1/orgs/{ORG}/webhooks/{id}/deliveries/{did}/redeliver"),
            Some(&w.owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 201);
    for _ in 0..100 {
        if got.lock().map(|g| g.len()).unwrap_or(0) >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let again = got.lock().map(|g| g.clone()).unwrap_or_default();
    assert_eq!(again.len(), 5);
    let first: Value = serde_json::from_str(&again[0].body).unwrap_or_default();
    let fifth: Value = serde_json::from_str(&again[4].body).unwrap_or_default();
    assert_eq!(first["id"], fifth["id"]);
}

#[tokio::test]
async fn an_endpoint_failing_for_three_days_is_turned_off_and_its_admins_are_told() {
    let w = World::with(|c| c.webhooks_allow_private = true).await;
    let app = &w.app;
    let (url, got) = receiver(vec![500; 100]).await;
    let created = register(&w, &url, &["challenge.published"]).await;
    let id = created["endpoint"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    w.open_challenge("Never heard", json!({})).await;
    // Tries forced a day apart (the worker may make the first): the one
    // after three days of failures gives up.
    let mut at = tribu::db::now();
    let mut list = Value::Null;
    for _ in 0..10 {
        tribu::webhooks::service::deliver_due(&app.state, at)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        list = app
            .get_json(
                &format!("/api/v1/orgs/{ORG}/webhooks"),
                Some(&w.owner.access),
            )
            .await;
        if list["data"][0]["active"] == false {
            break;
        }
        at += chrono::Duration::days(1);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(got.lock().map(|g| g.len()).unwrap_or(0) >= 2);
    assert_eq!(list["data"][0]["active"], false, "{list}");
    let log = app
        .get_json(
            &format!("/api/v1/orgs/{ORG}/webhooks/{id}/deliveries"),
            Some(&w.owner.access),
        )
        .await;
    assert_eq!(log["data"][0]["status"], "failed", "{log}");
    app.wait_for_email(common::fixtures::OWNER, "was turned off")
        .await;
    // Turned on again by an admin.
    let r = app
        .post(
            &format!("/api/v1/orgs/{ORG}/webhooks/{id}/enable"),
            Some(&w.owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
}
