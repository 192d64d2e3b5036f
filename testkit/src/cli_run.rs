//! Running a command line (the server's CLI, as an operator would) that must succeed.

/// Runs `command` to its end and returns what it printed; panics with its standard error
/// unless it exits successfully.
pub fn run_to_success(command: &mut std::process::Command) -> std::process::Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
