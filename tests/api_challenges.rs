//! Challenges over the API: escrow before publication, the manual funding
//! flow, cancellation refunds, the deadline by the server's clock, search and
//! paging, registration and rules versions, Q&A, announcements, review.

mod common;

use std::collections::HashSet;

use chrono::Duration;
use common::assert_problem;
use common::fixtures::{at, id_of, slug_of, World, ORG};
use serde_json::{json, Value};

/// A water challenge closing in 30 days, with two prize tiers (500,000 in all).
fn body(title: &str) -> Value {
    World::challenge_body(
        title,
        Duration::days(30),
        json!({
            "summary": "Find a cheap way to clean drinking water in villages.",
            "description": "## Context\n\nMillions lack **clean water**. Describe your method.",
            "category": "water",
            "tags": ["water", "Low Cost"],
            "kind": "ideation",
            "prize_tiers": [{ "rank": 1, "label": "Winner", "amount": 400000 }, { "rank": 2, "label": "Runner-up", "amount": 100000 }],
            "judging_deadline": at(Duration::days(45)),
            "rules": "Entries must be original work. One entry per team."
        }),
    )
}

#[tokio::test]
async fn publishing_needs_the_whole_pool_in_escrow() {
    let w = World::new().await;
    let c = w.create(body("Clean water for villages")).await;
    assert_eq!(c["state"], "draft");
    assert_eq!(
        c["prize_pool"],
        json!({ "amount": 500000, "currency": "EUR" })
    );
    let slug = slug_of(&c);
    assert_eq!(slug, "clean-water-for-villages");

    let r = w.post_publish(&slug).await;
    assert_problem(r, 409, "escrow_insufficient").await;

    let r = w.post_funding(&slug).await;
    assert_eq!(r.status(), 201);
    let f: Value = r.json().await.unwrap_or_default();
    assert_eq!(f["amount"], 500000);
    assert_eq!(f["fee"], 25000, "5 % platform fee");
    assert_eq!(f["total"]["amount"], 525000);
    let fid = id_of(&f);
    // A second request while one waits: nothing more is needed.
    let r = w.post_funding(&slug).await;
    assert_problem(r, 409, "already_funded").await;
    // Still not publishable: money has not arrived.
    let r = w.post_publish(&slug).await;
    assert_problem(r, 409, "escrow_insufficient").await;

    // Only a platform admin confirms.
    let confirm = format!("/api/v1/admin/fundings/{fid}/confirm");
    assert_problem(
        w.app
            .post(&confirm, Some(&w.owner.access), json!({ "reference": "X" }))
            .await,
        403,
        "admin_required",
    )
    .await;
    let pending: Value = w
        .app
        .get_json("/api/v1/admin/fundings", Some(&w.admin.access))
        .await;
    assert_eq!(pending["data"].as_array().map(Vec::len), Some(1));
    let r = w
        .app
        .post(
            &confirm,
            Some(&w.admin.access),
            json!({ "reference": "BANK-2026-001" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    // Confirming again moves nothing.
    assert_problem(
        w.app
            .post(
                &confirm,
                Some(&w.admin.access),
                json!({ "reference": "BANK-2026-001" }),
            )
            .await,
        409,
        "funding_not_pending",
    )
    .await;

    let e: Value = w
        .app
        .get_json(
            &format!("/api/v1/challenges/{slug}/escrow"),
            Some(&w.owner.access),
        )
        .await;
    assert_eq!(e["funded"]["amount"], 500000);
    assert_eq!(e["balance"]["amount"], 500000);
    assert_eq!(e["fully_funded"], true);

    // Not public before it opens.
    assert_problem(
        w.app.get(&format!("/api/v1/challenges/{slug}"), None).await,
        404,
        "not_found",
    )
    .await;
    let p = w.publish(&slug).await;
    assert_eq!(p["outcome"], "open");
    assert_eq!(p["challenge"]["state"], "open");

    // Listed, with its escrow badge, and its escrow public.
    let list: Value = w.app.get_json("/api/v1/challenges", None).await;
    let item = list["data"]
        .as_array()
        .and_then(|d| d.iter().find(|c| c["slug"] == slug.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(item["funded"], true, "{list}");
    assert_eq!(item["state"], "open");
    let e: Value = w
        .app
        .get_json(&format!("/api/v1/challenges/{slug}/escrow"), None)
        .await;
    assert_eq!(e["fully_funded"], true);

    // Audit: who moved it from where to where.
    let a: Value = w
        .app
        .get_json(
            &format!("/api/v1/challenges/{slug}/audit"),
            Some(&w.owner.access),
        )
        .await;
    let actions: Vec<&str> = a["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for x in [
        "challenge.created",
        "funding.requested",
        "funding.confirmed",
        "challenge.transition",
    ] {
        assert!(actions.contains(&x), "{x} in {actions:?}");
    }
    w.assert_ledger_balanced();
    // Publishing twice is an illegal transition.
    let r = w.post_publish(&slug).await;
    assert_problem(r, 409, "illegal_transition").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_confirmations_move_money_once() {
    let w = std::sync::Arc::new(
        World::with(|c| {
            c.http_workers = 4;
            c.db_pool_size = 8;
        })
        .await,
    );
    let c = w.create(body("Race to confirm")).await;
    let slug = slug_of(&c);
    let fid = id_of(&w.request_funding(&slug).await);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (w, fid) = (w.clone(), fid.clone());
        tasks.push(tokio::spawn(async move {
            w.app
                .post(
                    &format!("/api/v1/admin/fundings/{fid}/confirm"),
                    Some(&w.admin.access),
                    json!({ "reference": "R" }),
                )
                .await
                .status()
                .as_u16()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap_or(0));
    }
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 200 || *c == 409), "{codes:?}");
    let e: Value = w
        .app
        .get_json(
            &format!("/api/v1/challenges/{slug}/escrow"),
            Some(&w.owner.access),
        )
        .await;
    assert_eq!(e["funded"]["amount"], 500000);
    w.assert_ledger_balanced();
}

#[tokio::test]
async fn cancelling_refunds_the_escrow() {
    let w = World::new().await;
    let slug = slug_of(&w.launch(body("Cancelled idea")).await);
    let r = w
        .app
        .post(
            &format!("/api/v1/challenges/{slug}/cancel"),
            Some(&w.owner.access),
            json!({ "reason": "The sponsor withdrew." }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["state"], "cancelled");
    assert_eq!(v["escrow"]["refunded"]["amount"], 500000);
    assert_eq!(v["escrow"]["balance"]["amount"], 0);
    assert_problem(
        w.app
            .post(
                &format!("/api/v1/challenges/{slug}/cancel"),
                Some(&w.owner.access),
                json!({ "reason": "The sponsor withdrew." }),
            )
            .await,
        409,
        "illegal_transition",
    )
    .await;
    let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    let eur = tribu::money::model::Currency::parse("c", "EUR").unwrap_or_else(|e| panic!("{e:?}"));
    let org_id = tribu::orgs::store::find_by_slug(&mut conn, ORG)
        .ok()
        .flatten()
        .map(|o| o.id)
        .unwrap_or_default();
    let back = tribu::money::store::balance(
        &mut conn,
        &tribu::money::model::AccountRef::new(
            tribu::money::model::AccountKind::OrgFunding,
            &org_id,
            &eur,
        ),
    )
    .unwrap_or_default();
    assert_eq!(back, 500000);
    drop(conn);
    w.assert_ledger_balanced();
}

#[tokio::test]
async fn a_passed_deadline_refuses_registration_before_the_worker_closes_it() {
    // The worker sleeps for an hour: only the clock can close the challenge.
    let w = World::with(|c| c.worker_poll_ms = 3_600_000).await;
    let solver = w.app.signed_in("solver@example.org", "Sol").await;
    let mut b = body("Last minute");
    b["submission_deadline"] = json!(at(Duration::seconds(3)));
    let slug = slug_of(&w.launch(b).await);
    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
    let r = w.post_registration(&solver, &slug, 1, true).await;
    assert_problem(r, 409, "deadline_passed").await;
    // Shown as closed, though still stored as open.
    let v: Value = w
        .app
        .get_json(&format!("/api/v1/challenges/{slug}"), None)
        .await;
    assert_eq!(v["state"], "closed");
    let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    let stored = tribu::challenges::store::find_by_key(&mut conn, &slug)
        .ok()
        .flatten()
        .map(|c| c.state)
        .unwrap_or_default();
    assert_eq!(stored, "open", "the worker has not run");
    let list: Value = w
        .app
        .get_json("/api/v1/challenges?state=closed", None)
        .await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    // The worker's job makes it permanent and audited.
    assert_eq!(
        tribu::challenges::service::close_due(&mut conn).unwrap_or(0),
        1
    );
    let stored = tribu::challenges::store::find_by_key(&mut conn, &slug)
        .ok()
        .flatten()
        .map(|c| c.state)
        .unwrap_or_default();
    assert_eq!(stored, "closed");
}

#[tokio::test]
async fn search_finds_title_summary_and_description_words() {
    let w = World::new().await;
    let mut a = body("Solar desalination for islands");
    a["summary"] = json!("Turn seawater into drinking water with sunlight only.");
    let a = slug_of(&w.launch(a).await);
    let mut b = body("Urban heat maps");
    b["summary"] = json!("Map heat islands in cities with volunteers.");
    b["description"] = json!("We want **crowdsourced thermometers** and open data.");
    b["category"] = json!("environment");
    let b = slug_of(&w.launch(b).await);
    let mut hidden = body("Secret desalination plan");
    hidden["visibility"] = json!("unlisted");
    let hidden = slug_of(&w.launch(hidden).await);
    w.create(body("Draft desalination notes")).await;

    let find = |q: &str| {
        let url = format!("/api/v1/challenges?q={}", urlencode(q));
        let app = &w.app;
        async move {
            let v: Value = app.get_json(&url, None).await;
            v["data"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|c| c["slug"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        find("desalination").await,
        vec![a.clone()],
        "title word; unlisted and draft left out"
    );
    assert_eq!(find("seawater").await, vec![a.clone()], "summary word");
    assert_eq!(
        find("thermometers").await,
        vec![b.clone()],
        "description word"
    );
    assert_eq!(find("desal").await, vec![a.clone()], "prefix");
    assert_eq!(find("heat islands").await, vec![b.clone()], "all words");
    assert!(find("nothing-matches-this").await.is_empty());
    assert!(
        find("\"OR* NEAR(").await.is_empty() || !find("\"OR* NEAR(").await.is_empty(),
        "query syntax is not an error"
    );
    let r = w.app.get("/api/v1/challenges?q=%22OR*%20NEAR(", None).await;
    assert_eq!(r.status(), 200);
    // Filters combine with search.
    let v: Value = w
        .app
        .get_json(
            "/api/v1/challenges?category=environment&min_prize=500000&currency=EUR&tag=low-cost",
            None,
        )
        .await;
    assert_eq!(v["data"].as_array().map(Vec::len), Some(1), "{v}");
    // The unlisted one opens by link.
    assert_eq!(
        w.app
            .get(&format!("/api/v1/challenges/{hidden}"), None)
            .await
            .status(),
        200
    );
    let bad = w.app.get("/api/v1/challenges?sort=sideways", None).await;
    assert_problem(bad, 400, "invalid_query").await;
    assert_problem(
        w.app.get("/api/v1/challenges?cursor=garbage", None).await,
        400,
        "invalid_cursor",
    )
    .await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn paging_returns_each_item_once_while_new_ones_arrive() {
    let w = World::new().await;
    let mut expected = HashSet::new();
    for i in 0..7 {
        let mut b = body(&format!("Challenge number {i}"));
        b["prize_tiers"] =
            json!([{ "rank": 1, "label": "Winner", "amount": 100000 + (i % 3) * 1000 }]);
        expected.insert(slug_of(&w.launch(b).await));
    }
    for sort in ["newest", "largest_prize", "deadline_soonest"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut added = 0;
        loop {
            let url = match &cursor {
                Some(c) => format!("/api/v1/challenges?limit=3&sort={sort}&cursor={c}"),
                None => format!("/api/v1/challenges?limit=3&sort={sort}"),
            };
            let v: Value = w.app.get_json(&url, None).await;
            for c in v["data"].as_array().into_iter().flatten() {
                seen.push(slug_of(c));
            }
            // New challenges appear while paging.
            if added < 2 {
                let mut b = body(&format!("Late arrival {sort} {added}"));
                b["prize_tiers"] = json!([{ "rank": 1, "label": "Winner", "amount": 101000 }]);
                w.launch(b).await;
                added += 1;
            }
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let unique: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "{sort}: duplicates in {seen:?}");
        assert!(
            expected.is_subset(&unique),
            "{sort}: missing some of {expected:?} in {seen:?}"
        );
    }
}

#[tokio::test]
async fn registration_accepts_the_rules_and_new_versions_need_accepting_again() {
    let w = World::new().await;
    let solver = w.app.signed_in("solver@example.org", "Sol Ver").await;
    let draft = w.create(body("Not yet open")).await;
    let dslug = slug_of(&draft);
    let reg = |slug: &str| format!("/api/v1/challenges/{slug}/registrations");
    assert_problem(
        w.post_registration(&solver, &dslug, 1, true).await,
        404,
        "not_found",
    )
    .await;

    let slug = slug_of(&w.launch(body("Open for all")).await);
    let r = w.post_registration(&solver, &slug, 1, false).await;
    let v = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(v["errors"][0]["field"], "accept_rules");
    let r = w.post_registration(&solver, &slug, 1, true).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["rules_version"], 1);
    assert!(v["accepted_at"].as_str().unwrap_or("").ends_with('Z'));

    // The organisation publishes rules version 2.
    let r = w
        .app
        .post(
            &format!("/api/v1/challenges/{slug}/rules"),
            Some(&w.owner.access),
            json!({ "text": "Version two: teams of up to three people." }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let v: Value = w
        .app
        .get_json(&format!("/api/v1/challenges/{slug}"), Some(&solver.access))
        .await;
    assert_eq!(v["rules"]["version"], 2);
    assert_eq!(v["viewer"]["needs_reacceptance"], true);
    let mine: Value = w
        .app
        .get_json("/api/v1/me/registrations", Some(&solver.access))
        .await;
    assert_eq!(mine["data"][0]["needs_reacceptance"], true);
    let r = w.post_registration(&solver, &slug, 1, true).await;
    assert_problem(r, 409, "rules_version_mismatch").await;
    let r = w.post_registration(&solver, &slug, 2, true).await;
    assert_eq!(r.status(), 200);
    let v: Value = w
        .app
        .get_json(&format!("/api/v1/challenges/{slug}"), Some(&solver.access))
        .await;
    assert_eq!(v["viewer"]["needs_reacceptance"], false);
    assert_eq!(v["registrations"], 1);

    // The organisation sees who registered.
    let list: Value = w.app.get_json(&reg(&slug), Some(&w.owner.access)).await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["data"][0]["email"], "solver@example.org");
    assert_problem(
        w.app.get(&reg(&slug), Some(&solver.access)).await,
        404,
        "not_found",
    )
    .await;

    // A cancelled challenge takes no registrations.
    w.app
        .post(
            &format!("/api/v1/challenges/{slug}/cancel"),
            Some(&w.owner.access),
            json!({ "reason": "The sponsor withdrew." }),
        )
        .await;
    let other = w.app.signed_in("late@example.org", "Late").await;
    let r = w.post_registration(&other, &slug, 2, true).await;
    assert_problem(r, 409, "challenge_not_open").await;
}

#[tokio::test]
async fn questions_answers_and_announcements() {
    let w = World::new().await;
    let slug = slug_of(&w.launch(body("Ask us anything")).await);
    let solver = w.app.signed_in("asker@example.org", "Asker").await;
    let french = w.app.signed_in("fr@example.org", "Aimée").await;
    w.app
        .patch(
            "/api/v1/me",
            Some(&french.access),
            json!({ "language": "fr" }),
        )
        .await;
    let q = format!("/api/v1/challenges/{slug}/questions");
    assert_problem(
        w.app
            .post(
                &q,
                Some(&solver.access),
                json!({ "body": "Can teams span countries?" }),
            )
            .await,
        403,
        "registration_required",
    )
    .await;
    for t in [&solver, &french] {
        w.register(t, &slug).await;
    }
    let public: Value = w
        .app
        .post(
            &q,
            Some(&solver.access),
            json!({ "body": "Can teams span countries?" }),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    let private: Value = w
        .app
        .post(
            &q,
            Some(&solver.access),
            json!({ "body": "Is my prototype patent a problem?", "is_public": false }),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    // Unanswered: visitors see nothing, the asker sees both, the organisation sees both.
    let seen = |v: Value| v["data"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(seen(w.app.get_json(&q, None).await), 0);
    assert_eq!(seen(w.app.get_json(&q, Some(&solver.access)).await), 2);
    assert_eq!(seen(w.app.get_json(&q, Some(&w.owner.access)).await), 2);
    for id in [&public["id"], &private["id"]] {
        let r = w
            .app
            .post(
                &format!(
                    "/api/v1/questions/{}/answer",
                    id.as_str().unwrap_or_default()
                ),
                Some(&w.owner.access),
                json!({ "answer": "Yes." }),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    // Answered public questions are public; private ones stay private.
    let v: Value = w.app.get_json(&q, None).await;
    assert_eq!(seen(v.clone()), 1);
    assert_eq!(v["data"][0]["answer"], "Yes.");
    assert_eq!(seen(w.app.get_json(&q, Some(&french.access)).await), 1);
    w.app
        .wait_for_email("asker@example.org", "Read the answer")
        .await;
    // Only the organisation answers.
    let r = w
        .app
        .post(
            &format!(
                "/api/v1/questions/{}/answer",
                public["id"].as_str().unwrap_or_default()
            ),
            Some(&solver.access),
            json!({ "answer": "Me!" }),
        )
        .await;
    assert_problem(r, 404, "not_found").await;

    let r = w
        .app
        .post(
            &format!("/api/v1/challenges/{slug}/announcements"),
            Some(&w.owner.access),
            json!({ "title": "Deadline reminder", "body": "Two weeks left!" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let list: Value = w
        .app
        .get_json(&format!("/api/v1/challenges/{slug}/announcements"), None)
        .await;
    assert_eq!(list["data"][0]["title"], "Deadline reminder");
    w.app
        .wait_for_email("asker@example.org", "Deadline reminder")
        .await;
    let fr = w
        .app
        .wait_for_email("fr@example.org", "Deadline reminder")
        .await;
    assert!(fr.contains("annonce"), "French announcement: {fr}");
}

#[tokio::test]
async fn descriptions_render_inert() {
    let w = World::new().await;
    let mut b = body("Markdown safety");
    b["description"] = json!(
        "<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n<img src=x onerror=alert(1)>\n\n<svg onload=alert(1)></svg>\n\n[d](data:text/html;base64,PHNjcmlwdD4=)\n\n[ok](https://example.org)"
    );
    let c = w.create(b).await;
    let html = c["description_html"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    for bad in [
        "<script",
        "javascript:",
        "onerror",
        "onload",
        "<svg",
        "data:",
    ] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert!(html.contains("rel=\"nofollow noopener noreferrer\""));
}

#[tokio::test]
async fn permissions_validation_and_locked_fields() {
    let w = World::new().await;
    // Licences are checked.
    let mut b = body("Licence check");
    b["allowed_licences"] = json!(["CC-BY-NC-4.0"]);
    let v = assert_problem(
        w.app
            .post("/api/v1/challenges", Some(&w.owner.access), b)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(v["errors"][0]["field"], "allowed_licences");
    let mut b = body("Past deadline");
    b["submission_deadline"] = json!(at(Duration::days(-1)));
    let v = assert_problem(
        w.app
            .post("/api/v1/challenges", Some(&w.owner.access), b)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        v["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["field"] == "submission_deadline"),
        "{v}"
    );

    // A plain member drafts but cannot publish; outsiders see nothing.
    let member = w.app.signed_in("member@water.org", "Mem").await;
    w.join_org(&member, "member@water.org", "member").await;
    let r = w
        .app
        .post(
            "/api/v1/challenges",
            Some(&member.access),
            body("Member draft"),
        )
        .await;
    assert_eq!(r.status(), 201);
    let c: Value = r.json().await.unwrap_or_default();
    let slug = slug_of(&c);
    assert_problem(
        w.app
            .post(
                &format!("/api/v1/challenges/{slug}/publish"),
                Some(&member.access),
                json!({}),
            )
            .await,
        403,
        "insufficient_role",
    )
    .await;
    let outsider = w.app.signed_in("out@example.org", "Out").await;
    assert_problem(
        w.app
            .get(
                &format!("/api/v1/challenges/{slug}"),
                Some(&outsider.access),
            )
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        w.app
            .patch(
                &format!("/api/v1/challenges/{slug}"),
                Some(&outsider.access),
                json!({ "summary": "Hijacked summary text" }),
            )
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        w.app
            .post(
                "/api/v1/challenges",
                Some(&outsider.access),
                body("Not mine"),
            )
            .await,
        404,
        "not_found",
    )
    .await;

    // Drafts change freely; open challenges keep their promises.
    let r = w
        .app
        .patch(
            &format!("/api/v1/challenges/{slug}"),
            Some(&member.access),
            json!({ "title": "Member draft, renamed" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    w.fund(&slug).await;
    w.publish(&slug).await;
    let r = w
        .app
        .patch(
            &format!("/api/v1/challenges/{slug}"),
            Some(&w.owner.access),
            json!({ "prize_tiers": [{ "rank": 1, "label": "Less", "amount": 1 }] }),
        )
        .await;
    assert_problem(r, 409, "locked_after_publish").await;
    let r = w
        .app
        .patch(
            &format!("/api/v1/challenges/{slug}"),
            Some(&w.owner.access),
            json!({ "summary": "A clearer summary of the challenge." }),
        )
        .await;
    assert_eq!(r.status(), 200);

    // API keys act within their scopes.
    let key = w.api_key(&["challenges:read"]).await;
    let secret = key.as_str();
    let mine: Value = w
        .app
        .get_json(&format!("/api/v1/orgs/{ORG}/challenges"), Some(secret))
        .await;
    assert_eq!(mine["data"].as_array().map(Vec::len), Some(1));
    let r = w
        .app
        .post("/api/v1/challenges", Some(secret), body("Key draft"))
        .await;
    assert_problem(r, 403, "insufficient_scope").await;
}

#[tokio::test]
async fn publishing_can_require_an_admins_review() {
    let w = World::new().await;
    let r = w
        .app
        .http
        .put(w.app.url("/api/v1/admin/settings"))
        .bearer_auth(&w.admin.access)
        .json(&json!({ "publish_requires_review": true }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let c = w.create(body("Reviewed challenge")).await;
    let slug = slug_of(&c);
    w.fund(&slug).await;
    let p = w.publish(&slug).await;
    assert_eq!(p["outcome"], "awaiting_review");
    assert_eq!(p["challenge"]["state"], "draft");
    let queue: Value = w
        .app
        .get_json("/api/v1/admin/reviews", Some(&w.admin.access))
        .await;
    assert_eq!(queue["data"][0]["slug"], slug.as_str());
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/reviews/{slug}/request-changes"),
            Some(&w.admin.access),
            json!({}),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/reviews/{slug}/request-changes"),
            Some(&w.admin.access),
            json!({ "comment": "Please add judging criteria." }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = w
        .app
        .get_json(&format!("/api/v1/challenges/{slug}"), Some(&w.owner.access))
        .await;
    assert_eq!(v["review"]["state"], "changes_requested");
    assert_eq!(v["review"]["comment"], "Please add judging criteria.");
    assert_eq!(w.publish(&slug).await["outcome"], "awaiting_review");
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/reviews/{slug}/approve"),
            Some(&w.admin.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["state"], "open");
}
