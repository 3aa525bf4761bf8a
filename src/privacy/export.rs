//! Everything Tribu holds about a person, as one zip of JSON files plus
//! the files they attached: profile, sessions, registrations, submissions
//! with every revision, team memberships and shares, scorecards written as
//! a judge, payouts, notifications and choices, follows.

// Each query reads into a tuple shaped like its select: one struct per
// query would only repeat the column lists.
#![allow(clippy::type_complexity)]

use std::io::Write;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::db::schema::{
    attachments, challenges, follows, judges, notification_prefs, notifications, payouts,
    registrations, revisions, scorecards, scores, sessions, submissions, team_members,
};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn ts(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn ts_opt(t: Option<NaiveDateTime>) -> Value {
    t.map(ts).map(Value::String).unwrap_or(Value::Null)
}

/// The JSON files of `user_id`'s export, and the attachments to add:
/// `(path in the zip, SHA-256 of the stored bytes)`.
type Collected = (Vec<(&'static str, Value)>, Vec<(String, String)>);

fn collect(c: &mut DbConnection, user_id: &str) -> AppResult<Collected> {
    let u = crate::auth::store::find_user(c, user_id)?;
    let profile = json!({
        "id": u.id, "email": u.email, "display_name": u.display_name, "language": u.language,
        "email_verified_at": ts_opt(u.email_verified_at), "created_at": ts(u.created_at),
        "public_profile": u.public_profile, "platform_admin": u.is_platform_admin,
    });
    let sess: Vec<(
        String,
        Option<String>,
        Option<String>,
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
    )> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .select((
            sessions::id,
            sessions::user_agent,
            sessions::ip,
            sessions::created_at,
            sessions::last_used_at,
            sessions::revoked_at,
        ))
        .load(c)?;
    let sessions_json: Vec<Value> = sess
        .into_iter()
        .map(|(id, ua, ip, created, used, revoked)| json!({ "id": id, "user_agent": ua, "ip": ip, "created_at": ts(created), "last_used_at": ts(used), "revoked_at": ts_opt(revoked) }))
        .collect();
    let regs: Vec<(String, String, i32, NaiveDateTime)> = registrations::table
        .inner_join(challenges::table)
        .filter(registrations::user_id.eq(user_id))
        .select((
            challenges::slug,
            challenges::title,
            registrations::rules_version,
            registrations::accepted_at,
        ))
        .load(c)?;
    let regs_json: Vec<Value> = regs
        .into_iter()
        .map(|(slug, title, v, at)| json!({ "challenge": { "slug": slug, "title": title }, "rules_version": v, "accepted_at": ts(at) }))
        .collect();
    // Memberships and the submissions of those teams.
    let members: Vec<(String, String, String, i32, bool, NaiveDateTime)> = team_members::table
        .filter(team_members::user_id.eq(user_id))
        .select((
            team_members::team_id,
            team_members::challenge_id,
            team_members::role,
            team_members::share_bps,
            team_members::anonymous,
            team_members::joined_at,
        ))
        .load(c)?;
    let mut shares_json = Vec::new();
    let mut subs_json = Vec::new();
    let mut files = Vec::new();
    for (team, challenge, role, share, anonymous, joined) in &members {
        let ch = crate::challenges::store::find(c, challenge)?;
        shares_json.push(json!({ "team_id": team, "challenge": { "slug": ch.slug, "title": ch.title }, "role": role, "share_bps": share, "anonymous": anonymous, "joined_at": ts(*joined) }));
        let subs: Vec<(
            String,
            String,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
            NaiveDateTime,
        )> = submissions::table
            .filter(submissions::team_id.eq(team))
            .select((
                submissions::id,
                submissions::state,
                submissions::submitted_at,
                submissions::published_at,
                submissions::created_at,
            ))
            .load(c)?;
        for (sid, state, submitted, published, created) in subs {
            let revs: Vec<(
                i32,
                String,
                String,
                String,
                String,
                String,
                String,
                String,
                NaiveDateTime,
            )> = revisions::table
                .filter(revisions::submission_id.eq(&sid))
                .order(revisions::number.asc())
                .select((
                    revisions::number,
                    revisions::title,
                    revisions::abstract_text,
                    revisions::body_md,
                    revisions::licence,
                    revisions::copyright_holders,
                    revisions::attachment_ids,
                    revisions::content_sha256,
                    revisions::created_at,
                ))
                .load(c)?;
            let atts: Vec<(String, String, String, i64)> = attachments::table
                .filter(attachments::submission_id.eq(&sid))
                .select((
                    attachments::id,
                    attachments::filename,
                    attachments::sha256,
                    attachments::size,
                ))
                .load(c)?;
            for (aid, name, sha, _) in &atts {
                files.push((format!("attachments/{sid}/{aid}-{name}"), sha.clone()));
            }
            subs_json.push(json!({
                "id": sid, "challenge": { "slug": ch.slug, "title": ch.title }, "state": state,
                "created_at": ts(created), "submitted_at": ts_opt(submitted), "published_at": ts_opt(published),
                "revisions": revs.into_iter().map(|(n, title, abs, body, lic, holders, att, sha, at)| json!({
                    "number": n, "title": title, "abstract": abs, "body": body, "licence": lic,
                    "copyright_holders": holders, "attachment_ids": att, "sha256": sha, "created_at": ts(at)
                })).collect::<Vec<_>>(),
                "attachments": atts.iter().map(|(id, name, sha, size)| json!({ "id": id, "filename": name, "sha256": sha, "size": size })).collect::<Vec<_>>(),
            }));
        }
    }
    // Scorecards written as a judge.
    let judge_ids: Vec<String> = judges::table
        .filter(judges::user_id.eq(user_id))
        .select(judges::id)
        .load(c)?;
    let cards: Vec<(
        String,
        String,
        String,
        String,
        Option<f64>,
        Option<NaiveDateTime>,
    )> = scorecards::table
        .filter(scorecards::judge_id.eq_any(&judge_ids))
        .select((
            scorecards::id,
            scorecards::round_id,
            scorecards::submission_id,
            scorecards::state,
            scorecards::total,
            scorecards::submitted_at,
        ))
        .load(c)?;
    let mut cards_json = Vec::new();
    for (id, round, sub, state, total, submitted) in cards {
        let s: Vec<(String, i32, String)> = scores::table
            .filter(scores::scorecard_id.eq(&id))
            .select((scores::criterion_id, scores::score, scores::comment))
            .load(c)?;
        cards_json.push(json!({
            "id": id, "round_id": round, "submission_id": sub, "state": state, "total": total, "submitted_at": ts_opt(submitted),
            "scores": s.into_iter().map(|(crit, score, comment)| json!({ "criterion_id": crit, "score": score, "comment": comment })).collect::<Vec<_>>(),
        }));
    }
    let pays: Vec<(
        String,
        String,
        i64,
        String,
        String,
        Option<String>,
        NaiveDateTime,
    )> = payouts::table
        .filter(payouts::user_id.eq(user_id))
        .select((
            payouts::id,
            payouts::challenge_id,
            payouts::amount,
            payouts::currency,
            payouts::status,
            payouts::reference,
            payouts::created_at,
        ))
        .load(c)?;
    let pays_json: Vec<Value> = pays
        .into_iter()
        .map(|(id, ch, amount, cur, status, reference, at)| json!({ "id": id, "challenge_id": ch, "amount": amount, "currency": cur, "status": status, "reference": reference, "created_at": ts(at) }))
        .collect();
    let notes: Vec<(
        String,
        String,
        String,
        Option<String>,
        NaiveDateTime,
        Option<NaiveDateTime>,
    )> = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .order(notifications::created_at.asc())
        .select((
            notifications::kind,
            notifications::title,
            notifications::body,
            notifications::url,
            notifications::created_at,
            notifications::read_at,
        ))
        .load(c)?;
    let prefs: Vec<(String, bool, bool)> = notification_prefs::table
        .filter(notification_prefs::user_id.eq(user_id))
        .select((
            notification_prefs::kind,
            notification_prefs::email,
            notification_prefs::in_app,
        ))
        .load(c)?;
    let notes_json = json!({
        "notifications": notes.into_iter().map(|(kind, title, body, url, at, read)| json!({ "kind": kind, "title": title, "body": body, "url": url, "created_at": ts(at), "read_at": ts_opt(read) })).collect::<Vec<_>>(),
        "preferences": prefs.into_iter().map(|(k, e, i)| json!({ "kind": k, "email": e, "in_app": i })).collect::<Vec<_>>(),
    });
    let fol: Vec<(String, String, NaiveDateTime)> = follows::table
        .filter(follows::user_id.eq(user_id))
        .select((
            follows::target_type,
            follows::target_id,
            follows::created_at,
        ))
        .load(c)?;
    let fol_json: Vec<Value> = fol
        .into_iter()
        .map(|(t, id, at)| json!({ "target_type": t, "target_id": id, "created_at": ts(at) }))
        .collect();
    Ok((
        vec![
            ("profile.json", profile),
            ("sessions.json", Value::Array(sessions_json)),
            ("registrations.json", Value::Array(regs_json)),
            ("submissions.json", Value::Array(subs_json)),
            ("team_shares.json", Value::Array(shares_json)),
            ("scorecards.json", Value::Array(cards_json)),
            ("payouts.json", Value::Array(pays_json)),
            ("notifications.json", notes_json),
            ("follows.json", Value::Array(fol_json)),
        ],
        files,
    ))
}

/// The zip of everything about `user_id`.
pub async fn export(state: &AppState, user_id: &str) -> AppResult<Vec<u8>> {
    let uid = user_id.to_owned();
    let (json_files, attachments) = state.db(move |c| collect(c, &uid)).await?;
    let mut blobs = Vec::new();
    for (path, sha) in attachments {
        // A file whose bytes are gone is listed in submissions.json anyway.
        if let Ok(bytes) = state.blobs.get(&sha).await {
            blobs.push((path, bytes));
        }
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut add = |name: &str, bytes: &[u8]| -> Result<(), AppError> {
        zip.start_file(name, opts).map_err(AppError::internal)?;
        zip.write_all(bytes).map_err(AppError::internal)
    };
    add(
        "README.txt",
        b"Everything Tribu holds about you, as JSON files, and the files you attached.\n",
    )?;
    for (name, v) in &json_files {
        let text = serde_json::to_vec_pretty(v).map_err(AppError::internal)?;
        add(name, &text)?;
    }
    for (path, bytes) in &blobs {
        add(path, bytes)?;
    }
    let cursor = zip.finish().map_err(AppError::internal)?;
    Ok(cursor.into_inner())
}
