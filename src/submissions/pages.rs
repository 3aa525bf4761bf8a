//! Submission pages: entering and revising, receipts, teams, the solutions
//! gallery and the solver dashboard.
//!
//! Handlers stay thin: they parse, call [`super::service`] (the same flows
//! as the JSON API) and [`super::api::view`], and render. Rules live in the
//! service and the model; the pages only decide what to show, and turn the
//! service's stable error codes into messages.

use actix_multipart::{Field, Multipart};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use chrono::NaiveDateTime;
use futures_util::StreamExt;
use serde::Deserialize;

use super::api::{self, GalleryParams, SubmissionView};
use super::blobs::Staged;
use super::model::{self, state as sub_state, Viewer};
use super::service::{self, ShareInput, SubmissionInput};
use super::store;
use crate::auth::extract::{AuthUser, MaybeUser, Principal};
use crate::challenges::model::{Licence, State};
use crate::challenges::store::{self as challenges, Challenge};
use crate::db::now;
use crate::error::AppError;
use crate::frontend::format::{countdown, human_size, is_urgent, percent, short_hash, Stamp};
use crate::frontend::forms::{field_message, lf, FormErrors};
use crate::frontend::session::{encode, login_href, to_login};
use crate::frontend::widgets::{Action, Choice, MessagePage, Notice};
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;

// ---- labels and small helpers ----

/// The translated name of a submission state (the raw value if unknown).
pub fn state_label(t: Tr, state: &str) -> String {
    match state {
        sub_state::DRAFT => t.get("sub.state.draft"),
        sub_state::SUBMITTED => t.get("sub.state.submitted"),
        sub_state::WITHDRAWN => t.get("sub.state.withdrawn"),
        sub_state::DISQUALIFIED => t.get("sub.state.disqualified"),
        other => other,
    }
    .to_owned()
}

/// The translated name of a challenge state.
fn challenge_state_label(t: Tr, s: State) -> &'static str {
    match s {
        State::Draft => t.get("sub.challenge_state.draft"),
        State::Open => t.get("sub.challenge_state.open"),
        State::Closed => t.get("sub.challenge_state.closed"),
        State::Judging => t.get("sub.challenge_state.judging"),
        State::Awarded => t.get("sub.challenge_state.awarded"),
        State::Settled => t.get("sub.challenge_state.settled"),
        State::Cancelled => t.get("sub.challenge_state.cancelled"),
    }
}

/// Basis points as the value of a percent number input ("33.34").
fn percent_input(bps: i32) -> String {
    format!("{}.{:02}", bps / 100, (bps % 100).abs())
}

/// Parses a share typed in percent ("33.33", "33,33", "50", "50 %") into
/// basis points; `None` when it is not a number with at most two decimals.
fn parse_percent(raw: &str) -> Option<i32> {
    let s = raw.trim().trim_end_matches('%').trim().replace(',', ".");
    let (whole, frac) = s.split_once('.').unwrap_or((s.as_str(), ""));
    let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty())
        || !digits(whole)
        || !digits(frac)
        || frac.len() > 2
        || whole.len() > 5
    {
        return None;
    }
    let w: i32 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let f: i32 = format!("{frac:0<2}").parse().ok()?;
    Some(w * 100 + f)
}

/// "Revision 3".
fn revision_label(t: Tr, n: i32) -> String {
    t.fmt("sub.revision.n", &[("n", &n.to_string())])
}

/// The attribution line in the viewer's language: "Title — by A, B — CC-BY-4.0".
fn attribution(t: Tr, title: &str, holders: &str, licence: &str) -> String {
    t.fmt(
        "sub.attribution",
        &[("title", title), ("holders", holders), ("licence", licence)],
    )
}

/// A licence as the entry form offers it.
#[derive(Debug, Clone)]
struct LicenceChoice {
    id: String,
    name: String,
    url: String,
    open: bool,
    selected: bool,
}

/// The challenge's allowed licences, with `selected` marked.
fn licence_choices(ch: &Challenge, selected: &str) -> Vec<LicenceChoice> {
    ch.licence_ids()
        .iter()
        .filter_map(|id| Licence::parse(id))
        .map(|l| LicenceChoice {
            selected: l.id == selected,
            id: l.id,
            name: l.name,
            url: l.url,
            open: l.open,
        })
        .collect()
}

// ---- error codes of the service, as people read them ----

/// The message of a field error, specific to the submission forms.
fn field_msg(t: Tr, field: &str, code: &str) -> &'static str {
    match (field, code) {
        ("title", _) => t.get("sub.error.title"),
        ("abstract", _) => t.get("sub.error.abstract"),
        ("body", "too_long") => t.get("sub.error.body_too_long"),
        ("body", _) => t.get("sub.error.body"),
        ("licence", _) => t.get("sub.error.licence"),
        ("copyright_holders", _) => t.get("sub.error.holders"),
        ("reason", _) => t.get("sub.error.reason"),
        ("shares", _) => t.get("sub.error.shares"),
        ("email", "team_too_large") => t.get("sub.error.team_too_large"),
        ("file", _) => t.get("sub.error.file"),
        (f, c) => field_message(t, f, c),
    }
}

/// The message of an error code shown above a form or section.
fn code_message(t: Tr, code: &str) -> Option<&'static str> {
    Some(match code {
        "registration_required" => t.get("sub.error.registration_required"),
        "rules_acceptance_required" => t.get("sub.error.rules_acceptance_required"),
        "deadline_passed" => t.get("sub.error.deadline_passed"),
        "challenge_not_open" => t.get("sub.error.challenge_not_open"),
        "submission_limit_reached" => t.get("sub.error.submission_limit_reached"),
        "not_editable" => t.get("sub.error.not_editable"),
        "edit_conflict" => t.get("sub.error.edit_conflict"),
        "not_withdrawable" => t.get("sub.error.not_withdrawable"),
        "not_disqualifiable" => t.get("sub.error.not_disqualifiable"),
        "already_member" => t.get("sub.error.already_member"),
        "submitter_stays" => t.get("sub.error.submitter_stays"),
        "submitter_required" => t.get("sub.error.submitter_required"),
        "no_pending_proposal" => t.get("sub.error.no_pending_proposal"),
        "already_in_team" => t.get("sub.error.already_in_team"),
        "team_too_large" => t.get("sub.error.team_too_large"),
        "invitation_email_mismatch" => t.get("sub.error.invitation_email_mismatch"),
        "payload_too_large" => t.get("sub.error.too_large"),
        _ => return None,
    })
}

/// Turns a service error into form messages and the status to answer with.
/// Validation errors and the known codes become messages; anything else
/// comes back as `Err`, for the error page.
fn failure(t: Tr, err: AppError) -> Result<(FormErrors, StatusCode), AppError> {
    let status = err.status_code();
    let mut out = FormErrors::default();
    out.code = err.code().to_owned();
    match err {
        AppError::Validation(list) => {
            for e in &list {
                out.add(&e.field, field_msg(t, &e.field, &e.code));
            }
            out.notice = Some(t.get("form.error.summary").to_owned());
        }
        e => match code_message(t, e.code()) {
            Some(m) => out.notice = Some(m.to_owned()),
            None => return Err(e),
        },
    }
    Ok((out, status))
}

/// The status of a code that keeps the entry form from being used.
fn blocker_status(code: &str) -> StatusCode {
    match code {
        "registration_required" => StatusCode::FORBIDDEN,
        _ => StatusCode::CONFLICT,
    }
}

/// The notice for a code that blocks entering or editing, with the link
/// that helps (register, accept the rules, back to the challenge…).
fn blocker_notice(t: Tr, code: &str, slug: &str, submission: Option<&str>) -> Option<Notice> {
    let text = code_message(t, code)?;
    let n = Notice::new("error", text);
    Some(match (code, submission) {
        ("registration_required", _) => n.with_link(
            format!("/challenges/{slug}#register"),
            t.get("sub.link.register"),
        ),
        ("rules_acceptance_required", _) => n.with_link(
            format!("/challenges/{slug}#register"),
            t.get("sub.link.accept_rules"),
        ),
        ("submission_limit_reached", _) => {
            n.with_link("/me/submissions", t.get("sub.link.my_submissions"))
        }
        (_, Some(id)) => n.with_link(format!("/submissions/{id}"), t.get("sub.link.back")),
        _ => n.with_link(format!("/challenges/{slug}"), t.get("sub.link.challenge")),
    })
}

/// Signed-out visitors are sent to sign in (a team member following an
/// email link); signed-in people who may not see it get the 404 page.
fn not_visible(user: &MaybeUser, path: &str, err: AppError) -> Result<HttpResponse, AppError> {
    match err {
        AppError::NotFound if user.0.is_none() => Ok(to_login(path)),
        e => Err(e),
    }
}

// ---- entering and editing ----

/// The entry form, as posted (new and edit).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EntryForm {
    title: String,
    #[serde(rename = "abstract")]
    abstract_text: String,
    body: String,
    licence: String,
    copyright_holders: String,
    /// The gallery checkbox: present when ticked.
    publish_opt_in: Option<String>,
    /// The button pressed: `draft`, `submit` or `save`.
    action: String,
}

impl EntryForm {
    fn opt_in(&self) -> bool {
        self.publish_opt_in.is_some()
    }
}

#[derive(Template)]
#[template(path = "submissions/form.html")]
struct FormPage {
    page: PageCtx,
    /// `new` or `edit`.
    mode: &'static str,
    action: String,
    challenge_title: String,
    challenge_slug: String,
    /// Edit: the submission, its state and current revision.
    submission_id: String,
    is_draft: bool,
    /// Edit: "You are editing revision 2; saving records revision 3."
    intro: String,
    deadline: Stamp,
    countdown: String,
    urgent: bool,
    values: EntryForm,
    licences: Vec<LicenceChoice>,
    errors: FormErrors,
    notice: Option<Notice>,
    /// False when the form cannot be used at all (shown: the notice).
    show_form: bool,
}

impl FormPage {
    fn new(page: PageCtx, mode: &'static str, ch: &Challenge, values: EntryForm) -> Self {
        let t = page.t;
        let at = now();
        let st = ch.state_at(at);
        FormPage {
            mode,
            action: format!("/challenges/{}/submit", ch.slug),
            challenge_title: ch.title.clone(),
            challenge_slug: ch.slug.clone(),
            submission_id: String::new(),
            is_draft: false,
            intro: String::new(),
            deadline: Stamp::of(ch.submission_deadline),
            countdown: countdown(t, st, ch.submission_deadline, at),
            urgent: is_urgent(st, ch.submission_deadline, at),
            licences: licence_choices(ch, &values.licence),
            values,
            errors: FormErrors::default(),
            notice: None,
            show_form: true,
            page,
        }
    }

    /// Shows errors above the form, with a helpful link for blocking codes.
    fn with_errors(mut self, errors: FormErrors) -> Self {
        let t = self.page.t;
        let sid = (!self.submission_id.is_empty()).then_some(self.submission_id.as_str());
        self.notice = blocker_notice(t, &errors.code, &self.challenge_slug, sid);
        if self.notice.is_none() {
            self.notice = errors.notice.clone().map(|m| Notice::new("error", m));
        }
        self.errors = errors;
        self
    }
}

/// What the new-entry form needs.
struct EntryData {
    ch: Challenge,
    /// The default copyright holders: the team's names, else mine.
    holders: String,
    /// Why entering is not possible now, if it is not.
    blocker: Option<&'static str>,
}

/// What keeps a solver from entering, to say so before they write. The same
/// checks, in the same order, as `service::create`, which decides on POST.
fn entry_blocker(
    c: &mut crate::db::DbConnection,
    ch: &Challenge,
    user_id: &str,
    team: Option<&str>,
) -> Result<Option<&'static str>, AppError> {
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

async fn load_entry(state: &AppState, user: &AuthUser, slug: &str) -> Result<EntryData, AppError> {
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
                Some(t) => store::members(c, t)?
                    .into_iter()
                    .map(|(_, n, _)| n)
                    .collect::<Vec<_>>()
                    .join(", "),
                None => name,
            };
            let blocker = entry_blocker(c, &ch, &uid, team.as_deref())?;
            Ok(EntryData {
                ch,
                holders,
                blocker,
            })
        })
        .await
}

/// `GET /challenges/{slug}/submit`: the entry form of a registered solver.
pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/challenges/{slug}/submit")));
    };
    let d = load_entry(&state, &u, &slug).await?;
    let values = EntryForm {
        copyright_holders: d.holders.clone(),
        ..EntryForm::default()
    };
    let mut p = FormPage::new(PageCtx::new(&req, &user), "new", &d.ch, values);
    match d.blocker {
        Some(code) => {
            p.notice = blocker_notice(p.page.t, code, &d.ch.slug, None);
            p.show_form = false;
            render_status(&p, blocker_status(code))
        }
        None => render(&p),
    }
}

/// `POST /challenges/{slug}/submit`: enters (or drafts) the submission and
/// shows its receipt.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    form: web::Form<EntryForm>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/challenges/{slug}/submit")));
    };
    let f = form.into_inner();
    let input = SubmissionInput {
        title: Some(lf(&f.title)),
        abstract_text: Some(lf(&f.abstract_text)),
        body: Some(lf(&f.body)),
        licence: Some(f.licence.clone()).filter(|l| !l.trim().is_empty()),
        copyright_holders: Some(lf(&f.copyright_holders)),
        draft: Some(f.action == "draft"),
        submit: None,
        publish_opt_in: Some(f.opt_in()),
    };
    match service::create(&state, &u.user.id, &slug, input).await {
        Ok((s, _)) => Ok(see_other(&format!("/submissions/{}/receipt", s.id))),
        Err(e) => {
            let ctx = PageCtx::new(&req, &user);
            let (errors, status) = failure(ctx.t, e)?;
            let d = load_entry(&state, &u, &slug).await?;
            let p = FormPage::new(ctx, "new", &d.ch, f).with_errors(errors);
            render_status(&p, status)
        }
    }
}

/// What the edit form needs.
struct EditData {
    ch: Challenge,
    s: store::Submission,
    rev: store::Revision,
}

async fn load_edit(state: &AppState, user: &AuthUser, id: &str) -> Result<EditData, AppError> {
    let (who, id) = (Principal::User(user.clone()), id.to_owned());
    state
        .db(move |c| {
            let (s, ch, v) = service::readable(c, Some(&who), &id)?;
            // The organisation may read it, but only its team edits it.
            if !v.team_member {
                return Err(AppError::NotFound);
            }
            let rev = store::revision(c, &s.id, s.current_revision)?;
            Ok(EditData { ch, s, rev })
        })
        .await
}

fn edit_page(ctx: PageCtx, d: &EditData, values: EntryForm) -> FormPage {
    let mut p = FormPage::new(ctx, "edit", &d.ch, values);
    p.action = format!("/submissions/{}/edit", d.s.id);
    p.submission_id = d.s.id.clone();
    p.is_draft = d.s.state == sub_state::DRAFT;
    p.intro = p.page.t.fmt(
        "sub.form.edit_intro",
        &[
            ("n", &d.s.current_revision.to_string()),
            ("next", &(d.s.current_revision + 1).to_string()),
        ],
    );
    p
}

/// `GET /submissions/{id}/edit`: the form, filled from the current revision;
/// a read-only notice once the deadline has passed.
pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let here = format!("/submissions/{id}/edit");
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&here));
    };
    let d = load_edit(&state, &u, &id).await?;
    let values = EntryForm {
        title: d.rev.title.clone(),
        abstract_text: d.rev.abstract_text.clone(),
        body: d.rev.body_md.clone(),
        licence: d.rev.licence.clone(),
        copyright_holders: d.rev.copyright_holders.clone(),
        publish_opt_in: d.s.publish_opt_in.then(|| "yes".to_owned()),
        ..EntryForm::default()
    };
    let mut p = edit_page(PageCtx::new(&req, &user), &d, values);
    let blocker = if d.ch.state_at(now()) != State::Open {
        Some(if now() >= d.ch.submission_deadline {
            "deadline_passed"
        } else {
            "challenge_not_open"
        })
    } else if !model::counts_against_limit(&d.s.state) {
        Some("not_editable")
    } else {
        None
    };
    match blocker {
        Some(code) => {
            p.notice = blocker_notice(p.page.t, code, &d.ch.slug, Some(&d.s.id));
            p.show_form = false;
            render_status(&p, StatusCode::CONFLICT)
        }
        None => render(&p),
    }
}

/// Only what changed goes to the service, so that saving an unchanged form
/// (or entering a draft as it is) records no empty revision.
fn changes(f: &EntryForm, rev: &store::Revision) -> SubmissionInput {
    let changed = |new: &str, old: &str| {
        let new = lf(new);
        (new.trim() != old.trim()).then_some(new)
    };
    SubmissionInput {
        title: changed(&f.title, &rev.title),
        abstract_text: changed(&f.abstract_text, &rev.abstract_text),
        body: changed(&f.body, &rev.body_md),
        licence: (f.licence.trim() != rev.licence).then(|| f.licence.trim().to_owned()),
        copyright_holders: changed(&f.copyright_holders, &rev.copyright_holders),
        draft: None,
        submit: Some(f.action == "submit"),
        publish_opt_in: Some(f.opt_in()),
    }
}

/// `POST /submissions/{id}/edit`: records a new revision and shows its receipt.
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    form: web::Form<EntryForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/submissions/{id}/edit")));
    };
    let f = form.into_inner();
    let d = load_edit(&state, &u, &id).await?;
    let input = changes(&f, &d.rev);
    let entering = input.submit == Some(true);
    match service::revise(&state, &u.user.id, &id, input).await {
        Ok((_, Some(_))) => Ok(see_other(&format!("/submissions/{id}/receipt"))),
        Ok((_, None)) if entering => Ok(see_other(&format!("/submissions/{id}?done=submitted"))),
        Ok((_, None)) => Ok(see_other(&format!("/submissions/{id}?done=unchanged"))),
        Err(e) => {
            let ctx = PageCtx::new(&req, &user);
            let (errors, status) = failure(ctx.t, e)?;
            let p = edit_page(ctx, &d, f).with_errors(errors);
            render_status(&p, status)
        }
    }
}

// ---- the submission ----

/// A team member as shown.
#[derive(Debug, Clone)]
struct MemberRow {
    user_id: String,
    name: String,
    role_label: &'static str,
    share: String,
    /// The value of the share input ("33.34").
    share_input: String,
    /// The share in the pending proposal, and whether they approved it.
    proposed: Option<String>,
    approved: bool,
    is_me: bool,
    /// The viewer may remove them (or leave, on their own row).
    removable: bool,
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

/// A pending share proposal, as read.
struct Pending {
    shares: Vec<(String, i32)>,
    approvals: Vec<String>,
    proposed_by: String,
}

/// Everything the submission page reads, in one go.
struct ShowData {
    v: SubmissionView,
    viewer: Viewer,
    challenge_state: State,
    deadline: NaiveDateTime,
    max_team_size: i32,
    pending: Option<Pending>,
    invitations: Vec<store::TeamInvitation>,
    /// Attachment limits in bytes: per file, per submission.
    limits: (u64, u64),
}

async fn load_show(
    state: &AppState,
    user: Option<AuthUser>,
    id: &str,
) -> Result<ShowData, AppError> {
    let (file_max, total_max) = (
        state.config.attachment_max_bytes,
        state.config.submission_max_bytes,
    );
    let id = id.to_owned();
    state
        .db(move |c| {
            let who = user.map(Principal::User);
            let (s, ch, viewer) = service::readable(c, who.as_ref(), &id)?;
            let v = api::view(c, &s, &ch, viewer)?;
            let (pending, invitations) = if viewer.team_member {
                let pending = match store::pending_proposal(c, &s.team_id)? {
                    Some(p) => Some(Pending {
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
            Ok(ShowData {
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

#[derive(Template)]
#[template(path = "submissions/show.html")]
struct ShowPage {
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
    members: Vec<MemberRow>,
    invitations: Vec<PendingRow>,
    proposal: Option<ProposalView>,
    files: Vec<FileRow>,
    max_file: String,
    team_hint: String,
    notice: Option<Notice>,
    files_errors: FormErrors,
    invite_errors: FormErrors,
    invite_email: String,
    shares_errors: FormErrors,
    disqualify_errors: FormErrors,
    reason: String,
}

fn show_page(ctx: PageCtx, d: ShowData) -> ShowPage {
    let t = ctx.t;
    let at = now();
    let me = ctx.user.as_ref().map(|u| u.id.clone()).unwrap_or_default();
    let v = d.v;
    let open = d.challenge_state == State::Open;
    let can_edit = d.viewer.team_member && open && model::counts_against_limit(&v.state);
    let i_submit = v
        .team
        .iter()
        .any(|m| m.user_id == me && m.role == "submitter");
    let members = v
        .team
        .iter()
        .map(|m| {
            let proposed = d.pending.as_ref().and_then(|p| {
                p.shares
                    .iter()
                    .find(|(u, _)| *u == m.user_id)
                    .map(|(_, b)| percent(t, *b))
            });
            let approved = d
                .pending
                .as_ref()
                .is_some_and(|p| p.approvals.contains(&m.user_id));
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
                share_input: percent_input(m.share_bps),
                proposed,
                approved,
                is_me,
                removable: can_edit && !submitter && (is_me || i_submit),
            }
        })
        .collect();
    let proposal = d.pending.as_ref().map(|p| {
        let by = v
            .team
            .iter()
            .find(|m| m.user_id == p.proposed_by)
            .map(|m| m.display_name.clone())
            .unwrap_or_default();
        let approved = v
            .team
            .iter()
            .filter(|m| p.approvals.contains(&m.user_id))
            .count();
        ProposalView {
            text: t.fmt(
                "sub.shares.pending",
                &[
                    ("name", &by),
                    ("n", &approved.to_string()),
                    ("total", &v.team.len().to_string()),
                ],
            ),
            mine_to_approve: !p.approvals.contains(&me),
        }
    });
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
            email: i.email,
            sent: Stamp::of(i.created_at),
        })
        .collect();
    let max_file = human_size(t, i64::try_from(d.limits.0).unwrap_or(i64::MAX));
    let max_total = human_size(t, i64::try_from(d.limits.1).unwrap_or(i64::MAX));
    ShowPage {
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

/// Query flag naming what was just done, for the notice after a redirect.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// The notice after a redirect.
fn done_notice(t: Tr, done: &str) -> Option<Notice> {
    let key = match done {
        "attached" => "sub.done.attached",
        "invited" => "sub.done.invited",
        "removed" => "sub.done.removed",
        "shares_proposed" => "sub.done.shares_proposed",
        "shares_approved" => "sub.done.shares_approved",
        "shares_applied" => "sub.done.shares_applied",
        "opt_in" => "sub.done.opt_in",
        "opt_out" => "sub.done.opt_out",
        "withdrawn" => "sub.done.withdrawn",
        "disqualified" => "sub.done.disqualified",
        "submitted" => "sub.done.submitted",
        "unchanged" => "sub.done.unchanged",
        "joined" => "sub.done.joined",
        "left" => "sub.done.left",
        "declined" => "sub.done.declined",
        _ => return None,
    };
    Some(Notice::new("ok", t.get(key)))
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
    let d = match load_show(&state, user.0.clone(), &id).await {
        Ok(d) => d,
        Err(e) => return not_visible(&user, &format!("/submissions/{id}"), e),
    };
    let mut p = show_page(PageCtx::new(&req, &user), d);
    p.notice = done_notice(p.page.t, &q.done);
    render(&p)
}

/// Re-renders the submission page after a failed action; `place` puts the
/// messages (and what was typed) where they belong.
async fn show_failure(
    req: &HttpRequest,
    state: &AppState,
    user: &MaybeUser,
    id: &str,
    err: AppError,
    place: impl FnOnce(&mut ShowPage, FormErrors),
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(req, user);
    let (errors, status) = failure(ctx.t, err)?;
    let d = load_show(state, user.0.clone(), id).await?;
    let mut p = show_page(ctx, d);
    place(&mut p, errors);
    render_status(&p, status)
}

/// Puts an error above the whole page.
fn on_top(p: &mut ShowPage, errors: FormErrors) {
    p.notice = errors.summary().map(|m| Notice::new("error", m));
}

/// Streams the `file` field into staging, but only once
/// `service::upload_slot` has said the signed-in user may add that many bytes
/// to the submission (nothing is read for anyone else). The CSRF middleware
/// has checked the token, the form's first part, before any of this. The
/// outer error is for the error page (broken request); the inner one for
/// the form.
async fn read_upload_form(
    state: &AppState,
    user_id: &str,
    id: &str,
    mut payload: Multipart,
) -> Result<Result<(String, Staged), AppError>, AppError> {
    let broken = |e: actix_multipart::MultipartError| {
        AppError::bad_request("invalid_multipart", e.to_string())
    };
    // The CSRF middleware checked the first part (the token) already.
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(broken)?;
        let name = field
            .content_disposition()
            .and_then(|d| d.get_name())
            .unwrap_or("")
            .to_owned();
        match name.as_str() {
            "file" => {
                let filename = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .unwrap_or("file")
                    .to_owned();
                let max = match service::upload_slot(state, user_id, id).await {
                    Ok(max) => max,
                    Err(e) => return Ok(Err(e)),
                };
                return Ok(state.blobs.stage(field, max).await.map(|st| (filename, st)));
            }
            _ => {
                read_field(&mut field, 4096).await?;
            }
        }
    }
    Ok(Err(AppError::field("file", "required", "Choose a file.")))
}

/// The bytes of one multipart field, at most `max`.
async fn read_field(field: &mut Field, max: u64) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| AppError::bad_request("invalid_multipart", e.to_string()))?;
        if (bytes.len() + chunk.len()) as u64 > max {
            return Err(AppError::PayloadTooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// `POST /submissions/{id}/attachments` (multipart: `csrf`, then `file`):
/// adds a file, which makes a new revision.
pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/submissions/{id}")));
    };
    let file = read_upload_form(&state, &u.user.id, &id, payload).await?;
    let result = match file {
        Ok((name, staged)) => service::add_staged(&state, &u.user.id, &id, &name, staged)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/submissions/{id}?done=attached#files"))),
        Err(e) => {
            show_failure(&req, &state, &user, &id, e, |p, errors| {
                p.files_errors = errors;
            })
            .await
        }
    }
}

/// `POST /submissions/{id}/withdraw`.
pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/submissions/{id}")));
    };
    match service::withdraw(&state, &u.user.id, &id).await {
        Ok(_) => Ok(see_other(&format!("/submissions/{id}?done=withdrawn"))),
        Err(e) => show_failure(&req, &state, &user, &id, e, on_top).await,
    }
}

/// `POST /submissions/{id}/submit`: enters a draft as it is.
pub async fn enter(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/submissions/{id}")));
    };
    let input = SubmissionInput {
        submit: Some(true),
        ..SubmissionInput::default()
    };
    match service::revise(&state, &u.user.id, &id, input).await {
        Ok(_) => Ok(see_other(&format!("/submissions/{id}?done=submitted"))),
        Err(e) => show_failure(&req, &state, &user, &id, e, on_top).await,
    }
}

/// The publish opt-in form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OptInForm {
    /// `yes` or `no`.
    publish_opt_in: String,
}

/// `POST /submissions/{id}/opt-in`: publish in the gallery even without winning, or not.
pub async fn opt_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    form: web::Form<OptInForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/submissions/{id}")));
    };
    let on = form.publish_opt_in == "yes";
    let input = SubmissionInput {
        publish_opt_in: Some(on),
        ..SubmissionInput::default()
    };
    let done = if on { "opt_in" } else { "opt_out" };
    match service::revise(&state, &u.user.id, &id, input).await {
        Ok(_) => Ok(see_other(&format!("/submissions/{id}?done={done}#gallery"))),
        Err(e) => show_failure(&req, &state, &user, &id, e, on_top).await,
    }
}

/// The disqualification form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DisqualifyForm {
    reason: String,
}

/// `POST /submissions/{id}/disqualify` (the organisation, with a reason).
pub async fn disqualify(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    form: web::Form<DisqualifyForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/submissions/{id}")));
    };
    let reason = lf(&form.reason);
    match service::disqualify(&state, &Principal::User(u), &id, &reason).await {
        Ok(_) => Ok(see_other(&format!("/submissions/{id}?done=disqualified"))),
        Err(e) => {
            show_failure(&req, &state, &user, &id, e, |p, errors| {
                p.disqualify_errors = errors;
                p.reason = reason;
            })
            .await
        }
    }
}

/// The team invitation form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    email: String,
}

/// `POST /submissions/{id}/team/invite`: invites a co-author by email.
pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/submissions/{id}")));
    };
    let email = form.into_inner().email;
    match service::invite(&state, &u.user.id, &id, &email).await {
        Ok(_) => Ok(see_other(&format!("/submissions/{id}?done=invited#team"))),
        Err(e) => {
            show_failure(&req, &state, &user, &id, e, |p, errors| {
                p.invite_errors = errors;
                p.invite_email = email;
            })
            .await
        }
    }
}

/// `POST /submissions/{id}/team/members/{user_id}/remove`: leave (my own
/// id) or, as the submitter, remove a member.
pub async fn remove_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, member) = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/submissions/{id}")));
    };
    let leaving = member == u.user.id;
    match service::remove_member(&state, &u.user.id, &id, &member).await {
        // Having left, I may no longer see it.
        Ok(()) if leaving => Ok(see_other("/me/submissions?done=left")),
        Ok(()) => Ok(see_other(&format!("/submissions/{id}?done=removed#team"))),
        Err(e) => show_failure(&req, &state, &user, &id, e, on_top).await,
    }
}

/// Reads the share proposal form (`share.{user_id}` in percent). The body is
/// parsed by hand because the field names carry the member ids.
fn parse_shares(
    t: Tr,
    pairs: &[(String, String)],
) -> (Vec<ShareInput>, Vec<(String, String)>, FormErrors) {
    let mut shares = Vec::new();
    let mut typed = Vec::new();
    let mut errors = FormErrors::default();
    for (k, v) in pairs {
        let Some(user_id) = k.strip_prefix("share.") else {
            continue;
        };
        typed.push((user_id.to_owned(), v.clone()));
        match parse_percent(v) {
            Some(bps) => shares.push(ShareInput {
                user_id: user_id.to_owned(),
                bps,
            }),
            None => {
                errors.add("shares", t.get("sub.error.share_number"));
                errors.notice = Some(t.get("sub.error.share_number").to_owned());
            }
        }
    }
    (shares, typed, errors)
}

/// `POST /submissions/{id}/team/shares`: proposes prize shares; they apply
/// once every member has approved.
pub async fn propose_shares(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| AppError::bad_request("invalid_form", e.to_string()))?;
    let id = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/submissions/{id}")));
    };
    let t = PageCtx::new(&req, &user).t;
    let (shares, typed, errors) = parse_shares(t, &pairs);
    let keep = |p: &mut ShowPage, errors: FormErrors| {
        for m in p.members.iter_mut() {
            if let Some((_, v)) = typed.iter().find(|(uid, _)| *uid == m.user_id) {
                m.share_input = v.clone();
            }
        }
        p.shares_errors = errors;
    };
    if !errors.is_empty() {
        let d = load_show(&state, user.0.clone(), &id).await?;
        let mut p = show_page(PageCtx::new(&req, &user), d);
        keep(&mut p, errors);
        return render_status(&p, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match service::propose_shares(&state, &u.user.id, &id, shares).await {
        Ok(true) => Ok(see_other(&format!(
            "/submissions/{id}?done=shares_applied#team"
        ))),
        Ok(false) => Ok(see_other(&format!(
            "/submissions/{id}?done=shares_proposed#team"
        ))),
        Err(e) => show_failure(&req, &state, &user, &id, e, keep).await,
    }
}

/// `POST /submissions/{id}/team/shares/approve`.
pub async fn approve_shares(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/submissions/{id}")));
    };
    match service::approve_shares(&state, &u.user.id, &id).await {
        Ok(true) => Ok(see_other(&format!(
            "/submissions/{id}?done=shares_applied#team"
        ))),
        Ok(false) => Ok(see_other(&format!(
            "/submissions/{id}?done=shares_approved#team"
        ))),
        Err(e) => {
            show_failure(&req, &state, &user, &id, e, |p, errors| {
                p.shares_errors = errors;
            })
            .await
        }
    }
}

// ---- receipt and history ----

/// A file of a revision, on the receipt.
#[derive(Debug, Clone)]
struct ReceiptFile {
    name: String,
    sha256: String,
}

#[derive(Template)]
#[template(path = "submissions/receipt.html")]
struct ReceiptPage {
    page: PageCtx,
    id: String,
    challenge_title: String,
    challenge_slug: String,
    title: String,
    number: i32,
    is_current: bool,
    sha256: String,
    at: Stamp,
    licence: Licence,
    holders: String,
    team: String,
    files: Vec<ReceiptFile>,
}

/// Which revision a receipt or link is about (the current one by default).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevisionQuery {
    revision: String,
}

/// `GET /submissions/{id}/receipt`: the proof of what was sent, and when.
pub async fn receipt(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    q: web::Query<RevisionQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let wanted = q.revision.trim().parse::<i32>().ok();
    let who = user.0.clone().map(Principal::User);
    let sid = id.clone();
    let loaded = state
        .db(move |c| {
            let (s, ch, _) = service::readable(c, who.as_ref(), &sid)?;
            let rev = store::revision(c, &s.id, wanted.unwrap_or(s.current_revision))?;
            let files = store::attachments_by_ids(c, &rev.attachment_list())?;
            let team = store::members(c, &s.team_id)?
                .into_iter()
                .map(|(_, n, _)| n)
                .collect::<Vec<_>>()
                .join(", ");
            Ok((s, ch, rev, files, team))
        })
        .await;
    let (s, ch, rev, files, team) = match loaded {
        Ok(x) => x,
        Err(e) => return not_visible(&user, &format!("/submissions/{id}/receipt"), e),
    };
    let licence = Licence::parse(&rev.licence)
        .ok_or_else(|| AppError::internal(format!("unknown stored licence {}", rev.licence)))?;
    let mut files: Vec<ReceiptFile> = files
        .into_iter()
        .map(|a| ReceiptFile {
            name: a.filename,
            sha256: a.sha256,
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    render(&ReceiptPage {
        page: PageCtx::new(&req, &user),
        id: s.id,
        challenge_title: ch.title,
        challenge_slug: ch.slug,
        title: rev.title,
        number: rev.number,
        is_current: rev.number == s.current_revision,
        sha256: rev.content_sha256,
        at: Stamp::of(rev.created_at),
        licence,
        holders: rev.copyright_holders,
        team,
        files,
    })
}

/// A revision in the history table.
#[derive(Debug, Clone)]
struct RevisionRow {
    number: i32,
    at: Stamp,
    title: String,
    licence: String,
    files: usize,
    sha256: String,
    judged: bool,
    current: bool,
}

#[derive(Template)]
#[template(path = "submissions/revisions.html")]
struct RevisionsPage {
    page: PageCtx,
    id: String,
    title: String,
    challenge_title: String,
    challenge_slug: String,
    rows: Vec<RevisionRow>,
    /// The deadline has passed (the judged revision is known).
    closed: bool,
}

/// `GET /submissions/{id}/revisions`: every revision, newest first.
pub async fn revisions(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let who = user.0.clone().map(Principal::User);
    let sid = id.clone();
    let loaded = state
        .db(move |c| {
            let (s, ch, viewer) = service::readable(c, who.as_ref(), &sid)?;
            let v = api::view(c, &s, &ch, viewer)?;
            Ok((v, store::revisions_of(c, &s.id)?, ch.submission_deadline))
        })
        .await;
    let (v, revs, deadline) = match loaded {
        Ok(x) => x,
        Err(e) => return not_visible(&user, &format!("/submissions/{id}/revisions"), e),
    };
    let rows = revs
        .into_iter()
        .rev()
        .map(|r| RevisionRow {
            judged: v.judged_revision == Some(r.number),
            current: r.number == v.revision.number,
            files: r.attachment_list().len(),
            at: Stamp::of(r.created_at),
            number: r.number,
            title: r.title,
            licence: r.licence,
            sha256: r.content_sha256,
        })
        .collect();
    render(&RevisionsPage {
        page: PageCtx::new(&req, &user),
        id: v.id,
        title: v.title,
        challenge_title: v.challenge.title,
        challenge_slug: v.challenge.slug,
        rows,
        closed: now() >= deadline,
    })
}

// ---- team invitations ----

#[derive(Template)]
#[template(path = "submissions/invitation.html")]
struct InvitationPage {
    page: PageCtx,
    /// The token, percent-encoded for paths.
    token: String,
    challenge_title: String,
    challenge_slug: String,
    inviter: String,
    invited_email: String,
    /// `signed_out`, `mismatch`, `register` (not registered yet) or `ready`.
    state: &'static str,
    login_href: String,
    signup_href: String,
    notice: Option<Notice>,
}

/// What an invitation page shows.
struct InvitationData {
    challenge_title: String,
    challenge_slug: String,
    inviter: String,
    email: String,
    registered: bool,
}

async fn load_invitation(
    state: &AppState,
    user: Option<&AuthUser>,
    token: &str,
) -> Result<Option<InvitationData>, AppError> {
    let (token, uid) = (token.to_owned(), user.map(|u| u.user.id.clone()));
    state
        .db(move |c| {
            let Some(inv) = store::invitation_by_token(c, &token, now())? else {
                return Ok(None);
            };
            let challenge_id = store::team_challenge(c, &inv.team_id)?;
            let ch = challenges::find(c, &challenge_id)?;
            let inviter = crate::auth::store::find_user(c, &inv.invited_by)?.display_name;
            let registered = match &uid {
                Some(u) => challenges::registration(c, &ch.id, u)?.is_some(),
                None => false,
            };
            Ok(Some(InvitationData {
                challenge_title: ch.title,
                challenge_slug: ch.slug,
                inviter,
                email: inv.email,
                registered,
            }))
        })
        .await
}

fn invitation_invalid(ctx: PageCtx, status: StatusCode) -> Result<HttpResponse, AppError> {
    let t = ctx.t;
    let page = MessagePage::new(
        ctx,
        "error",
        t.get("sub.invitation.invalid.heading"),
        t.get("sub.invitation.invalid.lead"),
    )
    .para(t.get("sub.invitation.invalid.body"))
    .action(Action::primary("/me/submissions", t.get("sub.mine.title")));
    render_status(&page, status)
}

/// Renders the invitation page (or the "does not work" page).
async fn invitation_page(
    req: &HttpRequest,
    state: &AppState,
    user: &MaybeUser,
    token: &str,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(req, user);
    let Some(d) = load_invitation(state, user.0.as_ref(), token).await? else {
        return invitation_invalid(ctx, StatusCode::NOT_FOUND);
    };
    let here = format!("/team-invitations/{}", encode(token));
    let state_name = match &user.0 {
        None => "signed_out",
        Some(u) if !u.user.email.eq_ignore_ascii_case(&d.email) => "mismatch",
        Some(_) if !d.registered => "register",
        Some(_) => "ready",
    };
    render_status(
        &InvitationPage {
            page: ctx,
            token: encode(token),
            signup_href: format!("/signup?next={}&email={}", encode(&here), encode(&d.email)),
            login_href: login_href(&here),
            challenge_title: d.challenge_title,
            challenge_slug: d.challenge_slug,
            inviter: d.inviter,
            invited_email: d.email,
            state: state_name,
            notice,
        },
        status,
    )
}

/// `GET /team-invitations/{token}`: who invites me to which challenge, and how to answer.
pub async fn invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    invitation_page(&req, &state, &user, &token, None, StatusCode::OK).await
}

/// Answers an invitation; errors are explained on the invitation page.
async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    token: String,
    accept: bool,
) -> Result<HttpResponse, AppError> {
    let Some(u) = user.0.clone() else {
        return Ok(to_login(&format!("/team-invitations/{}", encode(&token))));
    };
    let result = service::respond(&state, &u.user.id, &token, accept).await;
    let t = PageCtx::new(&req, &user).t;
    match result {
        Ok(_) if !accept => Ok(see_other("/me/submissions?done=declined")),
        Ok(team_id) => {
            let first = state
                .db(move |c| Ok(store::of_team(c, &team_id)?.into_iter().next()))
                .await?;
            Ok(match first {
                Some(s) => see_other(&format!("/submissions/{}?done=joined#team", s.id)),
                None => see_other("/me/submissions?done=joined"),
            })
        }
        Err(AppError::BadRequest {
            code: "invalid_token",
            ..
        }) => invitation_invalid(PageCtx::new(&req, &user), StatusCode::BAD_REQUEST),
        Err(e) => {
            let (errors, status) = failure(t, e)?;
            let notice = errors.summary().map(|m| Notice::new("error", m));
            invitation_page(&req, &state, &user, &token, notice, status).await
        }
    }
}

/// `POST /team-invitations/{token}/accept`.
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    answer(req, state, user, path.into_inner(), true).await
}

/// `POST /me/team-invitations/{id}/accept` and `…/decline`: answering from
/// the dashboard.
pub async fn answer_listed(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let Some(u) = user.0 else {
        return Ok(to_login("/me/submissions"));
    };
    let (id, verb) = path.into_inner();
    let accept = match verb.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(AppError::NotFound),
    };
    service::respond_by_id(&state, &u.user.id, &id, accept).await?;
    Ok(see_other(if accept {
        "/me/submissions?done=joined"
    } else {
        "/me/submissions?done=declined"
    }))
}

/// `POST /team-invitations/{token}/decline`.
pub async fn decline(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    answer(req, state, user, path.into_inner(), false).await
}

// ---- the gallery ----

/// The gallery's query, as typed (an empty box means no filter).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GalleryForm {
    q: String,
    licence: String,
    challenge: String,
}

/// A published solution as a card.
#[derive(Debug, Clone)]
struct GalleryCard {
    id: String,
    title: String,
    abstract_text: String,
    challenge_title: String,
    challenge_slug: String,
    attribution: String,
    licence: Licence,
    sha256: String,
    short: String,
    published: Option<Stamp>,
}

#[derive(Template)]
#[template(path = "submissions/gallery.html")]
struct GalleryPage {
    page: PageCtx,
    form: GalleryForm,
    licences: Vec<Choice>,
    challenges: Vec<Choice>,
    cards: Vec<GalleryCard>,
    /// "3 solutions shown".
    count_text: String,
    filtered: bool,
}

/// The most solutions one gallery page shows.
const GALLERY_SIZE: i64 = 60;

/// `GET /solutions`: published solutions with their licence and attribution.
pub async fn gallery(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<GalleryForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let form = q.into_inner();
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let params = GalleryParams {
        q: some(&form.q),
        licence: some(&form.licence),
        challenge: some(&form.challenge),
        limit: Some(GALLERY_SIZE),
    };
    let (items, present) = state
        .db(move |c| {
            let items = api::gallery_items(c, &params)?;
            // The filters offer what the gallery holds.
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
            Ok((items, (licences, chs)))
        })
        .await?;
    let (mut licence_ids, mut chs) = present;
    licence_ids.sort();
    chs.sort_by(|a, b| a.1.cmp(&b.1));
    let selected_licence = Licence::parse(&form.licence)
        .map(|l| l.id)
        .unwrap_or_else(|| form.licence.trim().to_owned());
    if !selected_licence.is_empty() && !licence_ids.contains(&selected_licence) {
        licence_ids.push(selected_licence.clone());
    }
    let mut licences = vec![Choice {
        value: String::new(),
        label: t.get("sub.gallery.any_licence").to_owned(),
        selected: selected_licence.is_empty(),
    }];
    licences.extend(licence_ids.into_iter().map(|id| {
        Choice {
            label: Licence::parse(&id)
                .map(|l| format!("{} — {}", l.id, l.name))
                .unwrap_or_else(|| id.clone()),
            selected: id == selected_licence,
            value: id,
        }
    }));
    let mut challenge_choices = vec![Choice {
        value: String::new(),
        label: t.get("sub.gallery.any_challenge").to_owned(),
        selected: form.challenge.trim().is_empty(),
    }];
    challenge_choices.extend(chs.into_iter().map(|(slug, title)| Choice {
        selected: slug == form.challenge.trim(),
        value: slug,
        label: title,
    }));
    let cards: Vec<GalleryCard> = items
        .into_iter()
        .map(|v| GalleryCard {
            attribution: attribution(t, &v.title, &v.copyright_holders, &v.licence.id),
            short: short_hash(&v.revision.sha256),
            sha256: v.revision.sha256,
            published: v.published_at.map(Stamp::of),
            id: v.id,
            title: v.title,
            abstract_text: v.abstract_text,
            challenge_title: v.challenge.title,
            challenge_slug: v.challenge.slug,
            licence: v.licence,
        })
        .collect();
    let filtered = [&form.q, &form.licence, &form.challenge]
        .iter()
        .any(|s| !s.trim().is_empty());
    let count_text = match cards.len() {
        1 => t.get("sub.gallery.count_one").to_owned(),
        n => t.fmt("sub.gallery.count", &[("n", &n.to_string())]),
    };
    render(&GalleryPage {
        page: ctx,
        form,
        licences,
        challenges: challenge_choices,
        cards,
        count_text,
        filtered,
    })
}

// ---- the solver dashboard ----

/// One of my registrations.
#[derive(Debug, Clone)]
struct RegistrationRow {
    slug: String,
    title: String,
    state: &'static str,
    state_label: &'static str,
    deadline: Stamp,
    countdown: String,
    urgent: bool,
    open: bool,
    new_rules: bool,
}

/// One of my submissions.
#[derive(Debug, Clone)]
struct SubmissionRow {
    id: String,
    title: String,
    challenge_title: String,
    challenge_slug: String,
    state: String,
    state_label: String,
    /// "Revision 3".
    revision_label: String,
    sha256: String,
    short: String,
    updated: Stamp,
    deadline: Stamp,
    countdown: String,
    urgent: bool,
    open: bool,
}

/// A team invitation waiting for me.
#[derive(Debug, Clone)]
struct InvitationRow {
    id: String,
    challenge_title: String,
    challenge_slug: String,
    inviter: String,
    sent: Stamp,
    registered: bool,
}

#[derive(Template)]
#[template(path = "submissions/mine.html")]
struct MinePage {
    page: PageCtx,
    registrations: Vec<RegistrationRow>,
    submissions: Vec<SubmissionRow>,
    invitations: Vec<InvitationRow>,
    notice: Option<Notice>,
}

/// What the dashboard reads, in one go.
struct MineData {
    registrations: Vec<(challenges::Registration, Challenge)>,
    submissions: Vec<(SubmissionView, Challenge)>,
    invitations: Vec<(store::TeamInvitation, Challenge, String, bool)>,
}

/// `GET /me/submissions`: my registrations, my submissions and the team
/// invitations waiting for me.
pub async fn mine(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(u) = user.0.clone() else {
        return Ok(to_login("/me/submissions"));
    };
    let ctx = PageCtx::new(&req, &user);
    let t = ctx.t;
    let (uid, email) = (u.user.id.clone(), u.user.email.clone());
    // The same reads as the API's /me/registrations, /me/submissions and /me/team-invitations.
    let d = state
        .db(move |c| {
            let registrations = challenges::registrations_of(c, &uid)?;
            let mut submissions = Vec::new();
            for s in store::of_user(c, &uid)? {
                let ch = challenges::find(c, &s.challenge_id)?;
                let v = api::view(
                    c,
                    &s,
                    &ch,
                    Viewer {
                        team_member: true,
                        ..Viewer::default()
                    },
                )?;
                submissions.push((v, ch));
            }
            let mut invitations = Vec::new();
            for inv in store::invitations_for(c, &email, now())? {
                let challenge_id = store::team_challenge(c, &inv.team_id)?;
                let ch = challenges::find(c, &challenge_id)?;
                let inviter = crate::auth::store::find_user(c, &inv.invited_by)?.display_name;
                let registered = challenges::registration(c, &ch.id, &uid)?.is_some();
                invitations.push((inv, ch, inviter, registered));
            }
            Ok(MineData {
                registrations,
                submissions,
                invitations,
            })
        })
        .await?;
    let at = now();
    let registrations = d
        .registrations
        .into_iter()
        .map(|(r, ch)| {
            let st = ch.state_at(at);
            RegistrationRow {
                state: st.as_str(),
                state_label: challenge_state_label(t, st),
                deadline: Stamp::of(ch.submission_deadline),
                countdown: countdown(t, st, ch.submission_deadline, at),
                urgent: is_urgent(st, ch.submission_deadline, at),
                open: st == State::Open,
                new_rules: st == State::Open && r.rules_version < ch.rules_version,
                slug: ch.slug,
                title: ch.title,
            }
        })
        .collect();
    let submissions = d
        .submissions
        .into_iter()
        .map(|(v, ch)| {
            let st = ch.state_at(at);
            SubmissionRow {
                state_label: state_label(t, &v.state),
                countdown: countdown(t, st, ch.submission_deadline, at),
                urgent: is_urgent(st, ch.submission_deadline, at),
                open: st == State::Open,
                updated: Stamp::of(v.revision.created_at),
                short: short_hash(&v.revision.sha256),
                sha256: v.revision.sha256,
                revision_label: revision_label(t, v.revision.number),
                deadline: Stamp::of(ch.submission_deadline),
                id: v.id,
                title: v.title,
                challenge_title: v.challenge.title,
                challenge_slug: v.challenge.slug,
                state: v.state,
            }
        })
        .collect();
    let invitations = d
        .invitations
        .into_iter()
        .map(|(inv, ch, inviter, registered)| InvitationRow {
            id: inv.id,
            challenge_title: ch.title,
            challenge_slug: ch.slug,
            inviter,
            sent: Stamp::of(inv.created_at),
            registered,
        })
        .collect();
    render(&MinePage {
        notice: done_notice(t, &q.done),
        page: ctx,
        registrations,
        submissions,
        invitations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Language;

    #[test]
    fn shares_are_typed_in_percent() {
        assert_eq!(parse_percent("50"), Some(5000));
        assert_eq!(parse_percent("33.33"), Some(3333));
        assert_eq!(parse_percent("33,3"), Some(3330));
        assert_eq!(parse_percent(" 12.5 % "), Some(1250));
        assert_eq!(parse_percent(".5"), Some(50));
        assert_eq!(parse_percent("100"), Some(10_000));
        for bad in ["", "abc", "1.234", "-5", "1e3", "12.3.4", "%", "."] {
            assert_eq!(parse_percent(bad), None, "{bad:?}");
        }
        assert_eq!(percent_input(3334), "33.34");
        assert_eq!(percent_input(10_000), "100.00");
        assert_eq!(parse_percent(&percent_input(3334)), Some(3334));
    }

    #[test]
    fn numbers_read_naturally_in_both_languages() {
        let en = Tr::new(Language::En);
        let fr = Tr::new(Language::Fr);
        assert_eq!(percent(en, 5000), "50%");
        assert_eq!(percent(en, 3334), "33.34%");
        assert_eq!(percent(fr, 3334), "33,34\u{a0}%");
        assert_eq!(human_size(en, 512), "512 B");
        assert_eq!(human_size(en, 1536), "1.5 KB");
        assert_eq!(human_size(fr, 25 * 1024 * 1024), "25,0 Mo");
        assert_eq!(short_hash(&"a".repeat(64)), format!("{}…", "a".repeat(12)));
        assert_eq!(short_hash("abc"), "abc");
    }

    #[test]
    fn every_label_and_message_is_translated() {
        for lang in Language::ALL {
            let t = Tr::new(lang);
            for s in [
                sub_state::DRAFT,
                sub_state::SUBMITTED,
                sub_state::WITHDRAWN,
                sub_state::DISQUALIFIED,
            ] {
                assert!(!state_label(t, s).starts_with("sub."), "{lang:?} {s}");
            }
            for s in State::ALL {
                assert!(!challenge_state_label(t, s).starts_with("sub."));
            }
            for code in [
                "registration_required",
                "rules_acceptance_required",
                "deadline_passed",
                "submission_limit_reached",
                "already_in_team",
                "invitation_email_mismatch",
            ] {
                let n = blocker_notice(t, code, "x", None).map(|n| n.text);
                assert!(n.is_some_and(|m| !m.starts_with("sub.")), "{lang:?} {code}");
            }
        }
    }

    #[test]
    fn countdowns() {
        let t = Tr::new(Language::En);
        let at = now();
        let d = |h: i64| at + chrono::Duration::hours(h);
        assert_eq!(countdown(t, State::Open, d(24 * 5), at), "Closes in 5 days");
        assert_eq!(countdown(t, State::Open, d(5), at), "Closes in 5 hours");
        assert_eq!(countdown(t, State::Closed, d(5), at), "Submissions closed");
        assert_eq!(countdown(t, State::Open, d(-1), at), "Submissions closed");
        assert!(is_urgent(State::Open, d(5), at));
        assert!(!is_urgent(State::Open, d(100), at));
    }

    #[test]
    fn only_what_changed_is_sent() {
        let rev = store::Revision {
            id: "r".into(),
            submission_id: "s".into(),
            number: 2,
            title: "Sensor".into(),
            abstract_text: "A cheap sensor.".into(),
            body_md: "Line one\nLine two".into(),
            licence: "CC-BY-4.0".into(),
            copyright_holders: "Ada".into(),
            attachment_ids: String::new(),
            content_sha256: "h".into(),
            created_by: "u".into(),
            created_at: now(),
        };
        let f = EntryForm {
            title: "Sensor ".into(),
            abstract_text: "A cheap sensor.".into(),
            body: "Line one\r\nLine two".into(),
            licence: "CC-BY-4.0".into(),
            copyright_holders: "Ada, Grace".into(),
            action: "submit".into(),
            ..EntryForm::default()
        };
        let input = changes(&f, &rev);
        assert!(input.title.is_none() && input.body.is_none() && input.licence.is_none());
        assert_eq!(input.copyright_holders.as_deref(), Some("Ada, Grace"));
        assert_eq!(input.submit, Some(true));
        assert_eq!(input.publish_opt_in, Some(false));
    }
}
