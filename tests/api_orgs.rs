//! Organisations over the API: creation, members and roles, invitations to
//! people with and without accounts, API keys and their scopes, and 404 for
//! outsiders.

mod common;

use common::{assert_problem, TestApp};
use serde_json::{json, Value};

async fn create_org(app: &TestApp, token: &str, slug: &str) -> Value {
    let r = app
        .post(
            "/api/v1/orgs",
            Some(token),
            json!({ "slug": slug, "name": "Open Water Lab" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap_or_default()
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let me: Value = app
        .get("/api/v1/me", Some(token))
        .await
        .json()
        .await
        .unwrap_or_default();
    me["id"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn create_and_read_an_organisation() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in("owner@example.org", "Olga").await;
    let org = create_org(&app, &owner.access, "open-water").await;
    assert_eq!(org["slug"], "open-water");
    assert!(org["created_at"]
        .as_str()
        .unwrap_or_default()
        .ends_with('Z'));

    let r = app
        .post(
            "/api/v1/orgs",
            Some(&owner.access),
            json!({ "slug": "open-water", "name": "Again" }),
        )
        .await;
    let v = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(v["errors"][0]["code"], "slug_taken");
    let r = app
        .post(
            "/api/v1/orgs",
            Some(&owner.access),
            json!({ "slug": "No Spaces!", "name": "X" }),
        )
        .await;
    let v = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(v["errors"][0]["field"], "slug");

    let v: Value = app
        .get("/api/v1/orgs/open-water", Some(&owner.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(v["role"], "owner");
    let mine: Value = app
        .get("/api/v1/me/orgs", Some(&owner.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(mine["data"][0]["slug"], "open-water");

    // Audit trail.
    let log: Value = app
        .get("/api/v1/orgs/open-water/audit", Some(&owner.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    let actions: Vec<&str> = log["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"org.created"), "{log}");
}

#[tokio::test]
async fn outsiders_get_404_on_private_resources() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in("o@example.org", "O").await;
    let stranger = app.signed_in("s@example.org", "S").await;
    create_org(&app, &owner.access, "private-lab").await;
    for path in [
        "/api/v1/orgs/private-lab",
        "/api/v1/orgs/private-lab/members",
        "/api/v1/orgs/private-lab/api-keys",
        "/api/v1/orgs/private-lab/audit",
    ] {
        assert_problem(
            app.get(path, Some(&stranger.access)).await,
            404,
            "not_found",
        )
        .await;
    }
    let r = app
        .post(
            "/api/v1/orgs/private-lab/api-keys",
            Some(&stranger.access),
            json!({ "name": "k", "scopes": ["org:read"] }),
        )
        .await;
    assert_problem(r, 404, "not_found").await;
    // And the same for an organisation that does not exist.
    assert_problem(
        app.get("/api/v1/orgs/no-such-org/members", Some(&stranger.access))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/orgs/private-lab/members", None).await,
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn invitations_roles_and_the_last_owner() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in("boss@example.org", "Boss").await;
    create_org(&app, &owner.access, "team-lab").await;

    // Invite someone who has no account yet.
    let r = app
        .post(
            "/api/v1/orgs/team-lab/members",
            Some(&owner.access),
            json!({ "email": "newbie@example.org", "role": "member" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let token = app
        .token_from_email("newbie@example.org", "/invitations/")
        .await;
    let list: Value = app
        .get("/api/v1/orgs/team-lab/members", Some(&owner.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(list["invitations"].as_array().map(Vec::len), Some(1));

    // Another account cannot use the invitation.
    let other = app.signed_in("other@example.org", "Other").await;
    let r = app
        .post(
            "/api/v1/invitations/accept",
            Some(&other.access),
            json!({ "token": token }),
        )
        .await;
    assert_problem(r, 403, "invitation_email_mismatch").await;

    // The invitee signs up, then accepts.
    let newbie = app.signed_in("newbie@example.org", "Newbie").await;
    let r = app
        .post(
            "/api/v1/invitations/accept",
            Some(&newbie.access),
            json!({ "token": token }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .post(
            "/api/v1/invitations/accept",
            Some(&newbie.access),
            json!({ "token": token }),
        )
        .await;
    assert_problem(r, 400, "invalid_token").await;
    let v: Value = app
        .get("/api/v1/orgs/team-lab", Some(&newbie.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(v["role"], "member");

    // Inviting a member again is a conflict.
    let r = app
        .post(
            "/api/v1/orgs/team-lab/members",
            Some(&owner.access),
            json!({ "email": "newbie@example.org", "role": "admin" }),
        )
        .await;
    assert_problem(r, 409, "already_member").await;

    // A member cannot manage members.
    let r = app
        .post(
            "/api/v1/orgs/team-lab/members",
            Some(&newbie.access),
            json!({ "email": "x@example.org", "role": "member" }),
        )
        .await;
    assert_problem(r, 403, "insufficient_role").await;

    // The last owner can neither leave nor be demoted.
    let owner_id = user_id(&app, &owner.access).await;
    let r = app
        .delete(
            &format!("/api/v1/orgs/team-lab/members/{owner_id}"),
            Some(&owner.access),
        )
        .await;
    assert_problem(r, 409, "last_owner").await;
    let r = app
        .patch(
            &format!("/api/v1/orgs/team-lab/members/{owner_id}"),
            Some(&owner.access),
            json!({ "role": "admin" }),
        )
        .await;
    assert_problem(r, 409, "last_owner").await;

    // With a second owner, the first may leave.
    let newbie_id = user_id(&app, &newbie.access).await;
    let r = app
        .patch(
            &format!("/api/v1/orgs/team-lab/members/{newbie_id}"),
            Some(&owner.access),
            json!({ "role": "owner" }),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .delete(
            &format!("/api/v1/orgs/team-lab/members/{owner_id}"),
            Some(&owner.access),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_problem(
        app.get("/api/v1/orgs/team-lab", Some(&owner.access)).await,
        404,
        "not_found",
    )
    .await;

    let log: Value = app
        .get("/api/v1/orgs/team-lab/audit", Some(&newbie.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    let actions: Vec<&str> = log["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "member.invited",
        "member.joined",
        "member.role_changed",
        "member.left",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

#[tokio::test]
async fn api_keys_scopes_and_revocation() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in("keys@example.org", "Kim").await;
    let member = app.signed_in("member@example.org", "Mem").await;
    create_org(&app, &owner.access, "key-lab").await;
    create_org(&app, &member.access, "elsewhere").await;
    app.post(
        "/api/v1/orgs/key-lab/members",
        Some(&owner.access),
        json!({ "email": "member@example.org", "role": "member" }),
    )
    .await;
    let token = app
        .token_from_email("member@example.org", "/invitations/")
        .await;
    let r = app
        .post(
            "/api/v1/invitations/accept",
            Some(&member.access),
            json!({ "token": token }),
        )
        .await;
    assert_eq!(r.status(), 200);

    // A plain member cannot manage API keys.
    assert_problem(
        app.get("/api/v1/orgs/key-lab/api-keys", Some(&member.access))
            .await,
        403,
        "insufficient_role",
    )
    .await;
    let r = app
        .post(
            "/api/v1/orgs/key-lab/api-keys",
            Some(&member.access),
            json!({ "name": "mine", "scopes": ["org:read"] }),
        )
        .await;
    assert_problem(r, 403, "insufficient_role").await;

    let r = app
        .post(
            "/api/v1/orgs/key-lab/api-keys",
            Some(&owner.access),
            json!({ "name": "CI", "scopes": ["org:read", "nope"] }),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .post(
            "/api/v1/orgs/key-lab/api-keys",
            Some(&owner.access),
            json!({ "name": "CI", "scopes": ["org:read"] }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let key: Value = r.json().await.unwrap_or_default();
    let secret = key["secret"].as_str().unwrap_or_default().to_owned();
    assert!(secret.starts_with("tribu_sk_"));
    let key_id = key["id"].as_str().unwrap_or_default().to_owned();

    // Listed with prefix and last use, never with the secret.
    let v: Value = app
        .get("/api/v1/orgs/key-lab", Some(&secret))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(v["slug"], "key-lab");
    let list: Value = app
        .get("/api/v1/orgs/key-lab/api-keys", Some(&owner.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    let k = &list["data"][0];
    assert!(secret.starts_with(k["prefix"].as_str().unwrap_or("?")));
    assert!(k["last_used_at"].as_str().is_some(), "{k}");
    assert!(!list.to_string().contains(&secret));

    // The key is limited to its scopes and its organisation; it never manages keys.
    assert_problem(
        app.get("/api/v1/orgs/key-lab/members", Some(&secret)).await,
        403,
        "insufficient_scope",
    )
    .await;
    assert_problem(
        app.get("/api/v1/orgs/elsewhere", Some(&secret)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/orgs/key-lab/api-keys", Some(&secret))
            .await,
        403,
        "insufficient_scope",
    )
    .await;
    assert_problem(
        app.get("/api/v1/me", Some(&secret)).await,
        403,
        "user_required",
    )
    .await;

    // Revoked: 401.
    assert_eq!(
        app.delete(
            &format!("/api/v1/orgs/key-lab/api-keys/{key_id}"),
            Some(&owner.access)
        )
        .await
        .status(),
        204
    );
    assert_problem(
        app.get("/api/v1/orgs/key-lab", Some(&secret)).await,
        401,
        "invalid_api_key",
    )
    .await;
    assert_problem(
        app.get("/api/v1/orgs/key-lab", Some("tribu_sk_made_up"))
            .await,
        401,
        "invalid_api_key",
    )
    .await;
}

#[tokio::test]
async fn a_key_with_members_write_can_invite() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in("int@example.org", "Int").await;
    create_org(&app, &owner.access, "int-lab").await;
    let key: Value = app
        .post(
            "/api/v1/orgs/int-lab/api-keys",
            Some(&owner.access),
            json!({ "name": "HR sync", "scopes": ["members:read", "members:write"] }),
        )
        .await
        .json()
        .await
        .unwrap_or_default();
    let secret = key["secret"].as_str().unwrap_or_default();
    let r = app
        .post(
            "/api/v1/orgs/int-lab/members",
            Some(secret),
            json!({ "email": "hire@example.org", "role": "member" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    // But it cannot hand out ownership.
    let r = app
        .post(
            "/api/v1/orgs/int-lab/members",
            Some(secret),
            json!({ "email": "boss2@example.org", "role": "owner" }),
        )
        .await;
    assert_problem(r, 403, "owner_required").await;
    app.wait_for_email("hire@example.org", "/invitations/")
        .await;
}
