//! JSON handlers for challenges, their escrow and funding, registration,
//! questions and announcements, and the platform admin's queues.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{Cursor, Licence, Sort, State};
use super::service::{self, ChallengeInput, Published};
use super::store::{self, Challenge, ListQuery, Question, QuestionScope};
use crate::audit::{self, AuditRecord};
use crate::auth::extract::{AuthUser, PlatformAdmin, Principal};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult, Problem};
use crate::money::model::{Currency, EscrowSummary, Money};
use crate::money::store::{self as ledger, Funding};
use crate::orgs::model::OrgAction;
use crate::state::AppState;

/// The organisation behind a challenge.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrgRef {
    pub slug: String,
    pub name: String,
}

/// A prize tier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierView {
    pub rank: i32,
    pub label: String,
    pub amount: Money,
}

/// The dates of a challenge (UTC).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Timeline {
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub opens_at: Option<NaiveDateTime>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub submission_deadline: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub judging_deadline: NaiveDateTime,
}

/// A version of the rules.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RulesView {
    pub version: i32,
    pub text: String,
    /// Sanitised HTML of `text`.
    pub html: String,
}

/// Limits on entries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Limits {
    pub submissions_per_solver: i32,
    pub team_size: i32,
    /// Largest attachment in bytes; null means the platform default.
    pub attachment_bytes: Option<i64>,
    /// Largest total of a submission's attachments; null means the platform default.
    pub submission_bytes: Option<i64>,
}

/// The caller's relation to the challenge.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Viewer {
    pub registered: bool,
    /// The rules version the caller accepted.
    pub rules_version_accepted: Option<i32>,
    /// A newer rules version waits for acceptance.
    pub needs_reacceptance: bool,
    /// The caller belongs to the organisation.
    pub organiser: bool,
}

/// A challenge in full.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeView {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Markdown as written.
    pub description: String,
    /// Sanitised HTML.
    pub description_html: String,
    pub category: String,
    pub tags: Vec<String>,
    pub kind: String,
    pub state: State,
    pub visibility: String,
    pub prize_pool: Money,
    pub prize_tiers: Vec<TierView>,
    pub timeline: Timeline,
    pub eligibility: String,
    pub rules: RulesView,
    pub allowed_licences: Vec<Licence>,
    pub limits: Limits,
    pub blind_judging: bool,
    pub organisation: OrgRef,
    pub escrow: EscrowSummary,
    pub registrations: i64,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub published_at: Option<NaiveDateTime>,
    /// Review by the platform (`none`, `pending`, `changes_requested`, `approved`), for the organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewView>,
    pub viewer: Viewer,
}

/// Where the platform's review stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    pub state: String,
    pub comment: Option<String>,
    /// Digest of the reviewed texts: an approval may name it.
    pub version: String,
    /// Text changes to an open challenge waiting for approval.
    pub pending_changes: Option<crate::challenges::model::PendingTexts>,
}

fn currency_of(c: &Challenge) -> AppResult<Currency> {
    Currency::parse("currency", &c.currency).map_err(|e| AppError::internal(e.message))
}

/// Builds the full view (one transaction's worth of reads).
pub fn view(
    conn: &mut DbConnection,
    c: &Challenge,
    caller: Option<&Principal>,
    organiser: bool,
) -> AppResult<ChallengeView> {
    let cur = currency_of(c)?;
    let tiers = store::tiers(conn, &c.id)?;
    let rules = store::rules(conn, &c.id, c.rules_version)?;
    let org = crate::orgs::store::find_by_id(conn, &c.org_id)?;
    let flows = service::flows(conn, c)?;
    let registrations = store::count_registrations(conn, &c.id)?;
    let reg = match caller {
        Some(Principal::User(u)) => store::registration(conn, &c.id, &u.user.id)?,
        _ => None,
    };
    Ok(ChallengeView {
        id: c.id.clone(),
        slug: c.slug.clone(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        description: c.description_md.clone(),
        description_html: crate::markdown::render(&c.description_md),
        category: c.category.clone(),
        tags: c.tag_list(),
        kind: c.kind.clone(),
        state: c.state_at(now()),
        visibility: c.visibility.clone(),
        prize_pool: Money::new(c.prize_total, &cur),
        prize_tiers: tiers
            .into_iter()
            .map(|t| TierView {
                rank: t.rank,
                label: t.label,
                amount: Money::new(t.amount, &cur),
            })
            .collect(),
        timeline: Timeline {
            opens_at: c.opens_at,
            submission_deadline: c.submission_deadline,
            judging_deadline: c.judging_deadline,
        },
        eligibility: c.eligibility.clone(),
        rules: RulesView {
            version: c.rules_version,
            html: crate::markdown::render(&rules),
            text: rules,
        },
        allowed_licences: c
            .licence_ids()
            .iter()
            .filter_map(|l| Licence::parse(l))
            .collect(),
        limits: Limits {
            submissions_per_solver: c.max_submissions_per_solver,
            team_size: c.max_team_size,
            attachment_bytes: c.max_attachment_bytes,
            submission_bytes: c.max_submission_bytes,
        },
        blind_judging: c.blind_judging,
        organisation: OrgRef {
            slug: org.slug,
            name: org.name,
        },
        escrow: flows.summary(c.prize_total, &cur),
        registrations,
        published_at: c.published_at,
        review: if organiser {
            Some(ReviewView {
                state: c.review_state.clone(),
                comment: c.review_comment.clone(),
                version: super::service::review_version(conn, c)?,
                pending_changes: super::service::pending_of(c),
            })
        } else {
            None
        },
        viewer: Viewer {
            registered: reg.is_some(),
            rules_version_accepted: reg.as_ref().map(|r| r.rules_version),
            needs_reacceptance: reg
                .as_ref()
                .is_some_and(|r| r.rules_version < c.rules_version),
            organiser,
        },
    })
}

/// A challenge in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeSummary {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub category: String,
    pub tags: Vec<String>,
    pub kind: String,
    pub state: State,
    pub prize_pool: Money,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub submission_deadline: NaiveDateTime,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub published_at: Option<NaiveDateTime>,
    pub organisation: OrgRef,
    /// Escrow holds the whole pool.
    pub funded: bool,
}

/// Summaries for a page of challenges.
pub fn summaries(conn: &mut DbConnection, rows: &[Challenge]) -> AppResult<Vec<ChallengeSummary>> {
    let ids: Vec<String> = rows.iter().map(|c| c.org_id.clone()).collect();
    let orgs = store::org_names(conn, &ids)?;
    let challenge_ids: Vec<String> = rows.iter().map(|c| c.id.clone()).collect();
    let escrow = ledger::escrow_balances(conn, &challenge_ids)?;
    let at = now();
    let mut out = Vec::with_capacity(rows.len());
    for c in rows {
        let cur = currency_of(c)?;
        let (slug, name) = orgs
            .iter()
            .find(|(id, _, _)| *id == c.org_id)
            .map(|(_, s, n)| (s.clone(), n.clone()))
            .unwrap_or_default();
        let funded = escrow.get(&c.id).copied().unwrap_or(0) >= c.prize_total;
        out.push(ChallengeSummary {
            id: c.id.clone(),
            slug: c.slug.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            category: c.category.clone(),
            tags: c.tag_list(),
            kind: c.kind.clone(),
            state: c.state_at(at),
            prize_pool: Money::new(c.prize_total, &cur),
            submission_deadline: c.submission_deadline,
            published_at: c.published_at,
            organisation: OrgRef { slug, name },
            funded,
        });
    }
    Ok(out)
}

/// A page of challenges.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengePage {
    pub data: Vec<ChallengeSummary>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Filters, sort and paging of the challenge list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Words to find in the title, summary and description.
    pub q: Option<String>,
    /// Comma-separated states, e.g. `open,closed`.
    pub state: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub kind: Option<String>,
    /// Smallest prize pool, in minor units.
    pub min_prize: Option<i64>,
    pub currency: Option<String>,
    /// Organisation slug.
    pub org: Option<String>,
    /// `newest` (default), `deadline_soonest` or `largest_prize`.
    pub sort: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl ListParams {
    /// Parses into a store query; bad values are 400s with the field named.
    pub fn to_query(&self, conn: &mut DbConnection) -> AppResult<ListQuery> {
        let mut states = Vec::new();
        for s in self
            .state
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            states.push(State::parse(s).ok_or_else(|| {
                AppError::bad_request("invalid_query", format!("unknown state {s:?}"))
            })?);
        }
        let sort = match self.sort.as_deref() {
            None | Some("") => Sort::Newest,
            Some(s) => Sort::parse(s).ok_or_else(|| {
                AppError::bad_request("invalid_query", format!("unknown sort {s:?}"))
            })?,
        };
        let cursor = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(Cursor::decode(c).ok_or_else(|| {
                AppError::bad_request("invalid_cursor", "The cursor is not one this API gave.")
            })?),
        };
        let limit = self.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(AppError::bad_request(
                "invalid_query",
                "limit must be between 1 and 100",
            ));
        }
        let org_id = match self.org.as_deref().filter(|s| !s.is_empty()) {
            Some(slug) => Some(
                crate::orgs::store::find_by_slug(conn, slug)?
                    .map(|o| o.id)
                    .unwrap_or_else(|| "-".into()),
            ),
            None => None,
        };
        let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.trim().is_empty());
        Ok(ListQuery {
            q: nonempty(&self.q),
            states,
            category: nonempty(&self.category),
            tag: nonempty(&self.tag).map(|t| t.to_lowercase()),
            kind: nonempty(&self.kind),
            min_prize: self.min_prize,
            currency: nonempty(&self.currency).map(|c| c.to_uppercase()),
            org_id,
            sort,
            cursor,
            limit,
        })
    }
}

/// List and search public challenges.
#[utoipa::path(get, path = "/api/v1/challenges", tag = "challenges", params(ListParams),
    responses((status = 200, body = ChallengePage), (status = 400, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let params = params.into_inner();
    let page = state
        .db(move |c| {
            let q = params.to_query(c)?;
            let (rows, next) = store::list_public(c, &q, now())?;
            Ok(ChallengePage {
                data: summaries(c, &rows)?,
                next_cursor: next.map(|n| n.encode()),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Create a draft challenge for an organisation.
#[utoipa::path(post, path = "/api/v1/challenges", tag = "challenges", security(("bearer" = [])), request_body = ChallengeInput,
    responses((status = 201, body = ChallengeView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    who: Principal,
    body: web::Json<ChallengeInput>,
) -> AppResult<HttpResponse> {
    let input = body.into_inner();
    let org = match (&input.org, &who) {
        (Some(o), _) => o.clone(),
        (None, Principal::Key(k)) => {
            let id = k.key.org_id.clone();
            state
                .db(move |c| Ok(crate::orgs::store::find_by_id(c, &id)?.slug))
                .await?
        }
        (None, Principal::User(_)) => {
            return Err(AppError::field(
                "org",
                "required",
                "Name the organisation (its slug).",
            ))
        }
    };
    let ch = service::create(&state, &who, &org, input).await?;
    let v = state.db(move |c| view(c, &ch, Some(&who), true)).await?;
    Ok(HttpResponse::Created().json(v))
}

/// A challenge (by id or slug). Drafts only for their organisation.
#[utoipa::path(get, path = "/api/v1/challenges/{id}", tag = "challenges", params(("id" = String, Path, description = "id or slug")),
    responses((status = 200, body = ChallengeView), (status = 404, body = Problem)))]
pub async fn show(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    let v = state
        .db(move |c| {
            let (ch, organiser) = service::readable(c, who.as_ref(), &key)?;
            view(c, &ch, who.as_ref(), organiser)
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Edit a challenge: everything while a draft, texts and tags once open.
#[utoipa::path(patch, path = "/api/v1/challenges/{id}", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ChallengeInput,
    responses((status = 200, body = ChallengeView), (status = 404, body = Problem), (status = 409, body = Problem, description = "locked_after_publish"), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: web::Json<ChallengeInput>,
) -> AppResult<HttpResponse> {
    let ch = service::update(&state, &who, &path.into_inner(), body.into_inner()).await?;
    let v = state.db(move |c| view(c, &ch, Some(&who), true)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The outcome of publishing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishResponse {
    /// `open`, or `awaiting_review` when the platform reviews challenges first.
    pub outcome: String,
    pub challenge: ChallengeView,
}

/// Publish a draft. 409 `escrow_insufficient` until escrow holds the whole pool.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/publish", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = PublishResponse), (status = 409, body = Problem, description = "escrow_insufficient, illegal_transition")))]
pub async fn publish(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (ch, outcome) = service::publish(&state, &who, &path.into_inner()).await?;
    let challenge = state.db(move |c| view(c, &ch, Some(&who), true)).await?;
    let outcome = match outcome {
        Published::Open => "open",
        Published::AwaitingReview => "awaiting_review",
    }
    .to_owned();
    Ok(HttpResponse::Ok().json(PublishResponse { outcome, challenge }))
}

/// Cancel a challenge (draft, open or closed); escrow goes back to the organisation.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/cancel", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ChallengeView), (status = 409, body = Problem, description = "illegal_transition")))]
pub async fn cancel(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ch = service::cancel(&state, &who, &path.into_inner()).await?;
    let v = state.db(move |c| view(c, &ch, Some(&who), true)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The public escrow summary: pool, funded, awarded, refunded, balance.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/escrow", tag = "money", params(("id" = String, Path)),
    responses((status = 200, body = EscrowSummary), (status = 404, body = Problem)))]
pub async fn escrow(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    let s = state
        .db(move |c| {
            let (ch, _) = service::readable(c, who.as_ref(), &key)?;
            let cur = currency_of(&ch)?;
            Ok(service::flows(c, &ch)?.summary(ch.prize_total, &cur))
        })
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// A funding request and how to pay it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundingView {
    #[serde(flatten)]
    pub funding: Funding,
    /// Amount plus fee: what to transfer.
    pub total: Money,
    /// What to quote with the transfer so the admin can match it.
    pub payment_reference: String,
}

fn funding_view(f: Funding) -> AppResult<FundingView> {
    let cur =
        Currency::parse("currency", &f.currency).map_err(|e| AppError::internal(e.message))?;
    Ok(FundingView {
        total: Money::new(f.amount + f.fee, &cur),
        payment_reference: crate::money::model::payment_reference(&f.id),
        funding: f,
    })
}

/// Ask to fund what the prize pool still lacks (manual provider: an admin confirms receipt).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/funding", tag = "money", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 201, body = FundingView), (status = 409, body = Problem, description = "already_funded")))]
pub async fn request_funding(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let f = service::request_funding(&state, &who, &path.into_inner()).await?;
    Ok(HttpResponse::Created().json(funding_view(f)?))
}

/// Funding requests of a challenge.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundingList {
    pub data: Vec<FundingView>,
}

/// The challenge's funding requests (its organisation).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/fundings", tag = "money", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = FundingList), (status = 404, body = Problem)))]
pub async fn fundings(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    let list = state
        .db(move |c| {
            let (ch, _) = service::org_access(c, &who, &key, OrgAction::ViewChallenges)?;
            Ok(ledger::fundings_of(c, &ch.id)?)
        })
        .await?;
    let data = list
        .into_iter()
        .map(funding_view)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(FundingList { data }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The bank or payment reference of the money received.
    pub reference: String,
}

/// Record that a funding request's money arrived (platform admins). Moves clearing → escrow once.
#[utoipa::path(post, path = "/api/v1/admin/fundings/{id}/confirm", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ConfirmRequest,
    responses((status = 200, body = FundingView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem, description = "funding_not_pending")))]
pub async fn confirm_funding(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    body: web::Json<ConfirmRequest>,
) -> AppResult<HttpResponse> {
    let f = service::confirm_funding(
        &state,
        &admin.0.user.id,
        &path.into_inner(),
        &body.reference,
    )
    .await?;
    Ok(HttpResponse::Ok().json(funding_view(f)?))
}

/// Funding requests waiting for confirmation (platform admins).
#[utoipa::path(get, path = "/api/v1/admin/fundings", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = FundingList), (status = 403, body = Problem)))]
pub async fn pending_fundings(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
) -> AppResult<HttpResponse> {
    let list = state.db(|c| Ok(ledger::pending_fundings(c)?)).await?;
    let data = list
        .into_iter()
        .map(funding_view)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(FundingList { data }))
}

/// Challenges waiting for review (platform admins).
#[utoipa::path(get, path = "/api/v1/admin/reviews", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = ChallengePage), (status = 403, body = Problem)))]
pub async fn reviews(state: web::Data<AppState>, _admin: PlatformAdmin) -> AppResult<HttpResponse> {
    let page = state
        .db(|c| {
            let rows = store::awaiting_review(c)?;
            Ok(ChallengePage {
                data: summaries(c, &rows)?,
                next_cursor: None,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct ReviewRequest {
    pub comment: Option<String>,
    /// The review version read (`review.version` of the challenge); when
    /// given, a challenge that changed since is refused with 409 `review_outdated`.
    pub version: Option<String>,
}

/// Approve a challenge waiting for review: it opens.
#[utoipa::path(post, path = "/api/v1/admin/reviews/{id}/approve", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ReviewRequest,
    responses((status = 200, body = ChallengeView), (status = 409, body = Problem)))]
pub async fn approve(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    body: Option<web::Json<ReviewRequest>>,
) -> AppResult<HttpResponse> {
    let body = body.map(|b| b.into_inner()).unwrap_or_default();
    let ch = service::review_decision(
        &state,
        &admin.0.user.id,
        &path.into_inner(),
        true,
        body.comment,
        body.version,
    )
    .await?;
    let v = state.db(move |c| view(c, &ch, None, true)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Ask for changes to a challenge waiting for review, with a comment.
#[utoipa::path(post, path = "/api/v1/admin/reviews/{id}/request-changes", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ReviewRequest,
    responses((status = 200, body = ChallengeView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn request_changes(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    body: web::Json<ReviewRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let ch = service::review_decision(
        &state,
        &admin.0.user.id,
        &path.into_inner(),
        false,
        body.comment,
        body.version,
    )
    .await?;
    let v = state.db(move |c| view(c, &ch, None, true)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Platform settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    /// Publishing a challenge needs a platform admin's approval.
    pub publish_requires_review: bool,
}

/// Read platform settings (platform admins).
#[utoipa::path(get, path = "/api/v1/admin/settings", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Settings)))]
pub async fn settings(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
) -> AppResult<HttpResponse> {
    let s = state
        .db(|c| {
            Ok(Settings {
                publish_requires_review: service::review_required(c)?,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Change platform settings (platform admins).
#[utoipa::path(put, path = "/api/v1/admin/settings", tag = "admin", security(("bearer" = [])), request_body = Settings,
    responses((status = 200, body = Settings)))]
pub async fn put_settings(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    body: web::Json<Settings>,
) -> AppResult<HttpResponse> {
    let want = body.publish_requires_review;
    let admin_id = admin.0.user.id;
    state
        .tx(move |c| {
            store::set_setting(
                c,
                store::SETTING_PUBLISH_REVIEW,
                if want { "true" } else { "false" },
                now(),
            )?;
            audit::record(
                c,
                audit::Entry {
                    actor: &audit::Actor::user(&admin_id),
                    org_id: None,
                    action: "platform.settings_changed",
                    subject_type: "platform",
                    subject_id: "settings",
                    data: serde_json::json!({ "publish_requires_review": want }),
                },
            )?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(Settings {
        publish_requires_review: want,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesRequest {
    /// Markdown.
    pub text: String,
}

/// A new rules version.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesVersion {
    pub version: i32,
}

/// Publish a new rules version; registered solvers accept it again before their next submission.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/rules", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RulesRequest, responses((status = 201, body = RulesVersion), (status = 409, body = Problem)))]
pub async fn new_rules(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: web::Json<RulesRequest>,
) -> AppResult<HttpResponse> {
    let version =
        service::new_rules(&state, &who, &path.into_inner(), body.into_inner().text).await?;
    Ok(HttpResponse::Created().json(RulesVersion { version }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The rules version being accepted: must be the current one.
    pub rules_version: i32,
    /// Must be true: registering means accepting the rules.
    pub accept_rules: bool,
}

/// A registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationView {
    pub challenge_id: String,
    pub rules_version: i32,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub accepted_at: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub registered_at: NaiveDateTime,
}

/// Register for an open challenge by accepting its current rules (201), or accept a newer version (200).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/registrations", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = RegisterRequest,
    responses((status = 201, body = RegistrationView), (status = 200, body = RegistrationView),
              (status = 409, body = Problem, description = "deadline_passed, challenge_not_open, rules_version_mismatch"), (status = 422, body = Problem)))]
pub async fn register(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<RegisterRequest>,
) -> AppResult<HttpResponse> {
    if !body.accept_rules {
        return Err(AppError::field(
            "accept_rules",
            "required",
            "Registering means accepting the rules.",
        ));
    }
    let (r, new) = service::register(
        &state,
        &user.user.id,
        &path.into_inner(),
        body.rules_version,
    )
    .await?;
    let v = RegistrationView {
        challenge_id: r.challenge_id,
        rules_version: r.rules_version,
        accepted_at: r.accepted_at,
        registered_at: r.created_at,
    };
    Ok(if new {
        HttpResponse::Created().json(v)
    } else {
        HttpResponse::Ok().json(v)
    })
}

/// Who registered.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrantList {
    pub count: usize,
    pub data: Vec<store::Registrant>,
}

/// Registered solvers (the challenge's organisation).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/registrations", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RegistrantList), (status = 404, body = Problem)))]
pub async fn registrants(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    let data = state
        .db(move |c| {
            let (ch, _) = service::org_access(c, &who, &key, OrgAction::ViewChallenges)?;
            Ok(store::registrants(c, &ch.id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(RegistrantList {
        count: data.len(),
        data,
    }))
}

/// One of my registrations.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyRegistration {
    pub challenge: ChallengeSummary,
    pub rules_version: i32,
    pub needs_reacceptance: bool,
}

/// My registrations.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyRegistrations {
    pub data: Vec<MyRegistration>,
}

/// The challenges I registered for.
#[utoipa::path(get, path = "/api/v1/me/registrations", tag = "me", security(("bearer" = [])), responses((status = 200, body = MyRegistrations)))]
pub async fn my_registrations(
    state: web::Data<AppState>,
    user: AuthUser,
) -> AppResult<HttpResponse> {
    let uid = user.user.id;
    let data = state
        .db(move |c| {
            let rows = store::registrations_of(c, &uid)?;
            let challenges: Vec<Challenge> = rows.iter().map(|(_, ch)| ch.clone()).collect();
            let sums = summaries(c, &challenges)?;
            Ok(rows
                .into_iter()
                .zip(sums)
                .map(|((r, ch), s)| MyRegistration {
                    needs_reacceptance: r.rules_version < ch.rules_version,
                    rules_version: r.rules_version,
                    challenge: s,
                })
                .collect())
        })
        .await?;
    Ok(HttpResponse::Ok().json(MyRegistrations { data }))
}

/// A question and its answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: String,
    pub body: String,
    pub is_public: bool,
    pub answer: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::api::rfc3339_opt")]
    pub answered_at: Option<NaiveDateTime>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub asked_at: NaiveDateTime,
    /// The caller asked it.
    pub mine: bool,
}

fn question_view(q: Question, me: Option<&str>) -> QuestionView {
    QuestionView {
        mine: me == Some(q.asked_by.as_str()),
        id: q.id,
        body: q.body,
        is_public: q.is_public,
        answer: q.answer,
        answered_at: q.answered_at,
        asked_at: q.created_at,
    }
}

/// Questions visible to the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionList {
    pub data: Vec<QuestionView>,
}

/// Questions: answered public ones for everyone, your own, all for the organisation.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/questions", tag = "challenges", params(("id" = String, Path)),
    responses((status = 200, body = QuestionList), (status = 404, body = Problem)))]
pub async fn questions(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    let data = state
        .db(move |c| {
            let (ch, organiser) = service::readable(c, who.as_ref(), &key)?;
            let me = match &who {
                Some(Principal::User(u)) => Some(u.user.id.clone()),
                _ => None,
            };
            let scope = if organiser {
                QuestionScope::All
            } else {
                QuestionScope::Viewer(me.clone())
            };
            Ok(store::list_questions(c, &ch.id, &scope)?
                .into_iter()
                .map(|q| question_view(q, me.as_deref()))
                .collect())
        })
        .await?;
    Ok(HttpResponse::Ok().json(QuestionList { data }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    pub body: String,
    /// Public questions are shown to everyone once answered; private ones only to you and the organisation.
    #[serde(default = "yes")]
    pub is_public: bool,
}

fn yes() -> bool {
    true
}

/// Ask a question (registered solvers).
#[utoipa::path(post, path = "/api/v1/challenges/{id}/questions", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = AskRequest,
    responses((status = 201, body = QuestionView), (status = 403, body = Problem, description = "registration_required")))]
pub async fn ask(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<AskRequest>,
) -> AppResult<HttpResponse> {
    let q = service::ask(
        &state,
        &user.user.id,
        &path.into_inner(),
        &body.body,
        body.is_public,
    )
    .await?;
    Ok(HttpResponse::Created().json(question_view(q, Some(&user.user.id))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    pub answer: String,
}

/// Answer a question (the organisation); the asker gets an email.
#[utoipa::path(post, path = "/api/v1/questions/{id}/answer", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = AnswerRequest, responses((status = 200, body = QuestionView), (status = 404, body = Problem)))]
pub async fn answer(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: web::Json<AnswerRequest>,
) -> AppResult<HttpResponse> {
    let q = service::answer(&state, &who, &path.into_inner(), &body.answer).await?;
    Ok(HttpResponse::Ok().json(question_view(q, None)))
}

/// An announcement.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementView {
    pub id: String,
    pub title: String,
    pub body: String,
    pub body_html: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "crate::api::rfc3339")]
    pub posted_at: NaiveDateTime,
}

fn announcement_view(a: store::Announcement) -> AnnouncementView {
    AnnouncementView {
        body_html: crate::markdown::render(&a.body_md),
        id: a.id,
        title: a.title,
        body: a.body_md,
        posted_at: a.created_at,
    }
}

/// Announcements, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementList {
    pub data: Vec<AnnouncementView>,
}

/// A challenge's announcements.
#[utoipa::path(get, path = "/api/v1/challenges/{id}/announcements", tag = "challenges", params(("id" = String, Path)),
    responses((status = 200, body = AnnouncementList), (status = 404, body = Problem)))]
pub async fn announcements(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    let data = state
        .db(move |c| {
            let (ch, _) = service::readable(c, who.as_ref(), &key)?;
            Ok(store::list_announcements(c, &ch.id)?
                .into_iter()
                .map(announcement_view)
                .collect())
        })
        .await?;
    Ok(HttpResponse::Ok().json(AnnouncementList { data }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnounceRequest {
    pub title: String,
    /// Markdown.
    pub body: String,
}

/// Post an announcement; every registrant is emailed in their language.
#[utoipa::path(post, path = "/api/v1/challenges/{id}/announcements", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = AnnounceRequest, responses((status = 201, body = AnnouncementView), (status = 404, body = Problem)))]
pub async fn announce(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
    body: web::Json<AnnounceRequest>,
) -> AppResult<HttpResponse> {
    let (a, _) =
        service::announce(&state, &who, &path.into_inner(), &body.title, &body.body).await?;
    Ok(HttpResponse::Created().json(announcement_view(a)))
}

/// A challenge's audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeAudit {
    pub data: Vec<AuditRecord>,
}

/// Every change to a challenge: who, what, when (its organisation).
#[utoipa::path(get, path = "/api/v1/challenges/{id}/audit", tag = "challenges", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ChallengeAudit), (status = 404, body = Problem)))]
pub async fn audit_trail(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    let data = state
        .db(move |c| {
            let (ch, _) = service::org_access(c, &who, &key, OrgAction::ViewChallenges)?;
            Ok(audit::for_subject(c, "challenge", &ch.id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ChallengeAudit { data }))
}

/// An organisation's challenges in every state (its dashboard).
#[utoipa::path(get, path = "/api/v1/orgs/{slug}/challenges", tag = "orgs", security(("bearer" = [])), params(("slug" = String, Path)),
    responses((status = 200, body = ChallengePage), (status = 404, body = Problem)))]
pub async fn of_org(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let page = state
        .db(move |c| {
            let a = crate::orgs::service::access(c, &who, &slug, OrgAction::ViewChallenges)?;
            let rows = store::of_org(c, &a.org.id)?;
            Ok(ChallengePage {
                data: summaries(c, &rows)?,
                next_cursor: None,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Used by pages: the request's optional caller.
pub async fn caller(state: &AppState, req: &HttpRequest) -> Option<Principal> {
    let token = crate::web::cookie_value(req, crate::auth::extract::ACCESS_COOKIE);
    crate::auth::extract::resolve(state, token)
        .await
        .ok()
        .flatten()
}
