//! Accessibility of the main pages, checked by axe-core in real Chromium.
//!
//! A world is built through the API so that each page shows real states:
//! an open challenge with a registered solver, a challenge whose results
//! are published (payouts pending), one in judging with an unscored
//! assignment, and a draft waiting for its funding to be confirmed. Each
//! main page is then visited as the person who would see it — a visitor,
//! a solver, a judge, the organisation's owner, a platform admin — at
//! laptop (1280 px) and phone (390 px) width. On each, axe-core
//! (`tests/a11y/node_modules/axe-core/axe.min.js`, pinned in
//! `tests/a11y/package-lock.json`) is injected and run. Every violation is
//! printed with its page, rule, help text and the selectors of the
//! elements at fault; the test fails when one is "serious" or "critical".
//! Screenshots go to target/screenshots as `a11y-{width}-{page}.png`.
//!
//! Needs axe-core (`npm ci` in tests/a11y), /usr/bin/chromium and
//! /usr/bin/chromedriver. Without them the test says so and passes, unless
//! TRIBU_TEST_REQUIRE_ALL=1 (CI) makes it fail.

mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use common::browser::{browser, click, fill, go, shot, sign_in, sign_out, wait_loaded};
use common::fixtures::{id_of, slug_of, World, ORG, OWNER};
use common::{require_all, TestApp};
use fantoccini::Client;
use serde_json::{json, Value};

/// axe-core as npm installs it from `tests/a11y/package-lock.json`.
const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/a11y/node_modules/axe-core/axe.min.js"
);

/// The window widths every page is checked at: a laptop and a phone.
const WIDTHS: [u32; 2] = [1280, 390];

const SOLVER: &str = "lia@solvers.org";
const JUDGE: &str = "kim@judges.org";
const ADMIN: &str = "admin@tribu.org";

/// Runs axe on the document and answers the violations, trimmed to what
/// the report prints. Called with execute_async: the last argument is the
/// callback.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] })
  .then(r => done({ violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map(n => ({ target: n.target, summary: n.failureSummary || '' }))
  })) }))
  .catch(e => done({ error: String(e) }));
"#;

/// Shows what a person can reveal, so that axe sees it too: every
/// `<details>` opened and, on a phone, the header's menu unfolded.
const REVEAL: &str = r#"
document.querySelectorAll('details').forEach(d => { d.open = true; });
const toggle = document.querySelector('.menu-toggle');
if (toggle && toggle.offsetParent !== null && toggle.getAttribute('aria-expanded') === 'false') {
  toggle.click();
}
"#;

/// axe-core's source, or `None` (after saying why) when it is not installed.
fn axe_source() -> Option<String> {
    match std::fs::read_to_string(AXE) {
        Ok(src) => Some(src),
        Err(e) if require_all() => {
            panic!("{AXE}: {e} (run `npm ci --no-audit --no-fund` in tests/a11y)")
        }
        Err(e) => {
            eprintln!(
                "accessibility test skipped: {AXE}: {e} (run `npm ci --no-audit --no-fund` in tests/a11y)"
            );
            None
        }
    }
}

/// The pages checked so far and what axe found on them.
struct Audit {
    axe: String,
    /// Violations of impact "serious" or "critical", one line each.
    failures: Vec<String>,
    /// Moderate and minor ones, printed but not failing.
    notes: Vec<String>,
    pages: usize,
}

impl Audit {
    /// Opens `path` and checks it at every width of [`WIDTHS`].
    /// The page must answer with success.
    async fn visit(&mut self, c: &Client, app: &TestApp, label: &str, path: &str) {
        go(c, app, path).await;
        let status = self.check(c, label).await;
        assert!(status < 400, "{label}: {path} answered {status}");
    }

    /// Checks the page in view at every width of [`WIDTHS`]; answers the
    /// HTTP status of its document (a refused form's page answers 4xx).
    async fn check(&mut self, c: &Client, label: &str) -> u64 {
        wait_loaded(c, label).await;
        let url = c
            .current_url()
            .await
            .map(|u| u.path().to_owned())
            .unwrap_or_default();
        let status = c
            .execute(
                "const n = performance.getEntriesByType('navigation')[0]; \
                 return n && n.responseStatus ? n.responseStatus : 0",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        assert!(status < 500, "{label}: {url} answered {status}");
        for width in WIDTHS {
            let _ = c.set_window_size(width, 900).await;
            c.execute(REVEAL, vec![])
                .await
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            tokio::time::sleep(Duration::from_millis(100)).await;
            shot(c, &format!("a11y-{width}-{label}")).await;
            self.pages += 1;
            for v in self.run_axe(c, label).await {
                let impact = v["impact"].as_str().unwrap_or("unknown");
                let mut line = format!(
                    "[{impact}] {label} ({url}) at {width} px: {} — {} ({})",
                    v["id"].as_str().unwrap_or_default(),
                    v["help"].as_str().unwrap_or_default(),
                    v["helpUrl"].as_str().unwrap_or_default(),
                );
                let nodes = v["nodes"].as_array().cloned().unwrap_or_default();
                for n in nodes.iter().take(10) {
                    let summary = n["summary"].as_str().unwrap_or_default().replace('\n', " ");
                    let _ = write!(line, "\n      {} {summary}", n["target"]);
                }
                if nodes.len() > 10 {
                    let _ = write!(line, "\n      … and {} more", nodes.len() - 10);
                }
                if matches!(impact, "serious" | "critical") {
                    self.failures.push(line);
                } else {
                    self.notes.push(line);
                }
            }
        }
        let _ = c.set_window_size(WIDTHS[0], 900).await;
        status
    }

    /// Injects axe-core into the page (a new document each time) and runs it.
    async fn run_axe(&self, c: &Client, label: &str) -> Vec<Value> {
        let loaded = c
            .execute("return typeof axe !== 'undefined'", vec![])
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        if loaded != Value::Bool(true) {
            c.execute(&self.axe, vec![])
                .await
                .unwrap_or_else(|e| panic!("{label}: injecting axe-core: {e}"));
        }
        let r = c
            .execute_async(RUN_AXE, vec![])
            .await
            .unwrap_or_else(|e| panic!("{label}: axe.run: {e}"));
        if let Some(e) = r["error"].as_str() {
            panic!("{label}: axe.run failed: {e}");
        }
        r["violations"].as_array().cloned().unwrap_or_default()
    }
}

/// Clicks the submit button `css` of a form on the page in view (left
/// empty or half filled) and waits for the page that answers it.
async fn submit_and_wait(c: &Client, css: &str) {
    c.execute("window.__a11yOld = true", vec![])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(c, css).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while c
        .execute("return window.__a11yOld === true", vec![])
        .await
        .map_or(true, |v| v == Value::Bool(true))
    {
        assert!(Instant::now() < deadline, "{css}: no page answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the pages of the world show (see the module doc).
struct Scene {
    /// The slug of the open challenge [`SOLVER`] registered for.
    open: String,
    /// The slug of the challenge whose results are out.
    awarded: String,
    /// The slug of the challenge in judging, and its open round.
    judged: String,
    round: String,
    /// [`JUDGE`]'s unscored assignment in that round.
    assignment: String,
    /// The awarded challenge's winning entry, and its creator (whose
    /// profile is public).
    winning_entry: String,
    winner_id: String,
}

/// Builds the world's challenges, entries and people through the API.
async fn scene(w: &World) -> Scene {
    let app = &w.app;
    let won = w.awarded().await;
    // The winner shows a public profile.
    let r = app
        .patch(
            "/api/v1/me",
            Some(&won.winner.access),
            json!({ "public_profile": true }),
        )
        .await;
    let status = r.status();
    let winner: Value = r.json().await.unwrap_or_default();
    assert_eq!(status, 200, "public profile: {winner}");
    let winner_id = id_of(&winner);
    let results = app
        .get_json(&format!("/api/v1/challenges/{}/results", won.slug), None)
        .await;
    let winning_entry = results["tiers"][0]["winners"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no winner in the results: {results}"))
        .to_owned();

    // An open challenge a solver has registered for.
    let open = w
        .open_challenge(
            "Cleaner lakes",
            json!({ "allowed_licences": ["CC-BY-4.0", "MIT"] }),
        )
        .await;
    w.solver(SOLVER, "Lia Novak", &open).await;

    // A challenge in judging: one entry, the judge's scorecard still empty.
    let judged = w.open_challenge("Quieter roads", json!({})).await;
    let sam = w.solver("sam@solvers.org", "Sam Entrant", &judged).await;
    // Its body holds a code block wider than the page: it scrolls sideways.
    let long = "let readings = [".to_owned() + &"0.42, ".repeat(40) + "];";
    let r = app
        .post(
            &format!("/api/v1/challenges/{judged}/submissions"),
            Some(&sam.access),
            json!({ "title": "Rubber asphalt", "abstract": "Quieter tyres on recycled rubber.",
                    "body": format!("## Measurements\n\n```\n{long}\n```\n"),
                    "licence": "CC-BY-4.0", "draft": false }),
        )
        .await;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(status, 201, "entry: {v}");
    let entry = id_of(&v);
    // Another judge than the awarded challenge's: the invitation read from
    // the mail folder is then the only one to that address.
    let judge = app.signed_in(JUDGE, "Kim Judge").await;
    w.judge(&judge, JUDGE, &judged).await;
    w.close_submissions(&judged);
    let round = id_of(&w.round(&judged, 1, json!({})).await);
    let r = app
        .post(
            &format!("/api/v1/rounds/{round}/open"),
            Some(&w.owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "open round");
    let mine = app
        .get_json("/api/v1/me/assignments", Some(&judge.access))
        .await;
    let assignment = mine["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["submission_id"] == entry.as_str())
        .map(id_of)
        .unwrap_or_else(|| panic!("no assignment for the judged entry: {mine}"));

    // A draft whose funding waits for an admin.
    let draft = w.draft("Greener roofs", json!({})).await;
    w.request_funding(&slug_of(&draft)).await;

    Scene {
        open,
        awarded: won.slug,
        judged,
        assignment,
        round,
        winning_entry,
        winner_id,
    }
}

#[tokio::test]
async fn the_main_pages_have_no_serious_accessibility_violations() {
    // Accessibility is a property of the pages, not of the database: the
    // SQLite run checks them, the PostgreSQL run of CI spends its minute
    // elsewhere.
    if common::pg_url().is_some() {
        eprintln!("accessibility: checked in the SQLite run only");
        return;
    }
    let started = Instant::now();
    let Some(axe) = axe_source() else {
        return;
    };
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let w = World::new().await;
    let app = &w.app;
    let s = scene(&w).await;
    let mut a = Audit {
        axe,
        failures: Vec::new(),
        notes: Vec::new(),
        pages: 0,
    };

    // A visitor.
    a.visit(&c, app, "home", "/").await;
    a.visit(&c, app, "challenges", "/challenges").await;
    a.visit(&c, app, "challenge", &format!("/challenges/{}", s.open))
        .await;
    a.visit(&c, app, "solutions", "/solutions").await;
    let profile = format!("/organisations/{ORG}");
    a.visit(&c, app, "organisation", &profile).await;
    let results = format!("/challenges/{}/results", s.awarded);
    a.visit(&c, app, "results", &results).await;
    let entry = format!("/submissions/{}", s.winning_entry);
    a.visit(&c, app, "winning-entry", &entry).await;
    let solver = format!("/solvers/{}", s.winner_id);
    a.visit(&c, app, "solver-profile", &solver).await;
    a.visit(&c, app, "judging-method", "/judging/method").await;
    a.visit(&c, app, "api-docs", "/api/docs").await;
    go(&c, app, "/no-such-page").await;
    a.check(&c, "not-found").await;
    a.visit(&c, app, "signup", "/signup").await;
    fill(&c, "input[name=email]", "not an address").await;
    submit_and_wait(&c, "main form button[type=submit]").await;
    a.check(&c, "signup-refused").await;
    a.visit(&c, app, "login", "/login").await;
    fill(&c, "input[name=email]", SOLVER).await;
    fill(&c, "input[name=password]", "wrong password").await;
    submit_and_wait(&c, "main form button[type=submit]").await;
    a.check(&c, "login-refused").await;

    // A registered solver: the challenge page, the entry form, their pages.
    let challenge = format!("/challenges/{}", s.open);
    sign_in(&c, app, SOLVER, &challenge).await;
    a.check(&c, "challenge-registered").await;
    let form = format!("/challenges/{}/submit", s.open);
    a.visit(&c, app, "entry-form", &form).await;
    submit_and_wait(&c, "button[value=submit]").await;
    a.check(&c, "entry-form-refused").await;
    a.visit(&c, app, "solver-dashboard", "/me/submissions")
        .await;
    a.visit(&c, app, "notifications", "/notifications").await;
    a.visit(&c, app, "settings", "/settings").await;
    let choices = "/settings/notifications";
    a.visit(&c, app, "notification-settings", choices).await;
    sign_out(&c).await;

    // The judge: the workspace and the scoring form.
    sign_in(&c, app, JUDGE, "/judging").await;
    a.check(&c, "judge-workspace").await;
    let card = format!("/judging/assignments/{}", s.assignment);
    a.visit(&c, app, "judge-scorecard", &card).await;
    submit_and_wait(&c, "button[name=submit][value='1']").await;
    a.check(&c, "judge-scorecard-refused").await;
    sign_out(&c).await;

    // The organisation: its pages and the consoles of its challenges.
    sign_in(&c, app, OWNER, "/orgs").await;
    a.check(&c, "orgs").await;
    a.visit(&c, app, "org-dashboard", &format!("/orgs/{ORG}"))
        .await;
    let new = format!("/orgs/{ORG}/challenges/new");
    a.visit(&c, app, "challenge-form", &new).await;
    submit_and_wait(&c, "form.m-step-form button[type=submit]").await;
    a.check(&c, "challenge-form-refused").await;
    let manage = format!("/manage/challenges/{}", s.open);
    a.visit(&c, app, "manage-open", &manage).await;
    let manage = format!("/manage/challenges/{}", s.awarded);
    a.visit(&c, app, "manage-awarded", &manage).await;
    let console = format!("/manage/challenges/{}/judging", s.judged);
    a.visit(&c, app, "manage-judging", &console).await;
    let round = format!("/manage/rounds/{}", s.round);
    a.visit(&c, app, "manage-round", &round).await;
    let keys = format!("/orgs/{ORG}/api-keys");
    a.visit(&c, app, "org-api-keys", &keys).await;
    let hooks = format!("/orgs/{ORG}/webhooks");
    a.visit(&c, app, "org-webhooks", &hooks).await;
    sign_out(&c).await;

    // A platform admin.
    sign_in(&c, app, ADMIN, "/admin").await;
    a.check(&c, "admin").await;
    a.visit(&c, app, "admin-payouts", "/admin/payouts").await;
    a.visit(&c, app, "admin-money", "/admin/money").await;
    a.visit(&c, app, "admin-users", "/admin/users").await;
    sign_out(&c).await;

    for n in &a.notes {
        eprintln!("{n}");
    }
    for f in &a.failures {
        eprintln!("{f}");
    }
    eprintln!(
        "axe-core checked {} page views in {:.1} s: {} serious or critical, {} moderate or minor",
        a.pages,
        started.elapsed().as_secs_f64(),
        a.failures.len(),
        a.notes.len()
    );
    assert!(
        a.failures.is_empty(),
        "{} serious or critical accessibility violations:\n{}",
        a.failures.len(),
        a.failures.join("\n")
    );
}

/// The audit catches what it should: an image without a text alternative
/// (critical) and grey on grey text (serious) put on the home page.
#[tokio::test]
async fn the_audit_fails_on_a_broken_page() {
    if common::pg_url().is_some() {
        return;
    }
    let Some(axe) = axe_source() else {
        return;
    };
    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    go(&c, &app, "/").await;
    c.execute(
        "const m = document.querySelector('main'); \
         const i = document.createElement('img'); i.src = '/static/favicon.svg'; m.append(i); \
         const p = document.createElement('p'); p.textContent = 'Faint'; \
         p.style.color = '#bbb'; p.style.background = '#ccc'; m.append(p);",
        vec![],
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let a = Audit {
        axe,
        failures: Vec::new(),
        notes: Vec::new(),
        pages: 0,
    };
    let found: Vec<String> = a
        .run_axe(&c, "broken")
        .await
        .iter()
        .map(|v| format!("{} {}", v["id"], v["impact"]))
        .collect();
    eprintln!("{found:?}");
    assert!(
        found
            .iter()
            .any(|v| v.contains("image-alt") && v.contains("critical"))
            && found
                .iter()
                .any(|v| v.contains("color-contrast") && v.contains("serious")),
        "{found:?}"
    );
}
