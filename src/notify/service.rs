//! What people do with their notifications: read them, choose per kind
//! how they hear of each, and stop a kind from an email without signing in.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::inbox::{self, Notification};
use super::model;
use crate::audit::{self, Actor, Entry};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;

/// An in-app notification as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    /// One of the notification kinds (see `/me/notification-preferences`).
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Where it leads, a path on this site or an address.
    pub url: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub read_at: Option<NaiveDateTime>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        NotificationView {
            id: n.id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            url: n.url,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

/// My notifications and how many are unread.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub data: Vec<NotificationView>,
    pub unread: i64,
}

/// How a person hears of one kind.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    pub kind: String,
    pub email: bool,
    pub in_app: bool,
}

/// Every kind with my choice (both on unless changed).
#[derive(Debug, Serialize, ToSchema)]
pub struct Preferences {
    pub data: Vec<Preference>,
}

/// New choices for some kinds; the others stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesInput {
    pub data: Vec<Preference>,
}

/// My latest notifications (at most `limit`, newest first).
pub async fn list(
    state: &AppState,
    user_id: &str,
    unread_only: bool,
    limit: i64,
) -> AppResult<NotificationList> {
    let uid = user_id.to_owned();
    state
        .db(move |c| {
            let data = inbox::list(c, &uid, unread_only, limit.clamp(1, 200))?
                .into_iter()
                .map(NotificationView::from)
                .collect();
            let unread = crate::auth::store::find_user(c, &uid)?.unread_notifications;
            Ok(NotificationList {
                data,
                unread: i64::from(unread),
            })
        })
        .await
}

/// Marks one of my notifications read (404 if it is not mine), or all.
pub async fn mark_read(state: &AppState, user_id: &str, id: Option<String>) -> AppResult<()> {
    let uid = user_id.to_owned();
    state
        .tx(move |c| {
            if let Some(id) = &id {
                if !inbox::exists(c, &uid, id)? {
                    return Err(AppError::NotFound);
                }
            }
            inbox::mark_read(c, &uid, id.as_deref(), now())?;
            Ok(())
        })
        .await
}

/// Opens one of my notifications: marks it read and says where it leads.
pub async fn open(state: &AppState, user_id: &str, id: &str) -> AppResult<Option<String>> {
    let (uid, id) = (user_id.to_owned(), id.to_owned());
    state
        .tx(move |c| {
            let n = inbox::list(c, &uid, false, 500)?
                .into_iter()
                .find(|n| n.id == id)
                .ok_or(AppError::NotFound)?;
            inbox::mark_read(c, &uid, Some(&id), now())?;
            Ok(n.url)
        })
        .await
}

fn all_prefs(c: &mut DbConnection, user_id: &str) -> AppResult<Preferences> {
    let set = inbox::prefs(c, user_id)?;
    Ok(Preferences {
        data: model::KINDS
            .iter()
            .map(|k| {
                let (email, in_app) = set
                    .iter()
                    .find(|(kind, _, _)| kind == k)
                    .map(|(_, e, i)| (*e, *i))
                    .unwrap_or((true, true));
                Preference {
                    kind: (*k).to_owned(),
                    email,
                    in_app,
                }
            })
            .collect(),
    })
}

/// My choice for every kind.
pub async fn preferences(state: &AppState, user_id: &str) -> AppResult<Preferences> {
    let uid = user_id.to_owned();
    state.db(move |c| all_prefs(c, &uid)).await
}

/// Records my choices (unknown kinds are refused, nothing changes).
pub async fn set_preferences(
    state: &AppState,
    user_id: &str,
    input: Vec<Preference>,
) -> AppResult<Preferences> {
    let errors: Vec<FieldError> = input
        .iter()
        .filter(|p| !model::is_notification(&p.kind))
        .map(|p| {
            FieldError::new(
                "data",
                "unknown_kind",
                format!("{:?} is not a notification kind.", p.kind),
            )
        })
        .collect();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let uid = user_id.to_owned();
    state
        .tx(move |c| {
            let before = all_prefs(c, &uid)?;
            let mut changed = Vec::new();
            for p in &input {
                let old = before.data.iter().find(|b| b.kind == p.kind);
                if old.is_some_and(|o| o.email == p.email && o.in_app == p.in_app) {
                    continue;
                }
                inbox::set_pref(c, &uid, &p.kind, p.email, p.in_app)?;
                changed.push(
                    serde_json::json!({ "kind": p.kind, "email": p.email, "in_app": p.in_app }),
                );
            }
            if !changed.is_empty() {
                audit_user(
                    c,
                    &Actor::user(&uid),
                    &uid,
                    "notifications.preferences_changed",
                    serde_json::json!({ "changed": changed }),
                )?;
            }
            all_prefs(c, &uid)
        })
        .await
}

/// Stops emails of `kind` for `user_id` from a signed link, without
/// signing in; the in-app notices stay as chosen. Refused (404) unless the
/// signature is the platform's for this person and kind.
pub async fn unsubscribe(
    state: &AppState,
    user_id: &str,
    kind: &str,
    signature: &str,
) -> AppResult<String> {
    if !model::unsubscribe_valid(&state.link_secret, user_id, kind, signature) {
        return Err(AppError::NotFound);
    }
    let (uid, kind) = (user_id.to_owned(), kind.to_owned());
    state
        .tx(move |c| {
            let in_app = inbox::pref(c, &uid, &kind)?.is_none_or(|(_, i)| i);
            inbox::set_pref(c, &uid, &kind, false, in_app)?;
            audit_user(
                c,
                &Actor::user(&uid),
                &uid,
                "notifications.unsubscribed",
                serde_json::json!({ "kind": kind }),
            )?;
            Ok(kind)
        })
        .await
}

fn audit_user(
    c: &mut DbConnection,
    actor: &Actor,
    user_id: &str,
    action: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        c,
        Entry {
            actor,
            org_id: None,
            action,
            subject_type: "user",
            subject_id: user_id,
            data,
        },
    )?;
    Ok(())
}
