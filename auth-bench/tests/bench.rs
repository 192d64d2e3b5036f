//! The benchmark command end to end, briefly: it starts its children, runs a row and prints it.
//! Nothing here asserts a timing; the numbers are for people (docs/performance.md).

use std::process::Command;

/// Runs auth-bench with `args`; it must succeed. Its standard output.
fn run(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_auth-bench"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run auth-bench: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "auth-bench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn a_short_run_of_one_row_prints_it_with_its_ceiling() {
    let stdout = run(&[
        "--only",
        "jwks",
        "--duration",
        "200ms",
        "--concurrency",
        "4",
    ]);
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 4, "header, rule, ceiling, row:\n{stdout}");
    assert!(rows[2].starts_with("| trivial axum handler "), "{stdout}");
    assert!(rows[3].starts_with("| JWKS "), "{stdout}");
    assert!(rows[3].contains("% of trivial"), "{stdout}");
}

/// `--dataset` at a tiny scale on both databases: the seeding SQL runs on each, the server
/// restarts over the seeded database, and the eight rows are printed with their ratio to the
/// empty database (whatever it is: no timing is asserted).
#[test]
fn a_tiny_dataset_is_seeded_on_both_databases_and_its_rows_printed() {
    let postgres = auth_testkit::db::postgres_admin_url();
    let skip_postgres = std::env::var_os("AUTH_TEST_SKIP_POSTGRES").is_some();
    for database in [None, Some(postgres.as_str())] {
        if database.is_some() && skip_postgres {
            continue;
        }
        let mut args = vec![
            "--dataset",
            "--dataset-users",
            "300",
            "--duration",
            "200ms",
            "--concurrency",
            "4",
        ];
        if let Some(url) = database {
            args.extend(["--postgres-url", url]);
        }
        let stdout = run(&args);
        let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("| ")).collect();
        assert_eq!(rows.len(), 10, "header, rule, 4 empty, 4 large:\n{stdout}");
        let large = "300 users, 30 clients, 3,000 token rows";
        for (row, label) in rows[2..].iter().zip([
            "login: code flow (empty",
            "refresh_token rotation (empty",
            "introspection (64 live tokens) (empty",
            "is-registered by e-mail (empty",
        ]) {
            assert!(row.starts_with(&format!("| {label}")), "{stdout}");
        }
        for row in &rows[6..] {
            assert!(row.contains(large), "{stdout}");
            assert!(row.contains("p99 at empty"), "{stdout}");
        }
    }
}

/// Installs node-oidc-provider with npm (auth-bench/node/install) and runs the code flow, whose
/// browser steps are the part of the comparison most likely to break when oidc-provider changes,
/// and introspection, on both servers. Ignored: CI needs no npm. Run it with
/// `cargo test -p auth-bench -- --ignored`.
#[test]
#[ignore = "needs Node.js 20+ and npm; installs oidc-provider"]
fn a_comparison_with_node_oidc_provider_prints_a_second_table() {
    let stdout = run(&[
        "--only",
        "introspection,code-flow",
        "--duration",
        "300ms",
        "--concurrency",
        "2",
        "--compare",
        "node-oidc-provider",
    ]);
    let (_, compared) = stdout
        .split_once("Against node-oidc-provider:")
        .expect("a second table");
    let rows: Vec<&str> = compared.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 4, "header, rule, two rows:\n{stdout}");
    assert!(rows[2].starts_with("| introspection "), "{stdout}");
    assert!(
        rows[3].starts_with("| authorization-code flow "),
        "{stdout}"
    );
    assert!(
        rows[2..].iter().all(|r| !r.contains("failed")),
        "no request failed:\n{stdout}"
    );
}
