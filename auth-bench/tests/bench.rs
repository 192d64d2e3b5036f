//! The benchmark command end to end, briefly: it starts its children, runs a row and prints it.
//! Nothing here asserts a timing; the numbers are for people (docs/performance.md).

use std::process::Command;

#[test]
fn a_short_run_of_one_row_prints_it_with_its_ceiling() {
    let output = Command::new(env!("CARGO_BIN_EXE_auth-bench"))
        .args([
            "--only",
            "jwks",
            "--duration",
            "200ms",
            "--concurrency",
            "4",
        ])
        .output()
        .expect("run auth-bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "auth-bench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 4, "header, rule, ceiling, row:\n{stdout}");
    assert!(rows[2].starts_with("| trivial axum handler "), "{stdout}");
    assert!(rows[3].starts_with("| JWKS "), "{stdout}");
    assert!(rows[3].contains("% of trivial"), "{stdout}");
}

/// Installs node-oidc-provider with npm (auth-bench/node/install) and runs the code flow, whose
/// browser steps are the part of the comparison most likely to break when oidc-provider changes,
/// and introspection, on both servers. Ignored: CI needs no npm. Run it with
/// `cargo test -p auth-bench -- --ignored`.
#[test]
#[ignore = "needs Node.js 20+ and npm; installs oidc-provider"]
fn a_comparison_with_node_oidc_provider_prints_a_second_table() {
    let output = Command::new(env!("CARGO_BIN_EXE_auth-bench"))
        .args([
            "--only",
            "introspection,code-flow",
            "--duration",
            "300ms",
            "--concurrency",
            "2",
            "--compare",
            "node-oidc-provider",
        ])
        .output()
        .expect("run auth-bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "auth-bench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
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
