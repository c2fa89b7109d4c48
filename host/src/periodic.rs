//! Work a node repeats on a timer until it stops: housekeeping rounds,
//! converging to a deploy, syncing tenant rules. One round at a time; a
//! round that overruns delays the next instead of bunching them up.

use std::time::Duration;
use tokio::sync::watch;

/// Runs `round` once per `period` (at least 10 ms), the first at once,
/// until `stopped` turns true. Rounds report their own failures.
pub async fn every<F, Fut>(
    period: Duration,
    mut stopped: watch::Receiver<bool>,
    mut round: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ticks = tokio::time::interval(period.max(Duration::from_millis(10)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return Ok(()),
            _ = ticks.tick() => {}
        }
        round().await;
    }
}
