//! Submissions: entries by teams under open licences, immutable revisions
//! with content hashes, attachments stored by SHA-256, teams with prize
//! shares, confidentiality until results, and the public solutions gallery.

pub mod api;
pub mod blobs;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
