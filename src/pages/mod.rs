//! The zh-CN pages (API.md "Pages"): server-rendered HTML shells (askama templates under
//! `templates/`) whose small ES-module scripts call the JSON API with the bearer token kept in
//! `sessionStorage`. The pages are public routes outside `/api/v1` (not in the route table):
//! they carry no data, the API they call is gated as usual. Every page is sent with a strict
//! Content-Security-Policy (scripts only from this origin, none inline) and every script tag
//! carries its SRI `integrity`.

pub mod assets;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use crate::error::AppError;
use assets::{Asset, integrity_of};

/// The Content-Security-Policy of every page: nothing inline, nothing from elsewhere;
/// `connect-src 'self'` covers the API and its same-origin WebSockets.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// What every page template gets: its title, its script and the stylesheet with their SRI.
struct Shell {
    title: &'static str,
    nav: &'static str,
    script: &'static str,
    script_integrity: &'static str,
    css: &'static str,
    css_integrity: &'static str,
}

impl Shell {
    fn new(title: &'static str, nav: &'static str, script: &'static Asset) -> Shell {
        Shell {
            title,
            nav,
            script: script.path,
            script_integrity: integrity_of(script),
            css: assets::CSS.path,
            css_integrity: integrity_of(&assets::CSS),
        }
    }
}

macro_rules! page {
    ($name:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name {
            shell: Shell,
            id: String,
        }
    };
}

page!(PortalPage, "portal.html");
page!(TenderPage, "tender.html");
page!(BidPage, "bid.html");
page!(HolderPage, "holder.html");
page!(HallPage, "hall.html");
page!(FloorPage, "floor.html");
page!(SupervisePage, "supervise.html");

/// Sends a rendered page with the security headers.
fn html(t: &impl Template) -> Result<HttpResponse, AppError> {
    let body = t.render().map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        // nosniff, no framing and no referrer come with every answer (`http::gate::decorate`);
        // a page sets only its own, stricter CSP
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .body(body))
}

async fn portal() -> Result<HttpResponse, AppError> {
    html(&PortalPage {
        shell: Shell::new("公共资源交易平台", "portal", &assets::PORTAL_JS),
        id: String::new(),
    })
}

async fn tender(id: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    html(&TenderPage {
        shell: Shell::new("招标项目", "portal", &assets::TENDER_JS),
        id: id.into_inner().to_string(),
    })
}

async fn bid(id: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    html(&BidPage {
        shell: Shell::new("投标文件加密递交", "bid", &assets::BID_JS),
        id: id.into_inner().to_string(),
    })
}

async fn holder(id: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    html(&HolderPage {
        shell: Shell::new("开标解密（持钥人）", "holder", &assets::HOLDER_JS),
        id: id.into_inner().to_string(),
    })
}

async fn hall(id: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    html(&HallPage {
        shell: Shell::new("网上竞价大厅", "hall", &assets::HALL_JS),
        id: id.into_inner().to_string(),
    })
}

async fn floor() -> Result<HttpResponse, AppError> {
    html(&FloorPage {
        shell: Shell::new("交易现场大屏", "floor", &assets::FLOOR_JS),
        id: String::new(),
    })
}

async fn supervise() -> Result<HttpResponse, AppError> {
    html(&SupervisePage {
        shell: Shell::new("监督控制台", "supervise", &assets::SUPERVISE_JS),
        id: String::new(),
    })
}

/// Registers the pages and the embedded assets (fixed paths, API.md "Pages").
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(portal))
        .route("/tenders/{id}", web::get().to(tender))
        .route("/bid/{id}", web::get().to(bid))
        .route("/holder/{id}", web::get().to(holder))
        .route("/auctions/{id}", web::get().to(hall))
        .route("/floor", web::get().to(floor))
        .route("/supervise", web::get().to(supervise))
        .route("/assets/{file:.*}", web::get().to(assets::serve));
}
