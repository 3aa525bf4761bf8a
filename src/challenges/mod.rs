//! Challenges: drafts, publication against a funded escrow, the state
//! machine, search and listing, rules versions and registration, Q&A and
//! announcements.

pub mod api;
pub mod feeds;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
