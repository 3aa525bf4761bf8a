//! The money API: the report of every challenge's money (platform admins).

use actix_web::{web, HttpResponse};

use super::report::{self, MoneyReport};
use crate::auth::extract::PlatformAdmin;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

/// The money report: for each challenge with money in the ledger, what was
/// funded, charged in fees, awarded, paid out, refunded and refunded for
/// real, and what is still to send; totals per currency (platform admins).
#[utoipa::path(get, path = "/api/v1/admin/money/report", tag = "admin", operation_id = "money_report",
    security(("bearer" = [])),
    responses((status = 200, body = MoneyReport), (status = 403, body = Problem)))]
pub async fn report(state: web::Data<AppState>, _admin: PlatformAdmin) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(report::report(&state).await?))
}
