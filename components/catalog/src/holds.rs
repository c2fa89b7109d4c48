//! How long a stock hold lasts, and the sweep that gives back the units of
//! holds that ran out (the `housekeeping` export).
//!
//! `reserve` takes units as a hold that ends at `expires_at` (now plus the
//! `hold_ms` setting). A caller that dies between `reserve` and `confirm`
//! never releases what it holds, so without an end those units would be
//! gone for good. [`expire`] releases held reservations past their end, a
//! bounded batch per run; the host runs it on every catalog node every tick,
//! so every step is a conditional update that a concurrent sweep, confirm or
//! release can only lose whole.

use crate::cached;
use crate::ports::{Host, Level};
use crate::reservations::{self, HELD};
use crate::stock::{self, StockError};
use std::collections::BTreeSet;

/// How long a hold lasts unless the `hold_ms` setting says otherwise: long
/// enough for an order to quote and write, short enough that stock taken
/// by a dead request comes back soon.
pub const DEFAULT_HOLD_MS: i64 = 60_000;
/// The shortest `hold_ms` accepted: shorter would expire holds of healthy
/// orders that are merely slow.
pub const MIN_HOLD_MS: i64 = 1_000;
/// The longest `hold_ms` accepted (a day).
pub const MAX_HOLD_MS: i64 = 86_400_000;
/// Most holds one sweep releases; the rest wait for the next tick, so one
/// run stays short however much expired at once.
pub const SWEEP_LIMIT: u32 = 100;

/// The hold time: the `hold_ms` setting when it is an integer within
/// [`MIN_HOLD_MS`]..=[`MAX_HOLD_MS`], else [`DEFAULT_HOLD_MS`] (with a
/// warning, as a typo in the setting should not go unnoticed, nor stop
/// reservations).
pub fn hold_ms(host: &impl Host) -> i64 {
    let Some(raw) = host.setting("hold_ms") else {
        return DEFAULT_HOLD_MS;
    };
    match raw.trim().parse::<i64>() {
        Ok(ms) if (MIN_HOLD_MS..=MAX_HOLD_MS).contains(&ms) => ms,
        _ => {
            let default = DEFAULT_HOLD_MS.to_string();
            host.log(
                Level::Warn,
                "ignoring setting hold_ms: not an integer from 1000 to 86400000",
                &[("value", &raw), ("using", &default)],
            );
            DEFAULT_HOLD_MS
        }
    }
}

/// Releases up to [`SWEEP_LIMIT`] held reservations whose hold ended before
/// now, oldest first, and returns how many this call released. One that
/// was confirmed or released since it was listed is skipped (and not
/// counted): the conditional update saw it move. A database failure stops
/// the sweep as `unavailable`; what was released before it stays released
/// (the cache is still told), and the next run picks up the rest.
pub async fn expire(host: &impl Host) -> Result<u32, StockError> {
    let now = stock::now(host);
    let due = reservations::expired(host, now, SWEEP_LIMIT)
        .await
        .map_err(|e| stock::unavailable(host, "expire holds", &e))?;
    let mut released = 0u32;
    let mut skus = BTreeSet::new();
    let mut failure = None;
    for id in &due {
        match reservations::give_back(host, id, HELD, now).await {
            Ok(Some(lines)) => {
                released += 1;
                skus.extend(lines.into_iter().map(|l| l.sku));
                host.log(Level::Info, "expired hold released", &[("reservation", id)]);
            }
            // Confirmed or released meanwhile: not ours to give back.
            Ok(None) => {}
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if !skus.is_empty() {
        let skus: Vec<&str> = skus.iter().map(String::as_str).collect();
        cached::invalidate(host, &skus).await;
    }
    match failure {
        Some(e) => Err(stock::unavailable(host, "expire holds", &e)),
        None => Ok(released),
    }
}
