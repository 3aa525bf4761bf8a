//! The background worker: delivers the outbox.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::mail::{Mailer, Sending, UNSUBSCRIBE_MARKER};
use super::store;
use crate::db::{now, Pool};

/// Everything the worker needs.
#[derive(Clone)]
pub struct Worker {
    pub pool: Pool,
    pub mailer: Arc<Mailer>,
    pub from: String,
    pub wake: Arc<Notify>,
    pub poll: Duration,
    /// The attachment store, whose staging area the worker sweeps.
    pub blobs: crate::submissions::blobs::Blobs,
    /// The application, for work that calls a payment provider.
    pub state: crate::state::AppState,
}

/// Uploads still staged after this long were abandoned (a crash mid-upload).
const STAGING_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// How often the staging area is swept.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

impl Worker {
    /// Runs until the task is dropped: sends what is due, then sleeps until
    /// woken by a new outbox row or the poll interval passes.
    pub async fn run(self) {
        let (_keep, stop) = tokio::sync::watch::channel(false);
        self.run_until(stop).await;
    }

    /// Like [`Worker::run`], until `stop` turns true: a pass in progress
    /// (the sends in flight) finishes first, then it returns (SIGTERM).
    pub async fn run_until(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        tracing::info!("worker started");
        let mut last_sweep: Option<std::time::Instant> = None;
        loop {
            if *stop.borrow() {
                tracing::info!("worker stopped");
                return;
            }
            if last_sweep.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
                last_sweep = Some(std::time::Instant::now());
                let n = self.blobs.sweep_staging(STAGING_MAX_AGE).await;
                if n > 0 {
                    tracing::info!(removed = n, "abandoned uploads removed from staging");
                }
            }
            // Payouts and refunds a provider moves itself (Stripe).
            match crate::payouts::runner::run_due(&self.state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(moved = n, "payouts and refunds sent"),
                Err(e) => tracing::warn!(error = %e, "payout pass failed"),
            }
            // Webhook deliveries, signed, with their backoff.
            match crate::webhooks::service::deliver_due(&self.state, now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(tried = n, "webhook deliveries tried"),
                Err(e) => tracing::warn!(error = %e, "webhook pass failed"),
            }
            let this = self.clone();
            match tokio::task::spawn_blocking(move || this.run_once()).await {
                Ok(Ok(n)) if n > 0 => continue,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "worker pass failed"),
                Err(e) => tracing::error!(error = %e, "worker pass panicked"),
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// The host Message-IDs name: the public address's.
    fn host(&self) -> String {
        url::Url::parse(&self.state.config.base_url())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "tribu.invalid".to_owned())
    }

    /// One pass over the due messages (blocking); returns how many it handled.
    pub fn run_once(&self) -> Result<usize, String> {
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        // The clock closes challenges; reads already treat them as closed,
        // this makes it permanent and audited.
        match crate::challenges::service::close_due(&mut conn) {
            Ok(0) => {}
            Ok(n) => tracing::info!(closed = n, "challenges closed at their deadline"),
            Err(e) => tracing::warn!(error = %e, "closing due challenges failed"),
        }
        match super::reminders::run_due(&mut conn, &self.state, now()) {
            Ok(0) => {}
            Ok(n) => tracing::info!(queued = n, "reminders queued"),
            Err(e) => tracing::warn!(error = %e, "reminder pass failed"),
        }
        if let Err(e) = crate::idempotency::purge(&mut conn, now()) {
            tracing::warn!(error = %e, "purging idempotency keys failed");
        }
        let lease = i64::try_from(self.state.config.outbox_lease_secs.max(1)).unwrap_or(120);
        let rows = crate::db::bookkeeping_tx(&mut conn, |c| store::claim_due(c, now(), 20, lease))
            .map_err(|e: diesel::result::Error| e.to_string())?;
        let n = rows.len();
        for row in rows {
            // A notification's link is signed now, so no secret is stored.
            let unsubscribe = row
                .user_id
                .as_deref()
                .filter(|_| super::model::is_notification(&row.kind))
                .map(|u| self.state.unsubscribe_url(u, &row.kind));
            let link = unsubscribe.as_deref().unwrap_or("");
            let (text, html) = (
                row.body_text.replace(UNSUBSCRIBE_MARKER, link),
                row.body_html.replace(UNSUBSCRIBE_MARKER, link),
            );
            let message_id = format!("<{}@{}>", row.id, self.host());
            let result = self.mailer.send(&Sending {
                from: &self.from,
                to: &row.recipient,
                subject: &row.subject,
                text: &text,
                html: &html,
                message_id: &message_id,
                unsubscribe: unsubscribe.as_deref(),
            });
            let outcome = match &result {
                Ok(()) => store::mark_sent(&mut conn, &row.id, now()),
                Err(e) => {
                    tracing::warn!(id = %row.id, kind = %row.kind, attempt = row.attempts, error = %e, "email delivery failed");
                    store::mark_failed(&mut conn, &row, e, now())
                }
            };
            if let Err(e) = outcome {
                tracing::error!(id = %row.id, error = %e, "cannot record delivery outcome");
            } else if result.is_ok() {
                tracing::info!(id = %row.id, kind = %row.kind, "email sent");
            }
        }
        Ok(n)
    }
}
