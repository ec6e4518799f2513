//! End-to-end tests: the `augur` CLI and the app window, run as a user would run them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod cli;
mod dataset;
mod model;
mod torch;
mod training;
#[cfg(unix)]
mod webdriver;
