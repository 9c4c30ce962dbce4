//! Social supervisors (社会监督员): appointed and assigned by the regulator, live read access to
//! their assigned subjects only, lost on a declared conflict, every view in the access log; their
//! concerns are due an answer within 3 工作日.

use chrono::{Duration, NaiveDate};
use ggzy::roles::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, pg};
use crate::tendering::{World, create_tender, platform_now, world};

fn today_china(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    ggzy::rules::schedule::china_date(now)
}

/// The regulator appoints `who` with a term covering today; returns the appointment id.
async fn appoint(app: &TestApp, w: &World, who: &TestUser, certificate: &str) -> String {
    let today = today_china(platform_now(app).await);
    let r = app
        .post(
            "/api/v1/social-supervisors",
            Some(&w.regulator.token),
            json!({"user_id": who.id, "certificate_no": certificate,
                   "term_start": today - Duration::days(30),
                   "term_end": today + Duration::days(730)}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn assign(
    app: &TestApp,
    w: &World,
    appointment: &str,
    subject_type: &str,
    id: &str,
) -> Value {
    let r = app
        .post(
            &format!("/api/v1/social-supervisors/{appointment}/assignments"),
            Some(&w.regulator.token),
            json!({"subject_type": subject_type, "subject_id": id}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// Another approved project of the world's agency, which nobody is assigned to.
async fn other_project(app: &TestApp, w: &World) -> String {
    let r = app
        .post(
            "/api/v1/projects",
            Some(&w.agency.token),
            json!({"category": "construction", "title": "滨海道路工程", "region_code": "440400",
                   "estimate_amount": "30000000.00", "purchaser_org_code": w.purchaser.org_code}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn view(app: &TestApp, who: &TestUser, subject_type: &str, id: &str) -> reqwest::Response {
    app.get(
        &format!("/api/v1/supervision/subjects/{subject_type}/{id}"),
        Some(&who.token),
    )
    .await
}

#[tokio::test]
async fn a_social_supervisor_sees_its_assigned_project_live_until_it_declares_a_conflict() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let (tender, _) = create_tender(&app, &w, 25).await;
    let unassigned = other_project(&app, &w).await;
    let social = app.user(Role::SocialSupervisor).await;

    // only a social_supervisor account can be appointed
    let today = today_china(platform_now(&app).await);
    let r = app
        .post(
            "/api/v1/social-supervisors",
            Some(&w.regulator.token),
            json!({"user_id": w.agency.id, "certificate_no": "SJ-X",
                   "term_start": today, "term_end": today + Duration::days(730)}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "not_a_social_supervisor"
    );
    let appointment = appoint(&app, &w, &social, "湛监聘字 2026-001").await;
    // the same certificate twice
    let r = app
        .post(
            "/api/v1/social-supervisors",
            Some(&w.regulator.token),
            json!({"user_id": social.id, "certificate_no": "湛监聘字 2026-001",
                   "term_start": today, "term_end": today + Duration::days(730)}),
        )
        .await;
    assert_eq!(r.status(), 409);
    // the names of the appointed are public
    let list: Value = app
        .get("/api/v1/social-supervisors", None)
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], appointment.as_str());
    assert_eq!(items[0]["display_name"], "测试 social_supervisor");
    assert_eq!(items[0]["certificate_no"], "湛监聘字 2026-001");

    let a = assign(&app, &w, &appointment, "project", &w.project_id).await;
    assert_eq!(a["social_supervisor_id"], appointment.as_str());

    // its assigned project, live, and the project's tender through it
    let r = view(&app, &social, "project", &w.project_id).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["id"], w.project_id.as_str());
    assert!(
        p["tenders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == tender.as_str() && t["status"] == "draft")
    );
    let r = view(&app, &social, "tender", &tender).await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["status"], "draft");
    // before the deadline a social supervisor learns nothing of who obtained documents or bid
    assert!(t["downloads"].is_null() && t["bids"].is_null(), "{t}");
    // the supervision authority sees the counts live, and its views are not logged
    let t: Value = view(&app, &w.supervisor, "tender", &tender)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["downloads"], 0);

    // nothing of an unassigned project
    let r = view(&app, &social, "project", &unassigned).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_assigned");
    let r = app
        .post(
            "/api/v1/observations",
            Some(&social.token),
            json!({"subject_type": "project", "subject_id": unassigned, "kind": "note", "text": "到场"}),
        )
        .await;
    assert_eq!(r.status(), 403);

    // a declared conflict revokes the assignment: the project and its tender
    let r = app
        .post(
            "/api/v1/me/conflict-declarations",
            Some(&social.token),
            json!({"subject_type": "project", "subject_id": w.project_id, "conflict": true,
                   "detail": "近亲属在投标单位任职"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = view(&app, &social, "project", &w.project_id).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_assigned");
    assert_eq!(view(&app, &social, "tender", &tender).await.status(), 403);

    // every view it made is in the access log, newest first, refused ones included
    let r = app
        .get("/api/v1/supervision/access-log", Some(&social.token))
        .await;
    assert_eq!(r.status(), 403);
    let log: Value = app
        .get("/api/v1/supervision/access-log", Some(&w.supervisor.token))
        .await
        .json()
        .await
        .unwrap();
    let seen: Vec<(String, String, bool)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["user_id"], social.id.to_string());
            (
                e["subject_type"].as_str().unwrap().to_string(),
                e["subject_id"].as_str().unwrap().to_string(),
                e["allowed"].as_bool().unwrap(),
            )
        })
        .collect();
    let s = |t: &str, id: &str, ok: bool| (t.to_string(), id.to_string(), ok);
    assert_eq!(
        seen,
        vec![
            s("tender", &tender, false),
            s("project", &w.project_id, false),
            s("project", &unassigned, false),
            s("tender", &tender, true),
            s("project", &w.project_id, true),
        ]
    );
    let log: Value = app
        .get(
            "/api/v1/supervision/access-log?limit=2",
            Some(&w.supervisor.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["items"].as_array().unwrap().len(), 2);

    // a random assignment draws among those in term who are free for the subject: the first
    // supervisor declared a conflict on the project, so only the second can be drawn
    let second = app.user(Role::SocialSupervisor).await;
    let appointment2 = appoint(&app, &w, &second, "湛监聘字 2026-002").await;
    let r = app
        .post(
            "/api/v1/social-supervisors/random/assignments",
            Some(&w.regulator.token),
            json!({"random": true, "subject_type": "project", "subject_id": w.project_id}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_eq!(
        r.json::<Value>().await.unwrap()["social_supervisor_id"],
        appointment2.as_str()
    );
    assert_eq!(view(&app, &second, "tender", &tender).await.status(), 200);
    let r = app
        .post(
            "/api/v1/social-supervisors/random/assignments",
            Some(&w.regulator.token),
            json!({"random": true, "subject_type": "project", "subject_id": w.project_id}),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "no_supervisor_available"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_concern_gets_its_answer_due_and_an_answer() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let social = app.user(Role::SocialSupervisor).await;
    let appointment = appoint(&app, &w, &social, "湛监聘字 2026-101").await;
    assign(&app, &w, &appointment, "project", &w.project_id).await;

    let now = platform_now(&app).await;
    let r = app
        .post(
            "/api/v1/observations",
            Some(&social.token),
            json!({"subject_type": "project", "subject_id": w.project_id, "kind": "concern",
                   "text": "开标室监控画面中断十分钟"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    let concern = v["id"].as_str().unwrap().to_string();
    // 24:00 China time (16:00 UTC) of the 3rd working day after today
    let due = v["answer_due"].as_str().unwrap();
    assert!(due.ends_with("T16:00:00.000000Z"), "{due}");
    let due_at: chrono::DateTime<chrono::Utc> = due.parse().unwrap();
    assert!(due_at > now + Duration::days(3) && due_at < now + Duration::days(12));
    let r = app
        .post(
            "/api/v1/observations",
            Some(&social.token),
            json!({"subject_type": "project", "subject_id": w.project_id, "kind": "check_in",
                   "text": "到达开标现场"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert!(r.json::<Value>().await.unwrap()["answer_due"].is_null());
    // a supervisor observes any subject
    let r = app
        .post(
            "/api/v1/observations",
            Some(&w.supervisor.token),
            json!({"subject_type": "project", "subject_id": w.project_id, "kind": "note",
                   "text": "已调阅录像"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .post(
            "/api/v1/observations",
            Some(&social.token),
            json!({"subject_type": "project", "subject_id": w.project_id, "kind": "gossip",
                   "text": "x"}),
        )
        .await;
    assert_eq!(r.status(), 422);

    // a social supervisor sees its own, a supervisor all
    let mine: Value = app
        .get("/api/v1/observations?status=open", Some(&social.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    let all: Value = app
        .get("/api/v1/observations", Some(&w.supervisor.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 3);

    // unanswered, the concern turns into a yellow card the day before it is due, then red
    let cards = |level: &'static str| {
        let app = &app;
        let token = w.supervisor.token.clone();
        let concern = concern.clone();
        async move {
            let v: Value = app
                .get(
                    &format!("/api/v1/supervision/warnings?status=open&level={level}"),
                    Some(&token),
                )
                .await
                .json()
                .await
                .unwrap();
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["subject_id"] == concern.as_str())
                .count()
        }
    };
    assert_eq!(cards("yellow").await, 0);
    let to_yellow = (due_at - Duration::hours(12) - platform_now(&app).await).num_seconds();
    crate::tendering::advance(&app, to_yellow, None).await;
    assert_eq!(cards("yellow").await, 1);
    assert_eq!(cards("red").await, 0);
    crate::tendering::advance(&app, 13 * 3600, None).await;
    assert_eq!(cards("red").await, 1);
    // the social supervisor sees the cards of its assigned subjects, and no other supervisor's
    let mine = |token: String| {
        let app = &app;
        let concern = concern.clone();
        async move {
            let v: Value = app
                .get("/api/v1/supervision/warnings?status=open", Some(&token))
                .await
                .json()
                .await
                .unwrap();
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["subject_id"] == concern.as_str())
                .count()
        }
    };
    assert_eq!(mine(social.token.clone()).await, 2);
    let unassigned = app.user(Role::SocialSupervisor).await;
    appoint(&app, &w, &unassigned, "湛监聘字 2026-102").await;
    assert_eq!(mine(unassigned.token.clone()).await, 0);
    let late_answer = app
        .post(
            &format!("/api/v1/observations/{concern}/answer"),
            Some(&w.supervisor.token),
            json!({"text": "已责令交易中心恢复监控"}),
        )
        .await;
    assert_eq!(late_answer.status(), 200);
    assert_eq!(late_answer.json::<Value>().await.unwrap()["late"], true);
    // the answer closes the cards at the next scan
    crate::tendering::advance(&app, 120, None).await;
    assert_eq!(cards("red").await + cards("yellow").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_concern_is_answered_once_and_only_by_a_supervisor() {
    let app = TestApp::spawn().await;
    let w = world(&app, "construction").await;
    let social = app.user(Role::SocialSupervisor).await;
    let appointment = appoint(&app, &w, &social, "湛监聘字 2026-102").await;
    assign(&app, &w, &appointment, "project", &w.project_id).await;
    let r = app
        .post(
            "/api/v1/observations",
            Some(&social.token),
            json!({"subject_type": "project", "subject_id": w.project_id, "kind": "concern",
                   "text": "开标室监控画面中断十分钟"}),
        )
        .await;
    let v: Value = r.json().await.unwrap();
    let concern = v["id"].as_str().unwrap().to_string();
    let due = v["answer_due"].as_str().unwrap().to_string();
    // the answer, once
    let path = format!("/api/v1/observations/{concern}/answer");
    let r = app
        .post(
            &path,
            Some(&social.token),
            json!({"text": "已责令交易中心恢复监控"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post(
            &path,
            Some(&w.supervisor.token),
            json!({"text": "已责令交易中心恢复监控"}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(r.json::<Value>().await.unwrap()["late"], false);
    let r = app
        .post(&path, Some(&w.supervisor.token), json!({"text": "again"}))
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "already_answered");
    let answered: Value = app
        .get("/api/v1/observations?status=answered", Some(&social.token))
        .await
        .json()
        .await
        .unwrap();
    let items = answered["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], concern.as_str());
    assert_eq!(items[0]["answer"], "已责令交易中心恢复监控");
    assert_eq!(items[0]["status"], "answered");
    assert_eq!(items[0]["answer_due"], due);
    // the columns the electronic supervision warnings read
    let c = pg(&app.db.url).await;
    let row = c
        .query_one(
            "SELECT answer_due IS NOT NULL, answered_at IS NOT NULL FROM observations WHERE id = $1::text::uuid",
            &[&concern],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0) && row.get::<_, bool>(1));
    app.stop().await;
}
