//! The node's memory in `/metrics`: the process's resident memory, the
//! part of it that is anonymous (heap, stacks, instances' dirtied pages),
//! what SQLite holds (its page caches and statements, all databases) and
//! what the services' instance pool keeps resident in slots no instance
//! uses now (the tenant rules' sandbox has a pool of its own).
//! Operators watch these for growth; `scripts/soak` prints them per minute.

use crate::capabilities::sql::sqlite_memory;
use sluice_gateway::Prom;
use wasmtime::Engine;

/// Writes the memory gauges, with the pool of `engine` (the services') if
/// given. The process's lines are left out where `/proc/self/status`
/// cannot be read (not Linux).
pub(super) fn render(prom: &mut Prom, engine: Option<&Engine>) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let pool = engine.and_then(Engine::pooling_allocator_metrics);
    let gauges = [
        (
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            status_bytes(&status, "VmRSS:"),
        ),
        (
            "sluice_anonymous_memory_bytes",
            "Resident anonymous memory in bytes: heap, stacks, instances' dirtied pages.",
            status_bytes(&status, "RssAnon:"),
        ),
        (
            "sluice_sqlite_memory_bytes",
            "Memory SQLite holds in bytes: page caches, statements, connections of every SQLite database.",
            u64::try_from(sqlite_memory::used()).ok(),
        ),
        (
            "sluice_service_pool_idle_resident_bytes",
            "Bytes the services' instance pool keeps resident in memory and table slots no instance uses now.",
            pool.as_ref().map(|pool| {
                (pool.unused_memory_bytes_resident() + pool.unused_table_bytes_resident()) as u64
            }),
        ),
        (
            "sluice_service_pool_warm_memory_slots",
            "Memory slots of the services' instance pool that were used before and are free now.",
            pool.as_ref()
                .map(|pool| u64::from(pool.unused_warm_memories())),
        ),
    ];
    for (name, help, value) in gauges {
        if let Some(value) = value {
            prom.header(name, "gauge", help);
            prom.sample(name, &[], value);
        }
    }
}

/// The `kB` value of the `/proc/self/status` line starting with `field`,
/// in bytes.
fn status_bytes(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix(field))?;
    let kb: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_line_is_read_in_bytes() {
        let status = "Name:\tsluice\nVmRSS:\t  71234 kB\nRssAnon:\t 5 kB\n";
        assert_eq!(status_bytes(status, "VmRSS:"), Some(71234 * 1024));
        assert_eq!(status_bytes(status, "RssAnon:"), Some(5 * 1024));
        assert_eq!(status_bytes(status, "RssFile:"), None);
    }
}
