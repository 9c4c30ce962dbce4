//! `ggzy demo load`: a demo trading centre for sandbox mode — an account of every role with
//! printed logins, and a registered, approved construction project. Idempotent. Later features
//! add their procedures (a live tender, an auction) here.

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

/// Loads the demo centre into a sandbox database through the planes' own pools.
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
    print_logins(state);
    Ok(())
}

async fn demo_project(state: &AppState) -> anyhow::Result<()> {
    let title = "市民中心周边道路改造工程（演示）";
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
