//! Judging: panels, rubrics, rounds, conflicts of interest, assignment,
//! scorecards, rankings and results. The rules are in `model.rs`, the
//! queries in `store.rs`, the use cases in `service/`, the read models in
//! `queries.rs`.

pub mod api;
pub mod model;
pub mod pages;
pub mod queries;
pub mod service;
pub mod store;
