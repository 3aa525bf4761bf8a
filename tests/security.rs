//! The security review's findings, one test (or more) each: uploads checked
//! before they are stored, key scopes on reads, escrow races, slugs shaped
//! like ids, open redirects, secrets in the idempotency store, review
//! bypass, the login throttle behind proxies and under parallel guesses,
//! drafts, API keys of people who left, cookies on the API and CSRF binding,
//! stale links and invitations, and the smaller gaps.

mod common;

use common::fixtures::{at, files_under, id_of, slug_of, World, ORG};
use common::{assert_problem, TestApp, Tokens, PASSWORD};
use diesel::RunQueryDsl;
use serde_json::{json, Value};

/// Every file the attachment store holds (stored and staged).
fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    files_under(&app.config.data_dir.join("attachments"))
}

// ---- 1. uploads ----

#[tokio::test]
async fn an_upload_nobody_may_make_stores_nothing() {
    let w = World::with(|c| c.uploads_per_hour = 3).await;
    let slug = w
        .open_challenge(
            "River sensors",
            json!({ "max_submission_bytes": 4_000_000, "max_attachment_bytes": 3_500_000 }),
        )
        .await;
    let solver = w.solver("sol@example.org", "Sol", &slug).await;
    let stranger = w.app.signed_in("eve@example.org", "Eve").await;
    let s = w.submit(&solver, &slug, "Turbidity", false).await;
    let id = id_of(&s);
    let big = vec![b'x'; 3 * 1024 * 1024];

    // A made-up id, and someone else's submission: 404, nothing on disk.
    let r = w
        .upload(
            &solver,
            "01936f3e-7c1a-7b2d-9e4f-0123456789ab",
            "a.bin",
            &big,
        )
        .await;
    assert_problem(r, 404, "not_found").await;
    let r = w.upload(&stranger, &id, "a.bin", &big).await;
    assert_problem(r, 404, "not_found").await;
    assert!(
        stored_files(&w.app).is_empty(),
        "{:?}",
        stored_files(&w.app)
    );

    // A real upload is stored once, by its hash; nothing stays in staging.
    let r = w.upload(&solver, &id, "a.bin", &big).await;
    assert_eq!(r.status(), 201);
    let files = stored_files(&w.app);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(!files[0].to_string_lossy().contains("staging"));

    // Past the submission's budget: 413, and the refused bytes are gone.
    let r = w.upload(&solver, &id, "b.bin", &big).await;
    assert_problem(r, 413, "payload_too_large").await;
    assert_eq!(stored_files(&w.app).len(), 1);

    // The hourly limit per account.
    for n in 0..2 {
        let r = w
            .upload(&solver, &id, "small.txt", format!("note {n}").as_bytes())
            .await;
        assert_eq!(r.status(), 201);
    }
    let r = w.upload(&solver, &id, "more.txt", b"one too many").await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "rate_limited").await;
    assert_eq!(stored_files(&w.app).len(), 3);
}

// ---- 2. key scopes on reads ----

#[tokio::test]
async fn a_key_reads_only_what_its_scopes_allow() {
    let w = World::new().await;
    let slug = w.open_challenge("Scoped reads", json!({})).await;
    let solver = w.solver("sol@example.org", "Sol", &slug).await;
    let s = w.submit(&solver, &slug, "Entry", false).await;
    let id = id_of(&s);
    let r = w
        .app
        .post(
            &format!("/api/v1/challenges/{slug}/questions"),
            Some(&solver.access),
            json!({ "body": "A private question?", "is_public": false }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let draft = w.draft("A secret draft", json!({})).await;
    let draft_slug = slug_of(&draft);

    let funding_only = w.api_key(&["funding:write"]).await;
    let subs_read = w.api_key(&["submissions:read"]).await;
    let challenges_read = w.api_key(&["challenges:read"]).await;

    // funding:write reads nothing private.
    assert_problem(
        w.app
            .get(&format!("/api/v1/submissions/{id}"), Some(&funding_only))
            .await,
        404,
        "not_found",
    )
    .await;
    let list: Value = w
        .app
        .get_json(
            &format!("/api/v1/challenges/{slug}/submissions"),
            Some(&funding_only),
        )
        .await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0), "{list}");
    let qs: Value = w
        .app
        .get_json(
            &format!("/api/v1/challenges/{slug}/questions"),
            Some(&funding_only),
        )
        .await;
    assert_eq!(qs["data"].as_array().map(Vec::len), Some(0), "{qs}");
    assert_problem(
        w.app
            .get(
                &format!("/api/v1/challenges/{draft_slug}"),
                Some(&funding_only),
            )
            .await,
        404,
        "not_found",
    )
    .await;

    // submissions:read reads entries; challenges:read drafts and private questions.
    let r = w
        .app
        .get(&format!("/api/v1/submissions/{id}"), Some(&subs_read))
        .await;
    assert_eq!(r.status(), 200);
    let r = w
        .app
        .get(
            &format!("/api/v1/challenges/{draft_slug}"),
            Some(&challenges_read),
        )
        .await;
    assert_eq!(r.status(), 200);
    let qs: Value = w
        .app
        .get_json(
            &format!("/api/v1/challenges/{slug}/questions"),
            Some(&challenges_read),
        )
        .await;
    assert_eq!(qs["data"].as_array().map(Vec::len), Some(1), "{qs}");
    assert_problem(
        w.app
            .get(&format!("/api/v1/submissions/{id}"), Some(&challenges_read))
            .await,
        404,
        "not_found",
    )
    .await;
}

// ---- 3. escrow races ----

#[tokio::test]
async fn confirmation_racing_cancellation_strands_no_money() {
    let w = World::new().await;
    for n in 0..4 {
        let c = w.draft(&format!("Race number {n}"), json!({})).await;
        let slug = slug_of(&c);
        let f = w.request_funding(&slug).await;
        let (confirm_path, cancel_path) = (
            format!("/api/v1/admin/fundings/{}/confirm", id_of(&f)),
            format!("/api/v1/challenges/{slug}/cancel"),
        );
        let confirm = w.app.post(
            &confirm_path,
            Some(&w.admin.access),
            json!({ "reference": "RACE" }),
        );
        let cancel = w.app.post(
            &cancel_path,
            Some(&w.owner.access),
            json!({ "reason": "The sponsor withdrew." }),
        );
        let (confirmed, cancelled) = tokio::join!(confirm, cancel);
        assert_eq!(cancelled.status(), 200, "cancel always wins its own race");
        let e: Value = w
            .app
            .get_json(
                &format!("/api/v1/challenges/{slug}/escrow"),
                Some(&w.owner.access),
            )
            .await;
        assert_eq!(e["balance"]["amount"], 0, "escrow emptied: {e}");
        assert_eq!(e["funded"]["amount"], e["refunded"]["amount"], "{e}");
        if confirmed.status() == 200 {
            assert_eq!(e["funded"]["amount"], 100000, "{e}");
        } else {
            assert_eq!(confirmed.status(), 409);
            assert_eq!(e["funded"]["amount"], 0, "{e}");
        }
    }
}

// ---- 4. a slug shaped like an id ----

#[tokio::test]
async fn a_slug_cannot_be_another_challenges_id() {
    let w = World::new().await;
    let a = w.draft("First challenge", json!({})).await;
    let r = w
        .app
        .post(
            "/api/v1/challenges",
            Some(&w.owner.access),
            World::challenge_body(
                "Second challenge",
                chrono::Duration::days(7),
                json!({ "slug": id_of(&a) }),
            ),
        )
        .await;
    let v = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(v["errors"][0]["code"], "invalid_slug", "{v}");
    // The id still finds the first one.
    let v: Value = w
        .app
        .get_json(
            &format!("/api/v1/challenges/{}", id_of(&a)),
            Some(&w.owner.access),
        )
        .await;
    assert_eq!(v["title"], "First challenge");
}

// ---- 5. open redirect ----

#[tokio::test]
async fn the_language_switch_stays_on_the_site() {
    let app = TestApp::spawn().await;
    for next in [
        "/%5Cevil.example",
        "//evil.example",
        "https://evil.example",
        "/%09/evil.example",
    ] {
        let r = app
            .get(&format!("/language?lang=fr&next={next}"), None)
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(
            r.headers().get("location").and_then(|v| v.to_str().ok()),
            Some("/"),
            "{next}"
        );
    }
    let r = app
        .get("/language?lang=fr&next=/challenges%3Fq%3Dwater", None)
        .await;
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/challenges?q=water")
    );
}

// ---- 6. the idempotency store ----

#[tokio::test]
async fn replay_storage_keeps_no_secrets_and_anonymous_bodies_are_capped() {
    let w = World::new().await;
    let login = |key: &'static str| {
        w.app
            .http
            .post(w.app.url("/api/v1/auth/login"))
            .header("idempotency-key", key)
            .json(&json!({ "email": "owner@lab.org", "password": PASSWORD }))
            .send()
    };
    let first = login("login-1").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.status(), 200);
    assert_eq!(
        first
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let a: Value = first.json().await.unwrap_or_default();
    let second = login("login-1").await.unwrap_or_else(|e| panic!("{e}"));
    assert!(second.headers().get("idempotent-replayed").is_none());
    let b: Value = second.json().await.unwrap_or_default();
    assert_ne!(
        a["refresh_token"], b["refresh_token"],
        "a new pair, not a replay"
    );

    let key = w
        .app
        .http
        .post(w.app.url(&format!("/api/v1/orgs/{ORG}/api-keys")))
        .bearer_auth(&w.owner.access)
        .header("idempotency-key", "key-1")
        .json(&json!({ "name": "CI", "scopes": ["org:read"] }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(key.status(), 201);
    assert_eq!(
        key.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let secret = key.json::<Value>().await.unwrap_or_default()["secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // Nothing stored holds a token or a key.
    let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    #[derive(diesel::QueryableByName)]
    struct Body {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        body: Option<String>,
    }
    let bodies: Vec<Body> = diesel::sql_query("SELECT body FROM idempotency_keys")
        .load(&mut *conn)
        .unwrap_or_else(|e| panic!("{e}"));
    for b in bodies.iter().filter_map(|b| b.body.as_ref()) {
        for s in [
            a["access_token"].as_str().unwrap_or("?"),
            a["refresh_token"].as_str().unwrap_or("?"),
            secret.as_str(),
        ] {
            assert!(!b.contains(s), "a secret in replay storage");
        }
    }
    drop(conn);

    // An anonymous caller cannot make the server buffer megabytes.
    let r = w
        .app
        .http
        .post(w.app.url("/api/v1/auth/register"))
        .header("idempotency-key", "big-1")
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_problem(r, 413, "payload_too_large").await;
}

// ---- 7. review ----

async fn require_review(w: &World) {
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
}

#[tokio::test]
async fn edits_after_approval_go_back_to_review() {
    let w = World::new().await;
    require_review(&w).await;
    let c = w.draft("Reviewed water", json!({})).await;
    let slug = slug_of(&c);
    w.fund(&slug).await;
    assert_eq!(w.publish(&slug).await["outcome"], "awaiting_review");
    let seen: Value = w
        .app
        .get_json(&format!("/api/v1/challenges/{slug}"), Some(&w.owner.access))
        .await;
    let version = seen["review"]["version"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!version.is_empty(), "{seen}");

    // Edited while the admin reads it: the review starts over, and an
    // approval of what the admin read is refused.
    let r = w
        .app
        .patch(
            &format!("/api/v1/challenges/{slug}"),
            Some(&w.owner.access),
            json!({ "description": "Something the admin never read." }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/reviews/{slug}/approve"),
            Some(&w.admin.access),
            json!({ "version": version }),
        )
        .await;
    assert_problem(r, 409, "not_awaiting_review").await;
    assert_eq!(w.publish(&slug).await["outcome"], "awaiting_review");
    // Asked again, but changed again before the decision: the version refuses it.
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/reviews/{slug}/approve"),
            Some(&w.admin.access),
            json!({ "version": version }),
        )
        .await;
    assert_problem(r, 409, "review_outdated").await;
    let now: Value = w
        .app
        .get_json(&format!("/api/v1/challenges/{slug}"), Some(&w.owner.access))
        .await;
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/reviews/{slug}/approve"),
            Some(&w.admin.access),
            json!({ "version": now["review"]["version"] }),
        )
        .await;
    assert_eq!(r.status(), 200);

    // Open now: a text edit waits for approval; the public keeps the reviewed text.
    let r = w
        .app
        .patch(
            &format!("/api/v1/challenges/{slug}"),
            Some(&w.owner.access),
            json!({ "summary": "An unreviewed summary that nobody approved yet." }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let public: Value = w
        .app
        .get_json(&format!("/api/v1/challenges/{slug}"), None)
        .await;
    assert_eq!(
        public["summary"],
        "Design an open sensor for river pollution."
    );
    let queue: Value = w
        .app
        .get_json("/api/v1/admin/reviews", Some(&w.admin.access))
        .await;
    assert_eq!(queue["data"][0]["slug"], slug.as_str(), "{queue}");
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/reviews/{slug}/approve"),
            Some(&w.admin.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let public: Value = w
        .app
        .get_json(&format!("/api/v1/challenges/{slug}"), None)
        .await;
    assert_eq!(
        public["summary"],
        "An unreviewed summary that nobody approved yet."
    );
    assert_eq!(public["state"], "open");
}

// ---- 8. the login throttle ----

#[tokio::test]
async fn one_address_behind_a_proxy_does_not_lock_everyone_out() {
    let app = TestApp::spawn_with(|c| c.trusted_proxies = "127.0.0.1".into()).await;
    let victim = "victim@example.org";
    app.signed_in(victim, "Vic").await;
    let login = |email: String, password: &'static str, client: &'static str| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", client)
            .json(&json!({ "email": email, "password": password }))
            .send()
    };
    // Six people behind one NAT mistype their passwords.
    for n in 0..6 {
        let r = login(
            format!("user{n}@example.org"),
            "wrong password!",
            "198.51.100.7",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 401);
    }
    // Someone else behind the same address still signs in.
    let r = login(victim.into(), PASSWORD, "198.51.100.7")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);

    // The per-account limit stands, whatever address a guesser claims.
    for n in 0..5 {
        let client: &'static str = [
            "203.0.113.1",
            "203.0.113.2",
            "203.0.113.3",
            "203.0.113.4",
            "203.0.113.5",
        ][n];
        let r = login(victim.into(), "wrong password!", client)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 401);
    }
    let r = login(victim.into(), PASSWORD, "203.0.113.9")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_problem(r, 429, "rate_limited").await;
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_past_the_count() {
    let app = TestApp::spawn().await;
    app.signed_in("target@example.org", "Tia").await;
    let guesses = (0..12).map(|n| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .json(
                &json!({ "email": "target@example.org", "password": format!("guess number {n}") }),
            )
            .send()
    });
    let answers = futures_util::future::join_all(guesses).await;
    let statuses: Vec<u16> = answers
        .iter()
        .map(|r| r.as_ref().map(|r| r.status().as_u16()).unwrap_or(0))
        .collect();
    let tried = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(tried, 5, "exactly five guesses were checked: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 7);
}

// ---- 9. drafts ----

#[tokio::test]
async fn the_organisation_cannot_open_a_draft_by_its_id() {
    let w = World::new().await;
    let slug = w.open_challenge("Draft privacy", json!({})).await;
    let solver = w.solver("sol@example.org", "Sol", &slug).await;
    let draft = w.submit(&solver, &slug, "Half an idea", true).await;
    let id = id_of(&draft);
    assert_problem(
        w.app
            .get(&format!("/api/v1/submissions/{id}"), Some(&w.owner.access))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        w.app
            .get(
                &format!("/api/v1/submissions/{id}/revisions"),
                Some(&w.owner.access),
            )
            .await,
        404,
        "not_found",
    )
    .await;
    // Entered, it is theirs to see.
    let r = w
        .app
        .patch(
            &format!("/api/v1/submissions/{id}"),
            Some(&solver.access),
            json!({ "submit": true }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = w
        .app
        .get(&format!("/api/v1/submissions/{id}"), Some(&w.owner.access))
        .await;
    assert_eq!(r.status(), 200);
}

// ---- 10. API keys ----

#[tokio::test]
async fn keys_end_with_their_creator_and_invite_members_only() {
    let w = World::new().await;
    let admin = w.app.signed_in("alice@lab.org", "Alice").await;
    w.join_org(&admin, "alice@lab.org", "admin").await;
    let keys_path = format!("/api/v1/orgs/{ORG}/api-keys");
    let make_key = |scopes: Value| {
        w.app.post(
            &keys_path,
            Some(&admin.access),
            json!({ "name": "Alice's key", "scopes": scopes }),
        )
    };
    let secret = |v: Value| v["secret"].as_str().unwrap_or_default().to_owned();
    let k1 = secret(
        make_key(json!(["org:read", "members:write"]))
            .await
            .json()
            .await
            .unwrap_or_default(),
    );
    let k2 = secret(
        make_key(json!(["org:read"]))
            .await
            .json()
            .await
            .unwrap_or_default(),
    );
    let org = format!("/api/v1/orgs/{ORG}");
    assert_eq!(w.app.get(&org, Some(&k1)).await.status(), 200);

    // Keys invite plain members only.
    let r = w
        .app
        .post(
            &format!("{org}/members"),
            Some(&k1),
            json!({ "email": "mallory@example.org", "role": "admin" }),
        )
        .await;
    assert_problem(r, 403, "key_invites_members_only").await;
    let r = w
        .app
        .post(
            &format!("{org}/members"),
            Some(&k1),
            json!({ "email": "bob@example.org", "role": "member" }),
        )
        .await;
    assert_eq!(r.status(), 201);

    // Alice leaves: her keys stop.
    let me: Value = w.app.get_json("/api/v1/me", Some(&admin.access)).await;
    let r = w
        .app
        .delete(
            &format!("{org}/members/{}", id_of(&me)),
            Some(&admin.access),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_problem(w.app.get(&org, Some(&k1)).await, 401, "invalid_api_key").await;
    assert_problem(w.app.get(&org, Some(&k2)).await, 401, "invalid_api_key").await;

    // The owner's key stops when the owner is suspended.
    let owner_key = w.api_key(&["org:read"]).await;
    assert_eq!(w.app.get(&org, Some(&owner_key)).await.status(), 200);
    let owner: Value = w.app.get_json("/api/v1/me", Some(&w.owner.access)).await;
    let r = w
        .app
        .post(
            &format!("/api/v1/admin/users/{}/suspend", id_of(&owner)),
            Some(&w.admin.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_problem(
        w.app.get(&org, Some(&owner_key)).await,
        401,
        "invalid_api_key",
    )
    .await;
}

// ---- 11. cookies and CSRF ----

/// The value of the first hidden input `name` of a page.
fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    html.find(&needle)
        .map(|i| {
            html[i + needle.len()..]
                .chars()
                .take_while(|c| *c != '"')
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_api_ignores_the_page_cookie_and_csrf_tokens_are_bound_to_their_session() {
    let w = World::new().await;
    let c = w.draft("Cookie forgery", json!({})).await;
    let slug = slug_of(&c);
    w.fund(&slug).await;
    // A body-less POST carrying only the page cookie is not signed in.
    let r = w
        .app
        .http
        .post(w.app.url(&format!("/api/v1/challenges/{slug}/publish")))
        .header("cookie", format!("tribu_access={}", w.owner.access))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_problem(r, 401, "unauthenticated").await;

    // Two people signed in; one's CSRF pair does not work for the other.
    let mallory = w.app.signed_in("mallory@example.org", "Mallory").await;
    let page = |who: &Tokens| {
        w.app
            .http
            .get(w.app.url("/settings"))
            .header("cookie", format!("tribu_access={}", who.access))
            .send()
    };
    let csrf_of = |html: &str| hidden(html, "csrf");
    let mallorys = csrf_of(
        &page(&mallory)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_default(),
    );
    let owners = csrf_of(
        &page(&w.owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_default(),
    );
    assert!(!mallorys.is_empty() && mallorys != owners);
    let cancel = |csrf: String| {
        w.app
            .http
            .post(w.app.url(&format!("/manage/challenges/{slug}/cancel")))
            .header(
                "cookie",
                format!("tribu_access={}; tribu_csrf={csrf}", w.owner.access),
            )
            .form(&[("csrf", csrf.as_str()), ("reason", "The sponsor withdrew.")])
            .send()
    };
    let r = cancel(mallorys).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 403, "another session's token");
    let v: Value = w
        .app
        .get_json(&format!("/api/v1/challenges/{slug}"), Some(&w.owner.access))
        .await;
    assert_eq!(v["state"], "draft", "nothing changed");
    // The owner's own pair works.
    let r = cancel(owners).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
}

// ---- 12. links and invitations ----

#[tokio::test]
async fn older_links_die_with_a_new_password_and_mail_is_rate_limited() {
    let app = TestApp::spawn().await;
    let t = app.signed_in("reset@example.org", "Rey").await;
    let ask = || {
        app.post(
            "/api/v1/auth/password-reset",
            None,
            json!({ "email": "reset@example.org" }),
        )
    };
    assert_eq!(ask().await.status(), 202);
    let first = app
        .token_from_email("reset@example.org", "/reset-password?token=")
        .await;
    // Clear the folder so the next link is the newest one there.
    for f in files_under(&app.mail_dir()) {
        let _ = std::fs::remove_file(f);
    }
    assert_eq!(ask().await.status(), 202);
    let second = app
        .token_from_email("reset@example.org", "/reset-password?token=")
        .await;
    assert_ne!(first, second);
    let r = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": second, "new_password": "a brand new long password" }),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": first, "new_password": "an attacker's password here" }),
        )
        .await;
    assert_problem(r, 400, "invalid_token").await;
    let _ = t;

    // At most three links an hour reach one mailbox, whatever is asked.
    for f in files_under(&app.mail_dir()) {
        let _ = std::fs::remove_file(f);
    }
    for _ in 0..5 {
        assert_eq!(ask().await.status(), 202);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let resets = files_under(&app.mail_dir())
        .into_iter()
        .filter(|f| {
            common::decode_qp(&std::fs::read_to_string(f).unwrap_or_default())
                .contains("/reset-password?token=")
        })
        .count();
    assert_eq!(resets, 1, "two sent earlier this hour, one more allowed");
}

#[tokio::test]
async fn a_password_change_ends_outstanding_reset_links() {
    let app = TestApp::spawn().await;
    let t = app.signed_in("change@example.org", "Cha").await;
    app.post(
        "/api/v1/auth/password-reset",
        None,
        json!({ "email": "change@example.org" }),
    )
    .await;
    let link = app
        .token_from_email("change@example.org", "/reset-password?token=")
        .await;
    let r = app
        .post(
            "/api/v1/me/password",
            Some(&t.access),
            json!({ "current_password": PASSWORD, "new_password": "another long password" }),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({ "token": link, "new_password": "an attacker's password here" }),
        )
        .await;
    assert_problem(r, 400, "invalid_token").await;
}

#[tokio::test]
async fn team_invitations_expire_and_invitations_are_rate_limited() {
    let w = World::new().await;
    let slug = w
        .open_challenge("Expiring teams", json!({ "max_team_size": 10 }))
        .await;
    let lead = w.solver("lead@example.org", "Lee", &slug).await;
    let s = w.submit(&lead, &slug, "Team entry", false).await;
    let id = id_of(&s);
    let invite_path = format!("/api/v1/submissions/{id}/team/invitations");
    let invite = |email: &str| {
        w.app
            .post(&invite_path, Some(&lead.access), json!({ "email": email }))
    };
    assert_eq!(invite("mate@example.org").await.status(), 201);
    let token = w
        .app
        .token_from_email("mate@example.org", "/team-invitations/")
        .await;
    // Fifteen days later…
    let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::days(1);
    diesel::sql_query("UPDATE team_invitations SET expires_at = $1")
        .bind::<diesel::sql_types::Timestamp, _>(past)
        .execute(&mut *conn)
        .unwrap_or_else(|e| panic!("{e}"));
    drop(conn);
    let mate: Tokens = w.solver("mate@example.org", "Mat", &slug).await;
    let r = w
        .app
        .post(
            "/api/v1/team-invitations/accept",
            Some(&mate.access),
            json!({ "token": token }),
        )
        .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    let listed: Value = w
        .app
        .get_json("/api/v1/me/team-invitations", Some(&mate.access))
        .await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(0), "{listed}");

    // One address receives at most five invitations an hour.
    for _ in 0..4 {
        assert_eq!(invite("popular@example.org").await.status(), 201);
    }
    let r = invite("popular@example.org").await;
    assert_eq!(r.status(), 201, "the fifth");
    let r = invite("popular@example.org").await;
    assert_problem(r, 429, "rate_limited").await;
}

// ---- 13. the smaller gaps ----

#[tokio::test]
async fn downloads_stream_with_their_length() {
    let w = World::new().await;
    let slug = w.open_challenge("Big files", json!({})).await;
    let solver = w.solver("sol@example.org", "Sol", &slug).await;
    let s = w.submit(&solver, &slug, "Data", false).await;
    let bytes: Vec<u8> = (0..2_500_000u32).map(|i| (i % 251) as u8).collect();
    let r = w.upload(&solver, &id_of(&s), "data.bin", &bytes).await;
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.unwrap_or_default();
    let got = w
        .app
        .get(
            a["attachment"]["url"].as_str().unwrap_or_default(),
            Some(&solver.access),
        )
        .await;
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some("2500000")
    );
    assert_eq!(
        got.bytes().await.unwrap_or_default().as_ref(),
        bytes.as_slice()
    );
    let _ = at;
}
