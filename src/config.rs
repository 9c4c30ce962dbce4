//! Configuration from the environment (API.md "Configuration and sandbox mode").
//!
//! Variables:
//! - `DATABASE_URL` — the owner (migrations, `db setup`); plane URLs derive from it.
//! - `GGZY_DB_URL_<PLANE>` — a plane's own URL (`IDENTITY`, `DECIDE`, `EXECUTE`, `SUPERVISE`,
//!   `PUBLIC`, `SEQUENCER`); default: `DATABASE_URL` with the user `ggzy_<plane>` and the password
//!   from `GGZY_DB_PASSWORD_<PLANE>` if set.
//! - `GGZY_LISTEN` (default `127.0.0.1:8080`), `GGZY_DATA_DIR` (default `.data`).
//! - `GGZY_ADMIN_PASSWORD` — the first admin's password, on first start.
//! - `GGZY_SANDBOX` — `1` for a sandbox server.
//! - `GGZY_SMTP_URL` — `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465` (TLS), or
//!   `smtp://host:25` (plain, local relays and tests); credentials in the URL
//!   (`smtps://user:pass@host`) or in `GGZY_SMTP_USER` / `GGZY_SMTP_PASSWORD`. Unset: mail is
//!   written as `.eml` files under `$GGZY_DATA_DIR/mail/` (lettre's file transport).
//! - `GGZY_MAIL_FROM` — the sender (default `公共资源交易平台 <noreply@ggzy.localhost>`);
//!   `GGZY_MAIL_MAX_ATTEMPTS` (default 8, then the mail is dead-lettered),
//!   `GGZY_MAIL_RETRY_MS` (first retry delay, doubling, default 5000), `GGZY_MAIL_POLL_MS`
//!   (how often an idle mail worker looks for due mail, default 1000).
//! - `GGZY_METRICS_TOKEN`, `GGZY_TRUSTED_PROXIES` (comma-separated IPs/CIDRs).
//! - `GGZY_REGION_CODE` — the centre's 6-digit region code (default `440400`), recorded at setup.
//! - `GGZY_JWT_PUBLIC_KEY_FILE` — for a plane process that verifies tokens but does not mint them.
//! - `GGZY_DB_POOL_SIZE` — connections per plane pool (default 16).
//! - `GGZY_WS_MAX_PER_USER`, `GGZY_WS_MAX_PER_ADDR`, `GGZY_WS_MAX_TOTAL` — open WebSockets per
//!   account, per client address and per process (defaults 8, 256, 4096; see [`Limits`]);
//!   `GGZY_LIVE_REPLAY_PAGE` — events per page of a live stream's replay (default 500);
//!   `GGZY_BID_MAX_SUBMISSIONS` — submissions (bids and withdrawals) per bidder per tender round
//!   (default 20).

use std::path::PathBuf;

use anyhow::{Context, bail};
use ipnet::IpNet;
use url::Url;

use crate::roles::Plane;

/// Everything a process needs to know from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The owner's URL, if this process has it (embedded default, `migrate`, `db setup`).
    pub database_url: Option<String>,
    /// URL per plane role.
    pub plane_urls: Vec<(Plane, String)>,
    /// URL of the sequencer role.
    pub sequencer_url: String,
    /// Address to listen on.
    pub listen: String,
    /// Folder for keys and files.
    pub data_dir: PathBuf,
    /// First admin's password.
    pub admin_password: Option<String>,
    /// Sandbox server (模拟演练).
    pub sandbox: bool,
    /// SMTP URL; unset → file transport.
    pub smtp_url: Option<String>,
    /// SMTP user and password, when not in the URL.
    pub smtp_credentials: Option<SmtpCredentials>,
    /// Mail delivery settings.
    pub mail: MailSettings,
    /// Bearer token that opens `/metrics` to non-loopback clients.
    pub metrics_token: Option<String>,
    /// Proxies whose `X-Forwarded-For` is trusted.
    pub trusted_proxies: Vec<IpNet>,
    /// The centre's region code (行政区划代码).
    pub region_code: String,
    /// Public key file for JWT verification in a process without the identity plane.
    pub jwt_public_key_file: Option<PathBuf>,
    /// Connections per plane pool.
    pub pool_size: usize,
    /// Seconds before a statement is cancelled.
    pub statement_timeout_ms: u64,
    /// The OCDS ocid prefix (`GGZY_OCID_PREFIX`; a real one is registered with the Open
    /// Contracting Partnership; default `ocds-xxxxxx-<region code>`).
    pub ocid_prefix: String,
    /// Resource limits (WebSockets, replays, resubmissions).
    pub limits: Limits,
}

/// Resource limits that keep one account or one address from exhausting the server (issue 13,
/// findings 9 and 10; decisions 104–106).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open WebSockets per account on this process (`GGZY_WS_MAX_PER_USER`).
    pub ws_per_user: usize,
    /// Open WebSockets per client address on this process (`GGZY_WS_MAX_PER_ADDR`): higher than
    /// per account, since a trading centre's hall or a company puts many users behind one address.
    pub ws_per_addr: usize,
    /// Open WebSockets on this process (`GGZY_WS_MAX_TOTAL`), below the descriptor limit.
    pub ws_total: usize,
    /// Events read per page when a live stream replays history (`GGZY_LIVE_REPLAY_PAGE`).
    pub replay_page: i64,
    /// Submissions per bidder per tender round, withdrawals included (`GGZY_BID_MAX_SUBMISSIONS`).
    pub bid_submissions: i32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            ws_per_user: 8,
            ws_per_addr: 256,
            ws_total: 4096,
            replay_page: 500,
            bid_submissions: 20,
        }
    }
}

impl Limits {
    fn from_env() -> anyhow::Result<Limits> {
        let d = Limits::default();
        let num = |name: &str, default: u64, max: u64| -> anyhow::Result<u64> {
            let v = var(name)
                .map(|v| v.parse::<u64>().with_context(|| name.to_string()))
                .transpose()?
                .unwrap_or(default);
            if !(1..=max).contains(&v) {
                bail!("{name} must be between 1 and {max}");
            }
            Ok(v)
        };
        Ok(Limits {
            ws_per_user: num("GGZY_WS_MAX_PER_USER", d.ws_per_user as u64, 100_000)? as usize,
            ws_per_addr: num("GGZY_WS_MAX_PER_ADDR", d.ws_per_addr as u64, 1_000_000)? as usize,
            ws_total: num("GGZY_WS_MAX_TOTAL", d.ws_total as u64, 1_000_000)? as usize,
            replay_page: num("GGZY_LIVE_REPLAY_PAGE", d.replay_page as u64, 10_000)? as i64,
            bid_submissions: num("GGZY_BID_MAX_SUBMISSIONS", d.bid_submissions as u64, 10_000)?
                as i32,
        })
    }
}

/// SMTP login given apart from the URL (the password never appears in `Debug`).
#[derive(Clone)]
pub struct SmtpCredentials {
    /// The SMTP user.
    pub user: String,
    /// The SMTP password.
    pub password: String,
}

impl std::fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpCredentials({}, ***)", self.user)
    }
}

/// How mail is sent and retried.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// The sender mailbox (`Name <addr>`).
    pub from: String,
    /// Attempts before a mail is dead-lettered.
    pub max_attempts: i32,
    /// The first retry delay; each further one doubles (capped at one hour).
    pub retry_base_ms: u64,
    /// How often an idle worker polls for due mail (it is also woken after each commit).
    pub poll_ms: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            from: "公共资源交易平台 <noreply@ggzy.localhost>".into(),
            max_attempts: 8,
            retry_base_ms: 5_000,
            poll_ms: 1_000,
        }
    }
}

impl MailSettings {
    fn from_env() -> anyhow::Result<MailSettings> {
        let d = MailSettings::default();
        let num = |name: &str, default: u64| -> anyhow::Result<u64> {
            var(name)
                .map(|v| v.parse::<u64>().with_context(|| name.to_string()))
                .transpose()
                .map(|v| v.unwrap_or(default))
        };
        let max_attempts = num("GGZY_MAIL_MAX_ATTEMPTS", d.max_attempts as u64)?;
        if !(1..=100).contains(&max_attempts) {
            bail!("GGZY_MAIL_MAX_ATTEMPTS must be between 1 and 100");
        }
        Ok(MailSettings {
            from: var("GGZY_MAIL_FROM").unwrap_or(d.from),
            max_attempts: max_attempts as i32,
            retry_base_ms: num("GGZY_MAIL_RETRY_MS", d.retry_base_ms)?,
            poll_ms: num("GGZY_MAIL_POLL_MS", d.poll_ms)?.max(10),
        })
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Replaces the user (and password) of a PostgreSQL URL.
pub fn with_user(url: &str, user: &str, password: Option<&str>) -> anyhow::Result<String> {
    let mut u = Url::parse(url).with_context(|| "DATABASE_URL is not a valid URL")?;
    u.set_username(user)
        .map_err(|_| anyhow::anyhow!("cannot set the user of {url}"))?;
    u.set_password(password)
        .map_err(|_| anyhow::anyhow!("cannot set the password of {url}"))?;
    Ok(u.to_string())
}

/// Replaces the database name of a PostgreSQL URL.
pub fn with_database(url: &str, db: &str) -> anyhow::Result<String> {
    let mut u = Url::parse(url).with_context(|| "not a valid database URL")?;
    u.set_path(&format!("/{db}"));
    Ok(u.to_string())
}

impl Config {
    /// Reads the environment.
    pub fn from_env() -> anyhow::Result<Config> {
        let database_url = var("DATABASE_URL");
        let mut plane_urls = Vec::new();
        for plane in Plane::ALL {
            plane_urls.push((plane, plane_url(&database_url, plane.as_str())?));
        }
        let sequencer_url = plane_url(&database_url, "sequencer")?;
        let trusted_proxies = var("GGZY_TRUSTED_PROXIES")
            .map(|v| parse_proxies(&v))
            .transpose()?
            .unwrap_or_default();
        let region_code = var("GGZY_REGION_CODE").unwrap_or_else(|| "440400".into());
        if region_code.len() != 6 || !region_code.chars().all(|c| c.is_ascii_digit()) {
            bail!("GGZY_REGION_CODE must be a 6-digit region code, got {region_code:?}");
        }
        let ocid_prefix = ocid_prefix(var("GGZY_OCID_PREFIX"), &region_code)?;
        Ok(Config {
            database_url,
            plane_urls,
            sequencer_url,
            listen: var("GGZY_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into()),
            data_dir: PathBuf::from(var("GGZY_DATA_DIR").unwrap_or_else(|| ".data".into())),
            admin_password: var("GGZY_ADMIN_PASSWORD"),
            sandbox: matches!(var("GGZY_SANDBOX").as_deref(), Some("1" | "true" | "yes")),
            smtp_url: var("GGZY_SMTP_URL"),
            smtp_credentials: var("GGZY_SMTP_USER").map(|user| SmtpCredentials {
                user,
                password: var("GGZY_SMTP_PASSWORD").unwrap_or_default(),
            }),
            mail: MailSettings::from_env()?,
            metrics_token: var("GGZY_METRICS_TOKEN"),
            trusted_proxies,
            region_code,
            jwt_public_key_file: var("GGZY_JWT_PUBLIC_KEY_FILE").map(PathBuf::from),
            pool_size: var("GGZY_DB_POOL_SIZE")
                .map(|v| v.parse().context("GGZY_DB_POOL_SIZE"))
                .transpose()?
                .unwrap_or(16),
            statement_timeout_ms: 30_000,
            ocid_prefix,
            limits: Limits::from_env()?,
        })
    }

    /// A configuration for the given owner URL, deriving every plane URL from it (tests, tools).
    pub fn for_database(
        database_url: &str,
        data_dir: PathBuf,
        sandbox: bool,
    ) -> anyhow::Result<Config> {
        let owner = Some(database_url.to_string());
        let mut plane_urls = Vec::new();
        for plane in Plane::ALL {
            plane_urls.push((plane, with_user(database_url, &plane.db_role(), None)?));
        }
        Ok(Config {
            database_url: owner,
            plane_urls,
            sequencer_url: with_user(database_url, "ggzy_sequencer", None)?,
            listen: "127.0.0.1:0".into(),
            data_dir,
            admin_password: None,
            sandbox,
            smtp_url: None,
            smtp_credentials: None,
            mail: MailSettings::default(),
            metrics_token: None,
            trusted_proxies: Vec::new(),
            region_code: "440400".into(),
            jwt_public_key_file: None,
            pool_size: 8,
            statement_timeout_ms: 30_000,
            ocid_prefix: ocid_prefix(None, "440400")?,
            limits: Limits::default(),
        })
    }

    /// The URL of a plane's role.
    pub fn plane_url(&self, plane: Plane) -> &str {
        self.plane_urls
            .iter()
            .find(|(p, _)| *p == plane)
            .map(|(_, u)| u.as_str())
            .unwrap_or_default()
    }

    /// The owner URL, or a clear error for commands that need it.
    pub fn owner_url(&self) -> anyhow::Result<&str> {
        self.database_url.as_deref().context(
            "DATABASE_URL is not set: run `scripts/run`, which starts the private PostgreSQL \
             cluster, or point DATABASE_URL at your server",
        )
    }
}

fn plane_url(database_url: &Option<String>, name: &str) -> anyhow::Result<String> {
    let upper = name.to_ascii_uppercase();
    if let Some(url) = var(&format!("GGZY_DB_URL_{upper}")) {
        return Ok(url);
    }
    match database_url {
        Some(url) => with_user(
            url,
            &format!("ggzy_{name}"),
            var(&format!("GGZY_DB_PASSWORD_{upper}")).as_deref(),
        ),
        // A plane process without DATABASE_URL must be given its own URL; an empty one fails
        // at connection time with a message naming the variable.
        None => Ok(String::new()),
    }
}

/// The ocid prefix: `ocds-` and the six characters OCP assigns, optionally followed by the
/// publisher's own `-`-separated suffix; never a `#` (OCDS identifiers).
fn ocid_prefix(given: Option<String>, region_code: &str) -> anyhow::Result<String> {
    let p = given.unwrap_or_else(|| format!("ocds-xxxxxx-{region_code}"));
    let ok = p.len() >= 11
        && p.starts_with("ocds-")
        && p[5..11].chars().all(|c| c.is_ascii_alphanumeric())
        && (p.len() == 11 || p[11..].starts_with('-'))
        && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !p.ends_with('-');
    if !ok {
        bail!("GGZY_OCID_PREFIX must look like ocds-abc123 or ocds-abc123-440400, got {p:?}");
    }
    Ok(p)
}

fn parse_proxies(v: &str) -> anyhow::Result<Vec<IpNet>> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                .with_context(|| format!("GGZY_TRUSTED_PROXIES: {s:?} is not an IP or CIDR"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ocid_prefix;

    #[test]
    fn ocid_prefixes_are_ocp_style_and_default_to_the_region() {
        assert_eq!(ocid_prefix(None, "440400").unwrap(), "ocds-xxxxxx-440400");
        assert_eq!(
            ocid_prefix(Some("ocds-a1b2c3".into()), "440400").unwrap(),
            "ocds-a1b2c3"
        );
        assert_eq!(
            ocid_prefix(Some("ocds-a1b2c3-gd-zh".into()), "440400").unwrap(),
            "ocds-a1b2c3-gd-zh"
        );
        for bad in [
            "ocds-a1b2",
            "ocds-a1b2c3x",
            "ocds-a1b2c3-",
            "ocds-a1b2c3-#1",
            "x-a1b2c3",
        ] {
            assert!(ocid_prefix(Some(bad.into()), "440400").is_err(), "{bad}");
        }
    }
}
