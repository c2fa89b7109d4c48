//! The log's writer (the gateway's access log is one line per request):
//! a line is appended to a buffer in memory, and a thread of its own
//! writes what has gathered to the sink every [`FLUSH_INTERVAL`], in one
//! write(2). No request waits on a write, and no line wakes a thread: a
//! writer woken per line (as `tracing-appender`'s is) cost a futex wake
//! and a reschedule IPI on the other core per request (BENCHMARKS.md,
//! issue 12). When [`BUFFER_LIMIT`] bytes wait, the thread logging waits
//! rather than drop a line; every line is written before the guard's drop
//! returns.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a line may wait before it is written.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(10);

/// Bytes that may wait for the thread before a writer waits for it too.
pub const BUFFER_LIMIT: usize = 1 << 20;

/// A handle that appends whole lines to the log (tracing's fmt layer
/// writes each event in one call).
#[derive(Clone)]
pub struct LogWriter {
    shared: Arc<Shared>,
}

/// Writes what is left and stops the thread when dropped.
pub struct FlushOnDrop {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    /// The thread waits on it: a full buffer or the end.
    wake: Condvar,
    /// Writers of a full buffer wait on it: the thread has taken it.
    drained: Condvar,
    limit: usize,
}

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    stopping: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts the log's thread, named `name`, writing to `sink`.
pub fn spawn(
    name: &str,
    sink: impl Write + Send + 'static,
) -> std::io::Result<(LogWriter, FlushOnDrop)> {
    spawn_with(name, sink, BUFFER_LIMIT, FLUSH_INTERVAL)
}

fn spawn_with(
    name: &str,
    mut sink: impl Write + Send + 'static,
    limit: usize,
    interval: Duration,
) -> std::io::Result<(LogWriter, FlushOnDrop)> {
    let shared = Arc::new(Shared {
        state: Mutex::default(),
        wake: Condvar::new(),
        drained: Condvar::new(),
        limit,
    });
    let thread = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut out = Vec::new();
                loop {
                    let stopping = {
                        let mut state = shared.lock();
                        if !state.stopping && state.pending.len() < shared.limit {
                            state = shared
                                .wake
                                .wait_timeout(state, interval)
                                .unwrap_or_else(PoisonError::into_inner)
                                .0;
                        }
                        std::mem::swap(&mut state.pending, &mut out);
                        state.stopping
                    };
                    shared.drained.notify_all();
                    if out.is_empty() {
                        if stopping {
                            return;
                        }
                        continue;
                    }
                    // A log that cannot be written is not worth stopping for.
                    let _ = sink.write_all(&out).and_then(|()| sink.flush());
                    out.clear();
                }
            })?
    };
    Ok((
        LogWriter {
            shared: shared.clone(),
        },
        FlushOnDrop {
            shared,
            thread: Some(thread),
        },
    ))
}

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut state = self.shared.lock();
        while state.pending.len() >= self.shared.limit && !state.stopping {
            self.shared.wake.notify_one();
            state = self
                .shared
                .drained
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    /// The thread writes within [`FLUSH_INTERVAL`]; a line is never held
    /// up by a writer's flush.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        self.clone()
    }
}

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A sink that keeps what it is given and counts its writes; while
    /// `blocked` is held, writes wait.
    #[derive(Clone, Default)]
    struct Sink {
        bytes: Arc<Mutex<Vec<u8>>>,
        writes: Arc<AtomicUsize>,
        blocked: Arc<Mutex<()>>,
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let _open = self.blocked.lock().unwrap();
            self.writes.fetch_add(1, Ordering::SeqCst);
            self.bytes.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn lines(sink: &Sink) -> Vec<String> {
        String::from_utf8(sink.bytes.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_line_is_written_in_order_by_the_time_the_guard_is_dropped() {
        let sink = Sink::default();
        let (writer, guard) = spawn("test-log", sink.clone()).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..2_000 {
                        writer.write_all(format!("{t} {i}\n").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        drop(guard);

        let lines = lines(&sink);
        assert_eq!(lines.len(), 8_000);
        for t in 0..4 {
            let own: Vec<usize> = lines
                .iter()
                .filter_map(|l| l.strip_prefix(&format!("{t} ")))
                .map(|i| i.parse().unwrap())
                .collect();
            assert_eq!(own, (0..2_000).collect::<Vec<_>>(), "thread {t}'s lines");
        }
        // Gathered, not one write per line.
        assert!(sink.writes.load(Ordering::SeqCst) < 8_000 / 10);
    }

    #[test]
    fn a_writer_waits_rather_than_drop_a_line_when_the_buffer_is_full() {
        let sink = Sink::default();
        let blocked = sink.blocked.lock().unwrap();
        let (writer, guard) =
            spawn_with("test-log", sink.clone(), 100, Duration::from_millis(1)).unwrap();
        let written = Arc::new(AtomicUsize::new(0));
        let logging = {
            let (mut writer, written) = (writer.clone(), written.clone());
            std::thread::spawn(move || {
                for i in 0..100 {
                    writer
                        .write_all(format!("line {i:03}\n").as_bytes())
                        .unwrap();
                    written.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        std::thread::sleep(Duration::from_millis(200));
        // The sink takes nothing: one buffer is with it, one is full.
        let stuck_at = written.load(Ordering::SeqCst);
        assert!(stuck_at < 100, "every line was taken with the sink blocked");

        drop(blocked);
        logging.join().unwrap();
        drop(guard);
        let expected: Vec<String> = (0..100).map(|i| format!("line {i:03}")).collect();
        assert_eq!(lines(&sink), expected);
    }
}
