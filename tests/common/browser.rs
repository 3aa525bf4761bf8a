//! Real Chromium through chromedriver, for the browser tests. Without
//! /usr/bin/chromium and /usr/bin/chromedriver, [`browser`] says so and
//! returns `None` (the test passes), unless TRIBU_TEST_REQUIRE_ALL=1.

#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use super::{free_port, require_all, KillOnDrop};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A browser session, or `None` (after saying why) when Chromium is missing.
/// The first part is chromedriver, killed when dropped.
pub async fn browser() -> Option<(KillOnDrop, Client, tempfile::TempDir)> {
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        if require_all() {
            panic!("browser tests need {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)");
        }
        eprintln!("browser test skipped: {CHROMIUM} or {CHROMEDRIVER} missing");
        return None;
    }
    let port = free_port();
    let driver = KillOnDrop(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver: {e}")),
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1280,900",
                     format!("--user-data-dir={}", profile.path().display())]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    let client = ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|e| panic!("webdriver session: {e}"));
    Some((driver, client, profile))
}

/// The element `css`, waiting up to 10 s for it: right after a click the
/// next page may still be loading.
pub async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match c.find(Locator::Css(css)).await {
            Ok(el) => return el,
            Err(e) if Instant::now() > deadline => panic!("{css}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Clicks the element `css`, waiting for it as [`find`] does.
pub async fn click(c: &Client, css: &str) {
    find(c, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Types `value` into the field `css`.
pub async fn fill(c: &Client, css: &str, value: &str) {
    let el = find(c, css).await;
    el.clear().await.unwrap_or_else(|e| panic!("{css}: {e}"));
    el.send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

/// Clicks the first submit button of a form in `main`.
pub async fn submit(c: &Client) {
    click(c, "main form button[type=submit]").await;
}

/// The visible text of the page.
/// Empty while a page is being replaced; the `wait_*` helpers retry.
pub async fn text(c: &Client) -> String {
    match c.find(Locator::Css("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The path of the current URL.
pub async fn path(c: &Client) -> String {
    c.current_url()
        .await
        .map(|u| u.path().to_owned())
        .unwrap_or_default()
}

/// Waits (up to 10 s) for the browser to reach `expected` after a click.
pub async fn wait_path(c: &Client, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let p = path(c).await;
        if p == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected {expected}, still on {p}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (up to 10 s) for the page text to contain `needle`; returns the text.
pub async fn wait_text(c: &Client, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let t = text(c).await;
        if t.contains(needle) {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "page never showed {needle:?}: {t}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Saves a screenshot under target/screenshots for people to look at.
pub async fn shot(c: &Client, name: &str) {
    if let Ok(png) = c.screenshot().await {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}

/// Opens `p` on the app.
pub async fn go(c: &Client, app: &super::TestApp, p: &str) {
    c.goto(&app.url(p))
        .await
        .unwrap_or_else(|e| panic!("goto {p}: {e}"));
}

/// Signs in through the form (password [`super::PASSWORD`]) and lands on
/// `next`.
pub async fn sign_in(c: &Client, app: &super::TestApp, email: &str, next: &str) {
    go(c, app, &format!("/login?next={next}")).await;
    fill(c, "input[name=email]", email).await;
    fill(c, "input[name=password]", super::PASSWORD).await;
    submit(c).await;
    wait_path(c, next).await;
}

/// Signs out from the header and lands on the home page.
pub async fn sign_out(c: &Client) {
    // On a narrow window the button sits behind the menu.
    if let Ok(menu) = c.find(Locator::Css(".menu-toggle")).await {
        if menu.is_displayed().await.unwrap_or(false)
            && menu.attr("aria-expanded").await.ok().flatten().as_deref() == Some("false")
        {
            let _ = menu.click().await;
        }
    }
    click(c, "header form[action='/logout'] button[type=submit]").await;
    wait_path(c, "/").await;
}

/// A screenshot of the whole page at `width` (the window grows to the
/// page's height for the shot, then goes back to `width`×900).
pub async fn snap(c: &Client, name: &str, width: u32) {
    let _ = c.set_window_size(width, 900).await;
    let height = c
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(900)
        .clamp(600, 6000) as u32;
    let _ = c.set_window_size(width, height + 140).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    shot(c, name).await;
    let _ = c.set_window_size(width, 900).await;
}

/// Submits the form holding `css` and accepts its "are you sure?" dialog.
pub async fn confirm_submit(c: &Client, css: &str) {
    click(c, css).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.accept_alert().await.is_err() {
        assert!(Instant::now() < deadline, "no confirmation asked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for a path like `/submissions/{id}{suffix}`; returns the id.
pub async fn wait_submission_path(c: &Client, suffix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let p = path(c).await;
        if let Some(id) = p
            .strip_prefix("/submissions/")
            .and_then(|rest| rest.strip_suffix(suffix))
        {
            if !id.is_empty() && !id.contains('/') {
                return id.to_owned();
            }
        }
        assert!(
            Instant::now() < deadline,
            "expected /submissions/…{suffix}, still on {p}: {}",
            text(c).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the organisation types into the challenge step form.
pub struct NewChallenge<'a> {
    pub org: &'a str,
    pub title: &'a str,
    pub slug: &'a str,
    /// Label and whole amount of each prize tier, best first.
    pub tiers: &'a [(&'a str, &'a str)],
}

/// Fills the step form of `/orgs/{org}/challenges/new` (signed in as a
/// member) and lands on the challenge's management page. Submissions close
/// in 20 days, judging in 40; category environment, kind design, CC-BY-4.0.
pub async fn create_challenge(c: &Client, app: &super::TestApp, ch: &NewChallenge<'_>) {
    go(c, app, &format!("/orgs/{}/challenges/new", ch.org)).await;
    fill(c, "input[name=title]", ch.title).await;
    fill(c, "input[name=slug]", ch.slug).await;
    fill(
        c,
        "textarea[name=summary]",
        &format!("{}: ideas welcome from anyone.", ch.title),
    )
    .await;
    fill(
        c,
        "textarea[name=description]",
        "Weirs block salmon; ladders help, but **otters** wait at the top.",
    )
    .await;
    for (i, (label, amount)) in ch.tiers.iter().enumerate() {
        let n = i + 1;
        fill(c, &format!("input[name=tier{n}_label]"), label).await;
        fill(c, &format!("input[name=tier{n}_amount]"), amount).await;
    }
    fill(
        c,
        "textarea[name=rules]",
        "Designs must be buildable by volunteers with hand tools.",
    )
    .await;
    let deadline = (chrono::Utc::now() + chrono::Duration::days(20))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let judging = (chrono::Utc::now() + chrono::Duration::days(40))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    // datetime-local inputs take their value from script reliably across locales.
    c.execute(
        "document.getElementById('submission_deadline').value = arguments[0];\
         document.getElementById('judging_deadline').value = arguments[1];\
         document.querySelector('select[name=category]').value = 'environment';\
         document.querySelector('select[name=kind]').value = 'design';\
         document.querySelectorAll('input[name=allowed_licences][value=\"CC-BY-4.0\"]').forEach(function (b) { b.checked = true; });",
        vec![serde_json::json!(deadline), serde_json::json!(judging)],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    shot(c, "challenge-form").await;
    click(c, "form.m-step-form button[type=submit]").await;
    wait_path(c, &format!("/manage/challenges/{}", ch.slug)).await;
}

/// On `/admin` (signed in as a platform admin): confirms the pending
/// funding of the challenge titled `title` with a bank reference.
pub async fn confirm_funding(c: &Client, app: &super::TestApp, title: &str) {
    go(c, app, "/admin").await;
    wait_text(c, title).await;
    fill(
        c,
        "form[action*='/admin/fundings/'] input[name=reference]",
        "BANK-2026-0042",
    )
    .await;
    click(c, "form[action*='/admin/fundings/'] button[type=submit]").await;
    wait_path(c, "/admin").await;
}

/// The signed-in header: one line at 1280 px; on a phone its links hide
/// behind the menu button until it is pressed.
pub async fn header_fits(c: &Client) {
    let js = |q: &'static str| async move {
        c.execute(q, vec![])
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"))
    };
    let _ = c.set_window_size(1280, 900).await;
    let h = js("return document.querySelector('.header-row').getBoundingClientRect().height").await;
    assert!(
        h.as_f64().unwrap_or(999.0) <= 72.0,
        "header height {h} at 1280 px"
    );
    let _ = c.set_window_size(390, 900).await;
    let shown = "return getComputedStyle(document.querySelector('.site-menu')).display";
    assert_eq!(js(shown).await, "none", "the menu is folded on a phone");
    shot(c, "header-phone").await;
    toggle_menu(c).await;
    assert_ne!(js(shown).await, "none", "the menu opens");
    shot(c, "header-phone-open").await;
    toggle_menu(c).await;
    let _ = c.set_window_size(1280, 900).await;
}

/// On a closed round's page: checks that the results form proposes
/// `leader` for tier 1, and unticks every entry proposed for `withheld`
/// (so that tier is not awarded).
pub async fn propose_leader_and_withhold(c: &Client, leader: &str, withheld: i32) {
    let proposed = find(c, &format!("input[name='tier.1'][value='{leader}']"))
        .await
        .prop("checked")
        .await
        .ok()
        .flatten();
    assert_eq!(
        proposed.as_deref(),
        Some("true"),
        "tier 1 proposes the leader"
    );
    let css = format!("input[name='tier.{withheld}']:checked");
    for b in c.find_all(Locator::Css(&css)).await.unwrap_or_default() {
        b.click().await.unwrap_or_else(|e| panic!("untick: {e}"));
    }
}

/// Clicks the header's menu button (on a phone width).
async fn toggle_menu(c: &Client) {
    c.find(Locator::Css(".menu-toggle"))
        .await
        .unwrap_or_else(|e| panic!("menu button: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// One person's walk through the pages at one window width: each page
/// they reach is checked as they would judge it and photographed.
pub struct Walk {
    /// Names the screenshots: `{name}-{width}-{nn}-{page}.png`.
    pub name: &'static str,
    pub width: u32,
    n: u32,
}

/// What a person would call broken on the page in view: the HTTP status
/// of the document (from the navigation timing), a red error box, and
/// elements sticking out past the right edge of the window (outside any
/// container that scrolls or clips them on purpose).
const PAGE_CHECK: &str = r#"
const nav = performance.getEntriesByType('navigation')[0];
const status = nav && nav.responseStatus ? nav.responseStatus : 0;
const visible = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
const errors = [...document.querySelectorAll('.notice-error, .field-error')]
  .filter(visible).map(e => e.innerText.trim().slice(0, 160));
const vw = document.documentElement.clientWidth;
const wide = [];
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.right <= vw + 1) continue;
  let p = el.parentElement, held = false;
  while (p && p !== document.body) {
    const ox = getComputedStyle(p).overflowX;
    if (ox !== 'visible') { held = true; break; }
    p = p.parentElement;
  }
  if (!held) wide.push(el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : '') + ' right=' + Math.round(r.right));
}
return { status, errors, wide: wide.slice(0, 8), scroll: document.documentElement.scrollWidth, vw };
"#;

impl Walk {
    /// Starts a walk: the window is `width` wide from here on.
    pub async fn new(c: &Client, name: &'static str, width: u32) -> Walk {
        let _ = c.set_window_size(width, 900).await;
        Walk { name, width, n: 0 }
    }

    /// Checks the page in view (see [`PAGE_CHECK`]) and saves its
    /// screenshot; panics with what is wrong.
    pub async fn page(&mut self, c: &Client, label: &str) {
        self.look(c, label, false).await;
    }

    /// Like [`Walk::page`], for a page whose red box is the point (a
    /// refused form the walk goes on to correct).
    pub async fn page_with_error(&mut self, c: &Client, label: &str) {
        self.look(c, label, true).await;
    }

    async fn look(&mut self, c: &Client, label: &str, error_expected: bool) {
        wait_loaded(c, label).await;
        self.n += 1;
        let name = format!("{}-{}-{:02}-{label}", self.name, self.width, self.n);
        let r = c
            .execute(PAGE_CHECK, vec![])
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let url = c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let status = r["status"].as_u64().unwrap_or(0);
        let errors = r["errors"].as_array().cloned().unwrap_or_default();
        let wide = r["wide"].as_array().cloned().unwrap_or_default();
        snap(c, &name, self.width).await;
        let limit = if error_expected { 500 } else { 400 };
        assert!(status < limit, "{name}: {url} answered {status}");
        if !error_expected {
            assert!(errors.is_empty(), "{name}: {url} shows errors {errors:?}");
        }
        assert!(
            wide.is_empty() && r["scroll"].as_u64() <= r["vw"].as_u64(),
            "{name}: {url} is wider than {} px: {wide:?} (scrollWidth {})",
            self.width,
            r["scroll"]
        );
    }
}

/// Waits (up to 10 s) for the document to be loaded.
pub async fn wait_loaded(c: &Client, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while c
        .execute("return document.readyState", vec![])
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .as_deref()
        != Some("complete")
    {
        assert!(Instant::now() < deadline, "{label}: page never loaded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
