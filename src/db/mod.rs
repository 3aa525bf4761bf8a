//! Database access: one connection type over SQLite and PostgreSQL.
//!
//! Conventions that hold for every store in the crate:
//! - ids are UUIDv7 rendered as TEXT ([`new_id`]);
//! - times are UTC `NaiveDateTime`, truncated to microseconds ([`now`]) so both
//!   backends store and compare the same value;
//! - anything that reads then writes goes through [`write_tx`], which takes
//!   SQLite's write lock up front (`BEGIN IMMEDIATE`) so it waits on
//!   `busy_timeout` instead of failing with "database is locked";
//! - per-backend SQL stays inside this module.

pub mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// A connection to either backend; every store takes `&mut DbConnection`.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// The pool every request and the worker draw from.
pub type Pool = r2d2::Pool<Manager>;
/// A connection checked out of the [`Pool`].
pub type PooledConn = r2d2::PooledConnection<Manager>;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Which backend a database URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file at this path.
    Sqlite(PathBuf),
    /// A PostgreSQL URL, passed as is to libpq.
    Postgres(String),
}

/// Why a database URL was refused or a connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("unsupported database URL scheme in {0:?}: use sqlite://PATH or postgres://…")]
    UnknownScheme(String),
    #[error("empty SQLite path in database URL")]
    EmptyPath,
    #[error("cannot create the folder for the SQLite database {0}: {1}")]
    Folder(PathBuf, std::io::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("migrations failed: {0}")]
    Migrations(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
}

impl Target {
    /// Parses `sqlite://relative/path`, `sqlite:///absolute/path`, `postgres://…`
    /// or `postgresql://…`. Anything else is an error: a typo must never
    /// silently create a new SQLite file somewhere.
    pub fn parse(url: &str) -> Result<Self, DbSetupError> {
        if let Some(rest) = url.strip_prefix("sqlite://") {
            if rest.is_empty() {
                return Err(DbSetupError::EmptyPath);
            }
            return Ok(Target::Sqlite(PathBuf::from(rest)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_owned()));
        }
        Err(DbSetupError::UnknownScheme(redact_url(url)))
    }

    /// A name for logs, without credentials.
    pub fn describe(&self) -> String {
        match self {
            Target::Sqlite(p) => format!("sqlite {}", p.display()),
            Target::Postgres(u) => format!("postgres {}", redact_url(u)),
        }
    }
}

/// Hides the password of a URL (`scheme://user:***@host`).
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// An r2d2 manager that knows its backend, so connection errors are reported
/// as they are (the derived `establish` tries each backend and loses them).
#[derive(Debug)]
pub struct Manager {
    target: Target,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.target {
            Target::Postgres(url) => diesel::PgConnection::establish(url)
                .map(DbConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
            Target::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first: the pool opens connections in parallel
                // and switching a new file to WAL needs the lock. WAL lets
                // readers run beside the writer; busy_timeout makes a writer
                // wait for the lock rather than fail.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// Opens a pool on `url`, creating the SQLite folder if needed, and checks one
/// connection right away so a bad URL fails at start with its real cause.
pub fn connect(url: &str, max_size: u32) -> Result<Pool, DbSetupError> {
    let target = Target::parse(url)?;
    if let Target::Sqlite(path) = &target {
        ensure_parent(path)?;
    }
    let manager = Manager { target };
    // Fail fast with the backend's own message rather than r2d2's timeout.
    manager.connect().map_err(|e| match e {
        r2d2::Error::ConnectionError(c) => DbSetupError::Connect(c),
        r2d2::Error::QueryError(q) => DbSetupError::Query(q),
    })?;
    let pool = r2d2::Pool::builder()
        .max_size(max_size.max(1))
        .connection_timeout(Duration::from_secs(5))
        .build(manager)?;
    Ok(pool)
}

fn ensure_parent(path: &Path) -> Result<(), DbSetupError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|e| DbSetupError::Folder(dir.to_path_buf(), e))
        }
        _ => Ok(()),
    }
}

/// Applies every pending embedded migration of the connection's backend and
/// returns the names of those it applied.
/// On PostgreSQL the migrations run under a session advisory lock, so nodes
/// starting together on one database take turns: the first migrates, the
/// others then find nothing pending (without it the second failed on the
/// first migration's types). SQLite's write lock already serialises them.
pub fn migrate(conn: &mut DbConnection) -> Result<Vec<String>, DbSetupError> {
    let failed = |e: &dyn std::fmt::Display| DbSetupError::Migrations(e.to_string());
    let names = |v: Vec<diesel::migration::MigrationVersion>| -> Vec<String> {
        v.iter().map(|v| v.to_string()).collect()
    };
    match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(names)
            .map_err(|e| failed(&e)),
        DbConnection::Postgresql(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .execute(c)
                .map_err(|e| failed(&e))?;
            let applied = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(names)
                .map_err(|e| failed(&e));
            let unlocked =
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                    .execute(c);
            let applied = applied?;
            unlocked.map_err(|e| failed(&e))?;
            Ok(applied)
        }
    }
}

/// The advisory lock key of [`migrate`] (any constant no other lock uses:
/// `lock_keys` locks 64-bit hashes of its keys, which meet it by chance only).
const MIGRATION_LOCK: i64 = 0x7472_6962_755f_6d67;

/// How many write transactions this process committed: what the cache of
/// public answers ([`crate::cache`]) checks its entries against.
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The current write generation (see [`GENERATION`]).
pub fn generation() -> u64 {
    GENERATION.load(std::sync::atomic::Ordering::Acquire)
}

/// Marks that data changed: every answer cached before is stale.
pub fn bump_generation() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

/// Runs `f` in a write transaction. On SQLite the transaction is `IMMEDIATE`.
/// A commit moves the write generation forward, even when it fails (the
/// outcome is then unknown), so no cached answer outlives a change.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let result = write_tx_inner(conn, f);
    bump_generation();
    result
}

/// [`write_tx`] for the worker's own bookkeeping (leases on outbox and
/// delivery rows), which no public answer shows: it leaves the write
/// generation alone, so a worker polling an empty outbox does not empty the
/// cache of public answers every pass.
pub fn bookkeeping_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    write_tx_inner(conn, f)
}

/// The queue of this process's SQLite write transactions (see
/// [`write_tx_inner`]).
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn write_tx_inner<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if !matches!(conn, DbConnection::Sqlite(_)) {
        return conn.transaction(f);
    }
    // SQLite has one writer. Waiting for it in SQLite's busy handler means
    // sleeping in steps of milliseconds and retrying, so under concurrent
    // writes most time went to sleeping (341 submissions per second with
    // 64 connections); writers of this process queue here instead and each
    // starts the moment the previous one commits. Another process on the
    // same file still meets `busy_timeout`.
    let _writer = SQLITE_WRITER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let DbConnection::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    let result = f(conn);
    if let DbConnection::Sqlite(c) = conn {
        match &result {
            Ok(_) => {
                if let Err(e) = <AnsiTransactionManager as TransactionManager<
                    diesel::SqliteConnection,
                >>::commit_transaction(c)
                {
                    let _ = <AnsiTransactionManager as TransactionManager<
                        diesel::SqliteConnection,
                    >>::rollback_transaction(c);
                    return Err(e.into());
                }
            }
            Err(_) => {
                <AnsiTransactionManager as TransactionManager<diesel::SqliteConnection>>::rollback_transaction(c)?;
            }
        }
    }
    result
}

/// Serialises transactions that name the same keys, until the end of the
/// caller's transaction: PostgreSQL advisory locks (taken in sorted order so
/// two callers cannot deadlock). On SQLite a write transaction already holds
/// the database's one write lock.
pub fn lock_keys(conn: &mut DbConnection, keys: &[&str]) -> QueryResult<()> {
    let DbConnection::Postgresql(pg) = conn else {
        return Ok(());
    };
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    for k in keys {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind::<diesel::sql_types::Text, _>(k)
            .execute(pg)?;
    }
    Ok(())
}

/// True when a diesel error is a unique-constraint violation (on either backend).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// The current UTC time, truncated to microseconds (PostgreSQL's precision).
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// A new UUIDv7 id as text: sortable by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The `(table, column)` pairs of the connected database, sorted, for the
/// test that keeps both migration folders in step.
pub fn columns(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    #[derive(QueryableByName)]
    struct Col {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        c: String,
    }
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name NOT LIKE '__diesel%' AND m.name NOT LIKE 'search_%' ORDER BY 1, 2"
        }
        DbConnection::Postgresql(_) => {
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '__diesel%' AND table_name NOT LIKE 'search_%' ORDER BY 1, 2"
        }
    };
    let rows: Vec<Col> = diesel::sql_query(sql).load(conn)?;
    Ok(rows.into_iter().map(|r| (r.t, r.c)).collect())
}

/// Whether the database answers (for `/readyz`).
pub fn ping(conn: &mut DbConnection) -> QueryResult<()> {
    conn.batch_execute("SELECT 1")
}
