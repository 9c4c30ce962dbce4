//! The in-process event hub: every node listens for the sequencer's `NOTIFY`, reads the newly
//! numbered events and broadcasts them to its subscribers (live views, WebSockets), in sequence
//! order, so every node sees every event in the same order.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

use super::sequencer::EVENTS_CHANNEL;

/// A numbered event as subscribers receive it.
#[derive(Debug, Clone, Serialize, QueryableByName, PartialEq)]
pub struct Event {
    /// Sequencer number: strictly increasing, the resume point of live clients.
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    /// What happened (`project.approved`).
    #[diesel(sql_type = Text)]
    pub topic: String,
    /// Subject type.
    #[diesel(sql_type = Nullable<Text>)]
    pub subject_type: Option<String>,
    /// Subject id.
    #[diesel(sql_type = Nullable<Text>)]
    pub subject_id: Option<String>,
    /// Platform time the event was written.
    #[diesel(sql_type = Timestamptz)]
    #[serde(serialize_with = "crate::core::clock::serde_time::serialize")]
    pub at: DateTime<Utc>,
    /// Event data.
    #[diesel(sql_type = Jsonb)]
    pub data: Value,
}

/// Broadcasts sequenced events to the subscribers of this process.
#[derive(Clone)]
pub struct EventHub {
    tx: broadcast::Sender<Arc<Event>>,
    last_seq: Arc<AtomicI64>,
    /// The live sockets subscribed through this hub: their caps and replay figures.
    pub sockets: Arc<super::live::Sockets>,
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub::new()
    }
}

impl EventHub {
    /// An empty hub.
    pub fn new() -> EventHub {
        let (tx, _) = broadcast::channel(4096);
        EventHub {
            tx,
            last_seq: Arc::new(AtomicI64::new(-1)),
            sockets: Arc::default(),
        }
    }

    /// Receives every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// The last sequence number this hub delivered.
    pub fn last_seq(&self) -> i64 {
        std::sync::atomic::AtomicI64::load(&self.last_seq, Ordering::Relaxed)
    }
}

/// Sequenced events after `$1`, at most `$2`, along `outbox_seq`'s primary key (public for the
/// test that EXPLAINs it).
pub const EVENTS_AFTER_SQL: &str = "SELECT seq, topic, subject_type, subject_id, created_at AS at, payload AS data \
     FROM sequenced_events WHERE seq > $1 ORDER BY seq LIMIT $2";

/// Reads sequenced events after `after`, in order.
pub async fn events_after(
    conn: &mut AsyncPgConnection,
    after: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<Event>> {
    diesel::sql_query(EVENTS_AFTER_SQL)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await
}

#[derive(QueryableByName)]
struct MaxSeq {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// Runs forever: LISTENs on the sequencer's channel (with a poll as a safety net) and feeds
/// the hub. Starts from the newest event at start-up: history is read from the database.
pub async fn run_listener(url: String, hub: EventHub) {
    loop {
        if let Err(e) = listen(&url, &hub).await {
            tracing::warn!(error = %e, "event listener lost its connection; retrying");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn listen(url: &str, hub: &EventHub) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    conn.batch_execute(&format!("LISTEN {EVENTS_CHANNEL}"))
        .await?;
    if hub.last_seq() < 0 {
        let m: MaxSeq =
            diesel::sql_query("SELECT coalesce(max(seq), 0) AS seq FROM sequenced_events")
                .get_result(&mut conn)
                .await?;
        hub.last_seq.store(m.seq, Ordering::Relaxed);
    }
    loop {
        {
            let stream = conn.notifications_stream();
            futures_util::pin_mut!(stream);
            match tokio::time::timeout(Duration::from_millis(500), stream.next()).await {
                Ok(Some(Err(e))) => return Err(e.into()),
                Ok(None) => anyhow::bail!("notification stream ended"),
                _ => {}
            }
        }
        loop {
            let after = hub.last_seq();
            let events = events_after(&mut conn, after, 1000).await?;
            let n = events.len();
            for e in events {
                hub.last_seq.store(e.seq, Ordering::Relaxed);
                // No subscriber is not an error.
                let _ = hub.tx.send(Arc::new(e));
            }
            if n < 1000 {
                break;
            }
        }
    }
}
