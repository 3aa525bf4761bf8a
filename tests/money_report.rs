//! The money report and reconciliation, black box: the admins' API answer
//! and page after results and after each payout and refund, the same
//! figures from `tribu money report` (text and CSV), and `tribu money
//! reconcile` agreeing with honest books and naming each difference when a
//! row and the ledger disagree.

mod common;

use std::process::{Command, Output};

use common::fixtures::World;
use common::visitor::Visitor;
use diesel::RunQueryDsl;
use serde_json::{json, Value};

/// `tribu args…` on the test's database, with no other `TRIBU_*` variable
/// inherited.
fn tribu(w: &World, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tribu"));
    c.current_dir(w.app.dir.path());
    for (k, _) in std::env::vars() {
        if k.starts_with("TRIBU_") {
            c.env_remove(k);
        }
    }
    c.env("TRIBU_DATABASE_URL", w.app.config.database_url.expose())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("tribu {args:?}: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

async fn report(w: &World) -> Value {
    let r = w
        .app
        .get("/api/v1/admin/money/report", Some(&w.admin.access))
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap_or_default()
}

/// The report's line of challenge `slug`.
fn line<'a>(report: &'a Value, slug: &str) -> &'a Value {
    report["challenges"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["slug"] == slug))
        .unwrap_or_else(|| panic!("no line for {slug}: {report}"))
}

/// The amounts of a line or a total, in minor units, in the report's order.
fn figures(v: &Value) -> [i64; 7] {
    [
        "funded",
        "fees",
        "awarded",
        "paid_out",
        "refunded",
        "refund_paid",
        "outstanding",
    ]
    .map(|k| {
        assert_eq!(v[k]["currency"], "EUR", "{k}: {v}");
        v[k]["amount"].as_i64().unwrap_or(i64::MIN)
    })
}

/// The id of each payout of `slug` and of its refund.
async fn money_out(w: &World, slug: &str) -> (Vec<String>, String) {
    let v = w
        .app
        .get_json(
            &format!("/api/v1/challenges/{slug}/payouts"),
            Some(&w.owner.access),
        )
        .await;
    let ids = v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    (
        ids,
        v["refund"]["id"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn record_paid(w: &World, what: &str, id: &str, reference: &str) {
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/{what}/{id}/paid"),
            Some(&w.admin.access),
            json!({ "reference": reference }),
        )
        .await;
    assert_eq!(r.status(), 200, "{what} {id} paid");
}

#[tokio::test]
async fn the_report_follows_results_payouts_and_refunds() {
    let w = World::new().await;
    let a = w.awarded().await;
    let fundings = w
        .app
        .get_json(
            &format!("/api/v1/challenges/{}/fundings", a.slug),
            Some(&w.owner.access),
        )
        .await;
    let fee: i64 = fundings["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["status"] == "confirmed")
        .map(|f| {
            f["fee"]["amount"]
                .as_i64()
                .or(f["fee"].as_i64())
                .unwrap_or(0)
        })
        .sum();
    assert!(fee > 0, "{fundings}");

    // Results: 1000.00 in escrow, 600.00 awarded to a team of two, the
    // unawarded 400.00 owed back to the organisation; nothing sent yet.
    let r = report(&w).await;
    let l = line(&r, &a.slug);
    assert_eq!(l["title"], "Cleaner harbours");
    assert_eq!(l["currency"], "EUR");
    assert_eq!(
        figures(l),
        [100_000, fee, 60_000, 0, 40_000, 0, 100_000],
        "{l}"
    );
    assert_eq!(r["totals"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r["totals"][0]["currency"], "EUR");
    assert_eq!(figures(&r["totals"][0]), figures(l));

    // Admins only.
    for t in [&w.owner, &a.winner] {
        let r = w
            .app
            .get("/api/v1/admin/money/report", Some(&t.access))
            .await;
        assert_eq!(r.status(), 403);
    }
    let r = w.app.get("/api/v1/admin/money/report", None).await;
    assert_eq!(r.status(), 401);

    // Each payment out lowers what is outstanding, once.
    let (payouts, refund) = money_out(&w, &a.slug).await;
    assert_eq!(payouts.len(), 2);
    record_paid(&w, "payouts", &payouts[0], "SEPA-1").await;
    let r = report(&w).await;
    assert_eq!(
        figures(line(&r, &a.slug)),
        [100_000, fee, 60_000, 30_000, 40_000, 0, 70_000]
    );
    record_paid(&w, "refunds", &refund, "SEPA-R").await;
    let r = report(&w).await;
    assert_eq!(
        figures(line(&r, &a.slug)),
        [100_000, fee, 60_000, 30_000, 40_000, 40_000, 30_000]
    );

    // The page shows the same, to admins only.
    let admin = Visitor::signed_in(&w.app, "admin@tribu.org").await;
    let (status, html) = admin.page("/admin/money").await;
    assert_eq!(status, 200);
    assert!(html.contains("Money report"), "{html}");
    assert!(html.contains("Cleaner harbours"));
    assert!(html.contains("data-label=\"Outstanding\""));
    assert!(html.contains("300.00 EUR"));
    assert!(admin.html("/admin").await.contains("href=\"/admin/money\""));
    let owner = Visitor::signed_in(&w.app, common::fixtures::OWNER).await;
    assert_eq!(owner.page("/admin/money").await.0, 403);
    let anonymous = Visitor::new(&w.app);
    assert_eq!(anonymous.get("/admin/money").await.status(), 303);

    // The command line reads the same figures.
    let out = tribu(&w, &["money", "report"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    let row = text
        .lines()
        .find(|l| l.contains(&a.slug))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.starts_with("Cleaner harbours"), "{text}");
    for amount in ["600.00 EUR", "300.00 EUR", "400.00 EUR"] {
        assert!(row.contains(amount), "{amount}: {text}");
    }
    assert!(text.lines().any(|l| l.starts_with("Total EUR")), "{text}");
    let out = tribu(&w, &["money", "report", "--csv"]);
    assert!(out.status.success());
    let csv = stdout(&out);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("kind,challenge_id,slug,title,currency,funded"));
    assert!(
        lines[1].ends_with(&format!(
            ",{},Cleaner harbours,EUR,100000,{fee},60000,30000,40000,40000,30000",
            a.slug
        )),
        "{csv}"
    );
    assert!(lines[2].starts_with("total,,,,EUR,100000,"), "{csv}");

    // The last payout: nothing outstanding.
    record_paid(&w, "payouts", &payouts[1], "SEPA-2").await;
    let r = report(&w).await;
    assert_eq!(
        figures(line(&r, &a.slug)),
        [100_000, fee, 60_000, 60_000, 40_000, 40_000, 0]
    );
    w.assert_ledger_balanced();
}

#[tokio::test]
async fn reconcile_names_each_difference_between_the_ledger_and_the_rows() {
    let w = World::new().await;
    let a = w.awarded().await;
    let (payouts, _) = money_out(&w, &a.slug).await;
    record_paid(&w, "payouts", &payouts[0], "SEPA-1").await;

    let out = tribu(&w, &["money", "reconcile"]);
    assert!(
        out.status.success(),
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("agree"));

    // A row marked paid behind the ledger's back, and a paid amount
    // changed afterwards: two differences, and a failing exit.
    {
        let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        diesel::sql_query("UPDATE payouts SET status = 'paid' WHERE id = $1")
            .bind::<diesel::sql_types::Text, _>(&payouts[1])
            .execute(&mut *conn)
            .unwrap_or_else(|e| panic!("{e}"));
        diesel::sql_query("UPDATE payouts SET amount = amount + 1 WHERE id = $1")
            .bind::<diesel::sql_types::Text, _>(&payouts[0])
            .execute(&mut *conn)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let out = tribu(&w, &["money", "reconcile"]);
    assert!(!out.status.success());
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 2, "{text}");
    let unknown = text
        .lines()
        .find(|l| l.contains(&payouts[1]))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        unknown.starts_with("at the provider, not in the ledger"),
        "{text}"
    );
    let differs = text
        .lines()
        .find(|l| l.contains(&payouts[0]))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(differs.starts_with("amounts differ"), "{text}");
    assert!(differs.contains("300.00 EUR") && differs.contains("300.01 EUR"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 difference"));
}

#[tokio::test]
async fn an_empty_ledger_reports_nothing() {
    let w = World::new().await;
    let r = report(&w).await;
    assert_eq!(r, json!({ "challenges": [], "totals": [] }));
    let out = tribu(&w, &["money", "report"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout(&out), "No money in the ledger yet.\n");
    let out = tribu(&w, &["money", "reconcile"]);
    assert!(out.status.success());
    for args in [
        ["money", "report", "--help"],
        ["money", "reconcile", "--help"],
    ] {
        assert!(stdout(&tribu(&w, &args)).contains("Usage"));
    }
}
