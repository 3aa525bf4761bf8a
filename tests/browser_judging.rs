//! Real Chromium through chromedriver: a judge accepts the invitation from
//! the email link, declares a conflict and scores two entries from the
//! keyboard-friendly form; the organisation closes the round on its console
//! and publishes results with the second tier withheld; a visitor opens the
//! results page and the winning solution with its licence. Entries and the
//! second judge's scorecards go through the API. Screenshots at laptop and
//! phone widths land in target/screenshots.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver. Without them the test
//! says so and passes, unless TRIBU_TEST_REQUIRE_ALL=1 (CI) makes it fail.

mod common;

use std::collections::BTreeMap;

use common::browser::{
    browser, click, confirm_submit, fill, find, go, propose_leader_and_withhold, sign_in, sign_out,
    snap, text, wait_path, wait_text,
};
use common::fixtures::{id_of, World, OWNER};
use fantoccini::Locator;
use serde_json::{json, Value};

const JO: &str = "jo@judges.org";
const KIM: &str = "kim@judges.org";

async fn json_of(r: reqwest::Response) -> Value {
    r.json().await.unwrap_or_default()
}

#[tokio::test]
async fn a_judge_scores_and_the_organisation_publishes_results_a_visitor_reads() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let w = World::new().await;
    let app = &w.app;
    let slug = w
        .open_challenge(
            "Clean rivers",
            json!({
                "allowed_licences": ["CC-BY-4.0"],
                "prize_tiers": [
                    { "rank": 1, "label": "Winner", "amount": 60000 },
                    { "rank": 2, "label": "Runner-up", "amount": 40000 }
                ]
            }),
        )
        .await;
    // Three entries; the first judge knows the third author.
    let mut entries = Vec::new();
    for (i, (email, name)) in [
        ("ada@solvers.org", "Ada Lovelace"),
        ("bob@solvers.org", "Bob Marley"),
        ("cy@solvers.org", "Cy Twombly"),
    ]
    .iter()
    .enumerate()
    {
        let t = w.solver(email, name, &slug).await;
        let s = w
            .submit(&t, &slug, &format!("Sensor idea {i}"), false)
            .await;
        entries.push(id_of(&s));
    }
    // Two judges: Jo in the browser, Kim over the API.
    app.signed_in(JO, "Jo Judge").await;
    let r = app
        .post(
            &format!("/api/v1/challenges/{slug}/judges"),
            Some(&w.owner.access),
            json!({ "email": JO }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let kim = app.signed_in(KIM, "Kim Judge").await;
    w.judge(&kim, KIM, &slug).await;
    w.close_submissions(&slug);
    let round = w.round(&slug, 2, json!({})).await;
    let rid = id_of(&round);

    // Jo follows the link in the invitation email and accepts.
    let token = app.token_from_email(JO, "/judge-invitations/").await;
    let invitation = format!("/judge-invitations/{token}");
    sign_in(&c, app, JO, &invitation).await;
    wait_text(&c, "Clean rivers").await;
    snap(&c, "judge-invitation", 1280).await;
    click(
        &c,
        &format!("form[action='{invitation}/accept'] button[type=submit]"),
    )
    .await;
    wait_path(&c, "/judging").await;

    // The organisation opens the round: every entry gets both judges.
    let r = app
        .post(
            &format!("/api/v1/rounds/{rid}/open"),
            Some(&w.owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", json_of(r).await);

    // Jo declares a conflict on the third entry before scoring.
    go(&c, app, &format!("/judging/rounds/{rid}")).await;
    wait_text(&c, "Sensor idea 2").await;
    let select = find(&c, "select[name=submission_id]").await;
    let third = entries[2].clone();
    select
        .select_by_value(&third)
        .await
        .unwrap_or_else(|e| panic!("conflict entry: {e}"));
    // A declaration without a reason is refused and keeps the choice.
    click(&c, "form[action$='/conflicts'] button[type=submit]").await;
    wait_text(&c, "Say briefly why").await;
    fill(&c, "textarea[name=reason]", "Cy is my former student.").await;
    snap(&c, "judge-conflict", 1280).await;
    click(&c, "form[action$='/conflicts'] button[type=submit]").await;
    wait_text(&c, "Conflict recorded").await;

    // The workspace: two entries left, scored from the keyboard.
    go(&c, app, "/judging").await;
    let t = wait_text(&c, "0 of 2").await;
    assert!(
        !t.contains("Sensor idea 2"),
        "the conflicted entry is gone: {t}"
    );
    snap(&c, "judge-workspace", 1280).await;
    snap(&c, "judge-workspace-phone", 390).await;
    let links: Vec<String> = {
        let mut v = Vec::new();
        for a in c
            .find_all(Locator::Css("a[href^='/judging/assignments/']"))
            .await
            .unwrap_or_default()
        {
            if let Ok(Some(h)) = a.attr("href").await {
                v.push(h);
            }
        }
        v
    };
    assert_eq!(links.len(), 2, "{links:?}");
    let criteria = round["criteria"].as_array().cloned().unwrap_or_default();
    let impact = criteria[0]["id"].as_str().unwrap_or_default().to_owned();
    let feasibility = criteria[1]["id"].as_str().unwrap_or_default().to_owned();
    for (n, link) in links.iter().enumerate() {
        go(&c, app, link).await;
        // Out of scale first: the form says why and keeps the comment.
        fill(&c, &format!("input[id='score-{impact}']"), "11").await;
        fill(&c, &format!("input[id='score-{feasibility}']"), "4").await;
        fill(&c, &format!("textarea[id='comment-{impact}']"), "Clear.").await;
        click(&c, "button[name=submit][value='1']").await;
        wait_text(&c, "within the scale").await;
        if n == 0 {
            snap(&c, "judge-score-error", 1280).await;
        }
        let score = if n == 0 { "9" } else { "6" };
        fill(&c, &format!("input[id='score-{impact}']"), score).await;
        let comment = find(&c, &format!("textarea[id='comment-{impact}']"))
            .await
            .prop("value")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        assert_eq!(comment, "Clear.", "the comment was kept");
        click(&c, "button[name=submit][value='1']").await;
        wait_text(&c, "Scorecard submitted").await;
        if n == 0 {
            snap(&c, "judge-score", 1280).await;
            snap(&c, "judge-score-phone", 390).await;
        }
    }
    go(&c, app, "/judging").await;
    wait_text(&c, "2 of 2").await;
    sign_out(&c).await;

    // Kim scores all three over the API: the third entry clearly first.
    let mine = json_of(app.get("/api/v1/me/assignments", Some(&kim.access)).await).await;
    for a in mine["data"].as_array().cloned().unwrap_or_default() {
        let sid = a["submission_id"].as_str().unwrap_or_default();
        let base = if sid == third { 10 } else { 5 };
        let scores = BTreeMap::from([(impact.clone(), base), (feasibility.clone(), 5)]);
        let comments = BTreeMap::from([(impact.clone(), "Fine.".to_owned())]);
        let r = app
            .http
            .put(app.url(&format!("/api/v1/assignments/{}/scorecard", id_of(&a))))
            .bearer_auth(&kim.access)
            .json(&json!({ "scores": scores, "comments": comments, "submit": true }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }

    // The organisation closes the round on its console and publishes: the
    // winner takes tier 1, tier 2 is withheld.
    sign_in(&c, app, OWNER, &format!("/manage/rounds/{rid}")).await;
    wait_text(&c, "2/2").await;
    confirm_submit(
        &c,
        &format!("form[action='/manage/rounds/{rid}/close'] button[type=submit]"),
    )
    .await;
    wait_text(&c, "Leaderboard").await;
    snap(&c, "org-round-closed", 1280).await;
    snap(&c, "org-round-closed-phone", 390).await;
    let board = json_of(
        app.get(
            &format!("/api/v1/rounds/{rid}/leaderboard"),
            Some(&w.owner.access),
        )
        .await,
    )
    .await;
    let first = board["rows"][0]["submission_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!first.is_empty(), "{board}");
    // The form proposes the ranking: the leader in tier 1, the next in
    // tier 2. Untick tier 2 to withhold it.
    propose_leader_and_withhold(&c, &first, 2).await;
    click(&c, "input[name=show_scores]").await;
    confirm_submit(
        &c,
        &format!("form[action='/manage/rounds/{rid}/results'] button[type=submit]"),
    )
    .await;
    wait_path(&c, &format!("/challenges/{slug}/results")).await;
    sign_out(&c).await;

    // Tier 2 is withheld; the ledger still balances (the API test checks
    // the amounts).
    let results = json_of(
        app.get(&format!("/api/v1/challenges/{slug}/results"), None)
            .await,
    )
    .await;
    let tiers = results["tiers"].as_array().cloned().unwrap_or_default();
    assert_eq!(tiers.len(), 2, "{results}");
    assert_eq!(tiers[1]["withheld"], true, "{results}");
    w.assert_ledger_balanced();

    // A visitor reads the results and opens the winning solution.
    go(&c, app, &format!("/challenges/{slug}")).await;
    click(&c, &format!("a[href='/challenges/{slug}/results']")).await;
    wait_path(&c, &format!("/challenges/{slug}/results")).await;
    let page = wait_text(&c, "Runner-up").await;
    assert!(page.contains("This prize was not awarded"), "{page}");
    snap(&c, "results", 1280).await;
    snap(&c, "results-phone", 390).await;
    click(
        &c,
        &format!(".results-winner a[href='/submissions/{first}']"),
    )
    .await;
    wait_path(&c, &format!("/submissions/{first}")).await;
    let solution = wait_text(&c, "CC-BY-4.0").await;
    assert!(
        c.find(Locator::Css("a[rel~=license]")).await.is_ok(),
        "the licence is linked: {solution}"
    );
    snap(&c, "results-solution", 1280).await;
    let _ = text(&c).await;
    let _ = c.close().await;
}
