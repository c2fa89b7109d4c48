//! Which shard holds a customer's orders, and order ids that say it.
//!
//! A customer lives on shard `jump(fnv1a64(customer_id), count)`:
//! FNV-1a (64-bit) turns the token's subject into a well-mixed integer, and
//! Lamping & Veach's jump consistent hash ("A Fast, Minimal Memory,
//! Consistent Hash Algorithm", 2014) maps it to a shard in `0..count`. Jump
//! hash needs no table and moves the fewest keys when shards are added:
//! going from `n` to `n + 1` shards re-homes only about `1/(n + 1)` of the
//! customers, all of them onto the new shard. It cannot remove a shard from
//! the middle; the host fixes `count` while it runs.
//!
//! An order id is `{shard}-{32 random hex}`: a read by id goes straight to
//! its shard (admins reading other customers' orders need no lookup), and
//! the random part (128 bits) cannot be guessed.

use sluice_kit::ids;

/// FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Lamping & Veach's jump consistent hash: the bucket of `key` among
/// `buckets` (0 when `buckets` is 0).
pub fn jump(mut key: u64, buckets: u32) -> u32 {
    let (mut bucket, mut next) = (-1i64, 0i64);
    while next < i64::from(buckets) {
        bucket = next;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        next = ((bucket + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    bucket.max(0) as u32
}

/// The shard of `customer` among `count` shards.
pub fn shard_of(customer: &str, count: u32) -> u32 {
    jump(fnv1a64(customer.as_bytes()), count)
}

/// A new order id on `shard`.
pub fn new_order_id(shard: u32) -> Result<String, ids::RandomError> {
    Ok(format!("{shard}-{}", ids::random_hex(16)?))
}

/// The shard an order id names, if the id has the form of one and the
/// shard exists (`< count`).
pub fn shard_of_order(id: &str, count: u32) -> Option<u32> {
    let (shard, random) = id.split_once('-')?;
    let number: u32 = shard.parse().ok()?;
    (number.to_string() == shard && number < count && ids::is_lower_hex(random, 32))
        .then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn jump_matches_the_reference_vectors() {
        // The published test vectors of the paper's C++ algorithm.
        assert_eq!(jump(1, 1), 0);
        assert_eq!(jump(42, 57), 43);
        assert_eq!(jump(0xDEAD_10CC, 1), 0);
        assert_eq!(jump(0xDEAD_10CC, 666), 361);
        assert_eq!(jump(256, 1024), 520);
        assert_eq!(jump(7, 0), 0);
    }

    #[test]
    fn customers_stay_put_unless_they_move_to_the_new_shard() {
        for i in 0..2000 {
            let key = fnv1a64(format!("customer-{i}").as_bytes());
            for n in 1..16 {
                let (before, after) = (jump(key, n), jump(key, n + 1));
                assert!(before < n);
                assert!(
                    after == before || after == n,
                    "key {i}: {before} -> {after} at {n}"
                );
            }
        }
    }

    #[test]
    fn a_customers_shard_is_stable() {
        // Pinned: a change here re-homes every customer's orders.
        assert_eq!(shard_of("cust-1", 1), 0);
        let pinned: Vec<u32> = ["cust-1", "cust-2", "admin-1", "u-42"]
            .iter()
            .map(|c| shard_of(c, 4))
            .collect();
        assert_eq!(pinned, [0, 1, 2, 3]);
    }

    #[test]
    fn customers_spread_evenly() {
        let shards = 8;
        let mut counts = vec![0u32; shards as usize];
        for i in 0..16_000 {
            counts[shard_of(&format!("account-{i}"), shards) as usize] += 1;
        }
        // 2000 expected per shard; allow +-10%.
        for (shard, n) in counts.iter().enumerate() {
            assert!((1800..=2200).contains(n), "shard {shard}: {n} ({counts:?})");
        }
    }

    #[test]
    fn order_ids_name_their_shard() {
        let id = new_order_id(3).unwrap();
        assert!(id.starts_with("3-") && id.len() == 34, "{id}");
        assert_eq!(shard_of_order(&id, 4), Some(3));
        assert_eq!(shard_of_order(&id, 3), None, "shard out of range");
        let hex = "0123456789abcdef0123456789abcdef";
        for bad in [
            "",
            "3",
            "3-",
            "-abc",
            &format!("03-{hex}"),
            &format!("+3-{hex}"),
            &format!("3-{}", hex.to_uppercase()),
            &format!("3-{hex}0"),
            &format!("x-{hex}"),
        ] {
            assert_eq!(shard_of_order(bad, 4), None, "{bad:?}");
        }
        assert_eq!(shard_of_order(&format!("0-{hex}"), 1), Some(0));
    }
}
