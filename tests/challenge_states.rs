//! Each challenge state tells the truth (issue 11): a cancelled challenge
//! says why, when and where its escrow went, offers no calendar and marks
//! no future date as passed; a closed challenge does not invite people to
//! register to ask; lists hide cancelled challenges unless asked, count
//! what they found and offer organisations by name.

mod common;

use common::assert_problem;
use common::fixtures::{id_of, slug_of, World};
use common::visitor::Visitor;
use serde_json::{json, Value};

fn body(title: &str) -> Value {
    World::challenge_body(title, chrono::Duration::days(30), json!({}))
}

#[tokio::test]
async fn a_cancelled_challenge_says_why_when_and_where_the_money_went() {
    let w = World::new().await;
    let app = &w.app;
    let slug = slug_of(&w.launch(body("Cancelled idea")).await);
    let cancel = format!("/api/v1/challenges/{slug}/cancel");

    // A reason is required, and nothing moves without one.
    let r = app.post(&cancel, Some(&w.owner.access), json!({})).await;
    assert_problem(r, 400, "invalid_json").await;
    let r = app
        .post(&cancel, Some(&w.owner.access), json!({ "reason": "   " }))
        .await;
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "reason", "{p}");
    let v = app
        .get_json(&format!("/api/v1/challenges/{slug}"), None)
        .await;
    assert_eq!(v["state"], "open");
    assert!(v.get("cancellation").is_none(), "{v}");

    let r = app
        .post(
            &cancel,
            Some(&w.owner.access),
            json!({ "reason": "Our sponsor withdrew its funding." }),
        )
        .await;
    assert_eq!(r.status(), 200);
    // Everyone reads why and where the escrow stands.
    let v = app
        .get_json(&format!("/api/v1/challenges/{slug}"), None)
        .await;
    assert_eq!(v["state"], "cancelled");
    let c = &v["cancellation"];
    assert_eq!(c["reason"], "Our sponsor withdrew its funding.", "{v}");
    assert!(c["cancelled_at"].is_string(), "{v}");
    assert_eq!(c["refund"]["status"], "pending", "{v}");
    assert_eq!(c["refund"]["amount"]["amount"], 100000, "{v}");

    let visitor = Visitor::new(app);
    let page = visitor.html(&format!("/challenges/{slug}")).await;
    assert!(page.contains("This challenge was cancelled"), "{page}");
    assert!(page.contains("Our sponsor withdrew its funding."));
    assert!(page.contains("is on its way back to Open Lab"), "{page}");
    assert!(
        !page.contains("calendar.ics"),
        "no calendar for a cancelled challenge"
    );
    // Only the opening is behind us: the deadline, 30 days away, is not.
    assert_eq!(page.matches("class=\"is-past\"").count(), 1, "{page}");

    // The admin records the refund; the page gives its date.
    let refunds = app
        .get_json("/api/v1/admin/refunds", Some(&w.admin.access))
        .await;
    let rid = id_of(&refunds["data"][0]);
    let r = app
        .post(
            &format!("/api/v1/admin/refunds/{rid}/paid"),
            Some(&w.admin.access),
            json!({ "reference": "SEPA-BACK-1" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v = app
        .get_json(&format!("/api/v1/challenges/{slug}"), None)
        .await;
    assert_eq!(v["cancellation"]["refund"]["status"], "paid", "{v}");
    assert!(v["cancellation"]["refund"]["paid_at"].is_string(), "{v}");
    let page = visitor.html(&format!("/challenges/{slug}")).await;
    assert!(page.contains("was refunded to Open Lab on"), "{page}");

    // The owner cancels another through the page: the reason is asked for
    // and kept when missing.
    let other = slug_of(&w.launch(body("Second thoughts")).await);
    let owner = Visitor::signed_in(app, common::fixtures::OWNER).await;
    let manage = format!("/manage/challenges/{other}");
    let r = owner
        .post_form(&manage, &format!("{manage}/cancel"), &[("reason", "")])
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap_or_default();
    assert!(html.contains("id=\"cancel-reason-error\""), "{html}");
    let r = owner
        .post_form(
            &manage,
            &format!("{manage}/cancel"),
            &[("reason", "The problem was solved elsewhere.")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let v = app
        .get_json(&format!("/api/v1/challenges/{other}"), None)
        .await;
    assert_eq!(
        v["cancellation"]["reason"],
        "The problem was solved elsewhere."
    );
    w.assert_ledger_balanced();
}

#[tokio::test]
async fn lists_hide_cancelled_challenges_unless_asked_and_count_what_they_show() {
    let w = World::new().await;
    let app = &w.app;
    let open = slug_of(&w.launch(body("Still running")).await);
    let gone = slug_of(&w.launch(body("Called off")).await);
    w.cancel(&gone, "Called off.").await;

    let slugs = |v: Value| -> Vec<String> {
        v["data"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["slug"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let listed = slugs(app.get_json("/api/v1/challenges", None).await);
    assert_eq!(listed, vec![open.clone()]);
    let asked = slugs(
        app.get_json("/api/v1/challenges?state=cancelled", None)
            .await,
    );
    assert_eq!(asked, vec![gone.clone()]);

    let v = Visitor::new(app);
    let page = v.html("/challenges").await;
    assert!(page.contains("1 challenge<"), "the count: {page}");
    assert!(!page.contains("Called off"), "{page}");
    // One submit button; organisations offered by name.
    assert_eq!(page.matches("type=\"submit\"").count(), 1, "{page}");
    assert!(
        page.contains("<option value=\"open-lab\">Open Lab</option>"),
        "{page}"
    );
    let page = v.html("/challenges?state=cancelled").await;
    assert!(
        page.contains("Called off") && page.contains("1 challenge<"),
        "{page}"
    );
    let page = v.html("/challenges?org=open-lab&state=").await;
    assert!(page.contains("1 challenge<"), "{page}");
}

#[tokio::test]
async fn a_closed_challenge_does_not_invite_people_to_register_to_ask() {
    let w = World::new().await;
    let app = &w.app;
    let slug = w.open_challenge("Late comer", json!({})).await;
    app.signed_in("late@example.org", "Lee Late").await;
    let v = Visitor::signed_in(app, "late@example.org").await;
    let page = v.html(&format!("/challenges/{slug}")).await;
    assert!(page.contains("Register for this challenge to ask a question."));
    w.close_submissions(&slug);
    let page = v.html(&format!("/challenges/{slug}")).await;
    assert!(
        !page.contains("Register for this challenge to ask a question."),
        "{page}"
    );
    assert!(page
        .contains("Questions are open to registered solvers while the challenge takes entries."));
    let anonymous = Visitor::new(app).html(&format!("/challenges/{slug}")).await;
    assert!(!anonymous.contains("to ask a question"), "{anonymous}");
}
