//! Judging over the API: the panel, rounds with a rubric, conflicts,
//! assignment, scorecards and their refusals, the leaderboard and its CSV,
//! results that move escrow once, and blind judging that names nobody.

mod common;

use std::collections::BTreeMap;

use common::fixtures::{id_of, World};
use common::visitor::Visitor;
use common::{assert_problem, Tokens};
use serde_json::{json, Value};

/// A closed challenge with three entries (one by a team of two) and a panel
/// of three judges who accepted.
struct Judged {
    w: World,
    slug: String,
    solvers: Vec<Tokens>,
    /// The entries' ids; the first is Ada's, with Dee as co-author.
    entries: Vec<String>,
    /// Dee, Ada's co-author.
    dee: Tokens,
    judges: Vec<(Tokens, String)>,
}

async fn judged(blind: bool) -> Judged {
    let w = World::new().await;
    let slug = w
        .open_challenge(
            "Clean rivers",
            json!({
                "blind_judging": blind,
                "prize_tiers": [
                    { "rank": 1, "label": "Winner", "amount": 60000 },
                    { "rank": 2, "label": "Runner-up", "amount": 40000 }
                ]
            }),
        )
        .await;
    let names = [
        ("ada@solvers.org", "Ada Lovelace"),
        ("bob@solvers.org", "Bob Marley"),
        ("cy@solvers.org", "Cy Twombly"),
    ];
    let mut solvers = Vec::new();
    let mut entries = Vec::new();
    for (i, (email, name)) in names.iter().enumerate() {
        let t = w.solver(email, name, &slug).await;
        let s = w
            .submit(&t, &slug, &format!("Sensor idea {i}"), false)
            .await;
        entries.push(id_of(&s));
        solvers.push(t);
    }
    // Ada's entry has a co-author, Dee.
    let dee = w.solver("dee@solvers.org", "Dee Dee Ramone", &slug).await;
    let r = w
        .app
        .post(
            &format!("/api/v1/submissions/{}/team/invitations", entries[0]),
            Some(&solvers[0].access),
            json!({ "email": "dee@solvers.org" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let token = w
        .app
        .token_from_email("dee@solvers.org", "/team-invitations/")
        .await;
    let r = w
        .app
        .post(
            "/api/v1/team-invitations/accept",
            Some(&dee.access),
            json!({ "token": token }),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    // A file with a revealing name.
    let r = w
        .upload(
            &solvers[0],
            &entries[0],
            "Ada Lovelace design.pdf",
            b"%PDF-1.4 lovelace",
        )
        .await;
    assert_eq!(r.status(), 201);
    let mut judges = Vec::new();
    for (email, name) in [
        ("jo@judges.org", "Jo Judge"),
        ("kim@judges.org", "Kim Judge"),
        ("lu@judges.org", "Lu Judge"),
    ] {
        let t = w.app.signed_in(email, name).await;
        let id = w.judge(&t, email, &slug).await;
        judges.push((t, id));
    }
    w.close_submissions(&slug);
    Judged {
        w,
        slug,
        solvers,
        entries,
        dee,
        judges,
    }
}

async fn json_of(r: reqwest::Response) -> Value {
    r.json().await.unwrap_or_default()
}

/// The judge's assignments.
async fn assignments(w: &World, t: &Tokens) -> Vec<Value> {
    json_of(w.app.get("/api/v1/me/assignments", Some(&t.access)).await).await["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Scores every assignment of a judge: Impact `base`, Feasibility 3.
async fn score_all(w: &World, t: &Tokens, base: i32, criteria: &[Value]) {
    for a in assignments(w, t).await {
        let mut scores = BTreeMap::new();
        let mut comments = BTreeMap::new();
        scores.insert(criteria[0]["id"].as_str().unwrap_or("").to_owned(), base);
        scores.insert(criteria[1]["id"].as_str().unwrap_or("").to_owned(), 3);
        comments.insert(
            criteria[0]["id"].as_str().unwrap_or("").to_owned(),
            "Solid.".to_owned(),
        );
        let r = w
            .app
            .http
            .put(
                w.app
                    .url(&format!("/api/v1/assignments/{}/scorecard", id_of(&a))),
            )
            .bearer_auth(&t.access)
            .json(&json!({ "scores": scores, "comments": comments, "submit": true }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }
}

#[tokio::test]
async fn a_round_from_panel_to_published_results() {
    let j = judged(false).await;
    let w = &j.w;
    let round = w.round(&j.slug, 2, json!({ "normalise": true })).await;
    let rid = id_of(&round);
    let criteria = round["criteria"].as_array().cloned().unwrap_or_default();
    // The first round's rubric is public.
    let public = json_of(
        w.app
            .get(&format!("/api/v1/challenges/{}/rounds", j.slug), None)
            .await,
    )
    .await;
    assert_eq!(public["data"][0]["criteria"][0]["name"], "Impact");
    assert!(public["data"][0].get("progress").is_none());

    let r = w
        .app
        .post(
            &format!("/api/v1/rounds/{rid}/open"),
            Some(&w.owner.access),
            json!({}),
        )
        .await;
    let opened = json_of(r).await;
    assert_eq!(opened["assignment"]["total"], 6, "{opened}");
    assert_eq!(
        opened["assignment"]["short"].as_array().map(Vec::len),
        Some(0)
    );
    let ch = json_of(
        w.app
            .get(&format!("/api/v1/challenges/{}", j.slug), None)
            .await,
    )
    .await;
    assert_eq!(ch["state"], "judging");

    // A judge declares a conflict: the pair goes, another judge takes it.
    let (jo, _) = &j.judges[0];
    let mine = assignments(w, jo).await;
    let conflicted = mine[0]["submission_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = w
        .app
        .post(
            &format!("/api/v1/rounds/{rid}/conflicts"),
            Some(&jo.access),
            json!({ "submission_id": conflicted, "reason": "My former student." }),
        )
        .await;
    assert_eq!(r.status(), 204);
    let after = assignments(w, jo).await;
    assert!(after
        .iter()
        .all(|a| a["submission_id"] != conflicted.as_str()));
    let board_round = json_of(
        w.app
            .get(&format!("/api/v1/rounds/{rid}"), Some(&w.owner.access))
            .await,
    )
    .await;
    let per_entry = board_round["progress"]["per_entry"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        per_entry
            .iter()
            .all(|e| e["judges"].as_array().map(Vec::len) == Some(2)),
        "{per_entry:?}"
    );

    // Refusals: out of scale 422; someone else's assignment 404.
    let a0 = id_of(&after[0]);
    let bad =
        json!({ "scores": { criteria[0]["id"].as_str().unwrap_or(""): 11 }, "submit": false });
    let put = |who: &Tokens, id: &str, body: Value| {
        w.app
            .http
            .put(w.app.url(&format!("/api/v1/assignments/{id}/scorecard")))
            .bearer_auth(&who.access)
            .json(&body)
            .send()
    };
    let r = put(jo, &a0, bad).await.unwrap_or_else(|e| panic!("{e}"));
    assert_problem(r, 422, "validation_failed").await;
    let (kim, _) = &j.judges[1];
    let r = put(kim, &a0, json!({ "submit": false }))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_problem(r, 404, "not_found").await;

    // Everyone scores; Kim is lenient by two points on Impact.
    score_all(w, jo, 6, &criteria).await;
    score_all(w, kim, 8, &criteria).await;
    score_all(w, &j.judges[2].0, 5, &criteria).await;

    // The organisation of another challenge sees nothing.
    let other = w.app.signed_in("other@org.org", "Other Org").await;
    w.create_org(&other, "other-lab", "Other Lab").await;
    assert_problem(
        w.app
            .get(
                &format!("/api/v1/rounds/{rid}/leaderboard"),
                Some(&other.access),
            )
            .await,
        404,
        "not_found",
    )
    .await;
    // Nor does a solver.
    assert_problem(
        w.app
            .get(
                &format!("/api/v1/rounds/{rid}/leaderboard"),
                Some(&j.solvers[0].access),
            )
            .await,
        404,
        "not_found",
    )
    .await;

    let board = json_of(
        w.app
            .get(
                &format!("/api/v1/rounds/{rid}/leaderboard"),
                Some(&w.owner.access),
            )
            .await,
    )
    .await;
    let rows = board["rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["rank"], 1);
    // Each row names its entry; the organisation sees every team, its
    // members in the order they joined.
    let team_of = |title: &str| {
        rows.iter()
            .find(|r| r["title"] == title)
            .map(|r| r["team"].clone())
            .unwrap_or_default()
    };
    assert_eq!(team_of("Sensor idea 0"), "Ada Lovelace, Dee Dee Ramone");
    assert_eq!(team_of("Sensor idea 1"), "Bob Marley");
    assert!(
        rows.iter()
            .all(|r| r["code"].as_str().is_some_and(|c| c.starts_with("E-"))),
        "{rows:?}"
    );

    // The CSV parses back to the same numbers.
    let csv_text = w
        .app
        .get(
            &format!("/api/v1/rounds/{rid}/leaderboard.csv"),
            Some(&w.owner.access),
        )
        .await
        .text()
        .await
        .unwrap_or_default();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().cloned().unwrap_or_default();
    assert_eq!(&headers[0], "rank");
    for (row, rec) in rows.iter().zip(reader.records()) {
        let rec = rec.unwrap_or_default();
        assert_eq!(
            rec[0].parse::<usize>().ok(),
            row["rank"].as_u64().map(|n| n as usize)
        );
        assert_eq!(rec[4].parse::<f64>().ok(), row["raw"].as_f64());
        assert_eq!(rec[5].parse::<f64>().ok(), row["normalised"].as_f64());
    }
    let cards_csv = w
        .app
        .get(
            &format!("/api/v1/rounds/{rid}/scorecards.csv"),
            Some(&w.owner.access),
        )
        .await
        .text()
        .await
        .unwrap_or_default();
    let mut reader = csv::Reader::from_reader(cards_csv.as_bytes());
    assert_eq!(reader.records().count(), 6);

    // Closing freezes scorecards.
    let r = w
        .app
        .post(
            &format!("/api/v1/rounds/{rid}/close"),
            Some(&w.owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = put(jo, &a0, json!({ "submit": false }))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_problem(r, 409, "round_closed").await;

    // Results: first tier to the best entry, the second withheld; twice at
    // once moves money once.
    let winner = rows[0]["submission_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let body = json!({ "tiers": [ { "rank": 1, "entries": [winner] }, { "rank": 2, "entries": [] } ], "show_scores": true });
    let path = format!("/api/v1/challenges/{}/results", j.slug);
    let (a, b) = tokio::join!(
        w.app.post(&path, Some(&w.owner.access), body.clone()),
        w.app.post(&path, Some(&w.owner.access), body.clone())
    );
    let statuses = [a.status().as_u16(), b.status().as_u16()];
    assert!(
        statuses.contains(&201) && statuses.contains(&409),
        "{statuses:?}"
    );
    w.assert_ledger_balanced();
    let escrow = json_of(
        w.app
            .get(
                &format!("/api/v1/challenges/{}/escrow", j.slug),
                Some(&w.owner.access),
            )
            .await,
    )
    .await;
    assert_eq!(escrow["balance"]["amount"], 0, "{escrow}");
    assert_eq!(escrow["awarded"]["amount"], 60000, "{escrow}");
    assert_eq!(escrow["refunded"]["amount"], 40000, "{escrow}");
    assert_eq!(
        escrow["funded"]["amount"].as_i64(),
        Some(
            escrow["awarded"]["amount"].as_i64().unwrap_or(0)
                + escrow["refunded"]["amount"].as_i64().unwrap_or(0)
        )
    );
    let ch = json_of(
        w.app
            .get(&format!("/api/v1/challenges/{}", j.slug), None)
            .await,
    )
    .await;
    assert_eq!(ch["state"], "awarded");

    // The public results: the winner named with its prize, the withheld tier.
    let results = json_of(w.app.get(&path, None).await).await;
    assert_eq!(results["tiers"][1]["withheld"], true);
    assert_eq!(results["tiers"][0]["winners"][0], winner.as_str());
    let first = &results["entries"][0];
    assert_eq!(first["prize"]["amount"], 60000);
    assert!(first["score"].as_f64().is_some());
    // And the solution is in the gallery.
    let gallery = json_of(w.app.get("/api/v1/solutions", None).await).await;
    assert!(gallery.to_string().contains(&winner));
    // A second publication is refused and moves nothing.
    assert_problem(
        w.app.post(&path, Some(&w.owner.access), body).await,
        409,
        "results_published",
    )
    .await;
}

#[tokio::test]
async fn blind_judges_load_nothing_that_names_the_team() {
    let j = judged(true).await;
    let w = &j.w;
    let round = w.round(&j.slug, 3, json!({})).await;
    let rid = id_of(&round);
    let r = w
        .app
        .post(
            &format!("/api/v1/rounds/{rid}/open"),
            Some(&w.owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let criteria = round["criteria"].as_array().cloned().unwrap_or_default();
    let (jo, _) = &j.judges[0];
    score_all(w, jo, 7, &criteria).await;

    // Everything that names a team member.
    let mut secrets: Vec<String> = vec![
        "Ada".into(),
        "Lovelace".into(),
        "Bob".into(),
        "Marley".into(),
        "Cy Twombly".into(),
        "Dee Dee".into(),
        "ada@solvers.org".into(),
        "dee@solvers.org".into(),
        "solvers.org".into(),
    ];
    for t in j.solvers.iter() {
        let me = json_of(w.app.get("/api/v1/me", Some(&t.access)).await).await;
        secrets.push(me["id"].as_str().unwrap_or_default().to_owned());
    }
    let mut loaded: Vec<(String, String)> = Vec::new();
    let get = |path: String| async move {
        let r = w.app.get(&path, Some(&jo.access)).await;
        let status = r.status();
        let headers = format!("{:?}", r.headers());
        let body = String::from_utf8_lossy(&r.bytes().await.unwrap_or_default()).into_owned();
        assert!(status.is_success(), "{path}: {status}");
        (path, format!("{headers}\n{body}"))
    };
    loaded.push(get("/api/v1/me/assignments".into()).await);
    loaded.push(get(format!("/api/v1/rounds/{rid}")).await);
    loaded.push(get(format!("/api/v1/rounds/{rid}/entries")).await);
    loaded.push(get(format!("/api/v1/rounds/{rid}/leaderboard")).await);
    loaded.push(get(format!("/api/v1/rounds/{rid}/leaderboard.csv")).await);
    loaded.push(get(format!("/api/v1/challenges/{}/rounds", j.slug)).await);
    for a in assignments(w, jo).await {
        let id = id_of(&a);
        let (path, text) = get(format!("/api/v1/assignments/{id}")).await;
        let entry: Value = serde_json::from_str(text.split_once('\n').map(|x| x.1).unwrap_or("{}"))
            .unwrap_or_default();
        assert!(entry["team"].is_null(), "{entry}");
        for f in entry["files"].as_array().cloned().unwrap_or_default() {
            assert!(
                f["name"].as_str().unwrap_or("").starts_with("attachment-"),
                "{f}"
            );
            loaded.push(get(f["url"].as_str().unwrap_or_default().to_owned()).await);
        }
        loaded.push((path, text));
    }
    // Every page of the judging flow, and the downloads linked from them.
    let jo_page = Visitor::signed_in(&w.app, "jo@judges.org").await;
    let mut pages = vec!["/judging".to_owned(), format!("/judging/rounds/{rid}")];
    for a in assignments(w, jo).await {
        pages.push(format!("/judging/assignments/{}", id_of(&a)));
    }
    let mut downloads = Vec::new();
    for p in &pages {
        let (status, html) = jo_page.page(p).await;
        assert_eq!(status, 200, "{p}");
        for (i, _) in html.match_indices("/files/") {
            let start = html[..i].rfind('"').map_or(i, |q| q + 1);
            let end = html[i..].find('"').map_or(html.len(), |q| i + q);
            downloads.push(html[start..end].to_owned());
        }
        loaded.push((p.clone(), html));
    }
    assert!(
        !downloads.is_empty(),
        "the scoring page links the attachment"
    );
    for d in downloads {
        let r = jo_page.get(&d).await;
        assert_eq!(r.status(), 200, "{d}");
        let headers = format!("{:?}", r.headers());
        assert!(headers.contains("attachment-1"), "{d}: {headers}");
        let body = String::from_utf8_lossy(&r.bytes().await.unwrap_or_default()).into_owned();
        loaded.push((d, format!("{headers}\n{body}")));
    }
    // And every email the judge received.
    for e in std::fs::read_dir(w.app.mail_dir())
        .into_iter()
        .flatten()
        .flatten()
    {
        let raw = common::decode_qp(&std::fs::read_to_string(e.path()).unwrap_or_default());
        if raw.contains("To: jo@judges.org") {
            loaded.push((e.path().display().to_string(), raw));
        }
    }
    for (path, text) in &loaded {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{path} reveals {s:?}:\n{text}");
        }
    }
    // The organisation still sees the team.
    let board = json_of(
        w.app
            .get(
                &format!("/api/v1/rounds/{rid}/leaderboard"),
                Some(&w.owner.access),
            )
            .await,
    )
    .await;
    assert!(board.to_string().contains("Ada Lovelace"));
}

/// A team member may keep their name off the public results: the API and
/// the pages leave it out for the public; the team still sees it.
#[tokio::test]
async fn members_may_stay_anonymous_on_results() {
    let j = judged(false).await;
    let w = &j.w;
    let ada_entry = j.entries[0].clone();
    let team = format!("/api/v1/submissions/{ada_entry}/team/members");
    let dee_id = json_of(w.app.get("/api/v1/me", Some(&j.dee.access)).await).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Only for oneself.
    let r = w
        .app
        .patch(
            &format!("{team}/{dee_id}"),
            Some(&j.solvers[0].access),
            json!({ "anonymous": true }),
        )
        .await;
    assert_problem(r, 403, "own_membership_only").await;
    let r = w
        .app
        .patch(
            &format!("{team}/{dee_id}"),
            Some(&j.dee.access),
            json!({ "anonymous": true }),
        )
        .await;
    assert_eq!(r.status(), 204);

    // Judging: every judge puts Ada's entry first; it wins tier 1.
    let round = w.round(&j.slug, 3, json!({})).await;
    let rid = id_of(&round);
    let r = w
        .app
        .post(
            &format!("/api/v1/rounds/{rid}/open"),
            Some(&w.owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let criteria = round["criteria"].as_array().cloned().unwrap_or_default();
    let (impact, feasibility) = (
        criteria[0]["id"].as_str().unwrap_or_default().to_owned(),
        criteria[1]["id"].as_str().unwrap_or_default().to_owned(),
    );
    for (t, _) in &j.judges {
        for a in assignments(w, t).await {
            let top = a["submission_id"] == ada_entry.as_str();
            let scores = BTreeMap::from([
                (impact.clone(), if top { 10 } else { 4 }),
                (feasibility.clone(), 3),
            ]);
            let comments = BTreeMap::from([(impact.clone(), "Noted.".to_owned())]);
            let r = w
                .app
                .http
                .put(
                    w.app
                        .url(&format!("/api/v1/assignments/{}/scorecard", id_of(&a))),
                )
                .bearer_auth(&t.access)
                .json(&json!({ "scores": scores, "comments": comments, "submit": true }))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.status(), 200);
        }
    }
    let r = w
        .app
        .post(
            &format!("/api/v1/rounds/{rid}/close"),
            Some(&w.owner.access),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let path = format!("/api/v1/challenges/{}/results", j.slug);
    let r = w
        .app
        .post(
            &path,
            Some(&w.owner.access),
            json!({ "tiers": [ { "rank": 1, "entries": [ada_entry] }, { "rank": 2, "entries": [] } ] }),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", json_of(r).await);

    // The public sees Ada, and that one member stays anonymous.
    let results = json_of(w.app.get(&path, None).await).await;
    let entry = &results["entries"][0];
    assert_eq!(entry["team"], json!(["Ada Lovelace"]), "{results}");
    assert_eq!(entry["anonymous_members"], 1);
    let public = json_of(
        w.app
            .get(&format!("/api/v1/submissions/{ada_entry}"), None)
            .await,
    )
    .await;
    assert!(!public.to_string().contains("Dee Dee"), "{public}");
    let page = Visitor::new(&w.app)
        .html(&format!("/challenges/{}/results", j.slug))
        .await;
    assert!(page.contains("Ada Lovelace") && !page.contains("Dee Dee"));
    // The team still sees Dee, marked anonymous.
    let inside = json_of(
        w.app
            .get(
                &format!("/api/v1/submissions/{ada_entry}"),
                Some(&j.solvers[0].access),
            )
            .await,
    )
    .await;
    let dee = inside["team"]
        .as_array()
        .and_then(|t| t.iter().find(|m| m["user_id"] == dee_id.as_str()).cloned())
        .unwrap_or_default();
    assert_eq!(dee["anonymous"], true, "{inside}");

    // Dee changes her mind on the entry's page: named again.
    let dee_page = Visitor::signed_in(&w.app, "dee@solvers.org").await;
    let r = dee_page
        .post_form(
            &format!("/submissions/{ada_entry}"),
            &format!("/submissions/{ada_entry}/team/anonymous"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    let results = json_of(w.app.get(&path, None).await).await;
    assert_eq!(
        results["entries"][0]["team"],
        json!(["Ada Lovelace", "Dee Dee Ramone"]),
        "{results}"
    );
}
