#!/usr/bin/env bash
# Every check, locally and in CI: formatting, lints, and all tests (unit, integration, the
# app window under Xvfb, the microphone through PulseAudio). Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
. scripts/services.sh

# One target dir outside the clone, reused between runs, so a second run is warm.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/augur/target}"
export CARGO_TERM_COLOR=never
. scripts/python-env.sh

step() { echo; echo "== $* ($(date +%T))"; }
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "build (the app and the CLI are used by the end-to-end tests)"
cargo build --workspace --all-targets --locked
step "tests"
cargo test --workspace --locked -- --test-threads=2
echo; echo "== all checks passed ($(date +%T))"
