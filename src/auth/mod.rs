//! Accounts: registration, verification, sessions with rotating refresh
//! tokens, password reset and change, the login throttle.

pub mod api;
pub mod crypto;
pub mod extract;
pub mod model;
pub mod pages;
pub mod principal;
pub mod queries;
pub mod service;
pub mod store;
