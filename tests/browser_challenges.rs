//! Real Chromium: an organisation creates a challenge in the step form and
//! asks to fund it, a platform admin confirms the money, the organisation
//! publishes; a visitor finds it by search and registers.

mod common;

use common::browser::{
    browser, click, confirm_funding, create_challenge, shot, sign_in, sign_out, wait_path,
    wait_text, NewChallenge,
};
use common::{TestApp, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn create_fund_confirm_publish_find_and_register() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    // Accounts and the organisation through the API; the story itself in the browser.
    let owner = app.signed_in("owner@river.org", "Rita Owner").await;
    app.post(
        "/api/v1/orgs",
        Some(&owner.access),
        json!({ "slug": "river-trust", "name": "River Trust" }),
    )
    .await;
    app.signed_in("admin@tribu.org", "Ada Admin").await;
    {
        let mut conn = app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        tribu::auth::service::create_admin(&mut conn, "admin@tribu.org", "Ada Admin", None)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    app.signed_in("visitor@example.org", "Vera Visitor").await;

    // The organisation fills the step form.
    sign_in(&c, &app, "owner@river.org", "/orgs").await;
    create_challenge(
        &c,
        &app,
        &NewChallenge {
            org: "river-trust",
            title: "Otter-safe fish ladders",
            slug: "otter-ladders",
            tiers: &[("Winner", "2500")],
        },
    )
    .await;

    // Publishing before funding is refused with a clear message.
    click(&c, "form[action$='/publish'] button[type=submit]").await;
    wait_text(&c, "escrow").await;
    // Ask to fund.
    click(&c, "form[action$='/funding'] button[type=submit]").await;
    wait_text(&c, "TRIBU-").await;
    shot(&c, "funding-requested").await;
    sign_out(&c).await;

    // The platform admin confirms the money arrived.
    sign_in(&c, &app, "admin@tribu.org", "/orgs").await;
    confirm_funding(&c, &app, "Otter-safe fish ladders").await;
    shot(&c, "admin-confirmed").await;
    sign_out(&c).await;

    // The organisation publishes.
    sign_in(&c, &app, "owner@river.org", "/orgs").await;
    c.goto(&app.url("/manage/challenges/otter-ladders"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&c, "form[action$='/publish'] button[type=submit]").await;
    let v: serde_json::Value = {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let v: serde_json::Value = app
                .get("/api/v1/challenges/otter-ladders", None)
                .await
                .json()
                .await
                .unwrap_or_default();
            if v["state"] == "open" || std::time::Instant::now() > deadline {
                break v;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    assert_eq!(v["state"], "open", "{v}");
    assert_eq!(v["escrow"]["fully_funded"], true);
    sign_out(&c).await;

    // A visitor finds it by search and registers.
    sign_in(&c, &app, "visitor@example.org", "/orgs").await;
    c.goto(&app.url("/challenges?q=otters"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_text(&c, "Otter-safe fish ladders").await;
    shot(&c, "search-results").await;
    click(&c, "a[href='/challenges/otter-ladders']").await;
    wait_path(&c, "/challenges/otter-ladders").await;
    let body = wait_text(&c, "Otter-safe fish ladders").await;
    assert!(
        body.contains("2") && body.to_lowercase().contains("escrow"),
        "escrow badge shown: {body}"
    );
    click(&c, "form[action$='/register'] input[name=accept_rules]").await;
    click(&c, "form[action$='/register'] button[type=submit]").await;
    wait_path(&c, "/challenges/otter-ladders").await;
    shot(&c, "registered").await;
    let t = app.login("visitor@example.org", PASSWORD).await;
    let mine: serde_json::Value = {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let v: serde_json::Value = app
                .get("/api/v1/me/registrations", Some(&t.access))
                .await
                .json()
                .await
                .unwrap_or_default();
            if v["data"].as_array().is_some_and(|d| !d.is_empty())
                || std::time::Instant::now() > deadline
            {
                break v;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    assert_eq!(
        mine["data"][0]["challenge"]["slug"], "otter-ladders",
        "{mine}"
    );
    assert_eq!(mine["data"][0]["rules_version"], 1);
    let _ = c.close().await;
}
