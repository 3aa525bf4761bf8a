//! A visitor's journey in real Chromium, at laptop and phone width: from
//! the home page to a winning solution, then, signed up as a new solver,
//! to a new entry that builds on it (issue 11). Every page reached is
//! checked (no error status, no red box, nothing wider than the window)
//! and photographed into target/screenshots as `visitor-{width}-…`. The
//! organisation's, the co-author's, the judge's and the admin's walks are
//! in `browser_payouts.rs`.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver. Without them the test
//! says so and passes, unless TRIBU_TEST_REQUIRE_ALL=1 (CI) makes it fail.

mod common;

use common::browser::{
    browser, click, fill, find, go, sign_in, submit, wait_path, wait_submission_path, wait_text,
    Walk,
};
use common::fixtures::World;
use common::PASSWORD;
use serde_json::json;

#[tokio::test]
async fn a_visitor_finds_a_winning_solution_and_builds_on_it_at_laptop_width() {
    visitor(1280).await;
}

#[tokio::test]
async fn a_visitor_finds_a_winning_solution_and_builds_on_it_at_phone_width() {
    visitor(390).await;
}

async fn visitor(width: u32) {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let w = World::new().await;
    let app = &w.app;
    let won = w.awarded().await;
    let lakes = w
        .open_challenge(
            "Cleaner lakes",
            json!({ "allowed_licences": ["CC-BY-4.0", "MIT"] }),
        )
        .await;
    let mut walk = Walk::new(&c, "visitor", width).await;

    // From the home page to the published results and the winning entry.
    go(&c, app, "/").await;
    walk.page(&c, "home").await;
    go(&c, app, "/challenges").await;
    wait_text(&c, "Cleaner lakes").await;
    walk.page(&c, "challenges").await;
    go(&c, app, &format!("/challenges/{}", won.slug)).await;
    walk.page(&c, "challenge-with-results").await;
    go(&c, app, &format!("/challenges/{}/results", won.slug)).await;
    wait_text(&c, "Floating filters").await;
    walk.page(&c, "results").await;
    click(&c, "main a[href^='/submissions/']").await;
    let source = wait_submission_path(&c, "").await;
    wait_text(&c, "Floating filters").await;
    walk.page(&c, "winning-solution").await;
    click(&c, ".s-build-on").await;
    let build_on = format!("/submissions/{source}/build-on");
    wait_path(&c, &build_on).await;
    wait_text(&c, "Cleaner lakes").await;
    walk.page(&c, "build-on").await;

    // To start an entry they sign up, verify their address and register.
    go(&c, app, &format!("/signup?next={build_on}")).await;
    walk.page(&c, "signup").await;
    fill(&c, "input[name=display_name]", "Lia Novak").await;
    fill(&c, "input[name=email]", "lia@solvers.org").await;
    fill(&c, "input[name=password]", PASSWORD).await;
    submit(&c).await;
    wait_text(&c, "lia@solvers.org").await;
    walk.page(&c, "signup-check-email").await;
    let token = app
        .token_from_email("lia@solvers.org", "/verify-email?token=")
        .await;
    go(&c, app, &format!("/verify-email?token={token}")).await;
    walk.page(&c, "verified").await;
    sign_in(&c, app, "lia@solvers.org", &format!("/challenges/{lakes}")).await;
    walk.page(&c, "open-challenge").await;
    click(&c, "form[action$='/register'] input[name=accept_rules]").await;
    click(&c, "form[action$='/register'] button[type=submit]").await;
    wait_text(&c, "You are registered for this challenge").await;
    walk.page(&c, "registered").await;

    // The entry form names the source and starts with its attribution.
    go(&c, app, &build_on).await;
    click(&c, "a[href*='builds_on=']").await;
    wait_text(&c, "This entry builds on").await;
    walk.page(&c, "entry-form-from-source").await;
    fill(&c, "input[name=title]", "Floating filters for lakes").await;
    fill(
        &c,
        "textarea[name=abstract]",
        "The harbour filters, anchored for still water.",
    )
    .await;
    find(&c, "select[name=licence]")
        .await
        .select_by_value("CC-BY-4.0")
        .await
        .unwrap_or_else(|e| panic!("licence: {e}"));
    click(&c, "button[value=submit]").await;
    let entry = wait_submission_path(&c, "/receipt").await;
    walk.page(&c, "receipt").await;
    go(&c, app, &format!("/submissions/{entry}")).await;
    let page = wait_text(&c, "Builds on").await;
    assert!(
        page.contains("Floating filters") && page.contains("by Wyn Winner, Cora Author"),
        "{page}"
    );
    walk.page(&c, "derived-entry").await;
    go(&c, app, "/me/submissions").await;
    walk.page(&c, "dashboard").await;
    // What reached them: their registration, its receipt; their choices.
    go(&c, app, "/notifications").await;
    wait_text(&c, "You are registered").await;
    walk.page(&c, "notifications").await;
    go(&c, app, "/settings/notifications").await;
    walk.page(&c, "notification-settings").await;
    go(&c, app, "/settings").await;
    walk.page(&c, "settings").await;
}

/// The walks' checks fail where a person would: an error status, a red
/// box, something wider than the window.
#[tokio::test]
async fn the_walk_fails_on_what_a_person_would_call_broken() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let app = common::TestApp::spawn().await;
    let red = "document.querySelector('main').insertAdjacentHTML('beforeend', \
               '<div class=\"notice notice-error\">Broken</div>')";
    // Through the CSSOM: the pages' CSP refuses inline style attributes.
    let wide = "const d = document.createElement('div'); d.textContent = 'Too wide'; \
                d.style.width = '2000px'; document.querySelector('main').append(d)";
    for (path, script) in [("/no-such-page", ""), ("/", red), ("/", wide), ("/", "")] {
        go(&c, &app, path).await;
        if !script.is_empty() {
            c.execute(script, vec![])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let c2 = c.clone();
        let checked = tokio::spawn(async move {
            let mut walk = Walk::new(&c2, "selfcheck", 390).await;
            walk.page(&c2, "page").await;
        })
        .await;
        assert_eq!(
            checked.is_ok(),
            script.is_empty() && path == "/",
            "{path} {script}"
        );
    }
}
