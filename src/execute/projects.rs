//! Projects (项目): registered by an agency (for a purchaser org) or a purchaser, approved into
//! the platform by the regulator (decide plane). A project's status is derived from the
//! regulator's approval row, never written across planes.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Datelike, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::audit;
use crate::core::clock;
use crate::core::money::Money;
use crate::core::outbox::{self, Kind};
use crate::core::transition::{Machine, Transition};
use crate::db::schema::{orgs, project_approvals, projects};
use crate::error::{AppError, AppResult, Problem};
use crate::http::body::Command;
use crate::http::ctx::{Caller, Ctx};
use crate::roles::Role;

/// Lines of business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 工程建设项目招标投标.
    Construction,
    /// 政府采购.
    Procurement,
    /// 企业国有产权 / 资产交易.
    Property,
    /// 国有建设用地使用权出让.
    Land,
}

impl Category {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Construction => "construction",
            Category::Procurement => "procurement",
            Category::Property => "property",
            Category::Land => "land",
        }
    }
}

/// Project states (derived from the approval).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    /// Waiting for the regulator.
    PendingApproval,
    /// Approved into the platform.
    Approved,
    /// Rejected.
    Rejected,
}

/// Actions on a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectAction {
    /// The regulator approves.
    Approve,
    /// The regulator rejects.
    Reject,
}

/// The project state machine.
pub struct ProjectMachine;

impl Machine for ProjectMachine {
    type State = ProjectStatus;
    type Action = ProjectAction;
    const NAME: &'static str = "project";
    fn table() -> &'static [Transition<ProjectStatus, ProjectAction>] {
        use ProjectAction::*;
        use ProjectStatus::*;
        &[
            (PendingApproval, Approve, Approved, &[Role::Regulator]),
            (PendingApproval, Reject, Rejected, &[Role::Regulator]),
        ]
    }
}

/// Register a project.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProjectCmd {
    /// Line of business.
    pub category: Category,
    /// Title.
    pub title: String,
    /// Region code (行政区划代码, 6 digits).
    pub region_code: String,
    /// Estimated amount (CNY).
    pub estimate_amount: Money,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The tenderer / purchaser / seller the agency acts for (required for an agency).
    pub purchaser_org_code: Option<String>,
}

/// Answer to a registration.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedProject {
    /// Project id.
    pub id: Uuid,
    /// Project code.
    pub code: String,
    /// `pending_approval`.
    pub status: ProjectStatus,
}

/// A project as its entitled users see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProjectView {
    /// Id.
    pub id: Uuid,
    /// Code.
    pub code: String,
    /// Line of business.
    pub category: Category,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Region code.
    pub region_code: String,
    /// Estimated amount.
    pub estimate_amount: Money,
    /// Tenderer / purchaser org code.
    pub owner_org_code: String,
    /// Agency org code.
    pub agency_org_code: Option<String>,
    /// Derived status.
    pub status: ProjectStatus,
    /// 依法必须招标 (set at approval).
    pub must_tender: Option<bool>,
    /// Registered at.
    pub created_at: String,
}

#[derive(QueryableByName)]
struct NextCode {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Registers a project (agency or purchaser) → `pending_approval`.
#[utoipa::path(post, path = "/api/v1/projects", tag = "execute", request_body = CreateProjectCmd,
    security(("bearer" = [])),
    responses((status = 201, body = CreatedProject),
              (status = 400, body = Problem), (status = 422, body = Problem, description = "unknown_org, invalid_field")))]
pub async fn create_project(ctx: Ctx, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let cmd: CreateProjectCmd = body.parse()?;
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let created = conn
        .transaction(async |c| register(c, &actor, &caller, cmd).await)
        .await?;
    Ok(HttpResponse::Created().json(created))
}

async fn register(
    conn: &mut AsyncPgConnection,
    actor: &audit::Actor,
    caller: &Caller,
    cmd: CreateProjectCmd,
) -> AppResult<CreatedProject> {
    let title = cmd.title.trim();
    if title.is_empty() || title.chars().count() > 300 {
        return Err(AppError::unprocessable(
            "invalid_field",
            "title must have 1 to 300 characters",
        ));
    }
    if cmd.region_code.len() != 6 || !cmd.region_code.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::unprocessable(
            "invalid_field",
            "region_code must be 6 digits",
        ));
    }
    let own_org = caller
        .org_id
        .ok_or_else(|| AppError::forbidden("org_required", "this account belongs to no org"))?;
    let (owner, agency) = match (caller.role, cmd.purchaser_org_code.as_deref()) {
        (Role::Agency, Some(code)) => {
            let owner: Uuid = orgs::table
                .filter(orgs::code.eq(code))
                .select(orgs::id)
                .first(conn)
                .await
                .optional()?
                .ok_or_else(|| {
                    AppError::unprocessable(
                        "unknown_org",
                        "no org with this purchaser_org_code is registered",
                    )
                })?;
            (owner, Some(own_org))
        }
        (Role::Agency, None) => {
            return Err(AppError::unprocessable(
                "purchaser_required",
                "an agency must name the purchaser it acts for (purchaser_org_code)",
            ));
        }
        (_, Some(code)) => {
            let own_code: String = orgs::table
                .find(own_org)
                .select(orgs::code)
                .first(conn)
                .await?;
            if own_code != code {
                return Err(AppError::unprocessable(
                    "invalid_field",
                    "a purchaser registers its own projects (purchaser_org_code must be its own)",
                ));
            }
            (own_org, None)
        }
        (_, None) => (own_org, None),
    };
    let now = clock::now(conn).await?;
    let n: NextCode = diesel::sql_query("SELECT nextval('project_code_seq') AS n")
        .get_result(conn)
        .await?;
    let code = format!("{}-{}-{:06}", cmd.region_code, now.year(), n.n);
    let id = Uuid::now_v7();
    diesel::insert_into(projects::table)
        .values((
            projects::id.eq(id),
            projects::region_code.eq(&cmd.region_code),
            projects::code.eq(&code),
            projects::category.eq(cmd.category.as_str()),
            projects::title.eq(title),
            projects::description.eq(cmd.description.trim()),
            projects::estimate_amount.eq(cmd.estimate_amount.amount()),
            projects::owner_org_id.eq(owner),
            projects::agency_org_id.eq(agency),
            projects::created_by.eq(caller.user_id),
        ))
        .execute(conn)
        .await?;
    let subject = Some(("project", id.to_string()));
    audit::record(
        conn,
        actor,
        "project.register",
        subject.clone(),
        json!({"code": code, "category": cmd.category.as_str(), "title": title,
               "estimate_amount": cmd.estimate_amount.to_string()}),
    )
    .await?;
    outbox::emit(
        conn,
        Kind::Event,
        "project.registered",
        subject,
        json!({"code": code, "category": cmd.category.as_str(), "title": title}),
    )
    .await?;
    Ok(CreatedProject {
        id,
        code,
        status: ProjectStatus::PendingApproval,
    })
}

/// A project row with its approval.
pub struct ProjectRow {
    /// The view.
    pub view: ProjectView,
    /// Owner org id.
    pub owner_org_id: Uuid,
    /// Agency org id.
    pub agency_org_id: Option<Uuid>,
}

type Row = (
    Uuid,
    String,
    String,
    String,
    String,
    String,
    rust_decimal::Decimal,
    Uuid,
    Option<Uuid>,
    DateTime<Utc>,
    Option<String>,
    Option<bool>,
);

/// Loads a project with its derived status (any plane that may read projects).
pub async fn load(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<ProjectRow> {
    let row: Row = projects::table
        .left_join(project_approvals::table)
        .filter(projects::id.eq(id))
        .select((
            projects::id,
            projects::code,
            projects::category,
            projects::title,
            projects::description,
            projects::region_code,
            projects::estimate_amount,
            projects::owner_org_id,
            projects::agency_org_id,
            projects::created_at,
            project_approvals::decision.nullable(),
            project_approvals::must_tender.nullable(),
        ))
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::not_found("project"))?;
    let (
        id,
        code,
        category,
        title,
        description,
        region_code,
        amount,
        owner,
        agency,
        created_at,
        decision,
        must_tender,
    ) = row;
    let status = match decision.as_deref() {
        Some("approve") => ProjectStatus::Approved,
        Some(_) => ProjectStatus::Rejected,
        None => ProjectStatus::PendingApproval,
    };
    let category: Category = serde_json::from_value(json!(category))
        .map_err(|e| AppError::internal(anyhow::anyhow!("bad category: {e}")))?;
    let codes: Vec<(Uuid, String)> = orgs::table
        .filter(
            orgs::id.eq_any(
                [Some(owner), agency]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>(),
            ),
        )
        .select((orgs::id, orgs::code))
        .load(conn)
        .await?;
    let code_of = |id: Uuid| codes.iter().find(|(i, _)| *i == id).map(|(_, c)| c.clone());
    Ok(ProjectRow {
        view: ProjectView {
            id,
            code,
            category,
            title,
            description,
            region_code,
            estimate_amount: Money::new(amount)
                .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?,
            owner_org_code: code_of(owner).unwrap_or_default(),
            agency_org_code: agency.and_then(code_of),
            status,
            must_tender: if status == ProjectStatus::Approved {
                must_tender
            } else {
                None
            },
            created_at: clock::fmt(created_at),
        },
        owner_org_id: owner,
        agency_org_id: agency,
    })
}

/// A project, for the users entitled to it: its own agency and purchaser orgs, the centre, the
/// regulator and supervisors.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "project id")),
    responses((status = 200, body = ProjectView), (status = 404, body = Problem)))]
pub async fn get_project(ctx: Ctx, id: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let mut conn = ctx.conn().await?;
    let p = load(&mut conn, id.into_inner()).await?;
    require_owner(&p, &caller)?;
    Ok(HttpResponse::Ok().json(p.view))
}

/// Whether the org is the project's owner (招标人/采购人) or its agency.
pub fn owns(p: &ProjectRow, org_id: Option<Uuid>) -> bool {
    org_id.is_some_and(|o| o == p.owner_org_id || Some(o) == p.agency_org_id)
}

/// An agency or purchaser acts only on its own org's projects; another org's project answers
/// `404`, not revealing that it exists. Platform roles (centre staff, regulator, supervisor)
/// pass: their scope is the whole centre.
pub fn require_owner(p: &ProjectRow, caller: &crate::http::ctx::Caller) -> AppResult<()> {
    if matches!(caller.role, Role::Agency | Role::Purchaser) && !owns(p, caller.org_id) {
        return Err(AppError::not_found("project"));
    }
    Ok(())
}
