//! The whole life of a challenge with the manual provider, through the
//! pages in real Chromium: a solver signs up and verifies the address; the
//! organisation creates the challenge in the step form and asks to fund it;
//! a platform admin confirms the money; the organisation publishes and
//! attaches a data set; solvers register and enter (one with a co-author
//! who, not registered yet, accepts the rules and joins from the invitation
//! link); the organisation invites a judge, who accepts from the email link;
//! after the deadline the organisation sets up a round, the judge scores,
//! the organisation closes the round and publishes results with the second
//! tier withheld; a platform admin records a failed transfer with its
//! reason, then each payout and the refund as paid, and suspends then
//! reinstates an account; the winner sees "Paid"; the challenge is settled.
//! The other accounts are made over the API and the clock is moved past the
//! deadline. It runs at laptop and phone width; each page reached is checked
//! and photographed into target/screenshots (`lifecycle-{width}-…`).
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver. Without them the test
//! says so and passes, unless TRIBU_TEST_REQUIRE_ALL=1 (CI) makes it fail.

mod common;

use common::browser::{
    browser, click, confirm_funding, confirm_submit, create_challenge, fill, find, go, header_fits,
    path, propose_leader_and_withhold, sign_in, sign_out, text, wait_path, wait_submission_path,
    wait_text, NewChallenge, Walk,
};
use common::fixtures::{World, ORG, OWNER};
use common::TestApp;
use fantoccini::{Client, Locator};

const SLUG: &str = "cleaner-harbours";
const WINNER: &str = "win@solvers.org";
const COAUTHOR: &str = "co@solvers.org";
const OTHER: &str = "other@solvers.org";
const JUDGE: &str = "jay@judges.org";

/// The first row of a list whose state is `status`, and its id.
async fn first_row(c: &Client, list: &str, status: &str) -> Option<String> {
    let css = format!("#{list} li:has([data-status='{status}'])");
    let el = c.find(Locator::Css(&css)).await.ok()?;
    el.attr("id").await.ok().flatten()
}

/// Signs in as `email` on the challenge page and registers, accepting the rules.
async fn register(c: &Client, app: &TestApp, email: &str) {
    let page = format!("/challenges/{SLUG}");
    sign_in(c, app, email, &page).await;
    click(c, "form[action$='/register'] input[name=accept_rules]").await;
    click(c, "form[action$='/register'] button[type=submit]").await;
    wait_text(c, "You are registered for this challenge").await;
}

/// Enters `title` through the entry form (already registered and signed in);
/// returns the submission's id from the receipt's address.
async fn enter(c: &Client, app: &TestApp, title: &str) -> String {
    go(c, app, &format!("/challenges/{SLUG}/submit")).await;
    fill(c, "input[name=title]", title).await;
    fill(
        c,
        "textarea[name=abstract]",
        &format!("{title}, in one line."),
    )
    .await;
    fill(
        c,
        "textarea[name=body]",
        "## How\n\nNets on floats, emptied weekly.",
    )
    .await;
    find(c, "select[name=licence]")
        .await
        .select_by_value("CC-BY-4.0")
        .await
        .unwrap_or_else(|e| panic!("licence: {e}"));
    click(c, "input[name=publish_opt_in]").await;
    click(c, "button[value=submit]").await;
    wait_submission_path(c, "/receipt").await
}

/// The id at the end of the current path, after `prefix`.
async fn id_after(c: &Client, prefix: &str) -> String {
    let p = path(c).await;
    p.strip_prefix(prefix)
        .unwrap_or_else(|| panic!("expected {prefix}…, on {p}"))
        .to_owned()
}

#[tokio::test]
async fn a_challenge_lives_from_the_step_form_to_settled_at_laptop_width() {
    lifecycle(1280).await;
}

#[tokio::test]
async fn a_challenge_lives_from_the_step_form_to_settled_at_phone_width() {
    lifecycle(390).await;
}

/// The whole walk at one window width; every page reached is checked (no
/// error status, no red box, nothing wider than the window) and
/// photographed into target/screenshots as `lifecycle-{width}-…`.
async fn lifecycle(width: u32) {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let mut walk = Walk::new(&c, "lifecycle", width).await;
    let walk = &mut walk;
    let w = World::new().await;
    let app = &w.app;
    for (email, name) in [
        (COAUTHOR, "Cora Author"),
        (OTHER, "Otto Other"),
        (JUDGE, "Jay Judge"),
    ] {
        app.signed_in(email, name).await;
    }

    // The future winner signs up through the pages and verifies the address.
    go(&c, app, "/signup").await;
    walk.page(&c, "solver-signup").await;
    fill(&c, "input[name=display_name]", "Wyn Winner").await;
    fill(&c, "input[name=email]", WINNER).await;
    fill(&c, "input[name=password]", common::PASSWORD).await;
    click(&c, "main form button[type=submit]").await;
    wait_text(&c, WINNER).await;
    walk.page(&c, "solver-check-email").await;
    let token = app.token_from_email(WINNER, "/verify-email?token=").await;
    go(&c, app, &format!("/verify-email?token={token}")).await;
    walk.page(&c, "solver-verified").await;

    // The organisation creates the challenge and asks to fund it.
    sign_in(&c, app, OWNER, "/orgs").await;
    create_challenge(
        &c,
        app,
        &NewChallenge {
            org: ORG,
            title: "Cleaner harbours",
            slug: SLUG,
            tiers: &[("Winner", "600"), ("Runner-up", "400")],
        },
    )
    .await;
    walk.page(&c, "org-challenge-created").await;
    click(&c, "form[action$='/funding'] button[type=submit]").await;
    wait_text(&c, "TRIBU-").await;
    walk.page(&c, "org-funding-requested").await;
    sign_out(&c).await;

    // A platform admin confirms the money; the organisation publishes.
    sign_in(&c, app, "admin@tribu.org", "/orgs").await;
    // An admin's header, the longest, still keeps to one line.
    if width >= 1280 {
        header_fits(&c).await;
    }
    go(&c, app, "/admin").await;
    walk.page(&c, "admin-queues").await;
    confirm_funding(&c, app, "Cleaner harbours").await;
    walk.page(&c, "admin-funding-confirmed").await;
    sign_out(&c).await;
    let manage = format!("/manage/challenges/{SLUG}");
    sign_in(&c, app, OWNER, &manage).await;
    click(&c, "form[action$='/publish'] button[type=submit]").await;
    wait_text(&c, "The challenge is open").await;
    walk.page(&c, "org-published").await;
    // It attaches the data set solvers will work from, for everyone.
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let csv = data.path().join("harbour-samples.csv");
    std::fs::write(&csv, "week,site,litres\n1,north,420\n2,north,390\n")
        .unwrap_or_else(|e| panic!("{e}"));
    click(&c, "form.m-upload input[name=public]").await;
    find(&c, "#resource-file")
        .await
        .send_keys(&csv.display().to_string())
        .await
        .unwrap_or_else(|e| panic!("file: {e}"));
    click(&c, "form.m-upload button[type=submit]").await;
    wait_text(&c, "The file is attached.").await;
    walk.page(&c, "org-resource-added").await;
    sign_out(&c).await;
    w.assert_ledger_balanced();

    // The winner registers, enters and invites a co-author.
    register(&c, app, WINNER).await;
    wait_text(&c, "harbour-samples.csv").await;
    walk.page(&c, "solver-registered").await;
    let entry = enter(&c, app, "Floating filters").await;
    walk.page(&c, "solver-receipt").await;
    go(&c, app, &format!("/submissions/{entry}")).await;
    fill(&c, "input[name=email]", COAUTHOR).await;
    click(&c, "form[action$='/team/invite'] button[type=submit]").await;
    wait_text(&c, "The invitation was sent").await;
    walk.page(&c, "solver-coauthor-invited").await;
    sign_out(&c).await;
    let invite = app.token_from_email(COAUTHOR, "/team-invitations/").await;

    // The co-author, not registered yet, accepts the rules and joins in one
    // step from the invitation link.
    let here = format!("/team-invitations/{invite}");
    sign_in(&c, app, COAUTHOR, &here).await;
    click(&c, "form[action$='/accept'] input[name=accept_rules]").await;
    walk.page(&c, "coauthor-invitation").await;
    click(&c, "form[action$='/accept'] button[type=submit]").await;
    wait_path(&c, &format!("/submissions/{entry}")).await;
    let team = wait_text(&c, "Welcome to the team").await;
    assert!(
        team.contains("Cora Author") && team.contains("50%"),
        "{team}"
    );
    walk.page(&c, "coauthor-joined").await;
    sign_out(&c).await;

    // Another solver enters too.
    register(&c, app, OTHER).await;
    enter(&c, app, "Harbour drones").await;
    sign_out(&c).await;

    // The organisation invites a judge on its judging console.
    let console = format!("/manage/challenges/{SLUG}/judging");
    sign_in(&c, app, OWNER, &console).await;
    fill(&c, "#judge-email", JUDGE).await;
    click(&c, "form[action$='/judging/judges'] button[type=submit]").await;
    wait_text(&c, "jay@judges.org").await;
    walk.page(&c, "org-judge-invited").await;
    go(&c, app, &format!("/orgs/{ORG}/webhooks")).await;
    walk.page(&c, "org-webhooks").await;
    sign_out(&c).await;
    let token = app.token_from_email(JUDGE, "/judge-invitations/").await;
    let invitation = format!("/judge-invitations/{token}");
    sign_in(&c, app, JUDGE, &invitation).await;
    walk.page(&c, "judge-invitation").await;
    click(
        &c,
        &format!("form[action='{invitation}/accept'] button[type=submit]"),
    )
    .await;
    wait_path(&c, "/judging").await;
    sign_out(&c).await;

    // The deadline passes; the organisation sets up a round of one judge
    // per entry and opens it.
    w.close_submissions(SLUG);
    sign_in(&c, app, OWNER, &console).await;
    fill(&c, "#round-name", "Final").await;
    fill(&c, "#round-k", "1").await;
    fill(&c, "input[name='c0.name']", "Impact").await;
    fill(&c, "input[name='c1.name']", "Feasibility").await;
    click(&c, "form[action$='/judging/rounds'] button[type=submit]").await;
    wait_text(&c, "Round created").await;
    let round = format!("/manage/rounds/{}", id_after(&c, "/manage/rounds/").await);
    click(
        &c,
        &format!("form[action='{round}/open'] button[type=submit]"),
    )
    .await;
    wait_text(&c, "0/2").await;
    walk.page(&c, "org-round-open").await;
    sign_out(&c).await;

    // The judge scores both entries: the filters clearly first.
    sign_in(&c, app, JUDGE, "/judging").await;
    wait_text(&c, "0 of 2").await;
    walk.page(&c, "judge-workspace").await;
    let mut links = Vec::new();
    for a in c
        .find_all(Locator::Css("a[href^='/judging/assignments/']"))
        .await
        .unwrap_or_default()
    {
        if let Ok(Some(h)) = a.attr("href").await {
            links.push(h);
        }
    }
    assert_eq!(links.len(), 2, "{links:?}");
    for link in &links {
        go(&c, app, link).await;
        let page = wait_text(&c, "Impact").await;
        walk.page(&c, "judge-scorecard").await;
        let score = if page.contains("Floating filters") {
            "9"
        } else {
            "4"
        };
        for input in c
            .find_all(Locator::Css("input[id^='score-']"))
            .await
            .unwrap_or_default()
        {
            input.clear().await.unwrap_or_else(|e| panic!("{e}"));
            input
                .send_keys(score)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        click(&c, "button[name=submit][value='1']").await;
        wait_text(&c, "Scorecard submitted").await;
    }
    sign_out(&c).await;

    // The organisation closes the round and publishes: the filters take
    // tier 1; tier 2 is withheld, so its 400.00 goes back.
    sign_in(&c, app, OWNER, &round).await;
    wait_text(&c, "2/2").await;
    confirm_submit(
        &c,
        &format!("form[action='{round}/close'] button[type=submit]"),
    )
    .await;
    wait_text(&c, "Leaderboard").await;
    walk.page(&c, "org-leaderboard").await;
    propose_leader_and_withhold(&c, &entry, 2).await;
    confirm_submit(
        &c,
        &format!("form[action='{round}/results'] button[type=submit]"),
    )
    .await;
    wait_path(&c, &format!("/challenges/{SLUG}/results")).await;
    walk.page(&c, "org-results").await;
    sign_out(&c).await;
    w.assert_ledger_balanced();
    // The winners are told by email that a prize awaits them.
    app.wait_for_email(WINNER, "your entry won").await;

    // The admin's page lists two pending payouts and the pending refund.
    sign_in(&c, app, "admin@tribu.org", "/admin/payouts").await;
    let page = wait_text(&c, "Payouts to solvers").await;
    assert!(
        page.contains("Wyn Winner") && page.contains("Cora Author"),
        "{page}"
    );
    assert!(page.contains("Unawarded rest"));
    walk.page(&c, "admin-payouts").await;

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
    walk.page_with_error(&c, "admin-payout-refused").await;

    // A bounced transfer, recorded with its reason.
    click(&c, &format!("#{row} details summary")).await;
    fill(&c, &format!("#{row} input[name=reason]"), "IBAN closed").await;
    click(
        &c,
        &format!("#{row} form[action$='/failed'] button[type=submit]"),
    )
    .await;
    wait_text(&c, "Recorded as failed").await;
    walk.page(&c, "admin-payout-failed").await;

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
    walk.page(&c, "admin-money").await;
    // A solver who misbehaves is found and suspended, then reinstated.
    go(&c, app, "/admin/users").await;
    fill(&c, "#user-q", OTHER).await;
    click(&c, "form[role=search] button[type=submit]").await;
    wait_text(&c, "Otto Other").await;
    confirm_submit(&c, "form[action$='/suspend'] button[type=submit]").await;
    wait_text(&c, "The account is suspended.").await;
    walk.page(&c, "admin-user-suspended").await;
    click(&c, "form[action$='/reinstate'] button[type=submit]").await;
    wait_text(&c, "The account is reinstated.").await;
    sign_out(&c).await;

    // The winner's dashboard says paid.
    sign_in(&c, app, WINNER, "/me/submissions").await;
    let dash = wait_text(&c, "Your prizes").await;
    assert!(dash.contains("Paid"), "{dash}");
    walk.page(&c, "solver-prize-paid").await;
    sign_out(&c).await;

    // The organisation's page: settled.
    sign_in(&c, app, OWNER, &manage).await;
    let manage = text(&c).await;
    walk.page(&c, "org-settled").await;
    assert!(
        manage.contains("Settled: every prize and the refund are paid."),
        "{manage}"
    );
    go(&c, app, &format!("/challenges/{SLUG}")).await;
    let public = text(&c).await;
    assert!(public.contains("The results are published"), "{public}");
    walk.page(&c, "visitor-challenge-settled").await;
    w.assert_ledger_balanced();
}
