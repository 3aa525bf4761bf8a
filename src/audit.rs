//! The audit log: who changed what, when. Written in the same transaction as
//! the change it records.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::audit_log;
use crate::db::{new_id, now, DbConnection};

/// Who did something.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<String>,
    pub api_key_id: Option<String>,
}

impl Actor {
    pub fn user(id: &str) -> Self {
        Actor {
            user_id: Some(id.to_owned()),
            api_key_id: None,
        }
    }
}

/// One audit record to write.
pub struct Entry<'a> {
    pub actor: &'a Actor,
    pub org_id: Option<&'a str>,
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    pub data: serde_json::Value,
}

/// Appends an entry.
pub fn record(conn: &mut DbConnection, e: Entry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(new_id()),
            audit_log::actor_user_id.eq(e.actor.user_id.as_deref()),
            audit_log::actor_api_key_id.eq(e.actor.api_key_id.as_deref()),
            audit_log::org_id.eq(e.org_id),
            audit_log::action.eq(e.action),
            audit_log::subject_type.eq(e.subject_type),
            audit_log::subject_id.eq(e.subject_id),
            audit_log::data.eq(e.data.to_string()),
            audit_log::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// An audit record as shown to an organisation.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = audit_log)]
pub struct AuditRecord {
    pub id: String,
    pub actor_user_id: Option<String>,
    pub actor_api_key_id: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// The latest entries of an organisation.
pub fn for_org(conn: &mut DbConnection, org_id: &str, limit: i64) -> QueryResult<Vec<AuditRecord>> {
    audit_log::table
        .filter(audit_log::org_id.eq(org_id))
        .order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRecord::as_select())
        .load(conn)
}

/// The latest entries about a subject.
pub fn for_subject(
    conn: &mut DbConnection,
    subject_type: &str,
    subject_id: &str,
) -> QueryResult<Vec<AuditRecord>> {
    audit_log::table
        .filter(audit_log::subject_type.eq(subject_type))
        .filter(audit_log::subject_id.eq(subject_id))
        .order(audit_log::id.asc())
        .select(AuditRecord::as_select())
        .load(conn)
}
