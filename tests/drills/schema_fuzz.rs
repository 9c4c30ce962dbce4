//! Drill 4, bad input: schemathesis (pinned, installed in `target/drill-venv` by
//! scripts/drill-schemathesis) generates requests from
//! `/api/v1/openapi.json` against a real server process, once anonymously and once with a token
//! of each role. No response may be a 5xx and none may break the documented schema.

use std::time::Instant;

use ggzy::roles::Role;

use crate::node::{Node, hand_over, size};

/// The schemathesis CLI (`GGZY_SCHEMATHESIS`, else the drill venv).
fn cli() -> String {
    std::env::var("GGZY_SCHEMATHESIS")
        .unwrap_or_else(|_| format!("{}/target/drill-venv/bin/st", env!("CARGO_MANIFEST_DIR")))
}

/// Runs schemathesis with one token; returns (generated cases, its summary, success).
fn run(base: &str, token: Option<&str>, examples: usize) -> (usize, String, bool) {
    let mut cmd = std::process::Command::new(cli());
    // schemathesis keeps a cache in its working folder: keep it under target/
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/target"))
        .arg("--no-color")
        .arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--url", base])
        .args(["--checks", "not_a_server_error,response_schema_conformance"])
        .args(["--max-examples", &examples.to_string()])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--seed", "7"])
        .env("SCHEMATHESIS_HOOKS", "");
    if let Some(t) = token {
        cmd.args(["--header", &format!("Authorization: Bearer {t}")]);
    }
    let out = cmd.output().expect("running schemathesis");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    // the summary's "Test cases:" line: "N generated, M passed" (schemathesis 4)
    let generated = text
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            match (w.next(), w.next()) {
                (Some(n), Some(g)) if g.starts_with("generated") => n.parse::<usize>().ok(),
                _ => None,
            }
        })
        .next_back()
        .unwrap_or(0);
    let summary = text
        .lines()
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    (generated, summary, out.status.success())
}

// Minutes even in a small form (schemathesis' coverage phase alone makes thousands of cases per
// identity), and it needs Python from PyPI: run by scripts/drill-schemathesis, not scripts/test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "full drill only: scripts/drill-schemathesis"]
async fn schemathesis() {
    let examples = size("GGZY_DRILL_EXAMPLES", 3);
    assert!(
        std::path::Path::new(&cli()).exists(),
        "schemathesis is not installed at {}: run scripts/drill-schemathesis (or scripts/test, whose hook installs it)",
        cli()
    );
    let started = Instant::now();
    let mut app = crate::helpers::TestApp::spawn().await;
    let mut tokens = vec![
        ("anonymous".to_string(), None),
        ("admin".into(), Some(app.admin_token.clone())),
    ];
    for role in Role::ALL {
        if role != Role::Admin {
            tokens.push((role.as_str().to_string(), Some(app.user(role).await.token)));
        }
    }
    let node = Node::start(&app).await;
    hand_over(&mut app, &node.base).await;
    let mut total = 0;
    let mut failed = Vec::new();
    for (who, token) in &tokens {
        let (base, token, who) = (node.base.clone(), token.clone(), who.clone());
        let (n, summary, ok) =
            tokio::task::spawn_blocking(move || run(&base, token.as_deref(), examples))
                .await
                .unwrap();
        println!("schemathesis as {who}: {n} cases\n{summary}");
        total += n;
        if !ok {
            failed.push(who.clone());
        }
    }
    assert!(
        failed.is_empty(),
        "schemathesis found failures as {failed:?}"
    );
    assert!(total > 0, "schemathesis generated no cases");
    println!(
        "DRILL schemathesis: {} identities (anonymous and each role), {total} generated cases, 0 responses >= 500, 0 schema violations, {:.0} s",
        tokens.len(),
        started.elapsed().as_secs_f64()
    );
}
