//! Platform settings: a key-value table the platform admins change.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::platform_settings;
use crate::db::DbConnection;

/// Whether publishing a challenge needs a platform admin's approval.
pub const SETTING_PUBLISH_REVIEW: &str = "publish_requires_review";

/// The value of a platform setting, if it was ever set.
pub fn setting(conn: &mut DbConnection, key: &str) -> QueryResult<Option<String>> {
    platform_settings::table
        .find(key)
        .select(platform_settings::value)
        .first(conn)
        .optional()
}

/// Sets a platform setting, creating it the first time.
pub fn set_setting(
    conn: &mut DbConnection,
    key: &str,
    value: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let n = diesel::update(platform_settings::table.find(key))
        .set((
            platform_settings::value.eq(value),
            platform_settings::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(platform_settings::table)
            .values((
                platform_settings::key.eq(key),
                platform_settings::value.eq(value),
                platform_settings::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}
