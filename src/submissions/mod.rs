//! Submissions: entries by teams under open licences, immutable revisions
//! with content hashes, attachments stored by SHA-256, teams with prize
//! shares, confidentiality until results, and the public solutions gallery.
//!
//! Writes go through [`service`], reads through [`queries`]; [`api`] and
//! [`pages`] parse, call one of them and answer.

pub mod api;
pub mod blobs;
pub mod model;
pub mod pages;
pub mod queries;
pub mod service;
pub mod store;
pub mod upload;
