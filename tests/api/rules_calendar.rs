//! The rule set and the calendar as the regulator keeps them through the API: a change is a new
//! version that the schedule checks use at once; a period reaching a year with no calendar is
//! refused in production (`422 calendar_missing`) until the regulator enters that year's notice.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::tendering::{create_tender, designate_and_register, put, world};

#[tokio::test]
async fn a_new_rule_version_applies_to_the_next_publication() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let rules: Value = app
        .get("/api/v1/rules", Some(&w.regulator.token))
        .await
        .json()
        .await
        .unwrap();
    let rule = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == "ztb.bid_period_min")
        .unwrap()
        .clone();
    assert_eq!(rule["value"], "20");
    assert_eq!(rule["unit"], "day");
    assert_eq!(rule["citation"], "招标投标法 第二十四条");
    assert_eq!(rule["version"], 1);
    assert!(rules["items"].as_array().unwrap().len() >= 60);
    // only the regulator keeps the rules
    assert_eq!(
        app.get("/api/v1/rules", Some(&w.agency.token))
            .await
            .status(),
        403
    );
    let r = put(
        &app,
        "/api/v1/rules/ztb.bid_period_min",
        &w.regulator.token,
        json!({"value": "25", "reason": "本市规定：依法必须招标项目投标期不少于二十五日"}),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["version"], 2);
    assert_eq!(v["value"], "25");
    // a malformed version is refused and changes nothing
    let r = put(
        &app,
        "/api/v1/rules/ztb.bid_period_min",
        &w.regulator.token,
        json!({"value": "25", "citation": "某规定", "reason": "x"}),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        put(
            &app,
            "/api/v1/rules/no.such.rule",
            &w.regulator.token,
            json!({"value": "1", "reason": "x"})
        )
        .await
        .status(),
        404
    );
    // 22 days passes the statute but not the new local rule
    let (tender, _) = create_tender(&app, &w, 22).await;
    designate_and_register(&app, &w, &tender).await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/publish"),
            Some(&w.agency.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["violations"][0]["rule"], "ztb.bid_period_min", "{p}");
    assert!(
        p["violations"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("25"),
        "{p}"
    );
}

#[tokio::test]
async fn a_year_without_calendar_is_refused_in_production_until_the_regulator_enters_it() {
    let app = TestApp::spawn_with(false).await;
    let w = world(&app, "construction").await;
    let cal: Value = app
        .get("/api/v1/calendar/2026", Some(&w.regulator.token))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        cal["holidays"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "2026-10-01")
    );
    assert!(
        cal["workdays"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "2026-02-14")
    );
    assert_eq!(
        app.get("/api/v1/calendar/2027", Some(&w.regulator.token))
            .await
            .status(),
        404
    );
    // documents from 2026-12-20: the 20-day period ends in 2027 and cannot be counted without
    // the 2027 calendar
    let r = app
        .post(&format!("/api/v1/projects/{}/tenders", w.project_id), Some(&w.agency.token),
            json!({"title": "跨年标段", "method": "open_tender",
                   "evaluation": {"method": "lowest_evaluated_price"}, "bid_security_amount": "1000.00",
                   "documents_from": "2026-12-20T01:00:00Z", "documents_until": "2026-12-30T01:00:00Z",
                   "bid_deadline": "2027-01-20T02:00:00Z"}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let tender = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    designate_and_register(&app, &w, &tender).await;
    let publish = format!("/api/v1/tenders/{tender}/publish");
    let r = app.post(&publish, Some(&w.agency.token), json!({})).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "calendar_missing");
    // an inconsistent notice is refused
    let r = put(
        &app,
        "/api/v1/calendar/2027",
        &w.regulator.token,
        json!({"holidays": ["2027-01-01"], "workdays": ["2027-01-04"], "source": "x"}),
    )
    .await;
    assert_eq!(r.status(), 422, "a Monday cannot be a make-up working day");
    let r = put(&app, "/api/v1/calendar/2027", &w.regulator.token,
        json!({"holidays": ["2027-01-01", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09",
                            "2027-02-10", "2027-02-11", "2027-02-12"],
               "workdays": ["2027-01-31"], "source": "国务院办公厅关于2027年部分节假日安排的通知（测试数据）"})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(r.json::<Value>().await.unwrap()["version"], 1);
    let r = app.post(&publish, Some(&w.agency.token), json!({})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}
