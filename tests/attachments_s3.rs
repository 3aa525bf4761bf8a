//! Attachments in an S3-compatible store (moto's S3 server on 127.0.0.1):
//! uploaded through the API, stored under their SHA-256, read back intact.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::fixtures::{id_of, World};
use common::{free_port, require_all, KillOnDrop};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tribu::config::{AttachmentStore, Secret};

/// Starts `moto_server`, or says why not.
fn moto() -> Option<(KillOnDrop, u16)> {
    let port = free_port();
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
    let server = KillOnDrop(child);
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

    let w = World::with(|c| {
        c.attachment_store = AttachmentStore::S3;
        c.s3_bucket = Some("tribu-files".into());
        c.s3_endpoint = Some(endpoint.clone());
        c.s3_access_key_id = Some(Secret::new("testing"));
        c.s3_secret_access_key = Some(Secret::new("testing"));
    })
    .await;
    let slug = w.open_challenge("Stored files", json!({})).await;
    let solver = w.solver("solver@s3.org", "Sol", &slug).await;
    let id = id_of(&w.submit(&solver, &slug, "Bucket", false).await);

    let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let r = w.upload(&solver, &id, "data.bin", &bytes).await;
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.unwrap_or_default();
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(a["attachment"]["sha256"], sha.as_str());

    // The object is in the bucket under its hash (read by a separate client),
    // and nothing is on local disk.
    let elsewhere = tribu::config::Config {
        data_dir: w.app.dir.path().join("other"),
        ..w.app.config.clone()
    };
    let other =
        tribu::submissions::blobs::Blobs::from_config(&elsewhere).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        other.get(&sha).await.unwrap_or_else(|e| panic!("{e}")),
        bytes
    );
    let local = w.app.config.data_dir.join("attachments");
    assert!(
        std::fs::read_dir(&local).map(|d| d.count()).unwrap_or(0) == 0,
        "no local copies"
    );

    // Downloads come back from the bucket intact.
    let got = w
        .app
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
