//! What a node makes sure of before it binds or writes anything: that every
//! address it will listen on is free, whatever socket options a process
//! holding it used (the front doors' SO_REUSEPORT would otherwise let a
//! second node join the first one's ports, and the kernel would split
//! connections between two platforms), and that no other node runs on its
//! data dir (a lock held for the node's life). Either failure is one line
//! naming the address or the dir and the process that holds it.

use anyhow::{Context as _, Result, bail};
use std::fs::File;
use std::io::{Read as _, Seek as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;

/// The lock file in a data dir; it holds the pid of the node that has it.
pub const LOCK_FILE: &str = "sluice.lock";

/// Fails on the first of `addrs` (port 0 excepted) that this process cannot
/// listen on. The probe binds without SO_REUSEPORT, so it fails on a port
/// that any other socket listens on.
pub fn check_addrs_free(addrs: &[(String, SocketAddr)]) -> Result<()> {
    for (what, addr) in addrs {
        if addr.port() == 0 {
            continue;
        }
        if let Err(error) = TcpListener::bind(addr) {
            let holder = match listener_pid(*addr) {
                Some((pid, command)) => format!("in use by pid {pid} ({command})"),
                None => format!("unavailable: {error}"),
            };
            bail!("cannot listen on {addr} for {what}: the address is {holder}");
        }
    }
    Ok(())
}

/// The data dir's lock, held until dropped (the node's life).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Creates `dir` if need be and takes its lock; fails with the pid of the
/// node holding it.
pub fn lock_data_dir(dir: &Path) -> Result<DataDirLock> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the data dir {}", dir.display()))?;
    let path = dir.join(LOCK_FILE);
    let mut file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    if file.try_lock().is_err() {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        let holder = match holder.trim() {
            "" => "another node".to_string(),
            pid => format!("another node (pid {pid})"),
        };
        bail!("the data dir {} is in use by {holder}", dir.display());
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(DataDirLock { _file: file })
}

/// The pid and command line of the process listening on `addr`, from
/// /proc (Linux; `None` elsewhere or when it cannot be told).
fn listener_pid(addr: SocketAddr) -> Option<(u32, String)> {
    let inode = listening_inode(addr)?;
    let wanted = format!("socket:[{inode}]");
    for process in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = process.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(process.path().join("fd")) else {
            continue;
        };
        let holds = fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy() == wanted));
        if holds {
            let command = std::fs::read(process.path().join("cmdline")).unwrap_or_default();
            let command: Vec<String> = command
                .split(|b| *b == 0)
                .filter(|part| !part.is_empty())
                .map(|part| String::from_utf8_lossy(part).into_owned())
                .collect();
            return Some((pid, command.join(" ")));
        }
    }
    None
}

/// The inode of a socket listening on `addr`'s port (on its IP or on any),
/// from /proc/net/tcp and tcp6.
fn listening_inode(addr: SocketAddr) -> Option<u64> {
    const LISTEN: &str = "0A";
    let port = format!("{:04X}", addr.port());
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            if *state == LISTEN && local.rsplit(':').next() == Some(port.as_str()) {
                return inode.parse().ok();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_held_with_reuse_port_is_refused_and_its_holder_named() {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket.set_reuse_port(true).unwrap();
        socket
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        socket.listen(8).unwrap();
        let addr = socket.local_addr().unwrap().as_socket().unwrap();
        let error = check_addrs_free(&[("catalog".into(), addr)])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&addr.to_string()) && error.contains("catalog"),
            "{error}"
        );
        assert!(
            error.contains(&format!("pid {}", std::process::id())),
            "{error}"
        );
        drop(socket);
        check_addrs_free(&[("catalog".into(), addr)]).unwrap();
    }

    #[test]
    fn one_node_per_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock_data_dir(dir.path()).unwrap();
        let error = lock_data_dir(dir.path()).unwrap_err().to_string();
        assert!(error.contains("in use by another node"), "{error}");
        assert!(
            error.contains(&format!("pid {}", std::process::id())),
            "{error}"
        );
        drop(held);
        lock_data_dir(dir.path()).unwrap();
    }
}
