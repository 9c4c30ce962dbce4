//! The access log's root span (tracing-actix-web), with the request target's secrets redacted
//! (issue 13, finding 14): WebSocket clients may send their token as `?access_token=`, and the
//! default span records the target with its query, so a refused request wrote a live token
//! into the log. Every query parameter whose name ends in `token` is written `[redacted]`.
//! The span also names the client by the address the platform resolved (trusted proxies,
//! `src/http/client.rs`), not by the first `X-Forwarded-For` entry, which a client can choose.

use std::borrow::Cow;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage, web};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use crate::app::AppState;

/// What replaces a secret in the log.
pub const REDACTED: &str = "[redacted]";

/// Whether a query parameter carries a secret.
fn is_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with("token") || n.ends_with("token[]")
}

/// The request target (path and query) with every secret parameter's value redacted; the
/// name is kept (and matched after percent-decoding, so `access%5Ftoken` is caught too).
pub fn redact_target(target: &str) -> Cow<'_, str> {
    let Some((path, query)) = target.split_once('?') else {
        return Cow::Borrowed(target);
    };
    let secret = |pair: &str| {
        let name = pair.split('=').next().unwrap_or_default();
        let decoded: String = url::form_urlencoded::parse(name.as_bytes())
            .next()
            .map(|(k, _)| k.into_owned())
            .unwrap_or_default();
        is_secret(&decoded)
    };
    if !query.split('&').any(secret) {
        return Cow::Borrowed(target);
    }
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| {
            if secret(pair) {
                let name = pair.split('=').next().unwrap_or_default();
                format!("{name}={REDACTED}")
            } else {
                pair.to_string()
            }
        })
        .collect();
    Cow::Owned(format!("{path}?{}", redacted.join("&")))
}

/// The root span builder the app's `TracingLogger` uses.
pub struct RedactingRootSpan;

impl RootSpanBuilder for RedactingRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let target = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("");
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "default".to_string());
        let method = request.method().as_str().to_string();
        let user_agent = request
            .headers()
            .get("user-agent")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let client_ip = request
            .app_data::<web::Data<AppState>>()
            .and_then(|s| {
                crate::http::client::of_service_request(request, &s.config.trusted_proxies)
            })
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|r| r.to_string())
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %method,
            http.route = %route,
            http.flavor = ?request.version(),
            http.client_ip = %client_ip,
            http.user_agent = %user_agent,
            http.target = %redact_target(target),
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        // the default's status and error fields (our errors never carry the token)
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn tokens_in_the_query_are_redacted_and_the_rest_is_kept() {
        assert_eq!(
            redact_target("/api/v1/floor/live?after_seq=3&access_token=eyJabc.def.ghi"),
            "/api/v1/floor/live?after_seq=3&access_token=[redacted]"
        );
        assert_eq!(
            redact_target("/x?access%5Ftoken=eyJ&TOKEN=s&b=1"),
            "/x?access%5Ftoken=[redacted]&TOKEN=[redacted]&b=1"
        );
        assert_eq!(redact_target("/x?after_seq=1"), "/x?after_seq=1");
        assert_eq!(redact_target("/x"), "/x");
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The span as the access log writes it: an event inside it prints the span's fields.
    #[test]
    fn the_access_log_line_of_a_token_request_has_no_token() {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let secret = "eyJhbGciOiJFZERTQSJ9.c2VjcmV0.c2ln";
        tracing::subscriber::with_default(subscriber, || {
            let req = actix_web::test::TestRequest::get()
                .uri(&format!(
                    "/api/v1/auctions/1/live?access_token={secret}&after_seq=0"
                ))
                .to_srv_request();
            let span = RedactingRootSpan::on_request_start(&req);
            span.in_scope(|| tracing::info!("request refused"));
        });
        let log = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("request refused"), "{log}");
        assert!(log.contains("access_token=[redacted]"), "{log}");
        assert!(!log.contains(secret), "{log}");
    }
}
