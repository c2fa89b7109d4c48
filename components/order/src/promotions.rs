//! Step 3 of placing an order: claiming the promotion units its quotes
//! priced, under the order id, re-quoting the promoted lines once if a
//! promotion ran out (or ended) since they were quoted.

use crate::errors::{ApiError, OrderError};
use crate::failure;
use crate::place::{currency, quote_all, quote_error};
use crate::ports::{AdjustmentKind, ClaimError, ClaimLine, Claims, Host, Line, Price};
use crate::saga::Saga;

/// The promotion units the prices were computed with.
fn claim_lines(prices: &[Price]) -> Vec<ClaimLine> {
    prices
        .iter()
        .flat_map(|p| &p.applied)
        .filter(|a| a.kind == AdjustmentKind::Promotion && a.units > 0)
        .filter_map(|a| {
            Some(ClaimLine {
                promotion_id: a.id.clone()?,
                units: a.units,
            })
        })
        .collect()
}

/// Claims the promotion units of `prices`, re-quoting the promoted lines
/// once (for `caller`, like the first quotes) if a promotion ran out or
/// ended since they were quoted.
pub async fn claim<H: Host>(
    host: &H,
    caller: &Claims,
    saga: &mut Saga<'_, H>,
    prices: &mut [Price],
) -> Result<(), ApiError> {
    for attempt in 0..2 {
        let lines = claim_lines(prices);
        if lines.is_empty() {
            return Ok(());
        }
        saga.claimed = true;
        match host.claim(saga.order_id, &lines).await {
            Ok(()) => return Ok(()),
            Err(
                ClaimError::Insufficient(..)
                | ClaimError::NotActive(_)
                | ClaimError::UnknownPromotion(_),
            ) if attempt == 0 => requote_promoted(host, caller, prices).await?,
            Err(e) => return Err(claim_error(host, e)),
        }
    }
    Ok(())
}

/// Replaces the prices of the promoted lines with fresh quotes.
async fn requote_promoted(
    host: &impl Host,
    caller: &Claims,
    prices: &mut [Price],
) -> Result<(), ApiError> {
    let promoted: Vec<usize> = (0..prices.len())
        .filter(|&i| !claim_lines(&prices[i..=i]).is_empty())
        .collect();
    let lines: Vec<Line> = promoted
        .iter()
        .map(|&i| Line {
            sku: prices[i].sku.clone(),
            qty: prices[i].qty,
        })
        .collect();
    let fresh = quote_all(host, lines.iter(), caller)
        .await
        .map_err(|e| quote_error(host, e))?;
    for (i, price) in promoted.into_iter().zip(fresh) {
        prices[i] = price;
    }
    currency(prices).map(|_| ())
}

fn claim_error(host: &impl Host, e: ClaimError) -> ApiError {
    match e {
        ClaimError::Insufficient(id, _) => ApiError::Service(OrderError::PromotionSoldOut(id)),
        ClaimError::NotActive(id) | ClaimError::UnknownPromotion(id) => {
            ApiError::Service(OrderError::PromotionEnded(id))
        }
        ClaimError::Unavailable(why) => failure::unavailable(host, "claiming promotions", &why),
        ClaimError::Conflict(why) | ClaimError::Invalid(why) => {
            failure::internal(host, "claiming promotions", &why)
        }
    }
}
