//! Submissions over the API: licences, revisions and their hashes, the
//! deadline, teams and shares, attachments, withdrawal and disqualification,
//! confidentiality before and after results, and the solutions gallery.

mod common;

use chrono::Duration;
use common::fixtures::{id_of, World};
use common::{assert_problem, Tokens};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[tokio::test]
async fn licences_revisions_and_the_deadline() {
    let w = World::new().await;
    let slug = w
        .open_challenge_closing("River sensors", Duration::seconds(6), json!({}))
        .await;
    let solver = w.solver("sol@example.org", "Sol Solver", &slug).await;
    let r = w
        .app
        .post(
            &format!("/api/v1/challenges/{slug}/submissions"),
            Some(&solver.access),
            json!({ "title": "Closed sensor", "abstract": "A proprietary design.", "body": "Secret.", "licence": "GPL-3.0-only" }),
        )
        .await;
    let v = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(v["errors"][0]["field"], "licence");

    let s = w.submit(&solver, &slug, "Turbidity sensor", false).await;
    let id = id_of(&s);
    assert_eq!(s["licence"]["id"], "CC-BY-4.0");
    assert_eq!(
        s["attribution"],
        "Turbidity sensor — by Sol Solver — CC-BY-4.0"
    );
    let mut hashes = vec![s["revision"]["sha256"]
        .as_str()
        .unwrap_or_default()
        .to_owned()];
    for i in 1..=3 {
        let r = w
            .app
            .patch(
                &format!("/api/v1/submissions/{id}"),
                Some(&solver.access),
                json!({ "body": format!("Version {i} of the design.") }),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(v["revision"]["number"], i + 1);
        hashes.push(
            v["revision"]["sha256"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let revs: Value = w
        .app
        .get_json(
            &format!("/api/v1/submissions/{id}/revisions"),
            Some(&solver.access),
        )
        .await;
    assert_eq!(revs["data"].as_array().map(Vec::len), Some(4));
    let unique: std::collections::HashSet<_> = hashes.iter().collect();
    assert_eq!(unique.len(), 4, "every revision has its own hash");
    assert!(hashes.iter().all(|h| h.len() == 64));
    // The licence shows on every view.
    let mine: Value = w
        .app
        .get_json("/api/v1/me/submissions", Some(&solver.access))
        .await;
    assert_eq!(mine["data"][0]["licence"]["id"], "CC-BY-4.0");
    let list: Value = w
        .app
        .get_json(
            &format!("/api/v1/challenges/{slug}/submissions"),
            Some(&w.owner.access),
        )
        .await;
    assert_eq!(list["data"][0]["licence"]["id"], "CC-BY-4.0");
    // Receipts are emailed with the hash.
    w.app.wait_for_email("sol@example.org", &hashes[3]).await;

    // After the deadline: read-only, and the judged revision is the last before it.
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let r = w
        .app
        .patch(
            &format!("/api/v1/submissions/{id}"),
            Some(&solver.access),
            json!({ "body": "Too late." }),
        )
        .await;
    assert_problem(r, 409, "deadline_passed").await;
    let r = w
        .app
        .patch(
            &format!("/api/v1/submissions/{id}"),
            Some(&solver.access),
            json!({ "licence": "MIT" }),
        )
        .await;
    assert_problem(r, 409, "deadline_passed").await;
    let v: Value = w
        .app
        .get_json(&format!("/api/v1/submissions/{id}"), Some(&solver.access))
        .await;
    assert_eq!(v["judged_revision"], 4);
    let revs: Value = w
        .app
        .get_json(
            &format!("/api/v1/submissions/{id}/revisions"),
            Some(&solver.access),
        )
        .await;
    assert_eq!(revs["data"][3]["judged"], true);
}

#[tokio::test]
async fn teams_shares_and_limits() {
    let w = World::new().await;
    let slug = w
        .open_challenge("Team play", json!({ "max_team_size": 2 }))
        .await;
    let lead = w.solver("lead@example.org", "Lea Lead", &slug).await;
    let mate = w.solver("mate@example.org", "Mat Mate", &slug).await;
    let s = w.submit(&lead, &slug, "Team sensor", false).await;
    let id = id_of(&s);
    let r = w
        .app
        .post(
            &format!("/api/v1/submissions/{id}/team/invitations"),
            Some(&lead.access),
            json!({ "email": "mate@example.org" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    // Team size 2: a third invitation is refused.
    let r = w
        .app
        .post(
            &format!("/api/v1/submissions/{id}/team/invitations"),
            Some(&lead.access),
            json!({ "email": "third@example.org" }),
        )
        .await;
    let v = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(v["errors"][0]["code"], "team_too_large");
    let token = w
        .app
        .token_from_email("mate@example.org", "/team-invitations/")
        .await;
    let r = w
        .app
        .post(
            "/api/v1/team-invitations/accept",
            Some(&mate.access),
            json!({ "token": token }),
        )
        .await;
    assert_eq!(r.status(), 204);
    let v: Value = w
        .app
        .get_json(&format!("/api/v1/submissions/{id}"), Some(&mate.access))
        .await;
    let shares: Vec<i64> = v["team"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["share_bps"].as_i64())
        .collect();
    assert_eq!(shares, vec![5000, 5000], "equal by default");

    // A second team for the same solver in the same challenge.
    let other = w.solver("other@example.org", "Oth Other", &slug).await;
    let s2 = w.submit(&other, &slug, "Rival sensor", false).await;
    let id2 = id_of(&s2);
    w.app
        .post(
            &format!("/api/v1/submissions/{id2}/team/invitations"),
            Some(&other.access),
            json!({ "email": "mate@example.org" }),
        )
        .await;
    // The second invitation email to mate carries a new token.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let token2 = loop {
        let mut found = None;
        for e in std::fs::read_dir(w.app.mail_dir())
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = common::decode_qp(&std::fs::read_to_string(e.path()).unwrap_or_default());
            if text.contains("To: mate@example.org") {
                if let Some(t) =
                    common::link_token(&text, "/team-invitations/").filter(|t| *t != token)
                {
                    found = Some(t);
                }
            }
        }
        if let Some(t) = found {
            break t;
        }
        assert!(std::time::Instant::now() < deadline, "no second invitation");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let r = w
        .app
        .post(
            "/api/v1/team-invitations/accept",
            Some(&mate.access),
            json!({ "token": token2 }),
        )
        .await;
    assert_problem(r, 409, "already_in_team").await;

    // Shares must sum to 10,000; a change needs every member.
    let lead_id = v["team"][0]["user_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mate_id = v["team"][1]["user_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = w
        .app
        .post(&format!("/api/v1/submissions/{id}/team/shares"), Some(&lead.access), json!({ "shares": [{ "user_id": lead_id, "bps": 7000 }, { "user_id": mate_id, "bps": 2000 }] }))
        .await;
    let v = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(v["errors"][0]["code"], "shares_sum");
    let r = w
        .app
        .post(&format!("/api/v1/submissions/{id}/team/shares"), Some(&lead.access), json!({ "shares": [{ "user_id": lead_id, "bps": 7000 }, { "user_id": mate_id, "bps": 3000 }] }))
        .await;
    let o: Value = r.json().await.unwrap_or_default();
    assert_eq!(o["applied"], false, "waits for the other member");
    let r = w
        .app
        .post(
            &format!("/api/v1/submissions/{id}/team/shares/approve"),
            Some(&mate.access),
            json!({}),
        )
        .await;
    let o: Value = r.json().await.unwrap_or_default();
    assert_eq!(o["applied"], true);
    let v: Value = w
        .app
        .get_json(&format!("/api/v1/submissions/{id}"), Some(&lead.access))
        .await;
    assert_eq!(v["team"][0]["share_bps"], 7000);
    // A member leaves: back to equal (one member, everything).
    let r = w
        .app
        .delete(
            &format!("/api/v1/submissions/{id}/team/members/{mate_id}"),
            Some(&mate.access),
        )
        .await;
    assert_eq!(r.status(), 204);
    let v: Value = w
        .app
        .get_json(&format!("/api/v1/submissions/{id}"), Some(&lead.access))
        .await;
    assert_eq!(v["team"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["team"][0]["share_bps"], 10000);

    // Per-solver limit (2); withdrawn ones no longer count.
    w.submit(&lead, &slug, "Second sensor", false).await;
    let r = w
        .app
        .post(&format!("/api/v1/challenges/{slug}/submissions"), Some(&lead.access), json!({ "title": "Third", "abstract": "One too many entries.", "body": "x", "licence": "MIT" }))
        .await;
    assert_problem(r, 409, "submission_limit_reached").await;
    assert_eq!(
        w.app
            .post(
                &format!("/api/v1/submissions/{id}/withdraw"),
                Some(&lead.access),
                json!({})
            )
            .await
            .status(),
        200
    );
    w.submit(&lead, &slug, "Third sensor", false).await;
}

#[tokio::test]
async fn attachments_are_safe_and_hashed() {
    let w = World::with(|c| c.attachment_max_bytes = 4096).await;
    let slug = w.open_challenge("Files", json!({})).await;
    let solver = w.solver("files@example.org", "Fil", &slug).await;
    let s = w.submit(&solver, &slug, "With files", false).await;
    let id = id_of(&s);
    assert_problem(
        w.upload(&solver, &id, "big.bin", &vec![7u8; 5000]).await,
        413,
        "payload_too_large",
    )
    .await;
    // A challenge's own limits win over the platform's.
    let strict = w
        .open_challenge(
            "Small files only",
            json!({ "max_attachment_bytes": 1024, "max_submission_bytes": 2048 }),
        )
        .await;
    w.register(&solver, &strict).await;
    let s2 = w.submit(&solver, &strict, "Small", false).await;
    let id2 = id_of(&s2);
    assert_problem(
        w.upload(&solver, &id2, "k.bin", &[1u8; 1500]).await,
        413,
        "payload_too_large",
    )
    .await;
    for i in 0..2u8 {
        assert_eq!(
            w.upload(&solver, &id2, &format!("{i}.bin"), &[i + 2; 1000])
                .await
                .status(),
            201
        );
    }
    assert_problem(
        w.upload(&solver, &id2, "third.bin", &[9u8; 100]).await,
        413,
        "payload_too_large",
    )
    .await;

    let html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>";
    let r = w.upload(&solver, &id, "../../etc/passwd", html).await;
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.unwrap_or_default();
    assert_eq!(a["attachment"]["filename"], "passwd");
    assert_eq!(
        a["attachment"]["content_type"], "text/html",
        "detected from the bytes"
    );
    assert_eq!(a["attachment"]["sha256"], hex::encode(Sha256::digest(html)));
    assert_eq!(a["revision"]["number"], 2);
    let url = a["attachment"]["url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = w.app.get(&url, Some(&solver.access)).await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(
        h.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/octet-stream")
    );
    assert!(h
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .starts_with("attachment;"));
    assert_eq!(
        h.get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    assert!(h
        .get("x-licence-notice")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .contains("CC-BY-4.0"));
    assert!(h
        .get("link")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .contains("rel=\"license\""));
    let bytes = r.bytes().await.unwrap_or_default();
    assert_eq!(
        hex::encode(Sha256::digest(&bytes)),
        a["attachment"]["sha256"].as_str().unwrap_or_default()
    );
    // Strangers cannot download it.
    let stranger = w.app.signed_in("stranger@example.org", "Str").await;
    assert_problem(
        w.app.get(&url, Some(&stranger.access)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(w.app.get(&url, None).await, 404, "not_found").await;
}

#[tokio::test]
async fn confidentiality_before_and_after_results() {
    let w = World::new().await;
    let slug = w.open_challenge("Secret until results", json!({})).await;
    let author = w.solver("author@example.org", "Aut Hor", &slug).await;
    let other_solver = w.solver("rival@example.org", "Riv Al", &slug).await;
    let member = w.app.signed_in("member@lab.org", "Mem Ber").await;
    w.join_org(&member, "member@lab.org", "member").await;
    let elsewhere = w.app.signed_in("else@other.org", "Els").await;
    w.create_org(&elsewhere, "other-org", "Other").await;

    let s = w.submit(&author, &slug, "Confidential idea", false).await;
    let id = id_of(&s);
    let path = format!("/api/v1/submissions/{id}");
    let list = format!("/api/v1/challenges/{slug}/submissions");
    let cases: Vec<(&str, Option<&str>, u16, usize)> = vec![
        ("anonymous", None, 404, 0),
        ("another solver", Some(&other_solver.access), 404, 0),
        ("team member", Some(&author.access), 200, 1),
        ("organisation member", Some(&member.access), 200, 1),
        (
            "member of another organisation",
            Some(&elsewhere.access),
            404,
            0,
        ),
        ("platform admin", Some(&w.admin.access), 404, 0),
    ];
    for (who, token, status, listed) in &cases {
        assert_eq!(
            w.app.get(&path, *token).await.status().as_u16(),
            *status,
            "before results: {who}"
        );
        let v: Value = w.app.get_json(&list, *token).await;
        assert_eq!(
            v["data"].as_array().map(Vec::len),
            Some(*listed),
            "list before results: {who}"
        );
        assert_eq!(
            w.app
                .get(&format!("{path}/revisions"), *token)
                .await
                .status()
                .as_u16(),
            *status,
            "revisions: {who}"
        );
    }
    // The organisation's management page lists entries, never a team's drafts.
    let draft = w
        .submit(&other_solver, &slug, "Unfinished draft", true)
        .await;
    assert_eq!(draft["state"], "draft");
    let page = w
        .app
        .http
        .get(w.app.url(&format!("/manage/challenges/{slug}")))
        .header("cookie", format!("tribu_access={}", w.owner.access))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains("Confidential idea") && page.contains(&format!("/submissions/{id}")),
        "entry listed"
    );
    assert!(
        !page.contains("Unfinished draft"),
        "drafts stay with their team"
    );
    // A random id answers the same as a hidden one.
    assert_problem(
        w.app.get("/api/v1/submissions/not-a-real-id", None).await,
        404,
        "not_found",
    )
    .await;

    // Results: the winner is published, and then everyone sees it.
    {
        let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        let c = tribu::challenges::store::find_by_key(&mut conn, &slug)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("challenge"));
        assert_eq!(
            tribu::submissions::service::publish_results(
                &mut conn,
                &c.id,
                std::slice::from_ref(&id)
            )
            .unwrap_or(0),
            1
        );
    }
    for (who, token, _, _) in &cases {
        assert_eq!(
            w.app.get(&path, *token).await.status(),
            200,
            "after results: {who}"
        );
    }
    let g: Value = w.app.get_json("/api/v1/solutions", None).await;
    assert_eq!(
        g["data"][0]["attribution"],
        "Confidential idea — by Aut Hor — CC-BY-4.0"
    );
    assert_eq!(
        g["data"][0]["licence"]["url"],
        "https://spdx.org/licenses/CC-BY-4.0.html"
    );
}

#[tokio::test]
async fn withdraw_disqualify_and_the_gallery() {
    let w = World::new().await;
    let slug = w.open_challenge("Gallery", json!({})).await;
    let a = w.solver("a@example.org", "Ann", &slug).await;
    let b = w.solver("b@example.org", "Ben", &slug).await;
    let c = w.solver("c@example.org", "Cat", &slug).await;
    let sa = w.submit(&a, &slug, "Winning sensor", false).await;
    let sb: Value = w
        .app
        .post(
            &format!("/api/v1/challenges/{slug}/submissions"),
            Some(&b.access),
            json!({ "title": "Shared sensor", "abstract": "Published though not winning.", "body": "Open hardware.", "licence": "MIT", "publish_opt_in": true }),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    let sc = w.submit(&c, &slug, "Cheating sensor", false).await;
    let cid = id_of(&sc);
    // Only the organisation disqualifies, with a reason; the team is told.
    assert_problem(
        w.app
            .post(
                &format!("/api/v1/submissions/{cid}/disqualify"),
                Some(&a.access),
                json!({ "reason": "Copied work" }),
            )
            .await,
        404,
        "not_found",
    )
    .await;
    let r = w
        .app
        .post(
            &format!("/api/v1/submissions/{cid}/disqualify"),
            Some(&w.owner.access),
            json!({ "reason": "Copied from a patent." }),
        )
        .await;
    assert_eq!(r.status(), 200);
    w.app
        .wait_for_email("c@example.org", "Copied from a patent.")
        .await;
    let v: Value = w
        .app
        .get_json(&format!("/api/v1/submissions/{cid}"), Some(&c.access))
        .await;
    assert_eq!(v["state"], "disqualified");
    {
        let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        let ch = tribu::challenges::store::find_by_key(&mut conn, &slug)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("challenge"));
        let winners = vec![id_of(&sa), cid.clone()];
        // The disqualified one is not published even if named.
        assert_eq!(
            tribu::submissions::service::publish_results(&mut conn, &ch.id, &winners).unwrap_or(0),
            2
        );
    }
    let g: Value = w.app.get_json("/api/v1/solutions", None).await;
    let titles: Vec<&str> = g["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["title"].as_str())
        .collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(titles.contains(&"Winning sensor") && titles.contains(&"Shared sensor"));
    let by_licence: Value = w.app.get_json("/api/v1/solutions?licence=MIT", None).await;
    assert_eq!(by_licence["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(by_licence["data"][0]["id"], sb["id"]);
    let by_search: Value = w.app.get_json("/api/v1/solutions?q=hardware", None).await;
    assert_eq!(by_search["data"].as_array().map(Vec::len), Some(1));
    let by_challenge: Value = w
        .app
        .get_json(&format!("/api/v1/solutions?challenge={slug}"), None)
        .await;
    assert_eq!(by_challenge["data"].as_array().map(Vec::len), Some(2));
    let none: Value = w
        .app
        .get_json("/api/v1/solutions?challenge=nope", None)
        .await;
    assert_eq!(none["data"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn team_invitations_can_be_answered_from_the_dashboard() {
    let w = World::new().await;
    let slug = w.open_challenge("Dashboard answers", json!({})).await;
    let lead = w.solver("lead2@example.org", "Lee", &slug).await;
    let mate = w.solver("mate2@example.org", "Mae", &slug).await;
    let s = w.submit(&lead, &slug, "Joint work", false).await;
    let id = id_of(&s);
    let inv: Value = w
        .app
        .post(
            &format!("/api/v1/submissions/{id}/team/invitations"),
            Some(&lead.access),
            json!({ "email": "mate2@example.org" }),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    let inv_id = id_of(&inv);
    // The dashboard page offers the answer (and hands out a CSRF token).
    let page = w
        .app
        .http
        .get(w.app.url("/me/submissions"))
        .header("cookie", format!("tribu_access={}", mate.access))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let csrf = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix("tribu_csrf=")
                .map(|r| r.split(';').next().unwrap_or("").to_owned())
        })
        .unwrap_or_default();
    let html = page.text().await.unwrap_or_default();
    assert!(
        html.contains(&format!("/me/team-invitations/{inv_id}/accept")),
        "accept form on the dashboard"
    );
    let answer = |verb: &str, who: &Tokens| {
        w.app
            .http
            .post(w.app.url(&format!("/me/team-invitations/{inv_id}/{verb}")))
            .header(
                "cookie",
                format!("tribu_access={}; tribu_csrf={csrf}", who.access),
            )
            .form(&[("csrf", csrf.as_str())])
            .send()
    };
    // Someone else cannot answer it.
    let r = answer("accept", &lead)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 403);
    let r = answer("accept", &mate)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let v: Value = w
        .app
        .get_json(&format!("/api/v1/submissions/{id}"), Some(&mate.access))
        .await;
    assert_eq!(v["team"].as_array().map(Vec::len), Some(2));
}
