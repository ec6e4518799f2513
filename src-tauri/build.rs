//! Build script: lets Tauri embed the config, icons and capabilities, and the web front end
//! (`ui/dist`, built from `ui/` by `scripts/build-ui.sh`).
fn main() {
    // Read when the script runs, not baked in when it is compiled: a target dir shared by two
    // checkouts reuses one compiled script for both.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| ".".into());
    let index = std::path::Path::new(&manifest).join("../ui/dist/index.html");
    // The window's page is embedded when the app is compiled, so it must be built first.
    assert!(
        index.is_file(),
        "ui/dist/index.html is missing: run scripts/build-ui.sh first (it builds the TypeScript front end \
         in ui/ with Vite; scripts/check.sh and scripts/start.sh run it)"
    );
    // A rebuilt page is embedded again.
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::build()
}
