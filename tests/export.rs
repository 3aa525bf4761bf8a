//! People's own data (issue 12): the export of a person who submitted,
//! judged and was paid holds each of those, and the files they attached.

mod common;

use std::io::Read;

use common::fixtures::{id_of, World};
use serde_json::{json, Value};

/// The files of a zip by name.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap_or_else(|e| panic!("{e}"));
            let mut out = Vec::new();
            f.read_to_end(&mut out).unwrap_or_else(|e| panic!("{e}"));
            (f.name().to_owned(), out)
        })
        .collect()
}

fn json_of(files: &[(String, Vec<u8>)], name: &str) -> Value {
    files
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| serde_json::from_slice(b).unwrap_or_default())
        .unwrap_or_else(|| panic!("{name} missing"))
}

#[tokio::test]
async fn the_export_of_a_solver_who_judged_and_was_paid_holds_all_of_it() {
    let w = World::new().await;
    let app = &w.app;
    let a = w.awarded().await;
    // The winner also judges another challenge, and their prize is paid.
    let slug = w.open_challenge("Second round of ideas", json!({})).await;
    let other = w.solver("entrant@solvers.org", "Eve Entrant", &slug).await;
    let entry = id_of(&w.submit(&other, &slug, "Judged by the winner", false).await);
    w.upload(&other, &entry, "notes.txt", b"plain notes").await;
    w.judge(&a.winner, "win@solvers.org", &slug).await;
    w.close_submissions(&slug);
    let round = w.round(&slug, 1, json!({})).await;
    let rid = id_of(&round);
    let r = app
        .post(
            &format!("/api/v1/rounds/{rid}/open"),
            Some(&w.owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let mine = app
        .get_json("/api/v1/me/assignments", Some(&a.winner.access))
        .await;
    let assignment = id_of(&mine["data"][0]);
    let criteria = round["criteria"].as_array().cloned().unwrap_or_default();
    let (c0, c1) = (id_of(&criteria[0]), id_of(&criteria[1]));
    let r = app
        .http
        .put(app.url(&format!("/api/v1/assignments/{assignment}/scorecard")))
        .bearer_auth(&a.winner.access)
        .json(&json!({ "scores": { c0.clone(): 7, c1: 5 }, "comments": { c0: "Solid." }, "submit": true }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let payouts = app
        .get_json("/api/v1/me/payouts", Some(&a.winner.access))
        .await;
    let payout = id_of(&payouts["data"][0]);
    let r = app
        .post(
            &format!("/api/v1/admin/payouts/{payout}/paid"),
            Some(&w.admin.access),
            json!({ "reference": "SEPA-77" }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());

    let r = app.get("/api/v1/me/export", Some(&a.winner.access)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/zip")
    );
    let files = unzip(&r.bytes().await.unwrap_or_default());
    let profile = json_of(&files, "profile.json");
    assert_eq!(profile["email"], "win@solvers.org", "{profile}");
    let subs = json_of(&files, "submissions.json");
    assert_eq!(
        subs[0]["revisions"][0]["title"], "Floating filters",
        "{subs}"
    );
    let cards = json_of(&files, "scorecards.json");
    assert_eq!(cards[0]["submission_id"], entry.as_str(), "{cards}");
    assert_eq!(
        cards[0]["scores"].as_array().map(Vec::len),
        Some(2),
        "{cards}"
    );
    let pays = json_of(&files, "payouts.json");
    assert_eq!(pays[0]["status"], "paid", "{pays}");
    assert_eq!(pays[0]["reference"], "SEPA-77");
    let shares = json_of(&files, "team_shares.json");
    assert_eq!(shares[0]["share_bps"], 5000, "{shares}");
    for name in [
        "sessions.json",
        "registrations.json",
        "notifications.json",
        "follows.json",
    ] {
        json_of(&files, name);
    }
    // Another person's export holds their own attachment's bytes, and
    // nothing of the winner's.
    let r = app.get("/api/v1/me/export", Some(&other.access)).await;
    let files = unzip(&r.bytes().await.unwrap_or_default());
    assert!(
        files
            .iter()
            .any(|(n, b)| n.ends_with("-notes.txt") && b == b"plain notes"),
        "{:?}",
        files.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    assert!(!json_of(&files, "profile.json")
        .to_string()
        .contains("win@solvers.org"));
    // Without a session, nothing.
    assert_eq!(app.get("/api/v1/me/export", None).await.status(), 401);
}

/// How many journal lines the ledger holds.
fn journal_lines(w: &World) -> i64 {
    use diesel::prelude::*;
    let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    tribu::db::schema::journal_lines::table
        .count()
        .get_result(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_deleted_account_is_named_nowhere_and_what_others_rely_on_stays() {
    let w = World::new().await;
    let app = &w.app;
    let a = w.awarded().await;
    let lines = journal_lines(&w);
    let results = app
        .get_json(&format!("/api/v1/challenges/{}/results", a.slug), None)
        .await;
    let entry = results["entries"][0]["submission_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(results.to_string().contains("Cora Author"), "{results}");

    // The page says what goes and what stays before anything happens.
    let v = common::visitor::Visitor::signed_in(app, "co@solvers.org").await;
    let page = v.html("/settings/delete").await;
    assert!(page.contains("What stays, and why"), "{page}");
    // A wrong password changes nothing; a sole owner must hand over first.
    let r = app
        .post(
            "/api/v1/me/delete",
            Some(&a.coauthor.access),
            json!({ "password": "wrong password" }),
        )
        .await;
    common::assert_problem(r, 422, "validation_failed").await;
    let r = app
        .post(
            "/api/v1/me/delete",
            Some(&w.owner.access),
            json!({ "password": common::PASSWORD }),
        )
        .await;
    common::assert_problem(r, 409, "sole_owner").await;

    // Deleted from the page.
    let r = v
        .post_form(
            "/settings/delete",
            "/settings/delete",
            &[("password", common::PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap_or_default()
        .contains("Your account is deleted"));
    assert_eq!(
        app.get("/api/v1/me", Some(&a.coauthor.access))
            .await
            .status(),
        401,
        "sessions and tokens end"
    );
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "co@solvers.org", "password": common::PASSWORD }),
        )
        .await;
    assert!(r.status().is_client_error());

    // No page or API answer names them any more.
    let visitor = common::visitor::Visitor::new(app);
    let org_audit = app
        .get_json(
            &format!("/api/v1/orgs/{}/audit", common::fixtures::ORG),
            Some(&w.owner.access),
        )
        .await;
    let users = app
        .get_json("/api/v1/admin/users?q=former", Some(&w.admin.access))
        .await;
    for text in [
        app.get_json(&format!("/api/v1/submissions/{entry}"), None)
            .await
            .to_string(),
        app.get_json(&format!("/api/v1/challenges/{}/results", a.slug), None)
            .await
            .to_string(),
        app.get_json(
            &format!("/api/v1/submissions/{entry}"),
            Some(&a.winner.access),
        )
        .await
        .to_string(),
        org_audit.to_string(),
        users.to_string(),
        visitor
            .html(&format!("/challenges/{}/results", a.slug))
            .await,
        visitor.html(&format!("/submissions/{entry}")).await,
        visitor.html("/solutions").await,
    ] {
        assert!(!text.contains("Cora Author"), "{text}");
        assert!(!text.contains("co@solvers.org"), "{text}");
    }
    assert!(users.to_string().contains("Former member"), "{users}");
    // The published solution keeps its written attribution; the ledger is
    // as it was, and balanced.
    let s = app
        .get_json(&format!("/api/v1/submissions/{entry}"), None)
        .await;
    assert_eq!(
        s["attribution"], "Floating filters — by Wyn Winner — CC-BY-4.0",
        "{s}"
    );
    assert_eq!(journal_lines(&w), lines);
    w.assert_ledger_balanced();
}

#[tokio::test]
async fn an_organisation_exports_registrants_and_entries_as_csv() {
    let w = World::new().await;
    let app = &w.app;
    let slug = w.open_challenge("Exported", json!({})).await;
    let ada = app.signed_in("ada@solvers.org", "=HYPERLINK(\"x\")").await;
    w.register(&ada, &slug).await;
    w.submit(&ada, &slug, "+cmd|' /C calc'!A0", false).await;
    let r = app
        .get(
            &format!("/api/v1/challenges/{slug}/registrants.csv"),
            Some(&w.owner.access),
        )
        .await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap_or_default();
    assert!(text.starts_with("user_id,name,email"), "{text}");
    assert!(text.contains("ada@solvers.org"), "{text}");
    assert!(text.contains("'=HYPERLINK"), "formulas are quoted: {text}");
    let r = app
        .get(
            &format!("/api/v1/challenges/{slug}/entries.csv"),
            Some(&w.owner.access),
        )
        .await;
    let text = r.text().await.unwrap_or_default();
    assert!(text.contains("'+cmd"), "{text}");
    // The page link downloads the same; a solver gets nothing.
    let v = common::visitor::Visitor::signed_in(app, common::fixtures::OWNER).await;
    let r = v
        .get(&format!("/manage/challenges/{slug}/entries.csv"))
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .get(
            &format!("/api/v1/challenges/{slug}/registrants.csv"),
            Some(&ada.access),
        )
        .await;
    assert_eq!(r.status(), 404);
}
