//! A cookie-keeping client that reads pages and posts forms, like a browser
//! without JavaScript: for the HTML pages over real HTTP.

use reqwest::{Client, Response};

use super::{TestApp, PASSWORD};

/// A cookie-keeping client, like a browser without JavaScript. It does not
/// follow redirects, so tests see each `303` and its `location`.
pub struct Visitor {
    pub http: Client,
    pub base: String,
}

impl Visitor {
    /// A visitor with no cookies yet.
    pub fn new(app: &TestApp) -> Self {
        Self::with_header(app, None)
    }

    /// A visitor whose every request says `accept-language: accept_language`.
    pub fn with_header(app: &TestApp, accept_language: Option<&str>) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(l) = accept_language {
            headers.insert(
                "accept-language",
                l.parse().unwrap_or_else(|e| panic!("{e}")),
            );
        }
        Visitor {
            http: Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
            base: app.addr.clone(),
        }
    }

    /// A visitor signed in through the login form as `email` (an account
    /// that exists and is verified).
    pub async fn signed_in(app: &TestApp, email: &str) -> Self {
        let v = Visitor::new(app);
        let r = v
            .post_form(
                "/login",
                "/login",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status(), 303, "login {email}");
        v
    }

    /// Registers and verifies `email` through the API, then signs in through
    /// the login form.
    pub async fn signed_up(app: &TestApp, email: &str, name: &str) -> Self {
        app.signed_in(email, name).await;
        Self::signed_in(app, email).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// The text of the page at `path`.
    pub async fn html(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap_or_default()
    }

    /// The status and text of the page at `path`.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }

    /// Posts a form to `action`, adding the CSRF token found on `form_page`.
    pub async fn post_form(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let html = self.html(form_page).await;
        let csrf = csrf_of(&html);
        let mut body: Vec<(&str, &str)> = fields.to_vec();
        body.push(("csrf", &csrf));
        self.http
            .post(format!("{}{action}", self.base))
            .form(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {action}: {e}"))
    }
}

/// The CSRF token of the first form in `html`, or an empty string.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    html.find(marker)
        .map(|i| {
            html[i + marker.len()..]
                .split('"')
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default()
}

/// The `location` header of `r`, or an empty string.
pub fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
