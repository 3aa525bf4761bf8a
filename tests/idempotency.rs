//! Idempotency-Key: retries get the first answer and create nothing twice.

mod common;

use common::{assert_problem, TestApp};
use serde_json::{json, Value};

async fn post_with_key(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: Value,
) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_retried_post_replays_the_first_answer() {
    let app = TestApp::spawn().await;
    let t = app.signed_in("idem@example.org", "Ida").await;
    let body = json!({ "slug": "idem-lab", "name": "Idem Lab" });
    let first = post_with_key(
        &app,
        "/api/v1/orgs",
        &t.access,
        "create-idem-lab",
        body.clone(),
    )
    .await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap_or_default();
    // Without the key, a second create would be refused (slug taken); with it, the same answer.
    let again = post_with_key(
        &app,
        "/api/v1/orgs",
        &t.access,
        "create-idem-lab",
        body.clone(),
    )
    .await;
    assert_eq!(again.status(), 201);
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let again: Value = again.json().await.unwrap_or_default();
    assert_eq!(first, again);
    let mine: Value = app
        .get("/api/v1/me/orgs", Some(&t.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(mine["data"].as_array().map(Vec::len), Some(1));

    // The same key for another request is refused.
    let r = post_with_key(
        &app,
        "/api/v1/orgs",
        &t.access,
        "create-idem-lab",
        json!({ "slug": "other-lab", "name": "Other" }),
    )
    .await;
    let v = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(v["errors"][0]["code"], "idempotency_key_reused");

    // Keys belong to their caller: another account's identical key is separate.
    let u = app.signed_in("other@example.org", "Oth").await;
    let r = post_with_key(
        &app,
        "/api/v1/orgs",
        &u.access,
        "create-idem-lab",
        json!({ "slug": "idem-lab-2", "name": "Idem Lab 2" }),
    )
    .await;
    assert_eq!(r.status(), 201);

    // Errors are answers too: replayed, not re-run.
    let bad = json!({ "slug": "x", "name": "" });
    let r1 = post_with_key(&app, "/api/v1/orgs", &t.access, "bad-one", bad.clone()).await;
    assert_eq!(r1.status(), 422);
    let r2 = post_with_key(&app, "/api/v1/orgs", &t.access, "bad-one", bad).await;
    assert_eq!(r2.status(), 422);
    assert!(r2.headers().get("idempotent-replayed").is_some());

    let r = post_with_key(
        &app,
        "/api/v1/orgs",
        &t.access,
        "bad key with spaces",
        json!({}),
    )
    .await;
    assert_problem(r, 400, "invalid_idempotency_key").await;
}

#[tokio::test]
async fn a_retried_funding_request_asks_once() {
    let app = TestApp::spawn().await;
    let t = app.signed_in("fund@example.org", "Fun").await;
    app.post(
        "/api/v1/orgs",
        Some(&t.access),
        json!({ "slug": "fund-lab", "name": "Fund Lab" }),
    )
    .await;
    let when = |d: i64| {
        (chrono::Utc::now() + chrono::Duration::days(d))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let c: Value = app
        .post(
            "/api/v1/challenges",
            Some(&t.access),
            json!({ "org": "fund-lab", "title": "Retry safe", "summary": "Funding requests survive retries.", "description": "x",
                    "category": "other", "kind": "ideation", "currency": "EUR",
                    "prize_tiers": [{ "rank": 1, "label": "Winner", "amount": 5000 }],
                    "submission_deadline": when(5), "judging_deadline": when(9),
                    "rules": "Rules long enough to pass.", "allowed_licences": ["CC0-1.0"] }),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    let slug = c["slug"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/v1/challenges/{slug}/funding");
    let a: Value = post_with_key(&app, &path, &t.access, "fund-1", json!({}))
        .await
        .json()
        .await
        .unwrap_or_default();
    let b: Value = post_with_key(&app, &path, &t.access, "fund-1", json!({}))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(a["id"], b["id"]);
    let list: Value = app
        .get(
            &format!("/api/v1/challenges/{slug}/fundings"),
            Some(&t.access),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
}
