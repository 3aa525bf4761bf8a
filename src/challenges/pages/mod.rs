//! HTML pages of challenges: `public` for visitors and solvers (list,
//! search, the challenge page, registration, questions), `manage` for
//! organisations and platform admins (dashboard, the step form, funding,
//! registrants, audit, review and funding queues).

use actix_web::web;

pub mod admin;
pub mod manage;
pub mod public;

/// Every challenge page route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(public::routes)
        .configure(manage::routes)
        .configure(admin::routes);
}
