//! The people of a challenge on its management page: who registered (and
//! under which rules version) and the entries they submitted.

use crate::challenges::queries::{EntryItem, Registrant};
use crate::frontend::format::Stamp;

/// A registrant as listed.
#[derive(Debug, Clone)]
pub struct RegistrantRow {
    pub name: String,
    pub email: String,
    pub rules_version: i32,
    /// Accepted an older rules version than the current one.
    pub outdated: bool,
    pub registered: Stamp,
}

/// A submission as the organisation lists it.
#[derive(Debug, Clone)]
pub struct EntryRow {
    pub id: String,
    pub title: String,
    pub team: String,
    pub state: String,
    pub revision: i32,
    pub updated: Stamp,
}

/// The registrants, marked when they accepted an older rules version than
/// `current_rules`.
pub fn registrant_rows(registrants: Vec<Registrant>, current_rules: i32) -> Vec<RegistrantRow> {
    registrants
        .into_iter()
        .map(|r| RegistrantRow {
            outdated: r.rules_version < current_rules,
            name: r.display_name,
            email: r.email,
            rules_version: r.rules_version,
            registered: Stamp::of(r.registered_at),
        })
        .collect()
}

/// The entries as listed.
pub fn entry_rows(entries: Vec<EntryItem>) -> Vec<EntryRow> {
    entries
        .into_iter()
        .map(|e| EntryRow {
            id: e.id,
            title: e.title,
            team: e.team,
            state: e.state,
            revision: e.revision,
            updated: Stamp::of(e.updated_at),
        })
        .collect()
}

/// `GET /manage/challenges/{slug}/{what}.csv`: registrants or entries as
/// CSV, for the organisation.
pub async fn csv(
    state: actix_web::web::Data<crate::state::AppState>,
    user: crate::frontend::session::PageUser,
    path: actix_web::web::Path<(String, String)>,
) -> Result<actix_web::HttpResponse, crate::error::AppError> {
    let (slug, what) = path.into_inner();
    let what = match what.as_str() {
        "registrants.csv" => "registrants",
        "entries.csv" => "entries",
        _ => return Err(crate::error::AppError::NotFound),
    };
    let who = crate::auth::principal::Principal::User(user.0.clone());
    let body = crate::challenges::queries::export_csv(&state, who, slug, what).await?;
    Ok(crate::judging::api::csv_response(
        format!("{what}.csv"),
        body,
    ))
}
