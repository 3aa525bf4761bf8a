//! The live sessions of an account: where it is signed in, and ending one
//! (ending this browser's own signs it out).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::clear_session;
use crate::auth::{queries, service};
use crate::error::AppError;
use crate::frontend::format::Stamp;
use crate::frontend::session::PageUser;
use crate::frontend::{render, see_other, PageCtx};
use crate::i18n::Tr;
use crate::state::AppState;

/// Query of the sessions page: what was just done.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// One live session as listed.
#[derive(Debug, Clone)]
struct SessionRow {
    id: String,
    device: String,
    user_agent: String,
    ip: String,
    created: Stamp,
    last_used: Stamp,
    current: bool,
}

#[derive(Template)]
#[template(path = "auth/sessions.html")]
struct SessionsPage {
    page: PageCtx,
    sessions: Vec<SessionRow>,
    done: Option<&'static str>,
}

/// A short, readable name for a user agent: "Firefox on Linux".
fn device_label(t: Tr, ua: Option<&str>) -> String {
    let Some(ua) = ua.map(str::trim).filter(|u| !u.is_empty()) else {
        return t.get("sessions.unknown_device").to_owned();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| (*name).to_owned());
    let os = [
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => t.fmt("sessions.device", &[("browser", &b), ("os", o)]),
        (Some(b), None) => b,
        _ => {
            let first = ua.split_whitespace().next().unwrap_or(ua);
            let short: String = first.chars().take(40).collect();
            if short.len() < first.len() {
                format!("{short}…")
            } else {
                short
            }
        }
    }
}

/// `GET /settings/sessions`.
pub async fn sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let ctx = user.ctx(&req);
    let t = ctx.t;
    let sessions = queries::sessions(&state, &user.0)
        .await?
        .into_iter()
        .map(|v| SessionRow {
            device: device_label(t, v.session.user_agent.as_deref()),
            user_agent: v.session.user_agent.clone().unwrap_or_default(),
            ip: v.session.ip.clone().unwrap_or_else(|| "—".into()),
            created: Stamp::of(v.session.created_at),
            last_used: Stamp::of(v.session.last_used_at),
            current: v.current,
            id: v.session.id,
        })
        .collect();
    let done = (q.done == "revoked").then(|| t.get("sessions.revoked"));
    render(&SessionsPage {
        page: ctx,
        sessions,
        done,
    })
}

/// `POST /settings/sessions/{id}/revoke`.
pub async fn revoke_session(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let current = id == user.0.session_id;
    service::revoke_own_session(&state, user.0.user.id, id).await?;
    if current {
        let mut res = HttpResponse::SeeOther();
        res.insert_header((header::LOCATION, "/login"));
        clear_session(&state, &mut res);
        return Ok(res.finish());
    }
    Ok(see_other("/settings/sessions?done=revoked"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Language;

    #[test]
    fn devices_are_named_briefly() {
        let t = Tr::new(Language::En);
        let ff = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(device_label(t, Some(ff)), "Firefox on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        assert_eq!(device_label(t, Some(chrome)), "Chrome on Windows");
        assert_eq!(device_label(t, Some("curl/8.5.0")), "curl");
        assert_eq!(device_label(t, None), t.get("sessions.unknown_device"));
    }
}
