//! The store: every SQL statement of the service lives under this module, one module per group of
//! tables, each a set of small named functions over a connection or the caller's transaction that
//! answer typed rows. The domain keeps the rules and calls these; it never writes SQL.
//!
//! Two backends, one SQL text: SQLite (a file path, the embedded default) and PostgreSQL (a
//! `postgres://` URL, for several instances), both through `sqlx::Any`. Statements use `$n`
//! placeholders, BIGINT millisecond times, 0/1 integer flags ([`Flag`]), `INSERT … RETURNING` and
//! `ON CONFLICT`. Measured: `Any` costs a copy of each row into its own value type, which is small
//! beside the statement (see the README's figures); it has no chrono, so times stay integers.
//!
//! Every rule that must hold across instances is decided by the database, in one of these ways
//! (each module's header says which its statements use):
//! - one conditional statement checked by rows affected: caps, single-use links and codes, leases,
//!   TOTP steps (`UPDATE … WHERE n < $cap`, `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`);
//! - a unique key claimed before the work: idempotency keys (`INSERT … ON CONFLICT DO NOTHING`);
//! - a row lock taken first where a rule reads before it writes (an account's cooldown and daily
//!   cap, a request's state): `SELECT … FOR NO KEY UPDATE` on PostgreSQL ([`for_update`]), while SQLite's
//!   one writer (`BEGIN IMMEDIATE`, [`Db::write`]) already serialises the whole transaction;
//! - claim-next skips rows another instance holds: `FOR UPDATE SKIP LOCKED`;
//! - the audit chain has one serialisation point: `pg_advisory_xact_lock` on the chain head.
//!
//! Errors: a failed statement is a [`StoreError`] that names the step; a stored value that does not
//! decode (an unknown state, a flag that is not 0 or 1) fails the same way — sqlx names the
//! column, the step names the table — and is never replaced by a plausible default.

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

pub mod accounts;
pub mod at_rest;
pub mod audit;
pub mod caller;
pub mod enrolments;
pub mod idempotency;
pub mod outbox;
pub mod recovery;
pub mod requests;
pub mod roles;
pub mod sessions;
pub mod sql;
pub mod sso;
pub mod staff;
pub mod verifications;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, AnyTypeInfo};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, ConnectOptions, Connection, Database, Decode, Encode, Executor, Type};

pub type Conn = sqlx::AnyConnection;
pub type Tx = sqlx::Transaction<'static, Any>;

/// Where the data lives, from `--db`/`DESK_DB`: a file path, or a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    pub fn parse(db: &str) -> Self {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            Location::Postgres(db.to_string())
        } else {
            Location::Sqlite(PathBuf::from(db.strip_prefix("sqlite://").unwrap_or(db)))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a connection talks to.
    pub fn of(conn: &Conn) -> Self {
        if conn.backend_name() == <sqlx::Postgres as Database>::NAME {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// A row lock on PostgreSQL, where a row read before a write must stay as read until commit;
/// nothing on SQLite, whose write transaction already holds the only write lock. `NO KEY UPDATE`:
/// it queues other lockers of the row without holding up inserts whose foreign keys point at it.
pub fn for_update(conn: &Conn) -> &'static str {
    match Backend::of(conn) {
        Backend::Postgres => " FOR NO KEY UPDATE",
        Backend::Sqlite => "",
    }
}

/// The pool and the backend behind it.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Opens (creating a SQLite file when missing) and applies pending migrations. On PostgreSQL a
    /// pool holds at most `max_connections`; a database that is up to date is not migrated, so a
    /// service role that may not create tables starts on it (see `desk-server migrate`).
    pub async fn open(db: &str, max_connections: u32) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        match Location::parse(db) {
            Location::Sqlite(path) => Self::open_sqlite(path).await,
            Location::Postgres(url) => {
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections.max(1))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(&url)
                    .await
                    .context("cannot connect to the PostgreSQL database")?;
                let db = Self { pool, backend: Backend::Postgres };
                db.migrate().await?;
                Ok(db)
            }
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies the migrations this build has and the database lacks; refuses a database whose
    /// applied migrations differ from this build's, or that is newer than this build.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = self.migrator();
        // The migrations applied so far. A fresh database has no table to read them from; any other
        // failure to read it shows again, with its cause, when the migrator runs below.
        let applied: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(&self.pool)
                .await
                .unwrap_or_default();
        let ours: Vec<(i64, &[u8])> =
            migrator.iter().filter(|m| m.migration_type.is_up_migration()).map(|m| (m.version, &*m.checksum)).collect();
        for (version, checksum) in &applied {
            match ours.iter().find(|(v, _)| v == version) {
                None => anyhow::bail!(
                    "the database has migration {version}, which this build does not know: it is newer than this build"
                ),
                Some((_, c)) if c != checksum => {
                    anyhow::bail!("migration {version} in the database differs from this build's")
                }
                Some(_) => {}
            }
        }
        if applied.len() == ours.len() {
            return Ok(());
        }
        let context = "migrating the database (a role that may not create tables cannot: run `desk-server migrate` \
                       as the database's owner first; see the README's database roles)";
        match self.backend {
            // sqlx's migrator locks nothing on SQLite: two processes starting on a new file (two
            // instances, or `admin create` runs) would each apply the same migration. The write lock,
            // held across them, makes the second wait and then find them applied.
            Backend::Sqlite => {
                let mut tx = self.write().await?;
                migrator.run(&mut *tx).await.context(context)?;
                commit(tx).await?;
            }
            // On PostgreSQL the migrator takes an advisory lock of its own.
            Backend::Postgres => migrator.run(&self.pool).await.context(context)?,
        }
        Ok(())
    }

    async fn open_sqlite(path: PathBuf) -> anyhow::Result<Self> {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
        let opts = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // WAL is a property of the file, set once here: switching journal modes cannot wait on the
        // busy timeout, so the pool's connections must not race to do it.
        let first = opts.connect().await.with_context(|| format!("cannot open the database {}", path.display()))?;
        first.close().await?;
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON")
                        .await?;
                    Ok(())
                })
            })
            .connect_with(sqlx::any::AnyConnectOptions::from_url(&opts.to_url_lossy())?)
            .await?;
        let db = Self { pool, backend: Backend::Sqlite };
        db.migrate().await?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A connection for reads outside a transaction.
    pub async fn acquire(&self) -> StoreResult<sqlx::pool::PoolConnection<Any>> {
        self.pool.acquire().await.step("taking a database connection")
    }

    /// A write transaction. SQLite's default deferred transactions fail with SQLITE_BUSY when a
    /// read has to be upgraded to a write under contention; taking the write lock up front makes
    /// writers queue on the busy timeout instead. PostgreSQL's READ COMMITTED needs nothing more:
    /// the statements themselves are atomic (see the module header).
    pub async fn write(&self) -> StoreResult<Tx> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
        .step("starting a write transaction")
    }
}

/// Commits the transaction.
pub async fn commit(tx: Tx) -> StoreResult<()> {
    tx.commit().await.step("committing a transaction")
}

/// Sets SQLite's page cache for this connection to `kib` KiB and answers the setting it replaced,
/// for [`set_page_cache`] to put back; PostgreSQL's cache is the server's (`None`, nothing done).
pub async fn grow_page_cache(conn: &mut Conn, kib: i64) -> StoreResult<Option<i64>> {
    if Backend::of(conn) != Backend::Sqlite {
        return Ok(None);
    }
    let was: i64 =
        sqlx::query_scalar("PRAGMA cache_size").fetch_one(&mut *conn).await.step("reading the page cache size")?;
    // A negative size is in KiB, a positive one in pages.
    set_page_cache(conn, -kib.abs()).await?;
    Ok(Some(was))
}

/// SQLite's `cache_size` for this connection, as [`grow_page_cache`] answered it.
pub async fn set_page_cache(conn: &mut Conn, cache_size: i64) -> StoreResult<()> {
    // A pragma takes no bound parameter; the value is a number.
    sqlx::query(&format!("PRAGMA cache_size = {cache_size}"))
        .execute(conn)
        .await
        .step("setting the page cache size")?;
    Ok(())
}

/// Ends the transaction without its changes.
pub async fn rollback(tx: Tx) -> StoreResult<()> {
    tx.rollback().await.step("rolling a transaction back")
}

/// A failed statement, with the step it was part of.
#[derive(thiserror::Error)]
#[error("{step}")]
pub struct StoreError {
    step: Cow<'static, str>,
    #[source]
    source: sqlx::Error,
    /// The span the step ran in: the domain's entry point (with its ids) inside the request's.
    /// The edge logs the failure in it, so the log line names both, not only the statement.
    span: tracing::Span,
}

// The span is left out: the log line is written in it, which names it better than its id.
impl std::fmt::Debug for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreError").field("step", &self.step).field("source", &self.source).finish()
    }
}

impl StoreError {
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// The statement broke a unique key (another writer got there first).
    pub fn is_unique_violation(&self) -> bool {
        matches!(&self.source, sqlx::Error::Database(e) if e.is_unique_violation())
    }

    /// PostgreSQL ended the transaction to break a deadlock (40P01) or a serialization conflict
    /// (40001): nothing of it was written, and running it again is the documented answer.
    pub fn is_retryable(&self) -> bool {
        matches!(&self.source, sqlx::Error::Database(e) if matches!(e.code().as_deref(), Some("40P01" | "40001")))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Names the step a statement was part of: `….await.step("claiming the next request")`.
pub trait Step<T> {
    fn step(self, step: &'static str) -> StoreResult<T>;
}

impl<T> Step<T> for Result<T, sqlx::Error> {
    fn step(self, step: &'static str) -> StoreResult<T> {
        self.map_err(|source| StoreError { step: Cow::Borrowed(step), source, span: tracing::Span::current() })
    }
}

/// A 0/1 integer column read as a bool: the same value on both backends, and anything else in it
/// is an error rather than "true".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flag(pub bool);

impl From<bool> for Flag {
    fn from(b: bool) -> Self {
        Flag(b)
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Any> for Flag {
    fn encode_by_ref(&self, buf: &mut <Any as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'q, Any>>::encode(i64::from(self.0), buf)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        match <i64 as Decode<'r, Any>>::decode(value)? {
            0 => Ok(Flag(false)),
            1 => Ok(Flag(true)),
            n => Err(format!("{n} is not a 0/1 flag").into()),
        }
    }
}
