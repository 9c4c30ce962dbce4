//! The evaluation committee (评标委员会, DESIGN.md §5): the witnessed draw — the centre commits to
//! a secret seed, a supervisor adds a contribution afterwards (supervise plane), the draw runs on
//! both against the recorded pool snapshot (`evaluation::committee`, algorithm
//! `ggzy-committee-draw/1`) — the tenderer's own representatives, conflict declarations with
//! redraws, and publication of everything once the result is out so that anyone can re-run it.
//!
//! The draw's result is derived by the execute plane from the two inputs when it is first needed
//! (the contribution is written by the supervise plane, which never writes execute tables).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Lock, TenderAction, TenderMachine, load, require_owner};
use crate::core::audit::{self, Actor};
use crate::core::outbox::{self, Kind};
use crate::core::transition::guard;
use crate::db::schema::{
    bids, committee_draws, committee_members, draw_contributions, experts, orgs, tenders, users,
};
use crate::error::{AppError, AppResult, Problem};
use crate::evaluation::committee::{self as algo, DrawRequest, PoolExpert};
use crate::http::body::Command;
use crate::http::ctx::Ctx;

/// Most conflict replacements per draw (API.md: redraws are limited and logged).
pub const MAX_REDRAWS: usize = 3;

/// Request a draw.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawCmd {
    /// Number of experts to draw (the tenderer's representatives come on top).
    pub size: u32,
    /// How many of them are economic experts.
    pub economic: u32,
    /// Specialties of the technical experts.
    pub specialties: Vec<String>,
}

/// A requested draw.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DrawCreated {
    /// Draw id.
    pub draw_id: Uuid,
    /// SHA-256 of the centre's secret seed (hex).
    pub seed_commitment: String,
    /// `awaiting_contribution`.
    pub status: String,
    /// SHA-256 of the pool snapshot the draw runs on.
    pub pool_snapshot_hash: String,
}

fn draw_error(e: algo::DrawError) -> AppError {
    AppError::unprocessable("pool_too_small", e.to_string())
}

/// The centre requests the witnessed draw (after the closing, so that the bidders — whose
/// employees are recused — are known).
#[utoipa::path(post, path = "/api/v1/tenders/{id}/committee/draw", tag = "execute", request_body = DrawCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 201, body = DrawCreated), (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "invalid_state, draw_exists"),
              (status = 422, body = Problem, description = "pool_too_small, invalid_field"), (status = 423, body = Problem)))]
pub async fn request_draw(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let created = conn
        .transaction(async |c| {
            let t = load(c, id, Lock::Update).await?;
            let g = guard(c, t.subject()).await?;
            let cmd: DrawCmd = body.parse()?;
            g.next::<TenderMachine>(t.status()?, TenderAction::FormCommittee, caller.role)?;
            if cmd.size == 0 || cmd.economic > cmd.size || cmd.size > 25 {
                return Err(AppError::unprocessable("invalid_field", "size must be 1–25 and economic ≤ size"));
            }
            let exists: i64 = committee_draws::table.filter(committee_draws::tender_id.eq(id)).count().get_result(c).await?;
            if exists > 0 {
                return Err(AppError::conflict("draw_exists", "this tender's committee is already being drawn; conflicts are replaced by redraws"));
            }
            let pool = pool_now(c).await?;
            let excluded: Vec<String> = bids::table
                .inner_join(orgs::table.on(orgs::id.eq(bids::org_id)))
                .filter(bids::tender_id.eq(id))
                .select(orgs::code)
                .load(c)
                .await?;
            let specialties: Vec<String> = cmd.specialties.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            let request = DrawRequest {
                size_experts: cmd.size,
                economic: cmd.economic,
                specialties: specialties.clone(),
                excluded_org_codes: excluded.clone(),
                excluded_users: vec![],
            };
            // refuse now a pool that cannot give the committee, whatever the randomness
            algo::draw(&[0; 32], &[0; 32], &pool, &request).map_err(draw_error)?;
            let mut seed = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut seed);
            let commitment = algo::seed_commitment(&seed);
            let snapshot_hash = algo::pool_snapshot_hash(&pool);
            let draw_id = Uuid::now_v7();
            diesel::insert_into(committee_draws::table)
                .values((
                    committee_draws::id.eq(draw_id),
                    committee_draws::tender_id.eq(id),
                    committee_draws::seed.eq(seed.to_vec()),
                    committee_draws::seed_commitment.eq(&commitment),
                    committee_draws::size.eq(cmd.size as i32),
                    committee_draws::economic.eq(cmd.economic as i32),
                    committee_draws::specialties.eq(&specialties),
                    committee_draws::excluded_org_codes.eq(&excluded),
                    committee_draws::pool_snapshot.eq(serde_json::to_value(&pool).map_err(AppError::internal)?),
                    committee_draws::pool_snapshot_hash.eq(&snapshot_hash),
                    committee_draws::requested_by.eq(caller.user_id),
                ))
                .execute(c)
                .await?;
            let subject = Some(("tender", id.to_string()));
            let details = json!({"draw_id": draw_id, "seed_commitment": commitment, "pool_snapshot_hash": snapshot_hash,
                                 "size": cmd.size, "economic": cmd.economic, "specialties": specialties});
            audit::record(c, &actor, "committee.draw_request", subject.clone(), details.clone()).await?;
            outbox::emit(c, Kind::Public, "committee.seed_commitment", subject.clone(), details).await?;
            outbox::emit(c, Kind::Event, "committee.awaiting_contribution", subject, json!({"draw_id": draw_id})).await?;
            Ok::<_, AppError>(DrawCreated { draw_id, seed_commitment: commitment, status: "awaiting_contribution".into(), pool_snapshot_hash: snapshot_hash })
        })
        .await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(created))
}

/// The pool as it stands (any plane that reads `experts`).
pub async fn pool_now(conn: &mut AsyncPgConnection) -> AppResult<Vec<PoolExpert>> {
    let rows: Vec<(Uuid, Vec<String>, String, bool)> = experts::table
        .order(experts::user_id.asc())
        .select((
            experts::user_id,
            experts::specialties,
            experts::employer_org_code,
            experts::economic,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(user_id, specialties, employer_org_code, economic)| PoolExpert {
                user_id,
                specialties,
                employer_org_code,
                economic,
            },
        )
        .collect())
}

struct DrawInputs {
    id: Uuid,
    tender_id: Uuid,
    seed: [u8; 32],
    contribution: [u8; 32],
    pool: Vec<PoolExpert>,
    request: DrawRequest,
}

async fn draw_inputs(
    conn: &mut AsyncPgConnection,
    tender_id: Uuid,
) -> AppResult<Option<DrawInputs>> {
    type Row = (
        Uuid,
        Vec<u8>,
        i32,
        i32,
        Vec<String>,
        Vec<String>,
        Value,
        Vec<u8>,
    );
    let row: Option<Row> = committee_draws::table
        .inner_join(
            draw_contributions::table.on(draw_contributions::draw_id.eq(committee_draws::id)),
        )
        .filter(committee_draws::tender_id.eq(tender_id))
        .select((
            committee_draws::id,
            committee_draws::seed,
            committee_draws::size,
            committee_draws::economic,
            committee_draws::specialties,
            committee_draws::excluded_org_codes,
            committee_draws::pool_snapshot,
            draw_contributions::random,
        ))
        .first(conn)
        .await
        .optional()?;
    let Some((id, seed, size, economic, specialties, excluded, snapshot, random)) = row else {
        return Ok(None);
    };
    let bytes32 = |v: Vec<u8>| -> AppResult<[u8; 32]> {
        v.try_into()
            .map_err(|_| AppError::internal(anyhow::anyhow!("a draw input is not 32 bytes")))
    };
    Ok(Some(DrawInputs {
        id,
        tender_id,
        seed: bytes32(seed)?,
        contribution: bytes32(random)?,
        pool: serde_json::from_value(snapshot).map_err(AppError::internal)?,
        request: DrawRequest {
            size_experts: size as u32,
            economic: economic as u32,
            specialties,
            excluded_org_codes: excluded,
            excluded_users: vec![],
        },
    }))
}

/// Derives the drawn members once the supervisor's contribution is in (idempotent).
pub async fn ensure_members(conn: &mut AsyncPgConnection, tender_id: Uuid) -> AppResult<()> {
    let Some(d) = draw_inputs(conn, tender_id).await? else {
        return Ok(());
    };
    let have: i64 = committee_members::table
        .filter(committee_members::draw_id.eq(d.id))
        .count()
        .get_result(conn)
        .await?;
    if have > 0 {
        return Ok(());
    }
    let members = algo::draw(&d.seed, &d.contribution, &d.pool, &d.request).map_err(draw_error)?;
    for (i, m) in members.iter().enumerate() {
        let economic = d.pool.iter().any(|p| p.user_id == *m && p.economic);
        diesel::insert_into(committee_members::table)
            .values((
                committee_members::tender_id.eq(d.tender_id),
                committee_members::user_id.eq(m),
                committee_members::kind.eq("expert"),
                committee_members::draw_id.eq(Some(d.id)),
                committee_members::draw_order.eq(Some(i as i32)),
                committee_members::economic.eq(economic),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    let subject = Some(("tender", tender_id.to_string()));
    audit::record(
        conn,
        &Actor::system("committee.draw"),
        "committee.drawn",
        subject.clone(),
        json!({"draw_id": d.id, "members": members}),
    )
    .await?;
    // members' names stay secret until the result; the event says only that the draw ran
    outbox::emit(
        conn,
        Kind::Event,
        "committee.drawn",
        subject,
        json!({"draw_id": d.id, "size": members.len()}),
    )
    .await?;
    Ok(())
}

/// Whether the caller sits on the tender's committee (active, not replaced).
pub async fn active_member(
    conn: &mut AsyncPgConnection,
    tender_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<(Option<DateTime<Utc>>, Option<bool>)>> {
    Ok(committee_members::table
        .filter(committee_members::tender_id.eq(tender_id))
        .filter(committee_members::user_id.eq(user_id))
        .filter(committee_members::status.eq("active"))
        .select((committee_members::declared_at, committee_members::conflict))
        .first(conn)
        .await
        .optional()?)
}

/// Name a representative.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeCmd {
    /// A `purchaser` account of the tenderer org.
    pub user_id: Uuid,
}

/// The tenderer names one of its own representatives to the committee.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/committee/representatives", tag = "execute", request_body = RepresentativeCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem, description = "invalid_representative"), (status = 423, body = Problem)))]
pub async fn add_representative(
    ctx: Ctx,
    path: web::Path<Uuid>,
    body: Command,
) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    conn.transaction(async |c| {
        let t = load(c, id, Lock::Update).await?;
        require_owner(c, &t, caller.org_id).await?;
        let g = guard(c, t.subject()).await?;
        let cmd: RepresentativeCmd = body.parse()?;
        g.next::<TenderMachine>(t.status()?, TenderAction::FormCommittee, caller.role)?;
        let owner = crate::execute::projects::load(c, t.project_id)
            .await?
            .owner_org_id;
        let user: Option<(String, Option<Uuid>)> = users::table
            .find(cmd.user_id)
            .select((users::role, users::org_id))
            .first(c)
            .await
            .optional()?;
        if user != Some(("purchaser".into(), Some(owner))) {
            return Err(AppError::unprocessable(
                "invalid_representative",
                "a representative is a purchaser account of the tenderer org",
            ));
        }
        let n = diesel::insert_into(committee_members::table)
            .values((
                committee_members::tender_id.eq(id),
                committee_members::user_id.eq(cmd.user_id),
                committee_members::kind.eq("representative"),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await?;
        if n == 0 {
            return Err(AppError::conflict(
                "already_member",
                "already on this committee",
            ));
        }
        audit::record(
            c,
            &actor,
            "committee.representative_add",
            Some(("tender", id.to_string())),
            json!({"user_id": cmd.user_id}),
        )
        .await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A member's declaration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationCmd {
    /// Whether the member has a conflict of interest (回避事由).
    pub conflict: bool,
    /// What it is.
    pub detail: Option<String>,
}

/// A committee member declares (no) conflict of interest; a conflicted expert is replaced by a
/// redraw from the same randomness stream.
#[utoipa::path(post, path = "/api/v1/tenders/{id}/committee/declarations", tag = "execute", request_body = DeclarationCmd,
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, description = "{replaced_by?}"), (status = 403, body = Problem, description = "not_committee_member"),
              (status = 409, body = Problem, description = "already_declared, redraw_limit"), (status = 423, body = Problem)))]
pub async fn declare(ctx: Ctx, path: web::Path<Uuid>, body: Command) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let id = path.into_inner();
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let answer = conn
        .transaction(async |c| {
            let t = load(c, id, Lock::Update).await?;
            let g = guard(c, t.subject()).await?;
            // membership first: someone who does not sit on the committee learns nothing of the
            // tender's state or of what the command would need (finding 7 of issue 13)
            ensure_members(c, id).await?;
            let Some((declared, _)) = active_member(c, id, caller.user_id).await? else {
                return Err(AppError::forbidden(
                    "not_committee_member",
                    "you do not sit on this committee",
                ));
            };
            let cmd: DeclarationCmd = body.parse()?;
            g.next::<TenderMachine>(t.status()?, TenderAction::FormCommittee, caller.role)?;
            if declared.is_some() {
                return Err(AppError::conflict(
                    "already_declared",
                    "you have declared already",
                ));
            }
            let now = crate::core::clock::now(c).await?;
            diesel::update(
                committee_members::table
                    .filter(committee_members::tender_id.eq(id))
                    .filter(committee_members::user_id.eq(caller.user_id)),
            )
            .set((
                committee_members::declared_at.eq(Some(now)),
                committee_members::conflict.eq(Some(cmd.conflict)),
                committee_members::detail.eq(cmd.detail.as_deref()),
                committee_members::status.eq(if cmd.conflict { "replaced" } else { "active" }),
            ))
            .execute(c)
            .await?;
            let subject = Some(("tender", id.to_string()));
            audit::record(
                c,
                &actor,
                "committee.declare",
                subject.clone(),
                json!({"conflict": cmd.conflict, "detail": cmd.detail}),
            )
            .await?;
            let mut replaced_by = None;
            if cmd.conflict {
                replaced_by = replace(c, id).await?;
            }
            Ok::<_, AppError>(json!({"conflict": cmd.conflict, "replaced": replaced_by.is_some()}))
        })
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Draws the replacements of every conflicted expert of the draw not yet replaced.
async fn replace(conn: &mut AsyncPgConnection, tender_id: Uuid) -> AppResult<Option<Uuid>> {
    let Some(d) = draw_inputs(conn, tender_id).await? else {
        return Ok(None);
    };
    let conflicted: Vec<Uuid> = committee_members::table
        .filter(committee_members::draw_id.eq(d.id))
        .filter(committee_members::conflict.eq(true))
        .order((
            committee_members::declared_at.asc(),
            committee_members::draw_order.asc(),
        ))
        .select(committee_members::user_id)
        .load(conn)
        .await?;
    if conflicted.is_empty() {
        return Ok(None);
    }
    if conflicted.len() > MAX_REDRAWS {
        return Err(AppError::conflict(
            "redraw_limit",
            format!(
                "at most {MAX_REDRAWS} replacements per draw; request a new committee through the regulator"
            ),
        ));
    }
    let sitting = algo::redraw(&d.seed, &d.contribution, &d.pool, &d.request, &conflicted)
        .map_err(draw_error)?;
    let known: Vec<Uuid> = committee_members::table
        .filter(committee_members::tender_id.eq(tender_id))
        .select(committee_members::user_id)
        .load(conn)
        .await?;
    let mut added = None;
    for (i, m) in sitting.iter().enumerate() {
        if known.contains(m) {
            continue;
        }
        let economic = d.pool.iter().any(|p| p.user_id == *m && p.economic);
        diesel::insert_into(committee_members::table)
            .values((
                committee_members::tender_id.eq(tender_id),
                committee_members::user_id.eq(m),
                committee_members::kind.eq("expert"),
                committee_members::draw_id.eq(Some(d.id)),
                committee_members::draw_order.eq(Some((100 + i) as i32)),
                committee_members::economic.eq(economic),
            ))
            .execute(conn)
            .await?;
        added = Some(*m);
    }
    // a redrawn committee is a supervision warning (yellow) in the supervision issue
    audit::record(
        conn,
        &Actor::system("committee.redraw"),
        "committee.redraw",
        Some(("tender", tender_id.to_string())),
        json!({"draw_id": d.id, "conflicted": conflicted, "added": added}),
    )
    .await?;
    outbox::emit(
        conn,
        Kind::Event,
        "committee.redrawn",
        Some(("tender", tender_id.to_string())),
        json!({"draw_id": d.id}),
    )
    .await?;
    Ok(added)
}

type MyRow = (Uuid, String, String, String, Option<DateTime<Utc>>, String);
type PublishedDraw = (
    Vec<u8>,
    String,
    Value,
    String,
    i32,
    i32,
    Vec<String>,
    Vec<String>,
    Option<Vec<u8>>,
);

/// A committee the caller sits on.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyCommittee {
    /// Tender.
    pub tender_id: Uuid,
    /// Tender code.
    pub code: String,
    /// Title.
    pub title: String,
    /// expert | representative.
    pub kind: String,
    /// Whether the caller has declared.
    pub declared: bool,
    /// The tender's status.
    pub status: String,
}

/// The committees the caller sits on (experts and representatives).
#[utoipa::path(get, path = "/api/v1/me/committees", tag = "execute", security(("bearer" = [])),
    responses((status = 200, description = "{items: [MyCommittee]}")))]
pub async fn my_committees(ctx: Ctx) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let mut conn = ctx.conn().await?;
    let items = conn
        .transaction(async |c| {
            // draws whose contribution is in but whose members are not derived yet
            let pending: Vec<Uuid> = committee_draws::table
                .inner_join(
                    draw_contributions::table
                        .on(draw_contributions::draw_id.eq(committee_draws::id)),
                )
                .filter(diesel::dsl::not(diesel::dsl::exists(
                    committee_members::table
                        .filter(committee_members::draw_id.eq(committee_draws::id.nullable())),
                )))
                .select(committee_draws::tender_id)
                .load(c)
                .await?;
            for t in pending {
                ensure_members(c, t).await?;
            }
            let rows: Vec<MyRow> = committee_members::table
                .inner_join(tenders::table.on(tenders::id.eq(committee_members::tender_id)))
                .filter(committee_members::user_id.eq(caller.user_id))
                .filter(committee_members::status.eq("active"))
                .select((
                    tenders::id,
                    tenders::code,
                    tenders::title,
                    committee_members::kind,
                    committee_members::declared_at,
                    tenders::status,
                ))
                .load(c)
                .await?;
            Ok::<_, AppError>(
                rows.into_iter()
                    .map(
                        |(tender_id, code, title, kind, declared, status)| MyCommittee {
                            tender_id,
                            code,
                            title,
                            kind,
                            declared: declared.is_some(),
                            status,
                        },
                    )
                    .collect::<Vec<_>>(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"items": items, "next": null})))
}

/// The committee and the draw's inputs, public once the result is out: anyone can re-run the
/// draw from the seed, the contribution and the pool snapshot.
#[utoipa::path(get, path = "/api/v1/tenders/{id}/committee", tag = "public",
    params(("id" = Uuid, Path, description = "tender id")),
    responses((status = 200, description = "{members, seed, contribution, seed_commitment, pool_snapshot, pool_snapshot_hash}"),
              (status = 404, body = Problem)))]
pub async fn get_committee(ctx: Ctx, path: web::Path<Uuid>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let mut conn = ctx.conn().await?;
    let t = load(&mut conn, id, Lock::None).await?;
    if !t.status()?.result_published() {
        return Err(AppError::not_found("committee"));
    }
    let members: Vec<(Uuid, String, String, bool, String, Option<i32>)> = committee_members::table
        .inner_join(users::table.on(users::id.eq(committee_members::user_id)))
        .filter(committee_members::tender_id.eq(id))
        .order((
            committee_members::kind.asc(),
            committee_members::draw_order.asc(),
        ))
        .select((
            users::id,
            users::display_name,
            committee_members::kind,
            committee_members::economic,
            committee_members::status,
            committee_members::draw_order,
        ))
        .load(&mut conn)
        .await?;
    let draw: Option<PublishedDraw> = committee_draws::table
        .left_join(
            draw_contributions::table.on(draw_contributions::draw_id.eq(committee_draws::id)),
        )
        .filter(committee_draws::tender_id.eq(id))
        .select((
            committee_draws::seed,
            committee_draws::seed_commitment,
            committee_draws::pool_snapshot,
            committee_draws::pool_snapshot_hash,
            committee_draws::size,
            committee_draws::economic,
            committee_draws::specialties,
            committee_draws::excluded_org_codes,
            draw_contributions::random.nullable(),
        ))
        .first(&mut conn)
        .await
        .optional()?;
    let draw = draw.map(|(seed, commitment, pool, hash, size, economic, specialties, excluded, random)| json!({
        "algorithm": "ggzy-committee-draw/1", "seed": hex::encode(seed), "seed_commitment": commitment,
        "contribution": random.map(hex::encode), "pool_snapshot": pool, "pool_snapshot_hash": hash,
        "size": size, "economic": economic, "specialties": specialties, "excluded_org_codes": excluded,
    }));
    Ok(HttpResponse::Ok().json(json!({
        "tender_id": id,
        "members": members.iter().map(|(uid, name, kind, economic, status, order)| json!({
            "user_id": uid, "name": name, "kind": kind, "economic": economic, "status": status, "draw_order": order})).collect::<Vec<_>>(),
        "draw": draw,
    })))
}
