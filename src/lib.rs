//! Tribu: an open innovation challenge marketplace.
//!
//! Layout: `app` holds the route table; each area (`auth`, `orgs`, `notify`)
//! keeps its pure rules in `model.rs`, its queries in `store.rs`, its flows in
//! `service.rs` and its HTTP handlers in `api.rs` (JSON) and `pages.rs` (HTML).

pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod challenges;
pub mod config;
pub mod db;
pub mod error;
pub mod frontend;
pub mod health;
pub mod i18n;
pub mod idempotency;
pub mod judging;
pub mod legal;
pub mod markdown;
pub mod money;
pub mod notify;
pub mod openapi;
pub mod orgs;
pub mod payouts;
pub mod privacy;
pub mod seed;
pub mod state;
pub mod submissions;
pub mod web;
pub mod webhooks;
