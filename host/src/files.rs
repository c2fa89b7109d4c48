//! Files the host keeps in its data dir.

use anyhow::{Context as _, Result};
use std::path::Path;

/// Writes `bytes` to `path` so that readers see the old file or the whole
/// new one, never a part: into `path` with the extension `tmp`, then a
/// rename. Creates the directory if missing.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().expect("a file in a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .with_context(|| format!("writing {}", path.display()))
}
