//! Files the host keeps in its data dir.

use anyhow::{Context as _, Result};
use std::path::Path;

/// Writes `bytes` to `path` so that readers see the old file or the whole
/// new one, never a part, even across a power loss: into a temp file of a
/// name no other writer uses (`{name}.tmp-{pid}-{random}`), synced, renamed
/// over `path`, and the directory synced so the rename itself is durable.
/// Creates the directory if missing. Concurrent writers of one path each
/// land whole; the last rename wins.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().expect("a file in a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut name = path.file_name().expect("a file name").to_owned();
    name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        hex::encode(rand::random::<[u8; 6]>())
    ));
    let tmp = dir.join(name);
    let written = write_synced(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
        .and_then(|()| std::fs::File::open(dir)?.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    std::io::Write::write_all(&mut file, bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_writers_each_land_whole_and_leave_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("versions.json");
        let writers: Vec<_> = (0..8u8)
            .map(|n| {
                let path = path.clone();
                std::thread::spawn(move || write_atomically(&path, &vec![n; 64 * 1024]).unwrap())
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 64 * 1024);
        assert!(
            bytes.iter().all(|b| *b == bytes[0]),
            "one writer's bytes, whole"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["versions.json"], "no temp file left");
    }
}
