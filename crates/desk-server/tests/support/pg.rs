//! The backend a test binary runs on: SQLite (a file per test, the default) or, with
//! `DESK_TEST_DB=postgres`, a throw-away PostgreSQL server that this binary starts once in a
//! temporary folder and that stops when the binary exits, with one fresh database per test.
//!
//! PostgreSQL refuses to run as root: as root the server runs as the `postgres` user (Debian's
//! `postgresql` package creates it) through `runuser`. The server is started by a small shell
//! that waits on its standard input; when this process ends, the pipe closes and the shell stops
//! the server and removes its folder, whatever way the tests ended.
//!
//! The tables belong to the owner role `desk`, which runs the migrations; the service connects
//! as `desk_service`, which may insert and select on the audit log and nothing else there
//! (`desk-server migrate --grant-to`), as a deployment is set up.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use rand::Rng;

/// Which backend the tests of this run use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("DESK_TEST_DB").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Ok("") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("DESK_TEST_DB is `sqlite` or `postgres`, not {other:?}"),
    }
}

/// On PostgreSQL, the URL of a fresh database for one test; on SQLite nothing, as the test
/// service's own folder holds its file.
#[allow(dead_code)]
pub async fn postgres_database() -> Option<String> {
    match backend() {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_database().await),
    }
}

/// A fresh database for one test: a SQLite file in `dir`, or one on the throw-away PostgreSQL
/// server, used through the service's role.
pub async fn test_database(dir: &std::path::Path) -> String {
    postgres_database().await.unwrap_or_else(|| dir.join("desk.db").display().to_string())
}

pub struct Server {
    pub port: u16,
    /// The server's log, shown when a test cannot connect.
    log: std::path::PathBuf,
    /// Closing it stops the server; kept for the life of the process.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

const START: &str = r#"
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/desk-pg.XXXXXX")
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
# A server that crashed during the run (a full disk, a killed backend) says why before it goes.
stop() {
  grep -E "PANIC|terminated by signal|No space left" "$dir/log" >&2 || true
  as_pg "$bin/pg_ctl" -D "$dir/data" stop -m immediate >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
as_pg "$bin/initdb" -D "$dir/data" -U desk --auth=trust --locale=C --encoding=UTF8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# Test data only: durability is not what is tested, and fsync would make every commit wait.
as_pg "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/log" \
  -o "-p $PGPORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
  start >/dev/null || { cat "$dir/log" >&2; exit 1; }
echo "ready $dir"
read -r _ || true
"#;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().unwrap().port()
}

/// The server of this test binary, started on first use.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let port = free_port();
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(START)
            .env("PGPORT", port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("bash starts the PostgreSQL server (scripts/install-deps.sh installs postgresql)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let dir = line
            .trim()
            .strip_prefix("ready ")
            .expect("the throw-away PostgreSQL server did not start (its log is above)");
        let stdin = child.stdin.take().unwrap();
        Server {
            port,
            log: std::path::Path::new(dir).join("log"),
            _stdin: Mutex::new(stdin),
            _child: Mutex::new(child),
        }
    })
}

impl Server {
    pub fn url(&self, role: &str, database: &str) -> String {
        format!("postgres://{role}@127.0.0.1:{}/{database}", self.port)
    }
}

/// A fresh database for one test, migrated by its owner and granted to the service's role:
/// the URL the service connects with.
pub async fn fresh_database() -> String {
    use sqlx::Connection;
    let server = server();
    let name = format!("t_{:016x}", rand::thread_rng().gen::<u64>());
    let mut conn = match sqlx::PgConnection::connect(&server.url("desk", "postgres")).await {
        Ok(conn) => conn,
        Err(e) => {
            let log = std::fs::read_to_string(&server.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
            panic!("connects to PostgreSQL: {e}\nthe server's log ends:\n{}", tail.join("\n"))
        }
    };
    // Every test binary's first database creates the service's role; later ones find it.
    sqlx::query("DO $$ BEGIN CREATE ROLE desk_service LOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
        .execute(&mut conn)
        .await
        .expect("creates the service role");
    sqlx::query(&format!("CREATE DATABASE {name} OWNER desk")).execute(&mut conn).await.expect("creates a database");
    conn.close().await.ok();
    let owner = desk_server::store::Db::open(&server.url("desk", &name), 2).await.expect("migrates as the owner");
    desk_server::store::roles::grant_service_role(&owner, "desk_service").await.expect("grants the service role");
    owner.pool().close().await;
    server.url("desk_service", &name)
}
