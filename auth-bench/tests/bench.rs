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
