//! Counting capped promotion units at order time: `claim` takes units from
//! promotions' caps under a caller-chosen id (the order's), `unclaim` gives
//! them back. Quotes only read the count; they reserve nothing.
//!
//! A claim is one all-or-nothing batch: per line, an insert into
//! `promotion_claims` (its primary key makes a claim id single-use) and the
//! conditional update [`store::TAKE_UNITS`], which changes the promotion's
//! row only while the promotion is active and has enough units left. The
//! database serialises concurrent updates of one row and re-checks the
//! condition on the latest version, so concurrent claims never take more
//! than a cap; whichever update finds too few left makes its batch fail
//! and roll back. Lines are applied in promotion-id order so two multi-line
//! claims lock rows in the same order.

use crate::params::MAX_QTY;
use crate::ports::{Host, Level, SqlError};
use crate::quote::now_ms;
use crate::store::{self, ClaimRow, StoreError};
use std::collections::BTreeMap;

/// Longest accepted claim id.
pub const MAX_CLAIM_ID_CHARS: usize = 128;
/// How often a claim or unclaim is retried when a concurrent change made a
/// batch fail although the state it finds afterwards would allow it.
const ATTEMPTS: usize = 3;

pub use sluice_kit::links::ClaimLine;

/// Why units could not be claimed (`quote.claim-error`); nothing was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimError {
    UnknownPromotion(String),
    NotActive(String),
    /// The promotion and how many units it has left.
    Insufficient(String, u32),
    Conflict(String),
    Invalid(String),
    Store(StoreError),
}

impl From<StoreError> for ClaimError {
    fn from(e: StoreError) -> ClaimError {
        ClaimError::Store(e)
    }
}

impl From<SqlError> for ClaimError {
    fn from(e: SqlError) -> ClaimError {
        ClaimError::Store(StoreError::Sql(e))
    }
}

/// Takes every line's units under `claim_id`, or nothing (see the module
/// docs). A retry with the same id and lines succeeds without taking more.
pub async fn claim(
    host: &impl Host,
    claim_id: &str,
    lines: &[ClaimLine],
) -> Result<(), ClaimError> {
    let wanted = merge(claim_id, lines)?;
    for _ in 0..ATTEMPTS {
        let now = now_ms(host);
        let statements = wanted
            .iter()
            .flat_map(|(id, units)| store::claim_statements(claim_id, id, *units, now))
            .collect();
        let failed_line = match host.batch(statements).await {
            Ok(_) => {
                let total: u32 = wanted.values().sum();
                host.log(
                    Level::Info,
                    "promotion units claimed",
                    &[("claim", claim_id), ("units", &total.to_string())],
                );
                return Ok(());
            }
            Err(SqlError::ConstraintViolation(why)) => {
                return same_claim(host, claim_id, &wanted, why).await;
            }
            Err(SqlError::ExpectationFailed(index)) => index as usize / 2,
            Err(e) => return Err(e.into()),
        };
        let Some((id, units)) = wanted.iter().nth(failed_line) else {
            return Err(SqlError::Other("a claim statement failed out of range".into()).into());
        };
        why_not(host, id, *units, now).await?;
        // The promotion allows it now: a concurrent unclaim or delete
        // changed it between the batch and the look. Try again.
    }
    Err(ClaimError::Store(StoreError::Sql(SqlError::Unavailable(
        "the promotion kept changing under the claim".into(),
    ))))
}

/// Gives back every unit `claim_id` holds. Unknown or already released ids
/// change nothing and succeed; a deleted promotion's units are dropped.
pub async fn unclaim(host: &impl Host, claim_id: &str) -> Result<(), ClaimError> {
    for _ in 0..ATTEMPTS {
        let held: Vec<ClaimRow> = store::find_claim(host, claim_id)
            .await?
            .into_iter()
            .filter(|line| !line.released)
            .collect();
        if held.is_empty() {
            return Ok(());
        }
        let now = now_ms(host);
        let statements = held
            .iter()
            .flat_map(|line| store::release_statements(claim_id, line, now))
            .collect();
        match host.batch(statements).await {
            Ok(_) => {
                host.log(
                    Level::Info,
                    "promotion units released",
                    &[("claim", claim_id)],
                );
                return Ok(());
            }
            // A concurrent unclaim released it first: look again.
            Err(SqlError::ExpectationFailed(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ClaimError::Store(StoreError::Sql(SqlError::Unavailable(
        "the claim kept changing under the unclaim".into(),
    ))))
}

/// Checks the claim id and lines; merges lines naming the same promotion.
fn merge(claim_id: &str, lines: &[ClaimLine]) -> Result<BTreeMap<String, u32>, ClaimError> {
    let invalid = |why: String| Err(ClaimError::Invalid(why));
    if claim_id.is_empty()
        || claim_id.chars().count() > MAX_CLAIM_ID_CHARS
        || claim_id.chars().any(char::is_control)
    {
        return invalid(format!(
            "a claim id must be 1 to {MAX_CLAIM_ID_CHARS} characters"
        ));
    }
    if lines.is_empty() {
        return invalid("a claim needs at least one line".into());
    }
    let mut merged = BTreeMap::new();
    for line in lines {
        if !(1..=MAX_QTY).contains(&line.units) {
            return invalid(format!(
                "units must be 1 to {MAX_QTY}, not {} (promotion {:?})",
                line.units, line.promotion_id
            ));
        }
        if line.promotion_id.is_empty() {
            return invalid("a claim line needs a promotion id".into());
        }
        *merged.entry(line.promotion_id.clone()).or_insert(0u32) += line.units;
    }
    Ok(merged)
}

/// A claim id that exists already: a retry of the same claim succeeds;
/// anything else is a conflict.
async fn same_claim(
    host: &impl Host,
    claim_id: &str,
    wanted: &BTreeMap<String, u32>,
    violation: String,
) -> Result<(), ClaimError> {
    let existing = store::find_claim(host, claim_id).await?;
    if existing.is_empty() {
        // Not our primary key after all.
        return Err(SqlError::ConstraintViolation(violation).into());
    }
    let same = existing.len() == wanted.len()
        && existing.iter().all(|line| {
            !line.released
                && wanted.get(&line.promotion_id).map(|u| i64::from(*u)) == Some(line.units)
        });
    if same {
        Ok(())
    } else if existing.iter().any(|line| line.released) {
        Err(ClaimError::Conflict(format!(
            "the claim {claim_id:?} was released; claim ids are not reused"
        )))
    } else {
        Err(ClaimError::Conflict(format!(
            "the claim {claim_id:?} already holds other units"
        )))
    }
}

/// Why the promotion `id` cannot give `units` at `now`, or `Ok` if it can
/// (the state changed since the failed update).
async fn why_not(host: &impl Host, id: &str, units: u32, now: i64) -> Result<(), ClaimError> {
    let Some(promotion) = store::find_promotion(host, id).await? else {
        return Err(ClaimError::UnknownPromotion(id.to_string()));
    };
    if !promotion.is_active(now) {
        return Err(ClaimError::NotActive(id.to_string()));
    }
    match promotion.remaining() {
        Some(left) if left < i64::from(units) => Err(ClaimError::Insufficient(
            id.to_string(),
            u32::try_from(left).unwrap_or(u32::MAX),
        )),
        _ => Ok(()),
    }
}
