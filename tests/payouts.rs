//! Payouts and refunds with the manual provider, over the API: results open
//! one payout per team member and a refund of the unawarded rest; platform
//! admins record the bank transfers; each is journaled once, whatever races;
//! the last one settles the challenge; the ledger stays balanced and money
//! out plus fees equals money in.

mod common;

use common::fixtures::World;
use common::{assert_problem, Tokens};
use serde_json::{json, Value};
use tribu::money::model::{AccountKind, AccountRef, Currency, PLATFORM};

async fn json_of(r: reqwest::Response) -> Value {
    r.json().await.unwrap_or_default()
}

fn balance(w: &World, kind: AccountKind, owner: &str) -> i64 {
    let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    let eur = Currency::parse("c", "EUR").unwrap_or_else(|e| panic!("{e:?}"));
    tribu::money::store::balance(&mut conn, &AccountRef::new(kind, owner, &eur))
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn me(w: &World, t: &Tokens) -> Value {
    w.app.get_json("/api/v1/me", Some(&t.access)).await
}

#[tokio::test]
async fn manual_payouts_and_the_refund_settle_the_challenge() {
    let w = World::new().await;
    let a = w.awarded().await;

    // The organisation sees two payouts of 300.00 (a team of two shares
    // 600.00) and the refund of the withheld 400.00.
    let path = format!("/api/v1/challenges/{}/payouts", a.slug);
    let mine = json_of(w.app.get(&path, Some(&w.owner.access)).await).await;
    let payouts = mine["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(payouts.len(), 2, "{mine}");
    assert!(payouts
        .iter()
        .all(|p| p["amount"]["amount"] == 30000 && p["status"] == "pending"));
    assert_eq!(mine["refund"]["amount"]["amount"], 40000);
    assert_eq!(mine["refund"]["reason"], "unawarded");
    assert_eq!(mine["settled"], false);
    // Others see nothing of it.
    let r = w.app.get(&path, Some(&a.other.access)).await;
    assert_eq!(r.status(), 404);

    // Each winner sees their own share.
    let own = json_of(
        w.app
            .get("/api/v1/me/payouts", Some(&a.winner.access))
            .await,
    )
    .await;
    assert_eq!(own["data"].as_array().map(Vec::len), Some(1), "{own}");
    assert_eq!(own["data"][0]["amount"]["amount"], 30000);
    let none = json_of(w.app.get("/api/v1/me/payouts", Some(&a.other.access)).await).await;
    assert_eq!(none["data"].as_array().map(Vec::len), Some(0));

    // Admins only; filters are checked.
    let r = w
        .app
        .get("/api/v1/admin/payouts", Some(&a.winner.access))
        .await;
    assert_eq!(r.status(), 403);
    let list = json_of(
        w.app
            .get(
                "/api/v1/admin/payouts?status=pending",
                Some(&w.admin.access),
            )
            .await,
    )
    .await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(2));
    let r = w
        .app
        .get("/api/v1/admin/payouts?status=lost", Some(&w.admin.access))
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = w
        .app
        .get(
            "/api/v1/admin/payouts?challenge=nothing-here",
            Some(&w.admin.access),
        )
        .await;
    assert_eq!(r.status(), 404);

    // A reference is required.
    let first = payouts[0]["id"].as_str().unwrap_or_default().to_owned();
    let second = payouts[1]["id"].as_str().unwrap_or_default().to_owned();
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/payouts/{first}/paid"),
            Some(&w.admin.access),
            json!({ "reference": " " }),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;

    // A failure first: the payee is told, the money stays theirs.
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/payouts/{first}/failed"),
            Some(&w.admin.access),
            json!({ "reason": "IBAN closed" }),
        )
        .await;
    let failed = json_of(r).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let payee = failed["user_id"].as_str().unwrap_or_default().to_owned();
    let email = me(&w, &a.winner).await["email"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let other_email = me(&w, &a.coauthor).await["email"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let to = if me(&w, &a.winner).await["id"] == payee.as_str() {
        email.clone()
    } else {
        other_email.clone()
    };
    w.app.wait_for_email(&to, "could not be paid").await;

    // Then paid, by ten admins' clicks at once: one journal entry.
    let url = format!("/api/v1/admin/payouts/{first}/paid");
    let mut calls = Vec::new();
    for i in 0..10 {
        calls.push(w.app.post(
            &url,
            Some(&w.admin.access),
            json!({ "reference": format!("SEPA-{i}") }),
        ));
    }
    let answers = futures_util::future::join_all(calls).await;
    let ok = answers.iter().filter(|r| r.status() == 200).count();
    let conflicts = answers.iter().filter(|r| r.status() == 409).count();
    assert_eq!((ok, conflicts), (1, 9));
    w.app.wait_for_email(&to, "is paid").await;
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/payouts/{second}/paid"),
            Some(&w.admin.access),
            json!({ "reference": "SEPA-2" }),
        )
        .await;
    assert_eq!(json_of(r).await["status"], "paid");
    let own = json_of(
        w.app
            .get("/api/v1/me/payouts", Some(&a.winner.access))
            .await,
    )
    .await;
    assert_eq!(own["data"][0]["status"], "paid");
    assert!(own["data"][0]["paid_at"].is_string());

    // Not settled until the refund is paid.
    let ch = w
        .app
        .get_json(&format!("/api/v1/challenges/{}", a.slug), None)
        .await;
    assert_eq!(ch["state"], "awarded");
    let refund = json_of(
        w.app
            .get("/api/v1/admin/refunds", Some(&w.admin.access))
            .await,
    )
    .await;
    let rid = refund["data"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(refund["data"][0]["org_name"], "Open Lab");
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/refunds/{rid}/paid"),
            Some(&w.admin.access),
            json!({ "reference": "SEPA-R1" }),
        )
        .await;
    assert_eq!(json_of(r).await["status"], "paid");
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/refunds/{rid}/paid"),
            Some(&w.admin.access),
            json!({ "reference": "SEPA-R1" }),
        )
        .await;
    assert_problem(r, 409, "refund_paid").await;
    let ch = w
        .app
        .get_json(&format!("/api/v1/challenges/{}", a.slug), None)
        .await;
    assert_eq!(ch["state"], "settled");
    let mine = json_of(w.app.get(&path, Some(&w.owner.access)).await).await;
    assert_eq!(mine["settled"], true);

    // The ledger: balanced; nobody is owed anything; what left through the
    // provider plus the platform's fee is what came in.
    w.assert_ledger_balanced();
    assert_eq!(balance(&w, AccountKind::SolverPayable, &payee), 0);
    let fees = balance(&w, AccountKind::PlatformFees, PLATFORM);
    let clearing = balance(&w, AccountKind::ProviderClearing, PLATFORM);
    assert!(fees > 0);
    assert_eq!(clearing, -fees, "clearing {clearing}, fees {fees}");

    // Every step audited.
    let audit = w
        .app
        .get_json(
            &format!("/api/v1/orgs/{}/audit", common::fixtures::ORG),
            Some(&w.owner.access),
        )
        .await;
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for needed in [
        "payout.failed",
        "payout.submitted",
        "payout.paid",
        "refund.paid",
    ] {
        assert!(actions.contains(&needed), "{needed} in {actions:?}");
    }

    // The export: a header and one line per payout and refund.
    let r = w
        .app
        .get("/api/v1/admin/payouts.csv", Some(&w.admin.access))
        .await;
    assert_eq!(r.status(), 200);
    assert!(r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv")));
    let text = r.text().await.unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("kind,id,challenge_id"));
    assert_eq!(lines.iter().filter(|l| l.starts_with("payout,")).count(), 2);
    assert!(text.contains("SEPA-R1"));
}

#[tokio::test]
async fn a_cancelled_challenges_refund_is_recorded_once() {
    let w = World::new().await;
    let slug = w.open_challenge("Quiet streets", json!({})).await;
    let r = w
        .app
        .post(
            &format!("/api/v1/challenges/{slug}/cancel"),
            Some(&w.owner.access),
            json!({ "reason": "The sponsor withdrew." }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let mine = json_of(
        w.app
            .get(
                &format!("/api/v1/challenges/{slug}/payouts"),
                Some(&w.owner.access),
            )
            .await,
    )
    .await;
    assert_eq!(mine["refund"]["reason"], "cancelled", "{mine}");
    assert_eq!(mine["refund"]["status"], "pending");
    let rid = mine["refund"]["id"].as_str().unwrap_or_default().to_owned();
    let pay = format!("/api/v1/admin/refunds/{rid}/paid");
    let (a, b) = tokio::join!(
        w.app
            .post(&pay, Some(&w.admin.access), json!({ "reference": "R-1" })),
        w.app
            .post(&pay, Some(&w.admin.access), json!({ "reference": "R-2" }))
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    w.assert_ledger_balanced();
    let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    let entries: i64 = {
        use diesel::prelude::*;
        use tribu::db::schema::journal_entries::dsl::*;
        journal_entries
            .filter(kind.eq("refund_paid"))
            .count()
            .get_result(&mut *conn)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(entries, 1);
    let ch = w
        .app
        .get_json(&format!("/api/v1/challenges/{slug}"), None)
        .await;
    assert_eq!(ch["state"], "cancelled");
}
