//! Stock control for other services (the `stock` export): check, reserve
//! (a hold that expires, see [`holds`](crate::holds)), confirm, release.
//! Each change is one conditional update or one transaction (see
//! [`reservations`]); the cache is only told afterwards, never asked.

use crate::ports::{Host, Level, SqlError};
use crate::reservations::{self, CONFIRMED, HELD, Line, RELEASED};
use crate::store::StoreError;
use crate::{cached, holds, validate};
use std::collections::BTreeMap;

/// Longest reservation id, in bytes.
pub const MAX_ID_CHARS: usize = 128;
/// Most distinct skus in one reservation.
pub const MAX_LINES: usize = 100;

/// A line as callers send it (`stock.line`), and why stock could not be
/// checked, reserved or released (`stock.error`).
pub use sluice_kit::links::{Line as Request, StockError};

/// Units in stock for `sku` (through the cache: informational; a
/// reservation re-checks in the database).
pub async fn check(host: &impl Host, sku: &str) -> Result<u32, StockError> {
    if !validate::is_sku(sku) {
        return Err(StockError::UnknownSku(sku.to_string()));
    }
    let product = cached::product(host, sku)
        .await
        .map_err(|e| unavailable(host, "check stock", &e))?
        .ok_or_else(|| StockError::UnknownSku(sku.to_string()))?;
    Ok(u32::try_from(product.stock.max(0)).unwrap_or(u32::MAX))
}

/// Reserves every line under `id`, or nothing (see `stock.reserve`).
pub async fn reserve(host: &impl Host, id: &str, requested: &[Request]) -> Result<(), StockError> {
    check_id(id)?;
    let lines = merge(requested)?;
    let now = now(host);
    let expires_at = now.saturating_add(holds::hold_ms(host));
    match host
        .batch(reservations::reserve_batch(id, &lines, now, expires_at))
        .await
    {
        Ok(_) => {
            let skus: Vec<&str> = lines.iter().map(|l| l.sku.as_str()).collect();
            cached::invalidate(host, &skus).await;
            let count = lines.len().to_string();
            host.log(
                Level::Info,
                "stock reserved",
                &[("reservation", id), ("lines", &count)],
            );
            Ok(())
        }
        // The id is taken: a retry of this reservation, or a misuse.
        Err(SqlError::ConstraintViolation(_)) => existing(host, id, &lines).await,
        // Statement 1 + i is the take of line i.
        Err(SqlError::ExpectationFailed(index)) => {
            let Some(line) = (index as usize).checked_sub(1).and_then(|i| lines.get(i)) else {
                return Err(StockError::Unavailable(format!(
                    "reservation failed at statement {index}"
                )));
            };
            match reservations::stock_of(host, &line.sku).await {
                Ok(None) => Err(StockError::UnknownSku(line.sku.clone())),
                Ok(Some(_)) => Err(StockError::Insufficient(line.sku.clone())),
                Err(e) => Err(unavailable(host, "reserve stock", &e)),
            }
        }
        Err(e) => Err(unavailable(host, "reserve stock", &StoreError::Sql(e))),
    }
}

/// `reserve` found `id` taken: fine if it holds exactly these lines, held
/// or already confirmed (a retried reserve that arrives after the confirm).
/// A repeat does not extend the hold.
async fn existing(host: &impl Host, id: &str, lines: &[Line]) -> Result<(), StockError> {
    let state = reservations::state(host, id)
        .await
        .map_err(|e| unavailable(host, "reserve stock", &e))?;
    match state.as_deref() {
        Some(HELD | CONFIRMED) => {
            let held = reservations::lines(host, id)
                .await
                .map_err(|e| unavailable(host, "reserve stock", &e))?;
            if held == lines {
                Ok(())
            } else {
                Err(StockError::Conflict(format!(
                    "reservation {id} already holds other lines"
                )))
            }
        }
        Some(RELEASED) => Err(StockError::Conflict(format!(
            "reservation {id} was released; use a new id"
        ))),
        // A constraint other than the id failed; nothing here explains it.
        other => Err(StockError::Unavailable(format!(
            "reservation {id} could not be recorded (state {other:?})"
        ))),
    }
}

/// Makes the held reservation `id` permanent (see `stock.confirm`). The
/// hold's end is not checked: until the sweep has released it, its units
/// are still taken, and the row lock decides between this and the sweep.
pub async fn confirm(host: &impl Host, id: &str) -> Result<(), StockError> {
    check_id(id)?;
    // A second round only if the id was reserved between the update and
    // the read (a reserve still in flight).
    for _ in 0..2 {
        match reservations::confirm(host, id).await {
            Ok(0) => {}
            Ok(_) => {
                host.log(Level::Info, "stock confirmed", &[("reservation", id)]);
                return Ok(());
            }
            Err(e) => return Err(unavailable(host, "confirm stock", &StoreError::Sql(e))),
        }
        let state = reservations::state(host, id)
            .await
            .map_err(|e| unavailable(host, "confirm stock", &e))?;
        match state.as_deref() {
            Some(CONFIRMED) => return Ok(()),
            Some(HELD) => continue,
            Some(RELEASED) => {
                return Err(StockError::Conflict(format!(
                    "reservation {id} was released (its hold expired or it was released); \
                     its units are not taken"
                )));
            }
            None => {
                return Err(StockError::Conflict(format!(
                    "reservation {id} was never reserved; no units are taken"
                )));
            }
            Some(other) => return Err(unknown_state(id, other)),
        }
    }
    Err(StockError::Unavailable(format!(
        "reservation {id} kept changing while being confirmed"
    )))
}

/// Returns the units of reservation `id`, held or confirmed, to stock at
/// most once (see `stock.release`).
pub async fn release(host: &impl Host, id: &str) -> Result<(), StockError> {
    // An id `reserve` would refuse can hold nothing.
    if check_id(id).is_err() {
        return Ok(());
    }
    // Each round either finishes or saw the reservation change under it
    // (created, confirmed, expired or released concurrently). Three rounds
    // are plenty; should it change even more often, `unavailable` is still
    // honest, and a retry finds it settled.
    for _ in 0..3 {
        let state = reservations::state(host, id)
            .await
            .map_err(|e| unavailable(host, "release stock", &e))?;
        let from = match state.as_deref() {
            Some(RELEASED) => return Ok(()),
            Some(HELD) => HELD,
            Some(CONFIRMED) => CONFIRMED,
            Some(other) => return Err(unknown_state(id, other)),
            None => match reservations::insert_tombstone(host, id, now(host)).await {
                Ok(_) => {
                    host.log(
                        Level::Info,
                        "unknown reservation released",
                        &[("reservation", id)],
                    );
                    return Ok(());
                }
                // A reserve just recorded it: release that.
                Err(SqlError::ConstraintViolation(_)) => continue,
                Err(e) => return Err(unavailable(host, "release stock", &StoreError::Sql(e))),
            },
        };
        match reservations::give_back(host, id, from, now(host)).await {
            Ok(Some(lines)) => {
                let skus: Vec<&str> = lines.iter().map(|l| l.sku.as_str()).collect();
                cached::invalidate(host, &skus).await;
                host.log(Level::Info, "stock released", &[("reservation", id)]);
                return Ok(());
            }
            // It moved since we looked (confirmed, expired or released by
            // someone else): look again.
            Ok(None) => continue,
            Err(e) => return Err(unavailable(host, "release stock", &e)),
        }
    }
    Err(StockError::Unavailable(format!(
        "reservation {id} kept changing while being released"
    )))
}

/// A state this code never writes: another version's, or a damaged row.
fn unknown_state(id: &str, state: &str) -> StockError {
    StockError::Unavailable(format!("reservation {id} is in an unknown state {state:?}"))
}

/// 1..=128 visible ASCII characters.
fn check_id(id: &str) -> Result<(), StockError> {
    if !id.is_empty() && id.len() <= MAX_ID_CHARS && id.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(StockError::Invalid(
            "a reservation id must be 1 to 128 visible ASCII characters".into(),
        ))
    }
}

/// One line per sku (quantities of repeated skus added), in sku order.
fn merge(requested: &[Request]) -> Result<Vec<Line>, StockError> {
    if requested.is_empty() {
        return Err(StockError::Invalid(
            "a reservation needs at least one line".into(),
        ));
    }
    let mut merged: BTreeMap<&str, i64> = BTreeMap::new();
    for line in requested {
        if line.qty == 0 {
            return Err(StockError::Invalid(format!(
                "the quantity of {} must be at least 1",
                line.sku
            )));
        }
        if !validate::is_sku(&line.sku) {
            return Err(StockError::UnknownSku(line.sku.clone()));
        }
        *merged.entry(&line.sku).or_default() += i64::from(line.qty);
    }
    if merged.len() > MAX_LINES {
        return Err(StockError::Invalid(format!(
            "a reservation may name at most {MAX_LINES} skus"
        )));
    }
    Ok(merged
        .into_iter()
        .map(|(sku, qty)| Line {
            sku: sku.to_string(),
            qty,
        })
        .collect())
}

/// Logs a database failure during `what` and reports it as `unavailable`.
pub(crate) fn unavailable(host: &impl Host, what: &str, err: &StoreError) -> StockError {
    let detail = err.to_string();
    host.log(
        Level::Warn,
        "stock operation failed",
        &[("during", what), ("error", &detail)],
    );
    StockError::Unavailable(detail)
}

/// The host clock as the database stores times.
pub(crate) fn now(host: &impl Host) -> i64 {
    i64::try_from(host.now_ms()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(sku: &str, qty: u32) -> Request {
        Request {
            sku: sku.into(),
            qty,
        }
    }

    #[test]
    fn merge_adds_repeated_skus_and_sorts() {
        let lines = merge(&[req("B", 1), req("A", 2), req("B", 3)]).unwrap();
        assert_eq!(
            lines,
            [
                Line {
                    sku: "A".into(),
                    qty: 2
                },
                Line {
                    sku: "B".into(),
                    qty: 4
                }
            ]
        );
    }

    #[test]
    fn merge_rejects_bad_lines() {
        assert!(matches!(merge(&[]), Err(StockError::Invalid(_))));
        assert!(matches!(merge(&[req("A", 0)]), Err(StockError::Invalid(_))));
        assert_eq!(
            merge(&[req("A", 1), req("no such/sku", 1)]),
            Err(StockError::UnknownSku("no such/sku".into()))
        );
        let many: Vec<Request> = (0..=MAX_LINES).map(|i| req(&format!("S{i}"), 1)).collect();
        assert!(matches!(merge(&many), Err(StockError::Invalid(_))));
        let max: Vec<Request> = (0..MAX_LINES).map(|i| req(&format!("S{i}"), 1)).collect();
        assert_eq!(merge(&max).unwrap().len(), MAX_LINES);
        // Quantities add up past u32 without overflowing.
        let big = merge(&[req("A", u32::MAX), req("A", u32::MAX)]).unwrap();
        assert_eq!(big[0].qty, 2 * i64::from(u32::MAX));
    }

    #[test]
    fn ids_are_1_to_128_visible_ascii() {
        assert!(check_id("order-1:attempt-2").is_ok());
        assert!(check_id(&"x".repeat(128)).is_ok());
        for bad in ["", " ", "a b", "é", &"x".repeat(129)] {
            assert!(
                matches!(check_id(bad), Err(StockError::Invalid(_))),
                "{bad:?}"
            );
        }
    }
}
