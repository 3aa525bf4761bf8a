//! The HTML pages over real HTTP with a cookie jar: the account flow through
//! forms, cookies and their flags, CSRF, the page session refresh, language
//! choice, and error pages.

mod common;

use common::visitor::Visitor;
use common::{TestApp, PASSWORD};
use reqwest::Response;

fn set_cookies(r: &Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_account_flow_through_forms() {
    let app = TestApp::spawn().await;
    let v = Visitor::new(&app);
    let r = v
        .post_form(
            "/signup",
            "/signup",
            &[
                ("display_name", "Mary Somerville"),
                ("email", "mary@example.org"),
                ("password", PASSWORD),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap_or_default()
        .contains("mary@example.org"));

    // A short password re-renders the form with the message and keeps the entries.
    let r = v
        .post_form(
            "/signup",
            "/signup",
            &[
                ("display_name", "Other"),
                ("email", "other@example.org"),
                ("password", "short"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap_or_default();
    assert!(
        html.contains("other@example.org") && html.contains("12"),
        "{html}"
    );
    assert!(!html.contains("value=\"short\""), "password echoed back");

    let token = app
        .token_from_email("mary@example.org", "/verify-email?token=")
        .await;
    let r = v.get(&format!("/verify-email?token={token}")).await;
    assert_eq!(r.status(), 200);

    let r = v
        .post_form(
            "/login",
            "/login",
            &[
                ("email", "mary@example.org"),
                ("password", "wrong password!!"),
            ],
        )
        .await;
    assert!(r.status().is_client_error() || r.status() == 200);
    let r = v
        .post_form(
            "/login",
            "/login",
            &[("email", "mary@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let cookies = set_cookies(&r);
    for name in ["tribu_access=", "tribu_refresh="] {
        let c = cookies
            .iter()
            .find(|c| c.starts_with(name))
            .unwrap_or_else(|| panic!("{name} not set: {cookies:?}"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
        assert!(!c.contains("Secure"), "plain http: {c}");
    }
    let settings = v.html("/settings").await;
    assert!(settings.contains("Mary Somerville"));

    // Sessions page lists this session.
    let sessions = v.html("/settings/sessions").await;
    assert!(sessions.contains("127.0.0.1"), "{sessions}");

    let r = v.post_form("/settings", "/logout", &[]).await;
    assert_eq!(r.status(), 303);
    let r = v.get("/settings").await;
    assert_eq!(r.status(), 303, "signed out");
    assert!(r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .starts_with("/login"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    app.signed_in("csrf@example.org", "Cee").await;
    let v = Visitor::new(&app);
    v.get("/login").await; // gets the cookie
    for body in [
        vec![("email", "csrf@example.org"), ("password", PASSWORD)],
        vec![
            ("email", "csrf@example.org"),
            ("password", PASSWORD),
            ("csrf", "forged"),
        ],
    ] {
        let r = v
            .http
            .post(format!("{}/login", v.base))
            .form(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 403);
        assert!(r
            .headers()
            .get("content-type")
            .and_then(|c| c.to_str().ok())
            .unwrap_or("")
            .starts_with("text/html"));
        assert!(set_cookies(&r)
            .iter()
            .all(|c| !c.starts_with("tribu_access=")));
    }
    // Every form on the pages carries the token.
    for page in [
        "/signup",
        "/login",
        "/forgot-password",
        "/verify-email/resend",
    ] {
        let html = v.html(page).await;
        let forms = html.matches("<form").count();
        let tokens = html.matches("name=\"csrf\"").count();
        assert!(
            forms > 0 && forms == tokens,
            "{page}: {forms} forms, {tokens} tokens"
        );
    }
}

#[tokio::test]
async fn an_expired_access_cookie_is_refreshed_from_the_refresh_cookie() {
    let app = TestApp::spawn().await;
    app.signed_in("refresh@example.org", "Ray").await;
    let t = app.login("refresh@example.org", PASSWORD).await;
    // Only the refresh cookie, as after the access cookie expired.
    let r = app
        .http
        .get(app.url("/settings"))
        .header("cookie", format!("tribu_refresh={}", t.refresh))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let cookies = set_cookies(&r);
    assert!(
        cookies.iter().any(|c| c.starts_with("tribu_access=")),
        "{cookies:?}"
    );
    let new_refresh = cookies
        .iter()
        .find(|c| c.starts_with("tribu_refresh="))
        .cloned()
        .unwrap_or_default();
    assert!(!new_refresh.contains(&t.refresh), "rotated");
    assert!(r.text().await.unwrap_or_default().contains("Ray"));
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let app = TestApp::spawn_with(|c| c.base_url = Some("https://tribu.example".into())).await;
    let v = Visitor::new(&app);
    let r = v.get("/login").await;
    let cookies = set_cookies(&r);
    // Over https every cookie takes the __Host- prefix: Secure, Path=/, no
    // Domain, so no sibling subdomain can read or plant it.
    let csrf = cookies
        .iter()
        .find(|c| c.starts_with("__Host-tribu_csrf="))
        .cloned()
        .unwrap_or_default();
    assert!(
        csrf.contains("Secure") && csrf.contains("HttpOnly") && csrf.contains("Path=/"),
        "{cookies:?}"
    );
    assert!(!csrf.contains("Domain"), "{csrf}");
    assert!(
        !cookies.iter().any(|c| c.starts_with("tribu_")),
        "no unprefixed cookie: {cookies:?}"
    );
}

#[tokio::test]
async fn language_by_account_then_cookie_then_accept_language() {
    let app = TestApp::spawn().await;
    let fr = Visitor::with_header(&app, Some("fr-FR,fr;q=0.9"));
    let html = fr.html("/").await;
    assert!(
        html.contains("lang=\"fr\"") && html.contains("Créer un compte"),
        "Accept-Language"
    );
    // The cookie wins over the header.
    let r = fr.get("/language?lang=en&next=/login").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers().get("location").and_then(|l| l.to_str().ok()),
        Some("/login")
    );
    assert!(fr.html("/").await.contains("lang=\"en\""));
    // An open redirect is not possible.
    let r = fr.get("/language?lang=en&next=//evil.example").await;
    assert_eq!(
        r.headers().get("location").and_then(|l| l.to_str().ok()),
        Some("/")
    );
    // The account wins over both.
    let t = app.signed_in("langue@example.org", "Lea").await;
    app.patch(
        "/api/v1/me",
        Some(&t.access),
        serde_json::json!({ "language": "fr" }),
    )
    .await;
    let v = Visitor::with_header(&app, Some("en"));
    v.post_form(
        "/login",
        "/login",
        &[("email", "langue@example.org"), ("password", PASSWORD)],
    )
    .await;
    v.get("/language?lang=en").await;
    let html = v.html("/settings").await;
    assert!(html.contains("lang=\"fr\""), "account language");
}

#[tokio::test]
async fn error_pages_are_html_and_private_pages_do_not_leak() {
    let app = TestApp::spawn().await;
    let owner = Visitor::signed_up(&app, "own@example.org", "Own").await;
    let r = owner
        .post_form(
            "/orgs/new",
            "/orgs/new",
            &[("name", "Secret Lab"), ("slug", "secret-lab")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(owner.html("/orgs/secret-lab").await.contains("Secret Lab"));

    let stranger = Visitor::signed_up(&app, "stranger@example.org", "Str").await;
    for path in [
        "/orgs/secret-lab",
        "/orgs/secret-lab/api-keys",
        "/no/such/page",
    ] {
        let r = stranger.get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|c| c.to_str().ok())
            .unwrap_or("")
            .to_owned();
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        assert!(!r.text().await.unwrap_or_default().contains("Secret Lab"));
    }
    // A plain member sees members but not API keys.
    let r = owner
        .post_form(
            "/orgs/secret-lab",
            "/orgs/secret-lab/invite",
            &[("email", "stranger@example.org"), ("role", "member")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let token = app
        .token_from_email("stranger@example.org", "/invitations/")
        .await;
    let r = stranger
        .post_form(
            &format!("/invitations/{token}"),
            &format!("/invitations/{token}/accept"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(stranger.get("/orgs/secret-lab").await.status(), 200);
    assert_eq!(
        stranger.get("/orgs/secret-lab/api-keys").await.status(),
        403
    );

    // The owner creates a key; its secret is shown once.
    let r = owner
        .post_form(
            "/orgs/secret-lab/api-keys",
            "/orgs/secret-lab/api-keys",
            &[("name", "Importer"), ("scopes", "org:read")],
        )
        .await;
    let status = r.status();
    let html = r.text().await.unwrap_or_default();
    assert_eq!(status, 200, "{html}");
    let start = html
        .find("tribu_sk_")
        .unwrap_or_else(|| panic!("secret not shown"));
    let secret: String = html[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert_eq!(
        app.get("/api/v1/orgs/secret-lab", Some(&secret))
            .await
            .status(),
        200
    );
    assert!(!owner
        .html("/orgs/secret-lab/api-keys")
        .await
        .contains(&secret));
}

#[tokio::test]
async fn each_person_lands_where_their_work_is() {
    let w = common::fixtures::World::new().await;
    let app = &w.app;
    app.signed_in("sol@example.org", "Sol Solver").await;
    for (email, home) in [
        ("sol@example.org", "/me/submissions"),
        (common::fixtures::OWNER, "/orgs/open-lab/challenges"),
        ("admin@tribu.org", "/admin"),
    ] {
        let v = Visitor::new(app);
        let r = v
            .post_form(
                "/login",
                "/login",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status(), 303, "{email}");
        assert_eq!(common::visitor::location(&r), home, "{email}");
        // Signed in, the sign-in and sign-up pages send them there too.
        for p in ["/login", "/signup"] {
            let r = v.get(p).await;
            assert_eq!(common::visitor::location(&r), home, "{email} {p}");
        }
        // A `next` wins over all of these.
        let v = Visitor::new(app);
        let r = v
            .post_form(
                "/login?next=/challenges",
                "/login",
                &[
                    ("email", email),
                    ("password", PASSWORD),
                    ("next", "/solutions"),
                ],
            )
            .await;
        assert_eq!(common::visitor::location(&r), "/solutions", "{email}");
    }
}

#[tokio::test]
async fn terms_and_privacy_are_linked_and_the_platform_sets_their_text() {
    let app = TestApp::spawn().await;
    let v = Visitor::new(&app);
    let signup = v.html("/signup").await;
    assert!(signup.contains("href=\"/terms\"") && signup.contains("href=\"/privacy\""));
    let home = v.html("/").await;
    assert!(
        home.contains("href=\"/terms\"") && home.contains("href=\"/privacy\""),
        "footer links"
    );
    let (status, terms) = v.page("/terms").await;
    assert_eq!(status, 200);
    assert!(terms.contains("<h2>Prize money</h2>"), "{terms}");
    let fr = Visitor::with_header(&app, Some("fr"));
    let (_, privacy) = fr.page("/privacy").await;
    assert!(privacy.contains("Ce que nous conservons"), "{privacy}");

    // The platform's own text replaces the default.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("terms.md");
    std::fs::write(&file, "## Our terms\n\nBe *kind*.").unwrap_or_else(|e| panic!("{e}"));
    let app = TestApp::spawn_with(|c| c.terms_file = Some(file.clone())).await;
    let (_, terms) = Visitor::new(&app).page("/terms").await;
    assert!(
        terms.contains("<h2>Our terms</h2>") && terms.contains("<em>kind</em>"),
        "{terms}"
    );
}
