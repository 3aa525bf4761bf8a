//! Challenges: drafts, publication against a funded escrow, the state
//! machine, search and listing, rules versions and registration, Q&A and
//! announcements, and the platform's review.
//!
//! Rules live in [`model`]; writes go through [`service`] and reads through
//! [`queries`], both over [`store`]; [`api`], [`pages`] and [`feeds`] parse,
//! call one of them and answer.

pub mod api;
pub mod feeds;
pub mod model;
pub mod pages;
pub mod queries;
pub mod service;
pub mod store;
