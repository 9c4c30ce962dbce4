//! Database access: one pool per plane role, the owner's setup and migrations.

#[allow(missing_docs)] // generated-style table! definitions document tables, not columns
pub mod schema;
pub mod setup;

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use url::Url;

use crate::config::Config;
use crate::roles::Plane;

/// A pool of connections as one PostgreSQL role.
pub type DbPool = Pool<AsyncPgConnection>;
/// A connection checked out of a pool.
pub type DbConn = Object<AsyncPgConnection>;

/// A PostgreSQL connection a query can run on: `AsyncPgConnection` itself, or a shared
/// `&AsyncPgConnection`, whose queries polled together are pipelined (sent without waiting for
/// the previous answer), which shortens the time a request holds its row locks.
pub trait Db: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> {}

impl<C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>> Db for C {}

/// Adds `application_name` and a `statement_timeout` to a connection URL.
pub fn tune_url(url: &str, app_name: &str, statement_timeout_ms: u64) -> anyhow::Result<String> {
    let mut u = Url::parse(url).context("invalid database URL")?;
    // Spaces as %20: libpq-style parsers do not read `+` as a space.
    let extra = format!(
        "application_name={app_name}&options=-c%20statement_timeout%3D{statement_timeout_ms}%20-c%20timezone%3DUTC"
    );
    let query = match u.query() {
        Some(q) if !q.is_empty() => format!("{q}&{extra}"),
        _ => extra,
    };
    u.set_query(Some(&query));
    Ok(u.to_string())
}

/// Builds a lazily connecting pool.
pub fn build_pool(
    url: &str,
    size: usize,
    app_name: &str,
    timeout_ms: u64,
) -> anyhow::Result<DbPool> {
    let url = tune_url(url, app_name, timeout_ms)?;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(5)))
        .runtime(deadpool_runtime())
        .build()
        .context("building a database pool")
}

fn deadpool_runtime() -> deadpool::Runtime {
    deadpool::Runtime::Tokio1
}

/// The pools of a process: one per plane it serves, plus the sequencer's.
#[derive(Clone)]
pub struct Pools {
    planes: HashMap<Plane, DbPool>,
    /// The sequencer role's pool (sequencing, the event hub, audit verification).
    pub sequencer: DbPool,
}

impl Pools {
    /// Pools for the given planes, from the configuration.
    pub fn new(config: &Config, planes: &[Plane]) -> anyhow::Result<Pools> {
        let mut map = HashMap::new();
        for &plane in planes {
            let url = config.plane_url(plane);
            if url.is_empty() {
                anyhow::bail!(
                    "no database URL for the {} plane: set GGZY_DB_URL_{} or DATABASE_URL",
                    plane.as_str(),
                    plane.as_str().to_ascii_uppercase()
                );
            }
            let pool = build_pool(
                url,
                config.pool_size,
                &format!("ggzy-{}", plane.as_str()),
                config.statement_timeout_ms,
            )?;
            map.insert(plane, pool);
        }
        if config.sequencer_url.is_empty() {
            anyhow::bail!(
                "no database URL for the sequencer: set GGZY_DB_URL_SEQUENCER or DATABASE_URL"
            );
        }
        let sequencer = build_pool(&config.sequencer_url, 4, "ggzy-sequencer", 60_000)?;
        Ok(Pools {
            planes: map,
            sequencer,
        })
    }

    /// The pool of a plane this process serves.
    pub fn plane(&self, plane: Plane) -> Option<&DbPool> {
        self.planes.get(&plane)
    }

    /// Every plane pool, for metrics.
    pub fn iter(&self) -> impl Iterator<Item = (Plane, &DbPool)> {
        self.planes.iter().map(|(p, pool)| (*p, pool))
    }
}
