//! Teams (issue 11): an invitee who has not registered accepts the rules
//! and joins in one step; pending invitations can be withdrawn.

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
