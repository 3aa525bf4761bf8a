//! The platform admins' page of people (issue 11): find an account by
//! email or name, suspend it, reinstate it; the API lists the same.

mod common;

use common::fixtures::World;
use common::visitor::{location, Visitor};
use common::PASSWORD;
use serde_json::{json, Value};

fn emails(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| u["email"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn an_admin_finds_a_person_and_suspends_then_reinstates_them() {
    let w = World::new().await;
    let app = &w.app;
    let sue = app.signed_in("sue@solvers.org", "Sue Solver").await;
    app.signed_in("mal_x@example.org", "Mal").await;

    // The API: any case, wildcards taken literally, admins only.
    let v = app
        .get_json("/api/v1/admin/users?q=SUE", Some(&w.admin.access))
        .await;
    assert_eq!(emails(&v), vec!["sue@solvers.org"], "{v}");
    let v = app
        .get_json("/api/v1/admin/users?q=l_x", Some(&w.admin.access))
        .await;
    assert_eq!(emails(&v), vec!["mal_x@example.org"], "{v}");
    let v = app
        .get_json("/api/v1/admin/users?q=%25", Some(&w.admin.access))
        .await;
    assert!(emails(&v).is_empty(), "% is a character: {v}");
    let all = app
        .get_json("/api/v1/admin/users", Some(&w.admin.access))
        .await;
    assert_eq!(emails(&all).len(), 4, "{all}");
    let r = app.get("/api/v1/admin/users", Some(&sue.access)).await;
    assert_eq!(r.status(), 403);

    // The page: find, suspend.
    let admin = Visitor::signed_in(app, "admin@tribu.org").await;
    let page = admin.html("/admin/users?q=sue").await;
    assert!(
        page.contains("Sue Solver") && !page.contains("mal_x@example.org"),
        "{page}"
    );
    let id = sue_id(app, &w).await;
    let r = admin
        .post_form(
            "/admin/users?q=sue",
            &format!("/admin/users/{id}/suspend"),
            &[("q", "sue")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/admin/users?q=sue&done=suspended");
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "sue@solvers.org", "password": PASSWORD }),
        )
        .await;
    assert_eq!(r.status(), 403, "a suspended account cannot sign in");
    let page = admin.html("/admin/users?q=sue&done=suspended").await;
    assert!(
        page.contains("The account is suspended.") && page.contains("Reinstate"),
        "{page}"
    );

    // Reinstate: Sue signs in again.
    let r = admin
        .post_form(
            "/admin/users?q=sue",
            &format!("/admin/users/{id}/reinstate"),
            &[("q", "sue")],
        )
        .await;
    assert_eq!(r.status(), 303);
    app.login("sue@solvers.org", PASSWORD).await;

    // An admin cannot suspend themselves: the page says why.
    let me = app.get_json("/api/v1/me", Some(&w.admin.access)).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = admin
        .post_form("/admin/users", &format!("/admin/users/{me}/suspend"), &[])
        .await;
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap_or_default();
    assert!(html.contains("notice-error"), "{html}");
}

async fn sue_id(app: &common::TestApp, w: &World) -> String {
    let v = app
        .get_json("/api/v1/admin/users?q=sue", Some(&w.admin.access))
        .await;
    v["data"][0]["id"].as_str().unwrap_or_default().to_owned()
}
