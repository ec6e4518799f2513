//! `augur devices`: what this machine can capture from and compute on.

use anyhow::Result;
use serde_json::json;

/// Options for `augur devices`.
#[derive(clap::Args)]
pub struct Args {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> Result<()> {
    let cameras = augur_capture::list_cameras();
    let mics = augur_capture::list_microphones();
    let adapters = augur_gpu::list_adapters();
    if args.json {
        let mics_json = match &mics {
            Ok(m) => json!(m),
            Err(e) => json!({ "error": e.to_string() }),
        };
        println!("{:#}", json!({ "cameras": cameras, "microphones": mics_json, "gpu_adapters": adapters }));
        return Ok(());
    }
    println!("Cameras:");
    if cameras.is_empty() {
        println!("  none found (use scene:bounce, a file: or a lavfi: source instead)");
    }
    for c in &cameras {
        println!("  camera:{:<3} {}  ({})", c.index, c.name, c.path);
    }
    println!("Microphones:");
    match &mics {
        Ok(m) if m.is_empty() => println!("  none found (no sound card or sound server)"),
        Ok(m) => {
            for d in m {
                let star = if d.is_default { " (default)" } else { "" };
                println!("  mic:{:<7} {}{star}  [{}]", d.id, d.name, d.default_config);
            }
        }
        Err(e) => println!("  cannot list: {e}"),
    }
    println!("GPU adapters:");
    if adapters.is_empty() {
        println!("  none found (install mesa-vulkan-drivers for a software adapter; models fall back to the CPU)");
    }
    for a in &adapters {
        println!("  {a}");
    }
    Ok(())
}
