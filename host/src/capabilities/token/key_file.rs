//! The generated signing key: `<data_dir>/jwt.key`, 32 random bytes in hex,
//! readable by the owner only, written once and reused on later starts.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

pub const KEY_FILE: &str = "jwt.key";
const KEY_BYTES: usize = 32;

/// The key in `dir`, created first if there is none. Safe when several
/// processes start at once: the file appears whole or not at all, and the
/// first one written wins.
pub fn load_or_create(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = dir.join(KEY_FILE);
    if !path.exists() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        create(&path)?;
    }
    read(&path)
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    refuse_if_readable_by_others(path)?;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let key = hex::decode(text.trim())
        .with_context(|| format!("{} is not a hex-encoded key", path.display()))?;
    if key.len() < KEY_BYTES {
        bail!(
            "{} holds a {}-byte key; at least {KEY_BYTES} are needed",
            path.display(),
            key.len()
        );
    }
    Ok(key)
}

/// Writes a new key beside `path` and links it into place, which fails if
/// another process got there first (then its key is used).
fn create(path: &Path) -> anyhow::Result<()> {
    let key: [u8; KEY_BYTES] = rand::random();
    let temp = temp_path(path);
    let written = write_private(&temp, hex::encode(key).as_bytes());
    let linked = written.and_then(|()| match std::fs::hard_link(&temp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    });
    let _ = std::fs::remove_file(&temp);
    linked.with_context(|| format!("writing {}", path.display()))
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".tmp-{}", hex::encode(rand::random::<[u8; 6]>())));
    PathBuf::from(name)
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// A key others can read is a key others may have: refuse to use it.
fn refuse_if_readable_by_others(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            bail!(
                "the JWT key file {} is readable by other users: chmod 600 it (or replace it, if others may have read it)",
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
