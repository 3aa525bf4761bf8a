//! The field checks of a challenge: every rule of `model` applied to what
//! an organisation sent, over the current values on an edit, with every
//! problem reported at once.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::ChallengeInput;
use crate::challenges::model::{
    self, check_text, check_tiers, check_timeline, parse_licences, parse_tags, Kind, TierInput,
    Visibility, CATEGORIES,
};
use crate::challenges::store::{self, Challenge, Fields};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult, FieldError};
use crate::money::model::Currency;

/// A time as stored: UTC, whole seconds (both backends compare equal).
fn secs(t: DateTime<Utc>) -> NaiveDateTime {
    let n = t.naive_utc();
    chrono::Timelike::with_nanosecond(&n, 0).unwrap_or(n)
}

/// The value of a check, its error kept for the report.
fn keep<T>(errors: &mut Vec<FieldError>, checked: Result<T, FieldError>) -> Option<T> {
    checked.map_err(|e| errors.push(e)).ok()
}

/// Reports `field` out of range unless `ok`.
fn in_range(errors: &mut Vec<FieldError>, ok: bool, field: &str, message: &str) {
    if !ok {
        errors.push(FieldError::new(field, "out_of_range", message));
    }
}

/// Validates `input` over `current` (for PATCH) into storable fields.
pub fn validate(
    conn: &mut DbConnection,
    input: &ChallengeInput,
    current: Option<(&Challenge, Vec<TierInput>, String)>,
    at: NaiveDateTime,
) -> AppResult<Fields> {
    let mut errors: Vec<FieldError> = Vec::new();
    let cur = current.as_ref();
    let pick = |new: &Option<String>, old: Option<&str>| {
        new.clone()
            .or_else(|| old.map(str::to_owned))
            .unwrap_or_default()
    };
    let title = keep(
        &mut errors,
        check_text(
            "title",
            &pick(&input.title, cur.map(|c| c.0.title.as_str())),
            3,
            140,
        ),
    );
    let summary = keep(
        &mut errors,
        check_text(
            "summary",
            &pick(&input.summary, cur.map(|c| c.0.summary.as_str())),
            10,
            300,
        ),
    );
    let description = keep(
        &mut errors,
        check_text(
            "description",
            &pick(&input.description, cur.map(|c| c.0.description_md.as_str())),
            1,
            50_000,
        ),
    );
    let category = pick(&input.category, cur.map(|c| c.0.category.as_str()));
    if !CATEGORIES.contains(&category.as_str()) {
        errors.push(FieldError::new(
            "category",
            "invalid_category",
            format!("Choose one of: {}.", CATEGORIES.join(", ")),
        ));
    }
    let tags = match &input.tags {
        Some(t) => keep(&mut errors, parse_tags("tags", t)),
        None => Some(cur.map(|c| c.0.tag_list()).unwrap_or_default()),
    };
    let kind = pick(&input.kind, cur.map(|c| c.0.kind.as_str()));
    if Kind::parse(&kind).is_none() {
        errors.push(FieldError::new(
            "kind",
            "invalid_kind",
            "Choose ideation, theoretical, reduction_to_practice, software or design.",
        ));
    }
    let currency = keep(
        &mut errors,
        Currency::parse(
            "currency",
            &pick(
                &input.currency,
                cur.map(|c| c.0.currency.as_str()).or(Some("EUR")),
            ),
        ),
    );
    let tiers = match &input.prize_tiers {
        Some(t) => keep(&mut errors, check_tiers("prize_tiers", t)),
        None => match cur {
            Some(c) => Some(c.1.clone()),
            None => {
                errors.push(FieldError::new(
                    "prize_tiers",
                    "required",
                    "Offer at least one prize tier.",
                ));
                None
            }
        },
    };
    let visibility = pick(
        &input.visibility,
        cur.map(|c| c.0.visibility.as_str()).or(Some("public")),
    );
    if Visibility::parse(&visibility).is_none() {
        errors.push(FieldError::new(
            "visibility",
            "invalid_visibility",
            "Choose public or unlisted.",
        ));
    }
    let opens_at = input.opens_at.map(secs).or(cur.and_then(|c| c.0.opens_at));
    let sub = input
        .submission_deadline
        .map(secs)
        .or(cur.map(|c| c.0.submission_deadline));
    let judge = input
        .judging_deadline
        .map(secs)
        .or(cur.map(|c| c.0.judging_deadline));
    match (sub, judge) {
        (Some(s), Some(j)) => errors.extend(check_timeline(opens_at, s, j, at)),
        (s, j) => {
            if s.is_none() {
                errors.push(FieldError::new(
                    "submission_deadline",
                    "required",
                    "Set the submission deadline.",
                ));
            }
            if j.is_none() {
                errors.push(FieldError::new(
                    "judging_deadline",
                    "required",
                    "Set the judging deadline.",
                ));
            }
        }
    }
    let eligibility = keep(
        &mut errors,
        check_text(
            "eligibility",
            &pick(
                &input.eligibility,
                cur.map(|c| c.0.eligibility.as_str())
                    .or(Some("Open to everyone.")),
            ),
            1,
            5_000,
        ),
    );
    let rules = keep(
        &mut errors,
        check_text(
            "rules",
            &pick(&input.rules, cur.map(|c| c.2.as_str())),
            20,
            50_000,
        ),
    );
    let licences = match &input.allowed_licences {
        Some(l) => keep(&mut errors, parse_licences("allowed_licences", l))
            .map(|v| v.into_iter().map(|l| l.id).collect()),
        None => match cur {
            Some(c) => Some(c.0.licence_ids()),
            None => Some(vec!["CC-BY-4.0".to_owned()]),
        },
    };
    let max_subs = input
        .max_submissions_per_solver
        .or(cur.map(|c| c.0.max_submissions_per_solver))
        .unwrap_or(1);
    in_range(
        &mut errors,
        (1..=100).contains(&max_subs),
        "max_submissions_per_solver",
        "Between 1 and 100.",
    );
    let max_team = input
        .max_team_size
        .or(cur.map(|c| c.0.max_team_size))
        .unwrap_or(5);
    in_range(
        &mut errors,
        (1..=50).contains(&max_team),
        "max_team_size",
        "Between 1 and 50.",
    );
    let max_attachment = input
        .max_attachment_bytes
        .or(cur.and_then(|c| c.0.max_attachment_bytes));
    let max_submission = input
        .max_submission_bytes
        .or(cur.and_then(|c| c.0.max_submission_bytes));
    in_range(
        &mut errors,
        max_attachment.is_none_or(|m| (1024..=1024 * 1024 * 1024).contains(&m)),
        "max_attachment_bytes",
        "Between 1 KiB and 1 GiB.",
    );
    in_range(
        &mut errors,
        max_submission
            .is_none_or(|m| m >= max_attachment.unwrap_or(1024) && m <= 10 * 1024 * 1024 * 1024),
        "max_submission_bytes",
        "At least the largest attachment, at most 10 GiB.",
    );
    let blind = input
        .blind_judging
        .or(cur.map(|c| c.0.blind_judging))
        .unwrap_or(false);
    let slug = match (&input.slug, cur) {
        (Some(s), _) => keep(
            &mut errors,
            crate::orgs::model::Slug::parse("slug", s).map(|s| s.as_str().to_owned()),
        ),
        (None, Some(c)) => Some(c.0.slug.clone()),
        (None, None) => title.as_deref().map(model::slug_from_title),
    };
    if let Some(s) = slug.as_ref().filter(|_| input.slug.is_some()) {
        if store::slug_taken(conn, s, cur.map(|c| c.0.id.as_str()))? {
            errors.push(FieldError::new(
                "slug",
                "slug_taken",
                "This address is already taken.",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut slug = slug.unwrap_or_default();
    // An automatic slug that collides gets a short suffix.
    if input.slug.is_none() && cur.is_none() && store::slug_taken(conn, &slug, None)? {
        slug = format!(
            "{}-{}",
            slug.chars().take(33).collect::<String>(),
            &crate::db::new_id()[24..30]
        );
    }
    let (
        Some(title),
        Some(summary),
        Some(description_md),
        Some(tags),
        Some(currency),
        Some(tiers),
        Some(eligibility),
        Some(rules_md),
        Some(allowed_licences),
        Some(submission_deadline),
        Some(judging_deadline),
    ) = (
        title,
        summary,
        description,
        tags,
        currency,
        tiers,
        eligibility,
        rules,
        licences,
        sub,
        judge,
    )
    else {
        return Err(AppError::internal("validated fields missing"));
    };
    Ok(Fields {
        slug,
        title,
        summary,
        description_md,
        category,
        tags,
        kind,
        currency: currency.as_str().to_owned(),
        tiers,
        visibility,
        opens_at,
        submission_deadline,
        judging_deadline,
        eligibility,
        allowed_licences,
        max_submissions_per_solver: max_subs,
        max_team_size: max_team,
        blind_judging: blind,
        max_attachment_bytes: max_attachment,
        max_submission_bytes: max_submission,
        rules_md,
    })
}
