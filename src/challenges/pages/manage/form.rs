//! The step form that creates a challenge and edits it: every field while
//! a draft; once open, the fields promised to solvers are shown locked and
//! only the texts are sent.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::step_form::{StepForm, COMMON_LICENCES};
use super::{failure, manage_href};
use crate::auth::extract::Principal;
use crate::challenges::model::{Kind, State, CATEGORIES};
use crate::challenges::queries::{self, Challenge, EditData, FormOrg};
use crate::challenges::service::{self, ChallengeInput};
use crate::db::now;
use crate::error::{AppError, AppResult, FieldError};
use crate::frontend::forms::{FormErrors, Pairs};
use crate::frontend::labels::{category_label, kind_label};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::Choice;
use crate::frontend::{render, render_status, see_other, PageCtx};
use crate::money::model::CURRENCIES;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "manage/form.html")]
struct FormPage {
    page: PageCtx,
    org_name: String,
    /// `new` or `edit`.
    mode: &'static str,
    action: String,
    back_href: String,
    /// The challenge's title when editing.
    heading: String,
    /// An open challenge: only texts may change.
    locked: bool,
    f: StepForm,
    categories: Vec<Choice>,
    kinds: Vec<Choice>,
    currencies: Vec<Choice>,
    visibilities: Vec<Choice>,
    /// The common licences, each with what it lets others do.
    licences: Vec<(Choice, &'static str)>,
    now_utc: String,
    errors: FormErrors,
}

/// What the form page shows around the fields.
struct FormFrame {
    org_name: String,
    mode: &'static str,
    action: String,
    back_href: String,
    heading: String,
    locked: bool,
}

impl FormPage {
    fn new(page: PageCtx, frame: FormFrame, mut f: StepForm, errors: FormErrors) -> Self {
        let t = page.t;
        if frame.locked {
            // Nothing can be added to a locked list: show the tiers there are.
            f.tiers
                .retain(|r| !r.label.trim().is_empty() || !r.amount.trim().is_empty());
        }
        let mut categories = vec![Choice::new(
            "",
            t.get("manage.form.category_choose"),
            f.category.is_empty(),
        )];
        categories.extend(
            CATEGORIES
                .iter()
                .map(|c| Choice::new(c, category_label(t, c), f.category == *c)),
        );
        let kinds = Kind::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), kind_label(t, k.as_str()), f.kind == k.as_str()))
            .collect();
        let currencies = CURRENCIES
            .iter()
            .map(|(c, _)| Choice::new(c, *c, f.currency.eq_ignore_ascii_case(c)))
            .collect();
        let visibilities = ["public", "unlisted"]
            .iter()
            .map(|v| Choice::new(v, super::visibility_label(t, v), f.visibility == *v))
            .collect();
        // Each common licence with its name and what it lets others do.
        let licences = COMMON_LICENCES
            .iter()
            .map(|l| {
                let name = crate::challenges::model::Licence::parse(l)
                    .map(|x| x.name)
                    .unwrap_or_else(|| (*l).to_owned());
                (
                    Choice::new(
                        l,
                        name,
                        f.licences.iter().any(|x| x.eq_ignore_ascii_case(l)),
                    ),
                    crate::frontend::labels::licence_meaning(t, l),
                )
            })
            .collect();
        FormPage {
            org_name: frame.org_name,
            mode: frame.mode,
            action: frame.action,
            back_href: frame.back_href,
            heading: frame.heading,
            locked: frame.locked,
            f,
            categories,
            kinds,
            currencies,
            visibilities,
            licences,
            now_utc: now().format("%Y-%m-%d %H:%M").to_string(),
            errors,
            page,
        }
    }
}

/// One error for a form the page could not fully read: its own field
/// errors first (they say why a value could not even be read), then what the
/// service's validation says about the rest.
pub(super) fn combine(local: Vec<FieldError>, checked: AppResult<()>) -> AppError {
    match checked {
        Err(AppError::Validation(list)) => {
            let mut all = local;
            all.extend(list);
            AppError::Validation(all)
        }
        Err(other) => other,
        Ok(()) => AppError::Validation(local),
    }
}

/// What was sent, checked: the page's own field errors (a value it could
/// not even read) come first, then what the service says about the rest.
/// `write` runs only when the page read every value.
async fn checked<T>(
    local: Vec<FieldError>,
    write: impl std::future::Future<Output = AppResult<T>>,
    check: impl std::future::Future<Output = AppResult<()>>,
) -> Result<T, AppError> {
    if local.is_empty() {
        write.await
    } else {
        Err(combine(local, check.await))
    }
}

// ---- create ----

/// The frame of a new challenge's form.
fn new_frame(org: FormOrg) -> FormFrame {
    FormFrame {
        action: format!("/orgs/{}/challenges/new", org.slug),
        back_href: format!("/orgs/{}/challenges", org.slug),
        org_name: org.name,
        mode: "new",
        heading: String::new(),
        locked: false,
    }
}

/// `GET /orgs/{slug}/challenges/new`: the step form, empty.
pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let org = queries::form_org(&state, Principal::User(user.0.clone()), path.into_inner()).await?;
    let ctx = user.ctx(&req);
    let f = StepForm::blank(ctx.t);
    render(&FormPage::new(
        ctx,
        new_frame(org),
        f,
        FormErrors::default(),
    ))
}

/// `POST /orgs/{slug}/challenges/new`: creates the draft, or shows the form
/// again with every value kept and the errors next to their fields.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let p = Pairs::parse(&body)?;
    let slug = path.into_inner();
    let who = Principal::User(user.0.clone());
    let f = StepForm::from_pairs(&p);
    let (input, local) = f.to_input(false);
    let check = input.clone();
    let err = match checked(
        local,
        service::create(&state, &who, &slug, input),
        service::check_create(&state, &who, &slug, check),
    )
    .await
    {
        Ok(ch) => {
            return Ok(see_other(&format!(
                "{}?done=created",
                manage_href(&ch.slug)
            )))
        }
        Err(e) => e,
    };
    let ctx = user.ctx(&req);
    let (errors, status) = failure(ctx.t, err)?;
    let org = queries::form_org(&state, who, slug).await?;
    render_status(&FormPage::new(ctx, new_frame(org), f, errors), status)
}

// ---- edit ----

/// The frame of an existing challenge's form.
fn edit_frame(d: &EditData, locked: bool) -> FormFrame {
    FormFrame {
        org_name: d.org_name.clone(),
        mode: "edit",
        action: format!("{}/edit", manage_href(&d.ch.slug)),
        back_href: manage_href(&d.ch.slug),
        heading: d.ch.title.clone(),
        locked,
    }
}

/// Whether the challenge can be edited now, and whether only its texts.
fn edit_mode(ch: &Challenge) -> Option<bool> {
    match ch.state_at(now()) {
        State::Draft => Some(false),
        State::Open => Some(true),
        _ => None,
    }
}

/// Back to the management page: the challenge cannot be edited any more.
fn not_editable(ch: &Challenge) -> HttpResponse {
    see_other(&format!("{}?done=not_editable", manage_href(&ch.slug)))
}

/// `GET /manage/challenges/{key}/edit`: the step form, filled in. On an open
/// challenge the fields promised to solvers are shown locked.
pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let d = queries::edit(&state, Principal::User(user.0.clone()), path.into_inner()).await?;
    let Some(locked) = edit_mode(&d.ch) else {
        return Ok(not_editable(&d.ch));
    };
    let f = StepForm::from_challenge(&d.ch, &d.tiers, &d.rules);
    render(&FormPage::new(
        user.ctx(&req),
        edit_frame(&d, locked),
        f,
        FormErrors::default(),
    ))
}

/// `POST /manage/challenges/{key}/edit`: saves through `service::update`.
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let p = Pairs::parse(&body)?;
    let key = path.into_inner();
    let who = Principal::User(user.0.clone());
    let d = queries::edit(&state, who.clone(), key.clone()).await?;
    let Some(locked) = edit_mode(&d.ch) else {
        return Ok(not_editable(&d.ch));
    };
    let f = if locked {
        StepForm::from_challenge(&d.ch, &d.tiers, &d.rules).with_texts_from(&p)
    } else {
        StepForm::from_pairs(&p)
    };
    let (input, local) = f.to_input(locked);
    let check: ChallengeInput = input.clone();
    let err = match checked(
        local,
        service::update(&state, &who, &key, input),
        service::check_update(&state, &who, &key, check),
    )
    .await
    {
        Ok(ch) => {
            // Changes to an open challenge may wait for the platform's review.
            let done = if ch.pending_changes.is_some() {
                "held"
            } else {
                "updated"
            };
            return Ok(see_other(&format!("{}?done={done}", manage_href(&ch.slug))));
        }
        Err(e) => e,
    };
    let ctx = user.ctx(&req);
    let (errors, status) = failure(ctx.t, err)?;
    render_status(
        &FormPage::new(ctx, edit_frame(&d, locked), f, errors),
        status,
    )
}
