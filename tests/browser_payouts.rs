//! Real Chromium through chromedriver, with the manual provider: results
//! are out (played over the API); a platform admin records a failed
//! transfer with its reason, then each payout and the refund as paid on the
//! payouts page; the winner sees "Paid" on their dashboard; the
//! organisation's page says the challenge is settled. Screenshots at laptop
//! and phone widths land in target/screenshots.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver. Without them the test
//! says so and passes, unless TRIBU_TEST_REQUIRE_ALL=1 (CI) makes it fail.

mod common;

use common::browser::{browser, click, fill, go, sign_in, sign_out, snap, text, wait_text};
use common::fixtures::World;
use fantoccini::{Client, Locator};

/// The first row of a list whose state is `status`, and its id.
async fn first_row(c: &Client, list: &str, status: &str) -> Option<String> {
    let css = format!("#{list} li:has([data-status='{status}'])");
    let el = c.find(Locator::Css(&css)).await.ok()?;
    el.attr("id").await.ok().flatten()
}

#[tokio::test]
async fn an_admin_records_the_payouts_and_the_refund_and_the_challenge_settles() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let w = World::new().await;
    let app = &w.app;
    let a = w.awarded().await;

    // The admin's page lists two pending payouts and the pending refund.
    sign_in(&c, app, "admin@tribu.org", "/admin/payouts").await;
    let page = wait_text(&c, "Payouts to solvers").await;
    assert!(
        page.contains("Wyn Winner") && page.contains("Cora Author"),
        "{page}"
    );
    assert!(page.contains("Unawarded rest"));
    snap(&c, "payouts-admin-1280", 1280).await;
    snap(&c, "payouts-admin-390", 390).await;

    // An empty reference is refused on its row, and nothing moves.
    let row = first_row(&c, "payouts", "pending")
        .await
        .unwrap_or_default();
    click(
        &c,
        &format!("#{row} form[action$='/paid'] button[type=submit]"),
    )
    .await;
    wait_text(&c, "Give the reference of the transfer").await;

    // A bounced transfer, recorded with its reason.
    click(&c, &format!("#{row} details summary")).await;
    fill(&c, &format!("#{row} input[name=reason]"), "IBAN closed").await;
    click(
        &c,
        &format!("#{row} form[action$='/failed'] button[type=submit]"),
    )
    .await;
    wait_text(&c, "Recorded as failed").await;

    // Then every payout and the refund, paid.
    for (list, status) in [
        ("payouts", "failed"),
        ("payouts", "pending"),
        ("refunds", "pending"),
    ] {
        let row = first_row(&c, list, status)
            .await
            .unwrap_or_else(|| panic!("a {status} row in {list}"));
        fill(
            &c,
            &format!("#{row} input[name=reference]"),
            "SEPA-2026-0042",
        )
        .await;
        click(
            &c,
            &format!("#{row} form[action$='/paid'] button[type=submit]"),
        )
        .await;
        wait_text(&c, "Recorded as paid").await;
    }
    assert!(first_row(&c, "payouts", "pending").await.is_none());
    assert!(first_row(&c, "refunds", "pending").await.is_none());
    // The money report: nothing outstanding any more.
    go(&c, app, "/admin/money").await;
    let report = wait_text(&c, "Cleaner harbours").await;
    assert!(
        report.contains("1 000.00") || report.contains("1\u{202f}000.00"),
        "{report}"
    );
    snap(&c, "money-admin-1280", 1280).await;
    snap(&c, "money-admin-390", 390).await;
    sign_out(&c).await;

    // The winner's dashboard says paid.
    let _ = &a.winner;
    sign_in(&c, app, "win@solvers.org", "/me/submissions").await;
    let dash = wait_text(&c, "Your prizes").await;
    assert!(dash.contains("Paid"), "{dash}");
    snap(&c, "payouts-winner-390", 390).await;
    sign_out(&c).await;

    // The organisation's page: settled.
    sign_in(
        &c,
        app,
        common::fixtures::OWNER,
        &format!("/manage/challenges/{}", a.slug),
    )
    .await;
    let manage = text(&c).await;
    assert!(
        manage.contains("Settled: every prize and the refund are paid."),
        "{manage}"
    );
    go(&c, app, &format!("/challenges/{}", a.slug)).await;
    let public = text(&c).await;
    assert!(public.contains("The results are published"), "{public}");
    w.assert_ledger_balanced();
}
