//! The real `auth-server` binary: a CLI command on a database, and a `serve` process on a
//! random port whose output the test can read.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

/// The `auth-server` binary Cargo built beside the running test binary (`target/<profile>/`),
/// or the one `AUTH_SERVER_BIN` names. Cargo builds it with `auth-server`'s own tests, so a
/// workspace run (`scripts/test`, `cargo test --workspace`) always has it fresh. A library
/// cannot use `env!("CARGO_BIN_EXE_auth-server")`: Cargo sets it only for the tests of the
/// package that owns the binary.
pub fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("AUTH_SERVER_BIN") {
        return PathBuf::from(path);
    }
    let test_binary = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test> -> target/<profile>/auth-server
    let path = test_binary
        .parent()
        .and_then(Path::parent)
        .expect("the test binary is in target/<profile>/deps")
        .join(format!("auth-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} does not exist: build it with `cargo build -p auth-server` or run the workspace's \
         tests (`cargo test --workspace`), or set AUTH_SERVER_BIN",
        path.display()
    );
    path
}

/// The `auth-server` binary with a database and KEK set through the environment.
pub fn cli_command(database_url: &str, kek: &str) -> std::process::Command {
    let mut command = std::process::Command::new(server_binary());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AUTH_DATABASE_URL", database_url)
        .env("AUTH_KEYS__ENCRYPTION_KEY", kek)
        .stdin(Stdio::null());
    command
}

/// An `auth-server serve` process on a random port, logging JSON to a buffer.
pub struct ServerProcess {
    child: std::process::Child,
    pub base_url: String,
    output: Arc<std::sync::Mutex<String>>,
}

impl ServerProcess {
    /// Starts `command` (from [`cli_command`]) with `serve`, waits until it listens.
    pub fn start(mut command: std::process::Command) -> Self {
        use std::io::BufRead;
        command
            .arg("serve")
            .env("AUTH_BIND", "127.0.0.1:0")
            .env("AUTH_LOG__FORMAT", "json")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn auth-server");
        let output = Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = output.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stream)
                    .lines()
                    .map_while(Result::ok)
                {
                    if line.contains("auth-server is listening") {
                        let _ = tx.send(line.clone());
                    }
                    output.lock().unwrap().push_str(&line);
                    output.lock().unwrap().push('\n');
                }
            });
        }
        let line = match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("auth-server did not start:\n{}", output.lock().unwrap());
            }
        };
        let event: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
        let address = event["address"]
            .as_str()
            .expect("address in the log")
            .to_owned();
        Self {
            child,
            base_url: format!("http://{address}"),
            output,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
