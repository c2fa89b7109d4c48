//! The price of a quantity of one sku, from its base price and the
//! promotions active now: pure computation, no I/O.
//!
//! Rules:
//! - At most one promotion applies (promotions never stack): among the
//!   active promotions of the sku, the one giving the **lowest total** for
//!   the quantity asked for. Ties go to the lower promotional unit price,
//!   then to the smaller promotion id, so the choice is deterministic.
//! - A promotion that would not lower the price (a fixed price at or above
//!   the base price) is not applied.
//! - A capped promotion applies to at most its remaining units (its cap
//!   minus the units claimed at order time). Asked for more, the remaining
//!   units get the promotional price and the rest the base price: the quote
//!   then has two lines, `unit_price` is the promotional unit price and
//!   `total` is exact. A capped promotion with no units left is not
//!   applied.

use crate::money;
use crate::promotion::Promotion;

/// Units priced at one unit price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub units: u32,
    pub unit_price: i64,
}

/// The promotion applied to a quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedPromotion {
    pub id: String,
    /// Units priced at the promotional price (the units an order claims).
    pub units: u32,
    /// A human sentence, e.g. "15% off" or "15% off on 3 of 5 units ...".
    pub detail: String,
}

/// A quantity priced with promotions, before the tenant's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub base_unit_price: i64,
    /// One line, or two when a cap splits the quantity: the promotional
    /// line first, then the units at the base price.
    pub lines: Vec<Line>,
    pub promotion: Option<AppliedPromotion>,
}

impl Priced {
    /// The unit price of the first line: the promotional unit price when a
    /// promotion applies, else the base price.
    pub fn unit_price(&self) -> i64 {
        self.lines
            .first()
            .map_or(self.base_unit_price, |l| l.unit_price)
    }

    /// The exact total of every line, or `None` on overflow.
    pub fn total(&self) -> Option<i64> {
        self.lines.iter().try_fold(0i64, |sum, line| {
            sum.checked_add(money::line_total(line.unit_price, line.units)?)
        })
    }
}

/// Prices `qty` units at `base` with the best of `active` (promotions of
/// this sku already known to be active now; see the module rules).
pub fn price(base: i64, qty: u32, active: &[Promotion]) -> Priced {
    let best = active
        .iter()
        .filter_map(|p| candidate(base, qty, p))
        .min_by(|a, b| {
            (a.total, a.unit_price, &a.promotion.id).cmp(&(b.total, b.unit_price, &b.promotion.id))
        });
    let Some(best) = best else {
        return Priced {
            base_unit_price: base,
            lines: vec![Line {
                units: qty,
                unit_price: base,
            }],
            promotion: None,
        };
    };
    let mut lines = vec![Line {
        units: best.units,
        unit_price: best.unit_price,
    }];
    let rest = qty - best.units;
    if rest > 0 {
        lines.push(Line {
            units: rest,
            unit_price: base,
        });
    }
    let discount = best.promotion.discount.describe();
    let detail = if rest > 0 {
        format!(
            "{discount} on {} of {qty} units (capped promotion: only {} left); \
             {rest} at the base price",
            best.units, best.units
        )
    } else {
        discount
    };
    Priced {
        base_unit_price: base,
        lines,
        promotion: Some(AppliedPromotion {
            id: best.promotion.id.clone(),
            units: best.units,
            detail,
        }),
    }
}

/// One promotion's offer for this quantity.
struct Candidate<'a> {
    promotion: &'a Promotion,
    unit_price: i64,
    units: u32,
    /// i128: cannot overflow, whatever the prices.
    total: i128,
}

fn candidate<'a>(base: i64, qty: u32, promotion: &'a Promotion) -> Option<Candidate<'a>> {
    let unit_price = promotion.discount.unit_price(base);
    if unit_price >= base {
        return None;
    }
    let units = match promotion.remaining() {
        None => qty,
        Some(left) => u32::try_from(left).unwrap_or(u32::MAX).min(qty),
    };
    if units == 0 {
        return None;
    }
    let total =
        i128::from(unit_price) * i128::from(units) + i128::from(base) * i128::from(qty - units);
    Some(Candidate {
        promotion,
        unit_price,
        units,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promotion::Discount;

    fn promo(id: &str, discount: Discount, max: Option<i64>, claimed: i64) -> Promotion {
        Promotion {
            id: id.into(),
            sku: "S".into(),
            discount,
            starts_at_ms: 0,
            ends_at_ms: 10,
            max_units: max,
            claimed_units: claimed,
        }
    }

    #[test]
    fn no_promotion_is_the_base_price() {
        let p = price(999, 3, &[]);
        assert_eq!(
            p.lines,
            vec![Line {
                units: 3,
                unit_price: 999
            }]
        );
        assert_eq!(p.unit_price(), 999);
        assert_eq!(p.total(), Some(2997));
        assert_eq!(p.promotion, None);
    }

    #[test]
    fn a_percent_promotion_prices_every_unit() {
        let p = price(999, 3, &[promo("a", Discount::PercentOff(15), None, 0)]);
        assert_eq!(p.unit_price(), 849);
        assert_eq!(p.total(), Some(2547));
        let applied = p.promotion.unwrap();
        assert_eq!(applied.id, "a");
        assert_eq!(applied.units, 3);
        assert_eq!(applied.detail, "15% off");
    }

    #[test]
    fn the_lowest_price_wins() {
        let promos = [
            promo("a", Discount::PercentOff(10), None, 0),
            promo("b", Discount::FixedPrice(700), None, 0),
            promo("c", Discount::PercentOff(25), None, 0),
        ];
        let p = price(1000, 2, &promos);
        assert_eq!(p.promotion.as_ref().unwrap().id, "b");
        assert_eq!(p.unit_price(), 700);
        assert_eq!(p.total(), Some(1400));
        // Order of the input does not matter.
        let reversed: Vec<_> = promos.iter().rev().cloned().collect();
        assert_eq!(price(1000, 2, &reversed), p);
    }

    #[test]
    fn the_lowest_total_wins_over_a_deeper_capped_cut() {
        // 50% off but only 1 unit left: 500 + 9 * 1000 = 9500;
        // 20% off on all 10: 8000. The lower total wins.
        let promos = [
            promo("deep", Discount::PercentOff(50), Some(5), 4),
            promo("wide", Discount::PercentOff(20), None, 0),
        ];
        let p = price(1000, 10, &promos);
        assert_eq!(p.promotion.as_ref().unwrap().id, "wide");
        assert_eq!(p.total(), Some(8000));
        // For one unit the deep cut is better.
        let p = price(1000, 1, &promos);
        assert_eq!(p.promotion.as_ref().unwrap().id, "deep");
        assert_eq!(p.total(), Some(500));
    }

    #[test]
    fn ties_go_to_the_smaller_id() {
        let promos = [
            promo("z", Discount::PercentOff(50), None, 0),
            promo("m", Discount::FixedPrice(500), None, 0),
        ];
        assert_eq!(price(1000, 1, &promos).promotion.unwrap().id, "m");
    }

    #[test]
    fn a_promotion_that_does_not_lower_the_price_is_not_applied() {
        let p = price(999, 1, &[promo("a", Discount::FixedPrice(999), None, 0)]);
        assert_eq!(p.promotion, None);
        assert_eq!(p.total(), Some(999));
        let p = price(0, 1, &[promo("a", Discount::PercentOff(50), None, 0)]);
        assert_eq!(p.promotion, None, "nothing to discount on a free item");
    }

    #[test]
    fn a_capped_promotion_splits_the_quantity() {
        // Cap 10, 7 claimed: 3 left. Asking for 5: 3 at 849, 2 at 999.
        let p = price(
            999,
            5,
            &[promo("cap", Discount::PercentOff(15), Some(10), 7)],
        );
        assert_eq!(
            p.lines,
            vec![
                Line {
                    units: 3,
                    unit_price: 849
                },
                Line {
                    units: 2,
                    unit_price: 999
                }
            ]
        );
        assert_eq!(p.unit_price(), 849);
        assert_eq!(p.total(), Some(3 * 849 + 2 * 999));
        let applied = p.promotion.unwrap();
        assert_eq!(applied.units, 3);
        assert_eq!(
            applied.detail,
            "15% off on 3 of 5 units (capped promotion: only 3 left); 2 at the base price"
        );
    }

    #[test]
    fn a_cap_with_enough_left_covers_everything() {
        let p = price(
            999,
            3,
            &[promo("cap", Discount::PercentOff(15), Some(10), 7)],
        );
        assert_eq!(
            p.lines,
            vec![Line {
                units: 3,
                unit_price: 849
            }]
        );
        assert_eq!(p.promotion.unwrap().detail, "15% off");
    }

    #[test]
    fn a_sold_out_cap_is_not_applied() {
        let p = price(
            999,
            2,
            &[promo("cap", Discount::PercentOff(15), Some(10), 10)],
        );
        assert_eq!(p.promotion, None);
        assert_eq!(p.total(), Some(1998));
        // Over-claimed (cannot happen through claim, but never negative).
        let p = price(
            999,
            2,
            &[promo("cap", Discount::PercentOff(15), Some(10), 12)],
        );
        assert_eq!(p.promotion, None);
    }

    #[test]
    fn a_100_percent_promotion_is_free_not_negative() {
        let p = price(
            999,
            4,
            &[promo("free", Discount::PercentOff(100), Some(1), 0)],
        );
        assert_eq!(
            p.lines,
            vec![
                Line {
                    units: 1,
                    unit_price: 0
                },
                Line {
                    units: 3,
                    unit_price: 999
                }
            ]
        );
        assert_eq!(p.total(), Some(2997));
    }
}
