//! The notification kinds not walked elsewhere, each triggered through the
//! API and read back from the mail folder in its recipient's language, with
//! its in-app notice (issue 12). Registration, reminders, rounds, follows
//! and unsubscribing are in `notifications.rs`; invitations, receipts,
//! winners and funding in their own areas' tests.

mod common;

use common::fixtures::{id_of, World};
use serde_json::{json, Value};

async fn to_french(w: &World, t: &common::Tokens) {
    let r = w
        .app
        .patch("/api/v1/me", Some(&t.access), json!({ "language": "fr" }))
        .await;
    assert!(r.status().is_success());
}

async fn kinds(w: &World, t: &common::Tokens) -> Vec<String> {
    let n: Value = w
        .app
        .get_json("/api/v1/me/notifications?limit=200", Some(&t.access))
        .await;
    n["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["kind"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn results_and_payouts_reach_each_person_in_their_language() {
    let w = World::new().await;
    let app = &w.app;
    let a = w.awarded().await;
    // The entrant who did not win hears of the results.
    let mail = app
        .wait_for_email(
            "other@solvers.org",
            "Results of Cleaner harbours are published",
        )
        .await;
    assert!(mail.contains("Harbour drones"), "{mail}");
    assert!(kinds(&w, &a.other)
        .await
        .contains(&"results_published".to_owned()));
    // The co-author reads French: a failed payment, then the paid one.
    to_french(&w, &a.coauthor).await;
    let mine = app
        .get_json("/api/v1/me/payouts", Some(&a.coauthor.access))
        .await;
    let payout = id_of(&mine["data"][0]);
    let r = app
        .post(
            &format!("/api/v1/admin/payouts/{payout}/failed"),
            Some(&w.admin.access),
            json!({ "reason": "IBAN closed" }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    app.wait_for_email("co@solvers.org", "n’a pas pu être versé")
        .await;
    let r = app
        .post(
            &format!("/api/v1/admin/payouts/{payout}/paid"),
            Some(&w.admin.access),
            json!({ "reference": "SEPA-2" }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    app.wait_for_email("co@solvers.org", "est versé").await;
    let k = kinds(&w, &a.coauthor).await;
    for kind in ["payout_failed", "payout_paid", "results_winner"] {
        assert!(k.contains(&kind.to_owned()), "{kind}: {k:?}");
    }
}

#[tokio::test]
async fn answers_receipts_and_disqualifications_reach_a_french_solver() {
    let w = World::new().await;
    let app = &w.app;
    let slug = w.open_challenge("Capteurs de rivière", json!({})).await;
    let zoe = app.signed_in("zoe@solvers.org", "Zoé").await;
    to_french(&w, &zoe).await;
    w.register(&zoe, &slug).await;
    let r = app
        .post(
            &format!("/api/v1/challenges/{slug}/questions"),
            Some(&zoe.access),
            json!({ "body": "Peut-on utiliser des capteurs existants ?" }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let q: Value = r.json().await.unwrap_or_default();
    let r = app
        .post(
            &format!("/api/v1/questions/{}/answer", id_of(&q)),
            Some(&w.owner.access),
            json!({ "answer": "Oui, s'ils sont documentés." }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    app.wait_for_email("zoe@solvers.org", "a reçu une réponse")
        .await;
    let entry = id_of(&w.submit(&zoe, &slug, "Capteur ouvert", false).await);
    app.wait_for_email("zoe@solvers.org", "Accusé de réception")
        .await;
    let r = app
        .post(
            &format!("/api/v1/submissions/{entry}/disqualify"),
            Some(&w.owner.access),
            json!({ "reason": "Hors sujet pour ce défi." }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let mail = app
        .wait_for_email("zoe@solvers.org", "a été disqualifiée")
        .await;
    assert!(mail.contains("Hors sujet"), "{mail}");
    let k = kinds(&w, &zoe).await;
    for kind in [
        "registration_confirmed",
        "question_answered",
        "receipt",
        "disqualified",
    ] {
        assert!(k.contains(&kind.to_owned()), "{kind}: {k:?}");
    }
}
