//! Submission pages: entering and revising, receipts, teams, the solutions
//! gallery and the solver dashboard.

use actix_web::web;

/// Routes of the submission pages.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
