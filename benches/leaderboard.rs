//! The leaderboard benchmark of issue 9: how long Tribu takes to answer
//! `GET /api/v1/rounds/{id}/leaderboard` for 10,000 entries × 3 judges ×
//! 5 criteria, on SQLite and on PostgreSQL, beside the same aggregate
//! written as one plain SQL query, and the ratio of the two.
//!
//! For each backend it creates a fresh database (a temp SQLite file; a
//! throwaway `tribu_bench_<random>` PostgreSQL database, dropped at the end,
//! when `TRIBU_BENCH_DATABASE_URL` names a server), migrates it with the
//! app's own migrations, fills it with bulk inserts in one transaction (an
//! organisation, a challenge in judging, one submitted entry per team with
//! its revision, a closed round with a five-criterion rubric, three judges
//! who each scored every entry: 30,000 submitted scorecards, 150,000
//! scores drawn from a seeded generator), then times:
//!
//! - **endpoint**: `queries::leaderboard_for`, the function the API handler
//!   calls: the permission check, every database read and every
//!   computation of the answer (ranks, titles, team names, per-criterion
//!   means, spread, per-judge statistics, Krippendorff's alpha); HTTP and
//!   JSON encoding left out. Timed with normalisation off (the SQL's
//!   aggregate) and, separately, on.
//! - **standings**: `queries::standings`, the same aggregate as the SQL
//!   (load the scores, weight, average, rank) and nothing else.
//! - **ranking**: `model::leaderboard` alone, on scores already in memory,
//!   so the table shows the database load apart from the computation;
//!   `model::krippendorff_alpha` alone likewise.
//! - **plain SQL**: per judge × entry the weighted score on 0–100
//!   (`100 · Σ w·(s − min)/(max − min) / Σ w`), its mean per entry over the
//!   judges (rounded to 4 decimals, as the model rounds before it ranks),
//!   ranked best first with ties going to the earlier final revision, then
//!   the smaller id; one query through diesel's `sql_query`.
//!
//! Before anything is timed, the SQL's ranking is checked against the
//! model's (same order and judge counts over all entries, scores within
//! 1e-6); a disagreement stops the bench with an error, so the comparison
//! is between two answers to the same question.
//!
//! Run it with `cargo bench --bench leaderboard`. Each figure is the
//! minimum and the median of `TRIBU_BENCH_RUNS` runs (default 7) after one
//! warm-up run; `TRIBU_BENCH_ENTRIES` changes the number of entries
//! (default 10,000). Run without `--bench` (`cargo test --benches`), it
//! only checks the SQL against the model on a small round.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use tribu::auth::principal::{AuthUser, Principal};
use tribu::db;
use tribu::db::schema::rounds;
use tribu::judging::{model, queries, store};

#[macro_use]
mod support;
use support::*;

/// The size issue 9 asks about.
const DEFAULT_ENTRIES: usize = 10_000;
const DEFAULT_RUNS: usize = 7;
/// Stops the bench unless the endpoint names every entry as written
/// (title, team, code): a fast answer must also be a complete one.
fn check_names(fx: &Fixture, board: &queries::board::Leaderboard) -> Result<()> {
    for r in &board.rows {
        let (title, team, code) = fx
            .named
            .get(&r.submission_id)
            .ok_or_else(|| anyhow!("the leaderboard ranks an unknown entry {}", r.submission_id))?;
        if &r.title != title || r.team.as_ref() != Some(team) || &r.code != code {
            bail!(
                "the leaderboard names {} as {:?} / {:?} / {:?}, not {title:?} / {team:?} / {code:?}",
                r.submission_id,
                r.title,
                r.team,
                r.code
            );
        }
    }
    Ok(())
}

/// Stops the bench unless the SQL ranks every entry as the model does.
fn check_agreement(sql: &[SqlStanding], board: &queries::board::Leaderboard) -> Result<()> {
    if sql.len() != board.rows.len() {
        bail!(
            "plain SQL ranks {} entries, the leaderboard {}",
            sql.len(),
            board.rows.len()
        );
    }
    for (s, r) in sql.iter().zip(&board.rows) {
        let same = s.submission_id == r.submission_id
            && usize::try_from(s.rank).ok() == Some(r.rank)
            && usize::try_from(s.judges).ok() == Some(r.judges)
            && (s.raw - r.raw).abs() <= 1e-6;
        if !same {
            bail!(
                "plain SQL and the leaderboard disagree at rank {}: SQL has {} ({} from {} \
                 judges), Rust {} ({} from {} judges)",
                r.rank,
                s.submission_id,
                s.raw,
                s.judges,
                r.submission_id,
                r.raw,
                r.judges
            );
        }
    }
    Ok(())
}

// ---- timing ----

/// Minimum and median of the timed runs.
#[derive(Clone, Copy)]
struct Timing {
    min: Duration,
    median: Duration,
}

impl Timing {
    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1e3
    }
}

/// Runs `f` once to warm caches (the database's pages, prepared
/// statements), then `runs` times; returns the timing and the last output.
fn time<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<(Timing, T)> {
    let mut out = f()?;
    let mut laps = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        out = std::hint::black_box(f()?);
        laps.push(start.elapsed());
    }
    laps.sort();
    let timing = Timing {
        min: laps.first().copied().unwrap_or_default(),
        median: laps.get(laps.len() / 2).copied().unwrap_or_default(),
    };
    Ok((timing, out))
}

fn app(e: tribu::error::AppError) -> anyhow::Error {
    anyhow!("{e:?}")
}

/// The figures of one backend.
struct Report {
    backend: &'static str,
    populate: Duration,
    rows: usize,
    endpoint: Timing,
    endpoint_normalised: Timing,
    standings: Timing,
    ranking: Timing,
    alpha: Timing,
    sql: Timing,
}

/// Creates, fills, checks and times one backend's database.
fn bench_backend(backend: &'static str, url: &str, n: usize, runs: usize) -> Result<Report> {
    let pool = db::connect(url, 1).with_context(|| format!("connect to {backend}"))?;
    let mut conn = pool.get()?;
    db::migrate(&mut conn)?;
    eprintln!("{backend}: writing {n} entries × {JUDGES} judges × 5 criteria…");
    let start = Instant::now();
    let fx = db::write_tx(&mut conn, |c| {
        populate(c, n, "$argon2id$v=19$m=19456,t=2,p=1$bench$bench")
    })?;
    // Fresh planner statistics, as PostgreSQL's autovacuum would have
    // them by the time a round this size is judged (both backends know
    // the statement).
    diesel::sql_query("ANALYZE").execute(&mut *conn)?;
    let populate = start.elapsed();
    eprintln!(
        "{backend}: {} rows in {:.1} s",
        fx.rows,
        populate.as_secs_f64()
    );

    let owner = tribu::auth::store::find_user(&mut conn, &fx.owner_id)?;
    let caller = Principal::User(AuthUser {
        user: owner,
        session_id: String::new(),
    });
    let round_id = fx.round_id.as_str();
    let sql = leaderboard_sql(&conn);

    // The check first: a fast wrong answer would make the ratio meaningless.
    let board = queries::leaderboard_for(&mut conn, &caller, round_id).map_err(app)?;
    let plain = run_sql(&mut conn, &sql, round_id)?;
    check_names(&fx, &board)?;
    check_agreement(&plain, &board)?;
    eprintln!(
        "{backend}: plain SQL and the leaderboard agree on all {} entries",
        plain.len()
    );

    let (endpoint, _) = time(runs, || {
        queries::leaderboard_for(&mut conn, &caller, round_id).map_err(app)
    })?;
    let (sql_t, _) = time(runs, || run_sql(&mut conn, &sql, round_id))?;
    let round = store::find_round(&mut conn, round_id)?;
    let (standings, _) = time(runs, || queries::standings(&mut conn, &round).map_err(app))?;
    let (cards, _) = queries::cards(&mut conn, &round).map_err(app)?;
    let when: HashMap<String, NaiveDateTime> = store::round_entries(&mut conn, round_id)?
        .into_iter()
        .map(|e| (e.submission_id, e.revised_at))
        .collect();
    let (ranking, _) = time(runs, || Ok(model::leaderboard(&cards, false, &when)))?;
    let mut units: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for c in &cards {
        units.entry(&c.entry).or_default().push(c.score);
    }
    let units: Vec<Vec<f64>> = units.into_values().collect();
    let (alpha, _) = time(runs, || Ok(model::krippendorff_alpha(&units)))?;

    // The same endpoint on a round that normalises per judge.
    diesel::update(rounds::table.find(round_id))
        .set(rounds::normalise.eq(true))
        .execute(&mut *conn)?;
    let (endpoint_normalised, _) = time(runs, || {
        queries::leaderboard_for(&mut conn, &caller, round_id).map_err(app)
    })?;
    Ok(Report {
        backend,
        populate,
        rows: fx.rows,
        endpoint,
        endpoint_normalised,
        standings,
        ranking,
        alpha,
        sql: sql_t,
    })
}

fn print_table(reports: &[Report], n: usize, runs: usize) {
    let ms = Timing::ms;
    println!();
    println!(
        "Leaderboard of {n} entries × {JUDGES} judges × {} criteria; ms, median / min of {runs} \
         runs after a warm-up",
        RUBRIC.len()
    );
    println!();
    println!(
        "| backend | endpoint (leaderboard_for) | endpoint, normalised | standings (load + rank) \
         | ranking alone | alpha alone | plain SQL | endpoint / SQL | standings / SQL |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in reports {
        let pair = |t: Timing| format!("{:.1} / {:.1}", ms(t.median), ms(t.min));
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.1}× | {:.1}× |",
            r.backend,
            pair(r.endpoint),
            pair(r.endpoint_normalised),
            pair(r.standings),
            pair(r.ranking),
            pair(r.alpha),
            pair(r.sql),
            ms(r.endpoint.median) / ms(r.sql.median),
            ms(r.standings.median) / ms(r.sql.median),
        );
    }
    println!();
    for r in reports {
        println!(
            "{}: filled with {} rows in {:.1} s (not measured above)",
            r.backend,
            r.rows,
            r.populate.as_secs_f64()
        );
    }
}

fn main() -> Result<()> {
    // `cargo bench` passes `--bench`; anything else (`cargo test --benches`)
    // gets a quick check of the SQL against the model, not the figures.
    let benching = std::env::args().any(|a| a == "--bench");
    let (n, runs) = if benching {
        (
            env_usize("TRIBU_BENCH_ENTRIES", DEFAULT_ENTRIES)?,
            env_usize("TRIBU_BENCH_RUNS", DEFAULT_RUNS)?.max(1),
        )
    } else {
        (200, 1)
    };
    let mut reports = Vec::new();
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    reports.push(bench_backend("SQLite", &sqlite, n, runs)?);
    match std::env::var("TRIBU_BENCH_DATABASE_URL") {
        Ok(server) if !server.is_empty() => {
            let pg = ScratchPg::create(&server)?;
            reports.push(bench_backend("PostgreSQL", &pg.url, n, runs)?);
        }
        _ => {
            eprintln!("PostgreSQL skipped: set TRIBU_BENCH_DATABASE_URL to a server to include it")
        }
    }
    if benching {
        print_table(&reports, n, runs);
    }
    Ok(())
}
