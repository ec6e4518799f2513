//! Output folders of the long commands (`eval`, the benchmarks): checked before the work, whose
//! figures would otherwise be lost to an output path that cannot be written at the end.

use std::path::Path;

use anyhow::{Context as _, Result};

/// Makes `dir` and checks a file can be written in it.
pub fn ready(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot make the output folder {}", dir.display()))?;
    let probe = dir.join(".augur-write-check");
    std::fs::write(&probe, b"").with_context(|| format!("cannot write in the output folder {}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Runs `work` with `dir` made and checked first; a folder made here and left empty by work
/// that failed is removed again, so a refused run leaves nothing behind.
pub fn around(dir: &Path, work: impl FnOnce() -> Result<()>) -> Result<()> {
    let made = !dir.exists();
    ready(dir)?;
    let done = work();
    if done.is_err() && made {
        // Only an empty folder goes: whatever was written stays.
        let _ = std::fs::remove_dir(dir);
    }
    done
}

/// Writes `contents` to `path`, naming it when that fails.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}
