//! The route table: every API route with its plane (the pool that serves it) and the roles
//! allowed — the first of the three enforcements of the separation of powers (DESIGN.md §2).
//! The app registers exactly these routes, the gate enforces them, a test walks them all
//! (route × role) and another checks that the OpenAPI document lists them.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::{Resource, web};

use crate::roles::{Plane, Role};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, no token.
    Public,
    /// Any signed-in user whose password is in order.
    SignedIn,
    /// Any signed-in user, even one still on a one-time password (`/me`, `/me/password`).
    Account,
    /// Only these roles.
    Roles(&'static [Role]),
    /// Loopback clients, or the metrics token.
    Metrics,
}

impl Access {
    /// Whether a signed-in user of `role` passes (ignoring the one-time password rule).
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Public | Access::SignedIn | Access::Account => true,
            Access::Roles(roles) => roles.contains(&role),
            Access::Metrics => false,
        }
    }

    /// Whether the route needs a bearer token.
    pub fn needs_token(self) -> bool {
        matches!(self, Access::SignedIn | Access::Account | Access::Roles(_))
    }
}

/// One declared route.
pub struct RouteDecl {
    /// HTTP method (upper case).
    pub method: &'static str,
    /// Full path pattern, as actix and OpenAPI write it.
    pub path: &'static str,
    /// The plane whose pool serves it.
    pub plane: Plane,
    /// Who may call it.
    pub access: Access,
    /// Adds the handler to its resource.
    pub register: fn(Resource) -> Resource,
}

impl std::fmt::Debug for RouteDecl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} ({}, {:?})",
            self.method,
            self.path,
            self.plane.as_str(),
            self.access
        )
    }
}

macro_rules! route_table {
    ($( $method:ident $path:literal, $plane:ident, $access:expr => $handler:path; )*) => {
        /// Every API route.
        pub static ROUTES: &[RouteDecl] = &[$(
            RouteDecl {
                method: stringify!($method),
                path: $path,
                plane: Plane::$plane,
                access: $access,
                register: |r| r.route(web::method(actix_web::http::Method::$method).to($handler)),
            },
        )*];
    };
}

use crate::{decide, execute, identity, notify, ocds, ops, public, supervise, transparency};
use Access::*;
use Role::*;

route_table! {
    // ops (served by every process)
    GET "/api/v1/health", Public, Public => ops::health::health;
    GET "/api/v1/metrics", Public, Metrics => ops::metrics::metrics;
    GET "/api/v1/openapi.json", Public, Public => ops::openapi::openapi_json;
    // the public portal (公共服务平台): announcements, results, statistics
    GET "/api/v1/public/announcements", Public, Public => public::announcements::list;
    GET "/api/v1/public/results", Public, Public => public::results::list;
    GET "/api/v1/public/stats", Public, Public => public::stats::stats;
    // identity
    POST "/api/v1/auth/register", Identity, Public => identity::handlers::register;
    POST "/api/v1/auth/login", Identity, Public => identity::handlers::login;
    GET "/api/v1/me", Identity, Account => identity::handlers::me;
    POST "/api/v1/me/password", Identity, Account => identity::handlers::change_password;
    POST "/api/v1/admin/users", Identity, Roles(&[Admin]) => identity::handlers::create_user;
    // sessions (issue 13, finding 5): sign-out, an account disabled and enabled again
    POST "/api/v1/auth/logout", Identity, Account => identity::handlers::logout;
    POST "/api/v1/admin/users/{id}/disable", Identity, Roles(&[Admin]) => identity::handlers::disable_user;
    POST "/api/v1/admin/users/{id}/enable", Identity, Roles(&[Admin]) => identity::handlers::enable_user;
    POST "/api/v1/sandbox/clock", Identity, Roles(&[Admin]) => ops::sandbox::advance_clock;
    // execute
    POST "/api/v1/projects", Execute, Roles(&[Agency, Purchaser]) => execute::projects::create_project;
    GET "/api/v1/projects/{id}", Execute,
        Roles(&[Agency, Purchaser, CenterStaff, Regulator, Supervisor]) => execute::projects::get_project;
    POST "/api/v1/projects/{id}/tenders", Execute, Roles(&[Agency, Purchaser]) => execute::tenders::create::create_tender;
    GET "/api/v1/tenders/{id}", Public, Public => execute::tenders::create::get_tender;
    GET "/api/v1/tenders/{id}/manage", Execute,
        Roles(&[Agency, Purchaser, CenterStaff, Regulator, Supervisor]) => execute::tenders::create::get_tender_managed;
    POST "/api/v1/tenders/{id}/files", Execute, Roles(&[Agency, Purchaser]) => execute::tenders::files::upload_file;
    GET "/api/v1/tenders/{id}/files", Public, Public => execute::tenders::files::list_files;
    GET "/api/v1/tenders/{id}/files/{file_id}", Execute, Roles(&[Bidder]) => execute::tenders::files::download_file;
    POST "/api/v1/tenders/{id}/documents", Execute, Roles(&[Bidder]) => execute::tenders::files::obtain_documents;
    PUT "/api/v1/tenders/{id}/key-holders/execute", Execute, Roles(&[CenterStaff]) => execute::tenders::holders::designate_holder;
    PUT "/api/v1/tenders/{id}/holder-keys/execute", Execute, Roles(&[CenterStaff]) => execute::tenders::holders::register_holder_key;
    POST "/api/v1/tenders/{id}/publish", Execute, Roles(&[Agency, Purchaser]) => execute::tenders::publish::publish;
    POST "/api/v1/tenders/{id}/clarifications", Execute, Roles(&[Agency, Purchaser]) => execute::tenders::publish::clarify;
    POST "/api/v1/tenders/{id}/bid-security", Execute, Roles(&[Bidder]) => execute::tenders::security::declare;
    GET "/api/v1/tenders/{id}/bid-security", Execute, Roles(&[CenterStaff]) => execute::tenders::security::list;
    POST "/api/v1/tenders/{id}/bid-security/{sid}/confirm", Execute, Roles(&[CenterStaff]) => execute::tenders::security::confirm;
    POST "/api/v1/tenders/{id}/bid-security/{sid}/refund", Execute, Roles(&[CenterStaff]) => execute::tenders::security::refund;
    PUT "/api/v1/tenders/{id}/bids/mine", Execute, Roles(&[Bidder]) => execute::tenders::bids::submit_bid;
    DELETE "/api/v1/tenders/{id}/bids/mine", Execute, Roles(&[Bidder]) => execute::tenders::bids::withdraw_bid;
    GET "/api/v1/receipts/{id}", Public, Public => execute::tenders::bids::get_receipt;
    GET "/api/v1/keys/platform", Public, Public => execute::tenders::bids::platform_key;
    // the transparency log (written by the sequencer, read by the public role)
    GET "/api/v1/log/head", Public, Public => transparency::handlers::head;
    GET "/api/v1/log/entries", Public, Public => transparency::handlers::entries;
    GET "/api/v1/log/proof", Public, Public => transparency::handlers::proof;
    GET "/api/v1/log/consistency", Public, Public => transparency::handlers::consistency;
    GET "/api/v1/tenders/{id}/closing-manifest", Public, Public => execute::tenders::closing::get_manifest;
    GET "/api/v1/tenders/{id}/opening/share-bundles", Execute,
        Roles(&[Regulator, CenterStaff, Supervisor]) => execute::tenders::opening::share_bundles;
    POST "/api/v1/tenders/{id}/opening/shares", Execute,
        Roles(&[Regulator, CenterStaff, Supervisor]) => execute::tenders::opening::submit_shares;
    POST "/api/v1/tenders/{id}/opening/holder-identity", Execute,
        Roles(&[Regulator, CenterStaff, Supervisor]) => execute::tenders::opening::reveal_identity;
    POST "/api/v1/tenders/{id}/opening/postpone", Execute, Roles(&[CenterStaff]) => execute::tenders::opening::postpone;
    GET "/api/v1/tenders/{id}/opening", Public, Public => execute::tenders::opening::get_opening;
    POST "/api/v1/tenders/{id}/committee/draw", Execute, Roles(&[CenterStaff]) => execute::tenders::committee::request_draw;
    POST "/api/v1/tenders/{id}/committee/representatives", Execute,
        Roles(&[Agency, Purchaser]) => execute::tenders::committee::add_representative;
    POST "/api/v1/tenders/{id}/committee/declarations", Execute,
        Roles(&[Expert, Purchaser]) => execute::tenders::committee::declare;
    // served by execute, which holds the draw's secret seed and reveals it only after the result
    GET "/api/v1/tenders/{id}/committee", Execute, Public => execute::tenders::committee::get_committee;
    GET "/api/v1/me/committees", Execute, Roles(&[Expert, Purchaser]) => execute::tenders::committee::my_committees;
    POST "/api/v1/me/subscriptions", Execute, Roles(&[Bidder]) => notify::subscriptions::subscribe;
    POST "/api/v1/tenders/{id}/scores", Execute, Roles(&[Expert, Purchaser]) => execute::tenders::scoring::submit_scores;
    POST "/api/v1/tenders/{id}/evaluation/finalize", Execute, Roles(&[CenterStaff]) => execute::tenders::scoring::finalize;
    GET "/api/v1/tenders/{id}/candidates", Public, Public => execute::tenders::scoring::candidates;
    POST "/api/v1/tenders/{id}/objections", Execute, Roles(&[Bidder]) => execute::tenders::objections::raise;
    GET "/api/v1/tenders/{id}/objections", Execute,
        Roles(&[Bidder, Agency, Purchaser]) => execute::tenders::objections::list;
    POST "/api/v1/objections/{id}/reply", Execute, Roles(&[Agency, Purchaser]) => execute::tenders::objections::reply;
    POST "/api/v1/tenders/{id}/award", Execute, Roles(&[Agency, Purchaser]) => execute::tenders::award::award;
    POST "/api/v1/tenders/{id}/contract", Execute, Roles(&[Agency, Purchaser]) => execute::tenders::award::contract;
    POST "/api/v1/tenders/{id}/rounds", Execute, Roles(&[Agency]) => execute::tenders::rounds::next_round;
    POST "/api/v1/tenders/{id}/cancel", Execute, Roles(&[Agency, Purchaser]) => execute::tenders::award::cancel;
    POST "/api/v1/projects/{id}/auctions", Execute, Roles(&[Agency, CenterStaff]) => execute::auctions::create::create_auction;
    POST "/api/v1/auctions/{id}/publish", Execute, Roles(&[Agency, CenterStaff]) => execute::auctions::create::publish;
    GET "/api/v1/auctions/{id}", Execute, SignedIn => execute::auctions::create::get_auction;
    POST "/api/v1/auctions/{id}/registrations", Execute, Roles(&[Bidder]) => execute::auctions::registrations::register;
    GET "/api/v1/auctions/{id}/registrations", Execute, Roles(&[CenterStaff]) => execute::auctions::registrations::list;
    POST "/api/v1/auctions/{id}/registrations/{rid}/deposit", Execute,
        Roles(&[CenterStaff]) => execute::auctions::registrations::confirm_deposit;
    POST "/api/v1/auctions/{id}/registrations/{rid}/refund", Execute,
        Roles(&[CenterStaff]) => execute::auctions::registrations::refund;
    POST "/api/v1/auctions/{id}/bids", Execute, Roles(&[Bidder]) => execute::auctions::bids::bid;
    GET "/api/v1/auctions/{id}/live", Execute, SignedIn => execute::auctions::live::live;
    // served by execute, which alone knows the bidders behind the anonymous numbers
    GET "/api/v1/auctions/{id}/result", Execute, Public => execute::auctions::results::result;
    POST "/api/v1/venues", Execute, Roles(&[CenterStaff]) => execute::venues::create_venue;
    GET "/api/v1/venues", Execute, Roles(&[CenterStaff]) => execute::venues::list_venues;
    POST "/api/v1/venues/{id}/bookings", Execute, Roles(&[CenterStaff]) => execute::venues::book;
    // decide
    PUT "/api/v1/auctions/{id}/reserve-price", Decide, Roles(&[Regulator]) => decide::auction_decisions::set_reserve;
    POST "/api/v1/auctions/{id}/filing", Decide, Roles(&[Regulator]) => decide::auction_decisions::file_auction;
    POST "/api/v1/projects/{id}/approval", Decide, Roles(&[Regulator]) => decide::approvals::decide_approval;
    POST "/api/v1/experts", Decide, Roles(&[Regulator]) => decide::experts::add_expert;
    POST "/api/v1/tenders/{id}/filing", Decide, Roles(&[Regulator]) => decide::filings::file_tender;
    GET "/api/v1/rules", Decide, Roles(&[Regulator]) => decide::rules::list_rules;
    PUT "/api/v1/rules/{rule_id}", Decide, Roles(&[Regulator]) => decide::rules::put_rule;
    GET "/api/v1/calendar/{year}", Decide, Roles(&[Regulator]) => decide::rules::get_calendar;
    PUT "/api/v1/calendar/{year}", Decide, Roles(&[Regulator]) => decide::rules::put_calendar;
    PUT "/api/v1/tenders/{id}/key-holders/decide", Decide, Roles(&[Regulator]) => decide::key_holders::designate_holder;
    PUT "/api/v1/tenders/{id}/holder-keys/decide", Decide, Roles(&[Regulator]) => decide::key_holders::register_holder_key;
    POST "/api/v1/complaints/{id}/acceptance", Decide, Roles(&[Regulator]) => decide::complaints::accept;
    POST "/api/v1/complaints/{id}/decision", Decide, Roles(&[Regulator]) => decide::complaints::decide;
    POST "/api/v1/social-supervisors", Decide, Roles(&[Regulator]) => decide::social_supervisors::appoint;
    // served by decide, which owns the appointments and reads account names: the public role
    // needs no grant on either (the names of the appointed are published)
    GET "/api/v1/social-supervisors", Decide, Public => decide::social_supervisors::list;
    POST "/api/v1/social-supervisors/{id}/assignments", Decide, Roles(&[Regulator]) => decide::social_supervisors::assign;
    // public: OCDS 1.1 (the public role reads the sequenced public log entries and what they name)
    GET "/api/v1/public/ocds/releases", Public, Public => ocds::handlers::releases;
    GET "/api/v1/public/ocds/records/{ocid}", Public, Public => ocds::handlers::record;
    // supervise
    PUT "/api/v1/tenders/{id}/key-holders/supervise", Supervise, Roles(&[Supervisor]) => supervise::key_holders::designate_holder;
    PUT "/api/v1/tenders/{id}/holder-keys/supervise", Supervise, Roles(&[Supervisor]) => supervise::key_holders::register_holder_key;
    POST "/api/v1/holds", Supervise, Roles(&[Supervisor, Regulator]) => supervise::holds::hold;
    POST "/api/v1/me/conflict-declarations", Supervise, Roles(&[SocialSupervisor]) => supervise::social::declare;
    GET "/api/v1/supervision/subjects/{subject_type}/{subject_id}", Supervise,
        Roles(&[SocialSupervisor, Supervisor]) => supervise::social::subject;
    GET "/api/v1/supervision/access-log", Supervise, Roles(&[Supervisor]) => supervise::social::access_log_list;
    POST "/api/v1/observations", Supervise, Roles(&[SocialSupervisor, Supervisor]) => supervise::social::observe;
    GET "/api/v1/observations", Supervise, Roles(&[SocialSupervisor, Supervisor]) => supervise::social::list_observations;
    POST "/api/v1/observations/{id}/answer", Supervise, Roles(&[Supervisor]) => supervise::social::answer;
    POST "/api/v1/committee-draws/{draw_id}/contribution", Supervise, Roles(&[Supervisor]) => supervise::draws::contribute;
    POST "/api/v1/complaints", Supervise, Roles(&[Bidder]) => supervise::complaints::file;
    // the regulator reads complaints here too: one plane per (method, path)
    GET "/api/v1/complaints", Supervise, Roles(&[Bidder, Supervisor, Regulator]) => supervise::complaints::list;
    GET "/api/v1/supervision/red-flags", Supervise, Roles(&[Supervisor, Expert]) => supervise::red_flags::red_flags;
    GET "/api/v1/supervision/warnings", Supervise, Roles(&[Supervisor, Regulator, SocialSupervisor]) => supervise::warnings::list;
    POST "/api/v1/supervision/warnings/{id}/resolve", Supervise, Roles(&[Supervisor]) => supervise::warnings::resolve;
    GET "/api/v1/floor", Supervise, Roles(&[CenterStaff, Regulator, Supervisor, SocialSupervisor]) => supervise::floor::floor;
    GET "/api/v1/floor/live", Supervise, Roles(&[CenterStaff, Regulator, Supervisor, SocialSupervisor]) => supervise::floor::live;
}

/// Per-route body limits above the 1 MiB default: sealed bids (API.md: 64 MiB) and documents.
pub const BODY_LIMITS: &[(&str, usize)] = &[
    ("/api/v1/tenders/{id}/bids/mine", 64 * 1024 * 1024),
    ("/api/v1/tenders/{id}/files", 48 * 1024 * 1024),
    ("/api/v1/tenders/{id}/opening/shares", 16 * 1024 * 1024),
];

/// Routes by (method, path).
pub static INDEX: LazyLock<HashMap<(&'static str, &'static str), &'static RouteDecl>> =
    LazyLock::new(|| ROUTES.iter().map(|r| ((r.method, r.path), r)).collect());

/// Registers the routes of the served planes (public ones always), one resource per path.
pub fn configure(cfg: &mut web::ServiceConfig, planes: &[Plane]) {
    let mut paths: Vec<&'static str> = Vec::new();
    for r in ROUTES {
        if !paths.contains(&r.path) {
            paths.push(r.path);
        }
    }
    for path in paths {
        let mut resource = web::resource(path).default_service(web::to(method_not_allowed));
        if let Some((_, limit)) = BODY_LIMITS.iter().find(|(p, _)| *p == path) {
            resource = resource.app_data(crate::http::body::BodyLimit(*limit));
        }
        let mut any = false;
        for r in ROUTES.iter().filter(|r| r.path == path) {
            if r.plane == Plane::Public || planes.contains(&r.plane) {
                resource = (r.register)(resource);
                any = true;
            }
        }
        if any {
            cfg.service(resource);
        }
    }
}

async fn method_not_allowed() -> Result<actix_web::HttpResponse, crate::error::AppError> {
    Err(crate::error::AppError::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this method is not allowed on this path",
    ))
}
