//! Every `shaders/*.wgsl` must parse and validate with naga, the front end wgpu itself uses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

fn shader_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shaders")
}

#[test]
fn every_wgsl_file_parses_and_validates() {
    let dir = shader_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "wgsl"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no .wgsl files in {}", dir.display());

    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(path).unwrap();
        let module = match naga::front::wgsl::parse_str(&source) {
            Ok(module) => module,
            Err(err) => {
                failures.push(format!("{name}: {}", err.emit_to_string_with_path(&source, &name)));
                continue;
            }
        };
        // Default capabilities are what every WebGPU device has: a kernel that needs more
        // (f16, subgroups) must say so here and check the device at run time.
        let mut validator =
            naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default());
        if let Err(err) = validator.validate(&module) {
            failures.push(format!("{name}: {}", err.emit_to_string_with_path(&source, &name)));
        }
    }
    assert!(failures.is_empty(), "invalid shaders:\n{}", failures.join("\n"));
}

#[test]
fn the_crate_embeds_the_files_on_disk() {
    for (name, embedded) in [
        ("preprocess.wgsl", augur_gpu::preprocess::SOURCE),
        ("logmel.wgsl", augur_gpu::logmel::SOURCE),
        ("heatmap.wgsl", augur_gpu::heatmap::SOURCE),
        ("project.wgsl", augur_gpu::project::SOURCE),
    ] {
        let on_disk = std::fs::read_to_string(shader_dir().join(name)).unwrap();
        assert_eq!(embedded, on_disk, "{name}");
    }
}
