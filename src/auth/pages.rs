//! Account pages.

use actix_web::web;

/// Account page routes.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
