//! The `ggzy` command: serve, migrate, db setup, admin, audit verify, log verify, opening audit,
//! auction replay, demo, routes.

use std::io::Read;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use ggzy::config::Config;
use ggzy::core::audit::Actor;
use ggzy::roles::{Plane, Role};

#[derive(Parser)]
#[command(
    name = "ggzy",
    version,
    about = "公共资源交易平台 — public resource trading platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the API (all planes, or one with --plane).
    Serve {
        /// Serve one plane only: identity, decide, execute, supervise or public.
        #[arg(long)]
        plane: Option<String>,
        /// HTTP worker threads (default: the number of cores).
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Run the pending migrations (owner's DATABASE_URL).
    Migrate,
    /// Database administration.
    Db {
        #[command(subcommand)]
        command: DbCmd,
    },
    /// Account administration.
    Admin {
        #[command(subcommand)]
        command: AdminCmd,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCmd,
    },
    /// The opening (开标) after the fact.
    Opening {
        #[command(subcommand)]
        command: OpeningCmd,
    },
    /// Auctions and listings after the fact.
    Auction {
        #[command(subcommand)]
        command: AuctionCmd,
    },
    /// The sandbox demo centre.
    Demo {
        #[command(subcommand)]
        command: DemoCmd,
    },
    /// The transparency log.
    Log {
        #[command(subcommand)]
        command: LogCmd,
    },
    /// Print the route table (method, path, plane, roles) — for proxies routing planes.
    Routes,
    /// Print the state machines (state, action → next state, roles) as Markdown tables.
    Machines,
    /// Make a key holder's per-tender age identity for sealed bids.
    Keygen(ggzy::sealing::cli::KeygenArgs),
    /// Seal a bid into a ggzy-sealed-bid/1 envelope (offline; recipients given or from --server).
    Seal(ggzy::sealing::cli::SealArgs),
    /// Key holder at the opening: decrypt this holder's bundles locally and submit the pieces.
    UnsealShares(ggzy::sealing::cli::UnsealSharesArgs),
}

#[derive(Subcommand)]
enum DbCmd {
    /// Create the plane roles and the database, migrate, record the mode (superuser; idempotent).
    Setup,
}

#[derive(Subcommand)]
enum AdminCmd {
    /// Create an account; the password is read from GGZY_NEW_PASSWORD or standard input.
    CreateUser {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Role (admin, regulator, center_staff, …).
        #[arg(long)]
        role: String,
        /// Display name.
        #[arg(long)]
        display_name: Option<String>,
        /// E-mail.
        #[arg(long)]
        email: Option<String>,
        /// Org name (agency, purchaser, bidder).
        #[arg(long)]
        org_name: Option<String>,
        /// Org code 统一社会信用代码 (agency, purchaser, bidder).
        #[arg(long)]
        org_code: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Verify the audit hash chain and compare it with the signed `audit.head` entries of the
    /// transparency log (no truncation, no re-chaining); names the first bad entry.
    Verify {
        /// A signed tree head kept outside the database (a `ggzy log verify` state file, or the
        /// signer's keys/transparency_head.json, the default when present in GGZY_DATA_DIR).
        #[arg(long)]
        log_state: Option<std::path::PathBuf>,
        /// Compare with the database's log only, even when a state file is at hand.
        #[arg(long, conflicts_with = "log_state")]
        no_log_state: bool,
        /// The platform public key (base64) to trust; default the pinned head's.
        #[arg(long)]
        public_key: Option<String>,
    },
}

#[derive(Subcommand)]
enum LogCmd {
    /// Check a running server's log over HTTP (no database): the head's signature, the entries
    /// against the signed root, and with --state the consistency with the last verified head.
    Verify(ggzy::transparency::verify::VerifyArgs),
}

#[derive(Subcommand)]
enum OpeningCmd {
    /// Re-run every bundle with the revealed identities, attribute each failure and compare with
    /// the opening record (exit 1 on a disagreement, 2 when an identity is not revealed).
    Audit {
        /// The tender.
        tender: uuid::Uuid,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AuctionCmd {
    /// Re-run the engine over the lot's bid log and compare with the recorded result (exit 1 on a
    /// disagreement).
    Replay {
        /// The lot.
        auction: uuid::Uuid,
        /// Print the replay as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DemoCmd {
    /// Load the demo centre (sandbox only; idempotent).
    Load,
}

fn init_logging() {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn,diesel_async=warn"));
    let _ = fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() {
    // before the runtime's threads exist
    ggzy::ops::memory::tune_allocator();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("starting the tokio runtime");
    runtime.block_on(start());
}

async fn start() {
    init_logging();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("ggzy: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // needs no database nor configuration: it only talks to a server
    if let Cmd::Log {
        command: LogCmd::Verify(args),
    } = &cli.command
    {
        let v = ggzy::transparency::verify::run(args).await?;
        match v.consistent_from {
            Some(from) => println!(
                "log OK: {} entries, root {}, consistent with the saved head of {from} entries",
                v.size, v.root_hash
            ),
            None => {
                println!("log OK: {} entries, root {}", v.size, v.root_hash);
                println!("note: {}", ggzy::transparency::verify::STATELESS_NOTE);
            }
        }
        if let Some(p) = &v.state {
            println!("head saved to {}", p.display());
        }
        // who wrote what: every attributed entry was checked against its topic's plane
        let writers: Vec<String> = v.writers.iter().map(|(w, n)| format!("{w} {n}")).collect();
        println!(
            "writers: {}{}",
            if writers.is_empty() {
                "none".to_string()
            } else {
                writers.join(", ")
            },
            if v.unattributed > 0 {
                format!(" ({} older entries name no writer)", v.unattributed)
            } else {
                String::new()
            }
        );
        return Ok(());
    }
    let config = Config::from_env()?;
    match cli.command {
        Cmd::Serve { plane, workers } => {
            let planes = match plane.as_deref() {
                None => vec![
                    Plane::Identity,
                    Plane::Decide,
                    Plane::Execute,
                    Plane::Supervise,
                    Plane::Public,
                ],
                Some(p) => vec![Plane::parse(p).with_context(|| format!("unknown plane {p:?}"))?],
            };
            let workers = workers.unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2)
            });
            let running = ggzy::app::start(config, planes.clone(), workers).await?;
            let names: Vec<&str> = planes.iter().map(|p| p.as_str()).collect();
            tracing::info!(addr = %running.addr, planes = ?names, "serving on http://{}", running.addr);
            let server = running.server.context("server")?;
            let tasks = running.tasks;
            let result = server.await;
            for t in tasks {
                t.abort();
            }
            result.context("the HTTP server failed")?;
        }
        Cmd::Migrate => {
            let applied = ggzy::db::setup::migrate(config.owner_url()?).await?;
            println!(
                "migrations applied: {}",
                if applied.is_empty() {
                    "none (up to date)".into()
                } else {
                    applied.join(", ")
                }
            );
        }
        Cmd::Db {
            command: DbCmd::Setup,
        } => {
            let owner = config.owner_url()?;
            ggzy::db::setup::setup(owner, config.sandbox, &config.region_code).await?;
            println!(
                "database {} ready ({} mode, region {})",
                ggzy::db::setup::redact(owner),
                if config.sandbox {
                    "sandbox"
                } else {
                    "production"
                },
                config.region_code
            );
        }
        Cmd::Admin {
            command:
                AdminCmd::CreateUser {
                    username,
                    role,
                    display_name,
                    email,
                    org_name,
                    org_code,
                },
        } => {
            let role = Role::parse(&role).with_context(|| format!("unknown role {role:?}"))?;
            let password = match std::env::var("GGZY_NEW_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    s.trim_end_matches(['\n', '\r']).to_string()
                }
            };
            let url = config.plane_url(Plane::Identity).to_string();
            if url.is_empty() {
                bail!("no identity plane URL: set DATABASE_URL or GGZY_DB_URL_IDENTITY");
            }
            let mut conn = AsyncPgConnection::establish(&url)
                .await
                .context("connecting as ggzy_identity")?;
            let acc = ggzy::identity::accounts::NewAccount {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                email: email.unwrap_or_else(|| format!("{username}@ggzy.invalid")),
                username,
                password,
                role,
                org_name,
                org_code,
            };
            let by = if role == Role::Admin {
                ggzy::identity::accounts::CreatedBy::Platform
            } else {
                ggzy::identity::accounts::CreatedBy::Admin(uuid_nil())
            };
            let me = conn
                .transaction(async |c| {
                    ggzy::identity::accounts::create_account(c, &Actor::system("cli"), acc, by)
                        .await
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "created {} ({}), id {}",
                me.username,
                me.role.as_str(),
                me.id
            );
        }
        Cmd::Audit {
            command:
                AuditCmd::Verify {
                    log_state,
                    no_log_state,
                    public_key,
                },
        } => {
            let signer_state = config
                .data_dir
                .join("keys")
                .join(ggzy::transparency::signer::STATE_FILE);
            let state = match (log_state, no_log_state) {
                (_, true) => None,
                (Some(p), _) => Some(p),
                (None, false) => signer_state.exists().then_some(signer_state),
            };
            let pinned = match &state {
                None => None,
                Some(p) => Some(
                    serde_json::from_str::<serde_json::Value>(
                        &std::fs::read_to_string(p)
                            .with_context(|| format!("reading {}", p.display()))?,
                    )
                    .with_context(|| format!("{} is not a saved tree head", p.display()))?,
                ),
            };
            let trust = ggzy::core::audit_verify::Trust { pinned, public_key };
            let url = if config.sequencer_url.is_empty() {
                config.owner_url()?.to_string()
            } else {
                config.sequencer_url.clone()
            };
            let mut conn = AsyncPgConnection::establish(&url)
                .await
                .context("connecting to verify the audit chain")?;
            let report = ggzy::core::audit_verify::verify_with(&mut conn, &trust).await?;
            let log = &report.log;
            if let Some(why) = &log.broken {
                println!("transparency log BROKEN: {why}");
            } else if log.signed_size == 0 {
                println!(
                    "no signed tree head: the chain is checked alone (a truncation after its \
                     last entry cannot be seen)"
                );
            } else {
                println!(
                    "checked against {} audit.head entries under a signed head of {} entries{}",
                    log.audit_heads,
                    log.signed_size,
                    match (log.pinned_size, &state) {
                        (Some(n), Some(p)) => format!(" (pinned: {n} entries, {})", p.display()),
                        _ => " (no head pinned outside the database: a rolled-back log tail \
                               cannot be seen)"
                            .to_string(),
                    }
                );
            }
            match report.broken {
                None if log.broken.is_none() => println!(
                    "audit chain OK: {} entries, head {}",
                    report.verified, report.head
                ),
                None => std::process::exit(2),
                Some(b) => {
                    println!("audit chain BROKEN at entry {}: {}", b.seq, b.reason);
                    std::process::exit(2);
                }
            }
        }
        Cmd::Opening {
            command: OpeningCmd::Audit { tender, json },
        } => {
            let mut conn = AsyncPgConnection::establish(config.owner_url()?)
                .await
                .context("connecting to audit the opening")?;
            let report = ggzy::sealing::audit_run::run(&mut conn, tender).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                ggzy::sealing::audit_run::print_table(&report);
            }
            if !report.missing_identities.is_empty() {
                std::process::exit(2);
            }
            if !report.all_agree {
                std::process::exit(1);
            }
        }
        Cmd::Auction {
            command: AuctionCmd::Replay { auction, json },
        } => {
            let mut conn = AsyncPgConnection::establish(config.owner_url()?)
                .await
                .context("connecting to replay the auction")?;
            let replay = ggzy::execute::auctions::replay::replay(&mut conn, auction).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&replay)?);
            } else {
                println!("{}", ggzy::execute::auctions::replay::summary(&replay));
            }
            if !replay.agrees {
                std::process::exit(1);
            }
        }
        Cmd::Demo {
            command: DemoCmd::Load,
        } => {
            let state = ggzy::app::prepare(
                config,
                vec![
                    Plane::Identity,
                    Plane::Decide,
                    Plane::Execute,
                    Plane::Supervise,
                ],
            )
            .await?;
            ggzy::demo::load(&state).await?;
        }
        // answered before the configuration is read
        Cmd::Log { .. } => {}
        Cmd::Routes => {
            for r in ggzy::http::routes::ROUTES {
                println!(
                    "{:<7} {:<45} {:<10} {:?}",
                    r.method,
                    r.path,
                    r.plane.as_str(),
                    r.access
                );
            }
        }
        Cmd::Machines => {
            use ggzy::core::transition::markdown;
            println!("{}", markdown::<ggzy::execute::projects::ProjectMachine>());
            println!("{}", markdown::<ggzy::execute::tenders::TenderMachine>());
        }
        Cmd::Keygen(args) => ggzy::sealing::cli::keygen(args)?,
        Cmd::Seal(args) => ggzy::sealing::cli::seal(args).await?,
        Cmd::UnsealShares(args) => ggzy::sealing::cli::unseal_shares(args).await?,
    }
    Ok(())
}

fn uuid_nil() -> uuid::Uuid {
    uuid::Uuid::nil()
}
