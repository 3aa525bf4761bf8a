//! The `tribu` command.

use std::net::TcpListener;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tribu::config::Config;

#[derive(Parser)]
#[command(
    name = "tribu",
    version,
    about = "Tribu: an open innovation challenge marketplace"
)]
struct Cli {
    /// A TOML config file (default: ./tribu.toml when present).
    #[arg(long, global = true, env = "TRIBU_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app and run the background worker in one process.
    Serve,
    /// Run only the background worker (outbox delivery).
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Platform administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a platform admin, or promote an existing account.
    Create {
        /// The admin's email address.
        #[arg(long)]
        email: String,
        /// Display name for a new account.
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// Password for a new account (else read from TRIBU_ADMIN_PASSWORD).
        #[arg(long, env = "TRIBU_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr, coloured only for a terminal.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    init_tracing(&config.log);
    match cli.command {
        Command::Serve => {
            let listen = config.listen.clone();
            let state = tribu::app::build_state(config)?;
            let worker = tribu::app::worker(&state)?;
            let listener = TcpListener::bind(&listen)
                .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
            let running = tribu::app::http_server(state, listener)?;
            tracing::info!(address = %listen, "tribu serving on http://{listen}");
            let worker_task = tokio::spawn(worker.run());
            let result = running.server.await;
            worker_task.abort();
            result?;
        }
        Command::Worker => {
            let state = tribu::app::build_state(config)?;
            let worker = tribu::app::worker(&state)?;
            tokio::select! {
                _ = worker.run() => {}
                _ = tokio::signal::ctrl_c() => tracing::info!("worker stopping"),
            }
        }
        Command::Migrate => {
            let pool = tribu::db::connect(config.database_url.expose(), 1)?;
            let mut conn = pool.get()?;
            let applied = tribu::db::migrate(&mut conn)?;
            if applied.is_empty() {
                println!("database is up to date");
            } else {
                for m in applied {
                    println!("applied {m}");
                }
            }
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    email,
                    name,
                    password,
                },
        } => {
            let state = tribu::app::build_state(config)?;
            let mut conn = state.pool.get()?;
            match tribu::auth::service::create_admin(&mut conn, &email, &name, password.as_deref())
            {
                Ok((user, true)) => println!("created platform admin {} ({})", user.email, user.id),
                Ok((user, false)) => {
                    println!("promoted {} ({}) to platform admin", user.email, user.id)
                }
                Err(e) => {
                    let p = e.problem();
                    let fields: Vec<String> = p
                        .errors
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect();
                    anyhow::bail!("{} {}", p.code, fields.join("; "));
                }
            }
        }
    }
    Ok(())
}
