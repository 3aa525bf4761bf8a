//! Builders for the usual set-ups, in the manner of a `TestApp` with builders:
//! an organisation with its owner, a platform admin, an open funded
//! challenge, registered solvers, entries and uploads. Every step checks
//! the status it gets, so a broken set-up fails where it breaks.

use chrono::{Duration, SecondsFormat, Utc};
use diesel::RunQueryDsl;
use reqwest::Response;
use serde_json::{json, Value};

use super::{TestApp, Tokens};

/// A time `d` from now, as the API takes it (RFC 3339, UTC, seconds).
pub fn at(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The `id` of an API answer (a challenge, a submission, a funding…), or
/// an empty string.
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_owned()
}

/// The `slug` of a challenge as the API answers it, or an empty string.
pub fn slug_of(v: &Value) -> String {
    v["slug"].as_str().unwrap_or_default().to_owned()
}

/// The slug of the organisation a [`World`] starts with.
pub const ORG: &str = "open-lab";

/// The email of the owner of [`ORG`] in a [`World`].
pub const OWNER: &str = "owner@lab.org";

/// A running app with an organisation (`open-lab`, owned by `owner`) and a
/// platform admin (`admin`).
pub struct World {
    pub app: TestApp,
    pub owner: Tokens,
    pub admin: Tokens,
}

impl World {
    /// The default world.
    pub async fn new() -> World {
        Self::with(|_| {}).await
    }

    /// A world whose configuration the caller adjusts first.
    pub async fn with(adjust: impl FnOnce(&mut tribu::config::Config)) -> World {
        let app = TestApp::spawn_with(adjust).await;
        let owner = app.signed_in(OWNER, "Olive Owner").await;
        let r = app
            .post(
                "/api/v1/orgs",
                Some(&owner.access),
                json!({ "slug": ORG, "name": "Open Lab" }),
            )
            .await;
        assert_eq!(r.status(), 201, "organisation");
        let admin = app.signed_in("admin@tribu.org", "Ada Admin").await;
        let mut conn = app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        tribu::auth::service::create_admin(&mut conn, "admin@tribu.org", "Ada Admin", None)
            .unwrap_or_else(|e| panic!("{e}"));
        drop(conn);
        World { app, owner, admin }
    }

    /// The fields of a valid challenge closing `deadline` from now, with
    /// `extra` fields over them.
    pub fn challenge_body(title: &str, deadline: Duration, extra: Value) -> Value {
        let mut b = json!({
            "org": ORG, "title": title,
            "summary": "Design an open sensor for river pollution.",
            "description": "Describe the sensor.", "category": "environment", "kind": "design",
            "currency": "EUR", "prize_tiers": [{ "rank": 1, "label": "Winner", "amount": 100000 }],
            "submission_deadline": at(deadline), "judging_deadline": at(deadline + Duration::days(10)),
            "rules": "Entries must be original and openly licensed.",
            "allowed_licences": ["CC-BY-4.0", "MIT"], "max_team_size": 3, "max_submissions_per_solver": 2
        });
        for (k, v) in extra.as_object().into_iter().flatten() {
            b[k] = v.clone();
        }
        b
    }

    /// Another organisation, `slug` named `name`, owned by `t`.
    pub async fn create_org(&self, t: &Tokens, slug: &str, name: &str) {
        let r = self
            .app
            .post(
                "/api/v1/orgs",
                Some(&t.access),
                json!({ "slug": slug, "name": name }),
            )
            .await;
        assert_eq!(r.status(), 201, "organisation {slug}");
    }

    /// A draft from a whole challenge body (see [`World::challenge_body`]),
    /// created by the owner; returns the challenge as the API answers it.
    pub async fn create(&self, body: Value) -> Value {
        let r = self
            .app
            .post("/api/v1/challenges", Some(&self.owner.access), body)
            .await;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(status, 201, "draft: {v}");
        assert!(!slug_of(&v).is_empty(), "draft without a slug: {v}");
        v
    }

    /// A draft; returns the challenge as the API answers it.
    pub async fn draft(&self, title: &str, extra: Value) -> Value {
        self.create(Self::challenge_body(title, Duration::days(7), extra))
            .await
    }

    /// Asks for the rest of the pool and has the admin confirm it arrived;
    /// returns the confirmed funding.
    pub async fn fund(&self, slug: &str) -> Value {
        let f = self.request_funding(slug).await;
        let r = self
            .app
            .post(
                &format!("/api/v1/admin/fundings/{}/confirm", id_of(&f)),
                Some(&self.admin.access),
                json!({ "reference": "BANK-REF-1" }),
            )
            .await;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(status, 200, "confirm funding: {v}");
        v
    }

    /// A funding request for the rest of the pool.
    pub async fn request_funding(&self, slug: &str) -> Value {
        let r = self.post_funding(slug).await;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(status, 201, "funding request: {v}");
        v
    }

    /// The owner asks to fund the rest of `slug`'s pool; the answer is
    /// returned unchecked, for tests of what is refused.
    pub async fn post_funding(&self, slug: &str) -> Response {
        self.app
            .post(
                &format!("/api/v1/challenges/{slug}/funding"),
                Some(&self.owner.access),
                json!({}),
            )
            .await
    }

    /// Publishes; returns the answer (`outcome` is `open` or `awaiting_review`).
    pub async fn publish(&self, slug: &str) -> Value {
        let r = self.post_publish(slug).await;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(status, 200, "publish: {v}");
        v
    }

    /// The owner asks to publish `slug`; the answer is returned unchecked,
    /// for tests of what is refused.
    pub async fn post_publish(&self, slug: &str) -> Response {
        self.app
            .post(
                &format!("/api/v1/challenges/{slug}/publish"),
                Some(&self.owner.access),
                json!({}),
            )
            .await
    }

    /// Creates `body`, funds it, has the admin confirm and publishes it;
    /// returns the open challenge.
    pub async fn launch(&self, body: Value) -> Value {
        let c = self.create(body).await;
        let slug = slug_of(&c);
        self.fund(&slug).await;
        let p = self.publish(&slug).await;
        assert_eq!(p["outcome"], "open", "{p}");
        assert_eq!(p["challenge"]["state"], "open", "{p}");
        p["challenge"].clone()
    }

    /// An open, funded challenge with `extra` fields, closing in ten days
    /// (past the week in which registrants are reminded); returns its slug.
    pub async fn open_challenge(&self, title: &str, extra: Value) -> String {
        self.open_challenge_closing(title, Duration::days(10), extra)
            .await
    }

    /// An open, funded challenge whose submissions close `deadline` from
    /// now, with `extra` fields; returns its slug.
    pub async fn open_challenge_closing(
        &self,
        title: &str,
        deadline: Duration,
        extra: Value,
    ) -> String {
        slug_of(
            &self
                .launch(Self::challenge_body(title, deadline, extra))
                .await,
        )
    }

    /// A signed-in solver registered for `slug`.
    pub async fn solver(&self, email: &str, name: &str, slug: &str) -> Tokens {
        let t = self.app.signed_in(email, name).await;
        self.register(&t, slug).await;
        t
    }

    /// Registers `t` for `slug` (accepting rules version 1).
    pub async fn register(&self, t: &Tokens, slug: &str) {
        let r = self.post_registration(t, slug, 1, true).await;
        assert_eq!(r.status(), 201, "registration");
    }

    /// `t` registers for `slug`, accepting rules `version` or (with `accept`
    /// false) not; the answer is returned unchecked, for tests of what is
    /// refused.
    pub async fn post_registration(
        &self,
        t: &Tokens,
        slug: &str,
        version: i64,
        accept: bool,
    ) -> Response {
        self.app
            .post(
                &format!("/api/v1/challenges/{slug}/registrations"),
                Some(&t.access),
                json!({ "rules_version": version, "accept_rules": accept }),
            )
            .await
    }

    /// An entry (or, with `draft`, a draft) by `t`; returns the submission.
    pub async fn submit(&self, t: &Tokens, slug: &str, title: &str, draft: bool) -> Value {
        let r = self
            .app
            .post(
                &format!("/api/v1/challenges/{slug}/submissions"),
                Some(&t.access),
                json!({ "title": title, "abstract": "A cheap optical turbidity sensor.",
                        "body": "## Design\n\nAn LED and a photodiode.", "licence": "CC-BY-4.0",
                        "draft": draft }),
            )
            .await;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(status, 201, "submission: {v}");
        v
    }

    /// Uploads `bytes` as `name` to submission `id` through the API.
    pub async fn upload(&self, t: &Tokens, id: &str, name: &str, bytes: &[u8]) -> Response {
        upload(&self.app, &t.access, id, name, bytes).await
    }

    /// Creates an API key of the organisation with `scopes`; returns its secret.
    pub async fn api_key(&self, scopes: &[&str]) -> String {
        let r = self
            .app
            .post(
                &format!("/api/v1/orgs/{ORG}/api-keys"),
                Some(&self.owner.access),
                json!({ "name": "Integration", "scopes": scopes }),
            )
            .await;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(status, 201, "api key: {v}");
        v["secret"].as_str().unwrap_or_default().to_owned()
    }

    /// Invites `email` to the organisation with `role` and accepts as `t`.
    pub async fn join_org(&self, t: &Tokens, email: &str, role: &str) {
        let r = self
            .app
            .post(
                &format!("/api/v1/orgs/{ORG}/members"),
                Some(&self.owner.access),
                json!({ "email": email, "role": role }),
            )
            .await;
        assert_eq!(r.status(), 201, "invitation");
        let token = self.app.token_from_email(email, "/invitations/").await;
        let r = self
            .app
            .post(
                "/api/v1/invitations/accept",
                Some(&t.access),
                json!({ "token": token }),
            )
            .await;
        assert_eq!(r.status(), 200, "accept invitation");
    }

    /// Ends a challenge's submissions now (the deadline moves to this
    /// instant: every revision made so far was made before it). Tests
    /// travel in time this way; the product never does.
    pub fn close_submissions(&self, slug: &str) {
        let mut conn = self.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        diesel::sql_query("UPDATE challenges SET submission_deadline = $1 WHERE slug = $2")
            .bind::<diesel::sql_types::Timestamp, _>(tribu::db::now())
            .bind::<diesel::sql_types::Text, _>(slug)
            .execute(&mut *conn)
            .unwrap_or_else(|e| panic!("{e}"));
        // A write behind the app's back: its cache of public answers must
        // hear of it, as it does of every write transaction.
        tribu::db::bump_generation();
    }

    /// Invites `email` to judge `slug` and accepts as `t` (who must have
    /// that address); returns the judge's id.
    pub async fn judge(&self, t: &Tokens, email: &str, slug: &str) -> String {
        let r = self
            .app
            .post(
                &format!("/api/v1/challenges/{slug}/judges"),
                Some(&self.owner.access),
                json!({ "email": email }),
            )
            .await;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(status, 201, "judge invitation: {v}");
        let token = self
            .app
            .token_from_email(email, "/judge-invitations/")
            .await;
        let r = self
            .app
            .post(
                "/api/v1/judge-invitations/accept",
                Some(&t.access),
                json!({ "token": token }),
            )
            .await;
        let status = r.status();
        let a: Value = r.json().await.unwrap_or_default();
        assert_eq!(status, 200, "accept judging: {a}");
        id_of(&v)
    }

    /// Creates a round with a two-criterion rubric (1–10 and 0–5); returns it.
    pub async fn round(&self, slug: &str, per_entry: i32, extra: Value) -> Value {
        let mut body = json!({
            "name": "Final", "judges_per_entry": per_entry,
            "criteria": [
                { "name": "Impact", "description": "How much it helps.", "weight": 2.0, "scale_min": 1, "scale_max": 10, "comment_required": true },
                { "name": "Feasibility", "weight": 1.0, "scale_min": 0, "scale_max": 5 }
            ]
        });
        for (k, v) in extra.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        let r = self
            .app
            .post(
                &format!("/api/v1/challenges/{slug}/rounds"),
                Some(&self.owner.access),
                body,
            )
            .await;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(status, 201, "round: {v}");
        v
    }

    /// The owner cancels `slug` for `reason`; returns the challenge's view.
    pub async fn cancel(&self, slug: &str, reason: &str) -> Value {
        let r = self
            .app
            .post(
                &format!("/api/v1/challenges/{slug}/cancel"),
                Some(&self.owner.access),
                json!({ "reason": reason }),
            )
            .await;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or_default();
        assert_eq!(status, 200, "cancel: {v}");
        v
    }

    /// Asserts every ledger entry balances (debits equal credits).
    pub fn assert_ledger_balanced(&self) {
        let mut conn = self.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        let bad =
            tribu::money::store::unbalanced_entries(&mut conn).unwrap_or_else(|e| panic!("{e}"));
        assert!(bad.is_empty(), "unbalanced entries: {bad:?}");
    }
}

/// A multipart upload of one `file` field.
pub async fn upload(app: &TestApp, token: &str, id: &str, name: &str, bytes: &[u8]) -> Response {
    let boundary = "tribuBOUNDARY42";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.http
        .post(app.url(&format!("/api/v1/submissions/{id}/attachments")))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("upload: {e}"))
}

/// Every file under `dir`, at any depth.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A challenge whose results are out: tier 1 (600.00) won by a team of two
/// (shares 50/50), tier 2 (400.00) withheld, so 400.00 goes back to the
/// organisation.
pub struct Awarded {
    pub slug: String,
    /// The winning entry's creator and co-author.
    pub winner: Tokens,
    pub coauthor: Tokens,
    /// An entrant who did not win.
    pub other: Tokens,
}

impl World {
    /// Plays a challenge from publication to published results through the
    /// API: two entries, one judge, one round, results.
    pub async fn awarded(&self) -> Awarded {
        let slug = self
            .open_challenge("Cleaner harbours", Self::two_tiers())
            .await;
        self.awarded_on(slug).await
    }

    /// The prize tiers of [`World::awarded`]: 600.00 and 400.00.
    pub fn two_tiers() -> Value {
        json!({ "prize_tiers": [
            { "rank": 1, "label": "Winner", "amount": 60000 },
            { "rank": 2, "label": "Runner-up", "amount": 40000 }
        ] })
    }

    /// [`World::awarded`] on an open challenge with [`World::two_tiers`].
    pub async fn awarded_on(&self, slug: String) -> Awarded {
        let winner = self.solver("win@solvers.org", "Wyn Winner", &slug).await;
        let entry = id_of(&self.submit(&winner, &slug, "Floating filters", false).await);
        let coauthor = self.solver("co@solvers.org", "Cora Author", &slug).await;
        let r = self
            .app
            .post(
                &format!("/api/v1/submissions/{entry}/team/invitations"),
                Some(&winner.access),
                json!({ "email": "co@solvers.org" }),
            )
            .await;
        assert_eq!(r.status(), 201, "team invitation");
        let token = self
            .app
            .token_from_email("co@solvers.org", "/team-invitations/")
            .await;
        let r = self
            .app
            .post(
                "/api/v1/team-invitations/accept",
                Some(&coauthor.access),
                json!({ "token": token }),
            )
            .await;
        assert!(r.status().is_success(), "team join: {}", r.status());
        let other = self.solver("other@solvers.org", "Otto Other", &slug).await;
        self.submit(&other, &slug, "Harbour drones", false).await;
        self.award(&slug, &entry, "jay@judges.org").await;
        Awarded {
            slug,
            winner,
            coauthor,
            other,
        }
    }

    /// Judges every entry of open challenge `slug` through the API (one
    /// judge signing up as `judge_email`, one round) and publishes results
    /// with `entry` winning tier 1, the other tiers withheld.
    pub async fn award(&self, slug: &str, entry: &str, judge_email: &str) {
        let judge = self.app.signed_in(judge_email, "Jay Judge").await;
        self.judge(&judge, judge_email, slug).await;
        self.close_submissions(slug);
        let round = self.round(slug, 1, json!({})).await;
        let rid = id_of(&round);
        let r = self
            .app
            .post(
                &format!("/api/v1/rounds/{rid}/open"),
                Some(&self.owner.access),
                json!({}),
            )
            .await;
        assert_eq!(r.status(), 200, "open round");
        let criteria = round["criteria"].as_array().cloned().unwrap_or_default();
        let mine: Value = self
            .app
            .get("/api/v1/me/assignments", Some(&judge.access))
            .await
            .json()
            .await
            .unwrap_or_default();
        for a in mine["data"].as_array().into_iter().flatten() {
            // The winner's entry scores higher.
            let impact = if a["submission_id"] == entry { 9 } else { 4 };
            let c0 = criteria[0]["id"].as_str().unwrap_or_default();
            let c1 = criteria[1]["id"].as_str().unwrap_or_default();
            let r = self
                .app
                .http
                .put(self.app.url(&format!("/api/v1/assignments/{}/scorecard", id_of(a))))
                .bearer_auth(&judge.access)
                .json(&json!({ "scores": { c0: impact, c1: 3 }, "comments": { c0: "Clear." }, "submit": true }))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.status(), 200, "scorecard");
        }
        let r = self
            .app
            .post(
                &format!("/api/v1/rounds/{rid}/close"),
                Some(&self.owner.access),
                json!({}),
            )
            .await;
        assert_eq!(r.status(), 200, "close round");
        let ch = self
            .app
            .get_json(
                &format!("/api/v1/challenges/{slug}"),
                Some(&self.owner.access),
            )
            .await;
        let tiers: Vec<Value> = ch["prize_tiers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                let rank = t["rank"].as_i64().unwrap_or_default();
                json!({ "rank": rank, "entries": if rank == 1 { vec![entry] } else { vec![] } })
            })
            .collect();
        let r = self
            .app
            .post(
                &format!("/api/v1/challenges/{slug}/results"),
                Some(&self.owner.access),
                json!({ "tiers": tiers }),
            )
            .await;
        assert_eq!(r.status(), 201, "results");
    }
}

impl World {
    /// Moves `slug`'s submission deadline to `at` (UTC). Like
    /// [`World::close_submissions`], a test's way to travel in time: the
    /// API takes deadlines in whole seconds and checks them against the
    /// publication, so a deadline seconds away is set here once the set-up
    /// (which takes longer than that) is done.
    pub fn set_submission_deadline(&self, slug: &str, at: chrono::NaiveDateTime) {
        let mut conn = self.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        let n = diesel::sql_query("UPDATE challenges SET submission_deadline = $1 WHERE slug = $2")
            .bind::<diesel::sql_types::Timestamp, _>(at)
            .bind::<diesel::sql_types::Text, _>(slug)
            .execute(&mut *conn)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n, 1, "no challenge {slug}");
        // Behind the app's back, as in `close_submissions`: its cache of
        // public answers must hear of it.
        tribu::db::bump_generation();
    }

    /// `n` solvers registered for `slug`, made fast: the accounts are
    /// written straight into the database, verified, with one argon2 hash
    /// of [`super::PASSWORD`] between them, and signed in there (a session
    /// row and an access token from the app's own keys), since hashing and
    /// checking passwords is the slow part and sign-up and sign-in are
    /// tested elsewhere; then each registers for the challenge over HTTP,
    /// all at once. Their emails are `{prefix}{i}@solvers.org`.
    pub async fn many_solvers(&self, prefix: &str, n: usize, slug: &str) -> Vec<Tokens> {
        let hash = tribu::auth::crypto::hash_password(super::PASSWORD)
            .unwrap_or_else(|e| panic!("hash: {e}"));
        let ttl = Duration::days(1);
        let mut conn = self.app.state.pool.get().unwrap_or_else(|e| panic!("{e}"));
        let sessions = tribu::db::write_tx(&mut conn, |c| {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let user = tribu::auth::store::create_user(
                    c,
                    tribu::auth::store::NewUser {
                        email: &format!("{prefix}{i}@solvers.org"),
                        display_name: &format!("Solver {i}"),
                        password_hash: &hash,
                        language: "en",
                        verified: true,
                        platform_admin: false,
                    },
                    tribu::db::now(),
                )?;
                let (sid, refresh) = tribu::auth::store::create_session(
                    c,
                    &user.id,
                    None,
                    None,
                    ttl,
                    tribu::db::now(),
                )?;
                out.push((user.id, sid, refresh));
            }
            Ok::<_, tribu::error::AppError>(out)
        })
        .unwrap_or_else(|e| panic!("solvers: {e}"));
        drop(conn);
        let signed_in: Vec<Tokens> = sessions
            .into_iter()
            .map(|(uid, sid, refresh)| Tokens {
                access: self
                    .app
                    .state
                    .jwt
                    .issue(&uid, &sid)
                    .unwrap_or_else(|e| panic!("token: {e}"))
                    .0,
                refresh,
            })
            .collect();
        let registered = futures_util::future::join_all(
            signed_in
                .iter()
                .map(|t| self.post_registration(t, slug, 1, true)),
        )
        .await;
        for (i, r) in registered.iter().enumerate() {
            assert_eq!(r.status(), 201, "registration of {prefix}{i}");
        }
        signed_in
    }
}
