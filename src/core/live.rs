//! Live WebSocket streams of the sequenced events (a lot's hall, the trading floor): the caps on
//! open sockets per account, per client address and per process, checked before the upgrade
//! (`429 too_many_connections`), and the one pump every stream runs — a replay of the history
//! read from the database a page at a time, then the hub's broadcast (issue 13, finding 9).
//!
//! Memory is bounded per socket: at most one page of events is held, and frames are sent through
//! actix-ws's bounded channel, so a client that does not read stalls its own pump (and is dropped
//! after [`SEND_TIMEOUT`]) instead of making the server buffer the history. A pool connection is
//! held only while a page is read. A stream that falls behind the hub's broadcast goes back to the
//! database from its last sequence number rather than losing events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::StatusCode;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

use super::events::Event;
use crate::config::Limits;
use crate::db::DbPool;
use crate::error::{AppError, AppResult};

/// The server pings every 20 s (API.md).
pub const PING: Duration = Duration::from_secs(20);

/// A frame the client has not taken within this time ends its stream (a stalled reader must
/// not hold a socket, a page and a task for ever).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Open sockets per account and per address of this process, and the figures of the replays.
#[derive(Debug, Default)]
pub struct Sockets {
    counts: Mutex<Counts>,
    /// Pages read by replays since start.
    pub replay_pages: AtomicU64,
    /// The largest page a replay has held at once since start (never more than the page size).
    pub replay_page_max: AtomicI64,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    users: HashMap<Uuid, usize>,
    addrs: HashMap<String, usize>,
}

/// One open socket, counted until it is dropped (when its stream ends).
#[derive(Debug)]
pub struct Permit {
    sockets: Arc<Sockets>,
    user: Uuid,
    addr: Option<String>,
}

fn too_many(detail: String) -> AppError {
    AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_connections",
        detail,
    )
    .with_retry_after(5)
}

impl Sockets {
    /// Counts a new socket of `user` from `addr`, or refuses it when a cap is reached. Checked and
    /// counted under one lock, so parallel upgrades cannot overshoot a cap.
    pub fn acquire(
        self: &Arc<Self>,
        limits: &Limits,
        user: Uuid,
        addr: Option<&str>,
    ) -> AppResult<Permit> {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if c.total >= limits.ws_total {
            return Err(too_many(format!(
                "this server holds its maximum of {} live connections; retry later",
                limits.ws_total
            )));
        }
        if c.users.get(&user).copied().unwrap_or(0) >= limits.ws_per_user {
            return Err(too_many(format!(
                "at most {} live connections per account; close one first",
                limits.ws_per_user
            )));
        }
        if let Some(a) = addr
            && c.addrs.get(a).copied().unwrap_or(0) >= limits.ws_per_addr
        {
            return Err(too_many(format!(
                "at most {} live connections per client address",
                limits.ws_per_addr
            )));
        }
        c.total += 1;
        *c.users.entry(user).or_default() += 1;
        if let Some(a) = addr {
            *c.addrs.entry(a.to_string()).or_default() += 1;
        }
        Ok(Permit {
            sockets: self.clone(),
            user,
            addr: addr.map(str::to_string),
        })
    }

    /// Open sockets now.
    pub fn open(&self) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).total
    }

    fn page_read(&self, len: usize) {
        self.replay_pages.fetch_add(1, Ordering::Relaxed);
        self.replay_page_max
            .fetch_max(len as i64, Ordering::Relaxed);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut c = self
            .sockets
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.users.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                c.users.remove(&self.user);
            }
        }
        if let Some(a) = &self.addr
            && let Some(n) = c.addrs.get_mut(a)
        {
            *n -= 1;
            if *n == 0 {
                c.addrs.remove(a);
            }
        }
    }
}

/// Which sequenced events a stream replays from the database.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every event (the floor), read along `outbox_seq`'s primary key.
    All,
    /// One subject's events (a lot's hall), read along `event_subjects`' primary key.
    Subject(String, String),
}

/// A lot's (any subject's) events after `$3`, at most `$4`: a range of `event_subjects`' primary
/// key, each row's outbox row by its id, through the `subject_events` view (the planes may not
/// read `outbox` itself). Public for the test that EXPLAINs it.
pub const SUBJECT_PAGE_SQL: &str = "SELECT seq, topic, subject_type, subject_id, \
        created_at AS at, payload AS data \
     FROM subject_events \
     WHERE subject_type = $1 AND subject_id = $2 AND seq > $3 \
     ORDER BY seq LIMIT $4";

/// One page of `scope`'s events after `after`, in sequence order.
pub async fn page(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    after: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<Event>> {
    match scope {
        Scope::All => super::events::events_after(conn, after, limit).await,
        Scope::Subject(t, id) => {
            diesel::sql_query(SUBJECT_PAGE_SQL)
                .bind::<Text, _>(t)
                .bind::<Text, _>(id)
                .bind::<BigInt, _>(after)
                .bind::<BigInt, _>(limit)
                .load(conn)
                .await
        }
    }
}

/// What a stream does with one event.
pub enum Frame {
    /// Send this text frame.
    Send(String),
    /// Not for this client.
    Skip,
    /// End the stream with this reason (e.g. the viewer's access lapsed).
    Close(String),
}

/// A stream's view of the events: the handler's filter and message format.
pub trait View {
    /// The frame for an event (may read the database, e.g. to re-check access).
    fn frame(&mut self, e: &Event) -> impl std::future::Future<Output = Frame>;
}

/// Everything a pump needs.
pub struct Pump {
    /// The WebSocket session.
    pub session: actix_ws::Session,
    /// The client's frames (pings, close).
    pub incoming: actix_ws::MessageStream,
    /// The hub subscription, taken before the replay's first read so nothing falls between.
    pub rx: broadcast::Receiver<Arc<Event>>,
    /// The pool the replay reads from (the route's plane).
    pub pool: DbPool,
    /// What the replay reads.
    pub scope: Scope,
    /// Events per replay page.
    pub page: i64,
    /// The resume point: events after it are sent.
    pub last: i64,
    /// Replay from `last` first (`?after_seq=`).
    pub replay: bool,
    /// The socket's permit, released when the pump ends.
    pub permit: Permit,
}

enum Step {
    Go,
    End,
}

async fn send(session: &mut actix_ws::Session, text: String) -> Step {
    match tokio::time::timeout(SEND_TIMEOUT, session.text(text)).await {
        Ok(Ok(())) => Step::Go,
        _ => Step::End,
    }
}

async fn deliver<V: View>(session: &mut actix_ws::Session, view: &mut V, e: &Event) -> Step {
    match view.frame(e).await {
        Frame::Send(m) => send(session, m).await,
        Frame::Skip => Step::Go,
        Frame::Close(reason) => {
            let _ = session
                .clone()
                .close(Some(actix_ws::CloseReason {
                    code: actix_ws::CloseCode::Policy,
                    description: Some(reason),
                }))
                .await;
            Step::End
        }
    }
}

impl Pump {
    /// Reads the history after `last` page by page and sends it; returns false when the stream
    /// must end (the client is gone, or the database failed).
    async fn catch_up<V: View>(&mut self, view: &mut V, sockets: &Sockets) -> bool {
        loop {
            let events = match self.pool.get().await {
                Ok(mut conn) => page(&mut conn, &self.scope, self.last, self.page).await,
                Err(e) => {
                    tracing::warn!(error = %e, "live replay: no database connection");
                    return false;
                }
            };
            // the connection is back in the pool before the first frame is sent
            let events = match events {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(error = %e, "live replay failed");
                    return false;
                }
            };
            sockets.page_read(events.len());
            let n = events.len() as i64;
            for e in &events {
                self.last = e.seq;
                if let Step::End = deliver(&mut self.session, view, e).await {
                    return false;
                }
            }
            if n < self.page {
                return true;
            }
        }
    }

    /// Runs the stream until the client leaves, the view closes it or the hub stops.
    pub async fn run<V: View>(mut self, mut view: V) {
        let sockets = self.permit.sockets.clone();
        if self.replay && !self.catch_up(&mut view, &sockets).await {
            let _ = self.session.close(None).await;
            return;
        }
        let mut ping = tokio::time::interval(PING);
        ping.tick().await;
        loop {
            tokio::select! {
                ev = self.rx.recv() => match ev {
                    Ok(e) => {
                        if e.seq <= self.last {
                            continue;
                        }
                        self.last = e.seq;
                        if let Step::End = deliver(&mut self.session, &mut view, &e).await {
                            return;
                        }
                    }
                    // fell behind the broadcast: the database has every event, read from there
                    Err(RecvError::Lagged(_)) => {
                        if !self.catch_up(&mut view, &sockets).await {
                            let _ = self.session.close(None).await;
                            return;
                        }
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = ping.tick() => {
                    if self.session.ping(b"").await.is_err() {
                        return;
                    }
                }
                msg = futures_util::StreamExt::next(&mut self.incoming) => match msg {
                    Some(Ok(actix_ws::Message::Ping(b))) => {
                        if self.session.pong(&b).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(actix_ws::Message::Close(_))) | None | Some(Err(_)) => {
                        let _ = self.session.close(None).await;
                        return;
                    }
                    Some(Ok(_)) => {}
                },
            }
        }
    }
}
