//! The team, from the submission page: inviting a co-author, leaving or
//! removing a member, and proposing and approving prize shares (typed in
//! percent, kept in basis points).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::show::{on_top, show_again, show_failure, ShowPage};
use crate::error::AppError;
use crate::frontend::forms::{FormErrors, Pairs};
use crate::frontend::see_other;
use crate::frontend::session::PageUser;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::submissions::service::{self, ShareInput};

/// Basis points as the value of a percent number input ("33.34").
pub(super) fn percent_input(bps: i32) -> String {
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
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<InviteForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let email = form.into_inner().email;
    match service::invite(&state, &user.0.user.id, &id, &email).await {
        Ok(_) => Ok(see_other(&format!("/submissions/{id}?done=invited#team"))),
        Err(e) => {
            show_failure(&req, &state, &user.maybe(), &id, e, |p, errors| {
                p.invite_errors = errors;
                p.invite_email = email;
            })
            .await
        }
    }
}

/// `POST /submissions/{id}/team/invitations/{invitation_id}/cancel`.
pub async fn cancel_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, invitation) = path.into_inner();
    match service::cancel_invitation(&state, &user.0.user.id, &id, &invitation).await {
        Ok(()) => Ok(see_other(&format!(
            "/submissions/{id}?done=invitation_cancelled#team"
        ))),
        Err(e) => show_failure(&req, &state, &user.maybe(), &id, e, on_top).await,
    }
}

/// `POST /submissions/{id}/team/members/{user_id}/remove`: leave (my own
/// id) or, as the submitter, remove a member.
pub async fn remove_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, member) = path.into_inner();
    let leaving = member == user.0.user.id;
    match service::remove_member(&state, &user.0.user.id, &id, &member).await {
        // Having left, I may no longer see it.
        Ok(()) if leaving => Ok(see_other("/me/submissions?done=left")),
        Ok(()) => Ok(see_other(&format!("/submissions/{id}?done=removed#team"))),
        Err(e) => show_failure(&req, &state, &user.maybe(), &id, e, on_top).await,
    }
}

/// Reads the share proposal form (`share.{user_id}` in percent): the shares,
/// what was typed per member (to show again), and what could not be read.
fn parse_shares(t: Tr, form: &Pairs) -> (Vec<ShareInput>, Vec<(String, String)>, FormErrors) {
    let mut shares = Vec::new();
    let mut typed = Vec::new();
    let mut errors = FormErrors::default();
    for (k, v) in &form.0 {
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

/// Where a share change lands: applied at once, or waiting for approvals.
fn shares_done(id: &str, applied: bool, waiting: &str) -> HttpResponse {
    let done = if applied { "shares_applied" } else { waiting };
    see_other(&format!("/submissions/{id}?done={done}#team"))
}

/// `POST /submissions/{id}/team/shares`: proposes prize shares; they apply
/// once every member has approved. The body is read as pairs because the
/// field names carry the member ids.
pub async fn propose_shares(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Pairs::parse(&body)?;
    let id = path.into_inner();
    let (ctx, maybe) = (user.ctx(&req), user.maybe());
    let (shares, typed, errors) = parse_shares(ctx.t, &form);
    // What was typed stays in the inputs, next to the message.
    let keep = |p: &mut ShowPage, errors: FormErrors| {
        for m in p.members.iter_mut() {
            if let Some((_, v)) = typed.iter().find(|(uid, _)| *uid == m.user_id) {
                m.share_input = v.clone();
            }
        }
        p.shares_errors = errors;
    };
    if !errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return show_again(ctx, &state, &maybe, &id, status, |p| keep(p, errors)).await;
    }
    match service::propose_shares(&state, &user.0.user.id, &id, shares).await {
        Ok(applied) => Ok(shares_done(&id, applied, "shares_proposed")),
        Err(e) => show_failure(&req, &state, &maybe, &id, e, keep).await,
    }
}

/// `POST /submissions/{id}/team/shares/approve`.
pub async fn approve_shares(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    match service::approve_shares(&state, &user.0.user.id, &id).await {
        Ok(applied) => Ok(shares_done(&id, applied, "shares_approved")),
        Err(e) => {
            show_failure(&req, &state, &user.maybe(), &id, e, |p, errors| {
                p.shares_errors = errors;
            })
            .await
        }
    }
}

/// The anonymity form: a ticked box means "leave my name out".
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AnonymityForm {
    anonymous: Option<String>,
}

/// `POST /submissions/{id}/team/anonymous`: whether public results name me.
pub async fn set_anonymous(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<AnonymityForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let anonymous = form.anonymous.is_some();
    let me = user.0.user.id.clone();
    match service::set_anonymous(&state, &me, &id, &me, anonymous).await {
        Ok(()) => Ok(see_other(&format!(
            "/submissions/{id}?done={}#team",
            if anonymous { "anonymous" } else { "named" }
        ))),
        Err(e) => show_failure(&req, &state, &user.maybe(), &id, e, on_top).await,
    }
}

/// The team rules form: who withdraws, whether joiners are named.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RulesForm {
    withdrawal: String,
    credit_joiners: Option<String>,
}

/// `POST /submissions/{id}/team/rules`.
pub async fn set_rules(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    form: web::Form<RulesForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let f = form.into_inner();
    let input = service::TeamRulesInput {
        withdrawal: Some(f.withdrawal).filter(|w| !w.is_empty()),
        credit_joiners: Some(f.credit_joiners.is_some()),
    };
    match service::set_team_rules(&state, &user.0.user.id, &id, input).await {
        Ok(_) => Ok(see_other(&format!("/submissions/{id}?done=rules#team"))),
        Err(e) => show_failure(&req, &state, &user.maybe(), &id, e, on_top).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
