//! `TestApp::spawn()`: the real app on a free port with its own database and
//! data folder, driven over HTTP.
//!
//! Backend: SQLite in a temp folder, or — when `TRIBU_TEST_DATABASE_URL`
//! names a PostgreSQL server — a fresh database created for the test and
//! dropped afterwards.

#![allow(dead_code)]

pub mod browser;
pub mod fixtures;
pub mod visitor;

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use tribu::config::{Config, Secret};

/// The strong password every test account uses.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running app.
pub struct TestApp {
    pub addr: String,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub state: tribu::state::AppState,
    /// A client without cookies (API calls carry bearer tokens).
    pub http: Client,
    pg_db: Option<(String, String)>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// The PostgreSQL server tests should use, if any.
pub fn pg_url() -> Option<String> {
    std::env::var("TRIBU_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Replaces the database name of a PostgreSQL URL. Tests talk to a server
/// on loopback: without TLS (unless the URL asks for it), so no OpenSSL
/// cleanup at process exit can race a pool thread still connecting.
pub fn with_database(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url)
        .unwrap_or_else(|e| panic!("TRIBU_TEST_DATABASE_URL is not a URL: {e}"));
    u.set_path(&format!("/{db}"));
    without_tls(u.as_str())
}

/// `url` with `sslmode=disable` unless it names an `sslmode` itself.
pub fn without_tls(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if !u.query_pairs().any(|(k, _)| k == "sslmode") => {
            u.query_pairs_mut().append_pair("sslmode", "disable");
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Creates a fresh PostgreSQL database; returns its URL.
pub fn create_pg_database(server: &str, name: &str) -> String {
    let mut admin = diesel::PgConnection::establish(&without_tls(server))
        .unwrap_or_else(|e| panic!("cannot reach TRIBU_TEST_DATABASE_URL: {e}"));
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .unwrap_or_else(|e| panic!("cannot create test database: {e}"));
    with_database(server, name)
}

/// Drops a database created by [`create_pg_database`].
pub fn drop_pg_database(server: &str, name: &str) {
    if let Ok(mut admin) = diesel::PgConnection::establish(&without_tls(server)) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut admin);
    }
}

impl TestApp {
    /// Spawns with the default test configuration.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns after letting the caller adjust the configuration.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let addr = format!("http://127.0.0.1:{port}");
        let (database_url, pg_db) = match pg_url() {
            Some(server) => {
                let name = format!("tribu_t_{}", uuid::Uuid::new_v4().simple());
                let url = create_pg_database(&server, &name);
                (url, Some((server, name)))
            }
            None => (
                format!("sqlite://{}", dir.path().join("tribu.db").display()),
                None,
            ),
        };
        let mut config = Config {
            listen: format!("127.0.0.1:{port}"),
            database_url: Secret::new(database_url),
            data_dir: dir.path().join("data"),
            base_url: Some(addr.clone()),
            http_workers: 1,
            worker_poll_ms: 200,
            db_pool_size: 4,
            log: "warn".into(),
            ..Config::default()
        };
        adjust(&mut config);
        let state = tribu::app::build_state(config.clone())
            .unwrap_or_else(|e| panic!("build state: {e:#}"));
        let worker = tribu::app::worker(&state).unwrap_or_else(|e| panic!("worker: {e:#}"));
        let running = tribu::app::http_server(state.clone(), listener)
            .unwrap_or_else(|e| panic!("server: {e:#}"));
        let server = running.server;
        let tasks = vec![
            tokio::spawn(async move {
                let _ = server.await;
            }),
            tokio::spawn(worker.run()),
        ];
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("client: {e}"));
        TestApp {
            addr,
            port,
            dir,
            config,
            state,
            http,
            pg_db,
            tasks,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr, path)
    }

    /// POSTs JSON, optionally with a bearer token.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        let mut r = self.http.post(self.url(path)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        let mut r = self.http.patch(self.url(path)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
            .await
            .unwrap_or_else(|e| panic!("PATCH {path}: {e}"))
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        let mut r = self.http.put(self.url(path)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap_or_else(|e| panic!("PUT {path}: {e}"))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut r = self.http.get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// GETs `path` and reads the JSON answer (`Null` when it is not JSON).
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> Value {
        self.get(path, token).await.json().await.unwrap_or_default()
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut r = self.http.delete(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
            .await
            .unwrap_or_else(|e| panic!("DELETE {path}: {e}"))
    }

    /// The folder the file transport writes to.
    pub fn mail_dir(&self) -> PathBuf {
        self.config.mail_dir()
    }

    /// Waits (up to 10 s) for an email to `to` whose decoded text contains
    /// `needle`, and returns that text.
    pub async fn wait_for_email(&self, to: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(rd) = std::fs::read_dir(self.mail_dir()) {
                for e in rd.flatten() {
                    let raw = std::fs::read_to_string(e.path()).unwrap_or_default();
                    let text = decode_qp(&raw);
                    if text.contains(&format!("To: {to}")) && text.contains(needle) {
                        return text;
                    }
                }
            }
            if Instant::now() > deadline {
                panic!("no email to {to} containing {needle:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the email with a link to `path` and returns the token in it.
    pub async fn token_from_email(&self, to: &str, path: &str) -> String {
        let text = self.wait_for_email(to, path).await;
        link_token(&text, path).unwrap_or_else(|| panic!("no {path} link in email:\n{text}"))
    }

    /// Registers an account through the API (no verification).
    pub async fn register(&self, email: &str, name: &str) -> Value {
        let r = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": email, "display_name": name, "password": PASSWORD }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "register {email}");
        r.json().await.unwrap_or_default()
    }

    /// Registers, verifies by the emailed link, logs in; returns the token pair.
    pub async fn signed_in(&self, email: &str, name: &str) -> Tokens {
        self.register(email, name).await;
        let token = self.token_from_email(email, "/verify-email?token=").await;
        let r = self
            .post("/api/v1/auth/verify-email", None, json!({ "token": token }))
            .await;
        assert_eq!(r.status(), StatusCode::OK, "verify {email}");
        self.login(email, PASSWORD).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Tokens {
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "login {email}");
        let v: Value = r.json().await.unwrap_or_default();
        Tokens {
            access: v["access_token"].as_str().unwrap_or_default().to_owned(),
            refresh: v["refresh_token"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// The JWT signing secret this app generated.
    pub fn signing_secret(&self) -> String {
        std::fs::read_to_string(self.config.data_dir.join("secret.key"))
            .unwrap_or_default()
            .trim()
            .to_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        if let Some((server, name)) = &self.pg_db {
            // The pool still holds connections; FORCE ends them.
            drop_pg_database(server, name);
        }
    }
}

/// An access and refresh token.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// Decodes quoted-printable soft breaks and escapes enough to read links.
pub fn decode_qp(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let mut out = Vec::with_capacity(joined.len());
    let b = joined.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("00");
            out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The token after `path` in a link of `text` (up to a space, quote or `<`).
pub fn link_token(text: &str, path: &str) -> Option<String> {
    let start = text.find(path)? + path.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}

/// Asserts a response is problem+json with `status` and `code`; returns the body.
pub async fn assert_problem(r: Response, status: u16, code: &str) -> Value {
    assert_eq!(
        r.status().as_u16(),
        status,
        "status for expected code {code}"
    );
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        ct.starts_with("application/problem+json"),
        "content-type {ct}"
    );
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["status"], status, "{v}");
    v
}

/// A port on 127.0.0.1 that nothing listened on when asked (bound to port
/// 0, read, released): for servers the tests start, or an address where
/// nothing answers.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// A child process (a server a test started) killed and reaped when dropped.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether a missing optional dependency must fail the test (CI).
pub fn require_all() -> bool {
    std::env::var("TRIBU_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Starts moto's S3 server (`moto_server`, pip `moto[server]`) on a free port
/// of 127.0.0.1 with an empty bucket `bucket`, and returns it with its
/// endpoint; `None` (after saying why) when moto is missing and
/// [`require_all`] is off. `who` names the test in the notice.
pub async fn s3_bucket(who: &str, bucket: &str) -> Option<(KillOnDrop, String)> {
    let port = free_port();
    let child = std::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let server = match child {
        Ok(c) => KillOnDrop(c),
        Err(e) => {
            if require_all() {
                panic!("moto_server is required (pip install 'moto[server]'): {e}");
            }
            eprintln!("{who} skipped: moto_server not available ({e}); pip install 'moto[server]'");
            return None;
        }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let endpoint = format!("http://127.0.0.1:{port}");
    // moto accepts an unsigned request to make the bucket.
    let r = Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.status().is_success(), "create bucket: {}", r.status());
    Some((server, endpoint))
}
