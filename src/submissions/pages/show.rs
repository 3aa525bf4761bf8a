//! The submission page: what was entered, its files and its team, with the
//! team's and the organisation's actions. The actions live beside it
//! ([`super::lifecycle`], [`super::files`], [`super::team`]); when one
//! fails, [`show_failure`] renders this page again with the message where
//! it belongs.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{
    attribution, done_notice, failure, not_visible, revision_label, state_label, DoneQuery,
};
use crate::auth::extract::MaybeUser;
use crate::challenges::model::State;
use crate::db::now;
use crate::error::AppError;
use crate::frontend::format::{countdown, human_size, is_urgent, percent, Stamp};
use crate::frontend::forms::FormErrors;
use crate::frontend::widgets::Notice;
use crate::frontend::{render, render_status, PageCtx};
use crate::state::AppState;
use crate::submissions::model::{self, state as sub_state};
use crate::submissions::queries::{self, PendingShares, Shown, SubmissionView, TeamMemberView};

/// A team member as shown.
#[derive(Debug, Clone)]
pub(super) struct MemberRow {
    pub(super) user_id: String,
    name: String,
    role_label: &'static str,
    share: String,
    /// The value of the share input ("33.34").
    pub(super) share_input: String,
    /// The share in the pending proposal, and whether they approved it.
    proposed: Option<String>,
    approved: bool,
    is_me: bool,
    /// The viewer may remove them (or leave, on their own row).
    removable: bool,
    /// Public results leave their name out.
    anonymous: bool,
}

/// An attachment as listed.
#[derive(Debug, Clone)]
struct FileRow {
    name: String,
    content_type: String,
    size: String,
    sha256: String,
    url: String,
}

/// A pending team invitation as listed.
#[derive(Debug, Clone)]
struct PendingRow {
    id: String,
    email: String,
    sent: Stamp,
}

/// A share proposal waiting for approvals.
#[derive(Debug, Clone)]
struct ProposalView {
    /// "Proposed by Ada: 1 of 2 members approved."
    text: String,
    /// The viewer still has to approve.
    mine_to_approve: bool,
}

/// A solution named in an attribution chain.
#[derive(Debug, Clone)]
struct SourceRow {
    title: String,
    url: String,
    /// "by Ana and Bo · CC-BY-4.0".
    byline: String,
}

fn source_rows(t: crate::i18n::Tr, refs: &[queries::SourceRef]) -> Vec<SourceRow> {
    refs.iter()
        .map(|r| SourceRow {
            title: r.title.clone(),
            url: r.url.clone(),
            byline: t.fmt(
                "sub.source.byline",
                &[("holders", &r.holders), ("licence", &r.licence)],
            ),
        })
        .collect()
}

/// Where a withdrawal stands, for a team member who may act on it.
#[derive(Debug, Clone, Default)]
struct WithdrawBox {
    /// "Every member must agree…" or "The team's creator decides…".
    rule_text: String,
    /// "Waiting for Bo and Cy." once someone agreed.
    waiting_text: Option<String>,
    /// I agreed already (I may take it back).
    i_agreed: bool,
    /// I may agree (creator mode leaves the others out).
    may_vote: bool,
    /// My agreement withdraws the entry at once.
    final_word: bool,
}

/// The team's rules as the form shows them.
#[derive(Debug, Clone, Default)]
struct RulesForm {
    creator_decides: bool,
    credit_joiners: bool,
    /// Only a team of one may hand the say to its creator.
    creator_choice_open: bool,
}

fn withdraw_box(ctx: &PageCtx, v: &SubmissionView) -> (WithdrawBox, RulesForm) {
    let t = ctx.t;
    let Some(r) = &v.team_rules else {
        return Default::default();
    };
    let me = ctx.user.as_ref().map(|u| u.id.as_str()).unwrap_or_default();
    let creator_decides = r.withdrawal == model::team::withdrawal::CREATOR;
    let creator = v
        .team
        .iter()
        .find(|m| m.user_id == r.created_by)
        .map(|m| m.display_name.clone())
        .unwrap_or_default();
    let names = |ids: &[String]| {
        v.team
            .iter()
            .filter(|m| ids.contains(&m.user_id))
            .map(|m| m.display_name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let i_agreed = r.withdrawal_agreed.iter().any(|u| u == me);
    let may_vote = !creator_decides || me == r.created_by;
    let waiting: Vec<String> = if r.withdrawal_agreed.is_empty() {
        if creator_decides {
            vec![r.created_by.clone()]
        } else {
            v.team.iter().map(|m| m.user_id.clone()).collect()
        }
    } else {
        r.withdrawal_waiting_for.clone()
    };
    let wb = WithdrawBox {
        rule_text: if creator_decides {
            t.fmt("sub.withdraw.rule_creator", &[("name", &creator)])
        } else if v.team.len() > 1 {
            t.get("sub.withdraw.rule_team").to_owned()
        } else {
            String::new()
        },
        waiting_text: (!r.withdrawal_agreed.is_empty()).then(|| {
            t.fmt(
                "sub.withdraw.waiting",
                &[
                    ("agreed", &names(&r.withdrawal_agreed)),
                    ("waiting", &names(&r.withdrawal_waiting_for)),
                ],
            )
        }),
        i_agreed,
        may_vote,
        final_word: waiting.len() == 1 && waiting[0] == me,
    };
    let rf = RulesForm {
        creator_decides,
        credit_joiners: r.credit_joiners,
        creator_choice_open: v.team.len() <= 1 && me == r.created_by,
    };
    (wb, rf)
}

/// The submission page; the actions beside it fill in their form's errors
/// (and what was typed) when they render it again.
#[derive(Template)]
#[template(path = "submissions/show.html")]
pub(super) struct ShowPage {
    page: PageCtx,
    v: SubmissionView,
    state_label: String,
    attribution: String,
    /// "Revision 3".
    revision_label: String,
    /// "Revision 2", once the deadline has passed.
    judged_label: Option<String>,
    revision_at: Stamp,
    published: Option<Stamp>,
    deadline: Stamp,
    countdown: String,
    urgent: bool,
    team_member: bool,
    organiser: bool,
    /// Team member, challenge open, submission still in play.
    can_edit: bool,
    can_disqualify: bool,
    is_draft: bool,
    pub(super) members: Vec<MemberRow>,
    invitations: Vec<PendingRow>,
    proposal: Option<ProposalView>,
    files: Vec<FileRow>,
    max_file: String,
    team_hint: String,
    notice: Option<Notice>,
    pub(super) files_errors: FormErrors,
    pub(super) invite_errors: FormErrors,
    pub(super) invite_email: String,
    pub(super) shares_errors: FormErrors,
    pub(super) disqualify_errors: FormErrors,
    pub(super) reason: String,
    /// What this entry builds on, nearest first.
    chain: Vec<SourceRow>,
    /// Published entries that build on this one.
    built_upon: Vec<SourceRow>,
    /// Published, under a licence that allows adaptations.
    can_build_on: bool,
    withdraw: WithdrawBox,
    rules: RulesForm,
}

/// The rows of the team table.
fn member_rows(
    ctx: &PageCtx,
    team: &[TeamMemberView],
    pending: Option<&PendingShares>,
    can_edit: bool,
) -> Vec<MemberRow> {
    let t = ctx.t;
    let me = ctx.user.as_ref().map(|u| u.id.as_str()).unwrap_or_default();
    let i_submit = team
        .iter()
        .any(|m| m.user_id == me && m.role == "submitter");
    team.iter()
        .map(|m| {
            let proposed = pending.and_then(|p| {
                p.shares
                    .iter()
                    .find(|(u, _)| *u == m.user_id)
                    .map(|(_, b)| percent(t, *b))
            });
            let is_me = m.user_id == me;
            let submitter = m.role == "submitter";
            MemberRow {
                user_id: m.user_id.clone(),
                name: m.display_name.clone(),
                role_label: if submitter {
                    t.get("sub.team.role.submitter")
                } else {
                    t.get("sub.team.role.member")
                },
                share: percent(t, m.share_bps),
                share_input: super::team::percent_input(m.share_bps),
                proposed,
                approved: pending.is_some_and(|p| p.approvals.contains(&m.user_id)),
                is_me,
                removable: can_edit && !submitter && (is_me || i_submit),
                anonymous: m.anonymous,
            }
        })
        .collect()
}

/// "Proposed by Ada: 1 of 2 members approved."
fn proposal_view(ctx: &PageCtx, team: &[TeamMemberView], p: &PendingShares) -> ProposalView {
    let me = ctx.user.as_ref().map(|u| u.id.as_str()).unwrap_or_default();
    let by = team
        .iter()
        .find(|m| m.user_id == p.proposed_by)
        .map(|m| m.display_name.clone())
        .unwrap_or_default();
    let approved = team
        .iter()
        .filter(|m| p.approvals.contains(&m.user_id))
        .count();
    ProposalView {
        text: ctx.t.fmt(
            "sub.shares.pending",
            &[
                ("name", &by),
                ("n", &approved.to_string()),
                ("total", &team.len().to_string()),
            ],
        ),
        mine_to_approve: !p.approvals.iter().any(|a| a == me),
    }
}

fn show_page(ctx: PageCtx, d: Shown) -> ShowPage {
    let t = ctx.t;
    let at = now();
    let v = d.v;
    let open = d.challenge_state == State::Open;
    let can_edit = d.viewer.team_member && open && model::counts_against_limit(&v.state);
    let members = member_rows(&ctx, &v.team, d.pending.as_ref(), can_edit);
    let proposal = d.pending.as_ref().map(|p| proposal_view(&ctx, &v.team, p));
    let files = v
        .attachments
        .iter()
        .map(|a| FileRow {
            name: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: human_size(t, a.size),
            sha256: a.sha256.clone(),
            // The page's own download route: the API takes bearer tokens only.
            url: format!("/submissions/{}/attachments/{}", v.id, a.id),
        })
        .collect();
    let invitations = d
        .invitations
        .into_iter()
        .map(|i| PendingRow {
            id: i.id,
            email: i.email,
            sent: Stamp::of(i.created_at),
        })
        .collect();
    let size = |bytes: u64| human_size(t, i64::try_from(bytes).unwrap_or(i64::MAX));
    let (max_file, max_total) = (size(d.limits.0), size(d.limits.1));
    let (withdraw, rules) = withdraw_box(&ctx, &v);
    ShowPage {
        chain: source_rows(t, &v.builds_on),
        built_upon: source_rows(t, &v.built_upon_by),
        can_build_on: v.published_at.is_some()
            && model::derivatives::allows_derivatives(&v.licence.id),
        withdraw,
        rules,
        state_label: state_label(t, &v.state),
        attribution: attribution(t, &v.title, &v.copyright_holders, &v.licence.id),
        revision_label: revision_label(t, v.revision.number),
        judged_label: v.judged_revision.map(|n| revision_label(t, n)),
        revision_at: Stamp::of(v.revision.created_at),
        published: v.published_at.map(Stamp::of),
        deadline: Stamp::of(d.deadline),
        countdown: countdown(t, d.challenge_state, d.deadline, at),
        urgent: is_urgent(d.challenge_state, d.deadline, at),
        team_member: d.viewer.team_member,
        organiser: d.viewer.organiser,
        can_edit,
        can_disqualify: d.viewer.organiser
            && matches!(v.state.as_str(), sub_state::SUBMITTED | sub_state::DRAFT),
        is_draft: v.state == sub_state::DRAFT,
        members,
        invitations,
        proposal,
        files,
        max_file: t.fmt(
            "sub.files.limits",
            &[("file", &max_file), ("total", &max_total)],
        ),
        team_hint: t.fmt(
            "sub.team.invite.hint",
            &[("n", &d.max_team_size.to_string())],
        ),
        notice: None,
        files_errors: FormErrors::default(),
        invite_errors: FormErrors::default(),
        invite_email: String::new(),
        shares_errors: FormErrors::default(),
        disqualify_errors: FormErrors::default(),
        reason: String::new(),
        v,
        page: ctx,
    }
}

/// `GET /submissions/{id}`: the submission, with the team's and the
/// organisation's actions.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let d = match queries::shown(&state, user.0.clone(), &id).await {
        Ok(d) => d,
        Err(e) => return not_visible(&user, &format!("/submissions/{id}"), e),
    };
    let mut p = show_page(PageCtx::new(&req, &user), d);
    p.notice = done_notice(p.page.t, &q.done);
    render(&p)
}

/// Renders the submission page again with `status` (after an action that
/// did not go through); `place` puts the messages (and what was typed)
/// where they belong.
pub(super) async fn show_again(
    ctx: PageCtx,
    state: &AppState,
    user: &MaybeUser,
    id: &str,
    status: StatusCode,
    place: impl FnOnce(&mut ShowPage),
) -> Result<HttpResponse, AppError> {
    let d = queries::shown(state, user.0.clone(), id).await?;
    let mut p = show_page(ctx, d);
    place(&mut p);
    render_status(&p, status)
}

/// Renders the submission page again after a failed action, with the
/// service's error as `place` puts it.
pub(super) async fn show_failure(
    req: &HttpRequest,
    state: &AppState,
    user: &MaybeUser,
    id: &str,
    err: AppError,
    place: impl FnOnce(&mut ShowPage, FormErrors),
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(req, user);
    let (errors, status) = failure(ctx.t, err)?;
    show_again(ctx, state, user, id, status, |p| place(p, errors)).await
}

/// Puts an error above the whole page.
pub(super) fn on_top(p: &mut ShowPage, errors: FormErrors) {
    p.notice = errors.summary().map(Notice::error);
}
