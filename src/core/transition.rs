//! The one transition function every state change goes through (DESIGN.md §2–§3): it checks the
//! holds on the subject first (`423 suspended`), then the declarative state machine
//! (state, action) → (next state, roles). There is no "suspended" state in the machines and no
//! per-handler hold check.

use std::fmt::Debug;

use diesel::QueryableByName;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::roles::Role;

/// What a hold can be put on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectType {
    /// A project (a hold covers its tenders and auctions).
    Project,
    /// A tender (标段).
    Tender,
    /// An auction or listing.
    Auction,
}

impl SubjectType {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Project => "project",
            SubjectType::Tender => "tender",
            SubjectType::Auction => "auction",
        }
    }
}

/// A subject of a state change, with its project (holds on the project cover it).
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    /// Kind of subject.
    pub kind: SubjectType,
    /// Its id.
    pub id: Uuid,
    /// The project it belongs to (itself for a project).
    pub project_id: Uuid,
}

impl Subject {
    /// A project as subject.
    pub fn project(id: Uuid) -> Subject {
        Subject {
            kind: SubjectType::Project,
            id,
            project_id: id,
        }
    }
}

#[derive(QueryableByName)]
struct HoldRow {
    #[diesel(sql_type = Text)]
    subject_type: String,
    #[diesel(sql_type = Text)]
    reason: String,
}

/// Refuses with `423 suspended` when the subject or its project is under a hold (the latest
/// directive on it is `suspend`). Call it after locking the subject's row.
async fn check_holds<C: crate::db::Db>(conn: &mut C, subject: &Subject) -> AppResult<()> {
    let held: Vec<HoldRow> = diesel::sql_query(
        "SELECT subject_type, reason FROM ( \
             SELECT DISTINCT ON (subject_type, subject_id) subject_type, kind, reason \
             FROM holds \
             WHERE (subject_type = $1 AND subject_id = $2) \
                OR (subject_type = 'project' AND subject_id = $3) \
             ORDER BY subject_type, subject_id, seq DESC \
         ) latest WHERE kind = 'suspend'",
    )
    .bind::<Text, _>(subject.kind.as_str())
    .bind::<SqlUuid, _>(subject.id)
    .bind::<SqlUuid, _>(subject.project_id)
    .load(conn)
    .await?;
    if let Some(h) = held.into_iter().next() {
        return Err(AppError::suspended(format!(
            "the {} is suspended by a supervision directive or a regulator's order: {}",
            h.subject_type, h.reason
        )));
    }
    Ok(())
}

/// One row of a state machine's table: (from, action, to, roles allowed).
pub type Transition<S, A> = (S, A, S, &'static [Role]);

/// A declarative state machine: every allowed (state, action) pair, its next state, and the
/// roles that may take it.
pub trait Machine {
    /// States.
    type State: Copy + Eq + Debug + 'static;
    /// Actions.
    type Action: Copy + Eq + Debug + 'static;
    /// Name for messages.
    const NAME: &'static str;
    /// The table: (from, action, to, roles).
    fn table() -> &'static [Transition<Self::State, Self::Action>];
}

/// The machine as a Markdown table (state, action → next state, roles), for `ggzy machines` and
/// the docs; an empty role list is the platform itself (timers, completions).
pub fn markdown<M: Machine>() -> String {
    let mut out = format!(
        "| {} state | action | next state | who |\n|---|---|---|---|\n",
        M::NAME
    );
    for (from, action, to, roles) in M::table() {
        let who = if roles.is_empty() {
            "platform".to_string()
        } else {
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!("| {from:?} | {action:?} | {to:?} | {who} |\n"));
    }
    out
}

/// Looks up the next state, refusing a role not allowed (403) or an action not allowed in this
/// state (409 `invalid_state`).
fn next<M: Machine>(from: M::State, action: M::Action, role: Role) -> AppResult<M::State> {
    for (f, a, to, roles) in M::table() {
        if *a == action && *f == from {
            if !roles.contains(&role) {
                return Err(AppError::forbidden(
                    "forbidden_role",
                    format!("a {} may not {action:?} a {}", role.as_str(), M::NAME),
                ));
            }
            return Ok(*to);
        }
    }
    Err(AppError::conflict(
        "invalid_state",
        format!("cannot {action:?} a {} that is {from:?}", M::NAME),
    ))
}

/// Proof that the holds on a subject were checked in this transaction: the only way to reach
/// [`Guarded::next`]. Handlers call [`guard`] first, then parse their body (API.md order of
/// checks: 423 before 400), then take the transition.
#[derive(Debug)]
pub struct Guarded {
    subject: Subject,
}

/// The transition function, step one: refuses a held subject (`423 suspended`).
pub async fn guard<C: crate::db::Db>(conn: &mut C, subject: Subject) -> AppResult<Guarded> {
    check_holds(conn, &subject).await?;
    Ok(Guarded { subject })
}

impl Guarded {
    /// The subject that was checked.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The transition function, step two: the machine's next state for this action and role.
    pub fn next<M: Machine>(
        &self,
        from: M::State,
        action: M::Action,
        role: Role,
    ) -> AppResult<M::State> {
        next::<M>(from, action, role)
    }

    /// The transition function for the platform's own steps (timers, completions): only rows
    /// whose role list is empty qualify.
    pub fn next_as_platform<M: Machine>(
        &self,
        from: M::State,
        action: M::Action,
    ) -> AppResult<M::State> {
        for (f, a, to, roles) in M::table() {
            if *a == action && *f == from && roles.is_empty() {
                return Ok(*to);
            }
        }
        Err(AppError::conflict(
            "invalid_state",
            format!("cannot {action:?} a {} that is {from:?}", M::NAME),
        ))
    }
}
