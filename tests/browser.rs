//! Real Chromium, driven through chromedriver: sign up → open the verification
//! link from the `.eml` file → sign in → create an organisation.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver. Without them the test
//! says so and passes, unless TRIBU_TEST_REQUIRE_ALL=1 (CI) makes it fail.

mod common;

use common::browser::{browser, fill, header_fits, shot, sign_out, submit, wait_path, wait_text};
use common::{TestApp, PASSWORD};
use fantoccini::Locator;

#[tokio::test]
async fn sign_up_verify_sign_in_and_create_an_organisation() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn().await;

    c.goto(&app.url("/signup"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(&c, "input[name=display_name]", "Grace Hopper").await;
    fill(&c, "input[name=email]", "grace@example.org").await;
    fill(&c, "input[name=password]", PASSWORD).await;
    shot(&c, "signup").await;
    submit(&c).await;
    // The check-email page names the address.
    wait_text(&c, "grace@example.org").await;

    // The verification link, read from the .eml file the worker wrote.
    let mail = app
        .wait_for_email("grace@example.org", "/verify-email?token=")
        .await;
    let token = common::link_token(&mail, "/verify-email?token=").unwrap_or_default();
    c.goto(&app.url(&format!("/verify-email?token={token}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    shot(&c, "verified").await;
    assert!(
        c.find(Locator::Css("a[href^='/login']")).await.is_ok(),
        "verified page links to sign in"
    );

    sign_in_as_grace(&c, &app).await;
    // A new solver lands on their own dashboard.
    wait_path(&c, "/me/submissions").await;
    wait_text(&c, "Grace Hopper").await;
    header_fits(&c).await;

    c.goto(&app.url("/orgs/new"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(&c, "input[name=name]", "Compiler Guild").await;
    fill(&c, "input[name=slug]", "compiler-guild").await;
    submit(&c).await;
    wait_path(&c, "/orgs/compiler-guild").await;
    let body = wait_text(&c, "Compiler Guild").await;
    assert!(body.contains("grace@example.org"), "{body}");
    shot(&c, "org-members").await;
    // The header keeps to one line at laptop width and folds behind a menu
    // button on a phone.
    header_fits(&c).await;

    // The same organisation is visible through the API with the owner role.
    let t = app.login("grace@example.org", PASSWORD).await;
    let v: serde_json::Value = app
        .get("/api/v1/orgs/compiler-guild", Some(&t.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(v["role"], "owner");

    // Sign out from the header.
    sign_out(&c).await;
    // Back again: a member of an organisation lands on its challenges.
    sign_in_as_grace(&c, &app).await;
    wait_path(&c, "/orgs/compiler-guild/challenges").await;
    sign_out(&c).await;
    c.goto(&app.url("/settings"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_path(&c, "/login").await;
    let _ = c.close().await;
}

/// Signs in through the form with no `next`: where the person lands is
/// the app's choice.
async fn sign_in_as_grace(c: &fantoccini::Client, app: &TestApp) {
    c.goto(&app.url("/login"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    fill(c, "input[name=email]", "grace@example.org").await;
    fill(c, "input[name=password]", PASSWORD).await;
    submit(c).await;
}
