//! Challenge resources (issue 11): an organisation attaches files and a
//! cover image; registered solvers (or everyone, as it chooses) download
//! them; nothing is stored for anyone who may not add them.

mod common;

use common::assert_problem;
use common::fixtures::{id_of, World, OWNER};
use common::visitor::{csrf_of, location, Visitor};
use common::TestApp;
use reqwest::Response;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

const BOUNDARY: &str = "tribuRESOURCE";

/// A multipart body: `fields` first, then the file.
fn body(fields: &[(&str, &str)], name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    b.extend_from_slice(bytes);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    name: &str,
    bytes: &[u8],
) -> Response {
    app.http
        .request(method, app.url(path))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body(&[], name, bytes))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test]
async fn registered_solvers_download_what_the_organisation_attaches() {
    let w = World::new().await;
    let app = &w.app;
    let slug = w
        .open_challenge("Data challenge", serde_json::json!({}))
        .await;
    let list_path = format!("/api/v1/challenges/{slug}/resources");
    let data = b"pump_id,strokes\nHP-0001,2400\n".to_vec();

    // The organisation attaches a file for registered solvers.
    let r = send(
        app,
        reqwest::Method::POST,
        &list_path,
        &w.owner.access,
        "pumps.csv",
        &data,
    )
    .await;
    assert_eq!(r.status(), 201);
    let res: Value = r.json().await.unwrap_or_default();
    assert_eq!(res["sha256"], sha(&data).as_str());
    assert_eq!(res["public"], false);
    let file = format!("{list_path}/{}", id_of(&res));

    // A visitor sees it listed, without a download, and cannot fetch it.
    let v = app.get_json(&list_path, None).await;
    assert_eq!(v["data"][0]["filename"], "pumps.csv", "{v}");
    assert!(v["data"][0].get("download_url").is_none(), "{v}");
    assert_eq!(app.get(&file, None).await.status(), 404);
    let page = Visitor::new(app).html(&format!("/challenges/{slug}")).await;
    assert!(
        page.contains("pumps.csv") && page.contains("Register to download"),
        "{page}"
    );

    // A registered solver downloads the very bytes.
    let sol = w.solver("sol@example.org", "Sol", &slug).await;
    let v = app.get_json(&list_path, Some(&sol.access)).await;
    let url = v["data"][0]["download_url"].as_str().unwrap_or_default();
    assert!(url.ends_with(&format!("/resources/{}", id_of(&res))), "{v}");
    assert_eq!(app.get(url, Some(&sol.access)).await.status(), 200);
    let r = app.get(&file, Some(&sol.access)).await;
    assert_eq!(r.status(), 200);
    assert!(r
        .headers()
        .get("content-disposition")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.starts_with("attachment")));
    assert_eq!(r.bytes().await.unwrap_or_default().to_vec(), data);

    // Someone outside the organisation cannot attach anything.
    let r = send(
        app,
        reqwest::Method::POST,
        &list_path,
        &sol.access,
        "x.csv",
        b"x",
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.get_json(&list_path, None).await["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // A public file: anyone downloads it.
    let r = send(
        app,
        reqwest::Method::POST,
        &format!("{list_path}?public=true"),
        &w.owner.access,
        "readme.txt",
        b"Read me.",
    )
    .await;
    let open: Value = r.json().await.unwrap_or_default();
    let r = app
        .get(&format!("{list_path}/{}", id_of(&open)), None)
        .await;
    assert_eq!(r.status(), 200);

    // The cover must be an image; a PNG becomes the page's cover.
    let cover = format!("/api/v1/challenges/{slug}/cover");
    let r = send(
        app,
        reqwest::Method::PUT,
        &cover,
        &w.owner.access,
        "cover.txt",
        b"not an image",
    )
    .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = send(
        app,
        reqwest::Method::PUT,
        &cover,
        &w.owner.access,
        "cover.png",
        PNG,
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = app.get(&format!("/challenges/{slug}/cover"), None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|h| h.to_str().ok()),
        Some("image/png")
    );
    let page = Visitor::new(app).html(&format!("/challenges/{slug}")).await;
    assert!(page.contains("class=\"ch-cover\""), "{page}");

    // Taken down: gone from the list and from downloads.
    assert_eq!(app.delete(&file, Some(&w.owner.access)).await.status(), 204);
    assert_eq!(app.get(&file, Some(&sol.access)).await.status(), 404);
    let v = app.get_json(&list_path, Some(&sol.access)).await;
    assert_eq!(v["data"].as_array().map(Vec::len), Some(1), "{v}");
}

#[tokio::test]
async fn too_large_a_file_is_refused_and_the_page_attaches_one() {
    let w = World::with(|c| c.attachment_max_bytes = 64).await;
    let app = &w.app;
    let slug = w.open_challenge("Small files", serde_json::json!({})).await;
    let list_path = format!("/api/v1/challenges/{slug}/resources");
    let r = send(
        app,
        reqwest::Method::POST,
        &list_path,
        &w.owner.access,
        "big.bin",
        &[7u8; 200],
    )
    .await;
    assert_eq!(r.status(), 413);
    assert_eq!(
        app.get_json(&list_path, None).await["data"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );

    // The management page's form: the CSRF token first, a checkbox, the file.
    let v = Visitor::signed_in(app, OWNER).await;
    let manage = format!("/manage/challenges/{slug}");
    let csrf = csrf_of(&v.html(&manage).await);
    let r = v
        .http
        .post(format!("{}{manage}/resources", v.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body(
            &[("csrf", &csrf), ("public", "yes")],
            "notes.txt",
            b"Field notes.",
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        format!("{manage}?done=resource_added#resources")
    );
    let page = v.html(&format!("{manage}?done=resource_added")).await;
    assert!(
        page.contains("notes.txt") && page.contains("everyone may download"),
        "{page}"
    );
    let listed = app.get_json(&list_path, None).await;
    assert_eq!(listed["data"][0]["public"], true, "{listed}");
}
