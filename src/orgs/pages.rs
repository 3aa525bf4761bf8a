//! Organisation pages.

use actix_web::web;

/// Organisation page routes.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
