//! Read models of submissions: what the JSON API answers and what the pages
//! show. Each function reads in one go, on one connection, and applies who
//! may see what through [`service::readable`] and [`view`], so the API and
//! the pages can never show a submission differently. Nothing here writes.
//!
//! The rows handlers may name (a revision, an invitation, the challenge a
//! submission belongs to) are re-exported here, so handlers never reach for
//! a store.

mod profile;
mod sources;
mod views;

pub use profile::{solver_profile, PublicPrize, SolverProfile};
pub use sources::{build_on, chain, entry_source, public_holders, BuildOn, BuildTarget, SourceRef};
pub use views::{
    attachment_view, attribution, stored_licence, team_names, view, AttachmentView, ChallengeRef,
    MyInvitation, RevisionRef, RevisionView, SubmissionView, TeamMemberView, TeamRulesView,
    ORGANISER, TEAM,
};

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::model::{self, Viewer};
use super::service;
use super::store;
pub use super::store::{Attachment, Revision, Submission, TeamInvitation};
use crate::auth::principal::{AuthUser, Principal};
use crate::challenges::model::{Licence, State};
use crate::challenges::store as challenges;
pub use crate::challenges::store::{Challenge, Registration};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use views::judged;

// ---- what the API answers ----

/// `s` as `viewer` sees it: the answer to a write that returned it.
pub async fn view_as(state: &AppState, s: Submission, viewer: Viewer) -> AppResult<SubmissionView> {
    state
        .db(move |c| {
            let ch = challenges::find(c, &s.challenge_id)?;
            view(c, &s, &ch, viewer)
        })
        .await
}

/// The submissions of a challenge the caller may see: all for the
/// organisation, the team's own for a solver, published ones for everyone.
pub async fn of_challenge(
    state: &AppState,
    who: Option<Principal>,
    key: String,
) -> AppResult<Vec<SubmissionView>> {
    state
        .db(move |c| {
            let (ch, _) = crate::challenges::service::readable(c, who.as_ref(), &key)?;
            let mut out = Vec::new();
            for s in store::of_challenge(c, &ch.id)? {
                let v = service::viewer(c, who.as_ref(), &s, &ch)?;
                if model::can_view(v, s.published_at.is_some(), s.submitted_at.is_some()) {
                    out.push(view(c, &s, &ch, v)?);
                }
            }
            Ok(out)
        })
        .await
}

/// A submission the caller may see (404 otherwise).
pub async fn one(
    state: &AppState,
    who: Option<Principal>,
    id: String,
) -> AppResult<SubmissionView> {
    state
        .db(move |c| {
            let (s, ch, v) = service::readable(c, who.as_ref(), &id)?;
            view(c, &s, &ch, v)
        })
        .await
}

/// The revisions of a submission the caller may see, oldest first.
pub async fn revisions(
    state: &AppState,
    who: Option<Principal>,
    id: String,
) -> AppResult<Vec<RevisionView>> {
    state
        .db(move |c| {
            let (s, ch, _) = service::readable(c, who.as_ref(), &id)?;
            let revs = store::revisions_of(c, &s.id)?;
            let judged = judged(&revs, ch.submission_deadline);
            Ok(revs
                .into_iter()
                .map(|r| RevisionView {
                    judged: Some(r.number) == judged,
                    attachments: r.attachment_list().len(),
                    number: r.number,
                    title: r.title,
                    licence: r.licence,
                    sha256: r.content_sha256,
                    created_at: r.created_at,
                })
                .collect())
        })
        .await
}

/// An attachment of a submission the caller may see, with the current
/// revision (for the licence notice of the download).
pub async fn attachment(
    state: &AppState,
    who: Option<Principal>,
    id: String,
    attachment_id: String,
) -> AppResult<(Attachment, Revision)> {
    state
        .db(move |c| {
            let (s, _, _) = service::readable(c, who.as_ref(), &id)?;
            let a = store::attachment(c, &attachment_id).map_err(|_| AppError::NotFound)?;
            if a.submission_id != s.id {
                return Err(AppError::NotFound);
            }
            let rev = store::revision(c, &s.id, s.current_revision)?;
            Ok((a, rev))
        })
        .await
}

/// My submissions (drafts included) with their challenges.
fn mine_with_challenges(
    c: &mut DbConnection,
    user_id: &str,
) -> AppResult<Vec<(SubmissionView, Challenge)>> {
    let mut out = Vec::new();
    for s in store::of_user(c, user_id)? {
        let ch = challenges::find(c, &s.challenge_id)?;
        out.push((view(c, &s, &ch, TEAM)?, ch));
    }
    Ok(out)
}

/// My submissions, drafts included.
pub async fn mine(state: &AppState, user_id: String) -> AppResult<Vec<SubmissionView>> {
    let rows = state.db(move |c| mine_with_challenges(c, &user_id)).await?;
    Ok(rows.into_iter().map(|(v, _)| v).collect())
}

/// The unanswered, unexpired team invitations to `email`, with their challenges.
fn invitations_with_challenges(
    c: &mut DbConnection,
    email: &str,
) -> AppResult<Vec<(TeamInvitation, Challenge)>> {
    let mut out = Vec::new();
    for inv in store::invitations_for(c, email, now())? {
        let challenge_id = store::team_challenge(c, &inv.team_id)?;
        let ch = challenges::find(c, &challenge_id)?;
        out.push((inv, ch));
    }
    Ok(out)
}

/// Team invitations waiting for `email`.
pub async fn my_invitations(state: &AppState, email: String) -> AppResult<Vec<MyInvitation>> {
    let rows = state
        .db(move |c| invitations_with_challenges(c, &email))
        .await?;
    Ok(rows
        .into_iter()
        .map(|(inv, ch)| MyInvitation {
            id: inv.id,
            challenge: ChallengeRef::from(&ch),
            created_at: inv.created_at,
        })
        .collect())
}

/// Filters of the gallery.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct GalleryParams {
    /// Words in the title, abstract or body.
    pub q: Option<String>,
    /// An SPDX id.
    pub licence: Option<String>,
    /// A challenge id or slug.
    pub challenge: Option<String>,
    /// 1–100, default 50.
    pub limit: Option<i64>,
}

/// Published solutions, newest first.
pub async fn gallery(state: &AppState, params: GalleryParams) -> AppResult<Vec<SubmissionView>> {
    state.db(move |c| gallery_items(c, &params)).await
}

/// The gallery's items.
fn gallery_items(c: &mut DbConnection, p: &GalleryParams) -> AppResult<Vec<SubmissionView>> {
    let challenge_id = match p.challenge.as_deref().filter(|s| !s.is_empty()) {
        Some(k) => Some(
            challenges::find_by_key(c, k)?
                .map(|ch| ch.id)
                .unwrap_or_else(|| "-".into()),
        ),
        None => None,
    };
    let licence = p.licence.as_deref().filter(|s| !s.is_empty()).map(|l| {
        Licence::parse(l)
            .map(|l| l.id)
            .unwrap_or_else(|| l.to_owned())
    });
    let limit = p.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_query",
            "limit must be between 1 and 100",
        ));
    }
    let rows = store::published(
        c,
        p.q.as_deref(),
        licence.as_deref(),
        challenge_id.as_deref(),
        limit,
    )?;
    let mut out = Vec::new();
    for s in rows {
        let ch = challenges::find(c, &s.challenge_id)?;
        out.push(view(c, &s, &ch, Viewer::default())?);
    }
    Ok(out)
}

// ---- what the pages show ----

/// What the gallery page shows: the solutions found, and what its filters
/// offer (the licences and challenges the gallery holds).
pub struct GalleryPage {
    pub items: Vec<SubmissionView>,
    /// SPDX ids, as first seen.
    pub licences: Vec<String>,
    /// (slug, title), as first seen.
    pub challenges: Vec<(String, String)>,
}

/// The gallery page's reads.
pub async fn gallery_page(state: &AppState, params: GalleryParams) -> AppResult<GalleryPage> {
    state
        .db(move |c| {
            let items = gallery_items(c, &params)?;
            let mut licences: Vec<String> = Vec::new();
            let mut seen: Vec<String> = Vec::new();
            let mut chs: Vec<(String, String)> = Vec::new();
            for s in store::published(c, None, None, None, 100)? {
                if !licences.contains(&s.licence) {
                    licences.push(s.licence.clone());
                }
                if !seen.contains(&s.challenge_id) {
                    let ch = challenges::find(c, &s.challenge_id)?;
                    seen.push(ch.id);
                    chs.push((ch.slug, ch.title));
                }
            }
            Ok(GalleryPage {
                items,
                licences,
                challenges: chs,
            })
        })
        .await
}

/// What the new-entry form needs.
pub struct Entry {
    pub ch: Challenge,
    /// The default copyright holders: the team's names, else mine.
    pub holders: String,
    /// Why entering is not possible now, if it is not.
    pub blocker: Option<&'static str>,
}

/// What keeps a solver from entering, to say so before they write. The same
/// checks, in the same order, as `service::create`, which decides on POST.
fn entry_blocker(
    c: &mut DbConnection,
    ch: &Challenge,
    user_id: &str,
    team: Option<&str>,
) -> AppResult<Option<&'static str>> {
    let at = now();
    if ch.state_at(at) != State::Open {
        return Ok(Some(if at >= ch.submission_deadline {
            "deadline_passed"
        } else {
            "challenge_not_open"
        }));
    }
    let Some(reg) = challenges::registration(c, &ch.id, user_id)? else {
        return Ok(Some("registration_required"));
    };
    if reg.rules_version < ch.rules_version {
        return Ok(Some("rules_acceptance_required"));
    }
    if let Some(team) = team {
        if store::active_count(c, team)? >= i64::from(ch.max_submissions_per_solver) {
            return Ok(Some("submission_limit_reached"));
        }
    }
    Ok(None)
}

/// The new-entry form of challenge `slug` for `user`.
pub async fn entry(state: &AppState, user: &AuthUser, slug: &str) -> AppResult<Entry> {
    let (who, uid, name, slug) = (
        Principal::User(user.clone()),
        user.user.id.clone(),
        user.user.display_name.clone(),
        slug.to_owned(),
    );
    state
        .db(move |c| {
            let (ch, _) = crate::challenges::service::readable(c, Some(&who), &slug)?;
            let team = store::team_of(c, &ch.id, &uid)?;
            let holders = match &team {
                Some(t) => team_names(c, t)?,
                None => name,
            };
            let blocker = entry_blocker(c, &ch, &uid, team.as_deref())?;
            Ok(Entry {
                ch,
                holders,
                blocker,
            })
        })
        .await
}

/// What the edit form needs.
pub struct Edit {
    pub ch: Challenge,
    pub s: Submission,
    /// The current revision, which the form starts from.
    pub rev: Revision,
}

/// The edit form of submission `id`, for a member of its team (404 for
/// anyone else, the organisation included: it may read, not edit).
pub async fn edit(state: &AppState, user: &AuthUser, id: &str) -> AppResult<Edit> {
    let (who, id) = (Principal::User(user.clone()), id.to_owned());
    state
        .db(move |c| {
            let (s, ch, v) = service::readable(c, Some(&who), &id)?;
            if !v.team_member {
                return Err(AppError::NotFound);
            }
            let rev = store::revision(c, &s.id, s.current_revision)?;
            Ok(Edit { ch, s, rev })
        })
        .await
}

/// A pending share proposal, as the team sees it.
pub struct PendingShares {
    /// (user id, basis points) per member.
    pub shares: Vec<(String, i32)>,
    /// Who approved it so far.
    pub approvals: Vec<String>,
    pub proposed_by: String,
}

/// Everything the submission page shows.
pub struct Shown {
    pub v: SubmissionView,
    pub viewer: Viewer,
    pub challenge_state: State,
    pub deadline: NaiveDateTime,
    pub max_team_size: i32,
    /// For the team: the share proposal waiting for approvals.
    pub pending: Option<PendingShares>,
    /// For the team: invitations not answered yet.
    pub invitations: Vec<TeamInvitation>,
    /// Attachment limits in bytes: per file, per submission.
    pub limits: (u64, u64),
}

/// The submission page of `id` for `user` (or a visitor).
pub async fn shown(state: &AppState, user: Option<AuthUser>, id: &str) -> AppResult<Shown> {
    let (file_max, total_max) = (
        state.config.attachment_max_bytes,
        state.config.submission_max_bytes,
    );
    let id = id.to_owned();
    state
        .db(move |c| {
            let who = user.map(Principal::User);
            let (s, ch, viewer) = service::readable(c, who.as_ref(), &id)?;
            let v = view(c, &s, &ch, viewer)?;
            let (pending, invitations) = if viewer.team_member {
                let pending = match store::pending_proposal(c, &s.team_id)? {
                    Some(p) => Some(PendingShares {
                        approvals: store::approvals(c, &p.id)?,
                        shares: serde_json::from_str(&p.shares).unwrap_or_default(),
                        proposed_by: p.proposed_by,
                    }),
                    None => None,
                };
                (pending, store::pending_invitations(c, &s.team_id, now())?)
            } else {
                (None, Vec::new())
            };
            Ok(Shown {
                v,
                viewer,
                challenge_state: ch.state_at(now()),
                deadline: ch.submission_deadline,
                max_team_size: ch.max_team_size,
                pending,
                invitations,
                limits: service::attachment_limits(&ch, file_max, total_max),
            })
        })
        .await
}

/// What a receipt shows.
pub struct Receipt {
    pub s: Submission,
    pub ch: Challenge,
    pub rev: Revision,
    pub files: Vec<Attachment>,
    /// The team's names.
    pub team: String,
}

/// The receipt of revision `wanted` (the current one by default) of a
/// submission the caller may see.
pub async fn receipt(
    state: &AppState,
    who: Option<Principal>,
    id: &str,
    wanted: Option<i32>,
) -> AppResult<Receipt> {
    let id = id.to_owned();
    state
        .db(move |c| {
            let (s, ch, _) = service::readable(c, who.as_ref(), &id)?;
            let rev = store::revision(c, &s.id, wanted.unwrap_or(s.current_revision))?;
            let files = store::attachments_by_ids(c, &rev.attachment_list())?;
            let team = team_names(c, &s.team_id)?;
            Ok(Receipt {
                s,
                ch,
                rev,
                files,
                team,
            })
        })
        .await
}

/// Every revision of a submission the caller may see, with its view and
/// the challenge's deadline.
pub async fn history(
    state: &AppState,
    who: Option<Principal>,
    id: &str,
) -> AppResult<(SubmissionView, Vec<Revision>, NaiveDateTime)> {
    let id = id.to_owned();
    state
        .db(move |c| {
            let (s, ch, viewer) = service::readable(c, who.as_ref(), &id)?;
            let v = view(c, &s, &ch, viewer)?;
            Ok((v, store::revisions_of(c, &s.id)?, ch.submission_deadline))
        })
        .await
}

/// What a team invitation page shows.
pub struct InvitationInfo {
    pub challenge_title: String,
    pub challenge_slug: String,
    pub inviter: String,
    pub email: String,
    /// Whether the signed-in person registered for the challenge.
    pub registered: bool,
    /// The challenge's current rules version (accepted when joining).
    pub rules_version: i32,
    /// The team gave its creator the sole say on withdrawing.
    pub creator_decides: bool,
    /// Joining names me among the copyright holders.
    pub credit_joiners: bool,
}

/// The challenge, inviter and whether `user_id` (if signed in) registered for it.
fn about_invitation(
    c: &mut DbConnection,
    inv: &TeamInvitation,
    user_id: Option<&str>,
) -> AppResult<(Challenge, String, bool)> {
    let challenge_id = store::team_challenge(c, &inv.team_id)?;
    let ch = challenges::find(c, &challenge_id)?;
    let inviter = crate::auth::store::find_user(c, &inv.invited_by)?.display_name;
    let registered = match user_id {
        Some(u) => challenges::registration(c, &ch.id, u)?.is_some(),
        None => false,
    };
    Ok((ch, inviter, registered))
}

/// The team invitation of an emailed `token`, if it still works.
pub async fn invitation(
    state: &AppState,
    user: Option<&AuthUser>,
    token: &str,
) -> AppResult<Option<InvitationInfo>> {
    let (token, uid) = (token.to_owned(), user.map(|u| u.user.id.clone()));
    state
        .db(move |c| {
            let Some(inv) = store::invitation_by_token(c, &token, now())? else {
                return Ok(None);
            };
            let (ch, inviter, registered) = about_invitation(c, &inv, uid.as_deref())?;
            let rules = store::team_rules(c, &inv.team_id)?;
            Ok(Some(InvitationInfo {
                creator_decides: rules.withdrawal == model::team::withdrawal::CREATOR,
                credit_joiners: rules.credit_joiners,
                rules_version: ch.rules_version,
                challenge_title: ch.title,
                challenge_slug: ch.slug,
                inviter,
                email: inv.email,
                registered,
            }))
        })
        .await
}

/// The first submission of a team, if it has one (where a new member lands).
pub async fn first_of_team(state: &AppState, team_id: String) -> AppResult<Option<Submission>> {
    state
        .db(move |c| Ok(store::of_team(c, &team_id)?.into_iter().next()))
        .await
}

/// A team invitation on the dashboard: with its challenge, the inviter's
/// name, and whether I registered for the challenge.
pub struct ListedInvitation {
    pub inv: TeamInvitation,
    pub ch: Challenge,
    pub inviter: String,
    pub registered: bool,
}

/// What the solver dashboard shows, read in one go: the same reads as the
/// API's /me/registrations, /me/submissions and /me/team-invitations.
pub struct Dashboard {
    pub registrations: Vec<(Registration, Challenge)>,
    pub submissions: Vec<(SubmissionView, Challenge)>,
    pub invitations: Vec<ListedInvitation>,
    /// Prizes won (the person's share), with their payout state.
    pub prizes: Vec<crate::judging::queries::results::MyPrize>,
    /// Judging roles and invitations to judge (for a link to the workspace).
    pub judging: usize,
    /// With a provider that pays by itself: prizes wait for the person's
    /// payout account, and what the provider still needs for it.
    pub payout_setup: Option<Vec<String>>,
}

/// The dashboard of `user`.
pub async fn dashboard(state: &AppState, user: &AuthUser) -> AppResult<Dashboard> {
    let (uid, email) = (user.user.id.clone(), user.user.email.clone());
    let card = state.payments.name() != "manual";
    state
        .db(move |c| {
            let registrations = challenges::registrations_of(c, &uid)?;
            let submissions = mine_with_challenges(c, &uid)?;
            let mut invitations = Vec::new();
            for inv in store::invitations_for(c, &email, now())? {
                let (ch, inviter, registered) = about_invitation(c, &inv, Some(&uid))?;
                invitations.push(ListedInvitation {
                    inv,
                    ch,
                    inviter,
                    registered,
                });
            }
            let judging = crate::judging::store::roles_of_user(c, &uid)?.len()
                + crate::judging::store::invitations_for(c, &email, now())?.len();
            let waiting = crate::payouts::store::payouts_of_user(c, &uid)?
                .iter()
                .any(|p| p.state() != crate::payouts::model::Status::Paid);
            let account = crate::payouts::accounts::of_user(c, &uid)?;
            let payout_setup = match account {
                _ if !card || !waiting => None,
                Some(a) if a.payouts_enabled => None,
                Some(a) => Some(a.needs()),
                None => Some(Vec::new()),
            };
            Ok(Dashboard {
                payout_setup,
                prizes: crate::judging::queries::results::prizes_of_user(c, &uid)?,
                judging,
                registrations,
                submissions,
                invitations,
            })
        })
        .await
}
