//! Challenge flows shared by the JSON API, the pages, the worker and the
//! demo seed: create and edit, publish (with escrow and review checks),
//! cancel with refund, rules versions, registration, Q&A, announcements.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::model::{
    self, check_text, check_tiers, check_timeline, parse_licences, parse_tags, review, Event, Kind,
    PendingTexts, State, TierInput, Visibility, CATEGORIES,
};
use super::store::{self, Challenge, Fields};
use crate::audit::{self, Actor, Entry};
use crate::auth::principal::Principal;
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult, FieldError};
use crate::money::model::{
    fee_for, funding_lines, funding_needed, refund_lines, Currency, EscrowFlows,
};
use crate::money::store as ledger;
use crate::orgs::model::OrgAction;
use crate::orgs::service::{access_org, Access};
use crate::orgs::store as orgs;
use crate::state::AppState;

/// Everything an organisation writes about a challenge. On PATCH every field
/// is optional and falls back to the current value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeInput {
    /// The organisation's slug (on create; an API key's own organisation by default).
    pub org: Option<String>,
    pub title: Option<String>,
    /// Defaults to one made from the title.
    pub slug: Option<String>,
    pub summary: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    /// ideation, theoretical, reduction_to_practice, software or design.
    pub kind: Option<String>,
    pub currency: Option<String>,
    pub prize_tiers: Option<Vec<TierInput>>,
    /// public or unlisted.
    pub visibility: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submission_deadline: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub judging_deadline: Option<DateTime<Utc>>,
    pub eligibility: Option<String>,
    /// Markdown; on an open challenge use the rules endpoint to publish a new version.
    pub rules: Option<String>,
    /// SPDX ids, e.g. `["CC-BY-4.0", "MIT"]`.
    pub allowed_licences: Option<Vec<String>>,
    pub max_submissions_per_solver: Option<i32>,
    pub max_team_size: Option<i32>,
    pub blind_judging: Option<bool>,
    /// Largest attachment in bytes (default: the platform's).
    pub max_attachment_bytes: Option<i64>,
    /// Largest total of a submission's attachments in bytes (default: the platform's).
    pub max_submission_bytes: Option<i64>,
}

fn secs(t: DateTime<Utc>) -> NaiveDateTime {
    let n = t.naive_utc();
    n.with_nanosecond_zero()
}

trait NoNanos {
    fn with_nanosecond_zero(self) -> Self;
}
impl NoNanos for NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        chrono::Timelike::with_nanosecond(&self, 0).unwrap_or(self)
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
    let title = check_text(
        "title",
        &pick(&input.title, cur.map(|c| c.0.title.as_str())),
        3,
        140,
    )
    .map_err(|e| errors.push(e))
    .ok();
    let summary = check_text(
        "summary",
        &pick(&input.summary, cur.map(|c| c.0.summary.as_str())),
        10,
        300,
    )
    .map_err(|e| errors.push(e))
    .ok();
    let description = check_text(
        "description",
        &pick(&input.description, cur.map(|c| c.0.description_md.as_str())),
        1,
        50_000,
    )
    .map_err(|e| errors.push(e))
    .ok();
    let category = pick(&input.category, cur.map(|c| c.0.category.as_str()));
    if !CATEGORIES.contains(&category.as_str()) {
        errors.push(FieldError::new(
            "category",
            "invalid_category",
            format!("Choose one of: {}.", CATEGORIES.join(", ")),
        ));
    }
    let tags = match &input.tags {
        Some(t) => parse_tags("tags", t).map_err(|e| errors.push(e)).ok(),
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
    let currency = Currency::parse(
        "currency",
        &pick(
            &input.currency,
            cur.map(|c| c.0.currency.as_str()).or(Some("EUR")),
        ),
    )
    .map_err(|e| errors.push(e))
    .ok();
    let tiers = match &input.prize_tiers {
        Some(t) => check_tiers("prize_tiers", t)
            .map_err(|e| errors.push(e))
            .ok(),
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
    let eligibility = check_text(
        "eligibility",
        &pick(
            &input.eligibility,
            cur.map(|c| c.0.eligibility.as_str())
                .or(Some("Open to everyone.")),
        ),
        1,
        5_000,
    )
    .map_err(|e| errors.push(e))
    .ok();
    let rules = check_text(
        "rules",
        &pick(&input.rules, cur.map(|c| c.2.as_str())),
        20,
        50_000,
    )
    .map_err(|e| errors.push(e))
    .ok();
    let licences = match &input.allowed_licences {
        Some(l) => parse_licences("allowed_licences", l)
            .map_err(|e| errors.push(e))
            .ok()
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
    if !(1..=100).contains(&max_subs) {
        errors.push(FieldError::new(
            "max_submissions_per_solver",
            "out_of_range",
            "Between 1 and 100.",
        ));
    }
    let max_team = input
        .max_team_size
        .or(cur.map(|c| c.0.max_team_size))
        .unwrap_or(5);
    if !(1..=50).contains(&max_team) {
        errors.push(FieldError::new(
            "max_team_size",
            "out_of_range",
            "Between 1 and 50.",
        ));
    }
    let max_attachment = input
        .max_attachment_bytes
        .or(cur.and_then(|c| c.0.max_attachment_bytes));
    let max_submission = input
        .max_submission_bytes
        .or(cur.and_then(|c| c.0.max_submission_bytes));
    if max_attachment.is_some_and(|m| !(1024..=1024 * 1024 * 1024).contains(&m)) {
        errors.push(FieldError::new(
            "max_attachment_bytes",
            "out_of_range",
            "Between 1 KiB and 1 GiB.",
        ));
    }
    if max_submission
        .is_some_and(|m| m < max_attachment.unwrap_or(1024) || m > 10 * 1024 * 1024 * 1024)
    {
        errors.push(FieldError::new(
            "max_submission_bytes",
            "out_of_range",
            "At least the largest attachment, at most 10 GiB.",
        ));
    }
    let blind = input
        .blind_judging
        .or(cur.map(|c| c.0.blind_judging))
        .unwrap_or(false);
    let slug = match (&input.slug, cur) {
        (Some(s), _) => crate::orgs::model::Slug::parse("slug", s)
            .map(|s| s.as_str().to_owned())
            .map_err(|e| errors.push(e))
            .ok(),
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

/// The acting user id for records (a key acts for whoever created it).
fn actor_user(caller: &Principal) -> String {
    match caller {
        Principal::User(u) => u.user.id.clone(),
        Principal::Key(k) => k.key.created_by.clone(),
    }
}

/// Loads a challenge for an organisation action; 404 when the caller has no
/// tie to its organisation.
pub fn org_access(
    conn: &mut DbConnection,
    caller: &Principal,
    key: &str,
    action: OrgAction,
) -> AppResult<(Challenge, Access)> {
    let c = store::find_by_key(conn, key)?.ok_or(AppError::NotFound)?;
    let org = orgs::find_by_id(conn, &c.org_id)?;
    let a = access_org(conn, caller, org, action)?;
    Ok((c, a))
}

/// Whether `caller` reads the challenge as its organisation for `action`: a
/// member with a role that allows it, or a key of the organisation with the
/// scope for it (a key with only `funding:write` reads nothing private).
pub fn is_org_side(
    conn: &mut DbConnection,
    caller: Option<&Principal>,
    c: &Challenge,
    action: OrgAction,
) -> AppResult<bool> {
    use crate::orgs::model::{allowed, Principal as OrgPrincipal};
    Ok(match caller {
        Some(Principal::User(u)) => orgs::role_of(conn, &c.org_id, &u.user.id)?
            .is_some_and(|role| allowed(&OrgPrincipal::Member(role), action)),
        Some(Principal::Key(k)) => {
            k.key.org_id == c.org_id && allowed(&OrgPrincipal::Key(k.key.scope_list()), action)
        }
        None => false,
    })
}

/// A challenge the caller may read: drafts (and, through the returned flag,
/// registrants and private questions) only for its organisation.
pub fn readable(
    conn: &mut DbConnection,
    caller: Option<&Principal>,
    key: &str,
) -> AppResult<(Challenge, bool)> {
    let c = store::find_by_key(conn, key)?.ok_or(AppError::NotFound)?;
    let org_side = is_org_side(conn, caller, &c, OrgAction::ViewChallenges)?;
    if c.stored_state() == State::Draft && !org_side {
        return Err(AppError::NotFound);
    }
    Ok((c, org_side))
}

fn audit_challenge(
    conn: &mut DbConnection,
    actor: &Actor,
    c: &Challenge,
    action: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        Entry {
            actor,
            org_id: Some(&c.org_id),
            action,
            subject_type: "challenge",
            subject_id: &c.id,
            data,
        },
    )?;
    Ok(())
}

/// Applies `event` to a challenge inside the current transaction: checks
/// the table against the state by the clock, writes it, audits who/from/to.
pub fn apply(
    conn: &mut DbConnection,
    actor: &Actor,
    c: &Challenge,
    event: Event,
    at: NaiveDateTime,
) -> AppResult<State> {
    // A passed deadline has closed an open challenge already; record that first.
    let mut from = c.stored_state();
    let effective = c.state_at(at);
    if effective != from {
        if store::set_state(conn, &c.id, from, effective, at)? == 1 {
            audit_challenge(
                conn,
                &Actor::default(),
                c,
                "challenge.transition",
                serde_json::json!({ "from": from.as_str(), "to": effective.as_str(), "reason": "deadline" }),
            )?;
        }
        from = effective;
    }
    let to = model::transition(from, event).map_err(|e| {
        AppError::conflict(
            "illegal_transition",
            format!(
                "A challenge that is {} cannot be {:?}.",
                e.from.as_str(),
                e.event
            )
            .to_lowercase(),
        )
    })?;
    if store::set_state(conn, &c.id, from, to, at)? != 1 {
        return Err(AppError::conflict(
            "state_changed",
            "The challenge changed meanwhile; reload and try again.",
        ));
    }
    audit_challenge(
        conn,
        actor,
        c,
        "challenge.transition",
        serde_json::json!({ "from": from.as_str(), "to": to.as_str() }),
    )?;
    Ok(to)
}

/// Creates a draft for the organisation `org_slug`.
pub async fn create(
    state: &AppState,
    caller: &Principal,
    org_slug: &str,
    input: ChallengeInput,
) -> AppResult<Challenge> {
    let (caller, org_slug) = (caller.clone(), org_slug.to_owned());
    state
        .tx(move |c| {
            let a = crate::orgs::service::access(c, &caller, &org_slug, OrgAction::EditChallenges)?;
            let at = now();
            let fields = validate(c, &input, None, at)?;
            let by = actor_user(&caller);
            let ch = store::insert(c, &a.org.id, &fields, &by, at)?;
            audit_challenge(
                c,
                &caller.actor(),
                &ch,
                "challenge.created",
                serde_json::json!({ "title": ch.title }),
            )?;
            Ok(ch)
        })
        .await
}

/// Edits a challenge: every field while a draft; only texts and tags once
/// published (money, dates, licences and limits are promises to solvers).
pub async fn update(
    state: &AppState,
    caller: &Principal,
    key: &str,
    input: ChallengeInput,
) -> AppResult<Challenge> {
    let (caller, key) = (caller.clone(), key.to_owned());
    state
        .tx(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::EditChallenges)?;
            let at = now();
            let st = ch.state_at(at);
            let tiers: Vec<TierInput> = store::tiers(c, &ch.id)?.into_iter().map(|t| TierInput { rank: t.rank, label: t.label, amount: t.amount }).collect();
            let rules = store::rules(c, &ch.id, ch.rules_version)?;
            let updated = match st {
                State::Draft => {
                    let f = validate(c, &input, Some((&ch, tiers, rules)), at)?;
                    let updated = store::update_draft(c, &ch.id, &f, &actor_user(&caller), at)?;
                    reset_review(c, &caller.actor(), &updated, at)?
                }
                State::Open => {
                    let locked = input.org.is_some()
                        || input.title.is_some()
                        || input.slug.is_some()
                        || input.kind.is_some()
                        || input.currency.is_some()
                        || input.prize_tiers.is_some()
                        || input.visibility.is_some()
                        || input.opens_at.is_some()
                        || input.submission_deadline.is_some()
                        || input.judging_deadline.is_some()
                        || input.rules.is_some()
                        || input.allowed_licences.is_some()
                        || input.max_submissions_per_solver.is_some()
                        || input.max_team_size.is_some()
                        || input.blind_judging.is_some()
                        || input.max_attachment_bytes.is_some()
                        || input.max_submission_bytes.is_some();
                    if locked {
                        return Err(AppError::conflict(
                            "locked_after_publish",
                            "Once open, only the summary, description, eligibility, category and tags can change; rules change by publishing a new version.",
                        ));
                    }
                    // Validate the texts with the same rules, against a far deadline.
                    let f = validate(c, &input, Some((&ch, tiers, rules)), ch.created_at)?;
                    if review_required(c)? {
                        // Held until approved: the public page shows only reviewed text.
                        let proposed = PendingTexts {
                            summary: input.summary.as_ref().map(|_| f.summary.clone()),
                            description: input.description.as_ref().map(|_| f.description_md.clone()),
                            eligibility: input.eligibility.as_ref().map(|_| f.eligibility.clone()),
                            category: input.category.as_ref().map(|_| f.category.clone()),
                            tags: input.tags.as_ref().map(|_| f.tags.clone()),
                            rules: None,
                        };
                        hold_for_review(c, &caller.actor(), &ch, proposed, at)?
                    } else {
                        store::update_texts(c, &ch.id, &f.summary, &f.description_md, &f.eligibility, &f.category, &f.tags, at)?
                    }
                }
                other => {
                    return Err(AppError::conflict("not_editable", format!("A challenge that is {} cannot be edited.", other.as_str())));
                }
            };
            audit_challenge(c, &caller.actor(), &updated, "challenge.updated", serde_json::json!({}))?;
            Ok(updated)
        })
        .await
}

/// A reviewed draft that changes goes back to the start of review: an
/// approval covers the text the admin read, not a later one.
fn reset_review(
    conn: &mut DbConnection,
    actor: &Actor,
    ch: &Challenge,
    at: NaiveDateTime,
) -> AppResult<Challenge> {
    if ch.review_state != review::PENDING && ch.review_state != review::APPROVED {
        return Ok(ch.clone());
    }
    store::set_review(conn, &ch.id, review::NONE, None, at)?;
    audit_challenge(
        conn,
        actor,
        ch,
        "challenge.review_reset",
        serde_json::json!({ "was": ch.review_state }),
    )?;
    Ok(store::find(conn, &ch.id)?)
}

/// Keeps text changes to an open challenge aside and asks the platform to
/// review them; they go live when approved.
fn hold_for_review(
    conn: &mut DbConnection,
    actor: &Actor,
    ch: &Challenge,
    proposed: PendingTexts,
    at: NaiveDateTime,
) -> AppResult<Challenge> {
    let merged = pending_of(ch).unwrap_or_default().merge(proposed);
    let json = serde_json::to_string(&merged).map_err(AppError::internal)?;
    store::set_pending_changes(conn, &ch.id, Some(&json), at)?;
    store::set_review(conn, &ch.id, review::PENDING, None, at)?;
    audit_challenge(
        conn,
        actor,
        ch,
        "challenge.changes_submitted_for_review",
        serde_json::to_value(&merged).unwrap_or_default(),
    )?;
    Ok(store::find(conn, &ch.id)?)
}

/// The text changes of an open challenge waiting for review, if any.
pub fn pending_of(ch: &Challenge) -> Option<PendingTexts> {
    ch.pending_changes
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
}

/// The challenge as it would read once its pending changes are approved,
/// and the rules text it would have: what a reviewer reads.
pub fn as_reviewed(conn: &mut DbConnection, ch: &Challenge) -> AppResult<(Challenge, String)> {
    let mut shown = ch.clone();
    let mut rules = store::rules(conn, &ch.id, ch.rules_version)?;
    if let Some(p) = pending_of(ch) {
        if let Some(v) = p.summary {
            shown.summary = v;
        }
        if let Some(v) = p.description {
            shown.description_md = v;
        }
        if let Some(v) = p.eligibility {
            shown.eligibility = v;
        }
        if let Some(v) = p.category {
            shown.category = v;
        }
        if let Some(v) = p.tags {
            shown.tags = v.join(" ");
        }
        if let Some(v) = p.rules {
            rules = v;
        }
    }
    Ok((shown, rules))
}

/// The version of a challenge a reviewer approves (see [`model::review_digest`]).
pub fn review_version(conn: &mut DbConnection, ch: &Challenge) -> AppResult<String> {
    let (shown, rules) = as_reviewed(conn, ch)?;
    let tiers: Vec<String> = store::tiers(conn, &ch.id)?
        .into_iter()
        .map(|t| format!("{}:{}:{}", t.rank, t.label, t.amount))
        .collect();
    let dates = format!(
        "{:?} {} {}",
        shown.opens_at, shown.submission_deadline, shown.judging_deadline
    );
    let limits = format!(
        "{} {} {} {:?} {:?}",
        shown.max_submissions_per_solver,
        shown.max_team_size,
        shown.blind_judging,
        shown.max_attachment_bytes,
        shown.max_submission_bytes
    );
    Ok(model::review_digest(&[
        &shown.title,
        &shown.slug,
        &shown.summary,
        &shown.description_md,
        &shown.eligibility,
        &shown.category,
        &shown.tags,
        &shown.kind,
        &shown.currency,
        &shown.visibility,
        &shown.allowed_licences,
        &rules,
        &tiers.join("|"),
        &dates,
        &limits,
    ]))
}

/// The escrow flows of a challenge.
pub fn flows(conn: &mut DbConnection, c: &Challenge) -> AppResult<EscrowFlows> {
    let cur =
        Currency::parse("currency", &c.currency).map_err(|e| AppError::internal(e.message))?;
    Ok(ledger::escrow_flows(conn, &c.id, &cur)?)
}

/// What publishing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// The challenge is open.
    Open,
    /// It waits for a platform admin's approval.
    AwaitingReview,
}

/// Whether publishing needs an admin's approval (platform setting).
pub fn review_required(conn: &mut DbConnection) -> AppResult<bool> {
    Ok(store::setting(conn, store::SETTING_PUBLISH_REVIEW)?.as_deref() == Some("true"))
}

fn open_now(
    conn: &mut DbConnection,
    actor: &Actor,
    ch: &Challenge,
    at: NaiveDateTime,
) -> AppResult<()> {
    let f = flows(conn, ch)?;
    if f.balance() < ch.prize_total {
        return Err(AppError::conflict(
            "escrow_insufficient",
            format!(
                "Escrow holds {} of the {} prize pool; fund the rest first.",
                f.balance(),
                ch.prize_total
            ),
        ));
    }
    if ch.submission_deadline <= at {
        return Err(AppError::conflict(
            "deadline_passed",
            "The submission deadline has passed; move it before publishing.",
        ));
    }
    apply(conn, actor, ch, Event::Publish, at)?;
    Ok(())
}

/// Publishes a draft: refused until escrow holds the whole pool; sent to the
/// review queue first when the platform requires it.
pub async fn publish(
    state: &AppState,
    caller: &Principal,
    key: &str,
) -> AppResult<(Challenge, Published)> {
    let (caller, key) = (caller.clone(), key.to_owned());
    state
        .tx(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::PublishChallenges)?;
            // Lock, then read, then decide: a cancellation or funding racing
            // this publication waits for it and sees its outcome.
            store::lock(c, &ch.id)?;
            let ch = store::find(c, &ch.id)?;
            let at = now();
            if ch.stored_state() != State::Draft {
                return Err(AppError::conflict(
                    "illegal_transition",
                    format!(
                        "A challenge that is {} cannot be published.",
                        ch.stored_state().as_str()
                    ),
                ));
            }
            let needs_review = review_required(c)? && ch.review_state != review::APPROVED;
            let outcome = if needs_review {
                // Escrow is checked now too, so the queue only holds fundable work.
                let f = flows(c, &ch)?;
                if f.balance() < ch.prize_total {
                    return Err(AppError::conflict(
                        "escrow_insufficient",
                        "Fund the whole prize pool before asking for review.",
                    ));
                }
                store::set_review(c, &ch.id, review::PENDING, None, at)?;
                audit_challenge(
                    c,
                    &caller.actor(),
                    &ch,
                    "challenge.review_requested",
                    serde_json::json!({}),
                )?;
                Published::AwaitingReview
            } else {
                open_now(c, &caller.actor(), &ch, at)?;
                Published::Open
            };
            Ok((store::find(c, &ch.id)?, outcome))
        })
        .await
}

/// A platform admin's decision on a challenge waiting for review. With
/// `version` (what the admin read, see [`review_version`]) an approval of a
/// challenge that changed meanwhile is refused.
pub async fn review_decision(
    state: &AppState,
    admin_id: &str,
    key: &str,
    approve: bool,
    comment: Option<String>,
    version: Option<String>,
) -> AppResult<Challenge> {
    let (admin_id, key) = (admin_id.to_owned(), key.to_owned());
    state
        .tx(move |c| {
            let ch = store::find_by_key(c, &key)?.ok_or(AppError::NotFound)?;
            store::lock(c, &ch.id)?;
            let ch = store::find(c, &ch.id)?;
            let changes = ch.stored_state() == State::Open && ch.pending_changes.is_some();
            if ch.review_state != review::PENDING || !(ch.stored_state() == State::Draft || changes)
            {
                return Err(AppError::conflict(
                    "not_awaiting_review",
                    "This challenge is not waiting for review.",
                ));
            }
            let current = review_version(c, &ch)?;
            if version.as_deref().is_some_and(|v| v != current) {
                return Err(AppError::conflict(
                    "review_outdated",
                    "The challenge changed since you read it; read it again before deciding.",
                ));
            }
            let at = now();
            let actor = Actor::user(&admin_id);
            if approve && changes {
                apply_pending(c, &actor, &ch, at)?;
                store::set_review(c, &ch.id, review::APPROVED, comment.as_deref(), at)?;
                audit_challenge(
                    c,
                    &actor,
                    &ch,
                    "challenge.changes_approved",
                    serde_json::json!({ "comment": comment, "version": current }),
                )?;
            } else if approve {
                store::set_review(c, &ch.id, review::APPROVED, comment.as_deref(), at)?;
                audit_challenge(
                    c,
                    &actor,
                    &ch,
                    "challenge.review_approved",
                    serde_json::json!({ "comment": comment, "version": current }),
                )?;
                let ch = store::find(c, &ch.id)?;
                open_now(c, &actor, &ch, at)?;
            } else {
                let comment = comment.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
                    AppError::field("comment", "required", "Say what should change.")
                })?;
                if changes {
                    store::set_pending_changes(c, &ch.id, None, at)?;
                }
                store::set_review(c, &ch.id, review::CHANGES_REQUESTED, Some(&comment), at)?;
                audit_challenge(
                    c,
                    &actor,
                    &ch,
                    "challenge.changes_requested",
                    serde_json::json!({ "comment": comment }),
                )?;
            }
            Ok(store::find(c, &ch.id)?)
        })
        .await
}

/// Puts approved text changes live on an open challenge.
fn apply_pending(
    conn: &mut DbConnection,
    actor: &Actor,
    ch: &Challenge,
    at: NaiveDateTime,
) -> AppResult<()> {
    let Some(p) = pending_of(ch) else {
        return Ok(());
    };
    let (shown, _) = as_reviewed(conn, ch)?;
    let tags: Vec<String> = shown.tags.split_whitespace().map(str::to_owned).collect();
    store::update_texts(
        conn,
        &ch.id,
        &shown.summary,
        &shown.description_md,
        &shown.eligibility,
        &shown.category,
        &tags,
        at,
    )?;
    if let Some(rules) = p.rules {
        let by = actor
            .user_id
            .clone()
            .unwrap_or_else(|| ch.created_by.clone());
        let fresh = store::find(conn, &ch.id)?;
        let v = store::new_rules_version(conn, &fresh, &rules, &by, at)?;
        audit_challenge(
            conn,
            actor,
            ch,
            "challenge.rules_published",
            serde_json::json!({ "version": v }),
        )?;
    }
    store::set_pending_changes(conn, &ch.id, None, at)?;
    Ok(())
}

/// Cancels a challenge (draft, open or closed) and refunds its escrow to the
/// organisation in the same transaction.
pub async fn cancel(state: &AppState, caller: &Principal, key: &str) -> AppResult<Challenge> {
    let (caller, key) = (caller.clone(), key.to_owned());
    state
        .tx(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::PublishChallenges)?;
            store::lock(c, &ch.id)?;
            // Re-read under the lock: the state may have moved meanwhile.
            let ch = store::find(c, &ch.id)?;
            let at = now();
            apply(c, &caller.actor(), &ch, Event::Cancel, at)?;
            // Pending requests end before the refund is computed, so no
            // confirmation can add money after the one refund.
            ledger::cancel_pending(c, &ch.id)?;
            let f = flows(c, &ch)?;
            let cur = Currency::parse("currency", &ch.currency)
                .map_err(|e| AppError::internal(e.message))?;
            let lines = refund_lines(&ch.id, &ch.org_id, f.balance(), &cur);
            if !lines.is_empty() {
                let key = format!("challenge:{}:refund", ch.id);
                ledger::post(
                    c,
                    ledger::Entry {
                        idempotency_key: &key,
                        kind: ledger::entry_kind::REFUND,
                        challenge_id: Some(&ch.id),
                        memo: "Challenge cancelled: escrow refunded to the organisation",
                        created_by: Some(&actor_user(&caller)),
                        lines,
                    },
                    at,
                )?;
                audit_challenge(
                    c,
                    &caller.actor(),
                    &ch,
                    "escrow.refunded",
                    serde_json::json!({ "amount": f.balance() }),
                )?;
            }
            Ok(store::find(c, &ch.id)?)
        })
        .await
}

/// Asks to fund what the pool still lacks (plus the platform fee).
pub async fn request_funding(
    state: &AppState,
    caller: &Principal,
    key: &str,
) -> AppResult<ledger::Funding> {
    let (caller, key, fee_bps) = (
        caller.clone(),
        key.to_owned(),
        state.config.platform_fee_bps,
    );
    state
        .tx(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::FundChallenges)?;
            store::lock(c, &ch.id)?;
            let ch = store::find(c, &ch.id)?;
            let at = now();
            if matches!(
                ch.state_at(at),
                State::Cancelled | State::Settled | State::Awarded
            ) {
                return Err(AppError::conflict(
                    "not_fundable",
                    "This challenge no longer takes funding.",
                ));
            }
            let f = flows(c, &ch)?;
            let pending = ledger::pending_amount(c, &ch.id)?;
            let need = funding_needed(ch.prize_total, f.balance(), pending);
            if need == 0 {
                return Err(AppError::conflict(
                    "already_funded",
                    "The prize pool is funded or a request for the rest is waiting.",
                ));
            }
            let funding = ledger::create_funding(
                c,
                &ch.id,
                need,
                fee_for(need, fee_bps),
                &ch.currency,
                &actor_user(&caller),
                at,
            )?;
            audit_challenge(
                c,
                &caller.actor(),
                &ch,
                "funding.requested",
                serde_json::json!({ "funding": funding.id, "amount": need, "fee": funding.fee }),
            )?;
            Ok(funding)
        })
        .await
}

/// A platform admin records that the money of a funding request arrived:
/// clearing → escrow (and fee), once, whatever retries happen.
pub async fn confirm_funding(
    state: &AppState,
    admin_id: &str,
    funding_id: &str,
    reference: &str,
) -> AppResult<ledger::Funding> {
    let reference =
        check_text("reference", reference, 1, 200).map_err(|e| AppError::Validation(vec![e]))?;
    let (admin_id, funding_id) = (admin_id.to_owned(), funding_id.to_owned());
    state
        .tx(move |c| {
            let funding = ledger::find_funding(c, &funding_id)?;
            // Lock the challenge, then read: a cancellation either finished
            // (and cancelled this request) or waits until this one is done.
            store::lock(c, &funding.challenge_id)?;
            let funding = ledger::find_funding(c, &funding.id)?;
            if funding.status != ledger::funding_status::REQUESTED {
                return Err(AppError::conflict("funding_not_pending", format!("This funding request is {}.", funding.status)));
            }
            let ch = store::find(c, &funding.challenge_id)?;
            if matches!(ch.stored_state(), State::Cancelled | State::Awarded | State::Settled) {
                return Err(AppError::conflict("not_fundable", format!("This challenge is {}.", ch.stored_state().as_str())));
            }
            let cur = Currency::parse("currency", &funding.currency).map_err(|e| AppError::internal(e.message))?;
            let at = now();
            // Claim the request first: the conditional update locks the row, so
            // a concurrent confirmation waits, then finds it handled (409).
            if ledger::mark_confirmed(c, &funding.id, &reference, &admin_id, at)? != 1 {
                return Err(AppError::conflict("funding_not_pending", "This funding request was handled meanwhile."));
            }
            let key = format!("funding:{}:confirm", funding.id);
            let posted = ledger::post(
                c,
                ledger::Entry {
                    idempotency_key: &key,
                    kind: ledger::entry_kind::FUNDING,
                    challenge_id: Some(&ch.id),
                    memo: &format!("Funding received, reference {reference}"),
                    created_by: Some(&admin_id),
                    lines: funding_lines(&ch.id, funding.amount, funding.fee, &cur),
                },
                at,
            )?;
            ledger::set_funding_entry(c, &funding.id, posted.id())?;
            audit_challenge(c, &Actor::user(&admin_id), &ch, "funding.confirmed", serde_json::json!({ "funding": funding.id, "amount": funding.amount, "reference": reference }))?;
            Ok(ledger::find_funding(c, &funding.id)?)
        })
        .await
}

/// Publishes a new rules version; registrants must accept it before their
/// next submission.
pub async fn new_rules(
    state: &AppState,
    caller: &Principal,
    key: &str,
    body: String,
) -> AppResult<i32> {
    let body = check_text("rules", &body, 20, 50_000).map_err(|e| AppError::Validation(vec![e]))?;
    let (caller, key) = (caller.clone(), key.to_owned());
    state
        .tx(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::PublishChallenges)?;
            let at = now();
            let st = ch.state_at(at);
            if !matches!(st, State::Draft | State::Open) {
                return Err(AppError::conflict(
                    "not_editable",
                    "Rules can change only before the deadline.",
                ));
            }
            if st == State::Open && review_required(c)? {
                let proposed = PendingTexts {
                    rules: Some(body),
                    ..Default::default()
                };
                hold_for_review(c, &caller.actor(), &ch, proposed, at)?;
                return Ok(ch.rules_version);
            }
            let v = store::new_rules_version(c, &ch, &body, &actor_user(&caller), at)?;
            let fresh = store::find(c, &ch.id)?;
            reset_review(c, &caller.actor(), &fresh, at)?;
            audit_challenge(
                c,
                &caller.actor(),
                &ch,
                "challenge.rules_published",
                serde_json::json!({ "version": v }),
            )?;
            Ok(v)
        })
        .await
}

/// Registers a solver for an open challenge by accepting its current rules
/// (version and time recorded). The deadline is checked in the transaction.
pub async fn register(
    state: &AppState,
    user_id: &str,
    key: &str,
    rules_version: i32,
) -> AppResult<(store::Registration, bool)> {
    let (user_id, key) = (user_id.to_owned(), key.to_owned());
    state
        .tx(move |c| {
            let ch = store::find_by_key(c, &key)?.ok_or(AppError::NotFound)?;
            let at = now();
            match ch.state_at(at) {
                State::Open => {}
                State::Draft => return Err(AppError::NotFound),
                State::Closed if ch.stored_state() == State::Open => {
                    return Err(AppError::conflict(
                        "deadline_passed",
                        "The submission deadline has passed.",
                    ));
                }
                other => {
                    return Err(AppError::conflict(
                        "challenge_not_open",
                        format!("This challenge is {}.", other.as_str()),
                    ))
                }
            }
            if ch.opens_at.is_some_and(|o| o > at) {
                return Err(AppError::conflict(
                    "not_yet_open",
                    "Registration opens later.",
                ));
            }
            if rules_version != ch.rules_version {
                return Err(AppError::conflict(
                    "rules_version_mismatch",
                    format!("Accept the current rules, version {}.", ch.rules_version),
                ));
            }
            let (reg, new) = store::accept_rules(c, &ch.id, &user_id, rules_version, at)?;
            audit::record(
                c,
                Entry {
                    actor: &Actor::user(&user_id),
                    org_id: Some(&ch.org_id),
                    action: if new {
                        "registration.created"
                    } else {
                        "registration.rules_accepted"
                    },
                    subject_type: "challenge",
                    subject_id: &ch.id,
                    data: serde_json::json!({ "rules_version": rules_version }),
                },
            )?;
            Ok((reg, new))
        })
        .await
}

/// A registered solver asks a question, public or private to the organisation.
pub async fn ask(
    state: &AppState,
    user_id: &str,
    key: &str,
    body: &str,
    is_public: bool,
) -> AppResult<store::Question> {
    let body = check_text("body", body, 5, 5_000).map_err(|e| AppError::Validation(vec![e]))?;
    let (user_id, key) = (user_id.to_owned(), key.to_owned());
    state
        .tx(move |c| {
            let ch = store::find_by_key(c, &key)?.ok_or(AppError::NotFound)?;
            if ch.stored_state() == State::Draft {
                return Err(AppError::NotFound);
            }
            if store::registration(c, &ch.id, &user_id)?.is_none() {
                return Err(AppError::Forbidden("registration_required"));
            }
            let q = store::insert_question(c, &ch.id, &user_id, &body, is_public, now())?;
            audit::record(
                c,
                Entry {
                    actor: &Actor::user(&user_id),
                    org_id: Some(&ch.org_id),
                    action: "question.asked",
                    subject_type: "question",
                    subject_id: &q.id,
                    data: serde_json::json!({ "public": is_public }),
                },
            )?;
            Ok(q)
        })
        .await
}

/// The organisation answers a question; the asker is told by email.
pub async fn answer(
    state: &AppState,
    caller: &Principal,
    question_id: &str,
    body: &str,
) -> AppResult<store::Question> {
    let body = check_text("answer", body, 1, 10_000).map_err(|e| AppError::Validation(vec![e]))?;
    let (caller, qid, st) = (caller.clone(), question_id.to_owned(), state.clone());
    let q = state
        .tx(move |c| {
            let q = store::find_question(c, &qid)?;
            let (ch, _) = org_access(c, &caller, &q.challenge_id, OrgAction::EditChallenges)?;
            let q = store::answer_question(c, &q.id, &body, &actor_user(&caller), now())?;
            let asker = crate::auth::store::find_user(c, &q.asked_by)?;
            let url = st.url(&format!("/challenges/{}#questions", ch.slug));
            crate::notify::queue_for_user(
                c,
                &asker,
                &crate::notify::mail::EmailKind::QuestionAnswered {
                    challenge: ch.title.clone(),
                    url,
                },
            )?;
            audit::record(
                c,
                Entry {
                    actor: &caller.actor(),
                    org_id: Some(&ch.org_id),
                    action: "question.answered",
                    subject_type: "question",
                    subject_id: &q.id,
                    data: serde_json::json!({}),
                },
            )?;
            Ok(q)
        })
        .await?;
    state.wake_worker();
    Ok(q)
}

/// Posts an announcement and emails every registrant in their language.
pub async fn announce(
    state: &AppState,
    caller: &Principal,
    key: &str,
    title: &str,
    body: &str,
) -> AppResult<(store::Announcement, usize)> {
    let mut errors = Vec::new();
    let title = check_text("title", title, 3, 140)
        .map_err(|e| errors.push(e))
        .ok();
    let body = check_text("body", body, 1, 20_000)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(title), Some(body)) = (title, body) else {
        return Err(AppError::Validation(errors));
    };
    let (caller, key, st) = (caller.clone(), key.to_owned(), state.clone());
    let out = state
        .tx(move |c| {
            let (ch, _) = org_access(c, &caller, &key, OrgAction::EditChallenges)?;
            if ch.stored_state() == State::Draft {
                return Err(AppError::conflict(
                    "not_published",
                    "Publish the challenge before announcing.",
                ));
            }
            let a =
                store::insert_announcement(c, &ch.id, &title, &body, &actor_user(&caller), now())?;
            let url = st.url(&format!("/challenges/{}#announcements", ch.slug));
            let recipients = store::registrant_contacts(c, &ch.id)?;
            for u in &recipients {
                crate::notify::queue_for_user(
                    c,
                    u,
                    &crate::notify::mail::EmailKind::Announcement {
                        challenge: ch.title.clone(),
                        title: title.clone(),
                        body: body.clone(),
                        url: url.clone(),
                    },
                )?;
            }
            audit_challenge(
                c,
                &caller.actor(),
                &ch,
                "announcement.posted",
                serde_json::json!({ "announcement": a.id, "recipients": recipients.len() }),
            )?;
            Ok((a, recipients.len()))
        })
        .await?;
    state.wake_worker();
    Ok(out)
}

/// Closes every open challenge whose deadline has passed (the worker's job).
pub fn close_due(conn: &mut DbConnection) -> AppResult<usize> {
    let at = now();
    let due = store::due_for_closing(conn, at)?;
    let mut n = 0;
    for ch in due {
        crate::db::write_tx(conn, |c| -> AppResult<()> {
            if store::set_state(c, &ch.id, State::Open, State::Closed, at)? == 1 {
                audit_challenge(
                    c,
                    &Actor::default(),
                    &ch,
                    "challenge.transition",
                    serde_json::json!({ "from": "open", "to": "closed", "reason": "deadline" }),
                )?;
                n += 1;
            }
            Ok(())
        })?;
    }
    Ok(n)
}
