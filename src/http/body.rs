//! Command bodies: read with a size limit, parsed after the hold check (API.md order of checks:
//! 401 → 403 → 423 → 400), with clear errors — the parser's position for malformed JSON, the
//! field for unknown fields, `413` past the route's limit.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult};

/// Default body limit of API commands (bids raise it per route).
pub const DEFAULT_LIMIT: usize = 1024 * 1024;

/// A per-resource body limit, set as resource `app_data`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// The raw body of a command, not yet parsed.
pub struct Command(pub Bytes);

/// Whether a `Content-Type` names JSON: `application/json` or any `…/…+json`, parameters aside.
pub fn is_json_media_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .split_once('/')
            .is_some_and(|(_, sub)| sub.ends_with("+json"))
}

/// Whether JSON text holds an escaped NUL (`\u0000` after an odd number of backslashes): no
/// PostgreSQL text column can store one, so it is refused before it reaches the database.
pub fn has_escaped_nul(bytes: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, b"u0000").any(|i| {
        let slashes = bytes[..i].iter().rev().take_while(|b| **b == b'\\').count();
        slashes % 2 == 1
    })
}

fn too_large(limit: usize) -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the request body is larger than this route's limit of {limit} bytes"),
    )
}

impl FromRequest for Command {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Command, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map(|l| l.0)
            .unwrap_or(DEFAULT_LIMIT);
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let content_type = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("?").to_string());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large(limit));
            }
            let mut buf = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    AppError::bad_request(
                        "body_unreadable",
                        format!("could not read the body: {e}"),
                    )
                })?;
                if buf.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                buf.extend_from_slice(&chunk);
            }
            // a command is JSON, said so: a form post or a text/plain body from another site's
            // page (which a browser sends without a CORS preflight) is refused, not parsed
            if !buf.iter().all(|b| b.is_ascii_whitespace())
                && !content_type.as_deref().is_some_and(is_json_media_type)
            {
                return Err(AppError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "a command body is JSON: send it with Content-Type: application/json",
                ));
            }
            Ok(Command(buf.freeze()))
        })
    }
}

impl Command {
    /// Parses the body as JSON into `T` (whose `deny_unknown_fields` refuses unknown fields).
    /// An empty body parses as `{}`.
    pub fn parse<T: DeserializeOwned>(&self) -> AppResult<T> {
        let bytes: &[u8] = if self.0.iter().all(|b| b.is_ascii_whitespace()) {
            b"{}"
        } else {
            &self.0
        };
        if has_escaped_nul(bytes) {
            return Err(AppError::bad_request(
                "invalid_text",
                "text may not contain the NUL character (\\u0000)",
            ));
        }
        serde_json::from_slice(bytes).map_err(json_error)
    }
}

/// Maps a serde_json error to a 400 with a stable code and the position.
pub fn json_error(e: serde_json::Error) -> AppError {
    use serde_json::error::Category;
    let msg = e.to_string();
    let code = match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => "malformed_json",
        Category::Data if msg.starts_with("unknown field") => "unknown_field",
        Category::Data if msg.starts_with("missing field") => "missing_field",
        Category::Data => "invalid_field",
    };
    AppError::bad_request(
        code,
        format!("{msg} (line {}, column {})", e.line(), e.column())
            .replace(&format!(" at line {} column {}", e.line(), e.column()), ""),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(is_json_media_type("application/problem+json"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type("application/x-www-form-urlencoded"));
        assert!(!is_json_media_type("multipart/form-data; boundary=x"));
        assert!(!is_json_media_type(""));
    }

    #[test]
    fn escaped_nuls_are_found_and_escaped_backslashes_are_not() {
        assert!(has_escaped_nul(br#"{"title": "a\u0000b"}"#));
        assert!(has_escaped_nul(br#"{"title": "\\\u0000"}"#));
        // a literal backslash followed by the text u0000
        assert!(!has_escaped_nul(br#"{"title": "a\\u0000b"}"#));
        assert!(!has_escaped_nul(br#"{"title": "u0000"}"#));
    }
}
