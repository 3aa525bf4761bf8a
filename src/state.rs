//! The shared state of a running app, and the one way handlers reach the
//! database: off the async threads, through the pool.

use std::sync::Arc;

use actix_web::web;
use tokio::sync::Notify;

use crate::auth::crypto::JwtKeys;
use crate::config::Config;
use crate::db::{write_tx, DbConnection, Pool};
use crate::error::{AppError, AppResult};

/// Everything a handler may need.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    /// Wakes the worker when a change wrote to the outbox.
    pub wake: Arc<Notify>,
    /// Where attachment bytes are kept.
    pub blobs: crate::submissions::blobs::Blobs,
    /// Reverse proxies whose `X-Forwarded-For` is believed (parsed once).
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// The payment provider that moves money (`TRIBU_PAYMENT_PROVIDER`).
    pub payments: Arc<dyn crate::money::provider::PaymentProvider>,
    /// Signs links that act without a session (one-click unsubscribe): the
    /// signing secret, used with a purpose prefix of its own.
    pub link_secret: Arc<Vec<u8>>,
    /// Answers to anonymous reads (see [`crate::cache`]).
    pub cache: Arc<crate::cache::PublicCache>,
}

impl AppState {
    /// Runs `f` on a pooled connection in the blocking thread pool.
    pub async fn db<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Like [`AppState::db`], inside a write transaction (immediate on SQLite).
    pub async fn tx<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db(move |conn| write_tx(conn, f)).await
    }

    /// Runs CPU-heavy work (password hashing) off the async threads.
    pub async fn cpu<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        web::block(f).await.map_err(AppError::from)
    }

    /// Tells the worker the outbox has something new.
    pub fn wake_worker(&self) {
        self.wake.notify_one();
    }

    /// An absolute URL for a path of the site (for emails).
    /// The signed one-click link that stops `kind` for `user_id`.
    pub fn unsubscribe_url(&self, user_id: &str, kind: &str) -> String {
        let sig = crate::notify::model::unsubscribe_signature(&self.link_secret, user_id, kind);
        self.url(&format!("/unsubscribe?u={user_id}&k={kind}&s={sig}"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url(), path)
    }
}
