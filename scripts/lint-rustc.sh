#!/usr/bin/env bash
# Compiles a workspace crate with Clippy's lints on and every warning an error. check.sh sets
# this as RUSTC_WORKSPACE_WRAPPER for its one build, so the lints ride along with the real
# compile: `cargo clippy` would first type-check every dependency a second time (about 20 min
# cold), and dependencies never go through this wrapper, so they are built once and shared.
# Cargo calls it as `lint-rustc.sh <rustc> <args…>`, as it calls clippy-driver.
exec clippy-driver "$@" -D warnings
