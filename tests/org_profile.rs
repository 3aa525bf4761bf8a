//! An organisation's public page (issue 11): its open and past challenges
//! and the prizes it has awarded, for visitors, instead of a sign-in wall.

mod common;

use common::fixtures::{slug_of, World, ORG, OWNER};
use common::visitor::{location, Visitor};
use serde_json::{json, Value};

fn titles(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|c| c["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn visitors_see_an_organisations_challenges_and_what_it_awarded() {
    let w = World::new().await;
    let app = &w.app;
    w.awarded().await; // "Cleaner harbours": 600.00 awarded, 400.00 withheld
    w.open_challenge("Still open", json!({})).await;
    w.draft("Secret draft", json!({})).await;
    let gone = slug_of(
        &w.launch(World::challenge_body(
            "Called off",
            chrono::Duration::days(9),
            json!({}),
        ))
        .await,
    );
    w.cancel(&gone, "Called off.").await;

    let p = app
        .get_json(&format!("/api/v1/orgs/{ORG}/profile"), None)
        .await;
    assert_eq!(p["organisation"]["name"], "Open Lab");
    assert_eq!(titles(&p["open"]), vec!["Still open"], "{p}");
    assert_eq!(titles(&p["past"]), vec!["Cleaner harbours"], "{p}");
    assert_eq!(
        p["awarded"],
        json!([{ "amount": 60000, "currency": "EUR" }]),
        "{p}"
    );
    let r = app.get("/api/v1/orgs/no-such-org/profile", None).await;
    assert_eq!(r.status(), 404);

    // A visitor following the organisation's address lands on its page.
    let v = Visitor::new(app);
    let r = v.get(&format!("/orgs/{ORG}")).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/organisations/{ORG}"));
    let page = v.html(&format!("/organisations/{ORG}")).await;
    assert!(
        page.contains("Still open") && page.contains("Cleaner harbours"),
        "{page}"
    );
    assert!(page.contains("600.00"), "{page}");
    assert!(!page.contains("Secret draft") && !page.contains("Called off"));
    // Someone outside it too; its members still get their members page.
    app.signed_in("out@example.org", "Outsider").await;
    let r = Visitor::signed_in(app, "out@example.org")
        .await
        .get(&format!("/orgs/{ORG}"))
        .await;
    assert_eq!(location(&r), format!("/organisations/{ORG}"));
    let (status, members) = Visitor::signed_in(app, OWNER)
        .await
        .page(&format!("/orgs/{ORG}"))
        .await;
    assert_eq!(status, 200);
    assert!(members.contains(OWNER), "{members}");
    // The challenge page names the organisation with a link to its page.
    let page = v.html("/challenges/still-open").await;
    assert!(
        page.contains(&format!("href=\"/organisations/{ORG}\"")),
        "{page}"
    );
}
