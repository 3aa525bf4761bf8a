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
    Serve {
        /// Fill an empty database (no accounts yet) with demo data first.
        #[arg(long)]
        demo: bool,
    },
    /// Run only the background worker (outbox delivery).
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Add data to the database.
    Seed {
        /// A demo community: organisations, challenges in every state,
        /// solvers, questions and answers (does nothing when already there).
        #[arg(long)]
        demo: bool,
    },
    /// Platform administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The ledger: reports and reconciliation.
    Money {
        #[command(subcommand)]
        command: MoneyCommand,
    },
}

#[derive(Subcommand)]
enum MoneyCommand {
    /// Every challenge's money: funded, fees, awarded, paid out, refunded,
    /// refund paid and outstanding, with totals per currency.
    Report {
        /// CSV (amounts in minor units) instead of a text table.
        #[arg(long)]
        csv: bool,
    },
    /// Compare what the ledger says was paid out and refunded with the
    /// payment provider's record; exits non-zero on any difference.
    Reconcile,
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

/// Seeds the demo community with a progress bar, then lists the accounts.
async fn seed_demo(state: &tribu::state::AppState) -> anyhow::Result<()> {
    let bar = indicatif::ProgressBar::new(tribu::seed::total_steps());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} seeding demo data [{bar:30}] {pos}/{len} {wide_msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let step = |what: &str| {
        bar.set_message(what.to_owned());
        bar.inc(1);
    };
    let outcome = tribu::seed::demo(state, &step).await;
    bar.finish_and_clear();
    match outcome? {
        tribu::seed::Outcome::AlreadyPresent => {
            println!(
                "demo data already present ({} exists): nothing changed",
                tribu::seed::DEMO_ADMIN_EMAIL
            );
        }
        tribu::seed::Outcome::Seeded(report) => {
            println!(
                "Demo data created: {} organisations, {} challenges, {} accounts.",
                report.orgs,
                report.challenges,
                report.accounts.len() + 1
            );
            println!();
            println!(
                "Platform admin:  {}  password: {}",
                report.admin_email, report.password
            );
            println!();
            println!("Demo accounts:");
            for a in &report.accounts {
                println!("  {:<48} {:<26} {}", a.email, a.name, a.role);
            }
            println!();
            println!(
                "Every demo account signs in with the password: {}",
                report.password
            );
            println!("Open {} to look around.", state.url("/"));
        }
    }
    Ok(())
}

/// A connection to the configured database, for the commands that only
/// read it (no migration, no secret, no mail).
fn open_db(config: &Config) -> anyhow::Result<tribu::db::PooledConn> {
    let pool = tribu::db::connect(config.database_url.expose(), 1)?;
    Ok(pool.get()?)
}

/// `tribu money …`.
async fn money(config: &Config, command: MoneyCommand) -> anyhow::Result<()> {
    let mut conn = open_db(config)?;
    match command {
        MoneyCommand::Report { csv } => {
            let report = tribu::money::report::load(&mut conn)?;
            if csv {
                print!("{}", tribu::money::report::csv(&report)?);
            } else {
                print!("{}", tribu::money::report::text(&report));
            }
        }
        MoneyCommand::Reconcile => {
            let differences = if config.payment_provider == tribu::config::PaymentProvider::Manual {
                tribu::payouts::queries::manual_differences(&mut conn)?
            } else {
                let provider = tribu::money::provider::from_config(config)?;
                tribu::payouts::queries::provider_differences(&mut conn, provider.as_ref()).await?
            };
            for d in &differences {
                println!("{d}");
            }
            if !differences.is_empty() {
                anyhow::bail!(
                    "{} difference(s) between the ledger and the provider's record",
                    differences.len()
                );
            }
            println!("the ledger and the provider's record agree");
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    init_tracing(&config.log);
    match cli.command {
        Command::Serve { demo } => {
            let listen = config.listen.clone();
            let state = tribu::app::build_state(config)?;
            if demo {
                let pool = state.pool.clone();
                let empty = tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
                    let mut conn = pool.get()?;
                    Ok(!tribu::seed::has_users(&mut conn)?)
                })
                .await??;
                if empty {
                    seed_demo(&state).await?;
                } else {
                    println!("The database already has accounts: no demo data added.");
                }
            }
            let worker = tribu::app::worker(&state)?;
            let listener = TcpListener::bind(&listen)
                .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
            let running = tribu::app::http_server(state, listener)?;
            tracing::info!(address = %listen, "tribu serving on http://{listen}");
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let worker_task = tokio::spawn(worker.run_until(stopped));
            // The server stops on SIGTERM or Ctrl-C (gracefully, its own
            // way); the worker then finishes the sends in flight.
            let result = running.server.await;
            let _ = stop.send(true);
            let _ = tokio::time::timeout(std::time::Duration::from_secs(30), worker_task).await;
            result?;
        }
        Command::Worker => {
            let state = tribu::app::build_state(config)?;
            let worker = tribu::app::worker(&state)?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let mut task = tokio::spawn(worker.run_until(stopped));
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                _ = &mut task => {}
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            tracing::info!("worker stopping: finishing the sends in flight");
            let _ = stop.send(true);
            let _ = tokio::time::timeout(std::time::Duration::from_secs(30), task).await;
        }
        Command::Seed { demo } => {
            if !demo {
                anyhow::bail!("nothing to seed: pass --demo for the demo community");
            }
            let state = tribu::app::build_state(config)?;
            seed_demo(&state).await?;
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
        Command::Money { command } => money(&config, command).await?,
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
