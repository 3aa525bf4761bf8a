//! Entering and revising: the entry form of a challenge (new) and of a
//! submission (edit). A form that cannot be used says why before anyone
//! writes, with the link that helps.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{blocker_notice, failure};
use crate::challenges::model::{Licence, State};
use crate::db::now;
use crate::error::AppError;
use crate::frontend::format::{countdown, is_urgent, Stamp};
use crate::frontend::forms::{lf, FormErrors};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::Notice;
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::submissions::model::{self, state as sub_state};
use crate::submissions::queries::{self, Challenge, Edit, Revision};
use crate::submissions::service::{self, SubmissionInput};

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
    /// The published solution this entry builds on (new entries only).
    builds_on: String,
}

/// `?builds_on=` on the new-entry form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SourceQuery {
    builds_on: String,
}

/// The source a new entry builds on, as the form names it.
#[derive(Debug, Clone)]
struct SourceBox {
    title: String,
    url: String,
    /// "by Ana and Bo · CC-BY-SA-4.0".
    byline: String,
}

impl EntryForm {
    fn opt_in(&self) -> bool {
        self.publish_opt_in.is_some()
    }
}

/// A licence as the entry form offers it.
#[derive(Debug, Clone)]
struct LicenceChoice {
    id: String,
    name: String,
    url: String,
    open: bool,
    selected: bool,
    /// What it lets others do, in a line.
    meaning: &'static str,
}

/// The challenge's allowed licences, with `selected` marked.
fn licence_choices(t: Tr, ch: &Challenge, selected: &str) -> Vec<LicenceChoice> {
    ch.licence_ids()
        .iter()
        .filter_map(|id| Licence::parse(id))
        .map(|l| LicenceChoice {
            selected: l.id == selected,
            meaning: crate::frontend::labels::licence_meaning(t, &l.id),
            id: l.id,
            name: l.name,
            url: l.url,
            open: l.open,
        })
        .collect()
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
    /// What the new entry builds on.
    source: Option<SourceBox>,
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
            licences: licence_choices(t, ch, &values.licence),
            values,
            errors: FormErrors::default(),
            notice: None,
            show_form: true,
            source: None,
            page,
        }
    }

    /// Names the source and keeps only the licences that may carry it.
    fn building_on(mut self, src: Option<queries::SourceRef>) -> Self {
        if let Some(r) = src {
            self.licences.retain(|l| {
                model::derivatives::check_derivative_licence(&r.licence, &l.id).is_ok()
            });
            self.source = Some(SourceBox {
                byline: self.page.t.fmt(
                    "sub.source.byline",
                    &[("holders", &r.holders), ("licence", &r.licence)],
                ),
                title: r.title,
                url: r.url,
            });
        }
        self
    }

    /// Shows errors above the form, with a helpful link for blocking codes.
    fn with_errors(mut self, errors: FormErrors) -> Self {
        let t = self.page.t;
        let sid = (!self.submission_id.is_empty()).then_some(self.submission_id.as_str());
        self.notice = blocker_notice(t, &errors.code, &self.challenge_slug, sid)
            .or_else(|| errors.notice.clone().map(Notice::error));
        self.errors = errors;
        self
    }

    /// Shows why the form cannot be used, instead of the form.
    fn blocked(mut self, code: &str) -> Self {
        let sid = (!self.submission_id.is_empty()).then_some(self.submission_id.as_str());
        self.notice = blocker_notice(self.page.t, code, &self.challenge_slug, sid);
        self.show_form = false;
        self
    }
}

/// The status of a code that keeps the entry form from being used.
fn blocker_status(code: &str) -> StatusCode {
    match code {
        "registration_required" => StatusCode::FORBIDDEN,
        _ => StatusCode::CONFLICT,
    }
}

/// `GET /challenges/{slug}/submit`: the entry form of a registered solver.
pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    q: web::Query<SourceQuery>,
) -> Result<HttpResponse, AppError> {
    let d = queries::entry(&state, &user.0, &path.into_inner()).await?;
    let src = match q.builds_on.trim() {
        "" => None,
        id => queries::entry_source(&state, id.to_owned()).await?,
    };
    let ctx = user.ctx(&req);
    // The first revision names its source in its text too, so the
    // attribution travels with the work wherever it is copied.
    let body = src
        .as_ref()
        .map(|r| {
            ctx.t.fmt(
                "sub.source.body_start",
                &[
                    ("title", &r.title),
                    ("url", &state.url(&r.url)),
                    ("holders", &r.holders),
                    ("licence", &r.licence),
                ],
            )
        })
        .unwrap_or_default();
    let values = EntryForm {
        copyright_holders: d.holders.clone(),
        builds_on: src.as_ref().map(|r| r.id.clone()).unwrap_or_default(),
        body,
        ..EntryForm::default()
    };
    let p = FormPage::new(ctx, "new", &d.ch, values).building_on(src);
    match d.blocker {
        Some(code) => render_status(&p.blocked(code), blocker_status(code)),
        None => render(&p),
    }
}

/// `POST /challenges/{slug}/submit`: enters (or drafts) the submission and
/// shows its receipt.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<EntryForm>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
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
        builds_on: Some(f.builds_on.trim().to_owned()).filter(|b| !b.is_empty()),
    };
    match service::create(&state, &user.0.user.id, &slug, input).await {
        Ok((s, _)) => Ok(see_other(&format!("/submissions/{}/receipt", s.id))),
        Err(e) => {
            let ctx = user.ctx(&req);
            let (errors, status) = failure(ctx.t, e)?;
            let d = queries::entry(&state, &user.0, &slug).await?;
            let src = match f.builds_on.trim() {
                "" => None,
                id => queries::entry_source(&state, id.to_owned()).await?,
            };
            let p = FormPage::new(ctx, "new", &d.ch, f)
                .building_on(src)
                .with_errors(errors);
            render_status(&p, status)
        }
    }
}

fn edit_page(ctx: PageCtx, d: &Edit, values: EntryForm) -> FormPage {
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
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let d = queries::edit(&state, &user.0, &path.into_inner()).await?;
    let values = EntryForm {
        title: d.rev.title.clone(),
        abstract_text: d.rev.abstract_text.clone(),
        body: d.rev.body_md.clone(),
        licence: d.rev.licence.clone(),
        copyright_holders: d.rev.copyright_holders.clone(),
        publish_opt_in: d.s.publish_opt_in.then(|| "yes".to_owned()),
        ..EntryForm::default()
    };
    let p = edit_page(user.ctx(&req), &d, values);
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
        Some(code) => render_status(&p.blocked(code), StatusCode::CONFLICT),
        None => render(&p),
    }
}

/// Only what changed goes to the service, so that saving an unchanged form
/// (or entering a draft as it is) records no empty revision.
fn changes(f: &EntryForm, rev: &Revision) -> SubmissionInput {
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
        builds_on: None,
    }
}

/// `POST /submissions/{id}/edit`: records a new revision and shows its receipt.
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<EntryForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let f = form.into_inner();
    let d = queries::edit(&state, &user.0, &id).await?;
    let input = changes(&f, &d.rev);
    let entering = input.submit == Some(true);
    match service::revise(&state, &user.0.user.id, &id, input).await {
        Ok((_, Some(_))) => Ok(see_other(&format!("/submissions/{id}/receipt"))),
        Ok((_, None)) if entering => Ok(see_other(&format!("/submissions/{id}?done=submitted"))),
        Ok((_, None)) => Ok(see_other(&format!("/submissions/{id}?done=unchanged"))),
        Err(e) => {
            let ctx = user.ctx(&req);
            let (errors, status) = failure(ctx.t, e)?;
            let p = edit_page(ctx, &d, f).with_errors(errors);
            render_status(&p, status)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_changed_is_sent() {
        let rev = Revision {
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
