//! One error type for the whole service, rendered as RFC 9457 problem+json with a stable `code`.
//!
//! Domain functions return `AppResult<T>`; database-only functions return `QueryResult<T>`,
//! which converts here. Internal errors are logged with their cause chain and answered without
//! it.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// Result of a domain or handler function.
pub type AppResult<T> = Result<T, AppError>;

/// A statutory rule broken by a command (API.md: `violations`).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Violation {
    /// The rule's id in the rule set.
    pub rule: String,
    /// `"<law> 第N条"`.
    pub citation: String,
    /// What was wrong, in words.
    pub detail: String,
}

/// The problem+json body (RFC 9457) every error answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`about:blank` style tag URIs under ggzy).
    #[serde(rename = "type")]
    pub type_: String,
    /// Short human summary of the type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What happened in this case.
    pub detail: String,
    /// Stable snake_case code clients switch on.
    pub code: String,
    /// Broken statutory rules, for 422s that cite the law.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<Violation>>,
}

/// The service's error: a status, a stable code and a detail, or an internal failure.
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    violations: Option<Vec<Violation>>,
    retry_after: Option<u64>,
    source: Option<anyhow::Error>,
}

impl AppError {
    /// An error with a status, a stable code and a detail.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> AppError {
        AppError {
            status,
            code,
            detail: detail.into(),
            violations: None,
            retry_after: None,
            source: None,
        }
    }
    /// 400 with a code.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, code, detail)
    }
    /// 401: no or invalid credentials.
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, code, detail)
    }
    /// 403: authenticated but not allowed.
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, code, detail)
    }
    /// 404 for a kind of thing.
    pub fn not_found(what: &str) -> AppError {
        AppError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
    /// 409: a domain rule refuses the command in the current state.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::CONFLICT, code, detail)
    }
    /// 422: well-formed but invalid.
    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }
    /// 422 citing the statutory rules the command breaks.
    pub fn violations(violations: Vec<Violation>) -> AppError {
        let detail = violations
            .iter()
            .map(|v| format!("{} ({})", v.detail, v.citation))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "rule_violation", detail);
        e.violations = Some(violations);
        e
    }
    /// 423: the subject is under a hold (a supervision directive or a regulator's order).
    pub fn suspended(detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::LOCKED, "suspended", detail)
    }
    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after_secs: u64, detail: impl Into<String>) -> AppError {
        let mut e = AppError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", detail);
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }
    /// Adds a `Retry-After` header (seconds) to any error, e.g. a 429 with its own code.
    pub fn with_retry_after(mut self, secs: u64) -> AppError {
        self.retry_after = Some(secs.max(1));
        self
    }
    /// 503: the database is unreachable or the pool is exhausted.
    pub fn unavailable(detail: impl Into<String>) -> AppError {
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }
    /// 500 with a logged cause that is never sent to the client.
    pub fn internal(source: impl Into<anyhow::Error>) -> AppError {
        let mut e = AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; it has been logged",
        );
        e.source = Some(source.into());
        e
    }
    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// The problem body.
    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("https://ggzy.invalid/problems/{}", self.code),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            violations: self.violations.clone(),
        }
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)?;
        if let Some(src) = &self.source {
            // the whole cause chain, for the logs
            write!(f, ": {src:#}")?;
        }
        Ok(())
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::error::Error for AppError {}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            tracing::error!(error.code = self.code, error.cause = ?self, "request failed");
        }
        let mut resp = HttpResponse::build(self.status);
        resp.content_type("application/problem+json");
        if let Some(secs) = self.retry_after {
            resp.insert_header(("Retry-After", secs.to_string()));
        }
        resp.json(self.problem())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &e {
            Error::NotFound => AppError::not_found("resource"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => AppError::conflict(
                "already_exists",
                "a record with the same key already exists",
            ),
            // diesel-async reports a connection that died under a query (no SQLSTATE: the
            // database restarted or the network dropped) as `UnableToSendCommand`: retryable
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => AppError::unavailable("the database connection was lost; try again"),
            // a NUL (or an escape jsonb cannot hold) that slipped past the body check: the
            // caller's text, not the server, is at fault
            Error::DatabaseError(_, info) if bad_text(info.message()) => AppError::bad_request(
                "invalid_text",
                "text may not contain the NUL character (\\u0000)",
            ),
            // a refusal of the database's own guards (triggers raising with a `ggzy:` hint):
            // the same answer as the application's check in front of it, for the racing case
            Error::DatabaseError(_, info) if guard_refusal(info.hint()).is_some() => {
                let (status, code) = guard_refusal(info.hint()).unwrap_or_default();
                AppError::new(status, code, info.message().to_string())
            }
            Error::DatabaseError(DatabaseErrorKind::Unknown, info)
                if server_going_away(info.message()) =>
            {
                AppError::unavailable("the database is restarting; try again shortly")
            }
            _ => AppError::internal(e),
        }
    }
}

/// Whether a database error is PostgreSQL refusing the text itself: a NUL byte in a text value
/// (SQLSTATE 22021) or `\\u0000` in jsonb (22P05).
fn bad_text(message: &str) -> bool {
    message.contains("invalid byte sequence for encoding \"UTF8\": 0x00")
        || message.contains("unsupported Unicode escape sequence")
}

/// The answer to a refusal raised by a database guard with `HINT = 'ggzy:<code>'` (issue 13:
/// the frozen notice, key-holder designations, public entries by the wrong plane).
fn guard_refusal(hint: Option<&str>) -> Option<(StatusCode, &'static str)> {
    const GUARDS: [(&str, StatusCode, &str); 7] = [
        (
            "ggzy:sealing_frozen",
            StatusCode::CONFLICT,
            "sealing_frozen",
        ),
        (
            "ggzy:sealing_mismatch",
            StatusCode::CONFLICT,
            "sealing_mismatch",
        ),
        (
            "ggzy:holder_registered",
            StatusCode::CONFLICT,
            "holder_registered",
        ),
        (
            "ggzy:not_designator",
            StatusCode::FORBIDDEN,
            "not_designator",
        ),
        (
            "ggzy:holder_conflict",
            StatusCode::UNPROCESSABLE_ENTITY,
            "holder_conflict",
        ),
        (
            "ggzy:duplicate_recipient",
            StatusCode::CONFLICT,
            "duplicate_recipient",
        ),
        ("ggzy:wrong_plane", StatusCode::FORBIDDEN, "wrong_plane"),
    ];
    let hint = hint?;
    GUARDS
        .iter()
        .find(|(h, _, _)| *h == hint)
        .map(|(_, s, c)| (*s, *c))
}

/// Whether a database error is the server ending the session: a fast or immediate shutdown
/// (SQLSTATE 57P01 `admin_shutdown`, also sent by `pg_terminate_backend`), a crash of another
/// backend (57P02) or a server not accepting connections yet (57P03). diesel does not expose the
/// SQLSTATE, so the server's message is matched; these are retryable, hence 503, not 500.
fn server_going_away(message: &str) -> bool {
    const GOING_AWAY: [&str; 4] = [
        "terminating connection due to administrator command",
        "terminating connection because of crash of another server process",
        "the database system is shutting down",
        "the database system is starting up",
    ];
    GOING_AWAY.iter().any(|m| message.contains(m))
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        tracing::warn!(error = %e, "database pool error");
        AppError::unavailable("the database is unavailable; try again shortly")
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    #[test]
    fn a_connection_lost_under_a_query_is_a_retryable_503() {
        let lost = Error::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand,
            Box::new("connection closed".to_string()),
        );
        let e = AppError::from(lost);
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.code, "unavailable");
        let shutdown = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("terminating connection due to administrator command".to_string()),
        );
        assert_eq!(
            AppError::from(shutdown).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let other = Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new("x".to_string()));
        assert_eq!(
            AppError::from(other).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
