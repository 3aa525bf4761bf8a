//! A deadline rush: 200 solvers enter and keep revising their submissions,
//! all at once, across the challenge's submission deadline, over HTTP.
//!
//! It shows that the server's clock decides, in the transaction of each
//! write: no request fails with a server error; every entry or revision
//! answered 2xx is stored (the revisions in the database are exactly the
//! ones answered, none lost, none extra); nothing is stored at or after the
//! deadline; every request sent after it is refused with 409
//! `deadline_passed` (problem+json); and the revision judged for each
//! submission is the last one accepted.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, NaiveDateTime, Timelike};
use common::fixtures::{id_of, World};
use serde_json::{json, Value};

/// How many solvers rush.
const SOLVERS: usize = 200;
/// How long after the set-up the deadline falls.
const LEAD: Duration = Duration::seconds(5);
/// How long solvers keep trying after the deadline.
const AFTER: Duration = Duration::seconds(2);

/// One request of the rush and its answer.
#[derive(Debug)]
struct Answer {
    /// Taken just before the request left.
    sent: NaiveDateTime,
    /// Taken just after the answer arrived.
    answered: NaiveDateTime,
    status: u16,
    /// The submission it created or revised (empty for a refused entry).
    submission: String,
    /// The revision number an accepted request answered with.
    revision: Option<i64>,
    /// The problem body of a refusal (or of anything not 2xx).
    problem: Option<(String, Value)>,
}

fn clock() -> NaiveDateTime {
    tribu::db::now()
}

/// Sends `req` and records what came back. A refusal must be problem+json.
async fn answer(req: reqwest::RequestBuilder, submission: &str) -> Answer {
    let sent = clock();
    let r = req.send().await.unwrap_or_else(|e| panic!("request: {e}"));
    let answered = clock();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = r.json().await.unwrap_or_default();
    let ok = (200..300).contains(&status);
    Answer {
        sent,
        answered,
        status,
        submission: if ok {
            id_of(&body)
        } else {
            submission.to_owned()
        },
        revision: ok.then(|| body["revision"]["number"].as_i64()).flatten(),
        problem: (!ok).then_some((content_type, body)),
    }
}

/// One solver: enters, then revises in a loop until `stop`.
async fn rush(
    http: reqwest::Client,
    base: String,
    token: String,
    slug: String,
    i: usize,
    stop: NaiveDateTime,
) -> Vec<Answer> {
    let mut out = Vec::new();
    let first = answer(
        http.post(format!("{base}/api/v1/challenges/{slug}/submissions"))
            .bearer_auth(&token)
            .json(&json!({
                "title": format!("Rush entry {i}"),
                "abstract": "A sensor entered in the last seconds.",
                "body": "Revision 1.", "licence": "CC-BY-4.0"
            })),
        "",
    )
    .await;
    let id = first.submission.clone();
    out.push(first);
    if id.is_empty() {
        // Refused: nothing to revise. Keep trying to enter until the end.
        while clock() < stop {
            let again = answer(
                http.post(format!("{base}/api/v1/challenges/{slug}/submissions"))
                    .bearer_auth(&token)
                    .json(&json!({
                        "title": format!("Rush entry {i}"),
                        "abstract": "A sensor entered in the last seconds.",
                        "body": "Late.", "licence": "CC-BY-4.0"
                    })),
                "",
            )
            .await;
            let done = !again.submission.is_empty();
            out.push(again);
            if done {
                break;
            }
        }
        return out;
    }
    let mut k = 1;
    while clock() < stop {
        k += 1;
        out.push(
            answer(
                http.patch(format!("{base}/api/v1/submissions/{id}"))
                    .bearer_auth(&token)
                    .json(&json!({ "body": format!("Revision {k} by solver {i}.") })),
                &id,
            )
            .await,
        );
    }
    out
}

#[derive(diesel::QueryableByName)]
struct StoredRevision {
    #[diesel(sql_type = diesel::sql_types::Text)]
    submission_id: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    number: i32,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    created_at: NaiveDateTime,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_solvers_revise_across_the_deadline() {
    let started = Instant::now();
    // The production defaults for threads and connections, not the small
    // ones other tests run with.
    let w = World::with(|c| {
        let d = tribu::config::Config::default();
        c.http_workers = d.http_workers;
        c.db_pool_size = d.db_pool_size;
    })
    .await;
    let slug = w.open_challenge("Deadline rush", json!({})).await;
    let solvers = w.many_solvers("rush", SOLVERS, &slug).await;
    let setup = started.elapsed();

    // The deadline falls on a whole second, as the API sets them, a few
    // seconds from now.
    let soon = clock() + LEAD;
    let deadline = soon.with_nanosecond(0).unwrap_or(soon) + Duration::seconds(1);
    w.set_submission_deadline(&slug, deadline);
    let stop = deadline + AFTER;

    let tasks: Vec<_> = solvers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            tokio::spawn(rush(
                w.app.http.clone(),
                w.app.addr.clone(),
                t.access.clone(),
                slug.clone(),
                i,
                stop,
            ))
        })
        .collect();
    let mut per_solver = Vec::new();
    for t in tasks {
        match t.await {
            Ok(a) => per_solver.push(a),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    let answers: Vec<&Answer> = per_solver.iter().flatten().collect();
    let rush_time = started.elapsed() - setup;

    // 1. No server error at all.
    let errors: Vec<&&Answer> = answers.iter().filter(|a| a.status >= 500).collect();
    assert!(
        errors.is_empty(),
        "{} of {} requests answered 5xx, e.g. {:?}",
        errors.len(),
        answers.len(),
        errors.first()
    );

    // 2. Every refusal is the closed deadline, as problem+json, answered
    //    after the deadline; every request sent after it was refused.
    for a in answers.iter().copied() {
        if let Some((content_type, body)) = &a.problem {
            assert_eq!(a.status, 409, "refusal: {body}");
            assert!(
                content_type.starts_with("application/problem+json"),
                "content-type {content_type}"
            );
            assert_eq!(body["code"], "deadline_passed", "{body}");
            assert_eq!(body["status"], 409, "{body}");
            assert!(
                a.answered >= deadline,
                "refused before the deadline ({} < {deadline}): {body}",
                a.answered
            );
        } else {
            assert!(
                a.sent < deadline,
                "accepted a request sent after the deadline ({} >= {deadline}): {a:?}",
                a.sent
            );
            assert!(
                a.revision.is_some(),
                "an accepted answer without a revision: {a:?}"
            );
        }
    }
    let late = answers.iter().filter(|a| a.sent >= deadline).count();
    assert!(
        late >= SOLVERS / 2,
        "solvers kept trying after the deadline: only {late} late requests"
    );

    // 3. Nothing lost, nothing extra: per submission, the revisions stored
    //    are exactly those answered 2xx, all made before the deadline.
    let mut accepted: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for a in answers.iter().filter(|a| a.problem.is_none()) {
        accepted
            .entry(a.submission.clone())
            .or_default()
            .extend(a.revision);
    }
    let stored: Vec<StoredRevision> = {
        use diesel::RunQueryDsl;
        let mut conn = w.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        diesel::sql_query(
            "SELECT r.submission_id, r.number, r.created_at FROM revisions r \
             JOIN submissions s ON s.id = r.submission_id \
             JOIN challenges c ON c.id = s.challenge_id WHERE c.slug = $1",
        )
        .bind::<diesel::sql_types::Text, _>(&slug)
        .load(&mut *conn)
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let mut in_db: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in &stored {
        assert!(
            r.created_at < deadline,
            "revision {} of {} stored at {} (deadline {deadline})",
            r.number,
            r.submission_id,
            r.created_at
        );
        in_db
            .entry(r.submission_id.clone())
            .or_default()
            .push(i64::from(r.number));
    }
    for v in accepted.values_mut().chain(in_db.values_mut()) {
        v.sort_unstable();
    }
    let total_ok: usize = accepted.values().map(Vec::len).sum();
    assert_eq!(
        stored.len(),
        total_ok,
        "revisions stored vs. requests answered 2xx"
    );
    assert_eq!(
        in_db, accepted,
        "revisions stored vs. answered, per submission"
    );
    // Enough of a rush to mean something, even on a busy machine: most
    // entries made it in, and revisions were accepted up to the deadline.
    assert!(
        accepted.len() >= SOLVERS / 2,
        "only {} of {SOLVERS} solvers got an entry in before the deadline",
        accepted.len()
    );
    assert!(
        total_ok > accepted.len(),
        "no revision was accepted before the deadline"
    );

    // 4. The revision judged is the last one accepted: in each solver's
    //    view of their entry, and in the history (for a sample of them).
    for (id, numbers) in &accepted {
        let last = numbers.last().copied().unwrap_or_default();
        assert_eq!(
            numbers,
            &(1..=last).collect::<Vec<_>>(),
            "revisions of {id} have gaps"
        );
    }
    for (i, (t, mine)) in solvers.iter().zip(&per_solver).enumerate() {
        let ids: Vec<&str> = mine
            .iter()
            .filter(|a| a.problem.is_none())
            .map(|a| a.submission.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let listed = w
            .app
            .get_json("/api/v1/me/submissions", Some(&t.access))
            .await;
        let listed = listed["data"].as_array().cloned().unwrap_or_default();
        let [id] = ids.as_slice() else {
            assert!(
                ids.is_empty() && listed.is_empty(),
                "solver {i}: {ids:?} {listed:?}"
            );
            continue;
        };
        assert_eq!(listed.len(), 1, "solver {i}: {listed:?}");
        let view = &listed[0];
        let last = accepted[*id].last().copied().unwrap_or_default();
        assert_eq!(view["id"], *id, "solver {i}");
        assert_eq!(
            view["judged_revision"].as_i64(),
            Some(last),
            "solver {i}: the judged revision is the last accepted: {view}"
        );
        assert_eq!(
            view["revision"]["number"].as_i64(),
            Some(last),
            "solver {i}"
        );
        if i % 20 == 0 {
            let revs = w
                .app
                .get_json(
                    &format!("/api/v1/submissions/{id}/revisions"),
                    Some(&t.access),
                )
                .await;
            let judged: Vec<i64> = revs["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["judged"] == true)
                .filter_map(|r| r["number"].as_i64())
                .collect();
            assert_eq!(judged, vec![last], "solver {i}: {revs}");
            assert_eq!(
                revs["data"].as_array().map(Vec::len),
                Some(accepted[*id].len()),
                "solver {i}: {revs}"
            );
        }
    }

    let ok = answers.iter().filter(|a| a.problem.is_none()).count();
    eprintln!(
        "deadline rush: set-up {:.1} s, rush {:.1} s; {} requests, {ok} accepted ({} submissions), {} refused after the deadline; total {:.1} s",
        setup.as_secs_f64(),
        rush_time.as_secs_f64(),
        answers.len(),
        accepted.len(),
        answers.len() - ok,
        started.elapsed().as_secs_f64(),
    );
    assert!(
        started.elapsed() < StdDuration::from_secs(60),
        "the rush took {:?}",
        started.elapsed()
    );
}
