//! Build script: lets Tauri embed the config, icons and capabilities.
fn main() {
    tauri_build::build()
}
