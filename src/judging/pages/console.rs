//! The organisation's judging console of a challenge: the panel (invite,
//! remove) and the rounds (add one with its rubric). A round's own page is
//! [`super::round`].

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::round_state_label;
use crate::auth::principal::Principal;
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::forms::{field_message, form_failure, FormErrors, Pairs};
use crate::frontend::session::PageUser;
use crate::frontend::widgets::Notice;
use crate::frontend::{render_status, see_other, PageCtx};
use crate::judging::queries::console::{self, Console};
use crate::judging::service::panel;
use crate::judging::service::rounds::{self, CriterionInput, RoundInput};
use crate::state::AppState;

/// Rows of the rubric editor: a page form has no script to add rows, so it
/// offers this many and ignores the blank ones.
pub const RUBRIC_ROWS: usize = 6;

/// One criterion row of the rubric editor, as typed.
#[derive(Debug, Clone, Default)]
pub struct CriterionRow {
    pub index: usize,
    pub name: String,
    pub description: String,
    pub weight: String,
    pub min: String,
    pub max: String,
    pub comment: bool,
}

/// The round form, as typed.
#[derive(Debug, Clone, Default)]
pub struct RoundForm {
    pub name: String,
    pub judges_per_entry: String,
    pub normalise: bool,
    pub shortlist: String,
    pub rows: Vec<CriterionRow>,
}

impl RoundForm {
    /// A new round's form: three judges, a 1–10 scale.
    pub fn blank(name: &str) -> Self {
        RoundForm {
            name: name.to_owned(),
            judges_per_entry: "3".into(),
            normalise: false,
            shortlist: String::new(),
            rows: (0..RUBRIC_ROWS)
                .map(|i| CriterionRow {
                    index: i,
                    weight: "1".into(),
                    min: "1".into(),
                    max: "10".into(),
                    ..CriterionRow::default()
                })
                .collect(),
        }
    }

    /// The form of an existing round.
    pub fn of(v: &crate::judging::queries::views::RoundView) -> Self {
        let mut f = RoundForm::blank(&v.name);
        f.judges_per_entry = v.judges_per_entry.to_string();
        f.normalise = v.normalise;
        f.shortlist = v.shortlist.map(|n| n.to_string()).unwrap_or_default();
        for (i, c) in v.criteria.iter().enumerate().take(RUBRIC_ROWS) {
            f.rows[i] = CriterionRow {
                index: i,
                name: c.name.clone(),
                description: c.description.clone(),
                weight: c.weight.to_string(),
                min: c.scale_min.to_string(),
                max: c.scale_max.to_string(),
                comment: c.comment_required,
            };
        }
        f
    }

    /// The form as posted.
    pub fn parse(p: &Pairs) -> Self {
        RoundForm {
            name: p.get("name"),
            judges_per_entry: p.get("judges_per_entry"),
            normalise: p.has("normalise"),
            shortlist: p.get("shortlist"),
            rows: (0..RUBRIC_ROWS)
                .map(|i| CriterionRow {
                    index: i,
                    name: p.get(&format!("c{i}.name")),
                    description: crate::frontend::forms::lf(&p.get(&format!("c{i}.description"))),
                    weight: p.get(&format!("c{i}.weight")),
                    min: p.get(&format!("c{i}.min")),
                    max: p.get(&format!("c{i}.max")),
                    comment: p.has(&format!("c{i}.comment")),
                })
                .collect(),
        }
    }

    /// The service's input; numbers people typed that are not numbers
    /// become field errors here.
    pub fn input(&self, errors: &mut FormErrors, t: crate::i18n::Tr) -> RoundInput {
        let mut int = |field: &str, raw: &str, default: i32| -> i32 {
            match raw.trim() {
                "" => default,
                s => s.parse().unwrap_or_else(|_| {
                    errors.add(field, field_message(t, field, "invalid"));
                    default
                }),
            }
        };
        let judges_per_entry = int("judges_per_entry", &self.judges_per_entry, 0);
        let shortlist = match self.shortlist.trim() {
            "" => None,
            s => Some(s.parse().unwrap_or_else(|_| {
                errors.add("shortlist", field_message(t, "shortlist", "invalid"));
                0
            })),
        };
        let mut criteria = Vec::new();
        for r in self.rows.iter().filter(|r| !r.name.trim().is_empty()) {
            let weight = r
                .weight
                .trim()
                .replace(',', ".")
                .parse::<f64>()
                .unwrap_or(0.0);
            let min = r.min.trim().parse().unwrap_or(-1);
            let max = r.max.trim().parse().unwrap_or(-1);
            criteria.push(CriterionInput {
                name: r.name.clone(),
                description: r.description.clone(),
                weight,
                scale_min: min,
                scale_max: max,
                comment_required: r.comment,
            });
        }
        RoundInput {
            name: self.name.clone(),
            judges_per_entry,
            normalise: self.normalise,
            shortlist,
            criteria,
            judges: None,
        }
    }
}

/// A rubric row with the key of its error message, if any.
pub struct FormRow {
    pub row: CriterionRow,
    pub error: Option<&'static str>,
}

/// The rubric rows with their errors: the service names them
/// `criteria[i].…` in the order of the non-blank rows.
pub fn form_rows(f: &RoundForm, errors: &FormErrors) -> Vec<FormRow> {
    let mut filled = 0;
    f.rows
        .iter()
        .map(|r| {
            let error = if r.name.trim().is_empty() {
                None
            } else {
                let i = filled;
                filled += 1;
                ["name", "description", "weight", "scale_max"]
                    .iter()
                    .find_map(|k| errors.field(&format!("criteria[{i}].{k}")))
                    .map(|_| "judging.form.error.criterion")
            };
            FormRow {
                row: r.clone(),
                error,
            }
        })
        .collect()
}

/// A panel judge as listed.
struct JudgeLine {
    id: String,
    who: String,
    email: String,
    status: &'static str,
    invited: Stamp,
    assigned: usize,
    submitted: usize,
    conflicts: Vec<(String, String, bool)>,
    removable: bool,
}

/// A round as listed.
struct RoundLine {
    id: String,
    number: i32,
    name: String,
    state: &'static str,
    criteria: usize,
    entries: usize,
}

#[derive(Template)]
#[template(path = "judging/console.html")]
struct ConsolePage {
    page: PageCtx,
    c: Console,
    judges: Vec<JudgeLine>,
    rounds: Vec<RoundLine>,
    notice: Option<Notice>,
    invite_email: String,
    invite_errors: FormErrors,
    form: RoundForm,
    form_errors: FormErrors,
    form_rows: Vec<FormRow>,
    can_add_round: bool,
}

fn status_label(t: crate::i18n::Tr, s: &str) -> &'static str {
    match s {
        "active" => t.get("judging.status.active"),
        "declined" => t.get("judging.status.declined"),
        "removed" => t.get("judging.status.removed"),
        _ => t.get("judging.status.invited"),
    }
}

/// Everything the console form may carry back after a refusal.
#[derive(Default)]
struct Typed {
    invite_email: String,
    invite_errors: FormErrors,
    form: Option<RoundForm>,
    form_errors: FormErrors,
}

async fn console_page(
    ctx: PageCtx,
    state: &AppState,
    user: &PageUser,
    key: String,
    notice: Option<Notice>,
    typed: Typed,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let t = ctx.t;
    let who = Principal::User(user.0.clone());
    let c = state
        .db(move |conn| console::console(conn, &who, &key))
        .await?;
    let judges = c
        .panel
        .iter()
        .map(|j| JudgeLine {
            id: j.id.clone(),
            who: j.name.clone().unwrap_or_else(|| j.email.clone()),
            email: j.email.clone(),
            status: status_label(t, &j.status),
            invited: Stamp::of(j.invited_at),
            assigned: j.assigned,
            submitted: j.submitted,
            conflicts: j
                .conflicts
                .iter()
                .map(|x| (x.title.clone(), x.reason.clone(), x.automatic))
                .collect(),
            removable: c.can_manage && matches!(j.status.as_str(), "invited" | "active"),
        })
        .collect();
    let rounds: Vec<RoundLine> = c
        .rounds
        .iter()
        .map(|r| RoundLine {
            id: r.id.clone(),
            number: r.number,
            name: r.name.clone(),
            state: round_state_label(t, &r.state),
            criteria: r.criteria.len(),
            entries: r.entries,
        })
        .collect();
    let can_add_round = c.can_manage
        && !c.results_published
        && c.rounds.last().is_none_or(|r| r.shortlist.is_some());
    let next_name = if c.rounds.is_empty() {
        t.get("judging.round.default_name_first")
    } else {
        t.get("judging.round.default_name_next")
    };
    let form = typed.form.unwrap_or_else(|| RoundForm::blank(next_name));
    let form_rows = form_rows(&form, &typed.form_errors);
    render_status(
        &ConsolePage {
            page: ctx,
            c,
            judges,
            rounds,
            notice,
            invite_email: typed.invite_email,
            invite_errors: typed.invite_errors,
            form,
            form_errors: typed.form_errors,
            form_rows,
            can_add_round,
        },
        status,
    )
}

/// What was just done.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// `GET /manage/challenges/{key}/judging`.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = user.ctx(&req);
    let t = ctx.t;
    let notice = match q.done.as_str() {
        "invited" => Some(Notice::ok(t.get("judging.done.invited"))),
        "removed" => Some(Notice::ok(t.get("judging.done.removed"))),
        _ => None,
    };
    console_page(
        ctx,
        &state,
        &user,
        path.into_inner(),
        notice,
        Typed::default(),
        StatusCode::OK,
    )
    .await
}

/// The invitation form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    email: String,
}

/// `POST /manage/challenges/{key}/judging/judges`.
pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let who = Principal::User(user.0.clone());
    match panel::invite(&state, &who, &key, &form.email).await {
        Ok(_) => Ok(see_other(&format!(
            "/manage/challenges/{key}/judging?done=invited"
        ))),
        Err(e) => {
            let ctx = user.ctx(&req);
            let (invite_errors, status) = form_failure(
                ctx.t,
                e,
                &["already_on_panel", "judging_over", "rate_limited"],
            )?;
            let typed = Typed {
                invite_email: form.email.clone(),
                invite_errors,
                ..Typed::default()
            };
            console_page(ctx, &state, &user, key, None, typed, status).await
        }
    }
}

/// `POST /manage/challenges/{key}/judging/judges/{id}/remove`.
pub async fn remove(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (key, id) = path.into_inner();
    panel::remove(&state, &Principal::User(user.0.clone()), &key, &id).await?;
    Ok(see_other(&format!(
        "/manage/challenges/{key}/judging?done=removed"
    )))
}

/// `POST /manage/challenges/{key}/judging/rounds`: adds a round.
pub async fn create_round(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let f = RoundForm::parse(&Pairs::parse(&body)?);
    let t = user.ctx(&req).t;
    let mut local = FormErrors::default();
    let input = f.input(&mut local, t);
    let result = if local.is_empty() {
        rounds::create(&state, &Principal::User(user.0.clone()), &key, input)
            .await
            .map(Some)
    } else {
        Ok(None)
    };
    match result {
        Ok(Some(r)) => Ok(see_other(&format!("/manage/rounds/{}?done=created", r.id))),
        other => {
            let ctx = user.ctx(&req);
            let (mut form_errors, status) = match other {
                Err(e) => form_failure(ctx.t, e, &["final_round_exists", "judging_over"])?,
                _ => (local, StatusCode::UNPROCESSABLE_ENTITY),
            };
            if form_errors.notice.is_none() {
                form_errors.notice = Some(ctx.t.get("form.error.summary").to_owned());
            }
            let typed = Typed {
                form: Some(f),
                form_errors,
                ..Typed::default()
            };
            console_page(ctx, &state, &user, key, None, typed, status).await
        }
    }
}
