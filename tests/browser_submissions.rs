//! Real Chromium through chromedriver: a solver signs up, registers for a
//! challenge on its page, enters a submission, lands on the receipt, attaches
//! a file, revises, and gets a new receipt with a new hash; a co-author joins
//! through the invitation link and the team proposes prize shares. The
//! organisation's side (challenge, funding, publication) is set up through
//! the API. Screenshots at laptop and phone widths land in target/screenshots.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver. Without them the test
//! says so and passes, unless TRIBU_TEST_REQUIRE_ALL=1 (CI) makes it fail.

mod common;

use std::time::Duration;

use common::browser::{
    browser, click, fill, go, sign_in, sign_out, snap, submit, text, wait_path,
    wait_submission_path, wait_text,
};
use common::fixtures::{World, OWNER};
use common::visitor::{location, Visitor};
use common::{TestApp, Tokens, PASSWORD};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

const SOLVER: &str = "sol@example.org";
const MATE: &str = "mat@example.org";

/// An open, funded challenge allowing only CC-BY-4.0 whose submissions
/// close after `deadline`; returns its slug.
async fn open_challenge(w: &World, title: &str, deadline: chrono::Duration) -> String {
    w.open_challenge_closing(
        title,
        deadline,
        json!({ "allowed_licences": ["CC-BY-4.0"] }),
    )
    .await
}

async fn text_of(c: &Client, css: &str) -> String {
    common::browser::find(c, css)
        .await
        .text()
        .await
        .unwrap_or_default()
}

async fn api_view(app: &TestApp, t: &Tokens, id: &str) -> Value {
    app.get_json(&format!("/api/v1/submissions/{id}"), Some(&t.access))
        .await
}

#[tokio::test]
async fn a_solver_registers_submits_attaches_revises_and_builds_a_team() {
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let w = World::new().await;
    let app = &w.app;
    let slug = open_challenge(&w, "River sensors", chrono::Duration::days(10)).await;

    // Signed out, the entry form asks to sign in first.
    let r = app.get(&format!("/challenges/{slug}/submit"), None).await;
    assert_eq!(r.status(), 303);
    let loc = location(&r);
    assert!(loc.starts_with("/login?next="), "{loc}");

    // Sign up, verify from the .eml, sign in.
    go(&c, app, "/signup").await;
    fill(&c, "input[name=display_name]", "Sol Solver").await;
    fill(&c, "input[name=email]", SOLVER).await;
    fill(&c, "input[name=password]", PASSWORD).await;
    submit(&c).await;
    wait_text(&c, SOLVER).await;
    let mail = app.wait_for_email(SOLVER, "/verify-email?token=").await;
    let token = common::link_token(&mail, "/verify-email?token=").unwrap_or_default();
    go(&c, app, &format!("/verify-email?token={token}")).await;
    wait_text(&c, "confirmed").await;
    let challenge_page = format!("/challenges/{slug}");
    sign_in(&c, app, SOLVER, &challenge_page).await;

    // Before registering, the entry form says what to do first.
    go(&c, app, &format!("/challenges/{slug}/submit")).await;
    wait_text(&c, "Register for the challenge").await;
    assert!(
        c.find(Locator::Css("textarea[name=body]")).await.is_err(),
        "no form before registering"
    );
    snap(&c, "sub-blocked", 1280).await;

    // Register on the challenge page: tick the rules, submit.
    go(&c, app, &challenge_page).await;
    click(&c, "input[name=accept_rules]").await;
    click(&c, "form[action$='/register'] button[type=submit]").await;
    wait_text(&c, "You are registered for this challenge").await;
    wait_path(&c, &challenge_page).await;

    // The entry form.
    go(&c, app, &format!("/challenges/{slug}/submit")).await;
    let holders = c
        .find(Locator::Css("input[name=copyright_holders]"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(holders, "Sol Solver", "holders default to the team");
    fill(&c, "input[name=title]", "Turbidity sensor").await;
    fill(
        &c,
        "textarea[name=abstract]",
        "A cheap optical turbidity sensor built from an LED and a photodiode.",
    )
    .await;
    // Submitting without a licence keeps what was typed and says why.
    click(&c, "button[value=submit]").await;
    wait_text(&c, "Choose one of the licences").await;
    let kept = c
        .find(Locator::Css("input[name=title]"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(kept, "Turbidity sensor");
    fill(
        &c,
        "textarea[name=body]",
        "## Design\n\nAn LED shines through the water; a photodiode measures what arrives.",
    )
    .await;
    c.find(Locator::Css("select[name=licence]"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .select_by_value("CC-BY-4.0")
        .await
        .unwrap_or_else(|e| panic!("licence: {e}"));
    click(&c, "input[name=publish_opt_in]").await;
    snap(&c, "sub-form", 1280).await;
    click(&c, "button[value=submit]").await;

    // The receipt: revision 1 and its SHA-256, as the API reports them.
    let id = wait_submission_path(&c, "/receipt").await;
    let solver = app.login(SOLVER, PASSWORD).await;
    let v = api_view(app, &solver, &id).await;
    let first_hash = v["revision"]["sha256"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(first_hash.len(), 64, "{v}");
    assert_eq!(text_of(&c, "#receipt-hash").await.trim(), first_hash);
    assert_eq!(text_of(&c, ".s-receipt-number").await.trim(), "1");
    assert_eq!(v["state"], "submitted");
    assert_eq!(v["publish_opt_in"], true);
    wait_text(&c, "Creative Commons Attribution 4.0").await;
    snap(&c, "sub-receipt", 1280).await;

    // Attach a file on the submission page (CSRF field before the file).
    let file = app.dir.path().join("sensor-notes.txt");
    std::fs::write(&file, "Calibration: 0 NTU = 3.1 V, 100 NTU = 1.4 V.\n")
        .unwrap_or_else(|e| panic!("{e}"));
    go(&c, app, &format!("/submissions/{id}")).await;
    c.find(Locator::Css("input[type=file]"))
        .await
        .unwrap_or_else(|e| panic!("file input: {e}"))
        .send_keys(&file.display().to_string())
        .await
        .unwrap_or_else(|e| panic!("choose file: {e}"));
    click(&c, "form[action$='/attachments'] button[type=submit]").await;
    wait_path(&c, &format!("/submissions/{id}")).await;
    let page = wait_text(&c, "sensor-notes.txt").await;
    assert!(page.contains("The file was attached"), "{page}");
    let v = api_view(app, &solver, &id).await;
    assert_eq!(v["revision"]["number"], 2);
    assert_eq!(v["attachments"][0]["filename"], "sensor-notes.txt");
    snap(&c, "sub-show", 1280).await;

    // Revise: a third revision with its own receipt and hash.
    go(&c, app, &format!("/submissions/{id}/edit")).await;
    wait_text(&c, "revision 2").await;
    fill(
        &c,
        "textarea[name=body]",
        "## Design\n\nAn LED shines through the water.\n\n## Calibration\n\nSee the attached notes.",
    )
    .await;
    snap(&c, "sub-edit", 1280).await;
    click(&c, "button[value=save]").await;
    let again = wait_submission_path(&c, "/receipt").await;
    assert_eq!(again, id);
    assert_eq!(text_of(&c, ".s-receipt-number").await.trim(), "3");
    let third_hash = text_of(&c, "#receipt-hash").await.trim().to_owned();
    assert_eq!(third_hash.len(), 64);
    assert_ne!(third_hash, first_hash, "a new revision, a new hash");
    let v = api_view(app, &solver, &id).await;
    assert_eq!(v["revision"]["sha256"], third_hash.as_str());
    assert!(
        text(&c).await.contains("sensor-notes.txt"),
        "files on the receipt"
    );

    // The history lists the three revisions.
    go(&c, app, &format!("/submissions/{id}/revisions")).await;
    let rows = c
        .find_all(Locator::Css(".s-history tbody tr"))
        .await
        .unwrap_or_default();
    assert_eq!(rows.len(), 3);
    snap(&c, "sub-revisions", 1280).await;

    // Invite a co-author from the team section.
    let mate = w.solver(MATE, "Mat Mate", &slug).await;
    go(&c, app, &format!("/submissions/{id}")).await;
    fill(&c, "input[name=email]", MATE).await;
    click(&c, "form[action$='/team/invite'] button[type=submit]").await;
    wait_text(&c, "The invitation was sent").await;
    wait_text(&c, MATE).await;
    let invite = app.token_from_email(MATE, "/team-invitations/").await;

    // The dashboard.
    go(&c, app, "/me/submissions").await;
    let page = wait_text(&c, "Turbidity sensor").await;
    assert!(page.contains("River sensors"), "{page}");
    assert!(page.contains("Closes in"), "{page}");
    snap(&c, "sub-mine", 1280).await;

    // The co-author answers the invitation in the browser.
    sign_out(&c).await;
    go(&c, app, &format!("/team-invitations/{invite}")).await;
    wait_text(&c, "Sol Solver").await;
    let here = format!("/team-invitations/{invite}");
    sign_in(&c, app, MATE, &here).await;
    snap(&c, "sub-invitation", 1280).await;
    click(&c, "form[action$='/accept'] button[type=submit]").await;
    wait_path(&c, &format!("/submissions/{id}")).await;
    let page = wait_text(&c, "Welcome to the team").await;
    assert!(page.contains("Mat Mate") && page.contains("50%"), "{page}");

    // Propose 60/40: it waits for the other member's approval.
    let sol_id = v["team"][0]["user_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mate_view = api_view(app, &mate, &id).await;
    let mate_id = mate_view["team"][1]["user_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    fill(&c, &format!("input[name='share.{sol_id}']"), "60").await;
    fill(&c, &format!("input[name='share.{mate_id}']"), "40").await;
    click(&c, "form[action$='/team/shares'] button[type=submit]").await;
    wait_text(&c, "1 of 2 members approved").await;
    snap(&c, "sub-team", 1280).await;
    let r = app
        .post(
            &format!("/api/v1/submissions/{id}/team/shares/approve"),
            Some(&solver.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v = api_view(app, &mate, &id).await;
    assert_eq!(v["team"][0]["share_bps"], 6000);

    // Results day (judging calls this): the solution is in the gallery.
    let challenge_id = v["challenge"]["id"].as_str().unwrap_or_default().to_owned();
    let mut conn = app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    tribu::submissions::service::publish_results(
        &mut conn,
        &challenge_id,
        std::slice::from_ref(&id),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    drop(conn);
    go(&c, app, "/solutions?licence=CC-BY-4.0").await;
    let page = wait_text(&c, "Turbidity sensor").await;
    assert!(page.contains("by Sol Solver"), "{page}");
    let full = c
        .find(Locator::Css(".s-card .s-hash"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .attr("title")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(full, third_hash, "the full hash in the title");
    snap(&c, "sub-gallery", 1280).await;

    // The same pages on a phone.
    c.set_window_size(390, 900)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for (p, name) in [
        (format!("/submissions/{id}"), "sub-show-phone"),
        (format!("/submissions/{id}/receipt"), "sub-receipt-phone"),
        (
            format!("/submissions/{id}/revisions"),
            "sub-revisions-phone",
        ),
        (format!("/submissions/{id}/edit"), "sub-edit-phone"),
        ("/me/submissions".to_owned(), "sub-mine-phone"),
        ("/solutions".to_owned(), "sub-gallery-phone"),
    ] {
        go(&c, app, &p).await;
        // Eyebrows are upper-cased by the stylesheet.
        let page = text(&c).await.to_lowercase();
        assert!(page.contains("river sensors"), "{p}: {page}");
        snap(&c, name, 390).await;
    }
    let _ = c.close().await;
}

// ---- the other flows, over HTTP with a cookie jar (no browser needed) ----

#[tokio::test]
async fn drafts_teams_disqualification_and_the_deadline_through_the_pages() {
    let w = World::new().await;
    let app = &w.app;
    let slug = open_challenge(&w, "River sensors", chrono::Duration::days(10)).await;
    let solver = w.solver(SOLVER, "Sol Solver", &slug).await;
    let sol = Visitor::signed_in(app, SOLVER).await;
    let form = format!("/challenges/{slug}/submit");

    // A draft: the receipt, then the submission page says it is not entered.
    let entry = [
        ("title", "Turbidity sensor"),
        ("abstract", "A cheap optical turbidity sensor."),
        ("body", "## Design\r\n\r\nAn LED and a photodiode."),
        ("licence", "CC-BY-4.0"),
        ("copyright_holders", "Sol Solver"),
        ("action", "draft"),
    ];
    let r = sol.post_form(&form, &form, &entry).await;
    assert_eq!(r.status(), 303);
    let receipt = location(&r);
    let id = receipt
        .strip_prefix("/submissions/")
        .and_then(|r| r.strip_suffix("/receipt"))
        .unwrap_or_default()
        .to_owned();
    assert!(!id.is_empty(), "{receipt}");
    let v = api_view(app, &solver, &id).await;
    assert_eq!(v["state"], "draft");
    assert_eq!(
        v["body"], "## Design\n\nAn LED and a photodiode.",
        "LF line ends"
    );
    let page = format!("/submissions/{id}");
    let (_, html) = sol.page(&page).await;
    assert!(html.contains("This is a draft"), "draft notice");
    let r = sol
        .post_form(&page, &format!("/submissions/{id}/submit"), &[])
        .await;
    assert_eq!(location(&r), format!("/submissions/{id}?done=submitted"));
    assert_eq!(api_view(app, &solver, &id).await["state"], "submitted");

    // Saving the form unchanged records no revision; the opt-in toggles.
    let edit = format!("/submissions/{id}/edit");
    let mut same = entry.to_vec();
    same[5] = ("action", "save");
    let r = sol.post_form(&edit, &edit, &same).await;
    assert_eq!(location(&r), format!("/submissions/{id}?done=unchanged"));
    assert_eq!(api_view(app, &solver, &id).await["revision"]["number"], 1);
    let r = sol
        .post_form(
            &page,
            &format!("/submissions/{id}/opt-in"),
            &[("publish_opt_in", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(api_view(app, &solver, &id).await["publish_opt_in"], true);

    // A 422 keeps what was typed.
    let mut short = entry.to_vec();
    short[0] = ("title", "T");
    short[5] = ("action", "submit");
    let r = sol.post_form(&form, &form, &short).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap_or_default();
    assert!(html.contains("Write a title of 3 to 140 characters"));
    assert!(html.contains("A cheap optical turbidity sensor."));

    // No CSRF token, no change.
    let r = sol
        .http
        .post(format!("{}/submissions/{id}/withdraw", sol.base))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 403);

    // Confidential: signed out → sign in; someone else → 404.
    let anon = Visitor::new(app);
    let r = anon.get(&page).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/login?next="));
    let eve = Visitor::signed_up(app, "eve@example.org", "Eve Else").await;
    for p in [
        page.clone(),
        format!("/submissions/{id}/receipt"),
        format!("/submissions/{id}/revisions"),
        edit.clone(),
    ] {
        assert_eq!(eve.page(&p).await.0, 404, "{p}");
    }

    // A co-author who has not registered is told to register first.
    let r = sol
        .post_form(
            &page,
            &format!("/submissions/{id}/team/invite"),
            &[("email", MATE)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = sol
        .post_form(
            &page,
            &format!("/submissions/{id}/team/invite"),
            &[("email", "not an email")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let token = app.token_from_email(MATE, "/team-invitations/").await;
    let mat = Visitor::signed_up(app, MATE, "Mat Mate").await;
    let invitation = format!("/team-invitations/{token}");
    let (status, html) = mat.page(&invitation).await;
    assert_eq!(status, 200);
    assert!(html.contains("Joining registers you for the challenge"));
    let r = mat
        .post_form(&invitation, &format!("{invitation}/accept"), &[])
        .await;
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap_or_default()
        .contains("Register for the challenge"));
    let (_, html) = mat.page("/me/submissions").await;
    assert!(
        html.contains("Sol Solver invites you"),
        "dashboard lists it"
    );
    let r = mat
        .post_form(&invitation, &format!("{invitation}/decline"), &[])
        .await;
    assert_eq!(location(&r), "/me/submissions?done=declined");
    assert_eq!(mat.page(&invitation).await.0, 404, "answered");

    // The organisation disqualifies with a reason; the team reads it.
    let owner = Visitor::signed_in(app, OWNER).await;
    let (status, html) = owner.page(&page).await;
    assert_eq!(status, 200);
    assert!(html.contains("Disqualify this submission"));
    let dq = format!("/submissions/{id}/disqualify");
    let r = owner.post_form(&page, &dq, &[("reason", "No")]).await;
    assert_eq!(r.status(), 422);
    let r = owner
        .post_form(&page, &dq, &[("reason", "The design is not original.")])
        .await;
    assert_eq!(location(&r), format!("/submissions/{id}?done=disqualified"));
    let (_, html) = sol.page(&page).await;
    assert!(html.contains("The design is not original."));
    assert!(!html.contains(&format!("action=\"{edit}\"")), "read-only");

    // A second entry, withdrawn.
    let mut second = entry.to_vec();
    second[0] = ("title", "Second sensor");
    second[5] = ("action", "submit");
    let r = sol.post_form(&form, &form, &second).await;
    let id2 = location(&r)
        .trim_start_matches("/submissions/")
        .trim_end_matches("/receipt")
        .to_owned();
    let page2 = format!("/submissions/{id2}");
    let r = sol
        .post_form(&page2, &format!("{page2}/withdraw"), &[])
        .await;
    assert_eq!(location(&r), format!("{page2}?done=withdrawn"));
    assert_eq!(api_view(app, &solver, &id2).await["state"], "withdrawn");
    let (_, html) = sol.page("/me/submissions").await;
    assert!(html.contains("Withdrawn") && html.contains("Disqualified"));

    // The gallery is empty until results.
    let (status, html) = anon.page("/solutions").await;
    assert_eq!(status, 200);
    assert!(html.contains("No solutions published yet"));

    // After the deadline the edit page is read-only.
    let soon = open_challenge(&w, "Quick sprint", chrono::Duration::seconds(4)).await;
    w.register(&solver, &soon).await;
    let form = format!("/challenges/{soon}/submit");
    let mut quick = entry.to_vec();
    quick[5] = ("action", "submit");
    let r = sol.post_form(&form, &form, &quick).await;
    let id3 = location(&r)
        .trim_start_matches("/submissions/")
        .trim_end_matches("/receipt")
        .to_owned();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (status, html) = sol.page(&format!("/submissions/{id3}/edit")).await;
    assert_eq!(status, 409);
    assert!(html.contains("The submission deadline has passed"));
    let (status, html) = sol.page(&form).await;
    assert_eq!(status, 409);
    assert!(html.contains("The submission deadline has passed"));
    let (_, html) = sol.page(&format!("/submissions/{id3}/revisions")).await;
    assert!(html.contains("judged"), "the judged revision is marked");
}
