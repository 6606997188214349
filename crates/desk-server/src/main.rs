use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use desk_server::{Config, SystemClock};

#[derive(Parser)]
#[command(name = "desk-server", about = "The Recovery Desk reference service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the end-user pages and (embedded default) the local mailbox.
    Serve {
        /// A TOML file of settings; flags and DESK_* variables override it.
        #[arg(long, env = "DESK_CONFIG")]
        config: Option<PathBuf>,
        /// Seed an empty database with demo data.
        #[arg(long, env = "DESK_DEMO")]
        demo: bool,
        /// A SQLite file path, or a postgres:// URL.
        #[arg(long, env = "DESK_DB")]
        db: Option<String>,
        #[arg(long, env = "DESK_BIND")]
        bind: Option<SocketAddr>,
        /// Where end users reach this service (reset links are built from it).
        #[arg(long, env = "DESK_PUBLIC_URL")]
        public_url: Option<String>,
        #[arg(long, env = "DESK_DEMO_ACCOUNTS")]
        demo_accounts: Option<usize>,
        /// The master key's file (see `keygen`); or put the key itself in DESK_SECRET_KEY.
        #[arg(long)]
        secret_key_file: Option<PathBuf>,
        /// A CA file (PEM) the SMTP client trusts besides the OS's store (sets `smtp.ca_file`).
        #[arg(long, env = "DESK_SMTP_CA_FILE")]
        smtp_ca_file: Option<PathBuf>,
    },
    /// Apply the database's migrations and stop (PostgreSQL: run it as the tables' owner, and
    /// name the role the service runs as, which gets what it needs and, on the audit log, only
    /// insert and select).
    Migrate {
        /// A SQLite file path, or a postgres:// URL of the owner role.
        #[arg(long, env = "DESK_DB")]
        db: String,
        /// The service's PostgreSQL role, to grant its privileges to.
        #[arg(long)]
        grant_to: Option<String>,
    },
    /// Print a new master key (base64 of 32 random bytes) for `secret_key_file` or DESK_SECRET_KEY.
    Keygen,
    /// Print the current TOTP code of a base32 secret (for signing in to the demo).
    Totp { secret: String },
    /// Staff administration from the command line (the first admin of a new deployment).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create the first admin and print their one-time enrolment link. Refused when an admin
    /// exists, unless --force with a --reason (kept in the audit log).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, requires = "reason")]
        force: bool,
        /// Why another admin is created although one exists (with --force).
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, env = "DESK_CONFIG")]
        config: Option<PathBuf>,
        /// A SQLite file path or a `postgres://` URL.
        #[arg(long, env = "DESK_DB")]
        db: Option<String>,
        /// Where staff reach the service; the link is built from it.
        #[arg(long, env = "DESK_PUBLIC_URL")]
        public_url: Option<String>,
        /// The service's master key (as for `serve`): the audit checkpoints are signed with it.
        #[arg(long, env = "DESK_SECRET_KEY_FILE")]
        secret_key_file: Option<PathBuf>,
    },
}

async fn admin(command: AdminCommand) -> anyhow::Result<()> {
    let AdminCommand::Create { email, name, force, reason, config, db, public_url, secret_key_file } = command;
    let mut cfg = Config::load(config.as_deref(), std::env::vars())?;
    if let Some(db) = db {
        cfg.db = db;
    }
    if public_url.is_some() {
        cfg.public_url = public_url;
    }
    if secret_key_file.is_some() {
        cfg.secret_key_file = secret_key_file;
    }
    cfg.validate()?;
    let keys = desk_server::load_keys(&cfg)?;
    let pool = desk_server::store::Db::open(&cfg.db, 2).await?;
    let force_reason = if force { reason.as_deref() } else { None };
    let now = chrono::Utc::now().timestamp_millis();
    // The entry this writes is the log's first on a new deployment: the checkpoint file starts
    // here, and the new head is checkpointed, as the service would.
    let checkpoints = cfg.audit_checkpoint_path();
    if let Some(path) = &checkpoints {
        desk_server::audit::checkpoints::start_file(&pool, &keys, path, now).await?;
    }
    let link =
        desk_server::domain::staff::enrol::create_first_admin(&pool, &cfg, now, &email, &name, force_reason).await?;
    if let Some(path) = &checkpoints {
        desk_server::audit::checkpoints::write(&pool, &keys, path, now).await?;
    }
    let hours = cfg.staff_invite_ttl_secs / 3600;
    println!(
        "Admin {email} created. Open this link within {hours} hours to choose a password and enrol an authenticator:"
    );
    println!("{link}");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let (config, demo, db, bind, public_url, demo_accounts, secret_key_file, smtp_ca_file) = match Cli::parse().command
    {
        Command::Keygen => {
            println!("{}", desk_server::crypto::Keys::generate());
            return Ok(());
        }
        Command::Migrate { db, grant_to } => {
            let store = desk_server::store::Db::open(&db, 2).await?;
            if let Some(role) = grant_to {
                desk_server::store::roles::grant_service_role(&store, &role).await?;
                println!("migrated; {role} may use the tables (the audit log: insert and select only)");
            } else {
                println!("migrated");
            }
            return Ok(());
        }
        Command::Totp { secret } => {
            let code = desk_server::totp::code_at(&secret, chrono::Utc::now().timestamp())
                .ok_or_else(|| anyhow::anyhow!("that is not a base32 secret"))?;
            println!("{code}");
            return Ok(());
        }
        Command::Admin { command } => return admin(command).await,
        Command::Serve { config, demo, db, bind, public_url, demo_accounts, secret_key_file, smtp_ca_file } => {
            (config, demo, db, bind, public_url, demo_accounts, secret_key_file, smtp_ca_file)
        }
    };
    let mut cfg = Config::load(config.as_deref(), std::env::vars())?;
    if secret_key_file.is_some() {
        cfg.secret_key_file = secret_key_file;
    }
    cfg.demo |= demo;
    if let Some(db) = db {
        cfg.db = db;
    }
    if let Some(bind) = bind {
        cfg.bind = bind;
    }
    if public_url.is_some() {
        cfg.public_url = public_url;
    }
    if let Some(n) = demo_accounts {
        cfg.demo_accounts = n;
    }
    if let (Some(ca), Some(smtp)) = (smtp_ca_file, cfg.smtp.as_mut()) {
        smtp.ca_file = Some(ca);
    }
    let running = desk_server::start(cfg, Arc::new(SystemClock)).await?;
    println!("Recovery Desk service listening on {}", running.url());
    let url = running.url();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { running.wait().await } => {}
    }
    eprintln!("stopped {url}");
    Ok(())
}
