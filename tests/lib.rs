//! Shared helpers for the end-to-end tests: finding the built binaries and running them with
//! a deadline, so a hung window or device fails the test instead of the CI run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Says why a test, or part of one, is skipped, unless skipping is not allowed: `scripts/check.sh`
/// (the README's test command, and so CI) starts Xvfb and PulseAudio and sets
/// `AUGUR_REQUIRE_SERVICES`, so there a missing service fails the test instead of passing it
/// untested.
pub fn skipping(why: &str) {
    assert!(std::env::var_os("AUGUR_REQUIRE_SERVICES").is_none(), "not skipped under scripts/check.sh: {why}");
    eprintln!("skipped: {why}");
}

/// A workspace binary (`augur`, `augur-app`) from the same target dir as this test.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    // target/<profile>/deps/e2e-<hash> → target/<profile>/<name>
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --workspace` first (scripts/check.sh does)",
        path.display()
    );
    path
}

/// Runs `cmd` and kills it if it outlives `limit`.
pub fn run_with_deadline(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let t = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            break child.wait().expect("wait after kill");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output { status, stdout: out_reader.join().unwrap(), stderr: err_reader.join().unwrap() }
}

/// Runs the `augur` CLI with `args`, with a generous deadline.
pub fn augur(args: &[&str]) -> Output {
    let mut cmd = Command::new(binary("augur"));
    cmd.args(args);
    run_with_deadline(cmd, Duration::from_secs(120))
}

/// Stdout and stderr as text, for assertions and failure messages.
pub fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}
