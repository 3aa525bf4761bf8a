//! Attachments in an S3-compatible store (moto's S3 server on 127.0.0.1):
//! uploaded through the API, stored under their SHA-256, read back intact.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{require_all, TestApp};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tribu::config::{AttachmentStore, Secret};

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `moto_server`, or says why not.
fn moto() -> Option<(Server, u16)> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0);
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => {
            if require_all() {
                panic!("moto_server is required (pip install 'moto[server]'): {e}");
            }
            eprintln!("S3 attachment test skipped: moto_server not available ({e}); pip install 'moto[server]'");
            return None;
        }
    };
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((server, port))
}

#[tokio::test]
async fn attachments_live_in_the_s3_bucket() {
    let Some((_moto, port)) = moto() else {
        return;
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    // moto accepts an unsigned request to make the bucket.
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/tribu-files"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.status().is_success(), "create bucket: {}", r.status());

    let app = TestApp::spawn_with(|c| {
        c.attachment_store = AttachmentStore::S3;
        c.s3_bucket = Some("tribu-files".into());
        c.s3_endpoint = Some(endpoint.clone());
        c.s3_access_key_id = Some(Secret::new("testing"));
        c.s3_secret_access_key = Some(Secret::new("testing"));
    })
    .await;
    let owner = app.signed_in("owner@s3.org", "Own").await;
    app.post(
        "/api/v1/orgs",
        Some(&owner.access),
        json!({ "slug": "s3-lab", "name": "S3 Lab" }),
    )
    .await;
    let admin = app.signed_in("admin@s3.org", "Adm").await;
    {
        let mut conn = app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        tribu::auth::service::create_admin(&mut conn, "admin@s3.org", "Adm", None)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let when = |d: i64| {
        (chrono::Utc::now() + chrono::Duration::days(d))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let c: Value = app
        .post(
            "/api/v1/challenges",
            Some(&owner.access),
            json!({ "org": "s3-lab", "title": "Stored files", "summary": "Files go to the object store.", "description": "x",
                    "category": "technology", "kind": "software", "currency": "EUR",
                    "prize_tiers": [{ "rank": 1, "label": "Winner", "amount": 1000 }],
                    "submission_deadline": when(5), "judging_deadline": when(9),
                    "rules": "Rules long enough to pass.", "allowed_licences": ["MIT"] }),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    let slug = c["slug"].as_str().unwrap_or_default().to_owned();
    let f: Value = app
        .post(
            &format!("/api/v1/challenges/{slug}/funding"),
            Some(&owner.access),
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    app.post(
        &format!(
            "/api/v1/admin/fundings/{}/confirm",
            f["id"].as_str().unwrap_or_default()
        ),
        Some(&admin.access),
        json!({ "reference": "R" }),
    )
    .await;
    assert_eq!(
        app.post(
            &format!("/api/v1/challenges/{slug}/publish"),
            Some(&owner.access),
            json!({})
        )
        .await
        .status(),
        200
    );
    let solver = app.signed_in("solver@s3.org", "Sol").await;
    app.post(
        &format!("/api/v1/challenges/{slug}/registrations"),
        Some(&solver.access),
        json!({ "rules_version": 1, "accept_rules": true }),
    )
    .await;
    let s: Value = app
        .post(&format!("/api/v1/challenges/{slug}/submissions"), Some(&solver.access), json!({ "title": "Bucket", "abstract": "Stored in S3 for real.", "body": "b", "licence": "MIT" }))
        .await
        .json()
        .await
        .unwrap_or_default();
    let id = s["id"].as_str().unwrap_or_default().to_owned();

    let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let boundary = "s3boundary";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.bin\"\r\n\r\n").into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = app
        .http
        .post(app.url(&format!("/api/v1/submissions/{id}/attachments")))
        .bearer_auth(&solver.access)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.unwrap_or_default();
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(a["attachment"]["sha256"], sha.as_str());

    // The object is in the bucket under its hash (read by a separate client),
    // and nothing is on local disk.
    let elsewhere = tribu::config::Config {
        data_dir: app.dir.path().join("other"),
        ..app.config.clone()
    };
    let other =
        tribu::submissions::blobs::Blobs::from_config(&elsewhere).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        other.get(&sha).await.unwrap_or_else(|e| panic!("{e}")),
        bytes
    );
    let local = app.config.data_dir.join("attachments");
    assert!(
        std::fs::read_dir(&local).map(|d| d.count()).unwrap_or(0) == 0,
        "no local copies"
    );

    // Downloads come back from the bucket intact.
    let got = app
        .get(
            a["attachment"]["url"].as_str().unwrap_or_default(),
            Some(&solver.access),
        )
        .await;
    assert_eq!(got.status(), 200);
    assert_eq!(
        hex::encode(Sha256::digest(got.bytes().await.unwrap_or_default())),
        sha
    );
}
