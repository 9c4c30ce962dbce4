//! Security (issue 13): every table, column, sequence and function each database role may read,
//! write or run, compared with the allowlist in `docs/GRANTS.md`. A grant that appears without
//! its line in the allowlist (or a line whose grant is gone) fails this test; the reviewer's
//! `ggzy_public` join on `bid_submissions` would have shown up here as an unlisted grant.
//! `GGZY_WRITE_GRANTS=1` rewrites the file from the database, for a reviewed change.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::helpers::{TestApp, pg};

/// The roles the allowlist covers: the planes, the sequencer, and PUBLIC (what every role has).
const ROLES: [&str; 7] = [
    "ggzy_identity",
    "ggzy_decide",
    "ggzy_execute",
    "ggzy_supervise",
    "ggzy_public",
    "ggzy_sequencer",
    "PUBLIC",
];

/// One line per grant: `SELECT table`, `UPDATE table (col, col)`, `USAGE sequence`,
/// `EXECUTE function(args)`.
async fn actual(c: &tokio_postgres::Client, role: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let grantee = if role == "PUBLIC" { "PUBLIC" } else { role };
    // table-level privileges granted to the role itself (not through PUBLIC)
    let tables: BTreeSet<(String, String)> = c
        .query(
            "SELECT privilege_type, table_name FROM information_schema.table_privileges \
             WHERE grantee = $1 AND table_schema = 'public'",
            &[&grantee],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for (p, t) in &tables {
        out.insert(format!("{p} {t}"));
    }
    // column-level privileges where the whole table is not granted
    let cols = c
        .query(
            "SELECT privilege_type, table_name, string_agg(column_name, ', ' ORDER BY column_name) \
             FROM information_schema.column_privileges \
             WHERE grantee = $1 AND table_schema = 'public' GROUP BY 1, 2",
            &[&grantee],
        )
        .await
        .unwrap();
    for r in cols {
        let (p, t, list): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        if !tables.contains(&(p.clone(), t.clone())) {
            out.insert(format!("{p} {t} ({list})"));
        }
    }
    // sequences
    let seqs = c
        .query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault('S', c.relowner))) a \
             WHERE n.nspname = 'public' AND c.relkind = 'S' AND a.privilege_type = 'USAGE' \
               AND a.grantee = CASE WHEN $1 = 'PUBLIC' THEN 0 ELSE (SELECT oid FROM pg_roles WHERE rolname = $1) END",
            &[&role],
        )
        .await
        .unwrap();
    for r in seqs {
        out.insert(format!("USAGE {}", r.get::<_, String>(0)));
    }
    // functions of the schema the role may run (granted to it, or to PUBLIC for the PUBLIC list)
    let funcs = c
        .query(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a \
             WHERE n.nspname = 'public' AND a.privilege_type = 'EXECUTE' \
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') \
               AND a.grantee = CASE WHEN $1 = 'PUBLIC' THEN 0 ELSE (SELECT oid FROM pg_roles WHERE rolname = $1) END",
            &[&role],
        )
        .await
        .unwrap();
    for r in funcs {
        out.insert(format!("EXECUTE {}", r.get::<_, String>(0)));
    }
    out
}

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/GRANTS.md")
}

const HEADER: &str = "# Database grants: the allowlist\n\n\
Every privilege each database role holds in the `public` schema: tables (whole, or the columns \
listed), sequences and functions. `tests/api/security_grants.rs` compares this file with the \
database after all migrations and fails on any difference, so a new grant is a reviewed change \
of this file (`GGZY_WRITE_GRANTS=1 scripts/test security_grants` rewrites it from the database). \
`PUBLIC` is what every role holds. Row-level security (`jobs`, `mails`) further limits rows; see \
docs/ARCHITECTURE.md and docs/SECURITY.md for why each plane holds what it holds.\n";

fn render(all: &[(String, BTreeSet<String>)]) -> String {
    let mut s = String::from(HEADER);
    for (role, lines) in all {
        s.push_str(&format!("\n## {role}\n\n"));
        for l in lines {
            s.push_str(&format!("- `{l}`\n"));
        }
    }
    s
}

fn parse(text: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut out: Vec<(String, BTreeSet<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(role) = line.strip_prefix("## ") {
            out.push((role.trim().to_string(), BTreeSet::new()));
        } else if let Some(item) = line.strip_prefix("- `").and_then(|l| l.strip_suffix('`'))
            && let Some(last) = out.last_mut()
        {
            last.1.insert(item.to_string());
        }
    }
    out
}

#[tokio::test]
async fn every_roles_grants_match_the_allowlist() {
    let app = TestApp::spawn().await;
    let c = pg(&app.db.url).await;
    let mut all = Vec::new();
    for role in ROLES {
        all.push((role.to_string(), actual(&c, role).await));
    }
    // the sealed secrets stay where they belong, whatever the file says
    let public = &all.iter().find(|r| r.0 == "ggzy_public").unwrap().1;
    assert!(
        !public.iter().any(|l| l.contains(" bid_submissions")),
        "{public:?}"
    );
    for (role, lines) in &all {
        if role != "ggzy_execute" {
            let reads_envelopes = lines.iter().any(|l| {
                l == "SELECT bid_submissions"
                    || l.strip_prefix("SELECT bid_submissions (")
                        .is_some_and(|cols| {
                            cols.trim_end_matches(')')
                                .split(", ")
                                .any(|c| c == "envelope" || c == "bundles")
                        })
            });
            assert!(!reads_envelopes, "{role} reads the envelopes");
        }
        assert!(
            !lines
                .iter()
                .any(|l| l.starts_with("SELECT auction_reserve_prices"))
                || role == "ggzy_decide",
            "{role} reads the reserve prices"
        );
    }
    if std::env::var("GGZY_WRITE_GRANTS").as_deref() == Ok("1") {
        std::fs::write(doc_path(), render(&all)).unwrap();
        return;
    }
    let text = std::fs::read_to_string(doc_path()).expect("docs/GRANTS.md");
    let listed = parse(&text);
    let mut problems = Vec::new();
    for (role, lines) in &all {
        let want = listed
            .iter()
            .find(|l| &l.0 == role)
            .map(|l| l.1.clone())
            .unwrap_or_default();
        for extra in lines.difference(&want) {
            problems.push(format!(
                "{role} holds `{extra}`, which docs/GRANTS.md does not list"
            ));
        }
        for gone in want.difference(lines) {
            problems.push(format!(
                "docs/GRANTS.md lists `{gone}` for {role}, which it does not hold"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} difference(s) between the database and docs/GRANTS.md (after review, rewrite it with \
         GGZY_WRITE_GRANTS=1):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
