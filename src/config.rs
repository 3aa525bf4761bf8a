//! Settings: built-in defaults < an optional `tribu.toml` < `TRIBU_*` variables.
//!
//! With no configuration at all Tribu runs on `sqlite://data/tribu.db`, listens
//! on 127.0.0.1:8080, writes mail as `.eml` files under `data/outbox/` and keeps
//! a generated signing secret in `data/secret.key`.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;

/// A value that must never reach logs or `Debug` output.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value itself; call only where it is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The shortest configured JWT secret accepted: HS256 wants a key of at
/// least the hash's size.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// How outgoing mail leaves the worker.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    /// One `.eml` file per message under `<data_dir>/outbox/`.
    File,
    /// An SMTP relay given by `smtp_url`.
    Smtp,
    /// Only logged (subject and recipient, never the body).
    Log,
}

/// Which payment provider moves money.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PaymentProvider {
    /// A platform admin records money received and payouts sent.
    Manual,
    /// Stripe Connect.
    Stripe,
}

/// Every setting of a running Tribu.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on (`TRIBU_LISTEN`).
    pub listen: String,
    /// `sqlite://PATH` or `postgres://…` (`TRIBU_DATABASE_URL`).
    pub database_url: Secret,
    /// Folder for the SQLite file, mail files, attachments and the secret (`TRIBU_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Public URL used in links in emails (`TRIBU_BASE_URL`); defaults to `http://LISTEN`.
    pub base_url: Option<String>,
    /// `file`, `smtp` or `log` (`TRIBU_MAIL_TRANSPORT`).
    pub mail_transport: MailTransport,
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://…:465` (`TRIBU_SMTP_URL`).
    pub smtp_url: Option<Secret>,
    /// The From header of outgoing mail (`TRIBU_MAIL_FROM`).
    pub mail_from: String,
    /// `manual` or `stripe` (`TRIBU_PAYMENT_PROVIDER`).
    pub payment_provider: PaymentProvider,
    /// HMAC key for access tokens (`TRIBU_JWT_SECRET`); generated under the data folder if unset.
    pub jwt_secret: Option<Secret>,
    /// Lifetime of an access token in seconds, at most 900 (`TRIBU_ACCESS_TOKEN_TTL`).
    pub access_token_ttl: i64,
    /// Lifetime of a session (refresh token family) in days (`TRIBU_SESSION_TTL_DAYS`).
    pub session_ttl_days: i64,
    /// Comma-separated origins allowed by CORS (`TRIBU_CORS_ORIGINS`).
    pub cors_origins: String,
    /// Largest connection pool (`TRIBU_DB_POOL_SIZE`).
    pub db_pool_size: u32,
    /// HTTP worker threads; 0 means one per core (`TRIBU_HTTP_WORKERS`).
    pub http_workers: usize,
    /// How often the worker looks at the outbox when nothing wakes it, in ms (`TRIBU_WORKER_POLL_MS`).
    pub worker_poll_ms: u64,
    /// Lets webhook URLs reach loopback and private addresses
    /// (`TRIBU_WEBHOOKS_ALLOW_PRIVATE`): for tests and closed networks only.
    pub webhooks_allow_private: bool,
    /// How long a worker keeps the outbox rows it claimed before another
    /// may take them, in seconds (`TRIBU_OUTBOX_LEASE_SECS`).
    pub outbox_lease_secs: u64,
    /// Tracing filter, e.g. `info` or `tribu=debug` (`TRIBU_LOG`).
    pub log: String,
    /// Platform fee on funding, in basis points: 500 = 5 % (`TRIBU_PLATFORM_FEE_BPS`).
    pub platform_fee_bps: u32,
    /// Largest attachment, in bytes (`TRIBU_ATTACHMENT_MAX_BYTES`).
    pub attachment_max_bytes: u64,
    /// Largest total of a submission's attachments, in bytes (`TRIBU_SUBMISSION_MAX_BYTES`).
    pub submission_max_bytes: u64,
    /// Where attachments are kept: `file` (under the data folder) or `s3` (`TRIBU_ATTACHMENT_STORE`).
    pub attachment_store: AttachmentStore,
    /// S3 bucket (`TRIBU_S3_BUCKET`).
    pub s3_bucket: Option<String>,
    /// S3 endpoint for S3-compatible stores, e.g. `http://127.0.0.1:9000` (`TRIBU_S3_ENDPOINT`).
    pub s3_endpoint: Option<String>,
    /// S3 region (`TRIBU_S3_REGION`).
    pub s3_region: String,
    /// S3 access key id (`TRIBU_S3_ACCESS_KEY_ID`).
    pub s3_access_key_id: Option<Secret>,
    /// S3 secret access key (`TRIBU_S3_SECRET_ACCESS_KEY`).
    pub s3_secret_access_key: Option<Secret>,
    /// Comma-separated addresses or CIDR ranges of reverse proxies whose
    /// `X-Forwarded-For` is believed (`TRIBU_TRUSTED_PROXIES`); empty: none.
    pub trusted_proxies: String,
    /// Failed sign-ins allowed from one address in 15 minutes
    /// (`TRIBU_LOGIN_MAX_FAILURES_PER_IP`); one account allows 5.
    pub login_max_failures_per_ip: usize,
    /// Attachments one account may upload per hour (`TRIBU_UPLOADS_PER_HOUR`).
    pub uploads_per_hour: usize,
    /// Stripe's API base URL (`TRIBU_STRIPE_API_BASE`); tests point it at a double.
    pub stripe_api_base: String,
    /// Stripe secret key, `sk_…` (`TRIBU_STRIPE_SECRET_KEY`).
    pub stripe_secret_key: Option<Secret>,
    /// Signing secret of the platform's webhook endpoint, `whsec_…` (`TRIBU_STRIPE_WEBHOOK_SECRET`).
    pub stripe_webhook_secret: Option<Secret>,
    /// Signing secret of the Connect webhook endpoint (`TRIBU_STRIPE_CONNECT_WEBHOOK_SECRET`).
    pub stripe_connect_webhook_secret: Option<Secret>,
    /// Country of new connected accounts, ISO 3166 (`TRIBU_STRIPE_ACCOUNT_COUNTRY`).
    pub stripe_account_country: String,
    /// Where organisations send bank transfers with the manual provider:
    /// the account holder (`TRIBU_BANK_ACCOUNT_HOLDER`), …
    pub bank_account_holder: Option<String>,
    /// … the bank's name (`TRIBU_BANK_NAME`), …
    pub bank_name: Option<String>,
    /// … the IBAN (`TRIBU_BANK_IBAN`) …
    pub bank_iban: Option<String>,
    /// … and the BIC (`TRIBU_BANK_BIC`).
    pub bank_bic: Option<String>,
    /// A Markdown file with the platform's terms of use (`TRIBU_TERMS_FILE`);
    /// Tribu's default text when unset.
    pub terms_file: Option<PathBuf>,
    /// A Markdown file with the platform's privacy notice (`TRIBU_PRIVACY_FILE`).
    pub privacy_file: Option<PathBuf>,
}

/// The platform's bank details, as organisations copy them into a transfer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct BankDetails {
    pub account_holder: Option<String>,
    pub bank_name: Option<String>,
    /// Grouped by four characters, as printed on bank statements.
    pub iban: String,
    pub bic: Option<String>,
}

/// Where attachments are stored.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentStore {
    /// `<data_dir>/attachments/`, addressed by SHA-256.
    File,
    /// An S3-compatible object store.
    S3,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: Secret::new("sqlite://data/tribu.db"),
            data_dir: PathBuf::from("data"),
            base_url: None,
            mail_transport: MailTransport::File,
            smtp_url: None,
            mail_from: "Tribu <no-reply@tribu.localhost>".into(),
            payment_provider: PaymentProvider::Manual,
            jwt_secret: None,
            access_token_ttl: 900,
            session_ttl_days: 30,
            cors_origins: String::new(),
            db_pool_size: 8,
            http_workers: 0,
            worker_poll_ms: 2000,
            webhooks_allow_private: false,
            outbox_lease_secs: crate::notify::store::CLAIM_SECS as u64,
            log: "info".into(),
            platform_fee_bps: 500,
            attachment_max_bytes: 25 * 1024 * 1024,
            submission_max_bytes: 100 * 1024 * 1024,
            attachment_store: AttachmentStore::File,
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            trusted_proxies: String::new(),
            login_max_failures_per_ip: 100,
            uploads_per_hour: 60,
            stripe_api_base: "https://api.stripe.com".into(),
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_connect_webhook_secret: None,
            stripe_account_country: "FR".into(),
            bank_account_holder: None,
            bank_name: None,
            bank_iban: None,
            bank_bic: None,
            terms_file: None,
            privacy_file: None,
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Figment(#[from] Box<figment::Error>),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// The bank details to show with a funding request, when an IBAN is
    /// configured.
    pub fn bank_details(&self) -> Option<BankDetails> {
        let set = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let iban: String = set(&self.bank_iban)?
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| c.iter().collect::<String>().to_uppercase())
            .collect::<Vec<_>>()
            .join(" ");
        Some(BankDetails {
            account_holder: set(&self.bank_account_holder),
            bank_name: set(&self.bank_name),
            iban,
            bic: set(&self.bank_bic).map(|b| b.to_uppercase()),
        })
    }

    /// Loads defaults, then `file` if it exists (or `tribu.toml` when `None`), then `TRIBU_*`.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let path = file.unwrap_or(Path::new("tribu.toml"));
        if file.is_some() && !path.exists() {
            return Err(ConfigError::Invalid(format!(
                "config file {} not found",
                path.display()
            )));
        }
        let config: Config = Figment::new()
            .merge(Toml::file(path))
            .merge(Env::prefixed("TRIBU_").ignore(&["config"]))
            .extract()
            .map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values that serde alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(60..=900).contains(&self.access_token_ttl) {
            return Err(ConfigError::Invalid(
                "access_token_ttl must be between 60 and 900 seconds".into(),
            ));
        }
        if self.platform_fee_bps > 5_000 {
            return Err(ConfigError::Invalid(
                "platform_fee_bps must be at most 5000 (50 %)".into(),
            ));
        }
        if self.session_ttl_days < 1 {
            return Err(ConfigError::Invalid(
                "session_ttl_days must be at least 1".into(),
            ));
        }
        if self.attachment_store == AttachmentStore::S3 && self.s3_bucket.is_none() {
            return Err(ConfigError::Invalid(
                "attachment_store = s3 needs TRIBU_S3_BUCKET".into(),
            ));
        }
        if self.mail_transport == MailTransport::Smtp && self.smtp_url.is_none() {
            return Err(ConfigError::Invalid(
                "mail_transport = smtp needs TRIBU_SMTP_URL".into(),
            ));
        }
        if self.payment_provider == PaymentProvider::Stripe {
            let set = |s: &Option<Secret>| s.as_ref().is_some_and(|s| !s.expose().is_empty());
            if !set(&self.stripe_secret_key)
                || !set(&self.stripe_webhook_secret)
                || !set(&self.stripe_connect_webhook_secret)
            {
                return Err(ConfigError::Invalid(
                    "payment_provider = stripe needs TRIBU_STRIPE_SECRET_KEY, TRIBU_STRIPE_WEBHOOK_SECRET and TRIBU_STRIPE_CONNECT_WEBHOOK_SECRET".into(),
                ));
            }
        }
        crate::db::Target::parse(self.database_url.expose())
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        // An empty value (as compose passes an unset variable) means unset.
        if let Some(s) = self.jwt_secret.as_ref().filter(|s| !s.expose().is_empty()) {
            let lower = s.expose().to_ascii_lowercase();
            if lower.contains("change-me") || lower.contains("changeme") {
                return Err(ConfigError::Invalid(
                    "jwt_secret is still a placeholder: set a random value (e.g. `openssl rand -hex 32`)".into(),
                ));
            }
            if s.expose().len() < MIN_JWT_SECRET_BYTES {
                return Err(ConfigError::Invalid(format!(
                    "jwt_secret must be at least {MIN_JWT_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)"
                )));
            }
        }
        self.trusted_proxy_nets()?;
        if self.login_max_failures_per_ip < crate::auth::model::MAX_FAILED_LOGINS {
            return Err(ConfigError::Invalid(format!(
                "login_max_failures_per_ip must be at least {}",
                crate::auth::model::MAX_FAILED_LOGINS
            )));
        }
        Ok(())
    }

    /// The trusted proxies as networks (a bare address is a /32 or /128).
    pub fn trusted_proxy_nets(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        ConfigError::Invalid(format!(
                            "trusted_proxies: {s:?} is not an address or CIDR range"
                        ))
                    })
            })
            .collect()
    }

    /// The public base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.base_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Whether cookies must carry `Secure` (the site is served over https).
    pub fn secure_cookies(&self) -> bool {
        self.base_url().starts_with("https://")
    }

    /// Where `.eml` files go with the `file` transport.
    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// The allowed CORS origins.
    pub fn cors_origin_list(&self) -> Vec<String> {
        self.cors_origins
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The JWT signing secret: configured, or read from (and on first start
    /// written to) `<data_dir>/secret.key` with owner-only permissions.
    pub fn signing_secret(&self) -> std::io::Result<Secret> {
        if let Some(s) = self.jwt_secret.as_ref().filter(|s| !s.expose().is_empty()) {
            return Ok(s.clone());
        }
        let path = self.data_dir.join("secret.key");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let existing = existing.trim();
            if existing.len() >= 32 {
                return Ok(Secret::new(existing));
            }
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let value = hex::encode(rand::random::<[u8; 32]>());
        write_private(&path, &value)?;
        Ok(Secret::new(value))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, value: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(value.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, value: &str) -> std::io::Result<()> {
    std::fs::write(path, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bank_details_need_an_iban_and_print_it_in_groups_of_four() {
        assert_eq!(Config::default().bank_details(), None);
        let c = Config {
            bank_iban: Some(" fr7630006000011234567890189 ".into()),
            bank_name: Some("Banque Coopérative".into()),
            bank_bic: Some("".into()),
            ..Config::default()
        };
        let b = c.bank_details().unwrap_or_else(|| panic!("details"));
        assert_eq!(b.iban, "FR76 3000 6000 0112 3456 7890 189");
        assert_eq!(b.bank_name.as_deref(), Some("Banque Coopérative"));
        assert_eq!(b.bic, None, "an empty setting is no setting");
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let c = Config {
            jwt_secret: Some(Secret::new("hunter2-very-secret")),
            smtp_url: Some(Secret::new("smtp://u:pw-secret@h")),
            database_url: Secret::new("postgres://u:db-secret@h/db"),
            ..Config::default()
        };
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("hunter2"));
        assert!(!dbg.contains("pw-secret"));
        assert!(!dbg.contains("db-secret"));
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let c = Config::default();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.database_url.expose(), "sqlite://data/tribu.db");
        assert_eq!(c.mail_dir(), PathBuf::from("data/outbox"));
        assert_eq!(c.base_url(), "http://127.0.0.1:8080");
        assert!(c.validate().is_ok());
    }

    #[test]
    fn short_jwt_secrets_are_refused() {
        let short = Config {
            jwt_secret: Some(Secret::new("change-me")),
            ..Config::default()
        };
        assert!(short.validate().is_err());
        let placeholder = Config {
            jwt_secret: Some(Secret::new("change-me-to-a-long-random-secret")),
            ..Config::default()
        };
        assert!(placeholder.validate().is_err());
        let long = Config {
            jwt_secret: Some(Secret::new("x".repeat(32))),
            ..Config::default()
        };
        assert!(long.validate().is_ok());
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_ranges() {
        let c = Config {
            trusted_proxies: "10.0.0.0/8, 127.0.0.1,::1".into(),
            ..Config::default()
        };
        assert_eq!(c.trusted_proxy_nets().map(|v| v.len()).ok(), Some(3));
        let bad = Config {
            trusted_proxies: "proxy.local".into(),
            ..Config::default()
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn access_tokens_live_at_most_fifteen_minutes() {
        let c = Config {
            access_token_ttl: 901,
            ..Config::default()
        };
        assert!(c.validate().is_err());
    }
}
