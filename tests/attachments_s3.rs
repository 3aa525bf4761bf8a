//! Attachments in an S3-compatible store (moto's S3 server on 127.0.0.1):
//! uploaded through the API, stored under their SHA-256, read back intact.

mod common;

use common::fixtures::{id_of, World};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tribu::config::{AttachmentStore, Secret};

#[tokio::test]
async fn attachments_live_in_the_s3_bucket() {
    let Some((_moto, endpoint)) = common::s3_bucket("S3 attachment test", "tribu-files").await
    else {
        return;
    };

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
