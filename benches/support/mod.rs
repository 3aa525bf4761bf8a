//! Data and helpers shared by the benches: the bulk-written judged round
//! of issue 9 (users, an organisation, a challenge in judging, `n` entries,
//! three judges who scored every entry), the same leaderboard as one plain
//! SQL query, and a throwaway PostgreSQL database.
//!
//! Rows are written as the app writes them (same states, a revision in
//! force per entry, totals on the scorecards), but in bulk: going through
//! the services would take far longer than the things measured.

// Each bench uses a part of this module.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};

use anyhow::{anyhow, Context, Result};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};

use tribu::db::schema::{
    assignments, challenges, criteria, judges, org_members, orgs, revisions, round_entries,
    round_judges, rounds, scorecards, scores, submissions, team_members, teams, users,
};
use tribu::db::{self, DbConnection};
use tribu::judging::{model, store};

pub const JUDGES: usize = 3;
/// The seed of the scores: the same figures on every run and backend.
pub const SEED: u64 = 9;
/// Bind parameters per insert statement: below SQLite's limit (32,766)
/// and PostgreSQL's (65,535), so one chunking rule serves both.
pub const MAX_PARAMS: usize = 30_000;

/// The rubric: name, weight, scale minimum, scale maximum. Weights and
/// scales differ so a wrong weighting or scaling in either path shows.
pub const RUBRIC: [(&str, f64, i32, i32); 5] = [
    ("Impact", 3.0, 1, 10),
    ("Feasibility", 2.0, 0, 5),
    ("Novelty", 1.5, 1, 7),
    ("Evidence", 1.0, 0, 100),
    ("Clarity", 0.5, 1, 3),
];

// ---- the data ----

/// splitmix64: a few lines, seeded, and the same on every platform and
/// version of `rand`, so the scores never change under the bench.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub language: String,
    pub is_platform_admin: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = orgs)]
pub struct NewOrg {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = org_members)]
pub struct NewOrgMember {
    pub org_id: String,
    pub user_id: String,
    pub role: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = challenges)]
pub struct NewChallenge {
    pub id: String,
    pub org_id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub description_md: String,
    pub category: String,
    pub tags: String,
    pub kind: String,
    pub currency: String,
    pub prize_total: i64,
    pub state: String,
    pub visibility: String,
    pub submission_deadline: NaiveDateTime,
    pub judging_deadline: NaiveDateTime,
    pub eligibility: String,
    pub allowed_licences: String,
    pub max_submissions_per_solver: i32,
    pub max_team_size: i32,
    pub blind_judging: bool,
    pub rules_version: i32,
    pub review_state: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = teams)]
pub struct NewTeam {
    pub id: String,
    pub challenge_id: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = team_members)]
pub struct NewTeamMember {
    pub team_id: String,
    pub challenge_id: String,
    pub user_id: String,
    pub role: String,
    pub share_bps: i32,
    pub joined_at: NaiveDateTime,
    pub anonymous: bool,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = submissions)]
pub struct NewSubmission {
    pub id: String,
    pub challenge_id: String,
    pub team_id: String,
    pub state: String,
    pub title: String,
    pub licence: String,
    pub current_revision: i32,
    pub publish_opt_in: bool,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = revisions)]
pub struct NewRevision {
    pub id: String,
    pub submission_id: String,
    pub number: i32,
    pub title: String,
    pub abstract_text: String,
    pub body_md: String,
    pub licence: String,
    pub copyright_holders: String,
    pub attachment_ids: String,
    pub content_sha256: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = judges)]
pub struct NewJudge {
    pub id: String,
    pub challenge_id: String,
    pub email: String,
    pub user_id: Option<String>,
    pub status: String,
    pub token_hash: String,
    pub invited_by: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub responded_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = rounds)]
pub struct NewRound {
    pub id: String,
    pub challenge_id: String,
    pub number: i32,
    pub name: String,
    pub state: String,
    pub judges_per_entry: i32,
    pub normalise: bool,
    pub assignment_seed: i64,
    pub created_at: NaiveDateTime,
    pub opened_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = round_judges)]
pub struct NewRoundJudge {
    pub round_id: String,
    pub judge_id: String,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = criteria)]
pub struct NewCriterion {
    pub id: String,
    pub round_id: String,
    pub position: i32,
    pub name: String,
    pub description: String,
    pub weight: f64,
    pub scale_min: i32,
    pub scale_max: i32,
    pub comment_required: bool,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = round_entries)]
pub struct NewRoundEntry {
    pub round_id: String,
    pub submission_id: String,
    pub revision: i32,
    pub revised_at: NaiveDateTime,
    pub code: String,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = assignments)]
pub struct NewAssignment {
    pub id: String,
    pub round_id: String,
    pub judge_id: String,
    pub submission_id: String,
    pub manual: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = scorecards)]
pub struct NewScorecard {
    pub id: String,
    pub assignment_id: String,
    pub round_id: String,
    pub judge_id: String,
    pub submission_id: String,
    pub state: String,
    pub total: Option<f64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(table_name = scores)]
pub struct NewScore {
    pub scorecard_id: String,
    pub criterion_id: String,
    pub score: i32,
    pub comment: String,
}

/// Inserts `rows` (structs of `cols` columns) in multi-row statements of
/// at most [`MAX_PARAMS`] bind parameters. On the backend's own connection:
/// diesel's multi-backend connection has no multi-row `INSERT`.
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr, $cols:expr) => {
        for chunk in $rows.chunks($crate::support::MAX_PARAMS / $cols) {
            match &mut *$conn {
                tribu::db::DbConnection::Postgresql(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?;
                }
                tribu::db::DbConnection::Sqlite(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?;
                }
            }
        }
    };
}

/// What the timings need from the filled database.
pub struct Fixture {
    pub round_id: String,
    pub owner_id: String,
    pub org_id: String,
    /// The challenge in judging.
    pub challenge_id: String,
    /// Judges' user ids (emails `user{1 + j}@bench.example`) and judge ids.
    pub judge_users: Vec<String>,
    pub judge_ids: Vec<String>,
    /// Solvers' user ids (emails `user{1 + JUDGES + i}@bench.example`).
    pub solver_ids: Vec<String>,
    /// The entries, in the order of `solver_ids`.
    pub sub_ids: Vec<String>,
    /// Per entry: its title, its team's names, its neutral code.
    pub named: HashMap<String, (String, String, String)>,
    /// Rows written, for the report.
    pub rows: usize,
}

/// The criteria rows of [`RUBRIC`] for a round, with the given ids.
pub fn rubric_rows(round_id: &str, ids: &[String]) -> Vec<NewCriterion> {
    RUBRIC
        .iter()
        .zip(ids)
        .enumerate()
        .map(|(k, ((name, weight, lo, hi), id))| NewCriterion {
            id: id.clone(),
            round_id: round_id.to_owned(),
            position: k as i32,
            name: (*name).into(),
            description: String::new(),
            weight: *weight,
            scale_min: *lo,
            scale_max: *hi,
            comment_required: false,
        })
        .collect()
}

pub fn at(day: u32, secs: i64) -> Result<NaiveDateTime> {
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
/// Everyone gets `password_hash` (the leaderboard bench never signs in).
pub fn populate(conn: &mut DbConnection, n: usize, password_hash: &str) -> Result<Fixture> {
    let mut rng = Rng(SEED);
    let t0 = at(1, 0)?;
    let deadline = at(10, 0)?;
    let hash = password_hash.to_owned();
    let user = |id: &str, i: usize, name: String| NewUser {
        id: id.to_owned(),
        email: format!("user{i}@bench.example"),
        display_name: name,
        password_hash: hash.clone(),
        email_verified_at: Some(t0),
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
    insert_all!(conn, users::table, people, 9);

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
    let rubric = rubric_rows(&round_id, &crit_ids);
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
        org_id,
        challenge_id: ch_id,
        judge_users,
        judge_ids,
        solver_ids,
        sub_ids,
        named,
        rows,
    })
}

// ---- the plain SQL ----

/// One row of the plain SQL's leaderboard.
#[derive(QueryableByName)]
pub struct SqlStanding {
    #[diesel(sql_type = Text)]
    pub submission_id: String,
    #[diesel(sql_type = Double)]
    pub raw: f64,
    #[diesel(sql_type = BigInt)]
    pub judges: i64,
    #[diesel(sql_type = BigInt)]
    pub rank: i64,
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
pub fn leaderboard_sql(conn: &DbConnection) -> String {
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

pub fn run_sql(conn: &mut DbConnection, sql: &str, round_id: &str) -> Result<Vec<SqlStanding>> {
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(round_id)
        .load(conn)?)
}

/// A throwaway PostgreSQL database, dropped when this goes out of scope
/// (also when the bench stops on an error).
pub struct ScratchPg {
    pub server: String,
    pub name: String,
    pub url: String,
}

impl ScratchPg {
    pub fn create(server: &str) -> Result<Self> {
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

pub fn env_usize(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .with_context(|| format!("{name} must be a whole number")),
        _ => Ok(default),
    }
}
