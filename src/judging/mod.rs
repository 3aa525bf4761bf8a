//! Judging: panels, rubrics, rounds, conflicts of interest, assignment,
//! scorecards, rankings and results. The rules are in `model.rs`.

pub mod model;
pub mod store;
