//! HTTP conventions and the database layer: problem+json everywhere, body
//! limits, request ids, security headers, CORS, OpenAPI coverage, SQLite
//! settings and concurrency, and schema parity between the two backends.

mod common;

use std::collections::BTreeSet;

use common::{assert_problem, TestApp, PASSWORD};
use serde_json::{json, Value};

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status(), 200);
    let r = app.get("/readyz", None).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["status"], "ready");
}

#[tokio::test]
async fn every_api_error_is_problem_json() {
    let app = TestApp::spawn().await;
    assert_problem(
        app.get("/api/v1/no-such-thing", None).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete("/api/v1/auth/login", None).await,
        405,
        "method_not_allowed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/auth/register", None).await,
        405,
        "method_not_allowed",
    )
    .await;

    // Wrong content type.
    let r = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_problem(r, 415, "unsupported_media_type").await;

    // Malformed JSON and missing fields.
    let r = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_problem(r, 400, "invalid_json").await;
    let r = app
        .post("/api/v1/auth/login", None, json!({ "email": 3 }))
        .await;
    assert_problem(r, 400, "invalid_json").await;

    // Over 1 MiB.
    let big = json!({ "email": "a@b.org", "password": "x".repeat(1024 * 1024 + 10) });
    let r = app.post("/api/v1/auth/login", None, big).await;
    assert_problem(r, 413, "payload_too_large").await;

    // Unknown fields are refused where the schema is strict.
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "a@b.org", "display_name": "A", "password": PASSWORD, "admin": true }),
        )
        .await;
    assert_problem(r, 400, "invalid_json").await;
}

#[tokio::test]
async fn request_ids_and_security_headers() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-123")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("trace-123")
    );
    // An unreasonable id is replaced, not echoed.
    let r = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id\twith spaces")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(id.len(), 36, "{id}");

    for path in ["/", "/api/v1/me", "/api/docs"] {
        let r = app.get(path, None).await;
        let h = r.headers();
        assert!(h.get("x-request-id").is_some(), "{path}");
        assert_eq!(
            h.get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff"),
            "{path}"
        );
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
    }
}

#[tokio::test]
async fn cors_follows_the_allow_list() {
    let app = TestApp::spawn_with(|c| c.cors_origins = "https://partner.example".into()).await;
    let r = app
        .http
        .get(app.url("/healthz"))
        .header("origin", "https://partner.example")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://partner.example")
    );
    let r = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/login"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

/// The `(METHOD, path)` pairs registered between the API markers of src/app.rs.
fn routes_in_app_rs() -> BTreeSet<(String, String)> {
    let src = include_str!("../src/app.rs");
    let begin = src.find("// API ROUTES BEGIN").unwrap_or(0);
    let end = src.find("// API ROUTES END").unwrap_or(src.len());
    let block = &src[begin..end];
    let mut out = BTreeSet::new();
    for chunk in block.split("r(\"").skip(1) {
        let path = chunk.split('"').next().unwrap_or_default();
        for m in ["get", "post", "put", "patch", "delete"] {
            if chunk.contains(&format!("{m}().to(")) {
                out.insert((m.to_uppercase(), format!("/api/v1{path}")));
            }
        }
    }
    out
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap_or_default();
    assert!(
        doc["openapi"].as_str().unwrap_or("").starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (m, _) in item.as_object().into_iter().flatten() {
            if path.starts_with("/api/v1") {
                documented.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    let routed = routes_in_app_rs();
    assert!(routed.len() > 20, "parsed {routed:?}");
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(missing.is_empty(), "routes without OpenAPI: {missing:?}");
    assert!(extra.is_empty(), "OpenAPI paths without route: {extra:?}");
    assert!(doc["paths"]["/healthz"].is_object() && doc["paths"]["/readyz"].is_object());

    // And each documented route answers something other than "no such route".
    for (m, p) in &routed {
        let path = p
            .replace("{slug}", "x-lab")
            .replace("{id}", "x")
            .replace("{user_id}", "x");
        let r = app
            .http
            .request(
                reqwest::Method::from_bytes(m.as_bytes()).unwrap_or(reqwest::Method::GET),
                app.url(&path),
            )
            .json(&json!({}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(r.status(), 405, "{m} {path}");
    }

    // The docs page renders from the same document, without external assets.
    let r = app.get("/api/docs", None).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap_or_default();
    assert!(
        html.contains("/api/v1/auth/register") && html.contains("/api/v1/orgs/{slug}/api-keys")
    );
    assert!(
        !html.contains("https://"),
        "the docs page must work offline"
    );
    // Its Markdown is rendered, every status says what it means, and it
    // carries the site's navigation.
    // (The schemas at the end are the document's JSON, as it is.)
    let prose = html.split("<h2>Schemas</h2>").next().unwrap_or_default();
    assert!(!prose.contains('`'), "no literal backticks");
    assert!(html.contains("<code>Idempotency-Key</code>"));
    assert!(html.contains("Validation failed: see errors[] for each field"));
    assert!(
        !html.contains("<td data-label=\"Meaning\" class=\"prose\"></td>"),
        "no empty meaning"
    );
    assert!(html.contains("class=\"site-header\"") && html.contains("href=\"/challenges\""));
}

#[tokio::test]
async fn sqlite_connections_are_configured() {
    if common::pg_url().is_some() {
        return; // SQLite-only check; the PostgreSQL run covers the rest.
    }
    let app = TestApp::spawn().await;
    #[derive(diesel::QueryableByName)]
    struct V {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    use diesel::RunQueryDsl;
    let mut conn = app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    let q = |conn: &mut tribu::db::DbConnection, sql: &str| -> String {
        diesel::sql_query(sql)
            .get_result::<V>(conn)
            .map(|r| r.v)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    assert_eq!(
        q(
            &mut conn,
            "SELECT journal_mode AS v FROM pragma_journal_mode"
        ),
        "wal"
    );
    assert!(
        q(
            &mut conn,
            "SELECT CAST(timeout AS TEXT) AS v FROM pragma_busy_timeout"
        )
        .parse::<i64>()
        .unwrap_or(0)
            >= 5000
    );
    assert_eq!(
        q(
            &mut conn,
            "SELECT CAST(foreign_keys AS TEXT) AS v FROM pragma_foreign_keys"
        ),
        "1"
    );
    assert_eq!(
        q(
            &mut conn,
            "SELECT CAST(synchronous AS TEXT) AS v FROM pragma_synchronous"
        ),
        "1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_never_hit_database_is_locked() {
    let app = std::sync::Arc::new(
        TestApp::spawn_with(|c| {
            c.http_workers = 4;
            c.db_pool_size = 8;
        })
        .await,
    );
    let mut tasks = Vec::new();
    for i in 0..24 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let r = app
                .post("/api/v1/auth/register", None, json!({ "email": format!("c{i}@example.org"), "display_name": format!("C{i}"), "password": PASSWORD }))
                .await;
            r.status().as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap_or(0), 201);
    }
}

#[test]
fn both_migration_folders_hold_the_same_migrations() {
    let names = |dir: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let s = names("migrations/sqlite");
    assert!(!s.is_empty());
    assert_eq!(s, names("migrations/postgres"));
}

#[test]
fn both_backends_end_with_the_same_tables_and_columns() {
    let Some(server) = common::pg_url() else {
        eprintln!("schema parity: skipped, needs TRIBU_TEST_DATABASE_URL (PostgreSQL)");
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sqlite = tribu::db::connect(
        &format!("sqlite://{}", dir.path().join("p.db").display()),
        1,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut s = sqlite.get().unwrap_or_else(|e| panic!("{e}"));
    tribu::db::migrate(&mut s).unwrap_or_else(|e| panic!("{e}"));
    let name = format!("tribu_t_{}", uuid::Uuid::new_v4().simple());
    let url = common::create_pg_database(&server, &name);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let pg = tribu::db::connect(&url, 1).unwrap_or_else(|e| panic!("{e}"));
        let mut p = pg.get().unwrap_or_else(|e| panic!("{e}"));
        tribu::db::migrate(&mut p).unwrap_or_else(|e| panic!("{e}"));
        let a = tribu::db::columns(&mut s).unwrap_or_else(|e| panic!("{e}"));
        let b = tribu::db::columns(&mut p).unwrap_or_else(|e| panic!("{e}"));
        assert!(a.len() > 50, "{a:?}");
        assert_eq!(a, b);
    }));
    common::drop_pg_database(&server, &name);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn a_mistyped_database_url_is_an_error_not_a_new_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for url in [
        "sqlite:/x.db",
        "sqlit://x.db",
        "mysql://x",
        "data/tribu.db",
        "sqlite://",
    ] {
        let err = tribu::db::connect(url, 1)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!err.is_empty(), "{url} should fail");
    }
    assert_eq!(
        std::fs::read_dir(dir.path())
            .map(|d| d.count())
            .unwrap_or(1),
        0
    );
    // An unreachable PostgreSQL reports the real cause quickly.
    let started = std::time::Instant::now();
    let err = tribu::db::connect("postgres://postgres@127.0.0.1:1/nothing", 1)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("connect"), "{err}");
    assert!(started.elapsed().as_secs() < 10);
}

#[tokio::test]
async fn a_405_says_which_methods_the_path_takes() {
    let app = TestApp::spawn().await;
    let r = app.delete("/api/v1/challenges/anything", None).await;
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, PATCH")
    );
    let r = app.get("/api/v1/auth/login", None).await;
    assert_eq!(
        r.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    // The document serves every problem as application/problem+json.
    let doc: serde_json::Value = app
        .get("/api/v1/openapi.json", None)
        .await
        .json()
        .await
        .unwrap_or_default();
    let mut problems = 0;
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            for (status, r) in op["responses"].as_object().into_iter().flatten() {
                if status.starts_with('4') {
                    problems += 1;
                    assert!(
                        r["content"].get("application/problem+json").is_some(),
                        "{method} {path} {status}"
                    );
                    assert!(r["content"].get("application/json").is_none());
                }
            }
        }
    }
    assert!(problems > 200, "{problems}");
}
