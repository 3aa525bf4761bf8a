//! Challenge resources: the files an organisation attaches to a challenge
//! and its cover image (bytes in the attachment store, by SHA-256).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::schema::challenge_resources as r;
use crate::db::{new_id, DbConnection};

/// The kinds of resource.
pub mod kind {
    /// A file to download.
    pub const FILE: &str = "file";
    /// The cover image shown with the challenge.
    pub const COVER: &str = "cover";
}

/// A stored resource.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = r)]
pub struct Resource {
    pub id: String,
    pub challenge_id: String,
    /// `file` or `cover`.
    pub kind: String,
    pub filename: String,
    pub content_type: String,
    /// In bytes.
    pub size: i64,
    pub sha256: String,
    /// Everyone may download it; otherwise only registered solvers (and the organisation).
    pub public: bool,
    #[serde(skip)]
    pub created_by: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
    #[serde(skip)]
    pub removed_at: Option<NaiveDateTime>,
}

/// What a new resource is.
pub struct NewResource<'a> {
    pub challenge_id: &'a str,
    pub kind: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub public: bool,
    pub by: &'a str,
}

/// Records a resource.
pub fn insert_resource(
    conn: &mut DbConnection,
    n: NewResource<'_>,
    now: NaiveDateTime,
) -> QueryResult<Resource> {
    let id = new_id();
    diesel::insert_into(r::table)
        .values((
            r::id.eq(&id),
            r::challenge_id.eq(n.challenge_id),
            r::kind.eq(n.kind),
            r::filename.eq(n.filename),
            r::content_type.eq(n.content_type),
            r::size.eq(n.size),
            r::sha256.eq(n.sha256),
            r::public.eq(n.public),
            r::created_by.eq(n.by),
            r::created_at.eq(now),
        ))
        .execute(conn)?;
    r::table.find(id).select(Resource::as_select()).first(conn)
}

/// The live resources of `kind` of a challenge, oldest first.
pub fn resources_of(
    conn: &mut DbConnection,
    challenge_id: &str,
    kind: &str,
) -> QueryResult<Vec<Resource>> {
    r::table
        .filter(r::challenge_id.eq(challenge_id))
        .filter(r::kind.eq(kind))
        .filter(r::removed_at.is_null())
        .order((r::created_at.asc(), r::id.asc()))
        .select(Resource::as_select())
        .load(conn)
}

/// One live resource of a challenge.
pub fn resource(
    conn: &mut DbConnection,
    challenge_id: &str,
    id: &str,
) -> QueryResult<Option<Resource>> {
    r::table
        .find(id)
        .filter(r::challenge_id.eq(challenge_id))
        .filter(r::removed_at.is_null())
        .select(Resource::as_select())
        .first(conn)
        .optional()
}

/// Takes a resource down (its record stays, for the audit trail).
pub fn remove_resource(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(r::table.find(id).filter(r::removed_at.is_null()))
        .set(r::removed_at.eq(Some(now)))
        .execute(conn)
}
