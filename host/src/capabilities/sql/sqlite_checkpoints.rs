//! [`Checkpoints`]: a SQLite file database's WAL checkpoints, run by a
//! thread of their own instead of by whichever request commits.
//!
//! In WAL mode a commit appends pages to the `-wal` file; a checkpoint
//! copies them back into the database file and syncs it. SQLite runs one
//! itself inside the commit that takes the WAL past 1,000 pages, so every
//! few hundred orders one request's task did the copy and waited for the
//! disk's sync, on a runtime worker thread and holding the writer's turn.
//! Under the order load that was 3 % of the CPU and a tenth of the time
//! the CPUs sat waiting for the disk (BENCHMARKS.md, issue 12).
//!
//! Here the writer only signals that it committed, and a thread with a
//! connection of its own checkpoints, at most every [`EVERY`], in two
//! `PASSIVE` passes: the first copies and syncs the bulk while the writer
//! goes on; the second, only when the bulk left pages behind in a WAL of
//! [`TURN_AT_PAGES`] or more, takes the writer's turn (writers wait for it
//! without blocking a thread) and copies the few pages committed
//! meanwhile, so the WAL is whole in the file and the next commit starts it
//! over from the beginning. Without that turn, a writer that never pauses
//! keeps the WAL growing; with it after every round, every burst of writes
//! would wait for one more sync. SQLite's own automatic checkpoint stays on
//! as a backstop at [`BACKSTOP_PAGES`], for a disk so slow that the thread
//! falls behind.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Weak};
use std::time::Duration;

use rusqlite::Connection;

/// The shortest time between two checkpoints of one database.
pub const EVERY: Duration = Duration::from_millis(100);

/// The WAL size, in pages, from which a round takes the writer's turn to
/// finish what the bulk left (SQLite's own default checkpoint size).
pub const TURN_AT_PAGES: i64 = 1_000;

/// The writer's own automatic checkpoint, in WAL pages (SQLite's default
/// is 1,000): reached only if the checkpoint thread falls behind.
pub const BACKSTOP_PAGES: u32 = 10_000;

/// The checkpoint thread of one database; it ends when this is dropped.
pub struct Checkpoints {
    committed: SyncSender<()>,
}

impl Checkpoints {
    /// Starts the checkpoint thread on `conn` (a connection of its own to
    /// the database `writer` writes), and moves `writer`'s automatic
    /// checkpoint to the backstop.
    pub fn start(writer: &Arc<Writer>, conn: Connection, path: &str) -> std::io::Result<Self> {
        let (committed, commits) = sync_channel(1);
        std::thread::Builder::new()
            .name("sluice-sqlite-checkpoint".into())
            .spawn({
                let (writer, path) = (Arc::downgrade(writer), path.to_string());
                move || checkpoint_after_commits(&conn, &writer, &commits, &path)
            })?;
        // Just opened: no one else has the writer's turn yet.
        let backstop = match writer.try_lock() {
            Ok(writer) => writer
                .pragma_update(None, "wal_autocheckpoint", BACKSTOP_PAGES)
                .map_err(|e| e.to_string()),
            Err(busy) => Err(busy.to_string()),
        };
        if let Err(error) = backstop {
            tracing::warn!(path, %error, "cannot move SQLite's automatic checkpoint");
        }
        Ok(Checkpoints { committed })
    }

    /// Tells the thread the writer committed. Never blocks: a signal
    /// already waiting covers this commit too.
    pub fn committed(&self) {
        let _ = self.committed.try_send(());
    }
}

/// The writer's connection, whose turn writers take in arrival order.
pub type Writer = tokio::sync::Mutex<Connection>;

/// Checkpoints after each signal of a commit (the bulk, then, if the WAL
/// is long and not all in the file, the rest in the writer's turn), then
/// waits [`EVERY`] before taking the next signal; returns once the writer
/// is gone.
fn checkpoint_after_commits(
    conn: &Connection,
    writer: &Weak<Writer>,
    commits: &Receiver<()>,
    path: &str,
) {
    while commits.recv().is_ok() {
        let Some(writer) = writer.upgrade() else {
            return;
        };
        let rest = passive(conn).and_then(|(wal, copied)| {
            if wal < TURN_AT_PAGES || copied == wal {
                return Ok((wal, copied));
            }
            let _turn = writer.blocking_lock();
            passive(conn)
        });
        drop(writer);
        match rest {
            Ok((wal, copied)) => tracing::trace!(path, wal, copied, "checkpoint"),
            Err(error) => {
                tracing::warn!(path, %error, "SQLite checkpoint failed; tried again after the next commit")
            }
        }
        std::thread::sleep(EVERY);
    }
}

/// A `PASSIVE` checkpoint: the WAL's frames, and how many are now in the
/// file.
fn passive(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}
