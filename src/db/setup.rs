//! `ggzy db setup` and `ggzy migrate`: the cluster-wide plane roles, the database, the embedded
//! migrations and the sandbox/production mode. Needs the owner's (superuser's) URL; idempotent.

use std::collections::BTreeMap;

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

/// The environment variable holding a plane role's password (`GGZY_DB_PASSWORD_EXECUTE`, …).
pub fn password_var(role: &str) -> String {
    format!(
        "GGZY_DB_PASSWORD_{}",
        role.trim_start_matches("ggzy_").to_ascii_uppercase()
    )
}

/// The shortest password a production plane role may have.
pub const MIN_PASSWORD_CHARS: usize = 16;

/// The plane roles' passwords from the environment (`GGZY_DB_PASSWORD_<PLANE>`), where set.
pub fn passwords_from_env() -> BTreeMap<String, String> {
    DB_ROLES
        .iter()
        .filter_map(|r| {
            std::env::var(password_var(r))
                .ok()
                .map(|p| (r.to_string(), p))
        })
        .collect()
}

/// Creates the plane roles (if missing) in the cluster of `owner_url`. Passwords come from
/// `GGZY_DB_PASSWORD_<PLANE>` when set (trust or peer auth otherwise: a laptop's sandbox).
pub async fn ensure_roles(owner_url: &str) -> anyhow::Result<()> {
    ensure_roles_with(owner_url, false, &passwords_from_env()).await
}

/// Creates the plane roles and sets the given passwords, hashed with SCRAM-SHA-256 whatever the
/// server's `password_encryption` says. For a production database (`production`), every plane
/// role must get a password of at least [`MIN_PASSWORD_CHARS`] characters, and the server's
/// `pg_hba.conf` must not let a plane role in without one (`trust`) or with a weak method
/// (`password`, `md5`): a plane role that logs in without its password would let anyone on the
/// network act as that branch (issue 13, finding 15; docs/SECURITY.md).
pub async fn ensure_roles_with(
    owner_url: &str,
    production: bool,
    passwords: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    if production {
        let missing: Vec<String> = DB_ROLES
            .iter()
            .filter(|r| {
                passwords
                    .get(**r)
                    .is_none_or(|p| p.chars().count() < MIN_PASSWORD_CHARS)
            })
            .map(|r| password_var(r))
            .collect();
        if !missing.is_empty() {
            bail!(
                "a production database needs a password of at least {MIN_PASSWORD_CHARS} characters \
                 for every plane role; set {}",
                missing.join(", ")
            );
        }
    }
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
        if let Some(pw) = passwords.get(role) {
            // the server hashes the password it is given: SCRAM, never MD5 or clear text
            conn.batch_execute(&format!(
                "SET password_encryption = 'scram-sha-256'; ALTER ROLE {} PASSWORD {}; \
                 RESET password_encryption",
                quote_ident(role),
                quote_literal(pw)
            ))
            .await
            .with_context(|| format!("setting the password of {role}"))?;
        }
    }
    if production {
        let weak = weak_hba_rules(&mut conn).await?;
        if !weak.is_empty() {
            bail!(
                "pg_hba.conf lets plane roles log in without a SCRAM password: {}; \
                 use scram-sha-256 for them (docs/SECURITY.md, \"Production database roles\")",
                weak.join("; ")
            );
        }
    }
    Ok(())
}

#[derive(QueryableByName)]
struct HbaRule {
    #[diesel(sql_type = Text)]
    rule: String,
}

/// The `pg_hba.conf` lines that would let a plane role in with `trust`, `password` or `md5`.
async fn weak_hba_rules(conn: &mut AsyncPgConnection) -> anyhow::Result<Vec<String>> {
    let rows: Vec<HbaRule> = diesel::sql_query(
        "SELECT format('line %s: %s %s %s %s', line_number, type, array_to_string(database, ','), \
                array_to_string(user_name, ','), auth_method) AS rule \
         FROM pg_hba_file_rules \
         WHERE error IS NULL AND auth_method IN ('trust', 'password', 'md5') \
           AND (user_name && $1::text[] OR 'all' = ANY (user_name)) ORDER BY line_number",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(DB_ROLES.to_vec())
    .load(conn)
    .await
    .context("reading pg_hba_file_rules (the owner must be a superuser)")?;
    Ok(rows.into_iter().map(|r| r.rule).collect())
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
    ensure_roles_with(owner_url, !sandbox, &passwords_from_env()).await?;
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
