//! Platform settings that shape the challenge flows. The JSON API and the
//! admin page change them through [`change_settings`], so the setting and
//! its audit record are always written together.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, Actor, Entry};
use crate::challenges::store;
use crate::db::now;
use crate::error::AppResult;
use crate::state::AppState;

/// Platform settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Publishing a challenge needs a platform admin's approval.
    pub publish_requires_review: bool,
}

/// A platform admin changes the settings: the new values and an audit
/// record, in one transaction. Returns the settings now in force.
pub async fn change_settings(
    state: &AppState,
    admin_id: &str,
    settings: Settings,
) -> AppResult<Settings> {
    let admin_id = admin_id.to_owned();
    let want = settings.publish_requires_review;
    state
        .tx(move |c| {
            store::set_setting(
                c,
                store::SETTING_PUBLISH_REVIEW,
                if want { "true" } else { "false" },
                now(),
            )?;
            audit::record(
                c,
                Entry {
                    actor: &Actor::user(&admin_id),
                    org_id: None,
                    action: "platform.settings_changed",
                    subject_type: "platform",
                    subject_id: "settings",
                    data: serde_json::json!({ "publish_requires_review": want }),
                },
            )?;
            Ok(settings)
        })
        .await
}
