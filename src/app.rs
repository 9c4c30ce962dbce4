//! The application: shared state, background tasks (sequencer, event hub, job workers, clock
//! refresher) and the HTTP server with its middleware stack.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tracing_actix_web::TracingLogger;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::core::events::{self, EventHub};
use crate::core::{jobs, sequencer};
use crate::db::{Pools, setup};
use crate::error::AppError;
use crate::http::{gate, routes};
use crate::identity::accounts;
use crate::identity::jwt::JwtKeys;
use crate::ops::metrics::Metrics;
use crate::roles::Plane;

/// The platform time as this process estimates it between database reads (for the
/// `X-Server-Time` header); decisions always read `ggzy_now()` in the database.
#[derive(Debug)]
pub struct PlatformTime {
    offset_us: AtomicI64,
    frozen_us: AtomicI64,
}

impl Default for PlatformTime {
    fn default() -> Self {
        PlatformTime {
            offset_us: AtomicI64::new(0),
            frozen_us: AtomicI64::new(i64::MIN),
        }
    }
}

#[derive(QueryableByName)]
struct ClockRow {
    #[diesel(sql_type = Timestamptz)]
    platform: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    frozen: bool,
}

impl PlatformTime {
    /// The estimated platform time now.
    pub fn now(&self) -> DateTime<Utc> {
        let frozen = std::sync::atomic::AtomicI64::load(&self.frozen_us, Ordering::Relaxed);
        if frozen != i64::MIN {
            return DateTime::from_timestamp_micros(frozen).unwrap_or_else(Utc::now);
        }
        Utc::now()
            + chrono::Duration::microseconds(std::sync::atomic::AtomicI64::load(
                &self.offset_us,
                Ordering::Relaxed,
            ))
    }

    /// Re-reads the database clock.
    pub async fn refresh(&self, conn: &mut AsyncPgConnection) -> Result<(), AppError> {
        let r: ClockRow = diesel::sql_query(
            "SELECT ggzy_now() AS platform, (SELECT frozen_at IS NOT NULL FROM platform_clock) AS frozen",
        )
        .get_result(conn)
        .await?;
        if r.frozen {
            self.frozen_us
                .store(r.platform.timestamp_micros(), Ordering::Relaxed);
        } else {
            self.frozen_us.store(i64::MIN, Ordering::Relaxed);
            let offset = r.platform - Utc::now();
            self.offset_us
                .store(offset.num_microseconds().unwrap_or(0), Ordering::Relaxed);
        }
        Ok(())
    }
}

/// State shared by every request of a process.
pub struct AppState {
    /// Configuration.
    pub config: Arc<Config>,
    /// The planes this process serves.
    pub planes: Vec<Plane>,
    /// One pool per served plane, and the sequencer's.
    pub pools: Pools,
    /// JWT keys (signing only where the identity plane is served).
    pub jwt: JwtKeys,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Estimated platform time for headers.
    pub platform_time: Arc<PlatformTime>,
    /// Wakes the sequencer after a commit.
    pub sequencer_signal: Arc<Notify>,
    /// Wakes the job workers.
    pub job_wake: Arc<Notify>,
    /// Wakes the mail workers (after a state-changing request).
    pub mail_wake: Arc<Notify>,
    /// The mail transport (SMTP or files).
    pub mailer: crate::notify::transport::Mailer,
    /// The event hub.
    pub hub: EventHub,
    /// Sequencer figures.
    pub sequencer_stats: Arc<sequencer::SequencerStats>,
    /// The platform key's memory of the last tree head it signed (where the key is loaded).
    pub head_guard: Option<Arc<crate::transparency::signer::HeadGuard>>,
}

/// A started server with its background tasks.
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    /// The server future (spawn or await it).
    pub server: Option<Server>,
    /// Stops the server.
    pub handle: ServerHandle,
    /// Background tasks, aborted on stop.
    pub tasks: Vec<JoinHandle<()>>,
    /// The state (tests subscribe to its hub).
    pub state: web::Data<AppState>,
}

impl Running {
    /// Stops the server and the background tasks.
    pub async fn stop(self) {
        for t in &self.tasks {
            t.abort();
        }
        self.handle.stop(true).await;
    }
}

/// Prepares a process: migrations (if it holds the owner URL), pools, mode, keys, first admin.
pub async fn prepare(config: Config, planes: Vec<Plane>) -> anyhow::Result<web::Data<AppState>> {
    if let Some(owner) = &config.database_url {
        let applied = setup::migrate(owner).await?;
        for v in applied {
            tracing::info!(migration = %v, "applied migration {v}");
        }
    }
    let mut all = planes.clone();
    if !all.contains(&Plane::Public) {
        all.push(Plane::Public);
    }
    let pools = Pools::new(&config, &all)?;
    let public = pools
        .plane(Plane::Public)
        .context("the public plane pool")?;
    let mut conn = public
        .get()
        .await
        .with_context(|| "connecting as ggzy_public (did `ggzy db setup` run?)")?;
    let (sandbox, region) =
        setup::claim_mode(&mut conn, config.sandbox, &config.region_code).await?;
    tracing::info!(sandbox, region_code = %region, "database mode checked");
    let platform_time = Arc::new(PlatformTime::default());
    platform_time
        .refresh(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    drop(conn);

    let keys_dir = config.data_dir.join("keys");
    let jwt = if all.contains(&Plane::Identity) {
        JwtKeys::load_or_create(&keys_dir)?
    } else {
        let path = config
            .jwt_public_key_file
            .clone()
            .unwrap_or_else(|| JwtKeys::public_key_path(&keys_dir));
        JwtKeys::verify_only(&path)?
    };
    let mut head_guard = None;
    if let Some(pool) = pools.plane(Plane::Execute) {
        // receipts and manifests are signed where the execute plane runs; the public key is
        // recorded so that every plane can publish and check it
        let key = crate::core::signing::install(crate::core::signing::PlatformKey::load_or_create(
            &keys_dir,
        )?);
        let mut conn = pool.get().await?;
        diesel::sql_query(
            "INSERT INTO platform_keys (public_key) VALUES ($1) ON CONFLICT DO NOTHING",
        )
        .bind::<diesel::sql_types::Text, _>(key.public_key_b64())
        .execute(&mut conn)
        .await?;
        // beside the key, out of the database's reach (docs/TRANSPARENCY.md)
        head_guard = Some(Arc::new(crate::transparency::signer::HeadGuard::open(
            &keys_dir,
            key.public_key_b64(),
        )?));
    }
    if let (Some(pw), Some(pool)) = (&config.admin_password, pools.plane(Plane::Identity)) {
        let mut conn = pool.get().await?;
        if accounts::ensure_first_admin(&mut conn, pw)
            .await
            .map_err(|e| anyhow::anyhow!("creating the first admin: {e:?}"))?
        {
            tracing::info!("created the first admin account `admin`");
        }
    }
    let mailer = crate::notify::transport::Mailer::from_config(&config)?;
    tracing::info!(transport = ?mailer, "mail transport ready");
    Ok(web::Data::new(AppState {
        config: Arc::new(config),
        planes: all,
        pools,
        jwt,
        metrics: Arc::new(Metrics::new()),
        platform_time,
        sequencer_signal: Arc::new(Notify::new()),
        job_wake: Arc::new(Notify::new()),
        mail_wake: Arc::new(Notify::new()),
        mailer,
        hub: EventHub::new(),
        sequencer_stats: Arc::new(sequencer::SequencerStats::default()),
        head_guard,
    }))
}

/// Starts the background tasks of a prepared process.
pub fn spawn_tasks(state: &web::Data<AppState>) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    let seq_url = crate::db::tune_url(&state.config.sequencer_url, "ggzy-sequencer", 60_000)
        .unwrap_or_else(|_| state.config.sequencer_url.clone());
    tasks.push(tokio::spawn(sequencer::run(
        seq_url.clone(),
        state.sequencer_signal.clone(),
        state.sequencer_stats.clone(),
        state.head_guard.clone(),
    )));
    tasks.push(tokio::spawn(events::run_listener(
        seq_url,
        state.hub.clone(),
    )));
    for &plane in &state.planes {
        if plane == Plane::Public {
            continue;
        }
        if let Some(pool) = state.pools.plane(plane) {
            tasks.push(tokio::spawn(jobs::run_worker(
                pool.clone(),
                plane,
                state.job_wake.clone(),
            )));
            tasks.push(tokio::spawn(crate::notify::worker::run(
                pool.clone(),
                plane,
                state.mailer.clone(),
                state.config.mail.clone(),
                state.mail_wake.clone(),
                state.metrics.clone(),
            )));
        }
    }
    // the supervision scan (红黄牌) runs every minute of platform time: make sure one is queued
    if let Some(pool) = state.pools.plane(Plane::Supervise) {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = crate::supervise::warnings::ensure_scan(&pool).await {
                tracing::warn!(error = %format!("{e:#}"), "could not queue the supervision scan");
            }
        }));
    }
    // hourly housekeeping chains (issue 13: idempotency keys expire; sessions and throttle
    // counters are forgotten)
    for (plane, kind) in [
        (Plane::Execute, crate::http::idempotency::PURGE_JOB),
        (Plane::Identity, crate::identity::sessions::HOUSEKEEPING_JOB),
    ] {
        if let Some(pool) = state.pools.plane(plane) {
            let pool = pool.clone();
            tasks.push(tokio::spawn(async move {
                if let Err(e) = jobs::ensure_hourly(&pool, kind).await {
                    tracing::warn!(error = %format!("{e:#}"), job = kind, "could not queue a housekeeping job");
                }
            }));
        }
    }
    let st = state.clone();
    tasks.push(tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            if let Some(pool) = st.pools.plane(Plane::Public)
                && let Ok(mut conn) = pool.get().await
            {
                let _ = st.platform_time.refresh(&mut conn).await;
            }
        }
    }));
    tasks
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::not_found("route"))
}

/// Builds and binds the HTTP server for a prepared state.
pub fn server(
    state: web::Data<AppState>,
    listen: &str,
    workers: usize,
) -> anyhow::Result<(Server, SocketAddr)> {
    let planes = state.planes.clone();
    let data = state.clone();
    let http =
        HttpServer::new(move || {
            let planes = planes.clone();
            App::new()
                .app_data(data.clone())
                .app_data(web::PathConfig::default().error_handler(|err, _| {
                    AppError::not_found(&format!("resource ({err})")).into()
                }))
                .app_data(web::QueryConfig::default().error_handler(|err, _| {
                    AppError::bad_request("invalid_query", err.to_string()).into()
                }))
                .configure(move |cfg| routes::configure(cfg, &planes))
                .configure(crate::pages::configure)
                .service(
                    SwaggerUi::new("/api/docs/{_:.*}")
                        .config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json")),
                )
                .default_service(web::to(not_found))
                .wrap(from_fn(crate::http::calendar_note::note))
                .wrap(from_fn(gate::gate))
                .wrap(from_fn(gate::decorate))
                .wrap(Compress::default())
                .wrap(TracingLogger::<crate::http::logging::RedactingRootSpan>::new())
        })
        .workers(workers)
        .shutdown_timeout(5)
        .bind(listen)
        .with_context(|| format!("binding {listen}"))?;
    let addr = http
        .addrs()
        .into_iter()
        .next()
        .context("the server bound no address")?;
    Ok((http.run(), addr))
}

/// Prepares, spawns the tasks and binds: everything `ggzy serve` does before serving.
pub async fn start(config: Config, planes: Vec<Plane>, workers: usize) -> anyhow::Result<Running> {
    let listen = config.listen.clone();
    let state = prepare(config, planes).await?;
    let tasks = spawn_tasks(&state);
    let (server, addr) = server(state.clone(), &listen, workers)?;
    let handle = server.handle();
    Ok(Running {
        addr,
        server: Some(server),
        handle,
        tasks,
        state,
    })
}
