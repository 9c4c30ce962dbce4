//! Collusion red flags of a tender (串标围标, DOMAIN-RULES.md §5A–5C), computed on read from the
//! evidence the platform already records (downloads, submissions, opened bids, bid security,
//! past awards), so they are always current and no plane writes them. Supervisors see every
//! tender; an expert only a tender on whose committee it sits; bidders never (route table).
//! Every view is an audit entry.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::core::audit;
use crate::error::{AppError, AppResult, Problem};
use crate::evaluation::flags::{self, BidderEvidence, Evidence};
use crate::http::ctx::Ctx;
use crate::roles::Role;

/// The query: which tender.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RedFlagsQuery {
    /// The tender id.
    pub subject_id: Uuid,
}

#[derive(QueryableByName)]
struct Head {
    #[diesel(sql_type = SqlUuid)]
    owner_org_id: Uuid,
}

#[derive(QueryableByName)]
struct Seat {
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
}

#[derive(QueryableByName)]
struct Trace {
    #[diesel(sql_type = SqlUuid)]
    org_id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    client_addr: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    fingerprint: Option<String>,
}

#[derive(QueryableByName)]
struct Final {
    #[diesel(sql_type = SqlUuid)]
    org_id: Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Timestamptz)]
    received_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct Opened {
    #[diesel(sql_type = SqlUuid)]
    org_id: Uuid,
    #[diesel(sql_type = Nullable<Numeric>)]
    price: Option<Decimal>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    document: Option<Value>,
}

#[derive(QueryableByName)]
struct Security {
    #[diesel(sql_type = SqlUuid)]
    org_id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    payer_account: Option<String>,
}

#[derive(QueryableByName)]
struct Org {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Win {
    #[diesel(sql_type = Text)]
    winner: String,
    #[diesel(sql_type = Text)]
    purchaser: String,
}

/// The collusion red flags of a tender (`→ {subject_id, items: [{indicator, citation, bidders, evidence, score}], next}`).
#[utoipa::path(get, path = "/api/v1/supervision/red-flags", tag = "supervise", security(("bearer" = [])),
    params(RedFlagsQuery),
    responses((status = 200, description = "{subject_id, items: [{indicator, citation, bidders, evidence, score}], next: null}"),
              (status = 400, body = Problem, description = "invalid_query"),
              (status = 403, body = Problem, description = "not_committee_member"),
              (status = 404, body = Problem)))]
pub async fn red_flags(ctx: Ctx, query: web::Query<RedFlagsQuery>) -> AppResult<HttpResponse> {
    let caller = ctx.caller()?.clone();
    let tender = query.subject_id;
    let actor = ctx.actor();
    let mut conn = ctx.conn().await?;
    let items = conn
        .transaction(async |c| {
            if caller.role == Role::Expert {
                let sits: Vec<Seat> = diesel::sql_query(
                    "SELECT user_id FROM committee_members \
                     WHERE tender_id = $1 AND user_id = $2 AND status = 'active'",
                )
                .bind::<SqlUuid, _>(tender)
                .bind::<SqlUuid, _>(caller.user_id)
                .load(c)
                .await?;
                if !sits.iter().any(|s| s.user_id == caller.user_id) {
                    return Err(AppError::forbidden(
                        "not_committee_member",
                        "only the tender's committee members see its red flags",
                    ));
                }
            }
            let evidence = load(c, tender).await?;
            let items = flags::flags(&evidence);
            let indicators: Vec<&str> = items.iter().map(|f| f.indicator).collect();
            audit::record(
                c,
                &actor,
                "red_flags.view",
                Some(("tender", tender.to_string())),
                json!({"count": items.len(), "indicators": indicators}),
            )
            .await?;
            Ok::<_, AppError>(items)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"subject_id": tender, "items": items, "next": null})))
}

/// The evidence of a tender's bidders (every org that obtained documents, submitted or paid
/// security) and its purchaser's award history.
async fn load(c: &mut AsyncPgConnection, tender: Uuid) -> AppResult<Evidence> {
    let head: Vec<Head> = diesel::sql_query(
        "SELECT p.owner_org_id FROM tenders t JOIN projects p ON p.id = t.project_id WHERE t.id = $1",
    )
    .bind::<SqlUuid, _>(tender)
    .load(c)
    .await?;
    let head = head
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("tender"))?;
    let traces: Vec<Trace> = diesel::sql_query(
        "SELECT org_id, client_addr, fingerprint FROM document_downloads WHERE tender_id = $1 \
         UNION ALL SELECT org_id, client_addr, fingerprint FROM bid_submissions WHERE tender_id = $1",
    )
    .bind::<SqlUuid, _>(tender)
    .load(c)
    .await?;
    let finals: Vec<Final> = diesel::sql_query(
        "SELECT DISTINCT ON (org_id) org_id, kind, received_at FROM bid_submissions \
         WHERE tender_id = $1 ORDER BY org_id, round DESC, submission_no DESC",
    )
    .bind::<SqlUuid, _>(tender)
    .load(c)
    .await?;
    let opened: Vec<Opened> = diesel::sql_query(
        "SELECT DISTINCT ON (org_id) org_id, price, convert_from(document, 'UTF8')::jsonb AS document \
         FROM bids \
         WHERE tender_id = $1 AND status = 'opened' ORDER BY org_id, round DESC",
    )
    .bind::<SqlUuid, _>(tender)
    .load(c)
    .await?;
    let security: Vec<Security> =
        diesel::sql_query("SELECT org_id, payer_account FROM bid_security WHERE tender_id = $1")
            .bind::<SqlUuid, _>(tender)
            .load(c)
            .await?;

    let mut bidders: BTreeMap<Uuid, BidderEvidence> = BTreeMap::new();
    let entry = |m: &mut BTreeMap<Uuid, BidderEvidence>, id: Uuid| {
        m.entry(id).or_insert_with(|| BidderEvidence {
            org_id: id,
            ..Default::default()
        });
    };
    for t in traces {
        entry(&mut bidders, t.org_id);
        let b = bidders.get_mut(&t.org_id).expect("inserted");
        push_new(&mut b.fingerprints, t.fingerprint);
        push_new(&mut b.addresses, t.client_addr);
    }
    for f in finals {
        entry(&mut bidders, f.org_id);
        if f.kind == "bid" {
            bidders.get_mut(&f.org_id).expect("inserted").submitted_at = Some(f.received_at);
        }
    }
    for o in opened {
        entry(&mut bidders, o.org_id);
        let b = bidders.get_mut(&o.org_id).expect("inserted");
        b.price = o.price;
        let attachments = o
            .document
            .as_ref()
            .and_then(|d| d.get("attachments"))
            .and_then(Value::as_array);
        for a in attachments.into_iter().flatten() {
            push_new(
                &mut b.attachment_hashes,
                a.get("sha256").and_then(Value::as_str).map(String::from),
            );
        }
    }
    for s in security {
        entry(&mut bidders, s.org_id);
        push_new(
            &mut bidders.get_mut(&s.org_id).expect("inserted").payer_accounts,
            s.payer_account,
        );
    }
    let ids: Vec<Uuid> = bidders.keys().copied().collect();
    let orgs: Vec<Org> = diesel::sql_query("SELECT id, code, name FROM orgs WHERE id = ANY($1)")
        .bind::<Array<SqlUuid>, _>(&ids)
        .load(c)
        .await?;
    for o in orgs {
        if let Some(b) = bidders.get_mut(&o.id) {
            b.org_code = o.code;
            b.name = o.name;
        }
    }
    let wins: Vec<Win> = diesel::sql_query(
        "SELECT wo.code AS winner, po.code AS purchaser FROM awards a \
         JOIN bids b ON b.id = a.bid_id JOIN tenders t ON t.id = a.tender_id \
         JOIN projects p ON p.id = t.project_id \
         JOIN orgs wo ON wo.id = b.org_id JOIN orgs po ON po.id = p.owner_org_id \
         WHERE p.owner_org_id = $1",
    )
    .bind::<SqlUuid, _>(head.owner_org_id)
    .load(c)
    .await?;
    Ok(Evidence {
        bidders: bidders.into_values().collect(),
        award_history: wins.into_iter().map(|w| (w.winner, w.purchaser)).collect(),
    })
}

fn push_new(list: &mut Vec<String>, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.trim().is_empty())
        && !list.contains(&v)
    {
        list.push(v);
    }
}
