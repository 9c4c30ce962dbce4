//! `ggzy db setup` and `ggzy migrate`: the cluster-wide plane roles, the database, the embedded
//! migrations and the sandbox/production mode. Needs the owner's (superuser's) URL; idempotent.

use anyhow::{Context, bail};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use url::Url;

use crate::config::with_database;

/// The migrations compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The PostgreSQL roles the planes and the sequencer connect as.
pub const DB_ROLES: [&str; 6] = [
    "ggzy_identity",
    "ggzy_decide",
    "ggzy_execute",
    "ggzy_supervise",
    "ggzy_public",
    "ggzy_sequencer",
];

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

#[derive(QueryableByName)]
struct Mode {
    #[diesel(sql_type = Bool)]
    sandbox: bool,
    #[diesel(sql_type = Text)]
    region_code: String,
}

/// The database name in a URL.
pub fn database_name(url: &str) -> anyhow::Result<String> {
    let u = Url::parse(url).context("invalid database URL")?;
    let name = u.path().trim_start_matches('/').to_string();
    if name.is_empty() {
        bail!("the database URL names no database: {url}");
    }
    Ok(name)
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Creates the plane roles (if missing) in the cluster of `owner_url`. Passwords come from
/// `GGZY_DB_PASSWORD_<PLANE>` when set (trust or peer auth otherwise).
pub async fn ensure_roles(owner_url: &str) -> anyhow::Result<()> {
    let admin_url = with_database(owner_url, "postgres")?;
    let mut conn = AsyncPgConnection::establish(&admin_url)
        .await
        .with_context(|| format!("connecting to {} as the owner", redact(&admin_url)))?;
    for role in DB_ROLES {
        let exists: Exists = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists",
        )
        .bind::<Text, _>(role)
        .get_result(&mut conn)
        .await?;
        if !exists.exists {
            // Another process may race us (tests start in parallel): ignore duplicate_object.
            let sql = format!(
                "DO $$ BEGIN CREATE ROLE {} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE; \
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
                quote_ident(role)
            );
            conn.batch_execute(&sql)
                .await
                .with_context(|| format!("creating role {role}"))?;
            tracing::info!(db.role = role, "created database role {role}");
        }
        let env = format!(
            "GGZY_DB_PASSWORD_{}",
            role.trim_start_matches("ggzy_").to_ascii_uppercase()
        );
        if let Ok(pw) = std::env::var(&env) {
            conn.batch_execute(&format!(
                "ALTER ROLE {} PASSWORD {}",
                quote_ident(role),
                quote_literal(&pw)
            ))
            .await?;
        }
    }
    Ok(())
}

/// Creates the database of `owner_url` if it does not exist.
pub async fn ensure_database(owner_url: &str) -> anyhow::Result<()> {
    let name = database_name(owner_url)?;
    let admin_url = with_database(owner_url, "postgres")?;
    let mut conn = AsyncPgConnection::establish(&admin_url).await?;
    let exists: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(&name)
            .get_result(&mut conn)
            .await?;
    if !exists.exists {
        conn.batch_execute(&format!(
            "CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0",
            quote_ident(&name)
        ))
        .await
        .with_context(|| format!("creating database {name}"))?;
        tracing::info!(db.name = %name, "created database {name}");
    }
    Ok(())
}

/// Runs the pending embedded migrations as the owner. Returns the versions applied.
pub async fn migrate(owner_url: &str) -> anyhow::Result<Vec<String>> {
    let url = owner_url.to_string();
    let applied = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let mut conn: AsyncConnectionWrapper<AsyncPgConnection> =
            diesel::Connection::establish(&url).context("connecting to run migrations")?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    })
    .await
    .context("the migration task panicked")??;
    // statutory data the migrations' tables start with (idempotent)
    let mut conn = AsyncPgConnection::establish(owner_url).await?;
    crate::decide::rules::seed(&mut conn)
        .await
        .context("seeding the rule catalogue and the calendar")?;
    Ok(applied)
}

/// Records the database's mode on first contact and refuses a server of the other kind.
pub async fn claim_mode(
    conn: &mut AsyncPgConnection,
    sandbox: bool,
    region_code: &str,
) -> anyhow::Result<(bool, String)> {
    let mode: Mode = diesel::sql_query("SELECT * FROM ggzy_claim_mode($1, $2)")
        .bind::<Bool, _>(sandbox)
        .bind::<Text, _>(region_code)
        .get_result(conn)
        .await
        .context("reading the database mode")?;
    if mode.sandbox != sandbox {
        bail!(
            "this database was created as a {} database and this server runs in {} mode; \
             a sandbox server never runs on a production database, nor the reverse \
             (set GGZY_SANDBOX accordingly or use another database)",
            if mode.sandbox {
                "sandbox"
            } else {
                "production"
            },
            if sandbox { "sandbox" } else { "production" },
        );
    }
    Ok((mode.sandbox, mode.region_code))
}

/// `ggzy db setup`: roles, database, migrations, mode. Idempotent.
pub async fn setup(owner_url: &str, sandbox: bool, region_code: &str) -> anyhow::Result<()> {
    ensure_roles(owner_url).await?;
    ensure_database(owner_url).await?;
    let applied = migrate(owner_url).await?;
    for v in &applied {
        tracing::info!(migration = %v, "applied migration {v}");
    }
    let mut conn = AsyncPgConnection::establish(owner_url).await?;
    claim_mode(&mut conn, sandbox, region_code).await?;
    Ok(())
}

/// A URL with its password hidden, for messages.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "<invalid url>".into(),
    }
}
