//! `loadgen`: the load generator `scripts/bench` runs against a running `ggzy serve` (sandbox
//! mode) from a separate process, over real HTTP and WebSocket. Each benchmark row sets up its
//! state through the real API (not timed), measures the ceiling in the same run (a plain
//! PostgreSQL client, or a bare broadcast server), runs the timed phase, and writes
//! `<out>/<name>.json` with `{name, value, unit, ceiling, ratio, target, met}` plus details.
//! See docs/BENCHMARKS.md.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, SubsecRound, Utc};
use clap::Parser;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use ggzy::sealing::seal::{self, Recipients};

/// Command line of the load generator.
#[derive(Parser, Debug)]
#[command(about = "ggzy load generator (run by scripts/bench)")]
struct Args {
    /// The server's base URL, e.g. http://127.0.0.1:18080
    #[arg(long)]
    base: String,
    /// Superuser URL of the benchmark database (seeding and the plain-client ceilings).
    #[arg(long)]
    db: String,
    /// The sandbox admin's password (GGZY_ADMIN_PASSWORD of the server).
    #[arg(long, env = "GGZY_ADMIN_PASSWORD")]
    admin_password: String,
    /// Where the `<name>.json` rows go.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
    /// Small sizes for a smoke run.
    #[arg(long)]
    quick: bool,
    /// The server's pid (its RSS is read from /proc/<pid>/status).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Rows to run (default: all): bid-rush hot-lot fan-out opening public-reads
    rows: Vec<String>,
}

/// Every row `scripts/bench` knows, in table order.
const ROWS: [&str; 5] = ["bid-rush", "hot-lot", "fan-out", "opening", "public-reads"];

/// The order rows run in.
const RUN_ORDER: [&str; 5] = ["fan-out", "hot-lot", "bid-rush", "opening", "public-reads"];

/// One result row, as written to `<out>/<name>.json`.
#[derive(Debug, Clone, serde::Serialize)]
struct Row {
    name: String,
    value: Option<f64>,
    unit: String,
    ceiling: Option<f64>,
    ratio: Option<f64>,
    target: String,
    met: bool,
    details: Value,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // fan-out first: its server RSS is then the hall's, not what the envelope rows left behind
    let mut rows: Vec<String> = if args.rows.is_empty() {
        ROWS.iter().map(|s| s.to_string()).collect()
    } else {
        args.rows.clone()
    };
    rows.sort_by_key(|r| RUN_ORDER.iter().position(|x| x == r));
    for r in &rows {
        if !ROWS.contains(&r.as_str()) {
            bail!("unknown row {r:?}; rows are {}", ROWS.join(" "));
        }
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let api = Api::new(&args.base)?;
    let mut results = Vec::new();
    for name in &rows {
        eprintln!("==> row {name}");
        let started = Instant::now();
        let result = match name.as_str() {
            "bid-rush" => bid_rush(&args, &api).await,
            "public-reads" => public_reads(&args, &api).await,
            "hot-lot" => hot_lot(&args, &api).await,
            "fan-out" => fan_out(&args, &api).await,
            "opening" => opening(&args, &api).await,
            other => Ok(not_run(other, "unknown row")),
        };
        let mut row = match result {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: row {name} failed: {e:#}");
                not_run(name, &format!("failed: {e:#}"))
            }
        };
        row.details["row_seconds"] = json!(started.elapsed().as_secs_f64());
        let path = args.out.join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&row)?)
            .with_context(|| format!("writing {}", path.display()))?;
        results.push(row);
    }
    results.sort_by_key(|r| ROWS.iter().position(|x| *x == r.name));
    print_table(&results);
    Ok(())
}

/// A row that did not run (with why).
fn not_run(name: &str, why: &str) -> Row {
    Row {
        name: name.into(),
        value: None,
        unit: String::new(),
        ceiling: None,
        ratio: None,
        target: target_of(name).into(),
        met: false,
        details: json!({ "note": why }),
    }
}

/// The target of a row, as printed.
fn target_of(name: &str) -> &'static str {
    match name {
        "bid-rush" => ">= 70% of ceiling rows/s; p99 <= 250 ms",
        "hot-lot" => ">= 60% of ceiling",
        "fan-out" => "p99 delivery <= 100 ms; RSS <= 200 MB",
        "opening" => "<= 5 s; >= 50% of ceiling throughput",
        "public-reads" => "p99 <= 20 ms at 500 req/s",
        _ => "",
    }
}

fn print_table(rows: &[Row]) {
    let fmt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    println!();
    println!(
        "{:<13} {:>12} {:<8} {:>12} {:>7} {:<5} target",
        "name", "value", "unit", "ceiling", "ratio", "met"
    );
    for r in rows {
        println!(
            "{:<13} {:>12} {:<8} {:>12} {:>7} {:<5} {}",
            r.name,
            fmt(r.value),
            r.unit,
            fmt(r.ceiling),
            r.ratio.map_or("-".into(), |v| format!("{:.0}%", v * 100.0)),
            if r.value.is_none() {
                "n/a"
            } else if r.met {
                "yes"
            } else {
                "NO"
            },
            r.target
        );
        if let Some(note) = r.details.get("note").and_then(Value::as_str) {
            println!("{:<13} note: {note}", "");
        }
    }
}

// ------------------------------------------------------------------------------------------
// statistics

/// The q-quantile (0..=1) of sorted samples (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

// ------------------------------------------------------------------------------------------
// the HTTP API

/// The server's API over real HTTP.
#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
}

/// A signed-in account.
#[derive(Clone, Debug)]
struct Session {
    token: String,
    id: Uuid,
    org_code: Option<String>,
}

impl Api {
    fn new(base: &str) -> anyhow::Result<Api> {
        Ok(Api {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(300))
                .pool_max_idle_per_host(256)
                .build()?,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    fn req(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        let r = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base));
        if token.is_empty() {
            r
        } else {
            r.bearer_auth(token)
        }
    }

    /// Sends and expects a 2xx; returns the JSON body (Null when empty).
    async fn call(&self, req: reqwest::RequestBuilder, what: &str) -> anyhow::Result<Value> {
        let r = req.send().await.with_context(|| what.to_string())?;
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{what}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn login(&self, username: &str, password: &str) -> anyhow::Result<Session> {
        let v = self
            .call(
                self.req(Method::POST, "/auth/login", "")
                    .json(&json!({"username": username, "password": password})),
                &format!("login {username}"),
            )
            .await?;
        Ok(Session {
            token: v["access_token"]
                .as_str()
                .context("access_token")?
                .to_string(),
            id: uuid_of(&v["user"]["id"])?,
            org_code: None,
        })
    }

    /// An account of `role` created by the admin (one-time password, then changed).
    async fn user(&self, admin: &Session, role: &str, tag: &str) -> anyhow::Result<Session> {
        let username = format!("bench-{tag}-{}", &Uuid::new_v4().simple().to_string()[..8]);
        let needs_org = matches!(role, "agency" | "purchaser" | "bidder");
        let code = needs_org.then(org_code);
        self.call(
            self.req(Method::POST, "/admin/users", &admin.token).json(
                &json!({"username": username, "password": "one-time-password-1",
                    "role": role, "display_name": format!("压测 {role}"),
                    "email": format!("{username}@example.com"),
                    "org_name": code.as_ref().map(|c| format!("压测单位 {c}")), "org_code": code}),
            ),
            &format!("creating a {role} account"),
        )
        .await?;
        let otp = self.login(&username, "one-time-password-1").await?;
        self.call(
            self.req(Method::POST, "/me/password", &otp.token)
                .json(&json!({"current_password": "one-time-password-1",
                              "new_password": BENCH_PASSWORD})),
            "changing the one-time password",
        )
        .await?;
        let mut s = self.login(&username, BENCH_PASSWORD).await?;
        s.org_code = code;
        Ok(s)
    }

    /// A bidder that registers itself (POST /auth/register) and signs in.
    async fn bidder(&self, n: usize) -> anyhow::Result<Session> {
        let username = format!("bench-b{n}-{}", &Uuid::new_v4().simple().to_string()[..8]);
        let code = org_code();
        self.call(
            self.req(Method::POST, "/auth/register", "")
                .json(&json!({"username": username, "password": BENCH_PASSWORD,
                    "display_name": format!("压测投标人 {n}"), "email": format!("{username}@example.com"),
                    "org_name": format!("压测投标单位 {n} {code}"), "org_code": code})),
            "registering a bidder",
        )
        .await?;
        let mut s = self.login(&username, BENCH_PASSWORD).await?;
        s.org_code = Some(code);
        Ok(s)
    }
}

/// The password of every benchmark account.
const BENCH_PASSWORD: &str = "ggzy-bench-2026-pw";

fn uuid_of(v: &Value) -> anyhow::Result<Uuid> {
    v.as_str()
        .context("an id")?
        .parse()
        .context("an id that is a uuid")
}

/// A random valid unified social credit code (GB 32100-2015).
fn org_code() -> String {
    let alphabet = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    loop {
        let body: String = (0..8)
            .map(|_| alphabet[rand::random::<usize>() % alphabet.len()] as char)
            .collect();
        if let Some(c) = ggzy::identity::org_code::compose("91", "440400", &body) {
            return c;
        }
    }
}

/// Runs `f(i)` for i in 0..n with `width` at a time; fails on the first error.
async fn in_parallel<T, F, Fut>(n: usize, width: usize, f: F) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
{
    let f = Arc::new(f);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..width.min(n.max(1)) {
        let (f, next) = (f.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(out);
                }
                out.push((i, f(i).await?));
            }
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, v)| v).collect())
}

// ------------------------------------------------------------------------------------------
// the world: accounts, an approved project, a published tender with registered holder keys

/// The accounts and project around a tender.
struct World {
    admin: Session,
    agency: Session,
    /// The centre staff account (also the execute holder).
    center: Session,
    /// (branch, holder session, age identity, age recipient)
    holders: Vec<(&'static str, Session, String, String)>,
    project_id: Uuid,
}

impl World {
    async fn new(api: &Api, admin_password: &str, category: &str) -> anyhow::Result<World> {
        let admin = api.login("admin", admin_password).await?;
        let agency = api.user(&admin, "agency", "agency").await?;
        let purchaser = api.user(&admin, "purchaser", "purchaser").await?;
        let regulator = api.user(&admin, "regulator", "regulator").await?;
        let center = api.user(&admin, "center_staff", "center").await?;
        let supervisor = api.user(&admin, "supervisor", "supervisor").await?;
        let v = api
            .call(
                api.req(Method::POST, "/projects", &agency.token).json(
                    &json!({"category": category, "title": "压测道路改造工程",
                        "region_code": "440400", "estimate_amount": "50000000.00",
                        "purchaser_org_code": purchaser.org_code}),
                ),
                "registering the project",
            )
            .await?;
        let project_id = uuid_of(&v["id"])?;
        api.call(
            api.req(
                Method::POST,
                &format!("/projects/{project_id}/approval"),
                &regulator.token,
            )
            .json(&json!({"decision": "approve", "reason": "依法必须招标",
                          "must_tender": category == "construction"})),
            "approving the project",
        )
        .await?;
        let mut holders = Vec::new();
        for (b, s) in [
            ("decide", regulator),
            ("execute", center),
            ("supervise", supervisor),
        ] {
            let (identity, recipient) = ggzy::sealing::keys::keygen();
            holders.push((b, s, identity, recipient));
        }
        Ok(World {
            admin,
            agency,
            center: holders[1].1.clone(),
            holders,
            project_id,
        })
    }

    fn recipients(&self) -> Recipients {
        let r = |b: &str| self.holders.iter().find(|h| h.0 == b).unwrap().3.clone();
        Recipients {
            decide: r("decide"),
            execute: r("execute"),
            supervise: r("supervise"),
        }
    }

    /// Moves the sandbox clock on (frozen), running the due timers.
    async fn advance(&self, api: &Api, seconds: i64) -> anyhow::Result<()> {
        api.call(
            api.req(Method::POST, "/sandbox/clock", &self.admin.token)
                .json(&json!({"advance_seconds": seconds, "freeze": true})),
            "moving the sandbox clock",
        )
        .await?;
        Ok(())
    }

    /// A published open tender whose documents are obtainable now; returns (id, deadline).
    async fn tender(&self, api: &Api, now: DateTime<Utc>) -> anyhow::Result<(Uuid, DateTime<Utc>)> {
        let from = (now + chrono::Duration::hours(1)).trunc_subsecs(0);
        let deadline = from + chrono::Duration::days(25);
        let v = api
            .call(
                api.req(
                    Method::POST,
                    &format!("/projects/{}/tenders", self.project_id),
                    &self.agency.token,
                )
                .json(
                    &json!({"title": "压测标段 道路改造", "method": "open_tender",
                    "evaluation": {"method": "comprehensive", "price_weight": "0.6",
                                   "technical_weight": "0.3", "commercial_weight": "0.1"},
                    "max_price": "48000000.00", "bid_security_amount": "50000.00",
                    "documents_from": from, "documents_until": from + chrono::Duration::days(10),
                    "bid_deadline": deadline}),
                ),
                "creating the tender",
            )
            .await?;
        let id = uuid_of(&v["id"])?;
        for (b, s, _, recipient) in &self.holders {
            api.call(
                api.req(
                    Method::PUT,
                    &format!("/tenders/{id}/key-holders/{b}"),
                    &s.token,
                )
                .json(&json!({"user_id": s.id})),
                &format!("designating the {b} holder"),
            )
            .await?;
            api.call(
                api.req(
                    Method::PUT,
                    &format!("/tenders/{id}/holder-keys/{b}"),
                    &s.token,
                )
                .json(&json!({"public_key": recipient})),
                &format!("registering the {b} key"),
            )
            .await?;
        }
        api.call(
            api.req(
                Method::POST,
                &format!("/tenders/{id}/files"),
                &self.agency.token,
            )
            .json(
                &json!({"name": "招标文件.txt", "media_type": "text/plain; charset=utf-8",
                              "content": B64.encode("压测招标文件")}),
            ),
            "uploading the documents",
        )
        .await?;
        api.call(
            api.req(
                Method::POST,
                &format!("/tenders/{id}/publish"),
                &self.agency.token,
            )
            .json(&json!({})),
            "publishing the tender",
        )
        .await?;
        self.advance(api, 7200).await?;
        Ok((id, deadline))
    }
}

/// The platform clock, read from the database.
async fn platform_now(db: &tokio_postgres::Client) -> anyhow::Result<DateTime<Utc>> {
    let micros: i64 = db
        .query_one(
            "SELECT (extract(epoch FROM ggzy_now()) * 1000000)::bigint",
            &[],
        )
        .await?
        .get(0);
    DateTime::from_timestamp_micros(micros).context("a platform time")
}

async fn pg(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .with_context(|| "connecting to the benchmark database")?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// Bidders that registered, obtained the documents and declared their bid security.
async fn ready_bidders(api: &Api, tender: Uuid, n: usize) -> anyhow::Result<Vec<Session>> {
    let a = api.clone();
    in_parallel(n, 8, move |i| {
        let api = a.clone();
        async move {
            let b = api.bidder(i).await?;
            api.call(
                api.req(
                    Method::POST,
                    &format!("/tenders/{tender}/documents"),
                    &b.token,
                )
                .header("x-client-fingerprint", format!("fp-{}", b.id))
                .json(&json!({})),
                "obtaining the documents",
            )
            .await?;
            api.call(
                api.req(
                    Method::POST,
                    &format!("/tenders/{tender}/bid-security"),
                    &b.token,
                )
                .json(&json!({"amount": "50000.00",
                        "payer_account": format!("6222{}", &b.id.simple().to_string()[..12]),
                        "payer_bank": "中国银行", "reference": "BZJ", "paid_at": Utc::now()})),
                "declaring the bid security",
            )
            .await?;
            Ok(b)
        }
    })
    .await
}

/// The size of a benchmark envelope.
const ENVELOPE_BYTES: usize = 256 * 1024;

/// Seals a bid padded (in `fields.padding`) so that the envelope is about 256 KiB.
fn padded_envelope(
    tender: Uuid,
    org_code: &str,
    price: &str,
    recipients: &Recipients,
) -> anyhow::Result<Vec<u8>> {
    let build = |pad: usize| -> anyhow::Result<Vec<u8>> {
        let padding: String = (0..pad).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        let doc = seal::build_document(
            tender,
            org_code,
            price.parse()?,
            Some(365),
            None,
            json!({"project_manager": "张工", "padding": padding}),
            &[],
        )?;
        seal::seal(tender, &doc, recipients)
    };
    // the payload is base64 in the envelope: 4/3 of the document, plus fixed overhead
    let first = build(ENVELOPE_BYTES * 3 / 4)?;
    let over = first.len() as i64 - ENVELOPE_BYTES as i64;
    let pad = (ENVELOPE_BYTES as i64 * 3 / 4 - over * 3 / 4).max(0) as usize;
    build(pad)
}

// ------------------------------------------------------------------------------------------
// bid rush

async fn bid_rush(args: &Args, api: &Api) -> anyhow::Result<Row> {
    let n = if args.quick { 100 } else { 2000 };
    let clients = 200usize;
    let db = pg(&args.db).await?;
    let setup = Instant::now();
    let world = World::new(api, &args.admin_password, "construction").await?;
    let (tender, _) = world.tender(api, platform_now(&db).await?).await?;
    eprintln!("    {n} bidders register, obtain the documents and declare security (not timed)");
    let bidders = ready_bidders(api, tender, n).await?;
    eprintln!("    sealing {n} envelopes of 256 KiB with ggzy::sealing::seal (not timed)");
    let recipients = Arc::new(world.recipients());
    let codes: Vec<String> = bidders
        .iter()
        .map(|b| b.org_code.clone().unwrap_or_default())
        .collect();
    let envelopes: Vec<Vec<u8>> = tokio::task::spawn_blocking(move || {
        codes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                padded_envelope(tender, c, &format!("{}.00", 40_000_000 + i), &recipients)
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })
    .await??;
    let setup_s = setup.elapsed().as_secs_f64();
    let mean_bytes = envelopes.iter().map(Vec::len).sum::<usize>() / envelopes.len().max(1);

    // the ceiling: the same bytes inserted by a plain client with the same durability
    eprintln!("    ceiling: {n} plain INSERTs of the same bytes from {clients} connections");
    let sync: String = db.query_one("SHOW synchronous_commit", &[]).await?.get(0);
    db.batch_execute(
        "DROP TABLE IF EXISTS bench_ceiling_envelopes;
         CREATE TABLE bench_ceiling_envelopes (id bigserial PRIMARY KEY, tender_id uuid NOT NULL,
             org_code text NOT NULL, envelope bytea NOT NULL, envelope_sha256 text NOT NULL,
             created_at timestamptz NOT NULL DEFAULT now());
         -- stored as bid_submissions.envelope is (no compression attempt), so that the
         -- ceiling does the same storage work per byte as the platform
         ALTER TABLE bench_ceiling_envelopes ALTER COLUMN envelope SET STORAGE EXTERNAL",
    )
    .await?;
    let envelopes = Arc::new(envelopes);
    let (ceiling_s, ceiling_lat) = {
        let mut conns = Vec::new();
        for _ in 0..clients {
            conns.push(Arc::new(pg(&args.db).await?));
        }
        let next = Arc::new(AtomicUsize::new(0));
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for c in conns {
            let (next, envs) = (next.clone(), envelopes.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= envs.len() {
                        return Ok::<_, anyhow::Error>(lat);
                    }
                    let s = Instant::now();
                    let sha = ggzy::sealing::envelope::sha256_hex(&envs[i]);
                    c.execute(
                        "INSERT INTO bench_ceiling_envelopes (tender_id, org_code, envelope, envelope_sha256) VALUES ($1::text::uuid, $2, $3, $4)",
                        &[&tender.to_string(), &format!("org{i}"), &envs[i], &sha],
                    )
                    .await?;
                    lat.push(ms(s.elapsed()));
                }
            }));
        }
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await??);
        }
        (t0.elapsed().as_secs_f64(), sorted(lat))
    };
    db.batch_execute("DROP TABLE bench_ceiling_envelopes")
        .await?;
    let ceiling = n as f64 / ceiling_s;

    // the timed phase: 200 HTTP clients PUT the sealed envelopes
    eprintln!("    timed: {n} sealed envelopes PUT by {clients} concurrent HTTP clients");
    let bidders = Arc::new(bidders);
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, envs, bidders, api) = (
            next.clone(),
            envelopes.clone(),
            bidders.clone(),
            api.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failures = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= envs.len() {
                    return (lat, failures);
                }
                let b = &bidders[i];
                let s = Instant::now();
                let r = api
                    .req(
                        Method::PUT,
                        &format!("/tenders/{tender}/bids/mine"),
                        &b.token,
                    )
                    .header("content-type", "application/json")
                    .header("x-client-fingerprint", format!("fp-{}", b.id))
                    .body(envs[i].clone())
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let _ = r.bytes().await;
                        lat.push(ms(s.elapsed()));
                    }
                    Ok(r) => failures.push(format!(
                        "{} {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    )),
                    Err(e) => failures.push(e.to_string()),
                }
            }
        }));
    }
    let mut lat = Vec::new();
    let mut failures = Vec::new();
    for t in tasks {
        let (l, f) = t.await?;
        lat.extend(l);
        failures.extend(f);
    }
    let wall = t0.elapsed().as_secs_f64();
    let lat = sorted(lat);
    let stored: i64 = db
        .query_one(
            "SELECT count(*) FROM bid_submissions WHERE tender_id = $1::text::uuid",
            &[&tender.to_string()],
        )
        .await
        .map(|r| r.get(0))
        .unwrap_or(-1);
    let value = lat.len() as f64 / wall;
    let p99 = quantile(&lat, 0.99);
    let ratio = value / ceiling;
    Ok(Row {
        name: "bid-rush".into(),
        value: Some(value),
        unit: "rows/s".into(),
        ceiling: Some(ceiling),
        ratio: Some(ratio),
        target: target_of("bid-rush").into(),
        met: failures.is_empty() && ratio >= 0.70 && p99 <= 250.0,
        details: json!({
            "envelopes": n, "clients": clients, "envelope_bytes_mean": mean_bytes,
            "accepted": lat.len(), "failed": failures.len(),
            "first_failures": failures.iter().take(3).collect::<Vec<_>>(),
            "bid_submissions_rows": stored,
            "wall_s": wall, "ceiling_wall_s": ceiling_s, "synchronous_commit": sync,
            // the plain client's own latency at the same concurrency: the floor under our p99
            "ceiling_p50_ms": quantile(&ceiling_lat, 0.5), "ceiling_p99_ms": quantile(&ceiling_lat, 0.99),
            "p50_ms": quantile(&lat, 0.5), "p99_ms": p99, "max_ms": quantile(&lat, 1.0),
            "setup_s": setup_s,
        }),
    })
}

// ------------------------------------------------------------------------------------------
// public reads

async fn public_reads(args: &Args, api: &Api) -> anyhow::Result<Row> {
    let n: i64 = if args.quick { 10_000 } else { 100_000 };
    let rate = 500u64;
    let seconds = if args.quick { 5u64 } else { 20 };
    let db = pg(&args.db).await?;
    let setup = Instant::now();
    let world = World::new(api, &args.admin_password, "construction").await?;
    let (tender, _) = world.tender(api, platform_now(&db).await?).await?;
    let have: i64 = db
        .query_one("SELECT count(*) FROM announcements", &[])
        .await?
        .get(0);
    let missing = (n - have).max(0);
    eprintln!(
        "    seeding {missing} public outbox rows (the ggzy_announce() trigger fills announcements; not timed)"
    );
    let mut left = missing;
    while left > 0 {
        let batch = left.min(20_000);
        // a notice per row, about the benchmark tender; the payload varies the summary
        db.execute(
            "INSERT INTO outbox (kind, topic, subject_type, subject_id, payload)
             SELECT 'public', 'tender.notice', 'tender', $1,
                    jsonb_build_object('max_price', (1000000 + g)::text || '.00',
                        'documents_from', now(), 'documents_until', now() + interval '10 days',
                        'bid_deadline', now() + interval '25 days')
               FROM generate_series(1, $2::bigint) AS g",
            &[&tender.to_string(), &batch],
        )
        .await?;
        left -= batch;
    }
    eprintln!("    waiting for the sequencer to number them");
    let wait = Instant::now();
    loop {
        let (announced, numbered): (i64, i64) = {
            let r = db
                .query_one(
                    "SELECT (SELECT count(*) FROM announcements),
                            (SELECT count(*) FROM announcements a JOIN outbox_seq s USING (outbox_id))",
                    &[],
                )
                .await?;
            (r.get(0), r.get(1))
        };
        if numbered >= announced && announced >= n {
            break;
        }
        if wait.elapsed() > Duration::from_secs(900) {
            bail!("the sequencer numbered {numbered} of {announced} announcements in 15 minutes");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // After a bulk load, fresh planner statistics (as any bulk load procedure does): until
    // autovacuum's analyze notices 100,000 new rows, the planner plans for the old row counts.
    db.batch_execute("ANALYZE announcements; ANALYZE outbox_seq; ANALYZE outbox")
        .await?;
    // The seeding is a burst no centre produces (100,000 notices in seconds): the sequencer then
    // appends them to the transparency log for a minute or more, on the same two cores. The
    // row measures reads in steady state, so it waits for that backlog too (not timed).
    eprintln!("    waiting for the transparency log to take every public entry");
    loop {
        let r = db
            .query_one(
                "SELECT (SELECT count(*) FROM transparency_leaves),
                        (SELECT count(*) FROM outbox o JOIN outbox_seq s ON s.outbox_id = o.id
                          WHERE o.kind = 'public')",
                &[],
            )
            .await?;
        let (leaves, public): (i64, i64) = (r.get(0), r.get(1));
        if leaves >= public {
            break;
        }
        if wait.elapsed() > Duration::from_secs(1800) {
            bail!(
                "the transparency log holds {leaves} of {public} public entries after 30 minutes"
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let setup_s = setup.elapsed().as_secs_f64();
    let total = rate * seconds;
    eprintln!(
        "    timed: {total} GETs (list, category page, search) open loop at {rate}/s for {seconds} s"
    );
    let paths = [
        "/public/announcements?limit=20",
        "/public/announcements?category=construction&limit=20",
        "/public/announcements?q=%E9%81%93%E8%B7%AF&limit=20",
        "/public/announcements?q=%E5%8E%8B%E6%B5%8B%E6%A0%87%E6%AE%B5&limit=20",
    ];
    let t0 = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = t0 + Duration::from_micros(i * 1_000_000 / rate);
        let api = api.clone();
        let path = paths[i as usize % paths.len()];
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(due).await;
            // latency counted from the scheduled time: a slow server cannot hide queueing
            let r = api.req(Method::GET, path, "").send().await;
            let ok = match r {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            (i as usize % paths.len(), ms(due.elapsed()), ok)
        }));
    }
    let mut all = Vec::new();
    let mut per: HashMap<usize, Vec<f64>> = HashMap::new();
    let mut failed = 0;
    for t in tasks {
        let (k, l, ok) = t.await?;
        if !ok {
            failed += 1;
        }
        all.push(l);
        per.entry(k).or_default().push(l);
    }
    let achieved = total as f64 / t0.elapsed().as_secs_f64();
    let all = sorted(all);
    let p99 = quantile(&all, 0.99);
    let per: Vec<Value> = (0..paths.len())
        .map(|k| {
            let v = sorted(per.remove(&k).unwrap_or_default());
            json!({"path": paths[k], "p50_ms": quantile(&v, 0.5), "p99_ms": quantile(&v, 0.99)})
        })
        .collect();
    Ok(Row {
        name: "public-reads".into(),
        value: Some(p99),
        unit: "ms p99".into(),
        ceiling: None,
        ratio: None,
        target: target_of("public-reads").into(),
        met: failed == 0 && p99 <= 20.0,
        details: json!({
            "announcements": n, "rate_per_s": rate, "seconds": seconds, "requests": total,
            "failed": failed, "achieved_rate": achieved,
            "p50_ms": quantile(&all, 0.5), "p99_ms": p99, "max_ms": quantile(&all, 1.0),
            "per_path": per, "setup_s": setup_s,
        }),
    })
}

// ------------------------------------------------------------------------------------------
// auctions: a published land lot (拍卖), qualified bidders, the clock at the start

/// A lot open for bidding, with its qualified bidders.
struct LiveLot {
    id: Uuid,
    start_price: i64,
    increment: i64,
    bidders: Vec<Session>,
}

/// A land 拍卖 (English) lot with `n` qualified bidders, the frozen clock moved to its start.
async fn live_lot(
    args: &Args,
    api: &Api,
    db: &tokio_postgres::Client,
    n: usize,
) -> anyhow::Result<(World, LiveLot)> {
    let world = World::new(api, &args.admin_password, "land").await?;
    let now = platform_now(db).await?;
    let announce = DateTime::from_timestamp(now.timestamp() + 60, 0).context("a time")?;
    let starts_at = announce + chrono::Duration::days(26);
    let (start_price, increment) = (1_000_000i64, 50_000i64);
    let v = api
        .call(
            api.req(
                Method::POST,
                &format!("/projects/{}/auctions", world.project_id),
                &world.agency.token,
            )
            .json(
                &json!({"format": "english", "start_price": format!("{start_price}.00"),
                "increment": format!("{increment}.00"), "deposit_amount": "200000.00",
                "announcement_at": announce, "starts_at": starts_at, "countdown_seconds": 600}),
            ),
            "creating the lot",
        )
        .await?;
    let id = uuid_of(&v["id"])?;
    api.call(
        api.req(
            Method::POST,
            &format!("/auctions/{id}/publish"),
            &world.agency.token,
        )
        .json(&json!({})),
        "publishing the lot",
    )
    .await?;
    world.advance(api, 120).await?;
    let (a, center) = (api.clone(), world.center.token.clone());
    eprintln!("    {n} bidders register and are qualified (deposit confirmed; not timed)");
    let bidders =
        in_parallel(n, 8, move |i| {
            let (api, center) = (a.clone(), center.clone());
            async move {
                let b = api.bidder(i).await?;
                let v = api
                    .call(
                        api.req(
                            Method::POST,
                            &format!("/auctions/{id}/registrations"),
                            &b.token,
                        )
                        .json(&json!({})),
                        "registering for the lot",
                    )
                    .await?;
                let rid = v["registration_id"].as_str().context("registration_id")?;
                api.call(
                api.req(
                    Method::POST,
                    &format!("/auctions/{id}/registrations/{rid}/deposit"),
                    &center,
                )
                .json(&json!({"payer_account": format!("6217{}", &b.id.simple().to_string()[..12]),
                              "reference": "BZJ"})),
                "confirming the deposit",
            )
            .await?;
                Ok(b)
            }
        })
        .await?;
    let now = platform_now(db).await?;
    world
        .advance(api, (starts_at - now).num_seconds() + 1)
        .await?;
    Ok((
        world,
        LiveLot {
            id,
            start_price,
            increment,
            bidders,
        },
    ))
}

// ------------------------------------------------------------------------------------------
// hot lot

async fn hot_lot(args: &Args, api: &Api) -> anyhow::Result<Row> {
    let (n, per) = if args.quick {
        (20usize, 5usize)
    } else {
        (200, 10)
    };
    let db = pg(&args.db).await?;
    let setup = Instant::now();
    let (_world, lot) = live_lot(args, api, &db, n).await?;
    let setup_s = setup.elapsed().as_secs_f64();

    // the ceiling: the same row lock, update and insert in plain SQL from as many connections
    eprintln!(
        "    ceiling: {} bids as SELECT … FOR UPDATE + UPDATE + INSERT from {n} connections",
        n * per
    );
    db.batch_execute(
        "DROP TABLE IF EXISTS bench_lot_bids, bench_lot;
         CREATE TABLE bench_lot (id integer PRIMARY KEY, current_price numeric(18, 2),
             bid_count integer NOT NULL DEFAULT 0, ends_at timestamptz NOT NULL);
         CREATE TABLE bench_lot_bids (lot_id integer NOT NULL REFERENCES bench_lot (id),
             seq integer NOT NULL, amount numeric(18, 2) NOT NULL, at timestamptz NOT NULL,
             PRIMARY KEY (lot_id, seq));
         INSERT INTO bench_lot (id, ends_at) VALUES (1, now() + interval '10 minutes');",
    )
    .await?;
    let (ceiling_s, ceiling_accepted) = {
        let mut conns = Vec::new();
        for _ in 0..n {
            conns.push(pg(&args.db).await?);
        }
        let k = Arc::new(AtomicUsize::new(0));
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        let (sp, inc) = (lot.start_price, lot.increment);
        for mut c in conns {
            let k = k.clone();
            tasks.push(tokio::spawn(async move {
                let mut accepted = 0usize;
                for _ in 0..per {
                    let amount = (sp + inc * k.fetch_add(1, Ordering::Relaxed) as i64).to_string();
                    let tx = c.transaction().await?;
                    let r = tx
                        .query_one(
                            "SELECT coalesce(current_price, 0)::text, bid_count FROM bench_lot WHERE id = 1 FOR UPDATE",
                            &[],
                        )
                        .await?;
                    let current: String = r.get(0);
                    let count: i32 = r.get(1);
                    let above: bool = tx
                        .query_one("SELECT $1::text::numeric > $2::text::numeric", &[&amount, &current])
                        .await?
                        .get(0);
                    if above {
                        tx.execute(
                            "UPDATE bench_lot SET current_price = $1::text::numeric, bid_count = bid_count + 1,
                                 ends_at = greatest(ends_at, now() + interval '600 seconds') WHERE id = 1",
                            &[&amount],
                        )
                        .await?;
                        tx.execute(
                            "INSERT INTO bench_lot_bids (lot_id, seq, amount, at) VALUES (1, $1, $2::text::numeric, now())",
                            &[&(count + 1), &amount],
                        )
                        .await?;
                        tx.commit().await?;
                        accepted += 1;
                    } else {
                        tx.rollback().await?;
                    }
                }
                Ok::<_, anyhow::Error>(accepted)
            }));
        }
        let mut accepted = 0;
        for t in tasks {
            accepted += t.await??;
        }
        (t0.elapsed().as_secs_f64(), accepted)
    };
    db.batch_execute("DROP TABLE bench_lot_bids, bench_lot")
        .await?;
    let ceiling = ceiling_accepted as f64 / ceiling_s;

    // the timed phase: every bidder bids `per` times, each amount the next increment
    eprintln!("    timed: {n} bidders × {per} bids over HTTP, each the next valid increment");
    let k = Arc::new(AtomicUsize::new(0));
    let bidders = Arc::new(lot.bidders);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..n {
        let (k, bidders, api) = (k.clone(), bidders.clone(), api.clone());
        let (id, sp, inc) = (lot.id, lot.start_price, lot.increment);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut accepted, mut below, mut other) = (0usize, 0usize, Vec::new());
            for _ in 0..per {
                let amount = format!("{}.00", sp + inc * k.fetch_add(1, Ordering::Relaxed) as i64);
                let s = Instant::now();
                let r = api
                    .req(
                        Method::POST,
                        &format!("/auctions/{id}/bids"),
                        &bidders[i].token,
                    )
                    .json(&json!({"amount": amount}))
                    .send()
                    .await;
                lat.push(ms(s.elapsed()));
                match r {
                    Ok(r) if r.status().as_u16() == 201 => accepted += 1,
                    Ok(r) => {
                        let st = r.status();
                        let v: Value = r.json().await.unwrap_or(Value::Null);
                        if st.as_u16() == 409 && v["code"] == "below_minimum" {
                            below += 1;
                        } else {
                            other.push(format!("{st} {v}"));
                        }
                    }
                    Err(e) => other.push(e.to_string()),
                }
            }
            (lat, accepted, below, other)
        }));
    }
    let (mut lat, mut accepted, mut below, mut other) = (Vec::new(), 0, 0, Vec::new());
    for t in tasks {
        let (l, a, b, o) = t.await?;
        lat.extend(l);
        accepted += a;
        below += b;
        other.extend(o);
    }
    let wall = t0.elapsed().as_secs_f64();
    let lat = sorted(lat);
    let value = accepted as f64 / wall;
    let ratio = value / ceiling;
    Ok(Row {
        name: "hot-lot".into(),
        value: Some(value),
        unit: "bids/s".into(),
        ceiling: Some(ceiling),
        ratio: Some(ratio),
        target: target_of("hot-lot").into(),
        met: other.is_empty() && ratio >= 0.60,
        details: json!({
            "bidders": n, "bids_per_bidder": per, "attempts": n * per, "accepted": accepted,
            "below_minimum": below, "other_failures": other.len(),
            "first_failures": other.iter().take(3).collect::<Vec<_>>(),
            "attempts_per_s": (n * per) as f64 / wall,
            "ceiling_accepted": ceiling_accepted, "ceiling_attempts_per_s": (n * per) as f64 / ceiling_s,
            "wall_s": wall, "ceiling_wall_s": ceiling_s,
            "p50_ms": quantile(&lat, 0.5), "p99_ms": quantile(&lat, 0.99), "setup_s": setup_s,
        }),
    })
}

// ------------------------------------------------------------------------------------------
// fan-out

/// A watcher's received text messages with their arrival instants.
type Received = Vec<(String, Instant)>;

/// Opens `n` WebSocket connections to `url` (50 at a time); each reads its first message (the
/// hall's `state`, skipped when `skip_first`) and then collects `expect` text messages.
async fn watchers(
    url: String,
    n: usize,
    expect: usize,
    skip_first: bool,
) -> anyhow::Result<(Vec<tokio::task::JoinHandle<anyhow::Result<Received>>>, f64)> {
    use futures_util::StreamExt;
    let t0 = Instant::now();
    let mut handles = Vec::new();
    for chunk in 0..n.div_ceil(50) {
        let mut ready = Vec::new();
        for _ in (chunk * 50)..((chunk + 1) * 50).min(n) {
            let url = url.clone();
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            handles.push(tokio::spawn(async move {
                let (mut ws, _) = tokio_tungstenite::connect_async(&url).await?;
                if skip_first {
                    ws.next().await.context("the first message")??;
                }
                let _ = tx.send(());
                let mut got = Vec::new();
                while got.len() < expect {
                    let m = tokio::time::timeout(Duration::from_secs(60), ws.next())
                        .await
                        .context("a watcher waited 60 s for a message")?
                        .context("the socket closed")??;
                    // only bids: an accepted bid may also send `extended`
                    if let tokio_tungstenite::tungstenite::Message::Text(t) = m
                        && t.as_str().contains("\"type\":\"bid\"")
                    {
                        got.push((t.as_str().to_string(), Instant::now()));
                    }
                }
                Ok::<Received, anyhow::Error>(got)
            }));
            ready.push(rx);
        }
        for r in ready {
            r.await.context("a watcher failed to connect")?;
        }
    }
    Ok((handles, t0.elapsed().as_secs_f64()))
}

/// VmRSS and VmHWM of a process, in MiB.
fn rss_mib(pid: Option<u32>) -> (Option<f64>, Option<f64>) {
    let Some(pid) = pid else {
        return (None, None);
    };
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return (None, None);
    };
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn fan_out(args: &Args, api: &Api) -> anyhow::Result<Row> {
    let n = if args.quick { 100 } else { 1000 };
    let bids = 5usize;
    let db = pg(&args.db).await?;
    let setup = Instant::now();
    let (_world, lot) = live_lot(args, api, &db, 1).await?;
    let bidder = lot.bidders[0].clone();
    let ws_base = api.base.replacen("http", "ws", 1);
    let url = format!(
        "{ws_base}/api/v1/auctions/{}/live?access_token={}",
        lot.id, bidder.token
    );
    let rss_before = rss_mib(args.server_pid);
    eprintln!("    {n} watchers connect to the hall (not timed)");
    let (handles, connect_s) = watchers(url, n, bids, true).await?;
    let rss_connected = rss_mib(args.server_pid);
    let setup_s = setup.elapsed().as_secs_f64();

    eprintln!("    timed: {bids} accepted bids, each delivered to {n} watchers");
    let mut sent: HashMap<String, Instant> = HashMap::new();
    let mut sample = String::new();
    for b in 0..bids {
        let amount = format!("{}.00", lot.start_price + lot.increment * b as i64);
        let s = Instant::now();
        api.call(
            api.req(
                Method::POST,
                &format!("/auctions/{}/bids", lot.id),
                &bidder.token,
            )
            .json(&json!({"amount": amount})),
            "an accepted bid",
        )
        .await?;
        sent.insert(amount, s);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut lat = Vec::new();
    let mut failed = Vec::new();
    for h in handles {
        match h.await? {
            Ok(got) => {
                for (text, at) in got {
                    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    if let Some(s) = v["amount"].as_str().and_then(|a| sent.get(a)) {
                        lat.push(ms(at.duration_since(*s)));
                        if sample.is_empty() {
                            sample = text.clone();
                        }
                    }
                }
            }
            Err(e) => failed.push(format!("{e:#}")),
        }
    }
    let rss_after = rss_mib(args.server_pid);
    let lat = sorted(lat);
    let p99 = quantile(&lat, 0.99);

    // the ceiling: a bare tokio-tungstenite broadcast of the same message to as many clients
    eprintln!("    ceiling: a bare WebSocket broadcast server, {n} clients, {bids} messages");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (btx, _) = tokio::sync::broadcast::channel::<String>(64);
    let btx2 = btx.clone();
    let server = tokio::spawn(async move {
        use futures_util::SinkExt;
        while let Ok((stream, _)) = listener.accept().await {
            let mut rx = btx2.subscribe();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                let _ = ws
                    .send(tokio_tungstenite::tungstenite::Message::text(
                        "{\"type\":\"state\"}",
                    ))
                    .await;
                while let Ok(m) = rx.recv().await {
                    if ws
                        .send(tokio_tungstenite::tungstenite::Message::text(m))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    let (bare, _) = watchers(format!("ws://{addr}/"), n, bids, true).await?;
    let mut bare_sent = Vec::new();
    for _ in 0..bids {
        bare_sent.push(Instant::now());
        let _ = btx.send(sample.clone());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let mut bare_lat = Vec::new();
    for h in bare {
        for (i, (_, at)) in h.await??.into_iter().enumerate() {
            bare_lat.push(ms(at.duration_since(bare_sent[i])));
        }
    }
    server.abort();
    let bare_lat = sorted(bare_lat);
    let ceiling = quantile(&bare_lat, 0.99);
    let rss = rss_after.0.or(rss_connected.0);
    let hwm = rss_after.1;
    Ok(Row {
        name: "fan-out".into(),
        value: Some(p99),
        unit: "ms p99".into(),
        ceiling: Some(ceiling),
        // both are latencies: the ratio is how much of the bare broadcast's speed remains
        ratio: Some(ceiling / p99),
        target: target_of("fan-out").into(),
        met: failed.is_empty()
            && lat.len() == n * bids
            && p99 <= 100.0
            && hwm.or(rss).is_some_and(|m| m <= 200.0),
        details: json!({
            "watchers": n, "bids": bids, "deliveries": lat.len(), "failed_watchers": failed.len(),
            "first_failures": failed.iter().take(3).collect::<Vec<_>>(),
            "p50_ms": quantile(&lat, 0.5), "p99_ms": p99, "max_ms": quantile(&lat, 1.0),
            "ceiling_p50_ms": quantile(&bare_lat, 0.5), "ceiling_p99_ms": ceiling,
            "server_rss_mib_before": rss_before.0, "server_rss_mib_connected": rss_connected.0,
            "server_rss_mib_after": rss_after.0, "server_hwm_mib": hwm,
            "server_rss_growth_mib": rss_after.0.zip(rss_before.0).map(|(a, b)| a - b),
            "connect_s": connect_s, "setup_s": setup_s,
            "note": "latency from sending the bid (HTTP) to each watcher's receipt; includes the bid's commit and the sequencer's pass",
        }),
    })
}

// ------------------------------------------------------------------------------------------
// opening

/// Seals `bidders`' 256 KiB envelopes and submits them (16 at a time; not timed).
async fn submit_all(
    api: &Api,
    world: &World,
    tender: Uuid,
    bidders: Vec<Session>,
) -> anyhow::Result<()> {
    let recipients = Arc::new(world.recipients());
    let bidders = Arc::new(bidders);
    let a = api.clone();
    in_parallel(bidders.len(), 16, move |i| {
        let (api, recipients, bidders) = (a.clone(), recipients.clone(), bidders.clone());
        async move {
            let b = &bidders[i];
            let code = b.org_code.clone().unwrap_or_default();
            let envelope = tokio::task::spawn_blocking(move || {
                padded_envelope(
                    tender,
                    &code,
                    &format!("{}.00", 40_000_000 + i),
                    &recipients,
                )
            })
            .await??;
            api.call(
                api.req(
                    Method::PUT,
                    &format!("/tenders/{tender}/bids/mine"),
                    &b.token,
                )
                .header("content-type", "application/json")
                .header("x-client-fingerprint", format!("fp-{}", b.id))
                .body(envelope),
                "submitting a sealed bid",
            )
            .await?;
            Ok(())
        }
    })
    .await?;
    Ok(())
}

async fn opening(args: &Args, api: &Api) -> anyhow::Result<Row> {
    use ggzy::sealing::pieces::{Branch, Pieces};
    let n = if args.quick { 100 } else { 1000 };
    let db = pg(&args.db).await?;
    let setup = Instant::now();
    let world = World::new(api, &args.admin_password, "construction").await?;
    let (tender, deadline) = world.tender(api, platform_now(&db).await?).await?;
    eprintln!("    {n} bidders register and submit 256 KiB sealed bids (not timed)");
    let bidders = ready_bidders(api, tender, n).await?;
    submit_all(api, &world, tender, bidders).await?;
    let now = platform_now(&db).await?;
    world
        .advance(api, (deadline - now).num_seconds() + 1)
        .await?;
    let setup_s = setup.elapsed().as_secs_f64();

    // the timed phase: two holders fetch their bundles, decrypt their pieces, submit them; the
    // second submission opens every bid
    eprintln!("    timed: the decide and execute holders open {n} bids");
    let t0 = Instant::now();
    let mut steps = Vec::new();
    for (b, s, identity, _) in world.holders.iter().take(2) {
        let branch = Branch::parse(b).context("a branch")?;
        let ts = Instant::now();
        let v = api
            .call(
                api.req(
                    Method::GET,
                    &format!("/tenders/{tender}/opening/share-bundles"),
                    &s.token,
                ),
                "fetching the share bundles",
            )
            .await?;
        let fetched = ms(ts.elapsed());
        let items = v["items"].as_array().cloned().unwrap_or_default();
        let identity = identity.clone();
        let td = Instant::now();
        let shares = tokio::task::spawn_blocking(move || {
            ggzy::sealing::cli::build_shares(&items, &identity, branch, tender)
        })
        .await?;
        let decrypted = ms(td.elapsed());
        let tp = Instant::now();
        api.call(
            api.req(
                Method::POST,
                &format!("/tenders/{tender}/opening/shares"),
                &s.token,
            )
            .json(&shares),
            "submitting the shares",
        )
        .await?;
        steps.push(
            json!({"branch": b, "fetch_ms": fetched, "holder_decrypt_ms": decrypted,
                          "submit_ms": ms(tp.elapsed())}),
        );
    }
    let total_s = t0.elapsed().as_secs_f64();
    let record = api
        .call(
            api.req(Method::GET, &format!("/tenders/{tender}/opening"), ""),
            "reading the opening record",
        )
        .await?;
    let bids = record["bids"].as_array().cloned().unwrap_or_default();
    let opened = bids.iter().filter(|b| b["status"] == "opened").count();

    // the ceiling: the same envelopes read from PostgreSQL and decrypted (both holders' bundles,
    // then the payload) with age in one process, on every core
    eprintln!("    ceiling: reading {n} envelopes from PostgreSQL and decrypting them in-process");
    let identities: Vec<(Branch, String)> = world
        .holders
        .iter()
        .take(2)
        .map(|(b, _, id, _)| (Branch::parse(b).unwrap_or(Branch::Decide), id.clone()))
        .collect();
    let tc = Instant::now();
    let rows = db
        .query(
            "SELECT envelope FROM bid_submissions WHERE tender_id = $1::text::uuid AND envelope IS NOT NULL",
            &[&tender.to_string()],
        )
        .await?;
    let envelopes: Vec<Vec<u8>> = rows.iter().map(|r| r.get(0)).collect();
    let ceiling_opened = tokio::task::spawn_blocking(move || {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let chunk = envelopes.len().div_ceil(cores).max(1);
        std::thread::scope(|sc| {
            let hs: Vec<_> = envelopes
                .chunks(chunk)
                .map(|part| {
                    let identities = &identities;
                    sc.spawn(move || {
                        let mut ok = 0usize;
                        for e in part {
                            let Ok(env) = ggzy::sealing::envelope::parse(e, tender) else {
                                continue;
                            };
                            let mut all = Pieces::new();
                            for (branch, id) in identities {
                                if let Ok(p) = ggzy::sealing::open::bundle_pieces(
                                    env.bundles.get(*branch),
                                    id,
                                    *branch,
                                    tender,
                                ) {
                                    all.extend(p);
                                }
                            }
                            if ggzy::sealing::open::open_with_pieces(&env.payload, &all).is_ok() {
                                ok += 1;
                            }
                        }
                        ok
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap_or(0)).sum::<usize>()
        })
    })
    .await?;
    let ceiling_s = tc.elapsed().as_secs_f64();
    let value = opened as f64 / total_s;
    let ceiling = ceiling_opened as f64 / ceiling_s;
    let ratio = value / ceiling;
    Ok(Row {
        name: "opening".into(),
        value: Some(value),
        unit: "bids/s".into(),
        ceiling: Some(ceiling),
        ratio: Some(ratio),
        target: target_of("opening").into(),
        met: opened == n && total_s <= 5.0 && ratio >= 0.5,
        details: json!({
            "bids": n, "opened": opened, "record_bids": bids.len(), "seconds": total_s,
            "ceiling_opened": ceiling_opened, "ceiling_seconds": ceiling_s, "steps": steps,
            "setup_s": setup_s,
        }),
    })
}
