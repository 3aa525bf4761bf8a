//! Accounts over the API: register → verify → login → refresh → logout, the
//! JWT rules, refresh-token families, password change and reset, the login
//! throttle, sessions and the profile.

mod common;

use base64::Engine;
use common::{assert_problem, TestApp, PASSWORD};
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};

#[tokio::test]
async fn register_verify_login_refresh_logout() {
    let app = TestApp::spawn().await;
    let user = app.register("ada@example.org", "Ada Lovelace").await;
    assert_eq!(user["email"], "ada@example.org");
    assert_eq!(user["email_verified"], false);

    // Unverified accounts cannot sign in yet.
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "ada@example.org", "password": PASSWORD }),
        )
        .await;
    assert_problem(r, 403, "email_unverified").await;

    // The verification email is a file in the outbox folder.
    let token = app
        .token_from_email("ada@example.org", "/verify-email?token=")
        .await;
    let r = app
        .post("/api/v1/auth/verify-email", None, json!({ "token": token }))
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["email_verified"], true);
    // Single use.
    let r = app
        .post("/api/v1/auth/verify-email", None, json!({ "token": token }))
        .await;
    assert_problem(r, 400, "invalid_token").await;

    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "ADA@example.org", "password": PASSWORD }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap_or_default();
    assert_eq!(t["token_type"], "Bearer");
    assert!(t["expires_in"].as_i64().unwrap_or(0) <= 900);
    let access = t["access_token"].as_str().unwrap_or_default();
    let refresh = t["refresh_token"].as_str().unwrap_or_default();

    let me: Value = app
        .get("/api/v1/me", Some(access))
        .await
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(me["display_name"], "Ada Lovelace");

    let r = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": refresh }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let t2: Value = r.json().await.unwrap_or_default();
    let access2 = t2["access_token"].as_str().unwrap_or_default();
    assert_ne!(t2["refresh_token"], t["refresh_token"]);
    assert_eq!(app.get("/api/v1/me", Some(access2)).await.status(), 200);

    let r = app
        .post("/api/v1/auth/logout", Some(access2), json!({}))
        .await;
    assert_eq!(r.status(), 204);
    // The session is gone: both its access token and its refresh token fail.
    assert_problem(
        app.get("/api/v1/me", Some(access2)).await,
        401,
        "invalid_token",
    )
    .await;
    let r = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": t2["refresh_token"] }),
        )
        .await;
    assert_problem(r, 401, "invalid_refresh_token").await;
}

#[tokio::test]
async fn registration_validates_and_refuses_duplicates() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "nope", "display_name": "", "password": "short" }),
        )
        .await;
    let v = assert_problem(r, 422, "validation_failed").await;
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"email")
            && fields.contains(&"display_name")
            && fields.contains(&"password"),
        "{v}"
    );
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["code"].as_str())
        .collect();
    assert!(codes.contains(&"too_short"), "{v}");

    app.register("bob@example.org", "Bob").await;
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "Bob@Example.org", "display_name": "Bob 2", "password": PASSWORD }),
        )
        .await;
    assert_problem(r, 409, "email_taken").await;
}

fn claims(sub: &str, sid: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "sub": sub, "sid": sid, "iss": "tribu", "aud": "tribu-api", "iat": now, "exp": now + 600 })
}

fn sign(secret: &str, alg: jsonwebtoken::Algorithm, claims: &Value) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap_or_default()
}

#[tokio::test]
async fn forged_and_malformed_tokens_get_401() {
    let app = TestApp::spawn().await;
    let t = app.signed_in("eve@example.org", "Eve").await;
    let secret = app.signing_secret();
    let me: Value = app
        .get("/api/v1/me", Some(&t.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    let uid = me["id"].as_str().unwrap_or_default().to_owned();
    // Learn the session id from the genuine token.
    let payload = t.access.split('.').nth(1).unwrap_or_default();
    let real: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    let sid = real["sid"].as_str().unwrap_or_default().to_owned();

    // A correctly forged token (right secret, right claims) is accepted: the
    // checks below fail for the reason they name, not by accident.
    let good = sign(&secret, jsonwebtoken::Algorithm::HS256, &claims(&uid, &sid));
    assert_eq!(app.get("/api/v1/me", Some(&good)).await.status(), 200);

    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&claims(&uid, &sid))
    );
    let other_alg = sign(&secret, jsonwebtoken::Algorithm::HS512, &claims(&uid, &sid));
    let mut c = claims(&uid, &sid);
    c["aud"] = json!("someone-else");
    let wrong_aud = sign(&secret, jsonwebtoken::Algorithm::HS256, &c);
    let mut c = claims(&uid, &sid);
    c["iss"] = json!("evil");
    let wrong_iss = sign(&secret, jsonwebtoken::Algorithm::HS256, &c);
    let mut c = claims(&uid, &sid);
    c["exp"] = json!(chrono::Utc::now().timestamp() - 120);
    let expired = sign(&secret, jsonwebtoken::Algorithm::HS256, &c);
    let mut c = claims(&uid, &sid);
    c["exp"] = json!((chrono::Utc::now().timestamp() + 600).to_string());
    let exp_string = sign(&secret, jsonwebtoken::Algorithm::HS256, &c);
    let mut c = claims(&uid, &sid);
    c.as_object_mut().map(|o| o.remove("iat"));
    let no_iat = sign(&secret, jsonwebtoken::Algorithm::HS256, &c);
    let wrong_key = sign(
        "not-the-secret-not-the-secret-xx",
        jsonwebtoken::Algorithm::HS256,
        &claims(&uid, &sid),
    );

    for (name, tok) in [
        ("alg none", none),
        ("HS512", other_alg),
        ("wrong aud", wrong_aud),
        ("wrong iss", wrong_iss),
        ("expired", expired),
        ("exp as string", exp_string),
        ("no iat", no_iat),
        ("wrong key", wrong_key),
        ("garbage", "not.a.jwt".to_owned()),
    ] {
        let r = app.get("/api/v1/me", Some(&tok)).await;
        assert_eq!(r.status(), 401, "{name}");
        assert_problem(r, 401, "invalid_token").await;
    }
    assert_problem(app.get("/api/v1/me", None).await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_refresh_token_used_twice_revokes_its_family() {
    let app = TestApp::spawn().await;
    let t = app.signed_in("fam@example.org", "Fam").await;
    let r = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": t.refresh }),
        )
        .await;
    let t2: Value = r.json().await.unwrap_or_default();
    // Replaying the first token: the whole family goes.
    let r = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": t.refresh }),
        )
        .await;
    assert_problem(r, 401, "refresh_token_reused").await;
    let r = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": t2["refresh_token"] }),
        )
        .await;
    assert_problem(r, 401, "invalid_refresh_token").await;
    let access2 = t2["access_token"].as_str().unwrap_or_default();
    assert_eq!(app.get("/api/v1/me", Some(access2)).await.status(), 401);
}

#[tokio::test]
async fn a_password_change_revokes_every_other_session() {
    let app = TestApp::spawn().await;
    let a = app.signed_in("pw@example.org", "Pat").await;
    let b = app.login("pw@example.org", PASSWORD).await;

    let r = app
        .post("/api/v1/me/password", Some(&a.access), json!({ "current_password": "wrong password here", "new_password": "another long password" }))
        .await;
    let v = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(v["errors"][0]["field"], "current_password");

    let r = app
        .post(
            "/api/v1/me/password",
            Some(&a.access),
            json!({ "current_password": PASSWORD, "new_password": "another long password" }),
        )
        .await;
    assert_eq!(r.status(), 204);
    // The other session's refresh and access tokens fail; this one lives on.
    let r = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": b.refresh }),
        )
        .await;
    assert_problem(r, 401, "invalid_refresh_token").await;
    assert_eq!(app.get("/api/v1/me", Some(&b.access)).await.status(), 401);
    assert_eq!(app.get("/api/v1/me", Some(&a.access)).await.status(), 200);
    let r = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": a.refresh }),
        )
        .await;
    assert_eq!(r.status(), 200);
    // Old password no longer works, the new one does.
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "pw@example.org", "password": PASSWORD }),
        )
        .await;
    assert_problem(r, 401, "invalid_credentials").await;
    app.login("pw@example.org", "another long password").await;
    app.wait_for_email("pw@example.org", "password").await;
}

#[tokio::test]
async fn password_reset_by_email() {
    let app = TestApp::spawn().await;
    let old = app.signed_in("reset@example.org", "Rae").await;
    // Unknown accounts get the same answer.
    let r = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({ "email": "ghost@example.org" }),
        )
        .await;
    assert_eq!(r.status(), 202);
    let r = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({ "email": "reset@example.org" }),
        )
        .await;
    assert_eq!(r.status(), 202);
    let token = app
        .token_from_email("reset@example.org", "/reset-password?token=")
        .await;
    let r = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": token, "new_password": "short" }),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": token, "new_password": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": token, "new_password": "a brand new passphrase" }),
        )
        .await;
    assert_problem(r, 400, "invalid_token").await;
    // Every earlier session ended.
    assert_eq!(app.get("/api/v1/me", Some(&old.access)).await.status(), 401);
    app.login("reset@example.org", "a brand new passphrase")
        .await;
}

#[tokio::test]
async fn the_sixth_wrong_password_within_fifteen_minutes_is_429() {
    let app = TestApp::spawn().await;
    app.signed_in("lock@example.org", "Lou").await;
    for i in 0..5 {
        let r = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": "lock@example.org", "password": format!("wrong password {i}") }),
            )
            .await;
        assert_problem(r, 401, "invalid_credentials").await;
    }
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "lock@example.org", "password": "wrong password 6" }),
        )
        .await;
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(retry > 0 && retry <= 900, "Retry-After {retry}");
    assert_problem(r, 429, "rate_limited").await;
    // Even the right password waits: the throttle is decided before checking.
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "lock@example.org", "password": PASSWORD }),
        )
        .await;
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn sessions_can_be_listed_and_revoked() {
    let app = TestApp::spawn().await;
    let a = app.signed_in("sess@example.org", "Sam").await;
    let b = app.login("sess@example.org", PASSWORD).await;
    let list: Value = app
        .get("/api/v1/me/sessions", Some(&a.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    let data = list["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(data.len(), 2, "{list}");
    assert_eq!(data.iter().filter(|s| s["current"] == true).count(), 1);
    let created = data[0]["created_at"].as_str().unwrap_or_default();
    assert!(created.ends_with('Z'), "RFC 3339 UTC: {created}");
    let other = data
        .iter()
        .find(|s| s["current"] == false)
        .and_then(|s| s["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        app.delete(&format!("/api/v1/me/sessions/{other}"), Some(&a.access))
            .await
            .status(),
        204
    );
    assert_eq!(app.get("/api/v1/me", Some(&b.access)).await.status(), 401);
    // Someone else's session id is not found.
    let c = app.signed_in("other@example.org", "Oth").await;
    let list: Value = app
        .get("/api/v1/me/sessions", Some(&c.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    let cid = list["data"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_problem(
        app.delete(&format!("/api/v1/me/sessions/{cid}"), Some(&a.access))
            .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn profile_and_language() {
    let app = TestApp::spawn().await;
    let t = app.signed_in("lang@example.org", "Lin").await;
    let r = app
        .patch("/api/v1/me", Some(&t.access), json!({ "language": "de" }))
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .patch(
            "/api/v1/me",
            Some(&t.access),
            json!({ "language": "fr", "display_name": "Line" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["language"], "fr");
    assert_eq!(v["display_name"], "Line");
    // Mail now comes in French.
    app.post(
        "/api/v1/auth/password-reset",
        None,
        json!({ "email": "lang@example.org" }),
    )
    .await;
    app.wait_for_email("lang@example.org", "Réinitialisez")
        .await;
}

#[tokio::test]
async fn registration_language_follows_accept_language() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .header("accept-language", "fr-FR,fr;q=0.9,en;q=0.5")
        .json(&json!({ "email": "fr@example.org", "display_name": "Aimé", "password": PASSWORD }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["language"], "fr");
    app.wait_for_email("fr@example.org", "Confirmez votre adresse")
        .await;
}

#[tokio::test]
async fn platform_admins_suspend_and_reinstate_accounts() {
    let app = TestApp::spawn().await;
    let user = app.signed_in("member@example.org", "Mo").await;
    let admin = app.signed_in("admin@example.org", "Ad").await;
    let me: Value = app
        .get("/api/v1/me", Some(&user.access))
        .await
        .json()
        .await
        .unwrap_or_default();
    let uid = me["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/v1/admin/users/{uid}/suspend");
    // Not an admin yet.
    assert_problem(
        app.post(&path, Some(&admin.access), json!({})).await,
        403,
        "admin_required",
    )
    .await;
    {
        let mut conn = app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        tribu::auth::service::create_admin(&mut conn, "admin@example.org", "Ad", None)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let r = app.post(&path, Some(&admin.access), json!({})).await;
    assert_eq!(r.status(), 200);
    // Suspended: sessions gone, sign-in refused.
    assert_eq!(
        app.get("/api/v1/me", Some(&user.access)).await.status(),
        401
    );
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "member@example.org", "password": PASSWORD }),
        )
        .await;
    assert_problem(r, 403, "account_suspended").await;
    let r = app
        .post(
            &format!("/api/v1/admin/users/{uid}/reinstate"),
            Some(&admin.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.login("member@example.org", PASSWORD).await;
    assert_problem(
        app.post(
            "/api/v1/admin/users/nobody/suspend",
            Some(&admin.access),
            json!({}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}
