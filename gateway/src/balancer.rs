//! Load balancing: the order in which a service's instances are offered the
//! next request. Round robin rotates; least outstanding prefers the
//! instance with the fewest requests in flight from this gateway, rotating
//! among equals. The caller takes the first instance whose breaker admits.

use crate::config::BalancerKind;

/// Candidate indices `0..n`, best first, for the `turn`-th request.
pub(crate) fn order(
    kind: BalancerKind,
    n: usize,
    turn: usize,
    outstanding: impl Fn(usize) -> usize,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).map(|i| (turn + i) % n).collect();
    if kind == BalancerKind::LeastOutstanding {
        // Stable: equals keep the rotation.
        order.sort_by_key(|&i| outstanding(i));
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_rotates() {
        let firsts: Vec<_> = (0..4)
            .map(|turn| order(BalancerKind::RoundRobin, 3, turn, |_| 0)[0])
            .collect();
        assert_eq!(firsts, [0, 1, 2, 0]);
        assert_eq!(order(BalancerKind::RoundRobin, 3, 1, |_| 0), [1, 2, 0]);
    }

    #[test]
    fn least_outstanding_prefers_idle_instances() {
        let load = [5, 0, 2];
        let kind = BalancerKind::LeastOutstanding;
        assert_eq!(order(kind, 3, 0, |i| load[i]), [1, 2, 0]);
        let even = |_| 1;
        assert_eq!(order(kind, 3, 2, even), [2, 0, 1], "ties rotate");
    }
}
