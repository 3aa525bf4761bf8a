//! The cache of anonymous reads (`src/cache.rs`) is exact: a change shows in
//! the very next answer, signed-in people never get a stored answer, and a
//! stored page hands each visitor their own CSRF token.

mod common;

use common::fixtures::{World, OWNER};
use common::visitor::Visitor;
use serde_json::{json, Value};

fn field(list: &Value, name: &str) -> Vec<String> {
    list["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c[name].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn titles(list: &Value) -> Vec<String> {
    field(list, "title")
}

#[tokio::test]
async fn a_change_shows_in_the_next_anonymous_answer() {
    let w = World::new().await;
    let slug = w.open_challenge("Lighthouse maps", json!({})).await;
    let list = "/api/v1/challenges?limit=20";
    let page = format!("/challenges/{slug}");
    let v = Visitor::new(&w.app);
    for _ in 0..3 {
        assert_eq!(
            titles(&w.app.get_json(list, None).await),
            ["Lighthouse maps"]
        );
        assert!(v.html(&page).await.contains("Lighthouse maps"));
    }
    assert!(!w.app.state.cache.is_empty(), "the answers above were kept");

    let r = w
        .app
        .patch(
            &format!("/api/v1/challenges/{slug}"),
            Some(&w.owner.access),
            json!({ "summary": "Charts of every harbour, drawn by sailors." }),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        field(&w.app.get_json(list, None).await, "summary"),
        ["Charts of every harbour, drawn by sailors."]
    );
    let html = v.html(&page).await;
    assert!(
        html.contains("Charts of every harbour"),
        "the page changed at once"
    );

    // A second challenge appears in the list the moment it is published.
    w.open_challenge("Tide tables", json!({})).await;
    let now = titles(&w.app.get_json(list, None).await);
    assert!(now.contains(&"Tide tables".to_owned()), "{now:?}");
}

#[tokio::test]
async fn signed_in_people_and_each_visitor_get_their_own_page() {
    let w = World::new().await;
    let slug = w.open_challenge("Shared shelters", json!({})).await;
    let page = format!("/challenges/{slug}");
    // Two visitors in a row: the second one's page comes from the cache,
    // yet it gets a token of its own, and any token in the page is the one
    // its own cookie holds.
    let mut seen = Vec::new();
    for _ in 0..2 {
        let v = Visitor::new(&w.app);
        let r = v.get(&page).await;
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|c| c.to_str().ok())
            .find_map(|c| c.strip_prefix("tribu_csrf="))
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
            .unwrap_or_default();
        assert!(!cookie.is_empty(), "a new visitor gets a token");
        assert!(!seen.contains(&cookie), "a token of its own");
        seen.push(cookie.clone());
        let html = r.text().await.unwrap_or_default();
        for token in html.split("name=\"csrf\" value=\"").skip(1) {
            let token = token.split('"').next().unwrap_or_default();
            assert_eq!(token, cookie, "a page carries its visitor's own token");
        }
    }
    // The organiser, signed in, sees the page as themself, not a stored one.
    let owner = Visitor::signed_in(&w.app, OWNER).await;
    let html = owner.html(&page).await;
    assert!(html.contains("/logout"), "signed in, not an anonymous copy");
}
