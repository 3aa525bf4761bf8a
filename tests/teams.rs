//! Teams (issue 11): an invitee who has not registered accepts the rules
//! and joins in one step; pending invitations can be withdrawn; members who
//! join are named among the copyright holders unless the team chose
//! otherwise; withdrawing an entry needs the whole team, or its creator
//! when the team said so.

mod common;

use common::assert_problem;
use common::fixtures::{id_of, World};
use common::visitor::{location, Visitor};
use serde_json::{json, Value};

async fn invite(w: &World, t: &common::Tokens, entry: &str, email: &str) -> Value {
    let r = w
        .app
        .post(
            &format!("/api/v1/submissions/{entry}/team/invitations"),
            Some(&t.access),
            json!({ "email": email }),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap_or_default()
}

#[tokio::test]
async fn an_unregistered_invitee_accepts_the_rules_and_joins_in_one_step() {
    let w = World::new().await;
    let app = &w.app;
    let slug = w.open_challenge("Team effort", json!({})).await;
    let ada = w.solver("ada@solvers.org", "Ada", &slug).await;
    let entry = id_of(&w.submit(&ada, &slug, "Shared idea", false).await);
    let bea = app.signed_in("bea@solvers.org", "Bea").await;
    invite(&w, &ada, &entry, "bea@solvers.org").await;
    let token = app
        .token_from_email("bea@solvers.org", "/team-invitations/")
        .await;

    // Over the API, without the rules: refused, nothing changes.
    let r = app
        .post(
            "/api/v1/team-invitations/accept",
            Some(&bea.access),
            json!({ "token": token }),
        )
        .await;
    assert_problem(r, 403, "registration_required").await;

    // The page offers the rules with the answer; no ticked box, no join.
    let v = Visitor::signed_in(app, "bea@solvers.org").await;
    let here = format!("/team-invitations/{token}");
    let page = v.html(&here).await;
    assert!(page.contains("name=\"accept_rules\""), "{page}");
    assert!(page.contains("Accept the rules and join"));
    assert!(
        !page.contains("notice-error"),
        "no red box before answering"
    );
    let r = v
        .post_form(&here, &format!("{here}/accept"), &[("rules_version", "1")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap_or_default()
        .contains("Tick the box to accept the rules"));

    let r = v
        .post_form(
            &here,
            &format!("{here}/accept"),
            &[("rules_version", "1"), ("accept_rules", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        format!("/submissions/{entry}?done=joined#team")
    );
    let regs = app
        .get_json("/api/v1/me/registrations", Some(&bea.access))
        .await;
    assert_eq!(
        regs["data"][0]["challenge"]["slug"],
        slug.as_str(),
        "{regs}"
    );
    let s = app
        .get_json(&format!("/api/v1/submissions/{entry}"), Some(&bea.access))
        .await;
    assert_eq!(s["team"].as_array().map(Vec::len), Some(2), "{s}");
}

#[tokio::test]
async fn a_pending_invitation_can_be_withdrawn() {
    let w = World::new().await;
    let app = &w.app;
    let slug = w.open_challenge("Careful invites", json!({})).await;
    let ada = w.solver("ada@solvers.org", "Ada", &slug).await;
    let entry = id_of(&w.submit(&ada, &slug, "Careful idea", false).await);
    let cy = w.solver("cy@solvers.org", "Cy", &slug).await;

    // Over the API: withdrawn, the link stops working.
    let inv = invite(&w, &ada, &entry, "cy@solvers.org").await;
    let token = app
        .token_from_email("cy@solvers.org", "/team-invitations/")
        .await;
    let path = format!(
        "/api/v1/submissions/{entry}/team/invitations/{}",
        id_of(&inv)
    );
    let r = app.delete(&path, Some(&ada.access)).await;
    assert_eq!(r.status(), 204);
    let r = app.delete(&path, Some(&ada.access)).await;
    assert_problem(r, 404, "not_found").await;
    let r = app
        .post(
            "/api/v1/team-invitations/accept",
            Some(&cy.access),
            json!({ "token": token }),
        )
        .await;
    assert_problem(r, 400, "invalid_token").await;

    // On the page: the pending list has a button to withdraw it.
    let inv = invite(&w, &ada, &entry, "dee@solvers.org").await;
    let v = Visitor::signed_in(app, "ada@solvers.org").await;
    let page = v.html(&format!("/submissions/{entry}")).await;
    assert!(page.contains("dee@solvers.org"), "{page}");
    let r = v
        .post_form(
            &format!("/submissions/{entry}"),
            &format!(
                "/submissions/{entry}/team/invitations/{}/cancel",
                id_of(&inv)
            ),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = v.html(&location(&r)).await;
    assert!(page.contains("The invitation was withdrawn"), "{page}");
    assert!(!page.contains("dee@solvers.org"), "{page}");
    // Someone outside the team cannot withdraw it.
    let other = invite(&w, &ada, &entry, "eve@solvers.org").await;
    let r = app
        .delete(
            &format!(
                "/api/v1/submissions/{entry}/team/invitations/{}",
                id_of(&other)
            ),
            Some(&cy.access),
        )
        .await;
    assert_eq!(r.status(), 404);
}

/// Invites `email` to `entry` and accepts with `t` over the API.
async fn join(w: &World, by: &common::Tokens, t: &common::Tokens, entry: &str, email: &str) {
    invite(w, by, entry, email).await;
    let token = w.app.token_from_email(email, "/team-invitations/").await;
    let r = w
        .app
        .post(
            "/api/v1/team-invitations/accept",
            Some(&t.access),
            json!({ "token": token }),
        )
        .await;
    assert!(r.status().is_success(), "join: {}", r.status());
}

async fn entry_of(w: &World, t: &common::Tokens, entry: &str) -> Value {
    w.app
        .get_json(&format!("/api/v1/submissions/{entry}"), Some(&t.access))
        .await
}

async fn user_id(w: &World, t: &common::Tokens) -> String {
    id_of(&w.app.get_json("/api/v1/me", Some(&t.access)).await)
}

#[tokio::test]
async fn withdrawing_needs_the_whole_team_or_the_creator_when_the_team_said_so() {
    let w = World::new().await;
    let app = &w.app;
    let slug = w.open_challenge("Shared decisions", json!({})).await;
    let ada = w.solver("ada@solvers.org", "Ada", &slug).await;
    let bea = w.solver("bea@solvers.org", "Bea", &slug).await;
    let entry = id_of(&w.submit(&ada, &slug, "Joint idea", false).await);
    join(&w, &ada, &bea, &entry, "bea@solvers.org").await;
    let (ada_id, bea_id) = (user_id(&w, &ada).await, user_id(&w, &bea).await);
    let withdraw = format!("/api/v1/submissions/{entry}/withdraw");

    // A co-author alone does not withdraw the team's entry: the agreement
    // is recorded and the rest of the team is named.
    let r = app.post(&withdraw, Some(&bea.access), json!({})).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["state"], "submitted", "{v}");
    assert_eq!(v["team_rules"]["withdrawal"], "team");
    assert_eq!(v["team_rules"]["withdrawal_agreed"], json!([bea_id]));
    assert_eq!(v["team_rules"]["withdrawal_waiting_for"], json!([ada_id]));
    // Taken back, then given again; the creator's word completes it.
    let r = app.delete(&withdraw, Some(&bea.access)).await;
    assert_eq!(r.status(), 200);
    let v = entry_of(&w, &ada, &entry).await;
    assert_eq!(v["team_rules"]["withdrawal_agreed"], json!([]), "{v}");
    let page = Visitor::signed_in(app, "ada@solvers.org").await;
    let html = page.html(&format!("/submissions/{entry}")).await;
    assert!(html.contains("Everyone in the team must agree"), "{html}");
    app.post(&withdraw, Some(&bea.access), json!({})).await;
    let html = page.html(&format!("/submissions/{entry}")).await;
    assert!(
        html.contains("Agreed to withdraw: Bea. Waiting for: Ada."),
        "{html}"
    );
    let r = page
        .post_form(
            &format!("/submissions/{entry}"),
            &format!("/submissions/{entry}/withdraw"),
            &[],
        )
        .await;
    assert_eq!(location(&r), format!("/submissions/{entry}?done=withdrawn"));
    assert_eq!(entry_of(&w, &ada, &entry).await["state"], "withdrawn");

    // With others in the team, the creator cannot take the sole say; a
    // co-author may never hand it to the creator either.
    let slug2 = w.open_challenge("Creator decides", json!({})).await;
    w.register(&ada, &slug2).await;
    let cy = w.solver("cy@solvers.org", "Cy", &slug2).await;
    let cy_id = user_id(&w, &cy).await;
    let e2 = id_of(&w.submit(&ada, &slug2, "Solo start", false).await);
    let rules = format!("/api/v1/submissions/{e2}/team/rules");
    let r = app
        .put(&rules, Some(&ada.access), json!({ "withdrawal": "anyone" }))
        .await;
    assert_problem(r, 422, "validation_failed").await;
    // Alone, the creator may; the invitation says so before anyone joins.
    let r = app
        .put(
            &rules,
            Some(&ada.access),
            json!({ "withdrawal": "creator" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    invite(&w, &ada, &e2, "cy@solvers.org").await;
    let token = app
        .token_from_email("cy@solvers.org", "/team-invitations/")
        .await;
    let cv = Visitor::signed_in(app, "cy@solvers.org").await;
    let html = cv.html(&format!("/team-invitations/{token}")).await;
    assert!(
        html.contains("the person who started it decides alone"),
        "{html}"
    );
    let r = app
        .post(
            "/api/v1/team-invitations/accept",
            Some(&cy.access),
            json!({ "token": token }),
        )
        .await;
    assert!(r.status().is_success());
    let r = app
        .post(
            &format!("/api/v1/submissions/{e2}/withdraw"),
            Some(&cy.access),
            json!({}),
        )
        .await;
    assert_problem(r, 403, "creator_decides").await;
    // Back to everyone agreeing: any member may make it stricter, but
    // once two, nobody can loosen it again.
    let r = app
        .put(&rules, Some(&cy.access), json!({ "withdrawal": "team" }))
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .put(
            &rules,
            Some(&ada.access),
            json!({ "withdrawal": "creator" }),
        )
        .await;
    assert_problem(r, 409, "team_consent_required").await;
    let r = app
        .put(&rules, Some(&cy.access), json!({ "withdrawal": "creator" }))
        .await;
    assert_problem(r, 403, "creator_required").await;

    // A member leaving completes an agreement the others had given.
    app.post(
        &format!("/api/v1/submissions/{e2}/withdraw"),
        Some(&ada.access),
        json!({}),
    )
    .await;
    assert_eq!(entry_of(&w, &ada, &e2).await["state"], "submitted");
    let r = app
        .delete(
            &format!("/api/v1/submissions/{e2}/team/members/{cy_id}"),
            Some(&cy.access),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(entry_of(&w, &ada, &e2).await["state"], "withdrawn");
}

#[tokio::test]
async fn members_who_join_are_named_among_the_holders_unless_anonymous_or_the_team_says_no() {
    let w = World::new().await;
    let slug = w.open_challenge("Credit where due", json!({})).await;
    let ada = w.solver("ada@solvers.org", "Ada Costa", &slug).await;
    let bea = w.solver("bea@solvers.org", "Bea Lima", &slug).await;
    let cy = w.solver("cy@solvers.org", "Cy Dorn", &slug).await;
    let entry = id_of(&w.submit(&ada, &slug, "Credited idea", false).await);
    assert_eq!(
        entry_of(&w, &ada, &entry).await["copyright_holders"],
        "Ada Costa"
    );
    join(&w, &ada, &bea, &entry, "bea@solvers.org").await;
    let v = entry_of(&w, &ada, &entry).await;
    assert_eq!(v["copyright_holders"], "Ada Costa, Bea Lima", "{v}");
    assert!(
        v["attribution"]
            .as_str()
            .is_some_and(|a| a.contains("by Ada Costa, Bea Lima")),
        "{v}"
    );
    // The revision's own text (what its hash proves) is unchanged.
    let revs = w
        .app
        .get_json(
            &format!("/api/v1/submissions/{entry}/revisions"),
            Some(&ada.access),
        )
        .await;
    assert_eq!(revs["data"].as_array().map(Vec::len), Some(1), "{revs}");

    // Choosing anonymity takes the name out again.
    let bea_id = user_id(&w, &bea).await;
    let r = w
        .app
        .patch(
            &format!("/api/v1/submissions/{entry}/team/members/{bea_id}"),
            Some(&bea.access),
            json!({ "anonymous": true }),
        )
        .await;
    assert!(r.status().is_success());
    assert_eq!(
        entry_of(&w, &ada, &entry).await["copyright_holders"],
        "Ada Costa"
    );

    // The team turns it off: the next member is not added.
    let r = w
        .app
        .put(
            &format!("/api/v1/submissions/{entry}/team/rules"),
            Some(&bea.access),
            json!({ "credit_joiners": false }),
        )
        .await;
    assert_eq!(r.status(), 200);
    join(&w, &ada, &cy, &entry, "cy@solvers.org").await;
    let v = entry_of(&w, &ada, &entry).await;
    assert_eq!(v["copyright_holders"], "Ada Costa", "{v}");
    assert_eq!(v["team_rules"]["credit_joiners"], false);
}
