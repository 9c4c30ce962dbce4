//! Every answer whose dates were counted on a provisional calendar year says so (issue 14,
//! DECISIONS 112): the request runs with a task-local flag that [`crate::decide::rules::load_calendar`]
//! hands to the calendar it loads; a count reading a provisional year sets it, and the answer
//! then carries `X-GGZY-Calendar: provisional` and, when it is a JSON object, a top-level
//! `"calendar": "provisional"` (and the same field in each of its `violations`). One place, so
//! no route can forget it.

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use serde_json::Value;

use crate::rules::calendar::ProvisionalUse;

tokio::task_local! {
    static NOTE: ProvisionalUse;
}

/// The flag of the request being served (a detached one outside a request, e.g. in a job).
pub fn current() -> ProvisionalUse {
    NOTE.try_with(Clone::clone).unwrap_or_default()
}

/// The value of the `calendar` field and header.
pub const PROVISIONAL: &str = "provisional";

/// Middleware: runs the request with a fresh flag and marks the answer if it was set.
pub async fn note(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let flag = ProvisionalUse::default();
    let res = NOTE.scope(flag.clone(), next.call(req)).await?;
    if !flag.get() {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json") || v.starts_with("application/problem+json")
        });
    let (mut head, body) = res.into_parts();
    head.headers_mut().insert(
        HeaderName::from_static("x-ggzy-calendar"),
        HeaderValue::from_static(PROVISIONAL),
    );
    if !json {
        return Ok(ServiceResponse::new(
            req,
            head.set_body(body).map_into_boxed_body(),
        ));
    }
    // JSON answers are small (lists are paged); the body is rewritten only when it is an object
    let bytes = to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
    let bytes = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(mut m)) => {
            m.entry("calendar").or_insert(Value::from(PROVISIONAL));
            if let Some(Value::Array(vs)) = m.get_mut("violations") {
                for v in vs.iter_mut().filter_map(Value::as_object_mut) {
                    v.entry("calendar").or_insert(Value::from(PROVISIONAL));
                }
            }
            serde_json::to_vec(&m).map(Into::into).unwrap_or(bytes)
        }
        _ => bytes,
    };
    Ok(ServiceResponse::new(
        req,
        head.set_body(BoxBody::new(bytes)),
    ))
}
