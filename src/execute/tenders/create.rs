//! Creating a tender (a 标段 of an approved project) and the public view of a tender.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Lock, Method, TenderStatus, load};
use crate::core::audit;
use crate::core::clock;
use crate::core::money::Money;
use crate::core::outbox::{self, Kind};
use crate::db::schema::{projects as project_rows, tenders};
use crate::error::{AppError, AppResult, Problem};
use crate::execute::projects::{self, Category, ProjectStatus};
use crate::http::body::Command;
use crate::http::ctx::{Caller, Ctx};
use crate::http::idempotency::{self, Begin};

/// Evaluation methods (评标方法).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationMethod {
    /// 综合评估法 (construction).
    Comprehensive,
    /// 经评审的最低投标价法 (construction).
    LowestEvaluatedPrice,
    /// 87号令 综合评分法 (procurement).
    GpComprehensive,
    /// 最低评标价法 (procurement).
    GpLowestPrice,
    /// Highest price (property one-shot sealed bidding).
    HighestPrice,
}

/// The tender's evaluation settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationSettings {
    /// The method.
    pub method: EvaluationMethod,
    /// Price weight (fraction), comprehensive methods.
    #[schema(value_type = Option<String>)]
    pub price_weight: Option<Decimal>,
    /// Technical weight (fraction).
    #[schema(value_type = Option<String>)]
    pub technical_weight: Option<Decimal>,
    /// Commercial weight (fraction).
    #[schema(value_type = Option<String>)]
    pub commercial_weight: Option<Decimal>,
    /// SME price deduction (fraction, 财库〔2022〕19号: 0.10–0.20), procurement methods.
    #[schema(value_type = Option<String>)]
    pub sme_deduction: Option<Decimal>,
}

/// Create a tender.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenderCmd {
    /// Title.
    pub title: String,
    /// Method.
    pub method: Method,
    /// Evaluation settings.
    pub evaluation: EvaluationSettings,
    /// 最高投标限价 (published).
    pub max_price: Option<Money>,
    /// Bid security amount.
    pub bid_security_amount: Money,
    /// Documents available from.
    pub documents_from: DateTime<Utc>,
    /// Documents available until.
    pub documents_until: DateTime<Utc>,
    /// Bid deadline; the opening is at the deadline (招标投标法 第三十四条).
    pub bid_deadline: DateTime<Utc>,
}

/// A created tender.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedTender {
    /// Id.
    pub id: Uuid,
    /// Tender code.
    pub code: String,
    /// `draft`.
    pub status: TenderStatus,
}

fn check_settings(cmd: &CreateTenderCmd, category: Category) -> AppResult<()> {
    let e = &cmd.evaluation;
    let bad = |m: &str| Err(AppError::unprocessable("invalid_evaluation", m.to_string()));
    let construction_method = matches!(
        e.method,
        EvaluationMethod::Comprehensive | EvaluationMethod::LowestEvaluatedPrice
    );
    let gp_method = matches!(
        e.method,
        EvaluationMethod::GpComprehensive | EvaluationMethod::GpLowestPrice
    );
    match category {
        Category::Construction if !construction_method => {
            return bad("construction tenders use comprehensive or lowest_evaluated_price");
        }
        Category::Procurement if !gp_method => {
            return bad("procurement tenders use gp_comprehensive or gp_lowest_price");
        }
        _ => {}
    }
    if matches!(
        e.method,
        EvaluationMethod::Comprehensive | EvaluationMethod::GpComprehensive
    ) {
        let (Some(p), Some(t), Some(c)) = (e.price_weight, e.technical_weight, e.commercial_weight)
        else {
            return bad(
                "a comprehensive method needs price_weight, technical_weight and commercial_weight",
            );
        };
        if [p, t, c]
            .iter()
            .any(|w| *w < Decimal::ZERO || *w > Decimal::ONE)
            || p + t + c != Decimal::ONE
        {
            return bad("the weights are fractions between 0 and 1 that sum to 1");
        }
    }
    if let Some(d) = e.sme_deduction {
        if !gp_method {
            return bad("the SME price deduction applies to procurement methods only");
        }
        // 财库〔2022〕19号: goods and services 10 %–20 %
        if d < Decimal::new(10, 2) || d > Decimal::new(20, 2) {
            return bad("sme_deduction must be between 0.10 and 0.20 (财库〔2022〕19号)");
        }
    }
    if cmd.title.trim().is_empty() || cmd.title.chars().count() > 300 {
        return Err(AppError::unprocessable(
            "invalid_field",
            "title must have 1 to 300 characters",
        ));
    }
    if !(cmd.documents_from < cmd.documents_until && cmd.documents_until <= cmd.bid_deadline) {
        return Err(AppError::unprocessable(
            "invalid_schedule",
            "documents_from < documents_until ≤ bid_deadline is required",
        ));
    }
    Ok(())
}

/// Creates a tender of an approved project (agency or purchaser of the project) → `draft`.
#[utoipa::path(post, path = "/api/v1/projects/{id}/tenders", tag = "execute",
    request_body = CreateTenderCmd, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "project id"),
           ("Idempotency-Key" = Option<String>, Header, description = "repeat-safe submission")),
    responses((status = 201, body = CreatedTender), (status = 400, body = Problem),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "project_not_approved"),
              (status = 422, body = Problem, description = "invalid_evaluation, invalid_schedule, idempotency_key_reused")))]
pub async fn create_tender(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let project_id = path.into_inner();
    let actor = ctx.actor();
    let key = ctx.idempotency_key.clone();
    let mut conn = ctx.conn().await?;
    let (status, value) = conn
        .transaction(async |c| {
            let claim = match idempotency::begin(
                c,
                key.as_deref(),
                caller.user_id,
                "create_tender",
                &body.0,
            )
            .await?
            {
                Begin::Repeat(s, v) => return Ok((s, v)),
                Begin::Claimed(claim) => Some(claim),
                Begin::NoKey => None,
            };
            let guarded = crate::core::transition::guard(
                c,
                crate::core::transition::Subject::project(project_id),
            )
            .await?;
            let _ = guarded;
            // the owner's check comes before the body is read: another org learns nothing
            let p = projects::load(c, project_id).await?;
            projects::require_owner(&p, &caller)?;
            let cmd: CreateTenderCmd = body.parse()?;
            let created = insert(c, &actor, &caller, project_id, cmd).await?;
            let v = serde_json::to_value(&created).map_err(AppError::internal)?;
            idempotency::finish(c, claim, StatusCode::CREATED, &v).await?;
            Ok::<_, AppError>((StatusCode::CREATED, v))
        })
        .await?;
    Ok(idempotency::respond(status, value))
}

async fn insert(
    conn: &mut AsyncPgConnection,
    actor: &audit::Actor,
    caller: &Caller,
    project_id: Uuid,
    cmd: CreateTenderCmd,
) -> AppResult<CreatedTender> {
    // lock the project so that lot numbers are handed out one at a time
    let _: Uuid = project_rows::table
        .find(project_id)
        .select(project_rows::id)
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::not_found("project"))?;
    let p = projects::load(conn, project_id).await?;
    if !projects::owns(&p, caller.org_id) {
        return Err(AppError::not_found("project"));
    }
    if p.view.status != ProjectStatus::Approved {
        return Err(AppError::conflict(
            "project_not_approved",
            "the regulator has not approved this project",
        ));
    }
    check_settings(&cmd, p.view.category)?;
    let lots: i64 = tenders::table
        .filter(tenders::project_id.eq(project_id))
        .count()
        .get_result(conn)
        .await?;
    let lot_no = lots as i32 + 1;
    let code = format!("{}-{:02}", p.view.code, lot_no);
    let id = Uuid::now_v7();
    let evaluation = serde_json::to_value(&cmd.evaluation).map_err(AppError::internal)?;
    diesel::insert_into(tenders::table)
        .values((
            tenders::id.eq(id),
            tenders::project_id.eq(project_id),
            tenders::lot_no.eq(lot_no),
            tenders::code.eq(&code),
            tenders::title.eq(cmd.title.trim()),
            tenders::method.eq(cmd.method.as_str()),
            tenders::evaluation.eq(&evaluation),
            tenders::max_price.eq(cmd.max_price.map(|m| m.amount())),
            tenders::bid_security_amount.eq(cmd.bid_security_amount.amount()),
            tenders::documents_from.eq(cmd.documents_from),
            tenders::documents_until.eq(cmd.documents_until),
            tenders::bid_deadline.eq(cmd.bid_deadline),
            tenders::opening_at.eq(cmd.bid_deadline),
            tenders::status.eq(TenderStatus::Draft.as_str()),
            tenders::created_by.eq(caller.user_id),
        ))
        .execute(conn)
        .await?;
    let subject = Some(("tender", id.to_string()));
    audit::record(
        conn,
        actor,
        "tender.create",
        subject.clone(),
        json!({"project_id": project_id, "code": code, "method": cmd.method.as_str(),
               "evaluation": evaluation, "bid_deadline": clock::fmt(cmd.bid_deadline)}),
    )
    .await?;
    outbox::emit(
        conn,
        Kind::Event,
        "tender.created",
        subject,
        json!({"project_id": project_id, "code": code}),
    )
    .await?;
    Ok(CreatedTender {
        id,
        code,
        status: TenderStatus::Draft,
    })
}

/// The public view of a published tender.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TenderView {
    /// Id.
    pub id: Uuid,
    /// Project id.
    pub project_id: Uuid,
    /// Project code.
    pub project_code: String,
    /// Line of business.
    pub category: String,
    /// Tender code.
    pub code: String,
    /// Lot number (标段号).
    pub lot_no: i32,
    /// Title.
    pub title: String,
    /// Method.
    pub method: String,
    /// Evaluation settings.
    pub evaluation: Value,
    /// 最高投标限价.
    pub max_price: Option<Money>,
    /// Bid security amount.
    pub bid_security_amount: Money,
    /// Documents available from.
    pub documents_from: String,
    /// Documents available until.
    pub documents_until: String,
    /// Bid deadline.
    pub bid_deadline: String,
    /// Opening time.
    pub opening_at: String,
    /// Round.
    pub round: i32,
    /// Status.
    pub status: TenderStatus,
    /// Sealing parameters (`format`, `recipients`).
    pub sealing: Option<Value>,
    /// Published at.
    pub published_at: Option<String>,
    /// Closed at.
    pub closed_at: Option<String>,
    /// Candidate publicity end.
    pub publicity_ends_at: Option<String>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Where the opening (and evaluation) take place: the venue bookings.
    #[schema(value_type = Vec<Object>)]
    pub venues: Vec<Value>,
    /// Platform time now.
    pub server_time: String,
}

fn money(d: Decimal) -> AppResult<Money> {
    Money::new(d).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))
}

/// Builds the view of a tender row (no registrant or bidder information, ever: 电子招标投标办法 第二十一条).
pub async fn view(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<TenderView> {
    let t = load(conn, id, Lock::None).await?;
    let (project_code, category): (String, String) = project_rows::table
        .find(t.project_id)
        .select((project_rows::code, project_rows::category))
        .first(conn)
        .await?;
    let now = clock::now(conn).await?;
    Ok(TenderView {
        id: t.id,
        project_id: t.project_id,
        project_code,
        category,
        code: t.code.clone(),
        lot_no: t.lot_no,
        title: t.title.clone(),
        method: t.method.clone(),
        evaluation: t.evaluation.clone(),
        max_price: t.max_price.map(money).transpose()?,
        bid_security_amount: money(t.bid_security_amount)?,
        documents_from: clock::fmt(t.documents_from),
        documents_until: clock::fmt(t.documents_until),
        bid_deadline: clock::fmt(t.bid_deadline),
        opening_at: clock::fmt(t.opening_at),
        round: t.round,
        status: t.status()?,
        sealing: t.sealing.clone(),
        published_at: t.published_at.map(clock::fmt),
        closed_at: t.closed_at.map(clock::fmt),
        publicity_ends_at: t.publicity_ends_at.map(clock::fmt),
        failure_reason: t.failure_reason.clone(),
        venues: crate::execute::venues::bookings_of(conn, "tender", t.id).await?,
        server_time: clock::fmt(now),
    })
}

/// A published tender's notice, schedule and status (public; drafts are not shown).
#[utoipa::path(get, path = "/api/v1/tenders/{id}", tag = "public",
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, body = TenderView), (status = 404, body = Problem)))]
pub async fn get_tender(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let mut conn = ctx.conn().await?;
    let v = view(&mut conn, path.into_inner()).await?;
    if v.status == TenderStatus::Draft {
        return Err(AppError::not_found("tender"));
    }
    Ok(HttpResponse::Ok().json(v))
}

/// A tender as its organisers see it, drafts included (the project's agency and purchaser, the
/// centre, the regulator and supervisors).
#[utoipa::path(get, path = "/api/v1/tenders/{id}/manage", tag = "execute", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, body = TenderView), (status = 404, body = Problem)))]
pub async fn get_tender_managed(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let mut conn = ctx.conn().await?;
    let id = path.into_inner();
    let t = load(&mut conn, id, Lock::None).await?;
    if matches!(
        caller.role,
        crate::roles::Role::Agency | crate::roles::Role::Purchaser
    ) {
        super::require_owner(&mut conn, &t, caller.org_id).await?;
    }
    Ok(HttpResponse::Ok().json(view(&mut conn, id).await?))
}
