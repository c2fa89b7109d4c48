//! Giving back what an order holds in the other services: its stock
//! reservation (catalog, `release`) and its promotion units (pricing,
//! `unclaim`). Both are named by the order id and idempotent, so whoever
//! gives back (a failed placer, a settler, a cancel, housekeeping) may
//! repeat it safely, and units come back exactly once however often it
//! runs. Failures are logged here; the caller decides what stays for the
//! next try.

use crate::ports::{Host, Level};

/// How many times a release is tried before it counts as failed.
pub const RELEASE_ATTEMPTS: usize = 3;

/// Releases the stock of order `id` (held or confirmed), retrying; whether
/// it is back. `whose` names the order in the log ("a failed order's").
pub async fn release(host: &impl Host, id: &str, whose: &str) -> bool {
    let mut last = None;
    for _ in 0..RELEASE_ATTEMPTS {
        match host.release(id).await {
            Ok(()) => return true,
            Err(e) => last = Some(e),
        }
    }
    host.log(
        Level::Error,
        &format!("releasing {whose} stock failed"),
        &[("order", id), ("error", &format!("{last:?}"))],
    );
    false
}

/// Gives back the promotion units of order `id`; whether they are back.
pub async fn unclaim(host: &impl Host, id: &str, whose: &str) -> bool {
    match host.unclaim(id).await {
        Ok(()) => true,
        Err(e) => {
            host.log(
                Level::Error,
                &format!("unclaiming {whose} promotion units failed"),
                &[("order", id), ("error", &format!("{e:?}"))],
            );
            false
        }
    }
}

/// Gives back both at once (an order row does not say whether units were
/// claimed; unclaiming an id that claimed nothing changes nothing); whether
/// everything is back.
pub async fn everything(host: &impl Host, id: &str, whose: &str) -> bool {
    let (released, unclaimed) = futures::join!(release(host, id, whose), unclaim(host, id, whose));
    released && unclaimed
}
