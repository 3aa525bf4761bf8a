//! CSRF is checked in one place for every page route: this walks the page
//! route table of `src/app.rs` and sends every unsafe route, as a signed-in
//! person holding a CSRF cookie, a form without the token and one with a
//! forged token. Each must answer 403 and change nothing in the database.

mod common;

use common::fixtures::{World, ORG};
use diesel::RunQueryDsl;
use serde_json::json;

/// `(method, path)` of every page route between the markers of `src/app.rs`.
fn page_routes() -> Vec<(String, String)> {
    let src = include_str!("../src/app/page_routes.rs");
    let begin = src.find("// PAGE ROUTES BEGIN").unwrap_or(0);
    let end = src.find("// PAGE ROUTES END").unwrap_or(src.len());
    let mut out = Vec::new();
    for piece in src[begin..end].split("page(\"").skip(1) {
        let Some((path, rest)) = piece.split_once('"') else {
            continue;
        };
        for m in ["get", "post", "put", "patch", "delete"] {
            if rest.contains(&format!(".route({m}()")) {
                out.push((m.to_ascii_uppercase(), path.to_owned()));
            }
        }
    }
    out
}

/// Every table's row count: what "changes nothing" is checked against.
fn row_counts(app: &common::TestApp) -> Vec<(String, i64)> {
    let mut conn = app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    let mut tables: Vec<String> = tribu::db::columns(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    tables.dedup();
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    tables
        .into_iter()
        .map(|t| {
            let n: Vec<N> = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {t}"))
                .load(&mut *conn)
                .unwrap_or_else(|e| panic!("{t}: {e}"));
            (t, n.first().map(|r| r.n).unwrap_or(-1))
        })
        .collect()
}

#[tokio::test]
async fn every_unsafe_page_route_refuses_a_missing_or_forged_token() {
    let w = World::new().await;
    let slug = w.open_challenge("Walked routes", json!({})).await;
    let solver = w.solver("sol@example.org", "Sol", &slug).await;
    let sub = w.submit(&solver, &slug, "Entry", false).await;
    let sub_id = sub["id"].as_str().unwrap_or_default().to_owned();

    let routes = page_routes();
    let unsafe_routes: Vec<_> = routes.iter().filter(|(m, _)| m != "GET").collect();
    assert!(
        unsafe_routes.len() >= 40,
        "the walk found the page routes: {routes:?}"
    );

    // A real CSRF cookie of this session, which the forged requests carry.
    let page = w
        .app
        .http
        .get(w.app.url("/settings"))
        .header("cookie", format!("tribu_access={}", w.owner.access))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("tribu_csrf="))
        .map(|c| c.split(';').next().unwrap_or("").to_owned())
        .unwrap_or_default();
    assert!(!cookie.is_empty());

    let before = row_counts(&w.app);
    for (method, path) in &unsafe_routes {
        let url = path
            .replace(
                "{slug}",
                if path.starts_with("/orgs/") {
                    ORG
                } else {
                    &slug
                },
            )
            .replace("{key}", &slug)
            .replace("{id}", &sub_id)
            .replace("{user_id}", "someone")
            .replace("{token}", "some-token")
            .replace("{verb}", "accept");
        for (label, field) in [("missing", None), ("forged", Some("forged.token"))] {
            let mut form: Vec<(&str, &str)> =
                vec![("reason", "A reason long enough"), ("body", "Text")];
            if let Some(f) = field {
                form.push(("csrf", f));
            }
            let r = w
                .app
                .http
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::POST),
                    w.app.url(&url),
                )
                .header(
                    "cookie",
                    format!("tribu_access={}; tribu_csrf={cookie}", w.owner.access),
                )
                .form(&form)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.status(), 403, "{method} {url} with a {label} token");
        }
    }
    assert_eq!(before, row_counts(&w.app), "nothing changed");
}
