//! Notifications (issue 12): each event is an email through the outbox and
//! an in-app notice; people choose per kind; one click stops a kind without
//! signing in (RFC 8058 headers); every message has a stable Message-ID.

mod common;

use common::assert_problem;
use common::fixtures::World;
use common::visitor::Visitor;
use serde_json::{json, Value};

/// The value of header `name` in a raw message (folded lines joined).
fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| {
        l.strip_prefix(&format!("{name}: "))
            .map(|v| v.trim().to_owned())
    })
}

/// The raw message to `to` whose decoded text holds `needle` (headers are
/// read raw: quoted-printable decoding would mangle `=` in them).
async fn raw_mail(app: &common::TestApp, to: &str, needle: &str) -> String {
    app.wait_for_email(to, needle).await;
    common::fixtures::files_under(&app.mail_dir())
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .find(|m| m.contains(&format!("To: {to}")) && common::decode_qp(m).contains(needle))
        .unwrap_or_default()
}

async fn notifications(w: &World, t: &common::Tokens) -> Value {
    w.app
        .get_json("/api/v1/me/notifications", Some(&t.access))
        .await
}

#[tokio::test]
async fn a_registration_is_told_by_email_and_in_the_app_in_the_readers_language() {
    let w = World::new().await;
    let app = &w.app;
    let slug = w.open_challenge("River sensors", json!({})).await;
    let ada = w.solver("ada@solvers.org", "Ada", &slug).await;
    let mail = raw_mail(app, "ada@solvers.org", "You are registered").await;
    assert!(mail.contains("River sensors"), "{mail}");
    let id = header(&mail, "Message-ID").unwrap_or_default();
    assert!(id.starts_with('<') && id.ends_with('>'), "{mail}");

    let n = notifications(&w, &ada).await;
    assert_eq!(n["unread"], 1, "{n}");
    assert_eq!(n["data"][0]["kind"], "registration_confirmed", "{n}");
    assert!(n["data"][0]["title"]
        .as_str()
        .is_some_and(|t| t.contains("River sensors")));
    // The header counts it; the centre lists it; reading it clears the count.
    let v = Visitor::signed_in(app, "ada@solvers.org").await;
    let page = v.html("/notifications").await;
    assert!(
        page.contains("notif-count") && page.contains("River sensors"),
        "{page}"
    );
    let nid = n["data"][0]["id"].as_str().unwrap_or_default().to_owned();
    let r = app
        .post(
            &format!("/api/v1/me/notifications/{nid}/read"),
            Some(&ada.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(notifications(&w, &ada).await["unread"], 0);
    let page = v.html("/challenges").await;
    assert!(!page.contains("notif-count"), "{page}");
    // Someone else's notification is not found.
    let bo = app.signed_in("bo@solvers.org", "Bo").await;
    let r = app
        .post(
            &format!("/api/v1/me/notifications/{nid}/read"),
            Some(&bo.access),
            json!({}),
        )
        .await;
    assert_problem(r, 404, "not_found").await;

    // A French reader gets it in French.
    let zoe = app.signed_in("zoe@solvers.org", "Zoé").await;
    let r = app
        .patch("/api/v1/me", Some(&zoe.access), json!({ "language": "fr" }))
        .await;
    assert!(r.status().is_success());
    w.register(&zoe, &slug).await;
    let mail = app
        .wait_for_email("zoe@solvers.org", "Inscription confirm")
        .await;
    assert!(mail.contains("date limite de dépôt"), "{mail}");
}

#[tokio::test]
async fn choices_per_kind_and_one_click_unsubscribe_without_signing_in() {
    let w = World::new().await;
    let app = &w.app;
    let first = w.open_challenge("First call", json!({})).await;
    let ada = w.solver("ada@solvers.org", "Ada", &first).await;
    let mail = raw_mail(app, "ada@solvers.org", "You are registered").await;
    let link = header(&mail, "List-Unsubscribe").unwrap_or_default();
    assert_eq!(
        header(&mail, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click"),
        "{mail}"
    );
    let url = link
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    assert!(url.contains("/unsubscribe?"), "{mail}");
    assert!(
        common::decode_qp(&mail).contains(&url),
        "the footer carries the same link"
    );

    // A tampered link does nothing.
    let forged = url.replace("k=registration_confirmed", "k=receipt");
    let r = app
        .http
        .post(&forged)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 404);
    // The mail client's one-click POST, with no session and no token.
    let page = app
        .http
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status(), 200, "{url}");
    let r = app
        .http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let prefs = app
        .get_json("/api/v1/me/notification-preferences", Some(&ada.access))
        .await;
    for p in prefs["data"].as_array().into_iter().flatten() {
        let stopped = p["kind"] == "registration_confirmed";
        assert_eq!(p["email"], !stopped, "{p}");
        assert_eq!(p["in_app"], true, "{p}");
    }

    // That kind stops by email only; the notice still comes in the app.
    let second = w.open_challenge("Second call", json!({})).await;
    w.register(&ada, &second).await;
    let n = notifications(&w, &ada).await;
    assert!(
        n["data"][0]["title"]
            .as_str()
            .is_some_and(|t| t.contains("Second call")),
        "{n}"
    );
    // Other kinds still email: a receipt arrives.
    w.submit(&ada, &second, "Still told", false).await;
    app.wait_for_email("ada@solvers.org", "Still told").await;
    assert!(
        !common::fixtures::files_under(&app.mail_dir())
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .any(|m| m.contains("Second call") && m.contains("You are registered")),
        "no registration email after unsubscribing"
    );

    // Choices over the API: in-app off too; unknown kinds refused.
    let r = app
        .put(
            "/api/v1/me/notification-preferences",
            Some(&ada.access),
            json!({ "data": [{ "kind": "nonsense", "email": true, "in_app": true }] }),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .put(
            "/api/v1/me/notification-preferences",
            Some(&ada.access),
            json!({ "data": [{ "kind": "registration_confirmed", "email": false, "in_app": false }] }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let before = notifications(&w, &ada).await["data"]
        .as_array()
        .map(Vec::len);
    let third = w.open_challenge("Third call", json!({})).await;
    w.register(&ada, &third).await;
    assert_eq!(
        notifications(&w, &ada).await["data"]
            .as_array()
            .map(Vec::len),
        before
    );
    // And from the settings page, a ticked box turns it back on.
    let v = Visitor::signed_in(app, "ada@solvers.org").await;
    let page = v.html("/settings/notifications").await;
    assert!(page.contains("Your registration for a challenge"), "{page}");
    let r = v
        .post_form(
            "/settings/notifications",
            "/settings/notifications",
            &[
                ("email.registration_confirmed", "1"),
                ("in_app.registration_confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let prefs = app
        .get_json("/api/v1/me/notification-preferences", Some(&ada.access))
        .await;
    let reg = prefs["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["kind"] == "registration_confirmed")
        .cloned()
        .unwrap_or_default();
    assert_eq!(reg["email"], true, "{prefs}");
    // Unticked kinds are off now: the form sends every kind.
    let receipt = prefs["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["kind"] == "receipt")
        .cloned()
        .unwrap_or_default();
    assert_eq!(receipt["email"], false, "{prefs}");
}

#[tokio::test]
async fn judges_hear_when_a_round_opens_and_closes() {
    let w = World::new().await;
    w.awarded().await;
    let opened = w
        .app
        .wait_for_email("jay@judges.org", "Judging is open")
        .await;
    assert!(opened.contains("Cleaner harbours"), "{opened}");
    w.app
        .wait_for_email("jay@judges.org", "Judging round closed")
        .await;
}

#[tokio::test]
async fn followers_hear_of_new_challenges_and_of_followed_challenges_announcements() {
    let w = World::new().await;
    let app = &w.app;
    // The organisation has a public challenge, so it can be followed.
    let first = w.open_challenge("First call", json!({})).await;
    let fan = app.signed_in("fan@solvers.org", "Fan").await;
    let cat = app.signed_in("cat@solvers.org", "Cat").await;
    let r = app
        .put(
            &format!("/api/v1/me/follows/organisation/{}", common::fixtures::ORG),
            Some(&fan.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    // From the list page filtered by category, the follow button.
    let v = Visitor::signed_in(app, "cat@solvers.org").await;
    let page = v.html("/challenges?category=energy").await;
    assert!(page.contains("Follow this category"), "{page}");
    let r = v
        .post_form(
            "/challenges?category=energy",
            "/follows/category/energy",
            &[("next", "/challenges?category=energy")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let mine = app.get_json("/api/v1/me/follows", Some(&cat.access)).await;
    assert_eq!(mine["data"][0]["target"], "energy", "{mine}");
    // What the public cannot see cannot be followed.
    for path in [
        "/api/v1/me/follows/organisation/no-such-org",
        "/api/v1/me/follows/category/astrology",
        "/api/v1/me/follows/planet/mars",
    ] {
        let r = app.put(path, Some(&fan.access), json!({})).await;
        assert_problem(r, 404, "not_found").await;
    }

    // A new challenge in energy by the organisation: both hear, once each.
    w.open_challenge("Grid batteries", json!({ "category": "energy" }))
        .await;
    let mail = app.wait_for_email("fan@solvers.org", "New challenge").await;
    assert!(mail.contains("Grid batteries"), "{mail}");
    app.wait_for_email("cat@solvers.org", "Grid batteries")
        .await;
    let n = notifications(&w, &cat).await;
    assert_eq!(n["data"][0]["kind"], "challenge_published", "{n}");

    // Following a challenge brings its announcements.
    let r = app
        .put(
            &format!("/api/v1/me/follows/challenge/{first}"),
            Some(&cat.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post(
            &format!("/api/v1/challenges/{first}/announcements"),
            Some(&w.owner.access),
            json!({ "title": "Data set updated", "body": "Version 2 is online." }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    app.wait_for_email("cat@solvers.org", "Data set updated")
        .await;
    // Unfollowed: the page lists nothing more.
    let r = app
        .delete(
            &format!("/api/v1/me/follows/challenge/{first}"),
            Some(&cat.access),
        )
        .await;
    assert_eq!(r.status(), 204);
    let mine = app.get_json("/api/v1/me/follows", Some(&cat.access)).await;
    assert_eq!(mine["data"].as_array().map(Vec::len), Some(1), "{mine}");
}

/// Every message in the mail folder to `to` whose text holds `needle`.
fn count_mail(app: &common::TestApp, to: &str, needle: &str) -> usize {
    common::fixtures::files_under(&app.mail_dir())
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|m| common::decode_qp(&m))
        .filter(|m| m.contains(&format!("To: {to}")) && m.contains(needle))
        .count()
}

#[tokio::test]
async fn deadline_reminders_reach_registrants_without_an_entry_once() {
    let w = World::new().await;
    let app = &w.app;
    // Ten days away: the worker finds nothing due yet; the passes below
    // look from later instants instead of waiting for them.
    let slug = w.open_challenge("Closing soon", json!({})).await;
    let ada = w.solver("ada@solvers.org", "Ada", &slug).await;
    let bo = w.solver("bo@solvers.org", "Bo", &slug).await;
    w.submit(&bo, &slug, "Entered in time", false).await;
    // A draft does not count as entered.
    w.submit(&ada, &slug, "Only a draft", true).await;
    let now = tribu::db::now();
    let pass = |at: chrono::NaiveDateTime| {
        let mut conn = app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        tribu::notify::reminders::run_due(&mut conn, &app.state, at)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(pass(now), 0, "more than a week before");
    let week = now + chrono::Duration::days(4);
    assert_eq!(pass(week), 1, "Ada only: Bo entered");
    // Again (as after a restart, or by a second worker): nothing new.
    assert_eq!(pass(week), 0);
    assert_eq!(pass(week + chrono::Duration::hours(3)), 0);
    let mail = app.wait_for_email("ada@solvers.org", "One week left").await;
    assert!(
        mail.contains("Closing soon") && mail.contains("a draft counts only once entered"),
        "{mail}"
    );
    // In the last day, the 24-hour reminder, once.
    let day = now + chrono::Duration::days(9) + chrono::Duration::hours(12);
    assert_eq!(pass(day), 1);
    assert_eq!(pass(day), 0);
    app.wait_for_email("ada@solvers.org", "Last day").await;
    app.wait_for_email("bo@solvers.org", "Entered in time")
        .await;
    assert_eq!(count_mail(app, "bo@solvers.org", "One week left"), 0);
    assert_eq!(count_mail(app, "ada@solvers.org", "One week left"), 1);
    let _ = ada;
}

#[tokio::test]
async fn judges_with_scorecards_left_are_reminded_before_the_judging_deadline() {
    let w = World::new().await;
    let app = &w.app;
    let slug = w.open_challenge("Judged soon", json!({})).await;
    let ada = w.solver("ada@solvers.org", "Ada", &slug).await;
    w.submit(&ada, &slug, "To be judged", false).await;
    let judge = app.signed_in("jay@judges.org", "Jay Judge").await;
    w.judge(&judge, "jay@judges.org", &slug).await;
    w.close_submissions(&slug);
    let round = w.round(&slug, 1, json!({})).await;
    let rid = common::fixtures::id_of(&round);
    let r = app
        .post(
            &format!("/api/v1/rounds/{rid}/open"),
            Some(&w.owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let mut conn = app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    // The judging deadline is 20 days away (10 after the first deadline):
    // nothing yet a week on, a reminder two days before it.
    let now = tribu::db::now();
    let early =
        tribu::notify::reminders::run_due(&mut conn, &app.state, now + chrono::Duration::days(7))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(early, 0);
    let n =
        tribu::notify::reminders::run_due(&mut conn, &app.state, now + chrono::Duration::days(18))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 1);
    drop(conn);
    let mail = app
        .wait_for_email("jay@judges.org", "Scorecards left")
        .await;
    assert!(mail.contains("1 of your scorecards"), "{mail}");
}
