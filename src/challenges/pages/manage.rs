//! Challenge pages for organisations and platform admins.

use actix_web::web;

/// Routes of the management pages.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
