#!/usr/bin/env bash
# Every check, locally and in CI: formatting, lints, and all tests (unit, integration, the
# app window under Xvfb, the microphone through PulseAudio). Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
# What a fresh machine lacks (system packages, Node.js, Rust); quick when all is there.
scripts/install-deps.sh --tests
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
. scripts/services.sh

# One target dir outside the clone, reused between runs, so a second run is warm.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/augur/target}"
export CARGO_TERM_COLOR=never
. scripts/python-env.sh
. scripts/torch-env.sh
# tauri-driver (the WebDriver front of WebKitWebDriver) for the window test, beside the target dir.
export AUGUR_TOOLS="${AUGUR_TOOLS:-$(dirname "$CARGO_TARGET_DIR")/tools}"
if [ ! -x "$AUGUR_TOOLS/bin/tauri-driver" ]; then
  echo "Installing tauri-driver into $AUGUR_TOOLS (about a minute)"
  cargo install tauri-driver --locked --version 2.1.0 --root "$AUGUR_TOOLS" --quiet
fi

# The services above are up, so a test that would skip for want of one fails instead.
export AUGUR_REQUIRE_SERVICES=1

step() { echo; echo "== $* ($(date +%T))"; }
step "cargo fmt --check"
cargo fmt --all -- --check
step "web front end (ui/ → ui/dist: tsc, vite; the app embeds it, so before the build)"
scripts/build-ui.sh
# Clippy runs inside the build (scripts/lint-rustc.sh wraps our crates' compiles only), and the
# tests reuse that build, so every dependency is compiled exactly once. A plain `cargo build`
# in the same target dir recompiles our crates (a few minutes), not the dependencies.
export RUSTC_WORKSPACE_WRAPPER="$PWD/scripts/lint-rustc.sh"
step "build with clippy -D warnings (the app and the CLI are used by the end-to-end tests)"
# Cargo keeps a dated copy of its timing report per build; only the newest is wanted.
rm -f "$CARGO_TARGET_DIR"/cargo-timings/cargo-timing-*.html
cargo build --workspace --all-targets --locked --timings
step "tests"
cargo test --workspace --locked -- --test-threads=2
# Files the tests keep for people to look at (the WebDriver screenshot of demo mode).
if [ -d "$CARGO_TARGET_DIR/ci-artifacts" ]; then
  echo; echo "== CI artifacts"; find "$CARGO_TARGET_DIR/ci-artifacts" -type f -printf '%p (%s bytes)\n'
fi
# Where the build's time went, crate by crate (cargo's timing report), for the cold-build budget.
echo "build timings: $CARGO_TARGET_DIR/cargo-timings/cargo-timing.html"
echo; echo "== all checks passed ($(date +%T))"
