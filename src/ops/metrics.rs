//! `GET /metrics`: Prometheus text — requests and latencies per route, pool usage, job queue
//! depth, sequencer state, live sockets. Served only with `Authorization: Bearer
//! <GGZY_METRICS_TOKEN>` (no loopback exemption: behind a same-host proxy every caller is
//! loopback), and nothing in it counts bidders' activity: the platform promises no bid count
//! anywhere before the opening (电子招标投标办法 第二十一条 and 招标投标法 第二十二条 keep the
//! number of bidders and registrants secret), so the routes and mails that move one for one
//! with bids, registrations or deposits are not counted at all (issue 13, finding 13).

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::HttpResponse;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::error::AppResult;
use crate::http::ctx::Ctx;

/// Routes whose requests are not counted nor timed: each call is one bidder's act on an open
/// procedure (a bid, a withdrawal, a receipt check, bid security, obtaining or downloading the
/// documents, an auction registration or deposit), so their counters would count bidders.
pub const UNCOUNTED_ROUTES: &[(&str, &str)] = &[
    ("PUT", "/api/v1/tenders/{id}/bids/mine"),
    ("DELETE", "/api/v1/tenders/{id}/bids/mine"),
    ("GET", "/api/v1/receipts/{id}"),
    ("POST", "/api/v1/tenders/{id}/bid-security"),
    ("GET", "/api/v1/tenders/{id}/bid-security"),
    ("POST", "/api/v1/tenders/{id}/bid-security/{sid}/confirm"),
    ("POST", "/api/v1/tenders/{id}/bid-security/{sid}/refund"),
    ("POST", "/api/v1/tenders/{id}/documents"),
    ("GET", "/api/v1/tenders/{id}/files/{file_id}"),
    ("POST", "/api/v1/auctions/{id}/registrations"),
    ("POST", "/api/v1/auctions/{id}/registrations/{rid}/deposit"),
    ("POST", "/api/v1/auctions/{id}/registrations/{rid}/refund"),
    ("POST", "/api/v1/auctions/{id}/bids"),
];

/// Mail topics not counted: one mail per bid (the receipt) or per registrant (clarifications,
/// a postponed opening, an auction's extension and result), so their counts would count them.
pub const UNCOUNTED_MAIL_TOPICS: &[&str] = &[
    "tender.bid_receipt",
    "tender.clarified",
    "tender.opening_postponed",
    "auction.extended",
    "auction.result",
];

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pools: IntGaugeVec,
    gauges: IntGaugeVec,
    mails: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Registers the metric families.
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("ggzy".into()), None).unwrap_or_default();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("static metric definition");
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP latency by route").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                ],
            ),
            &["route", "method"],
        )
        .expect("static metric definition");
        let pools = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "database pool connections by plane and state",
            ),
            &["plane", "state"],
        )
        .expect("static metric definition");
        let gauges = IntGaugeVec::new(Opts::new("state", "jobs and sequencer state"), &["name"])
            .expect("static metric definition");
        let mails = IntCounterVec::new(
            Opts::new(
                "mail_deliveries_total",
                "mail delivery attempts by plane and outcome (sent, retry, dead)",
            ),
            &["plane", "outcome"],
        )
        .expect("static metric definition");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(mails.clone()),
            Box::new(latency.clone()),
            Box::new(pools.clone()),
            Box::new(gauges.clone()),
        ] {
            let _ = registry.register(c);
        }
        Metrics {
            registry,
            requests,
            latency,
            pools,
            gauges,
            mails,
        }
    }

    /// Counts one mail delivery attempt (not those of [`UNCOUNTED_MAIL_TOPICS`]).
    pub fn mail(&self, plane: &str, outcome: &str, topic: &str) {
        if UNCOUNTED_MAIL_TOPICS.contains(&topic) {
            return;
        }
        self.mails.with_label_values(&[plane, outcome]).inc();
    }

    /// Records one request (not those of [`UNCOUNTED_ROUTES`]).
    pub fn observe(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        if UNCOUNTED_ROUTES.contains(&(method, route)) {
            return;
        }
        self.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[route, method])
            .observe(elapsed.as_secs_f64());
    }
}

/// Prometheus text metrics.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain"),
              (status = 401, body = crate::error::Problem, description = "metrics_token_required")),
    security(("bearer" = [])))]
pub async fn metrics(ctx: Ctx) -> AppResult<HttpResponse> {
    let state = &ctx.state;
    let m = &state.metrics;
    for (plane, pool) in state.pools.iter() {
        let s = pool.status();
        m.pools
            .with_label_values(&[plane.as_str(), "size"])
            .set(s.size as i64);
        m.pools
            .with_label_values(&[plane.as_str(), "available"])
            .set(s.available as i64);
        m.pools
            .with_label_values(&[plane.as_str(), "max"])
            .set(s.max_size as i64);
    }
    let mut conn = ctx.conn().await?;
    let due = crate::core::jobs::due_count(&mut conn).await?;
    m.gauges.with_label_values(&["jobs_due"]).set(due);
    let st = &state.sequencer_stats;
    m.gauges
        .with_label_values(&["sequencer_leader"])
        .set(st.is_leader.load(Ordering::Relaxed) as i64);
    m.gauges
        .with_label_values(&["sequencer_backlog"])
        .set(st.backlog.load(Ordering::Relaxed));
    // no `sequencer_audit_head` nor `event_hub_last_seq`: scraped every few seconds, either
    // counter moves by one per audited act or event, bids included (the audit head is in the
    // public log every few minutes, coarsely); the lag and backlog say whether they keep up
    m.gauges
        .with_label_values(&["sequencer_refused"])
        .set(st.refused.load(Ordering::Relaxed) as i64);
    let last = st.last_pass_ms.load(Ordering::Relaxed);
    let lag_ms = if last > 0 {
        chrono::Utc::now().timestamp_millis() - last
    } else {
        -1
    };
    m.gauges
        .with_label_values(&["sequencer_lag_ms"])
        .set(lag_ms);
    let sockets = &state.hub.sockets;
    m.gauges
        .with_label_values(&["ws_open"])
        .set(sockets.open() as i64);
    m.gauges
        .with_label_values(&["ws_replay_pages"])
        .set(sockets.replay_pages.load(Ordering::Relaxed) as i64);
    m.gauges
        .with_label_values(&["ws_replay_page_max"])
        .set(sockets.replay_page_max.load(Ordering::Relaxed));
    let mut buf = Vec::new();
    TextEncoder::new()
        .encode(&m.registry.gather(), &mut buf)
        .map_err(|e| crate::error::AppError::internal(anyhow::anyhow!("encoding metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(buf))
}
