//! HTML pages of challenges: `public` for visitors and solvers (list,
//! search, the challenge page, registration, questions), `manage` for
//! organisations and platform admins (dashboard, the step form, funding,
//! registrants, audit, review and funding queues).

pub mod admin;
pub mod manage;
pub mod public;
