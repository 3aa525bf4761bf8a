//! Challenge pages for visitors and solvers.

use actix_web::web;

/// Routes of the public challenge pages.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
