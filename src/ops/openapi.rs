//! The OpenAPI 3.1 document, generated from the handlers' annotations and completed from the
//! route table: every operation carries its plane (`x-ggzy-plane`) and allowed roles
//! (`x-ggzy-roles`), and a test checks that the document and the table list the same routes.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use serde_json::{Value, json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::routes::{Access, ROUTES};

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT (EdDSA)")
                    .build(),
            ),
        );
    }
}

/// The annotated API.
#[derive(OpenApi)]
#[openapi(
    info(title = "ggzy — 公共资源交易平台 API", version = "1",
         description = "Public resource trading platform: decide / execute / supervise planes. \
                        Errors are RFC 9457 problem+json with a stable `code`."),
    paths(
        crate::ops::health::health,
        crate::ops::metrics::metrics,
        openapi_json,
        crate::public::announcements::list,
        crate::public::results::list,
        crate::public::stats::stats,
        crate::identity::handlers::register,
        crate::identity::handlers::login,
        crate::identity::handlers::me,
        crate::identity::handlers::change_password,
        crate::identity::handlers::create_user,
        crate::identity::handlers::logout,
        crate::identity::handlers::disable_user,
        crate::identity::handlers::enable_user,
        crate::ops::sandbox::advance_clock,
        crate::execute::projects::create_project,
        crate::execute::projects::get_project,
        crate::decide::approvals::decide_approval,
        crate::execute::tenders::create::create_tender,
        crate::execute::tenders::create::get_tender,
        crate::execute::tenders::create::get_tender_managed,
        crate::execute::tenders::files::upload_file,
        crate::execute::tenders::files::list_files,
        crate::execute::tenders::files::download_file,
        crate::execute::tenders::files::obtain_documents,
        crate::execute::tenders::holders::designate_holder,
        crate::execute::tenders::holders::register_holder_key,
        crate::execute::tenders::publish::publish,
        crate::execute::tenders::publish::clarify,
        crate::execute::tenders::security::declare,
        crate::execute::tenders::security::list,
        crate::execute::tenders::security::confirm,
        crate::execute::tenders::security::refund,
        crate::execute::tenders::bids::submit_bid,
        crate::execute::tenders::bids::withdraw_bid,
        crate::execute::tenders::bids::get_receipt,
        crate::execute::tenders::bids::platform_key,
        crate::transparency::handlers::head,
        crate::transparency::handlers::entries,
        crate::transparency::handlers::proof,
        crate::transparency::handlers::consistency,
        crate::execute::tenders::closing::get_manifest,
        crate::execute::tenders::opening::share_bundles,
        crate::execute::tenders::opening::submit_shares,
        crate::execute::tenders::opening::reveal_identity,
        crate::execute::tenders::opening::postpone,
        crate::execute::tenders::opening::get_opening,
        crate::execute::tenders::committee::request_draw,
        crate::execute::tenders::committee::add_representative,
        crate::execute::tenders::committee::declare,
        crate::execute::tenders::committee::get_committee,
        crate::execute::tenders::committee::my_committees,
        crate::notify::subscriptions::subscribe,
        crate::execute::tenders::scoring::submit_scores,
        crate::execute::tenders::scoring::finalize,
        crate::execute::tenders::scoring::candidates,
        crate::execute::tenders::objections::raise,
        crate::execute::tenders::objections::list,
        crate::execute::tenders::objections::reply,
        crate::execute::tenders::award::award,
        crate::execute::tenders::award::contract,
        crate::execute::tenders::award::cancel,
        crate::execute::tenders::rounds::next_round,
        crate::execute::auctions::create::create_auction,
        crate::execute::auctions::create::publish,
        crate::execute::auctions::create::get_auction,
        crate::execute::auctions::registrations::register,
        crate::execute::auctions::registrations::list,
        crate::execute::auctions::registrations::confirm_deposit,
        crate::execute::auctions::registrations::refund,
        crate::execute::auctions::bids::bid,
        crate::execute::auctions::live::live,
        crate::execute::auctions::results::result,
        crate::decide::auction_decisions::set_reserve,
        crate::decide::auction_decisions::file_auction,
        crate::decide::experts::add_expert,
        crate::decide::filings::file_tender,
        crate::supervise::draws::contribute,
        crate::execute::venues::create_venue,
        crate::execute::venues::list_venues,
        crate::execute::venues::book,
        crate::supervise::complaints::file,
        crate::supervise::complaints::list,
        crate::decide::complaints::accept,
        crate::decide::complaints::decide,
        crate::decide::social_supervisors::appoint,
        crate::decide::social_supervisors::list,
        crate::decide::social_supervisors::assign,
        crate::supervise::social::declare,
        crate::supervise::social::subject,
        crate::supervise::social::access_log_list,
        crate::supervise::social::observe,
        crate::supervise::social::list_observations,
        crate::supervise::social::answer,
        crate::supervise::red_flags::red_flags,
        crate::supervise::warnings::list,
        crate::supervise::warnings::resolve,
        crate::supervise::floor::floor,
        crate::supervise::floor::live,
        crate::supervise::holds::hold,
        crate::decide::rules::list_rules,
        crate::decide::rules::put_rule,
        crate::decide::rules::get_calendar,
        crate::decide::rules::put_calendar,
        crate::decide::key_holders::designate_holder,
        crate::decide::key_holders::register_holder_key,
        crate::supervise::key_holders::designate_holder,
        crate::supervise::key_holders::register_holder_key,
        crate::ocds::handlers::releases,
        crate::ocds::handlers::record,
    ),
    components(schemas(crate::error::Problem, crate::error::Violation, crate::roles::Role,
                        crate::roles::Plane)),
    modifiers(&Security)
)]
pub struct ApiDoc;

/// The document as served: utoipa's output plus the route table's plane and roles.
pub static DOCUMENT: LazyLock<Value> = LazyLock::new(build);

fn build() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    doc["openapi"] = json!("3.1.0");
    for r in ROUTES {
        let op = &mut doc["paths"][r.path][r.method.to_ascii_lowercase()];
        if !op.is_object() {
            // Left as is: the route-coverage test reports it.
            continue;
        }
        op["x-ggzy-plane"] = json!(r.plane.as_str());
        let roles: Value = match r.access {
            Access::Public => json!("public"),
            Access::Metrics => json!("the metrics token (GGZY_METRICS_TOKEN) as a bearer token"),
            Access::SignedIn | Access::Account => json!("any signed-in user"),
            Access::Roles(roles) => json!(roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()),
        };
        op["x-ggzy-roles"] = roles;
        if r.access.needs_token() {
            op["security"] = json!([{"bearer": []}]);
            let responses = &mut op["responses"];
            for (code, text) in [
                ("401", "missing_token, invalid_token, token_expired"),
                ("403", "forbidden_role, password_change_required"),
            ] {
                if responses.get(code).is_none() {
                    responses[code] = json!({"description": text, "content": {"application/problem+json":
                        {"schema": {"$ref": "#/components/schemas/Problem"}}}});
                }
            }
        }
    }
    doc
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "ops",
    responses((status = 200, description = "the OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(&*DOCUMENT)
}
