//! Account flows shared by the JSON API and the pages.

use chrono::Duration;

use super::crypto::{hash_password, verify_dummy, verify_password};
use super::model::{self, check_password, parse_display_name, Email, Language, Throttle};
use super::store::{self, purpose, NewUser, User};
use crate::audit::{self, Actor, Entry};
use crate::db::{now, DbConnection};
use crate::error::{AppError, AppResult, FieldError};
use crate::notify::mail::EmailKind;
use crate::state::AppState;

/// Verification links live this long.
const VERIFY_TTL_HOURS: i64 = 48;
/// Password reset links live this long.
const RESET_TTL_MINUTES: i64 = 60;

/// Fields of a registration.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub language: Option<String>,
}

fn collect(errors: Vec<FieldError>) -> AppResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// A language code as the API takes it: exactly `en` or `fr` (the enum the
/// OpenAPI document lists); headers go through the lenient
/// [`Language::parse`].
fn parse_language(field: &str, raw: &str) -> Result<Language, FieldError> {
    Language::ALL
        .into_iter()
        .find(|l| l.code() == raw)
        .ok_or_else(|| {
            FieldError::new(
                field,
                "invalid_language",
                "Choose English (en) or French (fr).",
            )
        })
}

/// Queues an email for `user` in their language.
fn send(conn: &mut DbConnection, user: &User, kind: EmailKind) -> AppResult<()> {
    crate::notify::queue_for_user(conn, user, &kind)
}

/// Whether another link of `purpose` may be mailed to this account now
/// ([`model::MAX_LINKS_PER_HOUR`]).
fn link_quota_left(conn: &mut DbConnection, user: &User, purpose: &str) -> AppResult<bool> {
    let at = now();
    let sent = store::email_tokens_since(conn, &user.id, purpose, at - Duration::hours(1))?;
    let left =
        model::window_wait(at, &sent, model::MAX_LINKS_PER_HOUR, Duration::hours(1)).is_none();
    if !left {
        tracing::warn!(user = %user.id, purpose, "link not mailed: hourly limit reached");
    }
    Ok(left)
}

fn queue_verification(state: &AppState, conn: &mut DbConnection, user: &User) -> AppResult<()> {
    let token = store::create_email_token(
        conn,
        &user.id,
        purpose::VERIFY_EMAIL,
        Duration::hours(VERIFY_TTL_HOURS),
        now(),
    )?;
    let url = state.url(&format!("/verify-email?token={token}"));
    send(conn, user, EmailKind::VerifyEmail { url })
}

/// Creates an account and queues its verification email.
pub async fn register(
    state: &AppState,
    r: Registration,
    fallback_lang: Language,
) -> AppResult<User> {
    let mut errors = Vec::new();
    let email = Email::parse("email", &r.email)
        .map_err(|e| errors.push(e))
        .ok();
    let name = parse_display_name("display_name", &r.display_name)
        .map_err(|e| errors.push(e))
        .ok();
    let _ = check_password("password", &r.password).map_err(|e| errors.push(e));
    let lang = match r.language.as_deref() {
        Some(l) => parse_language("language", l)
            .map_err(|e| errors.push(e))
            .ok(),
        None => Some(fallback_lang),
    };
    collect(errors)?;
    let (Some(email), Some(name), Some(lang)) = (email, name, lang) else {
        return Err(AppError::internal("validated fields missing"));
    };
    let password = r.password;
    let hash = state
        .cpu(move || hash_password(&password))
        .await?
        .map_err(AppError::internal)?;
    let st = state.clone();
    let user = state
        .tx(move |c| {
            let user = store::create_user(
                c,
                NewUser {
                    email: email.as_str(),
                    display_name: &name,
                    password_hash: &hash,
                    language: lang.code(),
                    verified: false,
                    platform_admin: false,
                },
                now(),
            )?;
            queue_verification(&st, c, &user)?;
            audit::record(
                c,
                Entry {
                    actor: &Actor::user(&user.id),
                    org_id: None,
                    action: "user.registered",
                    subject_type: "user",
                    subject_id: &user.id,
                    data: serde_json::json!({}),
                },
            )?;
            Ok(user)
        })
        .await?;
    state.wake_worker();
    Ok(user)
}

/// Sends a new verification link if the account exists and is unverified.
/// Answers the same either way, so it tells nobody which emails exist.
pub async fn resend_verification(state: &AppState, email: &str) -> AppResult<()> {
    let Ok(email) = Email::parse("email", email) else {
        return Ok(());
    };
    let st = state.clone();
    let sent = state
        .tx(
            move |c| match store::find_user_by_email(c, email.as_str())? {
                Some(u) if u.email_verified_at.is_none() => {
                    if !link_quota_left(c, &u, purpose::VERIFY_EMAIL)? {
                        return Ok(false);
                    }
                    queue_verification(&st, c, &u)?;
                    Ok(true)
                }
                _ => Ok(false),
            },
        )
        .await?;
    if sent {
        state.wake_worker();
    }
    Ok(())
}

/// Marks the email of the token's account verified.
pub async fn verify_email(state: &AppState, token: String) -> AppResult<User> {
    state
        .tx(move |c| {
            let user_id = store::consume_email_token(c, purpose::VERIFY_EMAIL, &token, now())?
                .ok_or_else(|| {
                    AppError::bad_request("invalid_token", "This link is invalid or has expired.")
                })?;
            store::mark_verified(c, &user_id, now())?;
            audit::record(
                c,
                Entry {
                    actor: &Actor::user(&user_id),
                    org_id: None,
                    action: "user.email_verified",
                    subject_type: "user",
                    subject_id: &user_id,
                    data: serde_json::json!({}),
                },
            )?;
            Ok(store::find_user(c, &user_id)?)
        })
        .await
}

/// A fresh pair of tokens.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
    pub session_id: String,
}

/// Login attempt details.
pub struct Login {
    pub email: String,
    pub password: String,
    pub ip: String,
    pub user_agent: Option<String>,
}

/// Checks credentials under the throttle and starts a session. The check
/// and the record of the attempt are one transaction (serialised per account
/// and address), and the attempt counts as failed until the password proves
/// right, so parallel guesses cannot slip past the count.
pub async fn login(state: &AppState, l: Login) -> AppResult<(User, Tokens)> {
    let email = l.email.trim().to_lowercase();
    let (e2, ip2, max_ip) = (
        email.clone(),
        l.ip.clone(),
        state.config.login_max_failures_per_ip,
    );
    let attempt = state
        .tx(move |c| {
            crate::db::lock_keys(
                c,
                &[&format!("login:email:{e2}"), &format!("login:ip:{ip2}")],
            )?;
            let at = now();
            let since = at - Duration::minutes(model::THROTTLE_WINDOW_MINUTES);
            let (acct, by_ip) = store::recent_failures(c, &e2, &ip2, since)?;
            if let Throttle::Wait { retry_after_secs } = model::throttle(at, &acct, &by_ip, max_ip)
            {
                return Err(AppError::TooManyRequests { retry_after_secs });
            }
            Ok(store::record_login_attempt(c, &e2, &ip2, false, at)?)
        })
        .await;
    let attempt = match attempt {
        Err(AppError::TooManyRequests { retry_after_secs }) => {
            // Never log the password; the email and IP are what an operator needs.
            tracing::warn!(email = %email, ip = %l.ip, retry_after_secs, "login throttled");
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
        other => other?,
    };
    let e3 = email.clone();
    let user = state
        .db(move |c| Ok(store::find_user_by_email(c, &e3)?))
        .await?;
    let password = l.password;
    let ok = match &user {
        Some(u) => {
            let hash = u.password_hash.clone();
            state.cpu(move || verify_password(&hash, &password)).await?
        }
        None => {
            state.cpu(move || verify_dummy(&password)).await?;
            false
        }
    };
    if ok {
        state
            .db(move |c| Ok(store::mark_login_succeeded(c, &attempt)?))
            .await?;
    }
    let user = match (ok, user) {
        (true, Some(u)) => u,
        _ => {
            tracing::info!(email = %email, ip = %l.ip, "login failed");
            return Err(AppError::Unauthorized("invalid_credentials"));
        }
    };
    if user.suspended_at.is_some() {
        return Err(AppError::Forbidden("account_suspended"));
    }
    if user.email_verified_at.is_none() {
        return Err(AppError::Forbidden("email_unverified"));
    }
    let ttl = Duration::days(state.config.session_ttl_days);
    let (uid, ua, ip) = (user.id.clone(), l.user_agent, l.ip);
    let (sid, refresh) = state
        .tx(move |c| {
            let s = store::create_session(c, &uid, ua.as_deref(), Some(&ip), ttl, now())?;
            audit::record(
                c,
                Entry {
                    actor: &Actor::user(&uid),
                    org_id: None,
                    action: "session.created",
                    subject_type: "session",
                    subject_id: &s.0,
                    data: serde_json::json!({ "ip": ip }),
                },
            )?;
            Ok(s)
        })
        .await?;
    let (access, expires_in) = state
        .jwt
        .issue(&user.id, &sid)
        .map_err(AppError::internal)?;
    Ok((
        user,
        Tokens {
            access_token: access,
            expires_in,
            refresh_token: refresh,
            session_id: sid,
        },
    ))
}

/// Rotates a refresh token into a new pair.
pub async fn refresh(state: &AppState, token: String, grace_secs: i64) -> AppResult<Tokens> {
    let r = state
        .tx(move |c| store::rotate_refresh(c, &token, grace_secs, now()))
        .await;
    let r = match r? {
        store::RotateOutcome::Rotated(r) => r,
        store::RotateOutcome::Reused => return Err(AppError::Unauthorized("refresh_token_reused")),
    };
    let (access, expires_in) = state
        .jwt
        .issue(&r.user_id, &r.session_id)
        .map_err(AppError::internal)?;
    Ok(Tokens {
        access_token: access,
        expires_in,
        refresh_token: r.refresh_token,
        session_id: r.session_id,
    })
}

/// Ends a session.
pub async fn logout(state: &AppState, user_id: String, session_id: String) -> AppResult<()> {
    state
        .tx(move |c| {
            if store::revoke_session(c, &session_id, "logout", now())? > 0 {
                audit::record(
                    c,
                    Entry {
                        actor: &Actor::user(&user_id),
                        org_id: None,
                        action: "session.revoked",
                        subject_type: "session",
                        subject_id: &session_id,
                        data: serde_json::json!({ "reason": "logout" }),
                    },
                )?;
            }
            Ok(())
        })
        .await
}

/// Ends the session a refresh token belongs to (logout without an access token).
pub async fn logout_by_refresh(state: &AppState, token: String) -> AppResult<()> {
    let found = state
        .db(move |c| Ok(store::session_of_refresh(c, &token)?))
        .await?;
    if let Some((sid, uid)) = found {
        logout(state, uid, sid).await?;
    }
    Ok(())
}

/// Revokes one session of the user (from the sessions page or API).
pub async fn revoke_own_session(
    state: &AppState,
    user_id: String,
    session_id: String,
) -> AppResult<()> {
    let uid = user_id.clone();
    let sid = session_id.clone();
    let owned = state
        .db(move |c| {
            Ok(store::list_sessions(c, &uid, now())?
                .iter()
                .any(|s| s.id == sid))
        })
        .await?;
    if !owned {
        return Err(AppError::NotFound);
    }
    logout(state, user_id, session_id).await
}

/// Queues a reset link if the account exists; answers the same either way.
pub async fn request_password_reset(state: &AppState, email: &str) -> AppResult<()> {
    let Ok(email) = Email::parse("email", email) else {
        return Ok(());
    };
    let st = state.clone();
    let sent = state
        .tx(move |c| {
            let Some(user) = store::find_user_by_email(c, email.as_str())? else {
                return Ok(false);
            };
            if !link_quota_left(c, &user, purpose::PASSWORD_RESET)? {
                return Ok(false);
            }
            let token = store::create_email_token(
                c,
                &user.id,
                purpose::PASSWORD_RESET,
                Duration::minutes(RESET_TTL_MINUTES),
                now(),
            )?;
            let url = st.url(&format!("/reset-password?token={token}"));
            send(c, &user, EmailKind::PasswordReset { url })?;
            Ok(true)
        })
        .await?;
    if sent {
        state.wake_worker();
    }
    Ok(())
}

/// Sets a new password from a reset link; every session of the account ends.
pub async fn confirm_password_reset(
    state: &AppState,
    token: String,
    new_password: String,
) -> AppResult<()> {
    collect(
        check_password("new_password", &new_password)
            .err()
            .into_iter()
            .collect(),
    )?;
    let hash = state
        .cpu(move || hash_password(&new_password))
        .await?
        .map_err(AppError::internal)?;
    state
        .tx(move |c| {
            let user_id = store::consume_email_token(c, purpose::PASSWORD_RESET, &token, now())?
                .ok_or_else(|| {
                    AppError::bad_request("invalid_token", "This link is invalid or has expired.")
                })?;
            store::set_password(c, &user_id, &hash, now())?;
            // Following the link proves the mailbox is theirs.
            store::mark_verified(c, &user_id, now())?;
            // Every other reset or verification link mailed before ends here.
            store::invalidate_email_tokens(
                c,
                &user_id,
                &[purpose::PASSWORD_RESET, purpose::VERIFY_EMAIL],
                now(),
            )?;
            store::revoke_sessions_except(c, &user_id, None, "password_reset", now())?;
            let user = store::find_user(c, &user_id)?;
            send(c, &user, EmailKind::PasswordChanged)?;
            audit::record(
                c,
                Entry {
                    actor: &Actor::user(&user_id),
                    org_id: None,
                    action: "user.password_reset",
                    subject_type: "user",
                    subject_id: &user_id,
                    data: serde_json::json!({}),
                },
            )?;
            Ok(())
        })
        .await?;
    state.wake_worker();
    Ok(())
}

/// Changes the password of a signed-in user; every other session ends.
pub async fn change_password(
    state: &AppState,
    user: &User,
    keep_session: String,
    current: String,
    new_password: String,
) -> AppResult<()> {
    collect(
        check_password("new_password", &new_password)
            .err()
            .into_iter()
            .collect(),
    )?;
    let hash = user.password_hash.clone();
    if !state.cpu(move || verify_password(&hash, &current)).await? {
        return Err(AppError::field(
            "current_password",
            "incorrect",
            "The current password is not correct.",
        ));
    }
    let new_hash = state
        .cpu(move || hash_password(&new_password))
        .await?
        .map_err(AppError::internal)?;
    let user = user.clone();
    state
        .tx(move |c| {
            store::set_password(c, &user.id, &new_hash, now())?;
            store::invalidate_email_tokens(
                c,
                &user.id,
                &[purpose::PASSWORD_RESET, purpose::VERIFY_EMAIL],
                now(),
            )?;
            let n = store::revoke_sessions_except(
                c,
                &user.id,
                Some(&keep_session),
                "password_changed",
                now(),
            )?;
            send(c, &user, EmailKind::PasswordChanged)?;
            audit::record(
                c,
                Entry {
                    actor: &Actor::user(&user.id),
                    org_id: None,
                    action: "user.password_changed",
                    subject_type: "user",
                    subject_id: &user.id,
                    data: serde_json::json!({ "sessions_revoked": n }),
                },
            )?;
            Ok(())
        })
        .await?;
    state.wake_worker();
    Ok(())
}

/// Changes display name and/or language.
pub async fn update_profile(
    state: &AppState,
    user_id: String,
    display_name: Option<String>,
    language: Option<String>,
    public_profile: Option<bool>,
) -> AppResult<User> {
    let mut errors = Vec::new();
    let name = display_name
        .as_deref()
        .map(|n| parse_display_name("display_name", n))
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let lang = language
        .as_deref()
        .map(|l| parse_language("language", l))
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    collect(errors)?;
    state
        .tx(move |c| {
            store::update_profile(c, &user_id, name.as_deref(), lang.map(|l| l.code()), now())?;
            if let Some(on) = public_profile {
                store::set_public_profile(c, &user_id, on, now())?;
            }
            audit::record(c, Entry {
                actor: &Actor::user(&user_id),
                org_id: None,
                action: "user.profile_updated",
                subject_type: "user",
                subject_id: &user_id,
                data: serde_json::json!({ "display_name": name, "language": lang.map(|l| l.code()), "public_profile": public_profile }),
            })?;
            Ok(store::find_user(c, &user_id)?)
        })
        .await
}

/// Creates a verified platform admin, or promotes an existing account (CLI).
pub fn create_admin(
    conn: &mut DbConnection,
    email: &str,
    name: &str,
    password: Option<&str>,
) -> AppResult<(User, bool)> {
    let email = Email::parse("email", email).map_err(|e| AppError::Validation(vec![e]))?;
    crate::db::write_tx(conn, |c| {
        if let Some(u) = store::find_user_by_email(c, email.as_str())? {
            store::set_platform_admin(c, &u.id, true, now())?;
            store::mark_verified(c, &u.id, now())?;
            audit::record(
                c,
                Entry {
                    actor: &Actor::default(),
                    org_id: None,
                    action: "user.promoted_admin",
                    subject_type: "user",
                    subject_id: &u.id,
                    data: serde_json::json!({ "via": "cli" }),
                },
            )?;
            return Ok((store::find_user(c, &u.id)?, false));
        }
        let password = password.ok_or_else(|| {
            AppError::field("password", "required", "A new admin needs a password.")
        })?;
        check_password("password", password).map_err(|e| AppError::Validation(vec![e]))?;
        let name = parse_display_name("name", name).map_err(|e| AppError::Validation(vec![e]))?;
        let hash = hash_password(password).map_err(AppError::internal)?;
        let user = store::create_user(
            c,
            NewUser {
                email: email.as_str(),
                display_name: &name,
                password_hash: &hash,
                language: "en",
                verified: true,
                platform_admin: true,
            },
            now(),
        )?;
        audit::record(
            c,
            Entry {
                actor: &Actor::default(),
                org_id: None,
                action: "user.created_admin",
                subject_type: "user",
                subject_id: &user.id,
                data: serde_json::json!({ "via": "cli" }),
            },
        )?;
        Ok((user, true))
    })
}

/// Suspends an account (every session ends) or reinstates it. Platform admins only.
pub async fn set_suspended(
    state: &AppState,
    admin: &User,
    user_id: String,
    suspended: bool,
) -> AppResult<User> {
    if admin.id == user_id && suspended {
        return Err(AppError::conflict(
            "cannot_suspend_self",
            "You cannot suspend your own account.",
        ));
    }
    let admin_id = admin.id.clone();
    state
        .tx(move |c| {
            let user = store::find_user(c, &user_id)?;
            store::set_suspended(c, &user.id, suspended, now())?;
            if suspended {
                store::revoke_sessions_except(c, &user.id, None, "suspended", now())?;
                crate::orgs::service::revoke_keys_of(
                    c,
                    &Actor::user(&admin_id),
                    &user.id,
                    None,
                    "creator_suspended",
                )?;
            }
            audit::record(
                c,
                Entry {
                    actor: &Actor::user(&admin_id),
                    org_id: None,
                    action: if suspended {
                        "user.suspended"
                    } else {
                        "user.reinstated"
                    },
                    subject_type: "user",
                    subject_id: &user.id,
                    data: serde_json::json!({}),
                },
            )?;
            Ok(store::find_user(c, &user.id)?)
        })
        .await
}
