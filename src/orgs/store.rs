//! Organisation queries: orgs, members, invitations, API keys.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::model::{Role, Scope};
use crate::auth::crypto::{random_token, token_hash};
use crate::db::is_unique_violation;
use crate::db::schema::{api_keys, org_invitations, org_members, orgs, users};
use crate::db::{new_id, DbConnection};
use crate::error::{AppError, AppResult};

/// An organisation.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = orgs)]
pub struct Org {
    pub id: String,
    pub slug: String,
    pub name: String,
    #[serde(skip)]
    pub created_by: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
}

/// Creates an organisation with `owner` as its first owner.
pub fn create_org(
    conn: &mut DbConnection,
    slug: &str,
    name: &str,
    owner: &str,
    now: NaiveDateTime,
) -> AppResult<Org> {
    let id = new_id();
    let res = diesel::insert_into(orgs::table)
        .values((
            orgs::id.eq(&id),
            orgs::slug.eq(slug),
            orgs::name.eq(name),
            orgs::created_by.eq(owner),
            orgs::created_at.eq(now),
        ))
        .execute(conn);
    match res {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Validation(vec![crate::error::FieldError::new(
                "slug",
                "slug_taken",
                "This address is already taken.",
            )]))
        }
        Err(e) => return Err(e.into()),
    }
    add_member(conn, &id, owner, Role::Owner, now)?;
    Ok(orgs::table.find(&id).select(Org::as_select()).first(conn)?)
}

pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<Org>> {
    orgs::table
        .filter(orgs::slug.eq(slug))
        .select(Org::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Org> {
    orgs::table.find(id).select(Org::as_select()).first(conn)
}

pub fn add_member(
    conn: &mut DbConnection,
    org_id: &str,
    user_id: &str,
    role: Role,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(org_members::table)
        .values((
            org_members::org_id.eq(org_id),
            org_members::user_id.eq(user_id),
            org_members::role.eq(role.as_str()),
            org_members::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The role of a user in an organisation, if a member.
pub fn role_of(conn: &mut DbConnection, org_id: &str, user_id: &str) -> QueryResult<Option<Role>> {
    let r: Option<String> = org_members::table
        .find((org_id, user_id))
        .select(org_members::role)
        .first(conn)
        .optional()?;
    Ok(r.and_then(|r| Role::parse(&r)))
}

/// A member as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    pub user_id: String,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub joined_at: NaiveDateTime,
}

pub fn list_members(conn: &mut DbConnection, org_id: &str) -> QueryResult<Vec<Member>> {
    let rows: Vec<(String, String, String, String, NaiveDateTime)> = org_members::table
        .inner_join(users::table)
        .filter(org_members::org_id.eq(org_id))
        .order((org_members::created_at.asc(), users::display_name.asc()))
        .select((
            users::id,
            users::display_name,
            users::email,
            org_members::role,
            org_members::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, display_name, email, role, joined_at)| Member {
            user_id,
            display_name,
            email,
            role: Role::parse(&role).unwrap_or(Role::Member),
            joined_at,
        })
        .collect())
}

pub fn count_owners(conn: &mut DbConnection, org_id: &str) -> QueryResult<i64> {
    org_members::table
        .filter(org_members::org_id.eq(org_id))
        .filter(org_members::role.eq(Role::Owner.as_str()))
        .count()
        .get_result(conn)
}

pub fn remove_member(conn: &mut DbConnection, org_id: &str, user_id: &str) -> QueryResult<usize> {
    diesel::delete(org_members::table.find((org_id, user_id))).execute(conn)
}

pub fn set_role(
    conn: &mut DbConnection,
    org_id: &str,
    user_id: &str,
    role: Role,
) -> QueryResult<usize> {
    diesel::update(org_members::table.find((org_id, user_id)))
        .set(org_members::role.eq(role.as_str()))
        .execute(conn)
}

/// The organisations a user belongs to, with the role.
pub fn orgs_of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<(Org, Role)>> {
    let rows: Vec<(Org, String)> = orgs::table
        .inner_join(org_members::table)
        .filter(org_members::user_id.eq(user_id))
        .order(orgs::name.asc())
        .select((Org::as_select(), org_members::role))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(o, r)| (o, Role::parse(&r).unwrap_or(Role::Member)))
        .collect())
}

// ---- invitations ----

/// A pending invitation.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = org_invitations)]
pub struct Invitation {
    pub id: String,
    #[serde(skip)]
    pub org_id: String,
    pub email: String,
    #[schema(value_type = Role)]
    pub role: String,
    #[serde(skip)]
    pub invited_by: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub expires_at: NaiveDateTime,
}

/// Invitations live this long.
pub const INVITATION_DAYS: i64 = 14;

/// Creates an invitation; returns it and its token (sent by email only).
pub fn create_invitation(
    conn: &mut DbConnection,
    org_id: &str,
    email: &str,
    role: Role,
    invited_by: &str,
    now: NaiveDateTime,
) -> QueryResult<(Invitation, String)> {
    let token = random_token("");
    let id = new_id();
    diesel::insert_into(org_invitations::table)
        .values((
            org_invitations::id.eq(&id),
            org_invitations::org_id.eq(org_id),
            org_invitations::email.eq(email),
            org_invitations::role.eq(role.as_str()),
            org_invitations::token_hash.eq(token_hash(&token)),
            org_invitations::invited_by.eq(invited_by),
            org_invitations::created_at.eq(now),
            org_invitations::expires_at.eq(now + Duration::days(INVITATION_DAYS)),
        ))
        .execute(conn)?;
    let inv = org_invitations::table
        .find(&id)
        .select(Invitation::as_select())
        .first(conn)?;
    Ok((inv, token))
}

pub fn pending_invitations(
    conn: &mut DbConnection,
    org_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<Invitation>> {
    org_invitations::table
        .filter(org_invitations::org_id.eq(org_id))
        .filter(org_invitations::accepted_at.is_null())
        .filter(org_invitations::revoked_at.is_null())
        .filter(org_invitations::expires_at.gt(now))
        .order(org_invitations::created_at.desc())
        .select(Invitation::as_select())
        .load(conn)
}

/// A live invitation by its token.
pub fn invitation_by_token(
    conn: &mut DbConnection,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Invitation>> {
    org_invitations::table
        .filter(org_invitations::token_hash.eq(token_hash(token)))
        .filter(org_invitations::accepted_at.is_null())
        .filter(org_invitations::revoked_at.is_null())
        .filter(org_invitations::expires_at.gt(now))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

pub fn mark_invitation_accepted(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        org_invitations::table
            .find(id)
            .filter(org_invitations::accepted_at.is_null()),
    )
    .set(org_invitations::accepted_at.eq(Some(now)))
    .execute(conn)
}

pub fn revoke_invitation(
    conn: &mut DbConnection,
    org_id: &str,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        org_invitations::table
            .find(id)
            .filter(org_invitations::org_id.eq(org_id))
            .filter(org_invitations::accepted_at.is_null()),
    )
    .set(org_invitations::revoked_at.eq(Some(now)))
    .execute(conn)
}

// ---- API keys ----

/// Prefix of every API key secret.
pub const KEY_PREFIX: &str = "tribu_sk_";

/// An API key as listed (never with its secret).
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: String,
    #[serde(skip)]
    pub org_id: String,
    pub name: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    #[serde(skip)]
    pub scopes: String,
    #[serde(skip)]
    pub created_by: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub created_at: NaiveDateTime,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub last_used_at: Option<NaiveDateTime>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiKey {
    pub fn scope_list(&self) -> Vec<Scope> {
        Scope::parse_list(&self.scopes)
    }
}

/// Creates a key; returns it and its secret (shown once, stored hashed).
pub fn create_api_key(
    conn: &mut DbConnection,
    org_id: &str,
    name: &str,
    scopes: &[Scope],
    created_by: &str,
    now: NaiveDateTime,
) -> QueryResult<(ApiKey, String)> {
    let secret = random_token(KEY_PREFIX);
    let prefix: String = secret.chars().take(KEY_PREFIX.len() + 6).collect();
    let id = new_id();
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(&id),
            api_keys::org_id.eq(org_id),
            api_keys::name.eq(name),
            api_keys::prefix.eq(&prefix),
            api_keys::secret_hash.eq(token_hash(&secret)),
            api_keys::scopes.eq(Scope::join(scopes)),
            api_keys::created_by.eq(created_by),
            api_keys::created_at.eq(now),
        ))
        .execute(conn)?;
    let key = api_keys::table
        .find(&id)
        .select(ApiKey::as_select())
        .first(conn)?;
    Ok((key, secret))
}

pub fn list_api_keys(conn: &mut DbConnection, org_id: &str) -> QueryResult<Vec<ApiKey>> {
    api_keys::table
        .filter(api_keys::org_id.eq(org_id))
        .order(api_keys::created_at.desc())
        .select(ApiKey::as_select())
        .load(conn)
}

pub fn revoke_api_key(
    conn: &mut DbConnection,
    org_id: &str,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        api_keys::table
            .find(id)
            .filter(api_keys::org_id.eq(org_id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Some(now)))
    .execute(conn)
}

/// When invitations to `email` were made since `since` (for the per-address limit).
pub fn invitations_to_since(
    conn: &mut DbConnection,
    email: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    org_invitations::table
        .filter(org_invitations::email.eq(email))
        .filter(org_invitations::created_at.gt(since))
        .select(org_invitations::created_at)
        .load(conn)
}

/// Revokes the live keys `user_id` created, in `org_id` or in every
/// organisation; returns the id and organisation of each.
pub fn revoke_keys_created_by(
    conn: &mut DbConnection,
    user_id: &str,
    org_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Vec<(String, String)>> {
    let mut q = api_keys::table
        .filter(api_keys::created_by.eq(user_id))
        .filter(api_keys::revoked_at.is_null())
        .select((api_keys::id, api_keys::org_id))
        .into_boxed();
    if let Some(o) = org_id {
        q = q.filter(api_keys::org_id.eq(o));
    }
    let keys: Vec<(String, String)> = q.load(conn)?;
    for (id, org) in &keys {
        revoke_api_key(conn, org, id, now)?;
    }
    Ok(keys)
}

/// The live key with this secret; records its use (at most once a minute,
/// so a busy integration does not write on every request).
pub fn authenticate_api_key(
    conn: &mut DbConnection,
    secret: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<ApiKey>> {
    let key: Option<ApiKey> = api_keys::table
        .filter(api_keys::secret_hash.eq(token_hash(secret)))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?;
    // A key acts for whoever created it: it stops with them (suspended, gone
    // from the organisation, or no longer allowed to manage keys).
    let Some(key) = key else {
        return Ok(None);
    };
    let creator_live: i64 = users::table
        .find(&key.created_by)
        .filter(users::suspended_at.is_null())
        .count()
        .get_result(conn)?;
    let creator_role = role_of(conn, &key.org_id, &key.created_by)?;
    if creator_live == 0 || creator_role.is_none_or(|r| r < Role::Admin) {
        return Ok(None);
    }
    let key = Some(key);
    if let Some(k) = &key {
        if k.last_used_at
            .is_none_or(|t| now - t > Duration::seconds(60))
        {
            diesel::update(api_keys::table.find(&k.id))
                .set(api_keys::last_used_at.eq(Some(now)))
                .execute(conn)?;
        }
    }
    Ok(key)
}
