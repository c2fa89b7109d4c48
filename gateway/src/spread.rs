//! Spreading the gateway's connections evenly over its threads.
//!
//! The gateway's threads accept from one shared socket, and a connection
//! stays on the thread that serves it (with every request on it and, in
//! `sluice up`, the instances answering them). The kernel wakes whichever
//! thread it likes, and that thread drains the whole backlog: 32 clients
//! connecting at once could all land on one thread and leave the other
//! cores idle for the life of their keep-alive connections (measured in
//! BENCHMARKS.md, issue 12: one-line orders at 1,100/s with one gateway
//! thread busy and the other asleep, against 2,000/s when the clients
//! happened to spread). So the thread that accepts a connection hands it
//! to the thread with the fewest open connections, itself on a tie.

use crate::metrics::Prom;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many connections each gateway thread serves.
pub(crate) struct Spread {
    open: Box<[AtomicUsize]>,
}

impl Spread {
    pub(crate) fn new(threads: usize) -> Self {
        Spread {
            open: (0..threads.max(1)).map(|_| AtomicUsize::new(0)).collect(),
        }
    }

    /// The thread to serve a connection that thread `accepter` accepted:
    /// the one with the fewest open connections, `accepter` itself when it
    /// has no more than that. The connection counts there until the
    /// returned [`Counted`] is dropped.
    pub(crate) fn assign(self: &Arc<Self>, accepter: usize) -> Counted {
        let count = |thread: usize| self.open[thread].load(Ordering::Relaxed);
        let least = (0..self.open.len())
            .min_by_key(|&thread| count(thread))
            .unwrap_or(accepter);
        let thread = if count(accepter) <= count(least) {
            accepter
        } else {
            least
        };
        self.open[thread].fetch_add(1, Ordering::Relaxed);
        Counted {
            spread: Arc::clone(self),
            thread,
        }
    }

    pub(crate) fn render(&self, prom: &mut Prom) {
        prom.header(
            "sluice_gateway_connections",
            "gauge",
            "Open client connections, by the gateway thread serving them.",
        );
        for (thread, open) in self.open.iter().enumerate() {
            let thread = thread.to_string();
            prom.sample(
                "sluice_gateway_connections",
                &[("thread", &thread)],
                open.load(Ordering::Relaxed),
            );
        }
    }
}

/// One open connection in its thread's count, until dropped.
pub(crate) struct Counted {
    spread: Arc<Spread>,
    /// The thread that serves it.
    pub(crate) thread: usize,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.spread.open[self.thread].fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(spread: &Spread) -> Vec<usize> {
        spread
            .open
            .iter()
            .map(|open| open.load(Ordering::Relaxed))
            .collect()
    }

    #[test]
    fn connections_accepted_by_one_thread_are_spread_over_all() {
        let spread = Arc::new(Spread::new(3));
        let held: Vec<Counted> = (0..7).map(|_| spread.assign(0)).collect();
        assert_eq!(counts(&spread), [3, 2, 2]);
        // The accepter keeps a connection while it has no more than the rest.
        assert_eq!(held[0].thread, 0);
        drop(held);
        assert_eq!(
            counts(&spread),
            [0, 0, 0],
            "closed connections leave the counts"
        );
    }

    #[test]
    fn a_new_connection_goes_where_connections_closed() {
        let spread = Arc::new(Spread::new(2));
        let mut held: Vec<Counted> = (0..4).map(|_| spread.assign(1)).collect();
        held.retain(|c| c.thread == 1);
        assert_eq!(counts(&spread), [0, 2]);
        assert_eq!(spread.assign(1).thread, 0);
    }
}
