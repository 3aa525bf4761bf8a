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
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};

use tribu::auth::principal::{AuthUser, Principal};
use tribu::db::schema::{
    assignments, challenges, criteria, judges, org_members, orgs, revisions, round_entries,
    round_judges, rounds, scorecards, scores, submissions, team_members, teams, users,
};
use tribu::db::{self, DbConnection};
use tribu::judging::{model, queries, store};

/// The size issue 9 asks about.
const DEFAULT_ENTRIES: usize = 10_000;
const DEFAULT_RUNS: usize = 7;
const JUDGES: usize = 3;
/// The seed of the scores: the same figures on every run and backend.
const SEED: u64 = 9;
/// Bind parameters per insert statement: below SQLite's limit (32,766)
/// and PostgreSQL's (65,535), so one chunking rule serves both.
const MAX_PARAMS: usize = 30_000;

/// The rubric: name, weight, scale minimum, scale maximum. Weights and
/// scales differ so a wrong weighting or scaling in either path shows.
const RUBRIC: [(&str, f64, i32, i32); 5] = [
    ("Impact", 3.0, 1, 10),
    ("Feasibility", 2.0, 0, 5),
    ("Novelty", 1.5, 1, 7),
    ("Evidence", 1.0, 0, 100),
    ("Clarity", 0.5, 1, 3),
];

// ---- the data ----

/// splitmix64: a few lines, seeded, and the same on every platform and
/// version of `rand`, so the scores never change under the bench.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = users)]
struct NewUser {
    id: String,
    email: String,
    display_name: String,
    password_hash: String,
    language: String,
    is_platform_admin: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = orgs)]
struct NewOrg {
    id: String,
    slug: String,
    name: String,
    created_by: String,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = org_members)]
struct NewOrgMember {
    org_id: String,
    user_id: String,
    role: String,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = challenges)]
struct NewChallenge {
    id: String,
    org_id: String,
    slug: String,
    title: String,
    summary: String,
    description_md: String,
    category: String,
    tags: String,
    kind: String,
    currency: String,
    prize_total: i64,
    state: String,
    visibility: String,
    submission_deadline: NaiveDateTime,
    judging_deadline: NaiveDateTime,
    eligibility: String,
    allowed_licences: String,
    max_submissions_per_solver: i32,
    max_team_size: i32,
    blind_judging: bool,
    rules_version: i32,
    review_state: String,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    published_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = teams)]
struct NewTeam {
    id: String,
    challenge_id: String,
    created_by: String,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = team_members)]
struct NewTeamMember {
    team_id: String,
    challenge_id: String,
    user_id: String,
    role: String,
    share_bps: i32,
    joined_at: NaiveDateTime,
    anonymous: bool,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = submissions)]
struct NewSubmission {
    id: String,
    challenge_id: String,
    team_id: String,
    state: String,
    title: String,
    licence: String,
    current_revision: i32,
    publish_opt_in: bool,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    submitted_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = revisions)]
struct NewRevision {
    id: String,
    submission_id: String,
    number: i32,
    title: String,
    abstract_text: String,
    body_md: String,
    licence: String,
    copyright_holders: String,
    attachment_ids: String,
    content_sha256: String,
    created_by: String,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = judges)]
struct NewJudge {
    id: String,
    challenge_id: String,
    email: String,
    user_id: Option<String>,
    status: String,
    token_hash: String,
    invited_by: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    responded_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = rounds)]
struct NewRound {
    id: String,
    challenge_id: String,
    number: i32,
    name: String,
    state: String,
    judges_per_entry: i32,
    normalise: bool,
    assignment_seed: i64,
    created_at: NaiveDateTime,
    opened_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = round_judges)]
struct NewRoundJudge {
    round_id: String,
    judge_id: String,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = criteria)]
struct NewCriterion {
    id: String,
    round_id: String,
    position: i32,
    name: String,
    description: String,
    weight: f64,
    scale_min: i32,
    scale_max: i32,
    comment_required: bool,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = round_entries)]
struct NewRoundEntry {
    round_id: String,
    submission_id: String,
    revision: i32,
    revised_at: NaiveDateTime,
    code: String,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = assignments)]
struct NewAssignment {
    id: String,
    round_id: String,
    judge_id: String,
    submission_id: String,
    manual: bool,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = scorecards)]
struct NewScorecard {
    id: String,
    assignment_id: String,
    round_id: String,
    judge_id: String,
    submission_id: String,
    state: String,
    total: Option<f64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    submitted_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = scores)]
struct NewScore {
    scorecard_id: String,
    criterion_id: String,
    score: i32,
    comment: String,
}

/// Inserts `rows` (structs of `cols` columns) in multi-row statements of
/// at most [`MAX_PARAMS`] bind parameters. On the backend's own connection:
/// diesel's multi-backend connection has no multi-row `INSERT`.
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr, $cols:expr) => {
        for chunk in $rows.chunks(MAX_PARAMS / $cols) {
            match &mut *$conn {
                DbConnection::Postgresql(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?;
                }
                DbConnection::Sqlite(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?;
                }
            }
        }
    };
}

/// What the timings need from the filled database.
struct Fixture {
    round_id: String,
    owner_id: String,
    /// Per entry: its title, its team's names, its neutral code.
    named: HashMap<String, (String, String, String)>,
    /// Rows written, for the report.
    rows: usize,
}

fn at(day: u32, secs: i64) -> Result<NaiveDateTime> {
    let midnight = NaiveDate::from_ymd_opt(2026, 3, day)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or_else(|| anyhow!("bad fixture date"))?;
    Ok(midnight + chrono::Duration::seconds(secs))
}

/// Fills an empty, migrated database with one round of `n` entries, each
/// scored by every judge. Rows are written as the app writes them (same
/// states, a revision in force per entry, totals on the scorecards), but
/// in bulk: going through the services would take far longer than the
/// thing measured.
fn populate(conn: &mut DbConnection, n: usize) -> Result<Fixture> {
    let mut rng = Rng(SEED);
    let t0 = at(1, 0)?;
    let deadline = at(10, 0)?;
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$bench$bench".to_owned();
    let user = |id: &str, i: usize, name: String| NewUser {
        id: id.to_owned(),
        email: format!("user{i}@bench.example"),
        display_name: name,
        password_hash: hash.clone(),
        language: "en".into(),
        is_platform_admin: false,
        created_at: t0,
        updated_at: t0,
    };

    let owner_id = db::new_id();
    let org_id = db::new_id();
    let ch_id = db::new_id();
    let round_id = db::new_id();
    let judge_users: Vec<String> = (0..JUDGES).map(|_| db::new_id()).collect();
    let judge_ids: Vec<String> = (0..JUDGES).map(|_| db::new_id()).collect();
    let solver_ids: Vec<String> = (0..n).map(|_| db::new_id()).collect();
    let team_ids: Vec<String> = (0..n).map(|_| db::new_id()).collect();
    let sub_ids: Vec<String> = (0..n).map(|_| db::new_id()).collect();
    let crit_ids: Vec<String> = RUBRIC.iter().map(|_| db::new_id()).collect();

    let mut people = vec![user(&owner_id, 0, "Olga Owner".into())];
    for (j, id) in judge_users.iter().enumerate() {
        people.push(user(id, 1 + j, format!("Judge {j}")));
    }
    for (i, id) in solver_ids.iter().enumerate() {
        people.push(user(id, 1 + JUDGES + i, format!("Solver {i}")));
    }
    let mut rows = people.len();
    insert_all!(conn, users::table, people, 8);

    diesel::insert_into(orgs::table)
        .values(NewOrg {
            id: org_id.clone(),
            slug: "bench-org".into(),
            name: "Bench Org".into(),
            created_by: owner_id.clone(),
            created_at: t0,
        })
        .execute(conn)?;
    diesel::insert_into(org_members::table)
        .values(NewOrgMember {
            org_id: org_id.clone(),
            user_id: owner_id.clone(),
            role: "owner".into(),
            created_at: t0,
        })
        .execute(conn)?;
    diesel::insert_into(challenges::table)
        .values(NewChallenge {
            id: ch_id.clone(),
            org_id: org_id.clone(),
            slug: "bench-leaderboard".into(),
            title: "Leaderboard bench".into(),
            summary: "Ten thousand entries".into(),
            description_md: "A challenge for the leaderboard bench.".into(),
            category: "software".into(),
            tags: "bench".into(),
            kind: "software".into(),
            currency: "EUR".into(),
            prize_total: 1_000_000,
            state: "judging".into(),
            visibility: "public".into(),
            submission_deadline: deadline,
            judging_deadline: at(30, 0)?,
            eligibility: String::new(),
            allowed_licences: "MIT".into(),
            max_submissions_per_solver: 1,
            max_team_size: 5,
            blind_judging: false,
            rules_version: 1,
            review_state: "none".into(),
            created_by: owner_id.clone(),
            created_at: t0,
            updated_at: t0,
            published_at: Some(t0),
        })
        .execute(conn)?;
    rows += 3;

    let new_teams: Vec<NewTeam> = (0..n)
        .map(|i| NewTeam {
            id: team_ids[i].clone(),
            challenge_id: ch_id.clone(),
            created_by: solver_ids[i].clone(),
            created_at: t0,
        })
        .collect();
    insert_all!(conn, teams::table, new_teams, 4);
    let members: Vec<NewTeamMember> = (0..n)
        .map(|i| NewTeamMember {
            team_id: team_ids[i].clone(),
            challenge_id: ch_id.clone(),
            user_id: solver_ids[i].clone(),
            role: "submitter".into(),
            share_bps: 10_000,
            joined_at: t0,
            anonymous: false,
        })
        .collect();
    insert_all!(conn, team_members::table, members, 7);

    // Final revisions within five days at whole seconds: a few hundred
    // entries share a time, so the last tie-break (the id) is used too.
    let revised: Vec<NaiveDateTime> = (0..n)
        .map(|_| at(2, (rng.next() % (5 * 86_400)) as i64))
        .collect::<Result<_>>()?;
    let subs: Vec<NewSubmission> = (0..n)
        .map(|i| NewSubmission {
            id: sub_ids[i].clone(),
            challenge_id: ch_id.clone(),
            team_id: team_ids[i].clone(),
            state: "submitted".into(),
            title: format!("Entry number {i}"),
            licence: "MIT".into(),
            current_revision: 1,
            publish_opt_in: false,
            created_by: solver_ids[i].clone(),
            created_at: revised[i],
            updated_at: revised[i],
            submitted_at: Some(revised[i]),
        })
        .collect();
    insert_all!(conn, submissions::table, subs, 12);
    let revs: Vec<NewRevision> = (0..n)
        .map(|i| NewRevision {
            id: db::new_id(),
            submission_id: sub_ids[i].clone(),
            number: 1,
            title: format!("Entry number {i}"),
            abstract_text: "An abstract.".into(),
            body_md: "A body.".into(),
            licence: "MIT".into(),
            copyright_holders: format!("Solver {i}"),
            attachment_ids: "[]".into(),
            content_sha256: format!("{:064x}", i),
            created_by: solver_ids[i].clone(),
            created_at: revised[i],
        })
        .collect();
    insert_all!(conn, revisions::table, revs, 12);
    rows += 4 * n;

    let expires = at(15, 0)?;
    let panel: Vec<NewJudge> = (0..JUDGES)
        .map(|j| NewJudge {
            id: judge_ids[j].clone(),
            challenge_id: ch_id.clone(),
            email: format!("user{}@bench.example", 1 + j),
            user_id: Some(judge_users[j].clone()),
            status: "active".into(),
            token_hash: format!("bench-token-{j}"),
            invited_by: owner_id.clone(),
            created_at: t0,
            expires_at: expires,
            responded_at: Some(t0),
        })
        .collect();
    insert_all!(conn, judges::table, panel, 10);
    diesel::insert_into(rounds::table)
        .values(NewRound {
            id: round_id.clone(),
            challenge_id: ch_id.clone(),
            number: 1,
            name: "Final".into(),
            state: "closed".into(),
            judges_per_entry: JUDGES as i32,
            normalise: false,
            assignment_seed: SEED as i64,
            created_at: deadline,
            opened_at: Some(deadline),
            closed_at: Some(at(20, 0)?),
        })
        .execute(conn)?;
    let on_round: Vec<NewRoundJudge> = judge_ids
        .iter()
        .map(|j| NewRoundJudge {
            round_id: round_id.clone(),
            judge_id: j.clone(),
        })
        .collect();
    insert_all!(conn, round_judges::table, on_round, 2);
    let rubric: Vec<NewCriterion> = RUBRIC
        .iter()
        .enumerate()
        .map(|(k, (name, weight, lo, hi))| NewCriterion {
            id: crit_ids[k].clone(),
            round_id: round_id.clone(),
            position: k as i32,
            name: (*name).into(),
            description: String::new(),
            weight: *weight,
            scale_min: *lo,
            scale_max: *hi,
            comment_required: false,
        })
        .collect();
    insert_all!(conn, criteria::table, rubric, 9);
    let codes = model::neutral_codes(&round_id, &sub_ids);
    let entries: Vec<NewRoundEntry> = (0..n)
        .map(|i| NewRoundEntry {
            round_id: round_id.clone(),
            submission_id: sub_ids[i].clone(),
            revision: 1,
            revised_at: revised[i],
            code: codes.get(&sub_ids[i]).cloned().unwrap_or_default(),
        })
        .collect();
    insert_all!(conn, round_entries::table, entries, 5);
    rows += JUDGES * 2 + 1 + RUBRIC.len() + n;

    // Every judge scores every entry: an entry's merit, the judge's
    // leniency and some noise per criterion, placed on each scale.
    let leniency = [-0.15, 0.0, 0.12];
    let merit: Vec<f64> = (0..n).map(|_| rng.unit()).collect();
    let rubric_model: Vec<model::Criterion> = RUBRIC
        .iter()
        .enumerate()
        .map(|(k, (name, weight, lo, hi))| model::Criterion {
            id: crit_ids[k].clone(),
            name: (*name).into(),
            description: String::new(),
            weight: *weight,
            scale_min: *lo,
            scale_max: *hi,
            comment_required: false,
        })
        .collect();
    let (mut assigned, mut cards, mut marks) = (Vec::new(), Vec::new(), Vec::new());
    for (j, judge) in judge_ids.iter().enumerate() {
        for (i, sub) in sub_ids.iter().enumerate() {
            let (assignment, card) = (db::new_id(), db::new_id());
            let mut given = BTreeMap::new();
            for c in &rubric_model {
                let x = (merit[i] + leniency[j % 3] + 0.4 * (rng.unit() - 0.5)).clamp(0.0, 1.0);
                let s = c.scale_min + (x * f64::from(c.scale_max - c.scale_min)).round() as i32;
                given.insert(c.id.clone(), s);
                marks.push(NewScore {
                    scorecard_id: card.clone(),
                    criterion_id: c.id.clone(),
                    score: s,
                    comment: String::new(),
                });
            }
            let done = at(21, (j * n + i) as i64)?;
            assigned.push(NewAssignment {
                id: assignment.clone(),
                round_id: round_id.clone(),
                judge_id: judge.clone(),
                submission_id: sub.clone(),
                manual: false,
                created_at: deadline,
            });
            cards.push(NewScorecard {
                id: card,
                assignment_id: assignment,
                round_id: round_id.clone(),
                judge_id: judge.clone(),
                submission_id: sub.clone(),
                state: store::card_state::SUBMITTED.into(),
                total: model::weighted_score(&rubric_model, &given),
                created_at: done,
                updated_at: done,
                submitted_at: Some(done),
            });
        }
    }
    rows += assigned.len() + cards.len() + marks.len();
    insert_all!(conn, assignments::table, assigned, 6);
    insert_all!(conn, scorecards::table, cards, 10);
    insert_all!(conn, scores::table, marks, 4);
    let named = (0..n)
        .map(|i| {
            let code = codes.get(&sub_ids[i]).cloned().unwrap_or_default();
            let label = (format!("Entry number {i}"), format!("Solver {i}"), code);
            (sub_ids[i].clone(), label)
        })
        .collect();
    Ok(Fixture {
        round_id,
        owner_id,
        named,
        rows,
    })
}

// ---- the plain SQL ----

/// One row of the plain SQL's leaderboard.
#[derive(QueryableByName)]
struct SqlStanding {
    #[diesel(sql_type = Text)]
    submission_id: String,
    #[diesel(sql_type = Double)]
    raw: f64,
    #[diesel(sql_type = BigInt)]
    judges: i64,
    #[diesel(sql_type = BigInt)]
    rank: i64,
}

/// The leaderboard as one query. The two backends differ only in the bind
/// placeholder and in rounding: PostgreSQL rounds `numeric`, not `double
/// precision`. A card counts only when every criterion of the rubric is
/// scored (the `HAVING`), as `model::weighted_score` requires. Cards are
/// grouped by the scorecard's key: a scorecard is one judge × entry (one
/// per assignment, itself unique per round, judge and entry), and its key
/// lets SQLite aggregate in index order rather than through a temporary
/// B-tree (half the time of `GROUP BY judge_id, submission_id` there; the
/// same on PostgreSQL).
fn leaderboard_sql(conn: &DbConnection) -> String {
    let (p, rounded) = match conn {
        DbConnection::Sqlite(_) => ("?1", "ROUND(AVG(total), 4)"),
        DbConnection::Postgresql(_) => ("$1", "ROUND(AVG(total)::numeric, 4)::float8"),
    };
    format!(
        "WITH card AS ( \
           SELECT sc.submission_id, \
                  100 * SUM(c.weight * (s.score - c.scale_min) / (c.scale_max - c.scale_min)) \
                      / SUM(c.weight) AS total \
           FROM scorecards sc \
           JOIN scores s ON s.scorecard_id = sc.id \
           JOIN criteria c ON c.id = s.criterion_id AND c.round_id = sc.round_id \
           WHERE sc.round_id = {p} AND sc.state = 'submitted' \
           GROUP BY sc.id, sc.submission_id \
           HAVING COUNT(*) = (SELECT COUNT(*) FROM criteria WHERE round_id = {p}) \
         ), entry AS ( \
           SELECT submission_id, {rounded} AS raw, COUNT(*) AS judges \
           FROM card GROUP BY submission_id \
         ) \
         SELECT e.submission_id, e.raw, e.judges, \
                ROW_NUMBER() OVER (ORDER BY e.raw DESC, re.revised_at ASC, e.submission_id ASC) \
                    AS rank \
         FROM entry e \
         LEFT JOIN round_entries re ON re.round_id = {p} AND re.submission_id = e.submission_id \
         ORDER BY rank"
    )
}

fn run_sql(conn: &mut DbConnection, sql: &str, round_id: &str) -> Result<Vec<SqlStanding>> {
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(round_id)
        .load(conn)?)
}

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
    let fx = db::write_tx(&mut conn, |c| populate(c, n))?;
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

/// A throwaway PostgreSQL database, dropped when this goes out of scope
/// (also when the bench stops on an error).
struct ScratchPg {
    server: String,
    name: String,
    url: String,
}

impl ScratchPg {
    fn create(server: &str) -> Result<Self> {
        let name = format!("tribu_bench_{}", uuid::Uuid::new_v4().simple());
        let mut admin = diesel::PgConnection::establish(server)
            .context("cannot reach TRIBU_BENCH_DATABASE_URL")?;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut admin)?;
        let mut u = url::Url::parse(server).context("TRIBU_BENCH_DATABASE_URL is not a URL")?;
        u.set_path(&format!("/{name}"));
        Ok(ScratchPg {
            server: server.to_owned(),
            name,
            url: u.to_string(),
        })
    }
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        if let Ok(mut admin) = diesel::PgConnection::establish(&self.server) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

fn env_usize(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .with_context(|| format!("{name} must be a whole number")),
        _ => Ok(default),
    }
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
