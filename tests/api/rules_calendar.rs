//! The rule set and the calendar as the regulator keeps them through the API: a change is a new
//! version that the schedule checks use at once; a year without the State Council's notice is
//! provisional (国务院令第795号's statutory days off, the 调休 unknown; issue 14 item 8), never
//! `calendar_missing`, and every answer counted on it says `"calendar": "provisional"`, until the
//! regulator enters the notice. The tests run on the platform clock, never the machine's date
//! (issue 14 item 9).

use chrono::{DateTime, Datelike, Duration, FixedOffset, SubsecRound, Utc};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::tendering::{
    construction_end_to_end, create_tender, designate_and_register, platform_now, put, world,
};

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

fn china_year(t: DateTime<Utc>) -> i32 {
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .year()
}

/// Was `a_year_without_calendar_is_refused_in_production_until_the_regulator_enters_it`: it
/// used fixed dates (documents 2026-12-20, deadline 2027-01-20) on the machine's clock of a
/// production server and failed by itself from 2027-01-01, and it asserted the old wrong
/// behaviour (a publication reaching 2027 refused with `422 calendar_missing`). Now the dates
/// are relative to the platform clock, and a year without its notice is provisional.
#[tokio::test]
async fn a_year_without_its_notice_is_provisional_in_production_until_the_regulator_enters_it() {
    let app = TestApp::spawn_with(false).await;
    let w = world(&app, "construction").await;
    let cal: Value = app
        .get("/api/v1/calendar/2026", Some(&w.regulator.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cal["status"], "notice");
    assert_eq!(cal["provisional"], false);
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
    // documents from 30 days ahead: the year they fall in has no notice in a fresh database
    // (the seed ends with 2026), whatever the machine's date
    let now = platform_now(&app).await;
    let from = (now + Duration::days(30)).trunc_subsecs(0);
    let year = china_year(from);
    assert!(year >= 2027);
    let r = app
        .get(
            &format!("/api/v1/calendar/{year}"),
            Some(&w.regulator.token),
        )
        .await;
    assert_eq!(r.status(), 200, "was 404 while dates were computed on it");
    let prov: Value = r.json().await.unwrap();
    assert_eq!(prov["status"], "provisional", "{prov}");
    assert_eq!(prov["provisional"], true);
    assert_eq!(prov["source"], "provisional");
    assert_eq!(prov["version"], 0);
    assert!(prov["basis"].as_str().unwrap().contains("国务院令第795号"));
    assert_eq!(prov["workdays"], json!([]));
    let holidays: Vec<String> = serde_json::from_value(prov["holidays"].clone()).unwrap();
    assert_eq!(holidays.len(), 13, "{prov}");
    for md in ["01-01", "05-01", "05-02", "10-01", "10-02", "10-03"] {
        assert!(holidays.contains(&format!("{year}-{md}")), "{md}");
    }
    assert!(!prov["possible_days_off"].as_array().unwrap().is_empty());
    // a year no period reaches is still unknown
    assert_eq!(
        app.get("/api/v1/calendar/2100", Some(&w.regulator.token))
            .await
            .status(),
        404
    );

    // a tender counted on the provisional year publishes, and says so
    let tenders = format!("/api/v1/projects/{}/tenders", w.project_id);
    let create = |from: DateTime<Utc>| {
        app.post(
            &tenders,
            Some(&w.agency.token),
            json!({"title": "跨年标段", "method": "open_tender",
                   "evaluation": {"method": "lowest_evaluated_price"}, "bid_security_amount": "1000.00",
                   "documents_from": from, "documents_until": from + Duration::days(10),
                   "bid_deadline": from + Duration::days(40)}),
        )
    };
    let r = create(from).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let tender = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    designate_and_register(&app, &w, &tender).await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/publish"),
            Some(&w.agency.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "was 422 calendar_missing");
    assert_eq!(r.headers()["x-ggzy-calendar"], "provisional");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["calendar"], "provisional", "{v}");

    // an inconsistent notice is refused
    let r = put(
        &app,
        &format!("/api/v1/calendar/{year}"),
        &w.regulator.token,
        json!({"holidays": [format!("{year}-01-01")], "workdays": [format!("{year}-01-06")],
               "source": "x"}),
    )
    .await;
    assert_eq!(r.status(), 422, "a weekday cannot be a make-up working day");
    // the regulator enters the notices of the year and the next: they replace the provisional
    // years (version 1), audited and in the public log
    for y in [year, year + 1] {
        let p: Value = app
            .get(&format!("/api/v1/calendar/{y}"), Some(&w.regulator.token))
            .await
            .json()
            .await
            .unwrap();
        let r = put(
            &app,
            &format!("/api/v1/calendar/{y}"),
            &w.regulator.token,
            json!({"holidays": p["holidays"], "workdays": [],
                   "source": format!("国务院办公厅关于{y}年部分节假日安排的通知（测试数据）")}),
        )
        .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["status"], "notice");
        assert_eq!(v["provisional"], false);
        assert!(v.get("calendar").is_none(), "{v}");
    }
    let c = crate::helpers::pg(&app.db.url).await;
    let audited: i64 = c
        .query_one(
            "SELECT count(*) FROM audit_entries WHERE action = 'calendar.set' \
               AND details->>'replaces' = 'provisional'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(audited, 2);
    let public: i64 = c
        .query_one(
            "SELECT count(*) FROM outbox WHERE kind = 'public' AND topic = 'calendar.set'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(public, 2);
    let v: Value = app
        .get(
            &format!("/api/v1/calendar/{year}"),
            Some(&w.regulator.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "notice");
    // counted on the notices, a second tender's answer no longer says provisional
    let r = create(from).await;
    let tender = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    designate_and_register(&app, &w, &tender).await;
    let r = app
        .post(
            &format!("/api/v1/tenders/{tender}/publish"),
            Some(&w.agency.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("x-ggzy-calendar").is_none());
    let v: Value = r.json().await.unwrap();
    assert!(v.get("calendar").is_none(), "{v}");
}

/// Issue 14 acceptance: a tender published on 2026-12-20 with its deadline in January 2027 goes
/// from publication to award in the sandbox without one `calendar_missing` (it was refused in
/// production, and the sandbox counted 2027 by weekends only), and its dates treat 2027-01-01
/// (元旦) as a holiday.
#[tokio::test]
async fn a_tender_across_the_new_year_runs_to_award_and_new_years_day_is_a_holiday() {
    // 2026-12-20 08:00 China time
    let start: DateTime<Utc> = "2026-12-20T00:00:00Z".parse().unwrap();
    let app = TestApp::spawn_at(start).await;
    assert_eq!(china_year(platform_now(&app).await), 2026);
    let w = world(&app, "construction").await;
    // documents on sale from Sun 2026-12-27 until Fri 2027-01-01: 5 日 (实施条例 第十六条) end on
    // 01-01, 元旦, and roll past the weekend and the possible bridging day 01-04 to 01-05. The
    // weekends-only sandbox took 01-01 as a working day and accepted this schedule.
    let from: DateTime<Utc> = "2026-12-27T01:00:00Z".parse().unwrap();
    let r = app
        .post(&format!("/api/v1/projects/{}/tenders", w.project_id), Some(&w.agency.token),
            json!({"title": "元旦标段", "method": "open_tender",
                   "evaluation": {"method": "lowest_evaluated_price"}, "bid_security_amount": "1000.00",
                   "documents_from": from, "documents_until": "2027-01-01T09:00:00Z",
                   "bid_deadline": "2027-01-20T02:00:00Z"}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let tender = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
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
    assert_ne!(p["code"], "calendar_missing");
    assert_eq!(p["calendar"], "provisional", "{p}");
    let v = p["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["rule"] == "ztb.documents_sale_min")
        .unwrap_or_else(|| panic!("{p}"));
    assert_eq!(v["citation"], "招标投标法实施条例 第十六条");
    assert_eq!(v["calendar"], "provisional");
    assert!(v["detail"].as_str().unwrap().contains("2027-01-05"), "{v}");

    // the whole tender from 2026-12-20 (deadline 2027-01-14) to award and filing
    construction_end_to_end(&app).await;
}

async fn calendar_cards(app: &TestApp, token: &str) -> Vec<Value> {
    let v: Value = app
        .get("/api/v1/supervision/warnings", Some(token))
        .await
        .json()
        .await
        .unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule"] == "calendar_notice_missing")
        .cloned()
        .collect()
}

/// Issue 14: a warning card from 1 November while next year has no notice (yellow, owned by
/// the regulator, naming the year), red once that year has begun without one, both closed by
/// the scan when the regulator enters the notice. Nothing warned before.
#[tokio::test]
async fn a_card_asks_the_regulator_for_next_years_notice_from_the_first_of_november() {
    // 2026-10-31 23:00 China time
    let app = TestApp::spawn_at("2026-10-31T15:00:00Z".parse().unwrap()).await;
    let w = world(&app, "construction").await;
    crate::tendering::advance(&app, 60, Some(true)).await;
    assert!(calendar_cards(&app, &w.regulator.token).await.is_empty());
    // 2026-11-01 00:01 China time
    crate::tendering::advance(&app, 3600, Some(true)).await;
    let cards = calendar_cards(&app, &w.regulator.token).await;
    assert_eq!(cards.len(), 1, "{cards:?}");
    let c = &cards[0];
    assert_eq!(c["level"], "yellow");
    assert_eq!(c["owner"], "regulator");
    assert_eq!(c["subject_type"], "calendar");
    assert_eq!(c["subject_id"], "00000000-0000-0000-0000-000000002027");
    assert_eq!(c["citation"], "全国年节及纪念日放假办法 第二条");
    assert_eq!(c["evidence"]["year"], 2027);
    assert!(
        c["evidence"]["action"]
            .as_str()
            .unwrap()
            .contains("/calendar/2027")
    );
    assert_eq!(c["due_at"], "2026-12-31T16:00:00.000000Z");
    // the supervisors see it too
    assert_eq!(calendar_cards(&app, &w.supervisor.token).await.len(), 1);
    // 2027-01-01 00:01 China time, still no notice: red
    let now = platform_now(&app).await;
    let to: DateTime<Utc> = "2026-12-31T16:01:00Z".parse().unwrap();
    crate::tendering::advance(&app, (to - now).num_seconds(), Some(true)).await;
    let cards = calendar_cards(&app, &w.regulator.token).await;
    assert_eq!(cards.len(), 2, "{cards:?}");
    assert!(
        cards
            .iter()
            .any(|c| c["level"] == "red" && c["evidence"]["year"] == 2027)
    );
    // the regulator enters the notice: the next scan closes both
    let p: Value = app
        .get("/api/v1/calendar/2027", Some(&w.regulator.token))
        .await
        .json()
        .await
        .unwrap();
    let r = put(
        &app,
        "/api/v1/calendar/2027",
        &w.regulator.token,
        json!({"holidays": p["holidays"], "workdays": [],
               "source": "国务院办公厅关于2027年部分节假日安排的通知（测试数据）"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    crate::tendering::advance(&app, 60, Some(true)).await;
    let cards = calendar_cards(&app, &w.regulator.token).await;
    assert_eq!(cards.len(), 2);
    assert!(cards.iter().all(|c| c["status"] == "resolved"), "{cards:?}");
}
