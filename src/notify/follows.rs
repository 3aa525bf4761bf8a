//! Follows: people follow organisations, categories and challenges, and
//! hear of what those publish. What may be followed is what the public can
//! see: an organisation with a published challenge, a category, a
//! published challenge (anything else is not found, so nothing leaks).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::{self, Actor, Entry};
use crate::auth::store::User;
use crate::challenges::model::{State, CATEGORIES};
use crate::challenges::store::{self as challenges, Challenge};
use crate::db::schema::{follows, users};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What can be followed.
pub mod target {
    pub const ORGANISATION: &str = "organisation";
    pub const CATEGORY: &str = "category";
    pub const CHALLENGE: &str = "challenge";
}

/// One follow as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowView {
    /// `organisation`, `category` or `challenge`.
    pub target_type: String,
    /// The organisation's slug, the category, or the challenge's slug.
    pub target: String,
    /// Its name, as shown.
    pub name: String,
    /// Its page.
    pub url: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// My follows.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowList {
    pub data: Vec<FollowView>,
}

/// What a follow points at: `(stored id, shown key, name, url)`; 404 for
/// anything the public cannot see.
fn resolve(
    c: &mut DbConnection,
    kind: &str,
    key: &str,
) -> AppResult<(String, String, String, String)> {
    match kind {
        target::ORGANISATION => {
            let org = crate::orgs::store::find_by_slug(c, key)?.ok_or(AppError::NotFound)?;
            let public = challenges::public_orgs(c)?
                .iter()
                .any(|(slug, _)| *slug == org.slug);
            if !public {
                return Err(AppError::NotFound);
            }
            let url = format!("/organisations/{}", org.slug);
            Ok((org.id, org.slug, org.name, url))
        }
        target::CATEGORY => {
            let cat = CATEGORIES
                .iter()
                .find(|c| **c == key)
                .ok_or(AppError::NotFound)?;
            Ok((
                (*cat).to_owned(),
                (*cat).to_owned(),
                (*cat).to_owned(),
                format!("/challenges?category={cat}"),
            ))
        }
        target::CHALLENGE => {
            let ch = challenges::find_by_key(c, key)?
                .filter(|ch| ch.stored_state() != State::Draft)
                .ok_or(AppError::NotFound)?;
            let url = format!("/challenges/{}", ch.slug);
            Ok((ch.id, ch.slug, ch.title, url))
        }
        _ => Err(AppError::NotFound),
    }
}

fn audit_follow(
    c: &mut DbConnection,
    user_id: &str,
    action: &str,
    kind: &str,
    id: &str,
) -> AppResult<()> {
    audit::record(
        c,
        Entry {
            actor: &Actor::user(user_id),
            org_id: None,
            action,
            subject_type: "user",
            subject_id: user_id,
            data: serde_json::json!({ "target_type": kind, "target": id }),
        },
    )?;
    Ok(())
}

/// Follows `kind` `key` (again is fine).
pub async fn follow(state: &AppState, user_id: &str, kind: &str, key: &str) -> AppResult<()> {
    let (uid, kind, key) = (user_id.to_owned(), kind.to_owned(), key.to_owned());
    state
        .tx(move |c| {
            let (id, _, _, _) = resolve(c, &kind, &key)?;
            let exists: i64 = follows::table
                .find((&uid, &kind, &id))
                .count()
                .get_result(c)?;
            if exists == 0 {
                diesel::insert_into(follows::table)
                    .values((
                        follows::user_id.eq(&uid),
                        follows::target_type.eq(&kind),
                        follows::target_id.eq(&id),
                        follows::created_at.eq(now()),
                    ))
                    .execute(c)?;
                audit_follow(c, &uid, "follow.added", &kind, &id)?;
            }
            Ok(())
        })
        .await
}

/// Stops following (not following is fine).
pub async fn unfollow(state: &AppState, user_id: &str, kind: &str, key: &str) -> AppResult<()> {
    let (uid, kind, key) = (user_id.to_owned(), kind.to_owned(), key.to_owned());
    state
        .tx(move |c| {
            let (id, _, _, _) = resolve(c, &kind, &key)?;
            let n = diesel::delete(follows::table.find((&uid, &kind, &id))).execute(c)?;
            if n > 0 {
                audit_follow(c, &uid, "follow.removed", &kind, &id)?;
            }
            Ok(())
        })
        .await
}

/// Whether `user_id` follows `kind` `key` (false for what cannot be followed).
pub async fn follows(state: &AppState, user_id: &str, kind: &str, key: &str) -> AppResult<bool> {
    let (uid, kind, key) = (user_id.to_owned(), kind.to_owned(), key.to_owned());
    state
        .db(move |c| {
            let Ok((id, _, _, _)) = resolve(c, &kind, &key) else {
                return Ok(false);
            };
            let n: i64 = follows::table
                .find((&uid, &kind, &id))
                .count()
                .get_result(c)?;
            Ok(n > 0)
        })
        .await
}

/// My follows, newest first (what stopped being public drops out).
pub async fn mine(state: &AppState, user_id: &str) -> AppResult<FollowList> {
    let uid = user_id.to_owned();
    state
        .db(move |c| {
            let rows: Vec<(String, String, NaiveDateTime)> = follows::table
                .filter(follows::user_id.eq(&uid))
                .order(follows::created_at.desc())
                .select((
                    follows::target_type,
                    follows::target_id,
                    follows::created_at,
                ))
                .load(c)?;
            let mut data = Vec::new();
            for (kind, id, at) in rows {
                let key: Option<String> = match kind.as_str() {
                    target::ORGANISATION => {
                        crate::orgs::store::find_by_id(c, &id).map(|o| o.slug).ok()
                    }
                    target::CHALLENGE => challenges::find(c, &id).map(|ch| ch.slug).ok(),
                    _ => Some(id.clone()),
                };
                let Some(key) = key else { continue };
                if let Ok((_, shown, name, url)) = resolve(c, &kind, &key) {
                    data.push(FollowView {
                        target_type: kind,
                        target: shown,
                        name,
                        url,
                        created_at: at,
                    });
                }
            }
            Ok(FollowList { data })
        })
        .await
}

/// Who follows the organisation or the category of `ch` (each once, not
/// suspended): told when it is published.
pub fn publication_followers(c: &mut DbConnection, ch: &Challenge) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::suspended_at.is_null())
        .filter(
            users::id.eq_any(
                follows::table
                    .filter(
                        (follows::target_type
                            .eq(target::ORGANISATION)
                            .and(follows::target_id.eq(&ch.org_id)))
                        .or(follows::target_type
                            .eq(target::CATEGORY)
                            .and(follows::target_id.eq(&ch.category))),
                    )
                    .select(follows::user_id),
            ),
        )
        .select(User::as_select())
        .load(c)
}

/// Who follows challenge `challenge_id` (not suspended).
pub fn challenge_followers(c: &mut DbConnection, challenge_id: &str) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::suspended_at.is_null())
        .filter(
            users::id.eq_any(
                follows::table
                    .filter(follows::target_type.eq(target::CHALLENGE))
                    .filter(follows::target_id.eq(challenge_id))
                    .select(follows::user_id),
            ),
        )
        .select(User::as_select())
        .load(c)
}
