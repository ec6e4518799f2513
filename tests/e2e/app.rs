//! The desktop app in a real window: under Xvfb in CI, on the developer's display otherwise.

use std::process::Command;
use std::time::Duration;

use augur_tests::{binary, run_with_deadline, text};

fn have_display() -> bool {
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

#[test]
fn app_window_shows_live_frames_and_predictions() {
    if !have_display() {
        augur_tests::skipping("no display; run `. scripts/services.sh` first");
        return;
    }
    let mut cmd = Command::new(binary("augur-app"));
    cmd.args(["--source", "scene:bounce?size=320x240&fps=30", "--mic", "none", "--seconds", "90", "--device", "cpu"]);
    cmd.args(["--model", concat!(env!("CARGO_MANIFEST_DIR"), "/../models/bounce-64")]);
    cmd.env("AUGUR_SMOKE", "1");
    let out = run_with_deadline(cmd, Duration::from_secs(120));
    let (stdout, stderr) = text(&out);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("AUGUR_SMOKE_OK"))
        .unwrap_or_else(|| panic!("the window never reported drawn frames\nstdout: {stdout}\nstderr: {stderr}"));
    let colours: u32 = line.split("distinct_colours=").nth(1).unwrap().trim().parse().unwrap();
    assert!(colours >= 4, "the canvas should show the scene, not a blank frame: {line}");
    let predictions: u32 =
        line.split("predictions_drawn=").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(predictions >= 3, "the window should draw the model's predictions: {line}");
    assert!(out.status.success(), "{stderr}");
}

#[test]
fn app_rejects_bad_arguments_without_a_window() {
    let out = run_with_deadline(
        {
            let mut c = Command::new(binary("augur-app"));
            c.args(["--source", "nonsense"]);
            c
        },
        Duration::from_secs(30),
    );
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("Accepted forms"), "{stderr}");
}

/// On a bare X server (no `XDG_RUNTIME_DIR`), listing the GPU adapters used to make libwayland
/// print "error:" lines through Mesa's device-select layer; the app turns the layer off there.
#[test]
fn app_lists_adapters_quietly_without_a_runtime_dir() {
    if !have_display() {
        augur_tests::skipping("no display; run `. scripts/services.sh` first");
        return;
    }
    let mut cmd = Command::new(binary("augur-app"));
    cmd.args(["--source", "scene:bounce?size=320x240&fps=30", "--mic", "none", "--seconds", "6"]);
    cmd.args(["--model", concat!(env!("CARGO_MANIFEST_DIR"), "/../models/bounce-64")]);
    cmd.env_remove("XDG_RUNTIME_DIR").env_remove("NODEVICE_SELECT");
    let out = run_with_deadline(cmd, Duration::from_secs(90));
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("available:") || stdout.contains("GPU"),
        "the app should say which device it picked: {stdout}"
    );
    assert!(!stderr.contains("XDG_RUNTIME_DIR is invalid"), "libwayland's lines are back:\n{stderr}");
}
