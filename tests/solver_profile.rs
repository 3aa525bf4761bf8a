//! A solver's public profile (issue 11): off by default; once turned on,
//! their published solutions and prizes, never an entry where they chose
//! to stay anonymous.

mod common;

use common::fixtures::World;
use common::visitor::Visitor;
use serde_json::{json, Value};

async fn me(w: &World, t: &common::Tokens) -> Value {
    w.app.get_json("/api/v1/me", Some(&t.access)).await
}

#[tokio::test]
async fn a_solver_shows_their_solutions_and_prizes_only_when_they_choose() {
    let w = World::new().await;
    let app = &w.app;
    let a = w.awarded().await;
    let winner = me(&w, &a.winner).await;
    let id = winner["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(winner["public_profile"], false, "off by default");
    let api = format!("/api/v1/solvers/{id}");
    assert_eq!(app.get(&api, None).await.status(), 404);
    assert_eq!(
        Visitor::new(app)
            .get(&format!("/solvers/{id}"))
            .await
            .status(),
        404
    );

    // Turned on from the settings page.
    let v = Visitor::signed_in(app, "win@solvers.org").await;
    let r = v
        .post_form(
            "/settings",
            "/settings/profile",
            &[
                ("display_name", "Wyn Winner"),
                ("language", "en"),
                ("public_profile", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let p = app.get_json(&api, None).await;
    assert_eq!(p["display_name"], "Wyn Winner", "{p}");
    assert_eq!(p["solutions"][0]["title"], "Floating filters", "{p}");
    assert_eq!(
        p["prizes"][0]["amount"]["amount"], 30000,
        "half of 600.00: {p}"
    );
    assert!(!p.to_string().contains("win@solvers.org"), "no email: {p}");
    let page = Visitor::new(app).html(&format!("/solvers/{id}")).await;
    assert!(
        page.contains("Floating filters") && page.contains("300.00"),
        "{page}"
    );

    // The co-author stays anonymous on that entry: their profile shows none of it.
    let co = me(&w, &a.coauthor).await;
    let co_id = co["id"].as_str().unwrap_or_default().to_owned();
    let entry = p["solutions"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = app
        .patch(
            &format!("/api/v1/submissions/{entry}/team/members/{co_id}"),
            Some(&a.coauthor.access),
            json!({ "anonymous": true }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let r = app
        .patch(
            "/api/v1/me",
            Some(&a.coauthor.access),
            json!({ "public_profile": true }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let q = app
        .get_json(&format!("/api/v1/solvers/{co_id}"), None)
        .await;
    assert_eq!(q["solutions"], json!([]), "{q}");
    assert_eq!(q["prizes"], json!([]), "{q}");

    // And off again.
    let r = app
        .patch(
            "/api/v1/me",
            Some(&a.winner.access),
            json!({ "public_profile": false }),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.get(&api, None).await.status(), 404);
}
