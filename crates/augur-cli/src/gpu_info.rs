//! `augur gpu-info`: list adapters, open the shared device, and prove burn computes on it.

use anyhow::{Context, Result, ensure};
use augur_gpu::{AdapterChoice, BurnCheck, GpuContext, list_adapters};
use serde_json::json;

/// Options for `augur gpu-info`.
#[derive(clap::Args)]
pub struct Args {
    /// Open the first adapter whose name contains this text (e.g. `llvmpipe`, `RTX`).
    #[arg(long)]
    adapter: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<()> {
    let adapters = list_adapters();
    let choice = args.adapter.clone().map_or(AdapterChoice::PreferHardware, AdapterChoice::Named);
    let ctx = GpuContext::new(choice).context("opening the shared GPU device")?;
    let check = ctx.burn_smoke_test().context("running a burn op on the shared device")?;
    if args.json {
        println!("{:#}", json!({ "adapters": adapters, "opened": ctx.info, "burn_check": check }));
    } else {
        println!("GPU adapters:");
        for a in &adapters {
            println!("  {a}");
        }
        println!("Shared device: {}", ctx.info);
        if ctx.info.software {
            println!("  (a software adapter: correct but slow; models run on the CPU backend unless asked)");
        }
        print_check(&check);
    }
    ensure!(
        check.passed(),
        "burn on the GPU disagrees with the CPU by {} (tolerance {}); the GPU driver may be faulty",
        check.max_abs_diff,
        BurnCheck::TOLERANCE
    );
    Ok(())
}

fn print_check(c: &BurnCheck) {
    println!("burn check: {} on {}", c.op, c.device);
    println!(
        "  max |gpu - cpu| = {:.2e} ({}); gpu first run {:.1} ms (compiles kernels), warm {:.2} ms; cpu {:.2} ms",
        c.max_abs_diff,
        if c.passed() { "agrees" } else { "DISAGREES" },
        c.gpu_first_ms,
        c.gpu_warm_ms,
        c.cpu_ms
    );
}
