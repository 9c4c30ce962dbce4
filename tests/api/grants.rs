//! The second enforcement of the separation of powers: PostgreSQL roles and grants
//! (DESIGN.md §2). Real statements as each plane's role, and the privilege matrix of every table
//! against its declared owner.

use crate::helpers::{TestDb, pg};

const PLANES: [&str; 5] = ["identity", "decide", "execute", "supervise", "public"];

async fn must_fail(url: &str, sql: &str) {
    let c = pg(url).await;
    let err = c
        .batch_execute(sql)
        .await
        .expect_err(&format!("{sql} should be refused"));
    let msg = err
        .as_db_error()
        .map(|e| e.message().to_string())
        .unwrap_or_default();
    assert!(msg.contains("permission denied"), "{sql}: {msg}");
}

#[tokio::test]
async fn planes_cannot_write_what_they_do_not_own() {
    let db = TestDb::new().await;
    let owner = pg(&db.url).await;
    owner
        .batch_execute(
            "SELECT ggzy_claim_mode(true, '440400');
             INSERT INTO orgs (id, name, code) VALUES ('00000000-0000-0000-0000-000000000001', 'o', '91350100M000100Y43');
             INSERT INTO users (id, username, password_hash, role, display_name, email, org_id, must_change_password)
               VALUES ('00000000-0000-0000-0000-000000000002', 'agent', 'x', 'agency', 'a', 'a@b.cn', '00000000-0000-0000-0000-000000000001', false);
             INSERT INTO projects (id, code, category, title, estimate_amount, owner_org_id, created_by)
               VALUES ('00000000-0000-0000-0000-000000000003', 'P1', 'land', 't', 1, '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002');
             INSERT INTO audit_entries (plane, action) VALUES ('core', 'seed');",
        )
        .await
        .unwrap();
    let execute = db.url_as("ggzy_execute");
    // the audit table is insert-only, even for the plane that wrote it
    pg(&execute)
        .await
        .batch_execute("INSERT INTO audit_entries (plane, action) VALUES ('x', 'ok')")
        .await
        .unwrap();
    must_fail(&execute, "UPDATE audit_entries SET action = 'forged'").await;
    must_fail(&execute, "DELETE FROM audit_entries").await;
    must_fail(&execute, "UPDATE outbox SET topic = 'forged'").await;
    // execute cannot write supervise's holds nor decide's approvals
    must_fail(&execute, "INSERT INTO holds (id, subject_type, subject_id, kind, reason, ordered_by, ordered_role)
        VALUES (gen_random_uuid(), 'project', '00000000-0000-0000-0000-000000000003', 'resume', 'x', gen_random_uuid(), 'supervisor')").await;
    must_fail(&execute, "INSERT INTO project_approvals (id, project_id, decision, reason, must_tender, decided_by)
        VALUES (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', 'approve', 'x', true, '00000000-0000-0000-0000-000000000002')").await;
    // execute reads user names but never password hashes
    must_fail(&execute, "SELECT password_hash FROM users").await;
    // supervise and decide cannot write execute tables
    for plane in ["supervise", "decide"] {
        let url = db.url_as(&format!("ggzy_{plane}"));
        must_fail(&url, "UPDATE projects SET title = 'x'").await;
        must_fail(&url, "INSERT INTO projects (id, code, category, title, estimate_amount, owner_org_id, created_by)
            VALUES (gen_random_uuid(), 'P2', 'land', 't', 1, '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002')").await;
        must_fail(&url, "DELETE FROM audit_entries").await;
    }
    // nobody but the admin's plane touches accounts; the public plane writes nothing
    must_fail(
        &db.url_as("ggzy_execute"),
        "UPDATE users SET role = 'admin'",
    )
    .await;
    must_fail(
        &db.url_as("ggzy_public"),
        "INSERT INTO audit_entries (plane, action) VALUES ('x', 'y')",
    )
    .await;
    // the sandbox clock cannot be moved by the execute plane
    must_fail(&execute, "SELECT ggzy_advance_clock(1000000, null)").await;
    // a plane cannot write in another plane's name: the database stamps the plane
    let c = pg(&db.url).await;
    let plane: String = c
        .query_one("SELECT plane FROM audit_entries WHERE action = 'ok'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(plane, "execute");
}

/// Expected privileges of a plane role on a table owned by `owner` (the table's comment).
fn expected(owner: &str, role: &str, privilege: &str) -> Option<bool> {
    let plane = role.trim_start_matches("ggzy_");
    let writer = ["identity", "decide", "execute", "supervise"].contains(&plane);
    match (owner, privilege) {
        ("shared", "INSERT") => Some(writer),
        ("shared", _) => Some(false),
        ("core", _) => Some(false),
        // per-plane work queues (row-level security keeps each plane to its own rows)
        ("jobs" | "mail", "DELETE") => Some(false),
        ("jobs" | "mail", _) => Some(writer),
        ("sequencer", "INSERT") => (role != "ggzy_sequencer").then_some(false),
        ("sequencer", "DELETE") => Some(false),
        ("sequencer", "UPDATE") => None, // its watermark row only
        (own, "INSERT") => Some(own == plane),
        (own, _) if own != plane => Some(false),
        _ => None, // the owner may or may not update/delete its own rows
    }
}

#[tokio::test]
async fn every_table_has_an_owner_and_grants_match_it() {
    let db = TestDb::new().await;
    let c = pg(&db.url).await;
    let rows = c
        .query(
            "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '__diesel_schema_migrations'",
            &[],
        )
        .await
        .unwrap();
    assert!(rows.len() >= 10);
    let mut roles: Vec<String> = PLANES.iter().map(|p| format!("ggzy_{p}")).collect();
    roles.push("ggzy_sequencer".into());
    for row in rows {
        let table: String = row.get(0);
        let comment: Option<String> = row.get(1);
        let owner = comment
            .as_deref()
            .and_then(|c| c.strip_prefix("plane:"))
            .unwrap_or_else(|| panic!("table {table} declares no owning plane (COMMENT 'plane:…')"))
            .to_string();
        for role in &roles {
            for privilege in ["INSERT", "UPDATE", "DELETE"] {
                let has: bool = c
                    .query_one(
                        "SELECT has_table_privilege($1, $2, $3)",
                        &[role, &table, &privilege],
                    )
                    .await
                    .unwrap()
                    .get(0);
                if let Some(want) = expected(&owner, role, privilege) {
                    assert_eq!(
                        has, want,
                        "{role} {privilege} on {table} (owned by {owner})"
                    );
                }
            }
        }
    }
}
