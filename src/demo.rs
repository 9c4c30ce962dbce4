//! `ggzy demo load`: a demo trading centre for sandbox mode — an account of every role with
//! printed logins, a registered, approved construction project, two live tenders (a
//! construction tender with three sealed bids and a procurement tender with two) and two live
//! lots (a land 拍卖 and a property 网络竞价, three qualified bidders each, a sealed reserve
//! price) driven through the real HTTP API of an in-process server, so that every rule, audit
//! entry and event is the real one. Idempotent: what exists is skipped, an interrupted load is
//! resumed.

use anyhow::{Context, bail};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;

use crate::app::AppState;
use crate::core::audit::Actor;
use crate::core::outbox::{self, Kind};
use crate::db::schema::{project_approvals, projects, users};
use crate::identity::accounts::{self, CreatedBy, NewAccount};
use crate::identity::org_code;
use crate::roles::{Plane, Role};

/// The password of every demo account (sandbox only).
pub const DEMO_PASSWORD: &str = "ggzy-demo-2026";

struct DemoUser {
    username: &'static str,
    role: Role,
    name: &'static str,
    org: Option<(&'static str, &'static str)>,
}

const USERS: &[DemoUser] = &[
    DemoUser {
        username: "regulator",
        role: Role::Regulator,
        name: "市公共资源交易管理委员会 监管员",
        org: None,
    },
    DemoUser {
        username: "center",
        role: Role::CenterStaff,
        name: "市公共资源交易中心 工作人员",
        org: None,
    },
    DemoUser {
        username: "agency",
        role: Role::Agency,
        name: "华南招标代理有限公司",
        org: Some(("华南招标代理有限公司", "MA5A0001")),
    },
    DemoUser {
        username: "purchaser",
        role: Role::Purchaser,
        name: "市城市建设投资集团",
        org: Some(("市城市建设投资集团有限公司", "MA5A0002")),
    },
    DemoUser {
        username: "expert",
        role: Role::Expert,
        name: "评标专家 张工",
        org: None,
    },
    DemoUser {
        username: "bidder1",
        role: Role::Bidder,
        name: "粤海建设工程有限公司",
        org: Some(("粤海建设工程有限公司", "MA5B0001")),
    },
    DemoUser {
        username: "bidder2",
        role: Role::Bidder,
        name: "珠江路桥集团有限公司",
        org: Some(("珠江路桥集团有限公司", "MA5B0002")),
    },
    DemoUser {
        username: "bidder3",
        role: Role::Bidder,
        name: "南方市政工程有限公司",
        org: Some(("南方市政工程有限公司", "MA5B0003")),
    },
    DemoUser {
        username: "supervisor",
        role: Role::Supervisor,
        name: "纪检监察 监督员",
        org: None,
    },
    DemoUser {
        username: "social",
        role: Role::SocialSupervisor,
        name: "社会监督员 李女士",
        org: None,
    },
];

/// Loads the demo centre into a sandbox database: accounts and project through the planes' own
/// pools, the live tenders through the HTTP API of an in-process server.
pub async fn load(state: &AppState) -> anyhow::Result<()> {
    if !state.config.sandbox {
        bail!("the demo centre is only loaded into a sandbox database (GGZY_SANDBOX=1)");
    }
    let identity = state
        .pools
        .plane(Plane::Identity)
        .context("identity pool")?;
    let mut conn = identity.get().await?;
    let actor = Actor::system("demo-load");
    for u in USERS {
        let exists: bool = diesel::select(diesel::dsl::exists(
            users::table.filter(users::username.eq(u.username)),
        ))
        .get_result(&mut conn)
        .await?;
        if exists {
            continue;
        }
        let (org_name, org_code) = match u.org {
            Some((name, body)) => (
                Some(name.to_string()),
                Some(
                    org_code::compose("91", &state.config.region_code, body)
                        .context("demo org code")?,
                ),
            ),
            None => (None, None),
        };
        let acc = NewAccount {
            username: u.username.into(),
            password: DEMO_PASSWORD.into(),
            role: u.role,
            display_name: u.name.into(),
            email: format!("{}@demo.ggzy.invalid", u.username),
            org_name,
            org_code,
        };
        conn.transaction(async |c| {
            accounts::create_account(c, &actor, acc, CreatedBy::Platform).await
        })
        .await
        .map_err(|e| anyhow::anyhow!("demo account {}: {e:?}", u.username))?;
    }
    demo_project(state).await?;
    live::load(state).await?;
    print_logins(state);
    live::print(state).await?;
    live::lots::print(state).await?;
    Ok(())
}

/// The title of the demo construction project.
const PROJECT_TITLE: &str = "市民中心周边道路改造工程（演示）";

async fn demo_project(state: &AppState) -> anyhow::Result<()> {
    let title = PROJECT_TITLE;
    let execute = state.pools.plane(Plane::Execute).context("execute pool")?;
    let mut conn = execute.get().await?;
    let existing: Option<uuid::Uuid> = projects::table
        .filter(projects::title.eq(title))
        .select(projects::id)
        .first(&mut conn)
        .await
        .optional()?;
    let project_id = match existing {
        Some(id) => id,
        None => {
            let (agency_id, agency_org): (uuid::Uuid, Option<uuid::Uuid>) = users::table
                .filter(users::username.eq("agency"))
                .select((users::id, users::org_id))
                .first(&mut conn)
                .await?;
            let (_, owner_org): (uuid::Uuid, Option<uuid::Uuid>) = users::table
                .filter(users::username.eq("purchaser"))
                .select((users::id, users::org_id))
                .first(&mut conn)
                .await?;
            let id = uuid::Uuid::now_v7();
            let region = state.config.region_code.clone();
            conn.transaction::<_, anyhow::Error, _>(async |c| {
                diesel::insert_into(projects::table)
                    .values((
                        projects::id.eq(id),
                        projects::region_code.eq(&region),
                        projects::code.eq(format!("{region}-DEMO-000001")),
                        projects::category.eq("construction"),
                        projects::title.eq(title),
                        projects::description.eq("演示项目：道路、排水与照明改造，分两个标段。"),
                        projects::estimate_amount.eq(rust_decimal::Decimal::new(3_860_000_000, 2)),
                        projects::owner_org_id.eq(owner_org.context("purchaser org")?),
                        projects::agency_org_id.eq(agency_org),
                        projects::created_by.eq(agency_id),
                    ))
                    .execute(c)
                    .await?;
                let actor = Actor {
                    user_id: Some(agency_id),
                    role: Some(Role::Agency),
                    ..Actor::system("demo-load")
                };
                crate::core::audit::record(
                    c,
                    &actor,
                    "project.register",
                    Some(("project", id.to_string())),
                    json!({"title": title}),
                )
                .await?;
                outbox::emit(
                    c,
                    Kind::Event,
                    "project.registered",
                    Some(("project", id.to_string())),
                    json!({"title": title}),
                )
                .await?;
                Ok(())
            })
            .await?;
            id
        }
    };
    let decide = state.pools.plane(Plane::Decide).context("decide pool")?;
    let mut conn = decide.get().await?;
    let approved: bool = diesel::select(diesel::dsl::exists(
        project_approvals::table.filter(project_approvals::project_id.eq(project_id)),
    ))
    .get_result(&mut conn)
    .await?;
    if !approved {
        let regulator: uuid::Uuid = users::table
            .filter(users::username.eq("regulator"))
            .select(users::id)
            .first(&mut conn)
            .await?;
        conn.transaction::<_, anyhow::Error, _>(async |c| {
            diesel::insert_into(project_approvals::table)
                .values((
                    project_approvals::id.eq(uuid::Uuid::now_v7()),
                    project_approvals::project_id.eq(project_id),
                    project_approvals::decision.eq("approve"),
                    project_approvals::reason.eq("演示：依法必须招标的市政工程"),
                    project_approvals::must_tender.eq(true),
                    project_approvals::decided_by.eq(regulator),
                ))
                .execute(c)
                .await?;
            let actor = Actor {
                user_id: Some(regulator),
                role: Some(Role::Regulator),
                ..Actor::system("demo-load")
            };
            crate::core::audit::record(
                c,
                &actor,
                "project.approved",
                Some(("project", project_id.to_string())),
                json!({"must_tender": true}),
            )
            .await?;
            outbox::emit(
                c,
                Kind::Event,
                "project.approved",
                Some(("project", project_id.to_string())),
                json!({"must_tender": true}),
            )
            .await?;
            Ok(())
        })
        .await?;
    }
    Ok(())
}

fn print_logins(state: &AppState) {
    println!();
    println!("Demo centre (sandbox) — logins (password for every demo account: {DEMO_PASSWORD})");
    println!("  {:<12} {:<18} who", "username", "role");
    println!(
        "  {:<12} {:<18} {}",
        "admin",
        "admin",
        if state.config.admin_password.is_some() {
            "platform administrator (password: GGZY_ADMIN_PASSWORD)"
        } else {
            "platform administrator"
        }
    );
    for u in USERS {
        println!("  {:<12} {:<18} {}", u.username, u.role.as_str(), u.name);
    }
    println!();
}

/// The live tenders and lots: created, keyed, published and bid on (tenders) or registered for
/// (lots) through the HTTP API of an in-process server (the real routes, rules, audit entries and
/// events).
mod live {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::time::Duration;

    use anyhow::{Context, bail};
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as B64;
    use chrono::{DateTime, SubsecRound, Utc};
    use diesel::prelude::*;
    use diesel_async::{AsyncPgConnection, RunQueryDsl};
    use reqwest::{Method, RequestBuilder};
    use serde_json::{Value, json};
    use uuid::Uuid;

    use super::{DEMO_PASSWORD, PROJECT_TITLE};
    use crate::app::AppState;
    use crate::core::clock;
    use crate::core::key_holders::{self, Branch};
    use crate::db::DbConn;
    use crate::db::schema::{
        bid_security, bid_submissions, document_downloads, orgs, project_approvals, projects,
        tender_files, tenders, users,
    };
    use crate::roles::Plane;
    use crate::rules::schedule::{self, TenderSchedule};
    use crate::rules::set::{Category, Method as Procedure};
    use crate::sealing::document::Sme;
    use crate::sealing::{keys, seal};

    /// A demo bid.
    struct Bid {
        bidder: &'static str,
        price: &'static str,
        sme: Option<Sme>,
        payer_account: &'static str,
    }

    /// A project the demo registers through the API (the construction project already exists).
    struct NewProject {
        category: &'static str,
        estimate: &'static str,
        description: &'static str,
        reason: &'static str,
    }

    /// Evaluation settings: method, price / technical / commercial weights, SME deduction.
    type Evaluation = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
    );

    /// A demo tender.
    struct Spec {
        project: &'static str,
        new_project: Option<NewProject>,
        category: Category,
        title: &'static str,
        evaluation: Evaluation,
        max_price: &'static str,
        security: &'static str,
        duration_days: i32,
        document: (&'static str, &'static str),
        bids: &'static [Bid],
    }

    const SPECS: &[Spec] = &[
        Spec {
            project: PROJECT_TITLE,
            new_project: None,
            category: Category::Construction,
            title: "市民中心周边道路改造工程 施工第一标段（演示）",
            evaluation: ("comprehensive", "0.6", "0.3", "0.1", None),
            max_price: "38000000.00",
            security: "700000.00",
            duration_days: 540,
            document: (
                "招标文件（演示）.txt",
                "市民中心周边道路改造工程 施工第一标段 招标文件（演示）\n\
                 招标范围：道路、排水与照明改造。工期：540 日历天。\n\
                 评标办法：综合评估法（价格 60%，技术 30%，商务 10%）。\n\
                 投标文件须以 ggzy-sealed-bid/1 格式密封后在投标截止时间前递交。\n",
            ),
            bids: &[
                Bid {
                    bidder: "bidder1",
                    price: "36500000.00",
                    sme: None,
                    payer_account: "6222024000010000011",
                },
                Bid {
                    bidder: "bidder2",
                    price: "35980000.00",
                    sme: None,
                    payer_account: "6222024000010000022",
                },
                Bid {
                    bidder: "bidder3",
                    price: "37200000.00",
                    sme: None,
                    payer_account: "6222024000010000033",
                },
            ],
        },
        Spec {
            project: "市政务服务中心办公设备采购项目（演示）",
            new_project: Some(NewProject {
                category: "procurement",
                estimate: "4800000.00",
                description: "演示项目：政务服务大厅的计算机、打印与排队叫号设备。",
                reason: "演示：达到公开招标数额标准的货物采购",
            }),
            category: Category::Procurement,
            title: "市政务服务中心办公设备采购（演示）",
            evaluation: ("gp_comprehensive", "0.3", "0.6", "0.1", Some("0.10")),
            max_price: "4800000.00",
            security: "80000.00",
            duration_days: 30,
            document: (
                "采购文件（演示）.txt",
                "市政务服务中心办公设备采购 采购文件（演示）\n\
                 采购内容：计算机、打印机与排队叫号设备。交货期：30 日。\n\
                 评审办法：综合评分法（价格 30%，技术 60%，商务 10%）；\
                 小微企业报价扣除 10%（财库〔2022〕19号）。\n",
            ),
            bids: &[
                Bid {
                    bidder: "bidder1",
                    price: "4560000.00",
                    sme: Some(Sme::Small),
                    payer_account: "6222024000020000011",
                },
                Bid {
                    bidder: "bidder2",
                    price: "4380000.00",
                    sme: None,
                    payer_account: "6222024000020000022",
                },
                Bid {
                    bidder: "bidder3",
                    price: "4615000.00",
                    sme: None,
                    payer_account: "6222024000020000033",
                },
            ],
        },
    ];

    /// The key holders: each designates itself through its own branch's route.
    const HOLDERS: [(Branch, &str); 3] = [
        (Branch::Decide, "regulator"),
        (Branch::Execute, "center"),
        (Branch::Supervise, "supervisor"),
    ];

    /// A tender as the demo reads it back.
    struct Row {
        id: Uuid,
        code: String,
        status: String,
        documents_from: DateTime<Utc>,
        documents_until: DateTime<Utc>,
        bid_deadline: DateTime<Utc>,
    }

    /// A signed-in demo account.
    struct Session {
        token: String,
        id: Uuid,
    }

    /// The in-process server's API.
    struct Api {
        client: reqwest::Client,
        base: String,
    }

    impl Api {
        fn req(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
            let r = self
                .client
                .request(method, format!("{}/api/v1{path}", self.base));
            if token.is_empty() {
                r
            } else {
                r.bearer_auth(token)
            }
        }

        async fn login(&self, username: &str, password: &str) -> anyhow::Result<Session> {
            let v = call(
                self.req(Method::POST, "/auth/login", "")
                    .json(&json!({"username": username, "password": password})),
                &format!("logging in as the demo account {username}"),
            )
            .await?;
            if v["user"]["must_change_password"] == json!(true) {
                // demo accounts are made by the platform (no one-time password); an account of
                // this name made by an administrator must first be given its own password
                bail!(
                    "the account {username} is still on a one-time password: log in as {username}, \
                     change the password (POST /api/v1/me/password) or use another database"
                );
            }
            Ok(Session {
                token: v["access_token"]
                    .as_str()
                    .context("the login answer has no access_token")?
                    .to_string(),
                id: uuid_of(&v["user"]["id"])?,
            })
        }
    }

    /// Sends a request; a non-2xx answer becomes an error carrying the problem body.
    async fn call(req: RequestBuilder, what: &str) -> anyhow::Result<Value> {
        let r = req.send().await.with_context(|| what.to_string())?;
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{what}: HTTP {status}: {text}");
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).with_context(|| format!("{what}: the answer is not JSON"))
    }

    fn uuid_of(v: &Value) -> anyhow::Result<Uuid> {
        v.as_str()
            .context("no id in the answer")?
            .parse()
            .context("a malformed id in the answer")
    }

    async fn execute_conn(state: &AppState) -> anyhow::Result<DbConn> {
        let pool = state.pools.plane(Plane::Execute).context("execute pool")?;
        Ok(pool.get().await?)
    }

    async fn find(conn: &mut AsyncPgConnection, spec: &Spec) -> anyhow::Result<Option<Row>> {
        type R = (
            Uuid,
            String,
            String,
            DateTime<Utc>,
            DateTime<Utc>,
            DateTime<Utc>,
        );
        let r: Option<R> = tenders::table
            .inner_join(projects::table)
            .filter(projects::title.eq(spec.project))
            .filter(tenders::title.eq(spec.title))
            .order(tenders::created_at.asc())
            .select((
                tenders::id,
                tenders::code,
                tenders::status,
                tenders::documents_from,
                tenders::documents_until,
                tenders::bid_deadline,
            ))
            .first(conn)
            .await
            .optional()?;
        Ok(r.map(
            |(id, code, status, documents_from, documents_until, bid_deadline)| Row {
                id,
                code,
                status,
                documents_from,
                documents_until,
                bid_deadline,
            },
        ))
    }

    /// The org (id, 统一社会信用代码) of a demo account.
    async fn org_of(
        conn: &mut AsyncPgConnection,
        username: &str,
    ) -> anyhow::Result<(Uuid, String)> {
        users::table
            .inner_join(orgs::table)
            .filter(users::username.eq(username))
            .select((orgs::id, orgs::code))
            .first(conn)
            .await
            .with_context(|| format!("the org of the demo account {username}"))
    }

    /// The orgs with a sealed bid in the tender.
    async fn bidding_orgs(conn: &mut AsyncPgConnection, tender: Uuid) -> anyhow::Result<Vec<Uuid>> {
        Ok(bid_submissions::table
            .filter(bid_submissions::tender_id.eq(tender))
            .filter(bid_submissions::kind.eq("bid"))
            .select(bid_submissions::org_id)
            .distinct()
            .load(conn)
            .await?)
    }

    /// The spec's bids not yet submitted.
    async fn missing_bids(
        conn: &mut AsyncPgConnection,
        spec: &'static Spec,
        tender: Uuid,
    ) -> anyhow::Result<Vec<&'static Bid>> {
        let have = bidding_orgs(conn, tender).await?;
        let mut out = Vec::new();
        for b in spec.bids {
            if !have.contains(&org_of(conn, b.bidder).await?.0) {
                out.push(b);
            }
        }
        Ok(out)
    }

    /// Whether nothing is left to do for the spec (published and bid on, or moved on since).
    async fn done(conn: &mut AsyncPgConnection, spec: &'static Spec) -> anyhow::Result<bool> {
        let Some(t) = find(conn, spec).await? else {
            return Ok(false);
        };
        match t.status.as_str() {
            "draft" => Ok(false),
            "bidding" => {
                if clock::now(conn).await? >= t.bid_deadline {
                    return Ok(true);
                }
                Ok(missing_bids(conn, spec, t.id).await?.is_empty())
            }
            _ => Ok(true),
        }
    }

    fn key_path(state: &AppState, tender: Uuid, branch: Branch) -> PathBuf {
        state
            .config
            .data_dir
            .join("demo-keys")
            .join(format!("{tender}-{}.key", branch.as_str()))
    }

    /// Writes a holder's identity file (mode 0600, never over an existing file).
    fn write_identity(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
        use std::io::Write;
        let dir = path.parent().context("the key directory")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        Ok(())
    }

    /// Loads the live tenders and lots, starting an in-process server only when something is
    /// missing.
    pub(super) async fn load(state: &AppState) -> anyhow::Result<()> {
        let mut conn = execute_conn(state).await?;
        let mut pending: Vec<&'static Spec> = Vec::new();
        for spec in SPECS {
            if !done(&mut conn, spec).await? {
                pending.push(spec);
            }
        }
        let mut pending_lots: Vec<&'static lots::LotSpec> = Vec::new();
        for spec in lots::LOTS {
            if !lots::done(state, &mut conn, spec).await? {
                pending_lots.push(spec);
            }
        }
        drop(conn);
        if pending.is_empty() && pending_lots.is_empty() {
            return Ok(());
        }
        let mut config = (*state.config).clone();
        config.listen = "127.0.0.1:0".into();
        let mut running = crate::app::start(config, Plane::ALL.to_vec(), 1)
            .await
            .context("starting the in-process server for the demo tenders and lots")?;
        let server = running.server.take().context("the in-process server")?;
        tokio::spawn(server);
        let api = Api {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()?,
            base: format!("http://{}", running.addr),
        };
        let result = drive(state, &api, &pending, &pending_lots).await;
        settle(state, &running).await;
        running.stop().await;
        result
    }

    /// Gives the in-process sequencer a moment to chain the audit entries just written (best
    /// effort: whatever is left, the next server chains).
    async fn settle(state: &AppState, running: &crate::app::Running) {
        #[derive(QueryableByName)]
        struct Lag {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let Some(pool) = state.pools.plane(Plane::Supervise) else {
            return;
        };
        let Ok(mut conn) = pool.get().await else {
            return;
        };
        for _ in 0..200 {
            running.state.sequencer_signal.notify_one();
            let lag: QueryResult<Lag> = diesel::sql_query(
                "SELECT (SELECT count(*) FROM audit_entries) - (SELECT count(*) FROM audit_chain) AS n",
            )
            .get_result(&mut conn)
            .await;
            match lag {
                Ok(l) if l.n > 0 => tokio::time::sleep(Duration::from_millis(50)).await,
                _ => return,
            }
        }
    }

    async fn drive(
        state: &AppState,
        api: &Api,
        pending: &[&'static Spec],
        pending_lots: &[&'static lots::LotSpec],
    ) -> anyhow::Result<()> {
        let mut who: HashMap<&'static str, Session> = HashMap::new();
        let names = HOLDERS
            .iter()
            .map(|h| h.1)
            .chain(["agency"])
            .chain(pending.iter().flat_map(|s| s.bids.iter().map(|b| b.bidder)))
            .chain(
                pending_lots
                    .iter()
                    .flat_map(|s| s.bidders.iter().map(|b| b.0)),
            );
        for name in names {
            if !who.contains_key(name) {
                who.insert(name, api.login(name, DEMO_PASSWORD).await?);
            }
        }
        let mut ids = Vec::new();
        for spec in pending {
            ids.push(publish(state, api, &who, spec).await?);
        }
        let mut lot_ids = Vec::new();
        for spec in pending_lots {
            lot_ids.push(lots::publish(state, api, &who, spec).await?);
        }
        open_documents(state, api, &ids).await?;
        for (spec, id) in pending.iter().zip(ids) {
            submit_bids(state, api, &who, spec, id).await?;
        }
        lots::open_registration(state, api, &lot_ids).await?;
        for (spec, id) in pending_lots.iter().zip(lot_ids) {
            lots::register(state, api, &who, spec, id).await?;
        }
        Ok(())
    }

    /// The schedule: documents from now + 1 minute for 7 days, deadline 25 days after, each
    /// moved on by whole days while the rule set and calendar (holidays) ask for more.
    async fn schedule_for(
        conn: &mut AsyncPgConnection,
        category: Category,
        now: DateTime<Utc>,
    ) -> (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>) {
        let day = chrono::Duration::days(1);
        let from = (now + chrono::Duration::minutes(1)).trunc_subsecs(0);
        let (mut until, mut deadline) = (from + day * 7, from + day * 25);
        let rules = crate::decide::rules::load_rules(conn).await;
        let calendar = crate::decide::rules::load_calendar(conn).await;
        let (Ok(rules), Ok(calendar)) = (rules, calendar) else {
            return (from, until, deadline);
        };
        for _ in 0..60 {
            let s = TenderSchedule {
                category,
                method: Procedure::OpenTender,
                must_tender: true,
                documents_from: from,
                documents_until: until,
                bid_deadline: deadline,
                publish_at: now,
            };
            match schedule::check_tender_schedule(&rules, &calendar, &s) {
                Ok(v) if v.is_empty() => break,
                Ok(v) if v.iter().any(|v| v.rule.contains("documents")) => {
                    until += day;
                    deadline = deadline.max(until);
                }
                Ok(_) => deadline += day,
                // publication will name the missing calendar year
                Err(_) => break,
            }
        }
        (from, until, deadline)
    }

    /// The project titled `title`, registered by the agency (for the demo purchaser) from `new`
    /// and approved by the regulator if need be.
    async fn project(
        state: &AppState,
        conn: &mut AsyncPgConnection,
        api: &Api,
        who: &HashMap<&'static str, Session>,
        title: &str,
        new: Option<&NewProject>,
        must_tender: bool,
    ) -> anyhow::Result<Uuid> {
        let existing: Option<Uuid> = projects::table
            .filter(projects::title.eq(title))
            .order(projects::created_at.asc())
            .select(projects::id)
            .first(conn)
            .await
            .optional()?;
        let id = match (existing, new) {
            (Some(id), _) => id,
            (None, None) => bail!("the demo project {title} is missing"),
            (None, Some(p)) => {
                let (_, purchaser) = org_of(conn, "purchaser").await?;
                let v = call(
                    api.req(Method::POST, "/projects", &who["agency"].token)
                        .json(&json!({"category": p.category, "title": title,
                                      "region_code": state.config.region_code,
                                      "estimate_amount": p.estimate, "description": p.description,
                                      "purchaser_org_code": purchaser})),
                    &format!("registering the project {title}"),
                )
                .await?;
                uuid_of(&v["id"])?
            }
        };
        let approved: bool = diesel::select(diesel::dsl::exists(
            project_approvals::table.filter(project_approvals::project_id.eq(id)),
        ))
        .get_result(conn)
        .await?;
        if !approved {
            let reason = new.map_or("演示：依法必须招标", |p| p.reason);
            call(
                api.req(
                    Method::POST,
                    &format!("/projects/{id}/approval"),
                    &who["regulator"].token,
                )
                .json(
                    &json!({"decision": "approve", "reason": reason, "must_tender": must_tender}),
                ),
                &format!("approving the project {title}"),
            )
            .await?;
        }
        Ok(id)
    }

    /// The spec's tender, created if missing and, while a draft, keyed and published.
    async fn publish(
        state: &AppState,
        api: &Api,
        who: &HashMap<&'static str, Session>,
        spec: &Spec,
    ) -> anyhow::Result<Uuid> {
        let mut conn = execute_conn(state).await?;
        let project = project(
            state,
            &mut conn,
            api,
            who,
            spec.project,
            spec.new_project.as_ref(),
            true,
        )
        .await?;
        let agency = &who["agency"].token;
        let (id, status) = match find(&mut conn, spec).await? {
            Some(t) => (t.id, t.status),
            None => {
                let now = clock::now(&mut conn).await?;
                let (from, until, deadline) = schedule_for(&mut conn, spec.category, now).await;
                let (method, price, technical, commercial, sme) = spec.evaluation;
                let mut evaluation = json!({"method": method, "price_weight": price,
                    "technical_weight": technical, "commercial_weight": commercial});
                if let Some(d) = sme {
                    evaluation["sme_deduction"] = json!(d);
                }
                let v = call(
                    api.req(
                        Method::POST,
                        &format!("/projects/{project}/tenders"),
                        agency,
                    )
                    .json(
                        &json!({"title": spec.title, "method": "open_tender",
                                      "evaluation": evaluation, "max_price": spec.max_price,
                                      "bid_security_amount": spec.security,
                                      "documents_from": from, "documents_until": until,
                                      "bid_deadline": deadline}),
                    ),
                    &format!("creating the tender {}", spec.title),
                )
                .await?;
                (uuid_of(&v["id"])?, "draft".to_string())
            }
        };
        if status != "draft" {
            return Ok(id);
        }
        for (branch, name) in HOLDERS {
            holder(state, &mut conn, api, &who[name], branch, id).await?;
        }
        let files: i64 = tender_files::table
            .filter(tender_files::tender_id.eq(id))
            .count()
            .get_result(&mut conn)
            .await?;
        if files == 0 {
            let (name, text) = spec.document;
            call(
                api.req(Method::POST, &format!("/tenders/{id}/files"), agency)
                    .json(
                        &json!({"name": name, "media_type": "text/plain; charset=utf-8",
                                  "content": B64.encode(text)}),
                    ),
                &format!("uploading the documents of {}", spec.title),
            )
            .await?;
        }
        call(
            api.req(Method::POST, &format!("/tenders/{id}/publish"), agency)
                .json(&json!({})),
            &format!("publishing {}", spec.title),
        )
        .await?;
        Ok(id)
    }

    /// A branch's holder designates itself and registers a fresh per-tender key, whose identity
    /// is kept under `<data dir>/demo-keys/` (reused when a load is resumed).
    async fn holder(
        state: &AppState,
        conn: &mut AsyncPgConnection,
        api: &Api,
        me: &Session,
        branch: Branch,
        tender: Uuid,
    ) -> anyhow::Result<()> {
        let path = key_path(state, tender, branch);
        let recipient = if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            keys::recipient_of(&keys::identity_from_file_text(&text)?)?
        } else {
            let (identity, recipient) = keys::keygen();
            let text = format!(
                "# ggzy demo key holder identity: tender {tender}, branch {}\n# created: {}\n\
                 # public key: {recipient}\n{identity}\n",
                branch.as_str(),
                Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            write_identity(&path, &text)?;
            recipient
        };
        let b = branch.as_str();
        let current = key_holders::holder(conn, branch, tender)
            .await
            .map_err(|e| anyhow::anyhow!("reading the {b} holder: {e}"))?;
        let registered = match current {
            Some(h) if h.user_id == me.id => h.recipient,
            _ => {
                call(
                    api.req(
                        Method::PUT,
                        &format!("/tenders/{tender}/key-holders/{b}"),
                        &me.token,
                    )
                    .json(&json!({"user_id": me.id})),
                    &format!("designating the {b} key holder"),
                )
                .await?;
                None
            }
        };
        if registered.as_deref() != Some(recipient.as_str()) {
            call(
                api.req(
                    Method::PUT,
                    &format!("/tenders/{tender}/holder-keys/{b}"),
                    &me.token,
                )
                .json(&json!({"public_key": recipient})),
                &format!("registering the {b} holder's key"),
            )
            .await?;
        }
        Ok(())
    }

    /// Documents are obtained from `documents_from`: when the platform clock is not there yet,
    /// the admin moves the sandbox clock on (or, without an admin password, the load waits).
    async fn open_documents(state: &AppState, api: &Api, ids: &[Uuid]) -> anyhow::Result<()> {
        let mut conn = execute_conn(state).await?;
        let from: Option<DateTime<Utc>> = tenders::table
            .filter(tenders::id.eq_any(ids))
            .filter(tenders::status.eq("bidding"))
            .select(diesel::dsl::max(tenders::documents_from))
            .first(&mut conn)
            .await?;
        let Some(from) = from else {
            return Ok(());
        };
        reach(state, api, from, "the tender documents to become available").await
    }

    /// Brings the platform clock to `at`: the admin moves the sandbox clock on or, without an
    /// admin password, the load waits for it.
    async fn reach(
        state: &AppState,
        api: &Api,
        at: DateTime<Utc>,
        what: &str,
    ) -> anyhow::Result<()> {
        let mut conn = execute_conn(state).await?;
        let now = clock::now(&mut conn).await?;
        if now >= at {
            return Ok(());
        }
        let seconds = (at - now).num_seconds() + 1;
        if let Some(password) = &state.config.admin_password {
            let admin = api.login("admin", password).await?;
            call(
                api.req(Method::POST, "/sandbox/clock", &admin.token)
                    .json(&json!({"advance_seconds": seconds})),
                &format!("moving the sandbox clock on for {what}"),
            )
            .await?;
            return Ok(());
        }
        println!("waiting {seconds} s for {what}");
        for _ in 0..(seconds + 30) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if clock::now(&mut conn).await? >= at {
                return Ok(());
            }
        }
        bail!("the platform clock did not reach {at} (is it frozen? set GGZY_ADMIN_PASSWORD)")
    }

    /// The spec's bidders obtain the documents, declare security and submit sealed bids.
    async fn submit_bids(
        state: &AppState,
        api: &Api,
        who: &HashMap<&'static str, Session>,
        spec: &'static Spec,
        id: Uuid,
    ) -> anyhow::Result<()> {
        let mut conn = execute_conn(state).await?;
        let Some(t) = find(&mut conn, spec).await? else {
            bail!("the tender {} vanished", spec.title);
        };
        let now = clock::now(&mut conn).await?;
        if t.status != "bidding" || now >= t.bid_deadline {
            return Ok(());
        }
        let tender: Value = call(
            api.req(Method::GET, &format!("/tenders/{id}"), ""),
            "reading the published tender",
        )
        .await?;
        let recipients = crate::sealing::cli::recipients_from_tender(&tender)?;
        for b in missing_bids(&mut conn, spec, id).await? {
            let me = &who[b.bidder];
            let (org, code) = org_of(&mut conn, b.bidder).await?;
            let fingerprint = format!("demo-{}", b.bidder);
            let obtained: i64 = document_downloads::table
                .filter(document_downloads::tender_id.eq(id))
                .filter(document_downloads::org_id.eq(org))
                .count()
                .get_result(&mut conn)
                .await?;
            if obtained == 0 && now >= t.documents_from && now <= t.documents_until {
                call(
                    api.req(Method::POST, &format!("/tenders/{id}/documents"), &me.token)
                        .header("x-client-fingerprint", &fingerprint)
                        .json(&json!({})),
                    &format!("{} obtaining the documents", b.bidder),
                )
                .await?;
            }
            let declared: i64 = bid_security::table
                .filter(bid_security::tender_id.eq(id))
                .filter(bid_security::org_id.eq(org))
                .count()
                .get_result(&mut conn)
                .await?;
            if declared == 0 {
                call(
                    api.req(Method::POST, &format!("/tenders/{id}/bid-security"), &me.token)
                        .json(&json!({"amount": spec.security, "payer_account": b.payer_account,
                                      "payer_bank": "中国建设银行", "paid_at": clock::now(&mut conn).await?,
                                      "reference": format!("投标保证金 {}", t.code)})),
                    &format!("{} declaring bid security", b.bidder),
                )
                .await?;
            }
            let document = seal::build_document(
                id,
                &code,
                b.price.parse().context("a demo price")?,
                Some(spec.duration_days),
                b.sme,
                json!({"note": "演示投标（ggzy demo load）"}),
                &[],
            )?;
            let envelope = seal::seal(id, &document, &recipients)?;
            call(
                api.req(Method::PUT, &format!("/tenders/{id}/bids/mine"), &me.token)
                    .header("content-type", "application/json")
                    .header("x-client-fingerprint", &fingerprint)
                    .body(envelope),
                &format!("{} submitting a sealed bid", b.bidder),
            )
            .await?;
        }
        Ok(())
    }

    fn china(t: DateTime<Utc>) -> String {
        t.with_timezone(&schedule::china())
            .format("%Y-%m-%d %H:%M:%S %:z")
            .to_string()
    }

    /// The server's address as `ggzy serve` listens (for the printed commands).
    fn server_url(state: &AppState) -> String {
        let listen = state.config.listen.as_str();
        let (host, port) = listen.rsplit_once(':').unwrap_or((listen, "8080"));
        let host = match host {
            "" | "0.0.0.0" | "[::]" | "::" => "127.0.0.1",
            h => h,
        };
        format!("http://{host}:{port}")
    }

    /// Prints the live tenders, where their holders' keys are and how to open them.
    pub(super) async fn print(state: &AppState) -> anyhow::Result<()> {
        let mut conn = execute_conn(state).await?;
        let now = clock::now(&mut conn).await?;
        let server = server_url(state);
        println!("Live tenders (platform time {})", china(now));
        for spec in SPECS {
            let Some(t) = find(&mut conn, spec).await? else {
                println!("  {} — not created", spec.title);
                continue;
            };
            let bids = bidding_orgs(&mut conn, t.id).await?.len();
            println!("  {} {}", t.code, spec.title);
            println!("    id         {}", t.id);
            println!("    status     {} ({bids} sealed bids received)", t.status);
            println!(
                "    documents  {} – {}",
                china(t.documents_from),
                china(t.documents_until)
            );
            println!(
                "    deadline   {} (the opening); {{\"advance_seconds\": {}}} moves the sandbox clock past it",
                china(t.bid_deadline),
                ((t.bid_deadline - now).num_seconds() + 60).max(0)
            );
            if t.status == "bidding" {
                let (min, citation) = crate::decide::rules::min_bids(&mut conn, t.id)
                    .await
                    .map_err(|e| anyhow::anyhow!("the minimum number of bids: {e}"))?;
                let have = bidding_orgs(&mut conn, t.id).await?;
                let mut idle = None;
                for name in ["bidder1", "bidder2", "bidder3"] {
                    let (org, code) = org_of(&mut conn, name).await?;
                    if idle.is_none() && !have.contains(&org) {
                        idle = Some((name, code));
                    }
                }
                if let (true, Some((bidder, code))) = ((bids as i64) < min, idle) {
                    let price = (spec.max_price.parse::<rust_decimal::Decimal>()?
                        * rust_decimal::Decimal::new(92, 2))
                    .round_dp(2);
                    println!(
                        "    note       the opening needs {min} bids ({citation}), or the tender fails \
                         at the closing: bid as {bidder} first, e.g. bid.json \
                         {{\"org_code\": \"{code}\", \"price\": \"{price:.2}\"}}, \
                         `ggzy seal --server {server} --tender {} --bid bid.json --out bid.sealed`, \
                         then PUT the envelope to {server}/api/v1/tenders/{}/bids/mine as {bidder} \
                         (or seal and submit in the browser at {server}/bid/{})",
                        t.id, t.id, t.id
                    );
                }
            }
            println!("    key holders (any two of the three open the bids):");
            for (branch, name) in HOLDERS {
                let path = key_path(state, t.id, branch);
                let b = branch.as_str();
                if path.exists() {
                    println!(
                        "      {b:<9} {name:<10} ggzy unseal-shares --server {server} --tender {} \
                         --identity {} --branch {b} --token <{name} token>",
                        t.id,
                        path.display()
                    );
                } else {
                    println!(
                        "      {b:<9} {name:<10} (no identity file at {})",
                        path.display()
                    );
                }
            }
        }
        println!(
            "  To open: as admin, POST {server}/api/v1/sandbox/clock {{\"advance_seconds\": N}} moves the \
             sandbox clock past the deadline (the closing runs); then two holders run their \
             `ggzy unseal-shares` line, with the token from POST {server}/api/v1/auth/login as that \
             holder (password {DEMO_PASSWORD}), or open {server}/holder/<tender id> in a browser, sign \
             in and give the identity file there."
        );
        println!();
        Ok(())
    }

    /// The live lots: a land 拍卖 and a property 网络竞价, announced, registered for and their
    /// deposits confirmed through the HTTP API; the regulator seals a reserve price.
    pub(super) mod lots {
        use std::collections::HashMap;

        use anyhow::{Context, bail};
        use chrono::{DateTime, Duration, SubsecRound, Utc};
        use diesel::prelude::*;
        use diesel_async::{AsyncPgConnection, RunQueryDsl};
        use reqwest::Method;
        use serde_json::{Value, json};
        use uuid::Uuid;

        use super::{
            Api, NewProject, Session, call, china, execute_conn, org_of, project, reach, uuid_of,
        };
        use crate::app::AppState;
        use crate::core::clock;
        use crate::db::schema::{
            auction_registrations, auction_reserve_prices, auctions, projects,
        };
        use crate::execute::auctions::AuctionRow;
        use crate::roles::Plane;
        use crate::rules::schedule;

        /// A demo lot.
        pub(super) struct LotSpec {
            /// The project's title (one lot per project).
            project: &'static str,
            new_project: NewProject,
            /// The lot's title.
            title: &'static str,
            format: &'static str,
            start_price: &'static str,
            increment: &'static str,
            deposit: &'static str,
            reserve: &'static str,
            countdown_seconds: i32,
            /// China days from the announcement to the start (10:00 China time).
            lead_days: i64,
            /// Minutes of free bidding before the timed period (online multi-round).
            free_bidding_minutes: Option<i64>,
            /// The registering bidders and their deposits' payer accounts.
            pub(super) bidders: &'static [(&'static str, &'static str)],
        }

        /// The demo lots.
        pub(super) const LOTS: &[LotSpec] = &[
            LotSpec {
                project: "滨江新区 B-2026-05 号地块国有建设用地使用权出让（演示）",
                new_project: NewProject {
                    category: "land",
                    estimate: "86000000.00",
                    description: "演示地块：商住用地 2.35 公顷，容积率 2.8，出让年限住宅 70 年、商业 40 年。",
                    reason: "演示：经营性用地以招标拍卖挂牌方式出让",
                },
                title: "滨江新区 B-2026-05 号地块 国有建设用地使用权拍卖（演示）",
                format: "english",
                start_price: "86000000.00",
                increment: "500000.00",
                deposit: "17200000.00",
                reserve: "88000000.00",
                countdown_seconds: 120,
                // 出让公告 ≥ 20 日 (招标拍卖挂牌出让国有建设用地使用权规定 第十条)
                lead_days: 22,
                free_bidding_minutes: None,
                bidders: &[
                    ("bidder1", "6222024000030000011"),
                    ("bidder2", "6222024000030000022"),
                    ("bidder3", "6222024000030000033"),
                ],
            },
            LotSpec {
                project: "市城市建设投资集团 东湖路 8 号办公楼转让（演示）",
                new_project: NewProject {
                    category: "property",
                    estimate: "12800000.00",
                    description: "演示标的：东湖路 8 号办公楼第 3–5 层，建筑面积 2150 平方米，产权清晰。",
                    reason: "演示：企业国有资产转让在产权交易机构公开进行",
                },
                title: "东湖路 8 号办公楼第 3–5 层 网络竞价（演示）",
                format: "online_multi_round",
                start_price: "12800000.00",
                increment: "100000.00",
                deposit: "1000000.00",
                reserve: "13200000.00",
                countdown_seconds: 120,
                // 信息披露 ≥ 20 工作日 (企业国有资产交易监督管理办法 第十三条): 35 days
                lead_days: 35,
                free_bidding_minutes: Some(60),
                bidders: &[
                    ("bidder1", "6222024000040000011"),
                    ("bidder2", "6222024000040000022"),
                    ("bidder3", "6222024000040000033"),
                ],
            },
        ];

        /// The spec's lot (the first of its project), if created.
        async fn find(
            conn: &mut AsyncPgConnection,
            spec: &LotSpec,
        ) -> anyhow::Result<Option<AuctionRow>> {
            Ok(auctions::table
                .inner_join(projects::table.on(projects::id.eq(auctions::project_id)))
                .filter(projects::title.eq(spec.project))
                .order(auctions::created_at.asc())
                .select(AuctionRow::as_select())
                .first(conn)
                .await
                .optional()?)
        }

        /// The demo bidders' registrations: (bidder, registration id, status, number).
        async fn registrations(
            conn: &mut AsyncPgConnection,
            spec: &LotSpec,
            lot: Uuid,
        ) -> anyhow::Result<Vec<(&'static str, Option<(Uuid, String, Option<String>)>)>> {
            let mut out = Vec::new();
            for (bidder, _) in spec.bidders {
                let (org, _) = org_of(conn, bidder).await?;
                let reg: Option<(Uuid, String, Option<String>)> = auction_registrations::table
                    .filter(auction_registrations::auction_id.eq(lot))
                    .filter(auction_registrations::org_id.eq(org))
                    .select((
                        auction_registrations::id,
                        auction_registrations::status,
                        auction_registrations::bidder_number,
                    ))
                    .first(conn)
                    .await
                    .optional()?;
                out.push((*bidder, reg));
            }
            Ok(out)
        }

        /// Whether the lot's reserve price is set (read by the decide plane).
        async fn reserve_set(state: &AppState, lot: Uuid) -> anyhow::Result<bool> {
            let pool = state.pools.plane(Plane::Decide).context("decide pool")?;
            let mut conn = pool.get().await?;
            Ok(diesel::select(diesel::dsl::exists(
                auction_reserve_prices::table.filter(auction_reserve_prices::auction_id.eq(lot)),
            ))
            .get_result(&mut conn)
            .await?)
        }

        /// Whether nothing is left to do for the spec (published, registered, deposits and
        /// reserve in, or closed since).
        pub(super) async fn done(
            state: &AppState,
            conn: &mut AsyncPgConnection,
            spec: &LotSpec,
        ) -> anyhow::Result<bool> {
            let Some(a) = find(conn, spec).await? else {
                return Ok(false);
            };
            if !a.published {
                return Ok(false);
            }
            if a.stage == "closed" {
                return Ok(true);
            }
            let qualified = registrations(conn, spec, a.id)
                .await?
                .iter()
                .all(|(_, r)| r.as_ref().is_some_and(|r| r.1 != "pending_deposit"));
            Ok(qualified && reserve_set(state, a.id).await?)
        }

        /// The start: 10:00 China time, `days` China days after the announcement.
        fn start_after(announce: DateTime<Utc>, days: i64) -> anyhow::Result<DateTime<Utc>> {
            let day = schedule::china_date(announce) + Duration::days(days);
            day.and_hms_opt(10, 0, 0)
                .and_then(|t| t.and_local_timezone(schedule::china()).single())
                .map(|t| t.with_timezone(&Utc))
                .context("the demo lot's start")
        }

        /// The spec's lot, created (announcement now + 1 minute) if missing, and published.
        pub(super) async fn publish(
            state: &AppState,
            api: &Api,
            who: &HashMap<&'static str, Session>,
            spec: &LotSpec,
        ) -> anyhow::Result<Uuid> {
            let mut conn = execute_conn(state).await?;
            let project = project(
                state,
                &mut conn,
                api,
                who,
                spec.project,
                Some(&spec.new_project),
                false,
            )
            .await?;
            let agency = &who["agency"].token;
            let (id, published) = match find(&mut conn, spec).await? {
                Some(a) => (a.id, a.published),
                None => {
                    let now = clock::now(&mut conn).await?;
                    let announce = (now + Duration::minutes(1)).trunc_subsecs(0);
                    let mut days = spec.lead_days;
                    let id = loop {
                        let starts_at = start_after(announce, days)?;
                        let free_bidding_until = spec
                            .free_bidding_minutes
                            .map(|m| starts_at + Duration::minutes(m));
                        let r = api
                            .req(
                                Method::POST,
                                &format!("/projects/{project}/auctions"),
                                agency,
                            )
                            .json(&json!({"format": spec.format, "title": spec.title,
                                "start_price": spec.start_price, "increment": spec.increment,
                                "deposit_amount": spec.deposit, "announcement_at": announce,
                                "starts_at": starts_at, "free_bidding_until": free_bidding_until,
                                "countdown_seconds": spec.countdown_seconds}))
                            .send()
                            .await
                            .with_context(|| format!("creating the lot {}", spec.title))?;
                        let status = r.status();
                        let text = r.text().await.unwrap_or_default();
                        if status.is_success() {
                            let v: Value = serde_json::from_str(&text)?;
                            break uuid_of(&v["id"])?;
                        }
                        // holidays may ask for a later start: a week more, a few times
                        if status.as_u16() == 422
                            && text.contains("rule_violation")
                            && days < spec.lead_days + 28
                        {
                            days += 7;
                            continue;
                        }
                        bail!("creating the lot {}: HTTP {status}: {text}", spec.title);
                    };
                    (id, false)
                }
            };
            if !published {
                call(
                    api.req(Method::POST, &format!("/auctions/{id}/publish"), agency)
                        .json(&json!({})),
                    &format!("publishing {}", spec.title),
                )
                .await?;
            }
            Ok(id)
        }

        /// Registration opens with the announcement: the clock is brought there.
        pub(super) async fn open_registration(
            state: &AppState,
            api: &Api,
            ids: &[Uuid],
        ) -> anyhow::Result<()> {
            let mut conn = execute_conn(state).await?;
            let at: Option<DateTime<Utc>> = auctions::table
                .filter(auctions::id.eq_any(ids))
                .filter(auctions::stage.ne("closed"))
                .select(diesel::dsl::max(auctions::announcement_at))
                .first(&mut conn)
                .await?;
            match at {
                Some(at) => reach(state, api, at, "the lots' announcement (registration)").await,
                None => Ok(()),
            }
        }

        /// The spec's bidders register, the centre confirms their deposits (each gets its
        /// anonymous number) and the regulator seals the reserve price.
        pub(super) async fn register(
            state: &AppState,
            api: &Api,
            who: &HashMap<&'static str, Session>,
            spec: &LotSpec,
            id: Uuid,
        ) -> anyhow::Result<()> {
            let mut conn = execute_conn(state).await?;
            let Some(a) = find(&mut conn, spec).await? else {
                bail!("the lot {} vanished", spec.title);
            };
            if a.stage == "closed" {
                return Ok(());
            }
            for (bidder, reg) in registrations(&mut conn, spec, id).await? {
                let rid = match reg {
                    Some((_, status, _)) if status != "pending_deposit" => continue,
                    Some((rid, _, _)) => rid,
                    None => {
                        let v = call(
                            api.req(
                                Method::POST,
                                &format!("/auctions/{id}/registrations"),
                                &who[bidder].token,
                            )
                            .json(&json!({})),
                            &format!("{bidder} registering for {}", spec.title),
                        )
                        .await?;
                        uuid_of(&v["registration_id"])?
                    }
                };
                let account = spec
                    .bidders
                    .iter()
                    .find(|b| b.0 == bidder)
                    .map_or("", |b| b.1);
                call(
                    api.req(
                        Method::POST,
                        &format!("/auctions/{id}/registrations/{rid}/deposit"),
                        &who["center"].token,
                    )
                    .json(&json!({"payer_account": account,
                                  "reference": format!("竞买保证金 {} {bidder}", a.code)})),
                    &format!("confirming the deposit of {bidder} for {}", spec.title),
                )
                .await?;
            }
            if !reserve_set(state, id).await? {
                call(
                    api.req(
                        Method::PUT,
                        &format!("/auctions/{id}/reserve-price"),
                        &who["regulator"].token,
                    )
                    .json(&json!({"amount": spec.reserve})),
                    &format!("sealing the reserve price of {}", spec.title),
                )
                .await?;
            }
            Ok(())
        }

        /// Prints the live lots and how to bid on them.
        pub(in crate::demo) async fn print(state: &AppState) -> anyhow::Result<()> {
            let mut conn = execute_conn(state).await?;
            let now = clock::now(&mut conn).await?;
            let server = super::server_url(state);
            println!("Live lots (platform time {})", china(now));
            for spec in LOTS {
                let Some(a) = find(&mut conn, spec).await? else {
                    println!("  {} — not created", spec.title);
                    continue;
                };
                println!("  {} {}", a.code, a.title);
                println!("    id         {}", a.id);
                println!(
                    "    format     {} — start {} + increments of {}, countdown {} s, deposit {}",
                    a.format, a.start_price, a.increment, a.countdown_seconds, a.deposit_amount
                );
                println!(
                    "    status     {}{}{}",
                    a.stage,
                    a.result
                        .as_deref()
                        .map_or(String::new(), |r| format!(" ({r})")),
                    if reserve_set(state, a.id).await? {
                        "; reserve price sealed by the regulator"
                    } else {
                        "; no reserve price"
                    }
                );
                let regs = registrations(&mut conn, spec, a.id).await?;
                let numbers: Vec<String> = regs
                    .iter()
                    .map(|(b, r)| match r {
                        Some((_, s, Some(n))) if s == "qualified" => format!("{b} #{n}"),
                        Some((_, s, _)) => format!("{b} ({s})"),
                        None => format!("{b} (not registered)"),
                    })
                    .collect();
                println!("    bidders    {}", numbers.join(", "));
                println!("    announced  {}", china(a.announcement_at));
                match a.free_bidding_until {
                    Some(f) => println!(
                        "    start      {} (free bidding until {}, then a timed period)",
                        china(a.starts_at),
                        china(f)
                    ),
                    None => println!("    start      {}", china(a.starts_at)),
                }
                if a.stage == "scheduled" {
                    println!(
                        "    clock      as admin, POST {server}/api/v1/sandbox/clock \
                         {{\"advance_seconds\": {}}} moves the sandbox clock to the start",
                        ((a.starts_at - now).num_seconds() + 1).max(0)
                    );
                }
                if a.stage != "closed" {
                    println!(
                        "    bid        as bidder1–3: POST {server}/api/v1/auctions/{}/bids \
                     {{\"amount\": \"{}\"}}; watch the hall at {server}/api/v1/auctions/{}/live (WebSocket)",
                        a.id, a.start_price, a.id
                    );
                    println!(
                        "    pages      the auction hall {server}/auctions/{}, the floor board {server}/floor",
                        a.id
                    );
                }
                println!(
                    "    after      GET {server}/api/v1/auctions/{}/result; `ggzy auction replay {}` \
                     recomputes it from the bid log",
                    a.id, a.id
                );
            }
            println!();
            Ok(())
        }
    }
}
