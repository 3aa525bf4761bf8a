//! The app: building the state, the middleware stack and the route table.
//! Every route of Tribu is listed here, in [`routes`].

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::{from_fn, Condition};
use actix_web::web::{self, delete, get, patch, post, put};
use actix_web::{App, HttpServer};
use tokio::sync::Notify;

use crate::auth::crypto::JwtKeys;
use crate::config::Config;
use crate::notify::mail::Mailer;
use crate::notify::worker::Worker;
use crate::state::AppState;
use crate::{
    api, auth, challenges, db, frontend, health, judging, money, openapi, orgs, payouts,
    submissions, web as w,
};

/// Builds the shared state: connects, migrates, loads the signing secret.
pub fn build_state(config: Config) -> anyhow::Result<AppState> {
    config.validate()?;
    let trusted_proxies = config.trusted_proxy_nets()?;
    let pool = db::connect(config.database_url.expose(), config.db_pool_size)?;
    {
        let mut conn = pool.get()?;
        let applied = db::migrate(&mut conn)?;
        if !applied.is_empty() {
            tracing::info!(?applied, "migrations applied");
        }
    }
    let secret = config.signing_secret()?;
    let jwt = JwtKeys::new(secret.expose().as_bytes(), config.access_token_ttl);
    let blobs =
        crate::submissions::blobs::Blobs::from_config(&config).map_err(anyhow::Error::msg)?;
    let payments = crate::money::provider::from_config(&config)?;
    Ok(AppState {
        link_secret: Arc::new(secret.expose().as_bytes().to_vec()),
        blobs,
        payments,
        trusted_proxies: Arc::new(trusted_proxies),
        pool,
        config: Arc::new(config),
        jwt: Arc::new(jwt),
        wake: Arc::new(Notify::new()),
        cache: Arc::default(),
    })
}

/// The outbox worker for this state.
pub fn worker(state: &AppState) -> anyhow::Result<Worker> {
    let mailer = Mailer::from_config(&state.config).map_err(anyhow::Error::msg)?;
    Ok(Worker {
        pool: state.pool.clone(),
        mailer: Arc::new(mailer),
        from: state.config.mail_from.clone(),
        wake: state.wake.clone(),
        state: state.clone(),
        poll: Duration::from_millis(state.config.worker_poll_ms.max(50)),
        blobs: state.blobs.clone(),
    })
}

/// A bound, not yet running HTTP server.
pub struct Running {
    pub server: actix_web::dev::Server,
    pub port: u16,
}

/// Binds `listener` and builds the HTTP server around `state`.
pub fn http_server(state: AppState, listener: TcpListener) -> anyhow::Result<Running> {
    let port = listener.local_addr()?.port();
    let workers = match state.config.http_workers {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
        n => n,
    };
    // Each worker's blocking pool runs the database work: more threads than
    // pooled connections only park on the pool (64 connections made 64
    // threads fight over 8 connections), so at most its share of the pool,
    // plus one for the hashing of passwords.
    let blocking = (state.config.db_pool_size as usize / workers).max(1) + 1;
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let cors_origins = data.config.cors_origin_list();
        let mut cors = actix_cors::Cors::default()
            .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
            .allowed_headers([
                "authorization",
                "content-type",
                "idempotency-key",
                "x-request-id",
            ])
            .expose_headers(["x-request-id", "retry-after"])
            .max_age(3600);
        for o in &cors_origins {
            cors = cors.allowed_origin(o);
        }
        App::new()
            .app_data(data.clone())
            .app_data(api::json_config())
            .app_data(api::query_config())
            .app_data(api::path_config())
            .app_data(api::form_config())
            .configure(routes)
            .wrap(Condition::new(!cors_origins.is_empty(), cors))
            .wrap(w::security_headers())
            .wrap(from_fn(w::request_id))
    })
    .workers(workers)
    .worker_max_blocking_threads(blocking)
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(Running { server, port })
}

/// A resource whose unsupported methods answer 405 as problem+json.
fn r(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(w::api_method_not_allowed))
}

mod page_routes;
pub use page_routes::page_routes;

/// Every route. API routes live between the markers: a test reads them and
/// checks the OpenAPI document lists exactly these.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(get().to(health::healthz)))
        .service(web::resource("/readyz").route(get().to(health::readyz)));
    cfg.service(
        web::scope("/api/v1")
            // Innermost: a cached answer skips nothing but the handler.
            .wrap(from_fn(crate::cache::middleware))
            .wrap(from_fn(crate::idempotency::middleware))
            .wrap(from_fn(w::api_problems))
            // API ROUTES BEGIN
            .service(r("/openapi.json").route(get().to(openapi::spec)))
            .service(r("/auth/register").route(post().to(auth::api::register)))
            .service(r("/auth/verify-email").route(post().to(auth::api::verify_email)))
            .service(
                r("/auth/verify-email/resend").route(post().to(auth::api::resend_verification)),
            )
            .service(r("/auth/login").route(post().to(auth::api::login)))
            .service(r("/auth/refresh").route(post().to(auth::api::refresh)))
            .service(r("/auth/logout").route(post().to(auth::api::logout)))
            .service(r("/auth/password-reset").route(post().to(auth::api::password_reset)))
            .service(
                r("/auth/password-reset/confirm")
                    .route(post().to(auth::api::password_reset_confirm)),
            )
            .service(
                r("/me")
                    .route(get().to(auth::api::me))
                    .route(patch().to(auth::api::update_me)),
            )
            .service(r("/me/password").route(post().to(auth::api::change_password)))
            .service(r("/me/sessions").route(get().to(auth::api::sessions)))
            .service(r("/me/notifications").route(get().to(crate::notify::api::list)))
            .service(r("/me/export").route(get().to(crate::privacy::api::export)))
            .service(
                r("/challenges/{id}/registrants.csv")
                    .route(get().to(challenges::api::registrants_csv)),
            )
            .service(
                r("/challenges/{id}/entries.csv").route(get().to(challenges::api::entries_csv)),
            )
            .service(r("/me/delete").route(post().to(crate::privacy::api::delete)))
            .service(
                r("/orgs/{slug}/webhooks")
                    .route(get().to(crate::webhooks::api::list))
                    .route(post().to(crate::webhooks::api::create)),
            )
            .service(
                r("/orgs/{slug}/webhooks/{id}").route(delete().to(crate::webhooks::api::remove)),
            )
            .service(
                r("/orgs/{slug}/webhooks/{id}/enable")
                    .route(post().to(crate::webhooks::api::enable)),
            )
            .service(
                r("/orgs/{slug}/webhooks/{id}/disable")
                    .route(post().to(crate::webhooks::api::disable)),
            )
            .service(
                r("/orgs/{slug}/webhooks/{id}/deliveries")
                    .route(get().to(crate::webhooks::api::deliveries)),
            )
            .service(
                r("/orgs/{slug}/webhooks/{id}/deliveries/{delivery_id}/redeliver")
                    .route(post().to(crate::webhooks::api::redeliver)),
            )
            .service(r("/me/follows").route(get().to(crate::notify::api::follows)))
            .service(
                r("/me/follows/{target_type}/{target}")
                    .route(put().to(crate::notify::api::follow))
                    .route(delete().to(crate::notify::api::unfollow)),
            )
            .service(r("/me/notifications/read").route(post().to(crate::notify::api::read_all)))
            .service(
                r("/me/notifications/{id}/read").route(post().to(crate::notify::api::read_one)),
            )
            .service(
                r("/me/notification-preferences")
                    .route(get().to(crate::notify::api::preferences))
                    .route(put().to(crate::notify::api::set_preferences)),
            )
            .service(r("/me/sessions/{id}").route(delete().to(auth::api::revoke_session)))
            .service(r("/me/orgs").route(get().to(orgs::api::mine)))
            .service(r("/orgs").route(post().to(orgs::api::create)))
            .service(r("/orgs/{slug}").route(get().to(orgs::api::show)))
            .service(
                r("/orgs/{slug}/members")
                    .route(get().to(orgs::api::members))
                    .route(post().to(orgs::api::invite)),
            )
            .service(
                r("/orgs/{slug}/members/{user_id}")
                    .route(patch().to(orgs::api::set_role))
                    .route(delete().to(orgs::api::remove_member)),
            )
            .service(
                r("/orgs/{slug}/invitations/{id}").route(delete().to(orgs::api::revoke_invitation)),
            )
            .service(
                r("/orgs/{slug}/api-keys")
                    .route(get().to(orgs::api::list_keys))
                    .route(post().to(orgs::api::create_key)),
            )
            .service(r("/orgs/{slug}/api-keys/{id}").route(delete().to(orgs::api::revoke_key)))
            .service(r("/orgs/{slug}/audit").route(get().to(orgs::api::audit_log)))
            .service(r("/invitations/accept").route(post().to(orgs::api::accept)))
            .service(r("/admin/users").route(get().to(auth::api::find_users)))
            .service(r("/admin/users/{id}/suspend").route(post().to(auth::api::suspend)))
            .service(r("/admin/users/{id}/reinstate").route(post().to(auth::api::reinstate)))
            .service(
                r("/challenges")
                    .route(get().to(challenges::api::list))
                    .route(post().to(challenges::api::create)),
            )
            .service(
                r("/challenges/{id}")
                    .route(get().to(challenges::api::show))
                    .route(patch().to(challenges::api::update)),
            )
            .service(r("/challenges/{id}/publish").route(post().to(challenges::api::publish)))
            .service(r("/challenges/{id}/cancel").route(post().to(challenges::api::cancel)))
            .service(r("/challenges/{id}/escrow").route(get().to(challenges::api::escrow)))
            .service(
                r("/challenges/{id}/funding").route(post().to(challenges::api::request_funding)),
            )
            .service(r("/challenges/{id}/fundings").route(get().to(challenges::api::fundings)))
            .service(r("/challenges/{id}/rules").route(post().to(challenges::api::new_rules)))
            .service(
                r("/challenges/{id}/registrations")
                    .route(get().to(challenges::api::registrants))
                    .route(post().to(challenges::api::register)),
            )
            .service(
                r("/challenges/{id}/questions")
                    .route(get().to(challenges::api::questions))
                    .route(post().to(challenges::api::ask)),
            )
            .service(
                r("/challenges/{id}/announcements")
                    .route(get().to(challenges::api::announcements))
                    .route(post().to(challenges::api::announce)),
            )
            .service(r("/challenges/{id}/audit").route(get().to(challenges::api::audit_trail)))
            .service(r("/questions/{id}/answer").route(post().to(challenges::api::answer)))
            .service(r("/me/registrations").route(get().to(challenges::api::my_registrations)))
            .service(r("/orgs/{slug}/challenges").route(get().to(challenges::api::of_org)))
            .service(r("/orgs/{slug}/profile").route(get().to(challenges::api::org_profile)))
            .service(r("/solvers/{id}").route(get().to(submissions::api::solver_profile)))
            .service(
                r("/challenges/{id}/resources")
                    .route(get().to(challenges::api::resources))
                    .route(post().to(challenges::api::add_resource)),
            )
            .service(
                r("/challenges/{id}/resources/{resource_id}")
                    .route(get().to(challenges::api::download_resource))
                    .route(delete().to(challenges::api::remove_resource)),
            )
            .service(r("/challenges/{id}/cover").route(put().to(challenges::api::set_cover)))
            .service(r("/admin/fundings").route(get().to(challenges::api::pending_fundings)))
            .service(r("/admin/payouts").route(get().to(payouts::api::admin_payouts)))
            .service(r("/admin/payouts.csv").route(get().to(payouts::api::admin_csv)))
            .service(r("/admin/payouts/{id}/paid").route(post().to(payouts::api::payout_paid)))
            .service(r("/admin/payouts/{id}/failed").route(post().to(payouts::api::payout_failed)))
            .service(r("/admin/payouts/{id}/retry").route(post().to(payouts::api::retry_payout)))
            .service(r("/admin/refunds").route(get().to(payouts::api::admin_refunds)))
            .service(r("/admin/money/report").route(get().to(money::api::report)))
            .service(r("/admin/refunds/{id}/paid").route(post().to(payouts::api::refund_paid)))
            .service(r("/admin/refunds/{id}/failed").route(post().to(payouts::api::refund_failed)))
            .service(r("/admin/refunds/{id}/retry").route(post().to(payouts::api::retry_refund)))
            .service(r("/me/payouts").route(get().to(payouts::api::mine)))
            .service(r("/me/payouts/onboarding").route(post().to(payouts::api::onboarding)))
            .service(r("/webhooks/stripe").route(post().to(payouts::api::stripe_webhook)))
            .service(r("/challenges/{id}/payouts").route(get().to(payouts::api::of_challenge)))
            .service(
                r("/admin/fundings/{id}/confirm")
                    .route(post().to(challenges::api::confirm_funding)),
            )
            .service(r("/admin/reviews").route(get().to(challenges::api::reviews)))
            .service(r("/admin/reviews/{id}/approve").route(post().to(challenges::api::approve)))
            .service(
                r("/admin/reviews/{id}/request-changes")
                    .route(post().to(challenges::api::request_changes)),
            )
            .service(
                r("/admin/settings")
                    .route(get().to(challenges::api::settings))
                    .route(put().to(challenges::api::put_settings)),
            )
            .service(
                r("/challenges/{id}/submissions")
                    .route(get().to(submissions::api::list))
                    .route(post().to(submissions::api::create)),
            )
            .service(
                r("/submissions/{id}")
                    .route(get().to(submissions::api::show))
                    .route(patch().to(submissions::api::update)),
            )
            .service(r("/submissions/{id}/revisions").route(get().to(submissions::api::revisions)))
            .service(r("/submissions/{id}/attachments").route(post().to(submissions::api::upload)))
            .service(
                r("/submissions/{id}/attachments/{attachment_id}")
                    .route(get().to(submissions::api::download)),
            )
            .service(
                r("/submissions/{id}/withdraw")
                    .route(post().to(submissions::api::withdraw))
                    .route(delete().to(submissions::api::keep)),
            )
            .service(
                r("/submissions/{id}/team/rules").route(put().to(submissions::api::team_rules)),
            )
            .service(
                r("/submissions/{id}/disqualify").route(post().to(submissions::api::disqualify)),
            )
            .service(
                r("/submissions/{id}/team/invitations").route(post().to(submissions::api::invite)),
            )
            .service(
                r("/submissions/{id}/team/invitations/{invitation_id}")
                    .route(delete().to(submissions::api::cancel_invitation)),
            )
            .service(
                r("/submissions/{id}/team/members/{user_id}")
                    .route(patch().to(submissions::api::update_member))
                    .route(delete().to(submissions::api::remove_member)),
            )
            .service(
                r("/submissions/{id}/team/shares")
                    .route(post().to(submissions::api::propose_shares)),
            )
            .service(
                r("/submissions/{id}/team/shares/approve")
                    .route(post().to(submissions::api::approve_shares)),
            )
            .service(r("/team-invitations/accept").route(post().to(submissions::api::accept)))
            .service(r("/team-invitations/decline").route(post().to(submissions::api::decline)))
            .service(r("/me/submissions").route(get().to(submissions::api::mine)))
            .service(r("/me/team-invitations").route(get().to(submissions::api::my_invitations)))
            .service(r("/solutions").route(get().to(submissions::api::gallery)))
            .service(
                r("/challenges/{id}/judges")
                    .route(get().to(judging::api::list_judges))
                    .route(post().to(judging::api::invite_judge)),
            )
            .service(
                r("/challenges/{id}/judges/{judge_id}")
                    .route(delete().to(judging::api::remove_judge)),
            )
            .service(
                r("/judge-invitations/accept").route(post().to(judging::api::accept_invitation)),
            )
            .service(
                r("/judge-invitations/decline").route(post().to(judging::api::decline_invitation)),
            )
            .service(r("/me/judge-invitations").route(get().to(judging::api::my_invitations)))
            .service(
                r("/challenges/{id}/rounds")
                    .route(get().to(judging::api::list_rounds))
                    .route(post().to(judging::api::create_round)),
            )
            .service(
                r("/rounds/{id}")
                    .route(get().to(judging::api::show_round))
                    .route(patch().to(judging::api::update_round)),
            )
            .service(r("/rounds/{id}/open").route(post().to(judging::api::open_round)))
            .service(r("/rounds/{id}/assignments").route(post().to(judging::api::assign)))
            .service(
                r("/rounds/{id}/assignments/{judge_id}/{submission_id}")
                    .route(delete().to(judging::api::unassign)),
            )
            .service(r("/rounds/{id}/close").route(post().to(judging::api::close_round)))
            .service(r("/rounds/{id}/conflicts").route(post().to(judging::api::declare_conflict)))
            .service(r("/rounds/{id}/entries").route(get().to(judging::api::round_entries)))
            .service(r("/rounds/{id}/leaderboard").route(get().to(judging::api::leaderboard)))
            .service(
                r("/rounds/{id}/leaderboard.csv").route(get().to(judging::api::leaderboard_csv)),
            )
            .service(r("/rounds/{id}/scorecards.csv").route(get().to(judging::api::scorecards_csv)))
            .service(r("/me/assignments").route(get().to(judging::api::my_assignments)))
            .service(r("/assignments/{id}").route(get().to(judging::api::show_assignment)))
            .service(r("/assignments/{id}/scorecard").route(put().to(judging::api::save_scorecard)))
            .service(
                r("/assignments/{id}/files/{index}").route(get().to(judging::api::judged_file)),
            )
            .service(
                r("/challenges/{id}/results")
                    .route(get().to(judging::api::show_results))
                    .route(post().to(judging::api::publish_results)),
            )
            // API ROUTES END
            .default_service(web::to(w::api_not_found)),
    );
    cfg.service(web::resource("/feeds/challenges.atom").route(get().to(challenges::feeds::atom)));
    cfg.service(
        web::resource("/challenges/{slug}/cover")
            .route(get().to(challenges::pages::public::cover::cover)),
    );
    cfg.service(
        web::resource("/challenges/{slug}/calendar.ics")
            .route(get().to(challenges::feeds::calendar)),
    );
    cfg.service(web::resource("/static/{file:.*}").route(get().to(frontend::static_file)));
    // One-click unsubscribe: the signed link is the authority (mail clients
    // POST it without a session, RFC 8058), so it stands outside the CSRF
    // check of the pages.
    cfg.service(
        web::resource("/unsubscribe")
            .route(get().to(crate::notify::pages::unsubscribe_form))
            .route(post().to(crate::notify::pages::unsubscribe)),
    );
    // Pages: the session middleware refreshes cookies and hands out CSRF tokens.
    cfg.service(
        web::scope("")
            // Outermost first: the session (refresh, CSRF cookie), then
            // HTML error pages, then the CSRF check of unsafe methods, then
            // the cache of anonymous reads (which needs the CSRF token the
            // session handed out).
            .wrap(from_fn(crate::cache::middleware))
            .wrap(from_fn(frontend::csrf::protect))
            .wrap(from_fn(frontend::page_errors))
            .wrap(from_fn(frontend::session::page_session))
            .configure(page_routes)
            .default_service(web::to(frontend::not_found)),
    );
}
