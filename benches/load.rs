//! The load benchmark of issue 13: the release `tribu serve` under `wrk`,
//! on SQLite and on PostgreSQL, each endpoint beside `/healthz` measured in
//! the same run.
//!
//! For each backend it creates a fresh database (a temp SQLite file; a
//! throwaway PostgreSQL database when `TRIBU_BENCH_DATABASE_URL` names a
//! server), migrates it, fills it in bulk (1,000 challenges, 20,000
//! submissions, the judging of 10,000 entries: see [`listing`] and
//! `support::populate`), starts the release binary on it, times start to
//! ready (`/readyz` answering 200), signs the bench's people in through the
//! API, then runs `wrk -t2 -c64 -d8s` against:
//!
//! - `/healthz`: the same binary's own ceiling;
//! - the challenge list (`GET /api/v1/challenges?limit=20`), a challenge
//!   page (`/challenges/{slug}`, HTML with rendered Markdown, 50 slugs in
//!   turn), search (`?q=water`);
//! - submission create (64 signed-in solvers; afterwards every `201` must
//!   be in the database: none lost), scorecard submit (three judges over
//!   900 assignments of an open round);
//! - the leaderboard of 10,000 entries × 3 judges, at 64 connections and
//!   alone (1 connection), the latter beside the same aggregate as one
//!   plain SQL query on the same database.
//!
//! It reports requests per second, p50 and p99, each endpoint's ratio to
//! `/healthz`, errors, peak RSS (`VmHWM`) after the read load and at the
//! end, and writes the table to `target/bench/load.md` (and JSON beside it).
//!
//! Modes (arguments after `--`):
//! - `--nodes`: PostgreSQL only: one node pinned to one core against two
//!   nodes on one database, each pinned to its own core (the list).
//! - `--serve`: seed and start the server, print its address and an owner's
//!   token, and wait (to look at it by hand).
//! - `--soak SECS`: mixed load at about 70 % of the measured peak for SECS
//!   seconds, reporting requests, errors, p99 and RSS every 10 seconds.
//!
//! Settings: `TRIBU_BENCH_DATABASE_URL`, `TRIBU_BENCH_CHALLENGES` (1,000),
//! `TRIBU_BENCH_SUBMISSIONS` (20,000), `TRIBU_BENCH_ENTRIES` (10,000),
//! `TRIBU_BENCH_SECONDS` (8), `TRIBU_BENCH_CONNECTIONS` (64),
//! `TRIBU_BENCH_BACKENDS` (`sqlite,postgres`). Needs `wrk` and `taskset`.

#[macro_use]
mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use support::*;
use tribu::db::schema::{
    assignments, challenge_rules, challenge_tags, challenges, criteria, prize_tiers, registrations,
    revisions, round_entries, round_judges, rounds, sessions, submissions, team_members, teams,
};
use tribu::db::{self, DbConnection};
use tribu::judging::model;

const PASSWORD: &str = "bench-password-13";
/// Challenges solvers enter during the bench, and the solvers (each
/// registered on every one of them, signed in with a session of their own):
/// 20,000 entries to make, one per solver and challenge, as in a real rush,
/// rather than one solver piling up thousands of entries.
const RUSH_CHALLENGES: usize = 20;
const RUSH_SOLVERS: usize = 1_000;
/// Entries of the open round judges score during the bench.
const OPEN_ROUND_ENTRIES: usize = 300;
const JWT_SECRET: &str = "bench-secret-of-at-least-thirty-two-bytes-13";

// ---- the data ----

#[derive(Insertable)]
#[diesel(table_name = challenge_tags)]
struct NewTag {
    challenge_id: String,
    tag: String,
}

#[derive(Insertable)]
#[diesel(table_name = prize_tiers)]
struct NewTier {
    id: String,
    challenge_id: String,
    rank: i32,
    label: String,
    amount: i64,
}

#[derive(Insertable)]
#[diesel(table_name = challenge_rules)]
struct NewRules {
    id: String,
    challenge_id: String,
    version: i32,
    body_md: String,
    created_by: String,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = sessions)]
struct NewSession {
    id: String,
    user_id: String,
    created_at: NaiveDateTime,
    last_used_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = registrations)]
struct NewRegistration {
    id: String,
    challenge_id: String,
    user_id: String,
    rules_version: i32,
    accepted_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

const TOPICS: [&str; 8] = [
    "Clean water for rural clinics",
    "Low-cost soil moisture sensing",
    "Cooling vaccines without the grid",
    "Mapping flood risk from open data",
    "Water reuse in small towns",
    "Affordable prosthetic hands",
    "Plastic-free food packaging",
    "Early warning for crop disease",
];
const CATEGORIES: [&str; 5] = ["health", "environment", "energy", "agriculture", "software"];

/// A challenge description of about 2 KB with what organisations write:
/// headings, lists, links, emphasis, a table and code.
fn description(i: usize, topic: &str) -> String {
    format!(
        "## The problem\n\n{topic} is still out of reach for millions of people. We are \
         looking for **practical** ideas that a small team can build and maintain, with \
         parts that are *easy to source* locally.\n\n## What we ask\n\n1. A design or a \
         prototype, with its costs.\n2. Evidence that it works: measurements, a pilot, \
         or a model.\n3. A plan for maintenance by the people who use it.\n\n\
         ## Judging\n\n| criterion | weight |\n| --- | --- |\n| Impact | 40 % |\n\
         | Feasibility | 30 % |\n| Novelty | 30 % |\n\n> Entries are published under an \
         open licence after the results.\n\nSee the [data set](https://example.org/data/{i}) \
         and the `README` of the starter kit. Questions go to the Q&A of challenge {i}.\n\n\
         - water quality readings from 2019 to 2025\n- a map of the pilot sites\n\
         - the budget template\n"
    )
}

/// What the timed requests need from the filled database.
struct Seeded {
    /// Slugs of public open challenges, for the page.
    slugs: Vec<String>,
    rush_slugs: Vec<String>,
    /// `(user id, session id)` of the solvers who enter.
    rush: Vec<(String, String)>,
    /// Per judge email, the assignments of the open round.
    scoring: Vec<(String, Vec<String>)>,
    open_criteria: Vec<String>,
    leaderboard_round: String,
    rows: usize,
}

/// Fills an empty, migrated database: the judged round of 10,000 entries
/// (`support::populate`), then the public challenges of the list, the
/// submissions across them, a challenge the bench submits to, and an open
/// second round whose 900 assignments the judges score during the bench.
fn listing(
    conn: &mut DbConnection,
    n_challenges: usize,
    n_submissions: usize,
    n_entries: usize,
    hash: &str,
) -> Result<Seeded> {
    let fx = populate(conn, n_entries, hash)?;
    let mut rows = fx.rows;
    let now = db::now();
    let days = chrono::Duration::days;
    // The judged challenge is one, the challenges of the rush are more.
    let m = n_challenges.saturating_sub(1 + RUSH_CHALLENGES).max(1);
    let total = m + RUSH_CHALLENGES;
    let ids: Vec<String> = (0..total).map(|_| db::new_id()).collect();
    let slug = |i: usize| {
        if i >= m {
            format!("bench-rush-{:02}", i - m)
        } else {
            format!("bench-{i:04}")
        }
    };
    let chs: Vec<NewChallenge> = (0..total)
        .map(|i| {
            let topic = TOPICS[i % TOPICS.len()];
            NewChallenge {
                id: ids[i].clone(),
                org_id: fx.org_id.clone(),
                slug: slug(i),
                title: format!("{topic} #{i}"),
                summary: format!("{topic}: ideas that a small team can build and keep running."),
                description_md: description(i, topic),
                category: CATEGORIES[i % CATEGORIES.len()].into(),
                tags: format!("{} open-data", CATEGORIES[(i + 1) % CATEGORIES.len()]),
                kind: "ideation".into(),
                currency: "EUR".into(),
                prize_total: 500_000 + (i as i64 * 7_919 % 50) * 100_000,
                state: "open".into(),
                visibility: "public".into(),
                submission_deadline: now + days(30 + (i % 60) as i64),
                judging_deadline: now + days(120),
                eligibility: "Open to everyone.".into(),
                allowed_licences: "CC-BY-4.0 MIT".into(),
                max_submissions_per_solver: 3,
                max_team_size: 5,
                blind_judging: false,
                rules_version: 1,
                review_state: "none".into(),
                created_by: fx.owner_id.clone(),
                created_at: now - days(60),
                updated_at: now - days(60),
                published_at: Some(now - chrono::Duration::minutes(i as i64)),
            }
        })
        .collect();
    insert_all!(conn, challenges::table, chs, 26);
    let tags: Vec<NewTag> = (0..total)
        .flat_map(|i| {
            [CATEGORIES[(i + 1) % CATEGORIES.len()], "open-data"].map(|t| NewTag {
                challenge_id: ids[i].clone(),
                tag: t.into(),
            })
        })
        .collect();
    insert_all!(conn, challenge_tags::table, tags, 2);
    let tiers: Vec<NewTier> = (0..total)
        .flat_map(|i| {
            [(1, "First prize", 300_000), (2, "Runner-up", 200_000)].map(|(rank, label, a)| {
                NewTier {
                    id: db::new_id(),
                    challenge_id: ids[i].clone(),
                    rank,
                    label: label.into(),
                    amount: a,
                }
            })
        })
        .collect();
    insert_all!(conn, prize_tiers::table, tiers, 5);
    let rules: Vec<NewRules> = (0..total)
        .map(|i| NewRules {
            id: db::new_id(),
            challenge_id: ids[i].clone(),
            version: 1,
            body_md: "Be kind. Submit your own work. One entry per team.".into(),
            created_by: fx.owner_id.clone(),
            created_at: now - days(60),
        })
        .collect();
    insert_all!(conn, challenge_rules::table, rules, 6);
    rows += 5 * total;

    // Submissions across the listed challenges, each by a solver who is
    // registered there, so every challenge page has entrants.
    let extra = n_submissions.saturating_sub(n_entries);
    let solvers = &fx.solver_ids;
    let mut regs = Vec::new();
    let (mut tms, mut mems, mut subs, mut revs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for k in 0..extra {
        let (ch, user) = (&ids[k % m], &solvers[k % solvers.len()]);
        let (team, sub) = (db::new_id(), db::new_id());
        let t = now - chrono::Duration::seconds((k * 7 % 86_400) as i64);
        regs.push(NewRegistration {
            id: db::new_id(),
            challenge_id: ch.clone(),
            user_id: user.clone(),
            rules_version: 1,
            accepted_at: t,
            created_at: t,
        });
        tms.push(NewTeam {
            id: team.clone(),
            challenge_id: ch.clone(),
            created_by: user.clone(),
            created_at: t,
        });
        mems.push(NewTeamMember {
            team_id: team.clone(),
            challenge_id: ch.clone(),
            user_id: user.clone(),
            role: "submitter".into(),
            share_bps: 10_000,
            joined_at: t,
            anonymous: false,
        });
        subs.push(NewSubmission {
            id: sub.clone(),
            challenge_id: ch.clone(),
            team_id: team,
            state: "submitted".into(),
            title: format!("Proposal {k}"),
            licence: "MIT".into(),
            current_revision: 1,
            publish_opt_in: false,
            created_by: user.clone(),
            created_at: t,
            updated_at: t,
            submitted_at: Some(t),
        });
        revs.push(NewRevision {
            id: db::new_id(),
            submission_id: sub,
            number: 1,
            title: format!("Proposal {k}"),
            abstract_text: "An abstract.".into(),
            body_md: "A body with *some* Markdown.".into(),
            licence: "MIT".into(),
            copyright_holders: format!("Solver {k}"),
            attachment_ids: "[]".into(),
            content_sha256: format!("{:064x}", 1_000_000 + k),
            created_by: user.clone(),
            created_at: t,
        });
    }
    // The solvers who enter during the bench are registered where they do,
    // and signed in (a session each; the bench signs their tokens).
    let rush: Vec<(String, String)> = solvers
        .iter()
        .take(RUSH_SOLVERS)
        .map(|u| (u.clone(), db::new_id()))
        .collect();
    for ch in &ids[m..] {
        for (user, _) in &rush {
            regs.push(NewRegistration {
                id: db::new_id(),
                challenge_id: ch.clone(),
                user_id: user.clone(),
                rules_version: 1,
                accepted_at: now,
                created_at: now,
            });
        }
    }
    let sessions: Vec<NewSession> = rush
        .iter()
        .map(|(user, sid)| NewSession {
            id: sid.clone(),
            user_id: user.clone(),
            created_at: now,
            last_used_at: now,
            expires_at: now + days(1),
        })
        .collect();
    rows += sessions.len();
    insert_all!(conn, sessions::table, sessions, 5);
    rows += regs.len() + 4 * extra;
    insert_all!(conn, registrations::table, regs, 6);
    insert_all!(conn, teams::table, tms, 4);
    insert_all!(conn, team_members::table, mems, 7);
    insert_all!(conn, submissions::table, subs, 12);
    insert_all!(conn, revisions::table, revs, 12);

    // An open second round on the judged challenge, not yet scored.
    let round = db::new_id();
    diesel::insert_into(rounds::table)
        .values(NewRound {
            id: round.clone(),
            challenge_id: fx.challenge_id.clone(),
            number: 2,
            name: "Second opinion".into(),
            state: "open".into(),
            judges_per_entry: JUDGES as i32,
            normalise: false,
            assignment_seed: SEED as i64,
            created_at: now,
            opened_at: Some(now),
            closed_at: None,
        })
        .execute(conn)?;
    let on_round: Vec<NewRoundJudge> = fx
        .judge_ids
        .iter()
        .map(|j| NewRoundJudge {
            round_id: round.clone(),
            judge_id: j.clone(),
        })
        .collect();
    insert_all!(conn, round_judges::table, on_round, 2);
    let crit: Vec<String> = RUBRIC.iter().map(|_| db::new_id()).collect();
    let rubric = rubric_rows(&round, &crit);
    insert_all!(conn, criteria::table, rubric, 9);
    let shortlist: Vec<String> = fx
        .sub_ids
        .iter()
        .take(OPEN_ROUND_ENTRIES)
        .cloned()
        .collect();
    let codes = model::neutral_codes(&round, &shortlist);
    let entries: Vec<NewRoundEntry> = shortlist
        .iter()
        .map(|s| NewRoundEntry {
            round_id: round.clone(),
            submission_id: s.clone(),
            revision: 1,
            revised_at: now - days(1),
            code: codes.get(s).cloned().unwrap_or_default(),
        })
        .collect();
    insert_all!(conn, round_entries::table, entries, 5);
    let mut scoring = Vec::new();
    let mut assigned = Vec::new();
    for (j, judge) in fx.judge_ids.iter().enumerate() {
        let mut mine = Vec::new();
        for s in &shortlist {
            let id = db::new_id();
            mine.push(id.clone());
            assigned.push(NewAssignment {
                id,
                round_id: round.clone(),
                judge_id: judge.clone(),
                submission_id: s.clone(),
                manual: false,
                created_at: now,
            });
        }
        scoring.push((format!("user{}@bench.example", 1 + j), mine));
    }
    rows += 1 + JUDGES + RUBRIC.len() + 2 * assigned.len();
    insert_all!(conn, assignments::table, assigned, 6);
    Ok(Seeded {
        slugs: (0..m.min(50)).map(slug).collect(),
        rush_slugs: (m..total).map(slug).collect(),
        rush,
        scoring,
        open_criteria: crit,
        leaderboard_round: fx.round_id,
        rows,
    })
}

// ---- the server ----

/// A running `tribu serve`, killed when dropped.
struct Node {
    child: Child,
    port: u16,
    ready: Duration,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    fn rss(&self) -> (u64, u64) {
        proc_mem(self.child.id())
    }
}

/// `VmRSS` and `VmHWM` (the peak) of a process, in KiB.
fn proc_mem(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Starts the release binary on `url` (pinned to `cpu` when given) and
/// waits until `/readyz` answers 200; the wait is the start-to-ready time.
async fn start(url: &str, data: &Path, cpu: Option<&str>) -> Result<Node> {
    let port = free_port()?;
    let exe = env!("CARGO_BIN_EXE_tribu");
    let mut cmd = match cpu {
        Some(c) => {
            let mut t = Command::new("taskset");
            t.args(["-c", c, exe]);
            t
        }
        None => Command::new(exe),
    };
    std::fs::create_dir_all(data)?;
    cmd.arg("serve")
        .env("TRIBU_DATABASE_URL", url)
        .env("TRIBU_LISTEN", format!("127.0.0.1:{port}"))
        .env("TRIBU_DATA_DIR", data)
        .env("TRIBU_BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("TRIBU_JWT_SECRET", JWT_SECRET)
        .env("TRIBU_MAIL_TRANSPORT", "file")
        .env("TRIBU_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let http = reqwest::Client::new();
    let begun = Instant::now();
    let child = cmd.spawn().context("start tribu serve")?;
    let mut node = Node {
        child,
        port,
        ready: Duration::ZERO,
    };
    let ready_url = format!("http://127.0.0.1:{port}/readyz");
    loop {
        if let Ok(r) = http.get(&ready_url).send().await {
            if r.status().is_success() {
                node.ready = begun.elapsed();
                return Ok(node);
            }
        }
        if begun.elapsed() > Duration::from_secs(30) {
            bail!("tribu serve was not ready within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn login(port: u16, email: &str) -> Result<String> {
    let r = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await?;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or_default();
    v["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("login {email}: {status} {v}"))
}

// ---- wrk ----

/// Runs the requests of a file in turn (one per line: method, path,
/// token, body, separated by tabs), counts 2xx answers per thread, and
/// prints one JSON line when done. Without a file, the URL alone.
const LUA: &str = r#"
local threads = {}
local n = 0
function setup(thread)
  n = n + 1
  thread:set("offset", n * 7919)
  table.insert(threads, thread)
end
local reqs = {}
local i = 0
ok = 0
function init(args)
  if args[1] == nil then return end
  local f = assert(io.open(args[1]))
  for line in f:lines() do
    local m, p, t, b = line:match("^(%S+)\t(%S+)\t(%S*)\t(.*)$")
    local h = {}
    if t ~= "" then h["Authorization"] = "Bearer " .. t end
    if b == "" then b = nil else h["Content-Type"] = "application/json" end
    reqs[#reqs + 1] = wrk.format(m, p, h, b)
  end
  f:close()
  i = offset % #reqs
end
if os.getenv("TRIBU_WRK_DYNAMIC") == "1" then
  function request()
    i = i % #reqs + 1
    return reqs[i]
  end
  function response(status, headers, body)
    if status >= 200 and status < 300 then ok = ok + 1 end
  end
end
if os.getenv("TRIBU_WRK_PAUSE") then
  function delay()
    return tonumber(os.getenv("TRIBU_WRK_PAUSE"))
  end
end
function done(s, lat, req)
  local counted = 0
  for _, t in ipairs(threads) do counted = counted + (t:get("ok") or 0) end
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p99_us":%d,"max_us":%d,"ok_counted":%d}\n',
    s.requests, s.duration, s.errors.status,
    s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout,
    lat:percentile(50), lat:percentile(99), lat.max, counted))
end
"#;

/// One endpoint's figures.
#[derive(Clone, Debug, Default, serde::Serialize)]
struct Measured {
    name: String,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: u64,
    /// Non-2xx answers and socket errors.
    errors: u64,
    /// 2xx answers (counted per answer when the requests come from a file).
    ok: u64,
}

struct Wrk {
    dir: PathBuf,
    seconds: u64,
    connections: usize,
}

impl Wrk {
    /// `requests`: lines for the script's file, or none for a plain GET.
    fn run(
        &self,
        name: &str,
        (port, path): (u16, &str),
        requests: Option<&[String]>,
        shape: (usize, usize, u64),
        pause_ms: Option<f64>,
        cpu: Option<&str>,
    ) -> Result<Measured> {
        let (threads, connections, seconds) = shape;
        // One script file per run name: runs side by side (the soak's reads
        // and writes) must not read a file the other is rewriting.
        let script = self.dir.join(format!("{name}.lua"));
        std::fs::write(&script, LUA)?;
        let mut cmd = match cpu {
            Some(c) => {
                let mut t = Command::new("taskset");
                t.args(["-c", c, "wrk"]);
                t
            }
            None => Command::new("wrk"),
        };
        cmd.args([
            format!("-t{threads}"),
            format!("-c{connections}"),
            format!("-d{seconds}s"),
            "--timeout".into(),
            "10s".into(),
            "-s".into(),
        ])
        .arg(&script)
        .arg(format!("http://127.0.0.1:{port}{path}"));
        if let Some(lines) = requests {
            let file = self.dir.join(format!("{name}.requests"));
            std::fs::write(&file, lines.join("\n") + "\n")?;
            cmd.arg("--").arg(&file);
            cmd.env("TRIBU_WRK_DYNAMIC", "1");
        }
        if let Some(p) = pause_ms {
            cmd.env("TRIBU_WRK_PAUSE", format!("{p:.2}"));
        }
        let requests_file = requests.is_some();
        let out = cmd.output().context("run wrk (apt install wrk)")?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("RESULT "))
            .ok_or_else(|| {
                anyhow!(
                    "{name}: no result from wrk: {text}{}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })?;
        let v: Value = serde_json::from_str(line)?;
        let g = |k: &str| v[k].as_u64().unwrap_or(0);
        let requests = g("requests");
        let errors = g("status_errors") + g("socket_errors");
        // From a file, 2xx answers are counted one by one; a plain GET
        // counts what wrk did not call an error.
        let ok = if requests_file {
            g("ok_counted")
        } else {
            requests.saturating_sub(g("status_errors"))
        };
        Ok(Measured {
            name: name.into(),
            rps: requests as f64 / (g("duration_us") as f64 / 1e6).max(1e-9),
            p50_ms: g("p50_us") as f64 / 1e3,
            p99_ms: g("p99_us") as f64 / 1e3,
            requests,
            errors,
            ok,
        })
    }

    fn shape(&self) -> (usize, usize, u64) {
        (2, self.connections, self.seconds)
    }
}

/// Sends the first request of a file once, so that a bench of an endpoint
/// that refuses it stops with the answer instead of timing refusals.
async fn probe(port: u16, lines: &[String]) -> Result<()> {
    let Some(first) = lines.first() else {
        bail!("no requests");
    };
    let mut f = first.splitn(4, '\t');
    let (m, path, token, body) = (
        f.next().unwrap_or("GET"),
        f.next().unwrap_or("/"),
        f.next().unwrap_or(""),
        f.next().unwrap_or(""),
    );
    let method = reqwest::Method::from_bytes(m.as_bytes())?;
    let mut r = reqwest::Client::new().request(method, format!("http://127.0.0.1:{port}{path}"));
    if !token.is_empty() {
        r = r.bearer_auth(token);
    }
    if !body.is_empty() {
        r = r
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let res = r.send().await?;
    let status = res.status();
    if !status.is_success() {
        bail!(
            "{m} {path}: {status} {}",
            res.text().await.unwrap_or_default()
        );
    }
    Ok(())
}

/// The median time of seven GETs one after another, after a warm-up.
async fn median_ms(port: u16, path: &str, token: &str) -> Result<f64> {
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}{path}");
    let mut laps = Vec::new();
    for i in 0..8 {
        let t = Instant::now();
        let r = http.get(&url).bearer_auth(token).send().await?;
        let status = r.status();
        r.bytes().await?;
        if !status.is_success() {
            bail!("GET {path}: {status}");
        }
        if i > 0 {
            laps.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    laps.sort_by(f64::total_cmp);
    Ok(laps[laps.len() / 2])
}

fn line(method: &str, path: &str, token: &str, body: &Value) -> String {
    let b = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    format!("{method}\t{path}\t{token}\t{b}")
}

fn count(conn: &mut DbConnection, sql: &str) -> Result<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let rows: Vec<N> = diesel::sql_query(sql).load(conn)?;
    Ok(rows.first().map(|r| r.n).unwrap_or(0))
}

/// One request per rush solver and challenge, solvers in turn: a solver
/// enters each challenge once per pass (three times at most).
fn entries(seeded: &Seeded) -> Result<Vec<String>> {
    let keys = tribu::auth::crypto::JwtKeys::new(JWT_SECRET.as_bytes(), 900);
    let tokens: Vec<String> = seeded
        .rush
        .iter()
        .map(|(user, sid)| {
            keys.issue(user, sid)
                .map(|(t, _)| t)
                .map_err(|e| anyhow!(e))
        })
        .collect::<Result<_>>()?;
    let body = json!({
        "title": "A bench entry",
        "abstract": "Written by the load bench.",
        "body": "## Idea\n\nA *short* body.",
        "licence": "MIT",
    });
    let mut out = Vec::new();
    for slug in &seeded.rush_slugs {
        for t in &tokens {
            out.push(line(
                "POST",
                &format!("/api/v1/challenges/{slug}/submissions"),
                t,
                &body,
            ));
        }
    }
    Ok(out)
}

// ---- one backend ----

struct Report {
    backend: &'static str,
    seeded_rows: usize,
    seed_time: Duration,
    ready: Duration,
    rss_list_kib: u64,
    peak_kib: u64,
    rows: Vec<Measured>,
    leaderboard_alone_ms: f64,
    leaderboard_sql_ms: f64,
    lost: i64,
}

struct Backend {
    name: &'static str,
    url: String,
    _pg: Option<ScratchPg>,
    _dir: tempfile::TempDir,
    data: PathBuf,
}

fn backend(name: &'static str) -> Result<Option<Backend>> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    if name == "SQLite" {
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        return Ok(Some(Backend {
            name,
            url,
            _pg: None,
            _dir: dir,
            data,
        }));
    }
    match std::env::var("TRIBU_BENCH_DATABASE_URL") {
        Ok(server) if !server.is_empty() => {
            let pg = ScratchPg::create(&server)?;
            Ok(Some(Backend {
                name,
                url: pg.url.clone(),
                _pg: Some(pg),
                _dir: dir,
                data,
            }))
        }
        _ => {
            eprintln!("PostgreSQL skipped: set TRIBU_BENCH_DATABASE_URL to a server to include it");
            Ok(None)
        }
    }
}

struct Sizes {
    challenges: usize,
    submissions: usize,
    entries: usize,
}

fn seed(b: &Backend, sizes: &Sizes) -> Result<(Seeded, Duration)> {
    let pool = db::connect(&b.url, 1).with_context(|| format!("connect to {}", b.name))?;
    let mut conn = pool.get()?;
    db::migrate(&mut conn)?;
    let hash = tribu::auth::crypto::hash_password(PASSWORD).map_err(|e| anyhow!(e))?;
    eprintln!(
        "{}: writing {} challenges, {} submissions, the judging of {} entries…",
        b.name, sizes.challenges, sizes.submissions, sizes.entries
    );
    let begun = Instant::now();
    let seeded = db::write_tx(&mut conn, |c| {
        listing(c, sizes.challenges, sizes.submissions, sizes.entries, &hash)
    })?;
    diesel::sql_query("ANALYZE").execute(&mut *conn)?;
    Ok((seeded, begun.elapsed()))
}

/// Times the leaderboard's aggregate as plain SQL: median of 7 after a warm-up.
fn sql_leaderboard_ms(url: &str, round: &str) -> Result<f64> {
    let pool = db::connect(url, 1)?;
    let mut conn = pool.get()?;
    let sql = leaderboard_sql(&conn);
    run_sql(&mut conn, &sql, round)?;
    let mut laps = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        run_sql(&mut conn, &sql, round)?;
        laps.push(t.elapsed().as_secs_f64() * 1e3);
    }
    laps.sort_by(f64::total_cmp);
    Ok(laps[laps.len() / 2])
}

async fn bench_backend(b: &Backend, sizes: &Sizes, wrk: &Wrk) -> Result<Report> {
    let (seeded, seed_time) = seed(b, sizes)?;
    eprintln!(
        "{}: {} rows in {:.1} s",
        b.name,
        seeded.rows,
        seed_time.as_secs_f64()
    );
    let node = start(&b.url, &b.data, None).await?;
    eprintln!(
        "{}: ready in {:.0} ms",
        b.name,
        node.ready.as_secs_f64() * 1e3
    );
    let port = node.port;
    let mut rows = Vec::new();
    let shape = wrk.shape();
    let get = |name: &str, path: &str| -> Result<Measured> {
        let m = wrk.run(name, (port, path), None, shape, None, None)?;
        eprintln!("  {name}: {:.0} req/s, p99 {:.1} ms", m.rps, m.p99_ms);
        Ok(m)
    };
    rows.push(get("healthz", "/healthz")?);
    rows.push(get("challenge list", "/api/v1/challenges?limit=20")?);
    let (_, hwm) = node.rss();
    let rss_list_kib = hwm;
    let pages: Vec<String> = seeded
        .slugs
        .iter()
        .map(|s| line("GET", &format!("/challenges/{s}"), "", &Value::Null))
        .collect();
    let page = wrk.run(
        "challenge page",
        (port, "/"),
        Some(&pages),
        shape,
        None,
        None,
    )?;
    eprintln!("  challenge page: {:.0} req/s", page.rps);
    rows.push(page);
    rows.push(get(
        "search ?q=water",
        "/api/v1/challenges?q=water&limit=20",
    )?);

    // Submission create: every 201 must be in the database afterwards.
    let pool = db::connect(&b.url, 1)?;
    let mut conn = pool.get()?;
    let before = count(&mut conn, "SELECT COUNT(*) AS n FROM submissions")?;
    let creates = entries(&seeded)?;
    probe(port, &creates).await?;
    let created = wrk.run(
        "submission create",
        (port, "/"),
        Some(&creates),
        shape,
        None,
        None,
    )?;
    let after = count(&mut conn, "SELECT COUNT(*) AS n FROM submissions")?;
    // wrk stops mid-flight: up to one request per connection may be
    // written but not counted; fewer rows than 201s would be a loss.
    let lost = (created.ok as i64 - (after - before)).max(0);
    let unanswered = (after - before) - created.ok as i64;
    eprintln!(
        "  submission create: {:.0} req/s, {} created, {} rows new ({} cut off in flight), {} lost",
        created.rps,
        created.ok,
        after - before,
        unanswered.max(0),
        lost
    );
    rows.push(created);

    // Scorecard submit over the open round's assignments.
    let mut cards = Vec::new();
    let scores: BTreeMap<String, i32> = RUBRIC
        .iter()
        .zip(&seeded.open_criteria)
        .map(|((_, _, lo, hi), id)| (id.clone(), (lo + hi) / 2))
        .collect();
    let body = json!({ "scores": scores, "submit": true });
    for (email, mine) in &seeded.scoring {
        let t = login(port, email).await?;
        for a in mine {
            cards.push(line(
                "PUT",
                &format!("/api/v1/assignments/{a}/scorecard"),
                &t,
                &body,
            ));
        }
    }
    // Interleave judges so that connections do not queue on one judge.
    cards.sort_by_key(|l| l.split('\t').nth(1).map(str::to_owned));
    probe(port, &cards).await?;
    let scored = wrk.run(
        "scorecard submit",
        (port, "/"),
        Some(&cards),
        shape,
        None,
        None,
    )?;
    eprintln!(
        "  scorecard submit: {:.0} req/s, {} errors",
        scored.rps, scored.errors
    );
    rows.push(scored);

    // The leaderboard of 10,000 entries, as its organisation's owner.
    let owner = login(port, "user0@bench.example").await?;
    let board = vec![line(
        "GET",
        &format!("/api/v1/rounds/{}/leaderboard", seeded.leaderboard_round),
        &owner,
        &Value::Null,
    )];
    let lb = wrk.run(
        "leaderboard (10,000)",
        (port, "/"),
        Some(&board),
        shape,
        None,
        None,
    )?;
    eprintln!(
        "  leaderboard: {:.1} req/s, p50 {:.0} ms",
        lb.rps, lb.p50_ms
    );
    rows.push(lb);
    // Alone: one request at a time, the median of seven after a warm-up
    // (a few slow answers are too few samples for wrk's percentiles).
    let alone = median_ms(
        port,
        &format!("/api/v1/rounds/{}/leaderboard", seeded.leaderboard_round),
        &owner,
    )
    .await?;
    let sql_ms = sql_leaderboard_ms(&b.url, &seeded.leaderboard_round)?;
    let (_, peak) = node.rss();
    Ok(Report {
        backend: b.name,
        seeded_rows: seeded.rows,
        seed_time,
        ready: node.ready,
        rss_list_kib,
        peak_kib: peak,
        rows,
        leaderboard_alone_ms: alone,
        leaderboard_sql_ms: sql_ms,
        lost,
    })
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    format!(
        "{cores} cores ({cpu}), {:.0} GiB, load generator on the same machine",
        mem_kib as f64 / 1_048_576.0
    )
}

fn table(reports: &[Report], wrk: &Wrk, sizes: &Sizes) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Machine: {}. `wrk -t2 -c{} -d{}s`, release build, `TRIBU_LOG=warn`; data: {} \
         challenges, {} submissions, the judging of {} entries × {JUDGES} judges.\n",
        machine(),
        wrk.connections,
        wrk.seconds,
        sizes.challenges,
        sizes.submissions,
        sizes.entries
    );
    let _ = writeln!(
        s,
        "| endpoint | backend | req/s | p50 ms | p99 ms | × /healthz | errors |"
    );
    let _ = writeln!(s, "| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for r in reports {
        let ceiling = r.rows.first().map(|m| m.rps).unwrap_or(1.0).max(1e-9);
        for m in &r.rows {
            let _ = writeln!(
                s,
                "| {} | {} | {:.0} | {:.2} | {:.2} | {:.3} | {} |",
                m.name,
                r.backend,
                m.rps,
                m.p50_ms,
                m.p99_ms,
                m.rps / ceiling,
                m.errors
            );
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "| backend | start to ready | RSS peak after the list load | RSS peak at the end | leaderboard alone (p50) | same aggregate, plain SQL | ratio | submissions lost | seeded |"
    );
    let _ = writeln!(
        s,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for r in reports {
        let _ = writeln!(
            s,
            "| {} | {:.0} ms | {:.1} MiB | {:.1} MiB | {:.1} ms | {:.1} ms | {:.2}× | {} | {} rows in {:.0} s |",
            r.backend,
            r.ready.as_secs_f64() * 1e3,
            r.rss_list_kib as f64 / 1024.0,
            r.peak_kib as f64 / 1024.0,
            r.leaderboard_alone_ms,
            r.leaderboard_sql_ms,
            r.leaderboard_alone_ms / r.leaderboard_sql_ms.max(1e-9),
            r.lost,
            r.seeded_rows,
            r.seed_time.as_secs_f64()
        );
    }
    s
}

// ---- two nodes ----

async fn nodes(b: &Backend, sizes: &Sizes, wrk: &Wrk) -> Result<String> {
    let (_, _) = seed(b, sizes)?;
    let path = "/api/v1/challenges?limit=20";
    let one = start(&b.url, &b.data.join("a"), Some("0")).await?;
    let single = wrk.run(
        "list, one node",
        (one.port, path),
        None,
        (1, wrk.connections, wrk.seconds),
        None,
        Some("1"),
    )?;
    let two = start(&b.url, &b.data.join("b"), Some("1")).await?;
    let half = wrk.connections / 2;
    let (p1, p2) = (one.port, two.port);
    let shape = (1, half, wrk.seconds);
    let (a, c) = std::thread::scope(|s| {
        let a = s.spawn(|| wrk.run("list, node 1", (p1, path), None, shape, None, None));
        let c = s.spawn(|| wrk.run("list, node 2", (p2, path), None, shape, None, None));
        (a.join(), c.join())
    });
    let a = a.map_err(|_| anyhow!("wrk thread"))??;
    let c = c.map_err(|_| anyhow!("wrk thread"))??;
    let mut s = String::new();
    let _ = writeln!(s, "Two nodes on one PostgreSQL, {}:\n", machine());
    let _ = writeln!(s, "| setup | list req/s | p99 ms | errors |");
    let _ = writeln!(s, "| --- | ---: | ---: | ---: |");
    let _ = writeln!(
        s,
        "| one node pinned to core 0 (wrk on core 1) | {:.0} | {:.2} | {} |",
        single.rps, single.p99_ms, single.errors
    );
    let _ = writeln!(
        s,
        "| two nodes, pinned to cores 0 and 1 (two wrk, unpinned) | {:.0} | {:.2} / {:.2} | {} |",
        a.rps + c.rps,
        a.p99_ms,
        c.p99_ms,
        a.errors + c.errors
    );
    Ok(s)
}

// ---- soak ----

async fn soak(b: &Backend, sizes: &Sizes, wrk: &Wrk, seconds: u64) -> Result<String> {
    let (seeded, _) = seed(b, sizes)?;
    let node = start(&b.url, &b.data, None).await?;
    let port = node.port;
    // Reads: what visitors do most (the list, pages, search).
    let mut mix = Vec::new();
    for (k, s) in seeded.slugs.iter().enumerate() {
        mix.push(line("GET", "/api/v1/challenges?limit=20", "", &Value::Null));
        mix.push(line("GET", &format!("/challenges/{s}"), "", &Value::Null));
        mix.push(line("GET", "/challenges", "", &Value::Null));
        if k % 5 == 0 {
            mix.push(line(
                "GET",
                "/api/v1/challenges?q=water&limit=20",
                "",
                &Value::Null,
            ));
        }
    }
    // Writes beside them: solvers entering, about 20 a second, each entry
    // new (every segment takes the next slice of the rush's entries).
    let creates = entries(&seeded)?;
    let per_segment = 200;
    let slice = |k: usize| -> Vec<String> {
        (0..per_segment)
            .map(|i| creates[(k * per_segment + i) % creates.len()].clone())
            .collect()
    };
    // The peak of the same mix (reads flat out while entries are made):
    // every entry makes cached answers stale, so reads alone would set a
    // peak the mix can never reach.
    let (peak, _) = segment(wrk, port, &mix, &slice(0), None)?;
    let target = peak.rps * 0.7;
    // Each connection waits between requests so the total is about 70 %
    // of the peak; corrected every segment from what was achieved.
    let mut pause = (wrk.connections as f64 * 1000.0 / target - peak.p50_ms).max(0.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Soak on {}, {}: reads (list, pages, search) at about 70 % of their measured peak of \
         {:.0} req/s beside entries made by two connections (one every 100 ms each at most), \
         for {seconds} s.\n",
        b.name,
        machine(),
        peak.rps
    );
    let _ = writeln!(
        s,
        "| t (s) | reads/s | read p99 ms | entries/s | errors | RSS MiB |"
    );
    let _ = writeln!(s, "| ---: | ---: | ---: | ---: | ---: | ---: |");
    let (mut t, mut k) = (0, 1);
    let (mut total_errors, mut total_created) = (0, 0);
    while t < seconds {
        let (m, w) = segment(wrk, port, &mix, &slice(k), Some(pause))?;
        k += 1;
        t += SEGMENT;
        let errors = m.errors + w.errors;
        total_errors += errors;
        total_created += w.ok;
        let (rss, _) = node.rss();
        let _ = writeln!(
            s,
            "| {t} | {:.0} | {:.2} | {:.1} | {} | {:.1} |",
            m.rps,
            m.p99_ms,
            w.rps,
            errors,
            rss as f64 / 1024.0
        );
        eprintln!(
            "  soak {t}s: {:.0} reads/s, {:.1} entries/s, {errors} errors, RSS {rss} KiB",
            m.rps, w.rps
        );
        if m.rps > 0.0 {
            // From at least half a millisecond, so a pause at zero can grow.
            pause = pause.max(0.5) * m.rps / target;
        }
    }
    let (_, hwm) = node.rss();
    let _ = writeln!(
        s,
        "\nErrors in all: {total_errors}. Entries created: {total_created}. Peak RSS: {:.1} MiB.",
        hwm as f64 / 1024.0
    );
    Ok(s)
}

/// Seconds of one soak segment.
const SEGMENT: u64 = 10;

/// One soak segment: reads by the bench's connections (waiting `pause` ms
/// between requests, or none), beside entries made by two connections that
/// each wait 100 ms between them.
fn segment(
    wrk: &Wrk,
    port: u16,
    mix: &[String],
    entries: &[String],
    pause: Option<f64>,
) -> Result<(Measured, Measured)> {
    let (reads, writes) = std::thread::scope(|sc| {
        let r = sc.spawn(|| {
            wrk.run(
                "soak reads",
                (port, "/"),
                Some(mix),
                (2, wrk.connections, SEGMENT),
                pause,
                None,
            )
        });
        let w = sc.spawn(|| {
            wrk.run(
                "soak writes",
                (port, "/"),
                Some(entries),
                (1, 2, SEGMENT),
                Some(100.0),
                None,
            )
        });
        (r.join(), w.join())
    });
    Ok((
        reads.map_err(|_| anyhow!("wrk thread"))??,
        writes.map_err(|_| anyhow!("wrk thread"))??,
    ))
}

fn env_u64(name: &str, default: u64) -> Result<u64> {
    Ok(env_usize(name, default as usize)? as u64)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; built by `cargo test --benches` or
    // clippy it has nothing to do.
    if !args.iter().any(|a| a == "--bench") {
        eprintln!("run with `cargo bench --bench load`");
        return Ok(());
    }
    let sizes = Sizes {
        challenges: env_usize("TRIBU_BENCH_CHALLENGES", 1_000)?,
        submissions: env_usize("TRIBU_BENCH_SUBMISSIONS", 20_000)?,
        entries: env_usize("TRIBU_BENCH_ENTRIES", 10_000)?,
    };
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out)?;
    let scratch = tempfile::tempdir()?;
    let wrk = Wrk {
        dir: scratch.path().to_owned(),
        seconds: env_u64("TRIBU_BENCH_SECONDS", 8)?,
        connections: env_usize("TRIBU_BENCH_CONNECTIONS", 64)?,
    };
    let wanted = std::env::var("TRIBU_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let names: Vec<&'static str> = [("sqlite", "SQLite"), ("postgres", "PostgreSQL")]
        .into_iter()
        .filter(|(k, _)| wanted.contains(k))
        .map(|(_, n)| n)
        .collect();

    if let Some(i) = args.iter().position(|a| a == "--soak") {
        let secs: u64 = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(600);
        let name = names.first().copied().unwrap_or("SQLite");
        let b = backend(name)?.ok_or_else(|| anyhow!("{name} is not available"))?;
        let text = soak(&b, &sizes, &wrk, secs).await?;
        std::fs::write(out.join("soak.md"), &text)?;
        println!("{text}");
        return Ok(());
    }
    if args.iter().any(|a| a == "--serve") {
        // The seeded server, left running to look at by hand.
        let name = names.first().copied().unwrap_or("SQLite");
        let b = backend(name)?.ok_or_else(|| anyhow!("{name} is not available"))?;
        let (seeded, _) = seed(&b, &sizes)?;
        let node = start(&b.url, &b.data, None).await?;
        let owner = login(node.port, "user0@bench.example").await?;
        println!(
            "{}\nhttp://127.0.0.1:{}  owner token: {owner}\nleaderboard: /api/v1/rounds/{}/leaderboard\n\
             page: /challenges/{}\npassword of every user{{n}}@bench.example: {PASSWORD}",
            b.url,
            node.port,
            seeded.leaderboard_round,
            seeded.slugs.first().cloned().unwrap_or_default()
        );
        tokio::signal::ctrl_c().await?;
        return Ok(());
    }
    if args.iter().any(|a| a == "--nodes") {
        let b = backend("PostgreSQL")?
            .ok_or_else(|| anyhow!("--nodes needs TRIBU_BENCH_DATABASE_URL"))?;
        let text = nodes(&b, &sizes, &wrk).await?;
        std::fs::write(out.join("nodes.md"), &text)?;
        println!("{text}");
        return Ok(());
    }
    let mut reports = Vec::new();
    for name in names {
        if let Some(b) = backend(name)? {
            reports.push(bench_backend(&b, &sizes, &wrk).await?);
        }
    }
    let text = table(&reports, &wrk, &sizes);
    std::fs::write(out.join("load.md"), &text)?;
    let json: Vec<Value> = reports
        .iter()
        .map(|r| json!({ "backend": r.backend, "rows": r.rows, "ready_ms": r.ready.as_secs_f64() * 1e3, "rss_list_kib": r.rss_list_kib, "peak_kib": r.peak_kib, "leaderboard_alone_ms": r.leaderboard_alone_ms, "leaderboard_sql_ms": r.leaderboard_sql_ms, "lost": r.lost }))
        .collect();
    std::fs::write(out.join("load.json"), serde_json::to_string_pretty(&json)?)?;
    println!("\n{text}");
    Ok(())
}
