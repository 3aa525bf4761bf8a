//! Two `tribu serve` processes behind a load balancer, as in production past
//! one machine: one PostgreSQL database, attachments in an S3-compatible
//! store (moto), mail through one SMTP relay (aiosmtpd), the same
//! `TRIBU_JWT_SECRET` on both, and a round-robin reverse proxy written here
//! that appends the client's address to `X-Forwarded-For`
//! (`TRIBU_TRUSTED_PROXIES=127.0.0.1`).
//!
//! It shows that nothing lives in one node's memory or disk:
//! 1. a session made on one node works on the other: API tokens (and their
//!    refresh), a replayed `Idempotency-Key`, a page session in cookies
//!    (its refresh and its CSRF token), and a sign-out on one node ends it
//!    on both;
//! 2. an attachment uploaded through one node downloads byte for byte
//!    through the other, from the bucket, with no copy on either disk;
//! 3. the two workers share one outbox and send each email once: every
//!    Message-ID reaches the relay exactly once;
//! 4. behind the balancer, the login throttle counts the forwarded client
//!    address across both nodes (429 with `Retry-After` on each, another
//!    client still allowed), and the sessions, the audit log, the sign-in
//!    records and the logs name that address, never the balancer's.
//!
//! PostgreSQL only (SQLite is one machine's file): skipped with a notice
//! unless `TRIBU_TEST_DATABASE_URL` is set.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use common::fixtures::{files_under, id_of, slug_of, World, ORG};
use common::{free_port, require_all, KillOnDrop, PASSWORD};
use reqwest::{Method, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_tribu");
/// Failed sign-ins one address may make in 15 minutes (the least allowed).
const MAX_FAILURES_PER_IP: usize = 10;
/// A client address behind the balancer, and another.
const ATTACKER: &str = "203.0.113.66";
const CLIENT: &str = "198.51.100.23";

// ---- servers the test starts ----

/// Drops the test's PostgreSQL database at the end (after the nodes, which
/// are declared later and so dropped first).
struct Database {
    server: String,
    name: String,
    url: String,
}

impl Drop for Database {
    fn drop(&mut self) {
        common::drop_pg_database(&self.server, &self.name);
    }
}

/// Starts aiosmtpd writing each message as a file of the maildir `dir`.
fn smtpd(dir: &Path) -> Option<(KillOnDrop, u16)> {
    let port = free_port();
    let has = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        if require_all() {
            panic!("python3 with aiosmtpd is required (pip install aiosmtpd)");
        }
        eprintln!("two-node test skipped: python3 -m aiosmtpd not available");
        return None;
    }
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("aiosmtpd: {e}"));
    let child = KillOnDrop(child);
    wait_port(port, "aiosmtpd");
    Some((child, port))
}

fn wait_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The `tribu` binary with exactly `env` as its settings (nothing inherited).
fn tribu(dir: &Path, env: &[(String, String)]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("TRIBU_") {
            c.env_remove(k);
        }
    }
    c.envs(env.iter().map(|(k, v)| (k, v)));
    c
}

/// A `tribu serve` node: its port, data folder and log file.
struct Node {
    _process: KillOnDrop,
    port: u16,
    dir: PathBuf,
    log: PathBuf,
}

impl Node {
    fn start(root: &Path, i: usize, shared: &[(String, String)]) -> Node {
        let port = free_port();
        let dir = root.join(format!("node{i}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let log = root.join(format!("node{i}.log"));
        let mut env = shared.to_vec();
        env.push(("TRIBU_LISTEN".into(), format!("127.0.0.1:{port}")));
        env.push((
            "TRIBU_DATA_DIR".into(),
            dir.join("data").display().to_string(),
        ));
        let stderr = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}"));
        let child = tribu(&dir, &env)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("tribu serve: {e}"));
        Node {
            _process: KillOnDrop(child),
            port,
            dir,
            log,
        }
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{}/readyz", self.port)).await {
                if r.status() == 200 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "node on {} not ready: {}",
                self.port,
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

// ---- the balancer ----

/// Request headers the test talks to the balancer with (never forwarded):
/// which client address to claim, and a node to pin the request to.
const CLIENT_HEADER: &str = "x-test-client";
const NODE_HEADER: &str = "x-test-node";
/// Response header saying which node answered.
const SERVED_BY: &str = "x-served-by";
/// The client address when the test names none.
const DEFAULT_CLIENT: &str = "192.0.2.10";

/// Hop-by-hop headers and those the proxy sets itself.
const NOT_FORWARDED: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
];

#[derive(Clone)]
struct Upstreams {
    nodes: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
}

/// Forwards one request to the next node (or the pinned one), appending the
/// client's address to `X-Forwarded-For` as a real balancer appends the
/// peer's, and answers with the node's answer.
async fn forward(
    req: HttpRequest,
    body: web::Bytes,
    up: web::Data<Upstreams>,
    http: web::Data<reqwest::Client>,
) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let node = header(NODE_HEADER)
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| up.next.fetch_add(1, Ordering::SeqCst))
        % up.nodes.len();
    let client = header(CLIENT_HEADER).unwrap_or_else(|| DEFAULT_CLIENT.into());
    let mut chain: Vec<String> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    chain.push(client);
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let method = Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or(Method::GET);
    let mut out = http.request(method, format!("{}{path}", up.nodes[node]));
    for (k, v) in req.headers() {
        let name = k.as_str();
        if NOT_FORWARDED.contains(&name)
            || name == "x-forwarded-for"
            || name == CLIENT_HEADER
            || name == NODE_HEADER
        {
            continue;
        }
        out = out.header(name, v.as_bytes());
    }
    let answer = out
        .header("x-forwarded-for", chain.join(", "))
        .header("x-forwarded-proto", "http")
        .body(body.to_vec())
        .send()
        .await;
    let r = match answer {
        Ok(r) => r,
        Err(e) => return HttpResponse::BadGateway().body(format!("node {node}: {e}")),
    };
    let status = actix_web::http::StatusCode::from_u16(r.status().as_u16())
        .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
    let mut res = HttpResponse::build(status);
    for (k, v) in r.headers() {
        if NOT_FORWARDED.contains(&k.as_str()) {
            continue;
        }
        if let (Ok(k), Ok(v)) = (
            actix_web::http::header::HeaderName::from_bytes(k.as_str().as_bytes()),
            actix_web::http::header::HeaderValue::from_bytes(v.as_bytes()),
        ) {
            res.append_header((k, v));
        }
    }
    res.insert_header((SERVED_BY, node.to_string()));
    let bytes = r.bytes().await.unwrap_or_default();
    res.body(bytes)
}

/// Starts the balancer on `listener` in front of `nodes`.
fn balancer(listener: std::net::TcpListener, nodes: Vec<String>) -> actix_web::dev::ServerHandle {
    let up = Upstreams {
        nodes: Arc::new(nodes),
        next: Arc::new(AtomicUsize::new(0)),
    };
    let server = HttpServer::new(move || {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        App::new()
            .app_data(web::Data::new(up.clone()))
            .app_data(web::Data::new(http))
            .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
            .default_service(web::to(forward))
    })
    .workers(2)
    .listen(listener)
    .unwrap_or_else(|e| panic!("balancer: {e}"))
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    handle
}

/// A client of the site through the balancer.
struct Site {
    base: String,
    http: reqwest::Client,
}

/// Where a request goes: any node (round robin), or one of them.
#[derive(Clone, Copy)]
enum To {
    Any,
    Node(usize),
}

impl Site {
    fn request(&self, m: Method, path: &str, to: To, client: &str) -> reqwest::RequestBuilder {
        let r = self
            .http
            .request(m, format!("{}{path}", self.base))
            .header(CLIENT_HEADER, client);
        match to {
            To::Any => r,
            To::Node(n) => r.header(NODE_HEADER, n.to_string()),
        }
    }

    async fn send(r: reqwest::RequestBuilder, what: &str) -> Response {
        r.send().await.unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    async fn post(&self, path: &str, to: To, token: Option<&str>, body: Value) -> Response {
        let mut r = self.request(Method::POST, path, to, CLIENT).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        Self::send(r, path).await
    }

    async fn get(&self, path: &str, to: To, token: Option<&str>) -> Response {
        let mut r = self.request(Method::GET, path, to, CLIENT);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        Self::send(r, path).await
    }

    /// Posts and reads a JSON answer, checking its status.
    async fn ok(&self, path: &str, to: To, token: Option<&str>, body: Value, status: u16) -> Value {
        let r = self.post(path, to, token, body).await;
        let got = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(got, status, "POST {path}: {v}");
        v
    }
}

/// Which node answered `r`.
fn served_by(r: &Response) -> usize {
    r.headers()
        .get(SERVED_BY)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX)
}

// ---- mail ----

/// Every message the relay received, decoded.
fn messages(maildir: &Path) -> Vec<String> {
    files_under(&maildir.join("new"))
        .iter()
        .map(|p| common::decode_qp(&std::fs::read_to_string(p).unwrap_or_default()))
        .collect()
}

/// Waits for the message to `to` containing `needle`; returns its text.
async fn mail_to(maildir: &Path, to: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(m) = messages(maildir)
            .into_iter()
            .find(|m| m.contains(&format!("To: {to}")) && m.contains(needle))
        {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "no email to {to} with {needle:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The Message-ID header of a message.
fn message_id(m: &str) -> String {
    m.lines()
        .find_map(|l| {
            l.strip_prefix("Message-ID: ")
                .or_else(|| l.strip_prefix("Message-Id: "))
        })
        .unwrap_or_default()
        .trim()
        .to_owned()
}

// ---- accounts ----

/// Signs up `email` through the balancer (any node), verifies by the mailed
/// link through the other, and signs in; returns the access and refresh
/// tokens.
async fn account(site: &Site, maildir: &Path, email: &str, name: &str) -> (String, String) {
    site.ok(
        "/api/v1/auth/register",
        To::Node(0),
        None,
        json!({ "email": email, "display_name": name, "password": PASSWORD }),
        201,
    )
    .await;
    let mail = mail_to(maildir, email, "/verify-email?token=").await;
    let token = common::link_token(&mail, "/verify-email?token=")
        .unwrap_or_else(|| panic!("no link in {mail}"));
    site.ok(
        "/api/v1/auth/verify-email",
        To::Node(1),
        None,
        json!({ "token": token }),
        200,
    )
    .await;
    let v = site
        .ok(
            "/api/v1/auth/login",
            To::Node(0),
            None,
            json!({ "email": email, "password": PASSWORD }),
            200,
        )
        .await;
    (
        v["access_token"].as_str().unwrap_or_default().to_owned(),
        v["refresh_token"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Cookies kept by hand, so the test can drop one (as a browser drops an
/// expired access cookie).
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn take(&mut self, r: &Response) {
        for v in r.headers().get_all("set-cookie") {
            let Some((name, rest)) = v.to_str().ok().and_then(|s| s.split_once('=')) else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or_default();
            if value.is_empty() || rest.to_ascii_lowercase().contains("max-age=0") {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn sets(r: &Response, name: &str) -> bool {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.starts_with(&format!("{name}=")))
    }
}

/// A page request with the jar's cookies; keeps what it sets.
async fn page(
    site: &Site,
    jar: &mut Jar,
    m: Method,
    path: &str,
    to: To,
    form: &[(&str, &str)],
) -> (Response, usize) {
    let mut r = site
        .request(m.clone(), path, to, CLIENT)
        .header("cookie", jar.header());
    if m == Method::POST {
        r = r.form(form);
    }
    let r = Site::send(r, path).await;
    jar.take(&r);
    let node = served_by(&r);
    (r, node)
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Runs a query of one text column `value`.
fn texts(state: &tribu::state::AppState, sql: &str) -> Vec<String> {
    use diesel::RunQueryDsl;
    let mut conn = state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    diesel::sql_query(sql)
        .load::<Text>(&mut *conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|t| t.value)
        .collect()
}

fn count(state: &tribu::state::AppState, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    let mut conn = state.pool.get().unwrap_or_else(|e| panic!("{e}"));
    diesel::sql_query(sql)
        .get_result::<Count>(&mut *conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_behind_a_balancer_share_everything_that_matters() {
    let started = Instant::now();
    let Some(server) = common::pg_url() else {
        eprintln!(
            "two-node test skipped: it runs on PostgreSQL only (set TRIBU_TEST_DATABASE_URL)"
        );
        return;
    };
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let maildir = root.path().join("mail");
    let Some((_moto, s3)) = common::s3_bucket("two-node test", "tribu-files").await else {
        return;
    };
    let Some((_smtpd, smtp_port)) = smtpd(&maildir) else {
        return;
    };

    let name = format!("tribu_2n_{}", uuid::Uuid::new_v4().simple());
    let db = Database {
        url: common::create_pg_database(&server, &name),
        server,
        name,
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let lb_port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let base = format!("http://127.0.0.1:{lb_port}");

    // What every node shares: the database, the signing secret (access
    // tokens, CSRF tokens, unsubscribe links), the object store, the mail
    // relay, the public URL and who the balancer is.
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let shared: Vec<(String, String)> = [
        ("TRIBU_DATABASE_URL", db.url.as_str()),
        ("TRIBU_JWT_SECRET", &secret),
        ("TRIBU_BASE_URL", &base),
        ("TRIBU_TRUSTED_PROXIES", "127.0.0.1"),
        ("TRIBU_ATTACHMENT_STORE", "s3"),
        ("TRIBU_S3_BUCKET", "tribu-files"),
        ("TRIBU_S3_ENDPOINT", &s3),
        ("TRIBU_S3_ACCESS_KEY_ID", "testing"),
        ("TRIBU_S3_SECRET_ACCESS_KEY", "testing"),
        ("TRIBU_MAIL_TRANSPORT", "smtp"),
        ("TRIBU_SMTP_URL", &format!("smtp://127.0.0.1:{smtp_port}")),
        (
            "TRIBU_LOGIN_MAX_FAILURES_PER_IP",
            &MAX_FAILURES_PER_IP.to_string(),
        ),
        ("TRIBU_WORKER_POLL_MS", "100"),
        ("TRIBU_HTTP_WORKERS", "2"),
        ("TRIBU_DB_POOL_SIZE", "4"),
        ("TRIBU_LOG", "info"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();

    // Both nodes start at the same time on the empty database: each
    // migrates at start, under PostgreSQL's advisory lock, so one migrates
    // and the other then finds nothing to do (without the lock the second
    // failed on the first migration).
    let nodes = [
        Node::start(root.path(), 0, &shared),
        Node::start(root.path(), 1, &shared),
    ];
    for n in &nodes {
        n.wait_ready().await;
    }
    let lb = balancer(
        listener,
        nodes
            .iter()
            .map(|n| format!("http://127.0.0.1:{}", n.port))
            .collect(),
    );
    let site = Site {
        base: base.clone(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("{e}")),
    };
    // The test's own view of the database and the bucket (no server).
    let inspect = tribu::app::build_state(tribu::config::Config {
        database_url: tribu::config::Secret::new(db.url.clone()),
        data_dir: root.path().join("inspect"),
        jwt_secret: Some(tribu::config::Secret::new(secret.clone())),
        attachment_store: tribu::config::AttachmentStore::S3,
        s3_bucket: Some("tribu-files".into()),
        s3_endpoint: Some(s3.clone()),
        s3_access_key_id: Some(tribu::config::Secret::new("testing")),
        s3_secret_access_key: Some(tribu::config::Secret::new("testing")),
        db_pool_size: 2,
        ..tribu::config::Config::default()
    })
    .unwrap_or_else(|e| panic!("{e:#}"));

    // Round robin: consecutive requests reach both nodes.
    let mut seen = BTreeSet::new();
    for _ in 0..4 {
        seen.insert(served_by(&site.get("/healthz", To::Any, None).await));
    }
    assert_eq!(seen, BTreeSet::from([0, 1]), "the balancer uses both nodes");

    // ---- 1. sessions ----
    let owner_email = "owner@lab.org";
    let (access, refresh) = account(&site, &maildir, owner_email, "Olive Owner").await;
    // A token made on node 0 is good on node 1.
    let r = site.get("/api/v1/me", To::Node(1), Some(&access)).await;
    assert_eq!(
        (r.status().as_u16(), served_by(&r)),
        (200, 1),
        "node 0's access token on node 1"
    );
    let me: Value = r.json().await.unwrap_or_default();
    assert_eq!(me["email"], owner_email, "{me}");
    // Its refresh token is rotated by node 1, and the new pair works on node 0.
    let pair = site
        .ok(
            "/api/v1/auth/refresh",
            To::Node(1),
            None,
            json!({ "refresh_token": refresh }),
            200,
        )
        .await;
    let owner = pair["access_token"].as_str().unwrap_or_default().to_owned();
    let r = site.get("/api/v1/me", To::Node(0), Some(&owner)).await;
    assert_eq!((r.status().as_u16(), served_by(&r)), (200, 0));
    // An Idempotency-Key used on node 0 replays on node 1.
    let create_org = |to: To| {
        site.request(Method::POST, "/api/v1/orgs", to, CLIENT)
            .bearer_auth(&owner)
            .header("idempotency-key", "org-open-lab-1")
            .json(&json!({ "slug": ORG, "name": "Open Lab" }))
    };
    let first = Site::send(create_org(To::Node(0)), "org").await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap_or_default();
    let again = Site::send(create_org(To::Node(1)), "org again").await;
    assert_eq!((again.status().as_u16(), served_by(&again)), (201, 1));
    assert!(
        again.headers().contains_key("idempotent-replayed"),
        "replayed by node 1"
    );
    let again: Value = again.json().await.unwrap_or_default();
    assert_eq!(id_of(&again), id_of(&first));

    // A page session made on node 0 …
    let mut jar = Jar::default();
    let (r, _) = page(&site, &mut jar, Method::GET, "/login", To::Node(0), &[]).await;
    let csrf = common::visitor::csrf_of(&r.text().await.unwrap_or_default());
    let (r, node) = page(
        &site,
        &mut jar,
        Method::POST,
        "/login",
        To::Node(0),
        &[
            ("email", owner_email),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!((r.status().as_u16(), node), (303, 0), "page sign-in");
    assert!(jar.0.contains_key("tribu_access") && jar.0.contains_key("tribu_refresh"));
    // … is good on node 1 as it is (no refresh needed) …
    let (r, node) = page(&site, &mut jar, Method::GET, "/settings", To::Node(1), &[]).await;
    assert_eq!((r.status().as_u16(), node), (200, 1));
    assert!(
        !Jar::sets(&r, "tribu_access"),
        "node 1 believed node 0's cookie"
    );
    assert!(r.text().await.unwrap_or_default().contains(owner_email));
    // … and refreshes there once its access cookie is gone.
    jar.0.remove("tribu_access");
    let (r, node) = page(&site, &mut jar, Method::GET, "/settings", To::Node(1), &[]).await;
    assert_eq!((r.status().as_u16(), node), (200, 1));
    assert!(Jar::sets(&r, "tribu_access"), "refreshed on node 1");
    // A form token from a page of node 0 passes node 1's CSRF check: signing
    // out there ends the session on node 0 too.
    let (r, _) = page(&site, &mut jar, Method::GET, "/settings", To::Node(0), &[]).await;
    let csrf = common::visitor::csrf_of(&r.text().await.unwrap_or_default());
    assert!(!csrf.is_empty(), "a form on the settings page");
    let before_logout = Jar(jar.0.clone());
    let (r, node) = page(
        &site,
        &mut jar,
        Method::POST,
        "/logout",
        To::Node(1),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!((r.status().as_u16(), node), (303, 1), "sign out on node 1");
    let mut stale = before_logout;
    let (r, node) = page(
        &site,
        &mut stale,
        Method::GET,
        "/settings",
        To::Node(0),
        &[],
    )
    .await;
    assert_eq!(node, 0);
    assert_eq!(r.status(), 303, "the session ended on node 0 too");
    assert!(
        common::visitor::location(&r).starts_with("/login"),
        "{}",
        common::visitor::location(&r)
    );

    // ---- 2. an attachment through one node, back through the other ----
    let (admin_access, _) = account(&site, &maildir, "admin@tribu.org", "Ada Admin").await;
    {
        let mut conn = inspect.pool.get().unwrap_or_else(|e| panic!("{e}"));
        tribu::auth::service::create_admin(&mut conn, "admin@tribu.org", "Ada Admin", None)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let anonymous_list = |to: To| site.get("/api/v1/challenges", to, None);
    let c = site
        .ok(
            "/api/v1/challenges",
            To::Node(0),
            Some(&owner),
            World::challenge_body("Two rivers", chrono::Duration::days(10), json!({})),
            201,
        )
        .await;
    let slug = slug_of(&c);
    let f = site
        .ok(
            &format!("/api/v1/challenges/{slug}/funding"),
            To::Node(1),
            Some(&owner),
            json!({}),
            201,
        )
        .await;
    site.ok(
        &format!("/api/v1/admin/fundings/{}/confirm", id_of(&f)),
        To::Node(0),
        Some(&admin_access),
        json!({ "reference": "BANK-REF-2N" }),
        200,
    )
    .await;
    // An anonymous visitor of node 1 reads the list of challenges just
    // before it opens on node 0.
    let r = anonymous_list(To::Node(1)).await;
    assert_eq!(r.status(), 200);
    let p = site
        .ok(
            &format!("/api/v1/challenges/{slug}/publish"),
            To::Node(0),
            Some(&owner),
            json!({}),
            200,
        )
        .await;
    assert_eq!(p["outcome"], "open", "{p}");
    // Node 1 serves the opened challenge to anonymous visitors soon after
    // node 0 wrote it (a node keeps anonymous answers briefly in memory).
    let opened = Instant::now();
    loop {
        let list: Value = anonymous_list(To::Node(1))
            .await
            .json()
            .await
            .unwrap_or_default();
        let listed = list["data"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["slug"] == slug.as_str());
        if listed {
            break;
        }
        assert!(
            opened.elapsed() < Duration::from_secs(10),
            "node 1 still lists no open challenge: {list}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stale_for = opened.elapsed();

    let (solver, _) = account(&site, &maildir, "solver@rivers.org", "Sol Ver").await;
    site.ok(
        &format!("/api/v1/challenges/{slug}/registrations"),
        To::Node(1),
        Some(&solver),
        json!({ "rules_version": 1, "accept_rules": true }),
        201,
    )
    .await;
    let entry = site
        .ok(
            &format!("/api/v1/challenges/{slug}/submissions"),
            To::Node(0),
            Some(&solver),
            json!({ "title": "Paired sensors", "abstract": "Two sensors, one on each bank.",
                    "body": "## Design", "licence": "CC-BY-4.0" }),
            201,
        )
        .await;
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let boundary = "twoNodesBOUNDARY";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = Site::send(
        site.request(
            Method::POST,
            &format!("/api/v1/submissions/{}/attachments", id_of(&entry)),
            To::Node(0),
            CLIENT,
        )
        .bearer_auth(&solver)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body),
        "upload",
    )
    .await;
    assert_eq!(
        (r.status().as_u16(), served_by(&r)),
        (201, 0),
        "upload on node 0"
    );
    let a: Value = r.json().await.unwrap_or_default();
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(a["attachment"]["sha256"], sha.as_str(), "{a}");
    let url = a["attachment"]["url"].as_str().unwrap_or_default();
    let r = site.get(url, To::Node(1), Some(&solver)).await;
    assert_eq!(
        (r.status().as_u16(), served_by(&r)),
        (200, 1),
        "download on node 1"
    );
    let got = r.bytes().await.unwrap_or_default();
    assert!(
        got == bytes,
        "node 1 served other bytes ({} of {})",
        got.len(),
        bytes.len()
    );
    // The object is in the bucket under its hash; neither node kept a copy.
    assert_eq!(
        inspect
            .blobs
            .get(&sha)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        bytes
    );
    for n in &nodes {
        let kept: Vec<PathBuf> = files_under(&n.dir)
            .into_iter()
            .filter(|p| {
                std::fs::read(p).is_ok_and(|b| b == bytes)
                    || p.components().any(|c| c.as_os_str() == "attachments")
            })
            .collect();
        assert!(kept.is_empty(), "a node kept the file on disk: {kept:?}");
    }

    // ---- 3. each email sent once by two workers sharing one outbox ----
    let readers: Vec<String> = (0..60).map(|i| format!("reader{i}@mail.org")).collect();
    let signups = readers.iter().map(|email| {
        site.request(Method::POST, "/api/v1/auth/register", To::Any, CLIENT)
            .json(&json!({ "email": email, "display_name": "Reader", "password": PASSWORD }))
            .send()
    });
    let answers = futures_util::future::join_all(signups).await;
    let mut by_node = [0usize; 2];
    for r in answers {
        let r = r.unwrap_or_else(|e| panic!("sign-up: {e}"));
        assert_eq!(r.status(), 201, "sign-up");
        by_node[served_by(&r).min(1)] += 1;
    }
    assert!(
        by_node[0] > 0 && by_node[1] > 0,
        "sign-ups on both nodes: {by_node:?}"
    );
    // Wait until the outbox is drained and the relay has every message.
    let drained = Instant::now();
    let sent = loop {
        let pending = count(
            &inspect,
            "SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'",
        );
        let sent = count(
            &inspect,
            "SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent'",
        );
        if pending == 0 && messages(&maildir).len() as i64 >= sent {
            break sent;
        }
        assert!(
            drained.elapsed() < Duration::from_secs(30),
            "outbox not drained: {pending} left, {sent} sent, {} received",
            messages(&maildir).len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await; // a late duplicate would show now
    let mail = messages(&maildir);
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    for m in &mail {
        *ids.entry(message_id(m)).or_default() += 1;
    }
    let twice: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    assert!(!ids.contains_key(""), "a message without a Message-ID");
    assert_eq!(mail.len() as i64, sent, "one message per outbox row sent");
    let outbox_ids: BTreeSet<String> = texts(&inspect, "SELECT id AS value FROM outbox")
        .into_iter()
        .collect();
    let mailed_ids: BTreeSet<String> = ids
        .keys()
        .map(|k| {
            k.trim_start_matches('<')
                .split('@')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        mailed_ids, outbox_ids,
        "every outbox row, and only those, mailed"
    );
    for r in &readers {
        let n = mail
            .iter()
            .filter(|m| m.contains(&format!("To: {r}")))
            .count();
        assert_eq!(n, 1, "{r} got {n} verification emails");
    }
    assert!(sent >= 60, "only {sent} emails");
    // Both workers took part.
    let sent_by: Vec<usize> = nodes
        .iter()
        .map(|n| {
            n.log_text()
                .lines()
                .filter(|l| l.contains("email sent"))
                .count()
        })
        .collect();
    assert_eq!(
        sent_by.iter().sum::<usize>() as i64,
        sent,
        "sends logged: {sent_by:?}"
    );
    assert!(
        sent_by.iter().all(|n| *n > 0),
        "both workers sent mail: {sent_by:?}"
    );

    // ---- 4. the login throttle behind the balancer ----
    let login = |email: String, password: &'static str, to: To, chain: Option<&'static str>| {
        let mut r = site
            .request(Method::POST, "/api/v1/auth/login", to, ATTACKER)
            .json(&json!({ "email": email, "password": password }));
        if let Some(c) = chain {
            r = r.header("x-forwarded-for", c);
        }
        r.send()
    };
    let mut failed_on = BTreeSet::new();
    for i in 0..MAX_FAILURES_PER_IP {
        let r = login(
            format!("guess{i}@nowhere.org"),
            "wrong password!",
            To::Any,
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        failed_on.insert(served_by(&r));
        common::assert_problem(r, 401, "invalid_credentials").await;
    }
    assert_eq!(
        failed_on,
        BTreeSet::from([0, 1]),
        "failures spread over both nodes"
    );
    for n in 0..2 {
        // Whatever the attacker claims itself: the balancer appends the
        // address it sees, and only that one is believed.
        for chain in [None, Some(CLIENT)] {
            let r = login(
                "guess@nowhere.org".into(),
                "wrong password!",
                To::Node(n),
                chain,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(served_by(&r), n);
            let retry = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            assert!(retry > 0, "node {n}: Retry-After {retry}");
            common::assert_problem(r, 429, "rate_limited").await;
        }
        // Another client of the same balancer still signs in, on either node.
        let r = site
            .post(
                "/api/v1/auth/login",
                To::Node(n),
                None,
                json!({ "email": owner_email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(
            (r.status().as_u16(), served_by(&r)),
            (200, n),
            "{CLIENT} on node {n}"
        );
    }
    // What the app recorded names the clients, never the balancer.
    let attempts = texts(&inspect, "SELECT ip AS value FROM login_attempts");
    assert!(!attempts.is_empty());
    assert!(
        attempts.iter().all(|ip| ip != "127.0.0.1"),
        "sign-in attempts recorded the balancer: {attempts:?}"
    );
    assert!(
        attempts.iter().filter(|ip| *ip == ATTACKER).count() >= MAX_FAILURES_PER_IP,
        "{attempts:?}"
    );
    let session_ips = texts(
        &inspect,
        "SELECT ip AS value FROM sessions WHERE ip IS NOT NULL",
    );
    assert!(
        !session_ips.is_empty() && session_ips.iter().all(|ip| ip == CLIENT),
        "sessions: {session_ips:?}"
    );
    let audited = texts(
        &inspect,
        "SELECT data AS value FROM audit_log WHERE action = 'session.created'",
    );
    assert!(!audited.is_empty());
    for d in &audited {
        let v: Value = serde_json::from_str(d).unwrap_or_default();
        assert_eq!(v["ip"], CLIENT, "audit: {d}");
    }
    let mine: Value = site
        .get("/api/v1/me/sessions", To::Node(1), Some(&owner))
        .await
        .json()
        .await
        .unwrap_or_default();
    let listed: Vec<&Value> = mine["data"].as_array().into_iter().flatten().collect();
    assert!(
        !listed.is_empty() && listed.iter().all(|s| s["ip"] == CLIENT),
        "{mine}"
    );
    for (i, n) in nodes.iter().enumerate() {
        let log = n.log_text();
        assert!(
            log.lines()
                .any(|l| l.contains("login failed") && l.contains(&format!("ip={ATTACKER}"))),
            "node {i} logs no failed sign-in from {ATTACKER}"
        );
        assert!(
            log.lines()
                .any(|l| l.contains("login throttled") && l.contains(&format!("ip={ATTACKER}"))),
            "node {i} logs no throttled sign-in from {ATTACKER}"
        );
        assert!(
            log.lines()
                .any(|l| l.contains(&format!("client={ATTACKER}"))),
            "node {i}'s request log names the forwarded client"
        );
        assert!(
            !log.contains("ip=127.0.0.1"),
            "node {i} logged the balancer as a client"
        );
        assert!(!log.contains(" ERROR "), "node {i} logged an error:\n{log}");
    }

    lb.stop(false).await;
    eprintln!(
        "two nodes: {sent} emails sent once each (node 0: {}, node 1: {}); an anonymous list on node 1 showed node 0's change after {:.1} s; {:.1} s in all",
        sent_by[0],
        sent_by[1],
        stale_for.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
