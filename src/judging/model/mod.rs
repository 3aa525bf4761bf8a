//! The rules of judging, pure: who judges which entry (assignment), how a
//! scorecard becomes a score, how scores become a ranking (weighted means,
//! optional per-judge normalisation, ties), how much judges agree
//! (Krippendorff's alpha), neutral entry codes for blind rounds, and how a
//! ranking becomes prizes. No IO here; the formulas are also written out
//! for people on `/judging/method`.

mod assignment;
mod prizes;
mod ranking;

pub use assignment::*;
pub use prizes::*;
pub use ranking::*;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

// ---- rounds and their states ----

/// Where a judging round is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundState {
    /// Being prepared: rubric, panel, assignment.
    Draft,
    /// Judges score.
    Open,
    /// Scorecards are frozen; the leaderboard is final.
    Closed,
}

impl RoundState {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundState::Draft => "draft",
            RoundState::Open => "open",
            RoundState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(RoundState::Draft),
            "open" => Some(RoundState::Open),
            "closed" => Some(RoundState::Closed),
            _ => None,
        }
    }
}

// ---- rubric ----

/// One criterion of a round's rubric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Criterion {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Relative weight, greater than zero.
    pub weight: f64,
    /// Lowest score on the scale.
    pub scale_min: i32,
    /// Highest score on the scale (greater than `scale_min`).
    pub scale_max: i32,
    /// Whether the judge must explain the score.
    pub comment_required: bool,
}

/// Checks a rubric as an organisation writes it: at least one criterion,
/// names, weights above zero, scales of at least two points.
pub fn check_rubric(criteria: &[Criterion]) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if criteria.is_empty() {
        errors.push(FieldError::new(
            "criteria",
            "required",
            "A rubric needs at least one criterion.",
        ));
    }
    if criteria.len() > 20 {
        errors.push(FieldError::new(
            "criteria",
            "too_many",
            "A rubric has at most 20 criteria.",
        ));
    }
    for (i, c) in criteria.iter().enumerate() {
        let f = |name: &str| format!("criteria[{i}].{name}");
        let name_len = c.name.trim().chars().count();
        if !(1..=120).contains(&name_len) {
            errors.push(FieldError::new(
                &f("name"),
                "invalid",
                "Name each criterion (at most 120 characters).",
            ));
        }
        if c.description.chars().count() > 2_000 {
            errors.push(FieldError::new(
                &f("description"),
                "too_long",
                "At most 2,000 characters.",
            ));
        }
        if !(c.weight.is_finite() && c.weight > 0.0 && c.weight <= 1_000.0) {
            errors.push(FieldError::new(
                &f("weight"),
                "out_of_range",
                "A weight is greater than 0 (at most 1000).",
            ));
        }
        if c.scale_min < 0 || c.scale_max > 1_000 || c.scale_max <= c.scale_min {
            errors.push(FieldError::new(
                &f("scale_max"),
                "out_of_range",
                "A scale runs from a minimum (0 or more) to a larger maximum (at most 1000).",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Checks a judge's scores against the rubric: every criterion scored once,
/// within its scale, with a comment where one is required (on submission).
pub fn check_scores(
    criteria: &[Criterion],
    scores: &BTreeMap<String, i32>,
    comments: &BTreeMap<String, String>,
    submitting: bool,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    for id in scores.keys() {
        if !criteria.iter().any(|c| &c.id == id) {
            errors.push(FieldError::new(
                &format!("scores.{id}"),
                "unknown_criterion",
                "This criterion is not in the round's rubric.",
            ));
        }
    }
    for c in criteria {
        match scores.get(&c.id) {
            Some(s) if *s < c.scale_min || *s > c.scale_max => errors.push(FieldError::new(
                &format!("scores.{}", c.id),
                "out_of_scale",
                format!("Score {} from {} to {}.", c.name, c.scale_min, c.scale_max),
            )),
            None if submitting => errors.push(FieldError::new(
                &format!("scores.{}", c.id),
                "required",
                format!("Score {} before submitting.", c.name),
            )),
            _ => {}
        }
        let comment = comments.get(&c.id).map(|s| s.trim()).unwrap_or("");
        if submitting && c.comment_required && comment.is_empty() {
            errors.push(FieldError::new(
                &format!("comments.{}", c.id),
                "required",
                format!("Explain your score for {}.", c.name),
            ));
        }
        if comment.chars().count() > 5_000 {
            errors.push(FieldError::new(
                &format!("comments.{}", c.id),
                "too_long",
                "At most 5,000 characters.",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A scorecard as a number from 0 to 100: each criterion's score placed on
/// its scale (0 at the minimum, 1 at the maximum), weighted, averaged.
/// `None` when a criterion is unscored.
pub fn weighted_score(criteria: &[Criterion], scores: &BTreeMap<String, i32>) -> Option<f64> {
    let mut sum = 0.0;
    let mut weights = 0.0;
    for c in criteria {
        let s = *scores.get(&c.id)?;
        let span = f64::from(c.scale_max - c.scale_min);
        if span <= 0.0 {
            return None;
        }
        sum += c.weight * f64::from(s - c.scale_min) / span;
        weights += c.weight;
    }
    (weights > 0.0).then(|| 100.0 * sum / weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_weighted_on_their_scales() {
        let c = |id: &str, w: f64, lo: i32, hi: i32| Criterion {
            id: id.into(),
            name: id.into(),
            description: String::new(),
            weight: w,
            scale_min: lo,
            scale_max: hi,
            comment_required: false,
        };
        let rubric = [c("a", 3.0, 1, 10), c("b", 1.0, 0, 4)];
        let s: BTreeMap<String, i32> = [("a".into(), 10), ("b".into(), 0)].into();
        assert_eq!(weighted_score(&rubric, &s), Some(75.0));
        let s: BTreeMap<String, i32> = [("a".into(), 10)].into();
        assert_eq!(weighted_score(&rubric, &s), None);
        let out: BTreeMap<String, i32> = [("a".into(), 11), ("b".into(), 2)].into();
        let errs = check_scores(&rubric, &out, &BTreeMap::new(), true)
            .err()
            .unwrap_or_default();
        assert_eq!(errs[0].code, "out_of_scale");
        assert!(check_rubric(&[c("x", 0.0, 1, 10)]).is_err());
        assert!(check_rubric(&[c("x", 1.0, 5, 5)]).is_err());
        assert!(check_rubric(&rubric).is_ok());
    }
}
