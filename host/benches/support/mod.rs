//! Shared by the benchmarks: a node running some services, on free ports,
//! with its data in `dir`.

use sluice::config::Config;
use sluice::node::{Node, NodeOptions, start};
use std::path::Path;

pub async fn node(services: &[&str], dir: &Path) -> Node {
    let mut config = Config {
        data_dir: dir.to_path_buf(),
        front_door_threads: 1,
        admin_addr: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    for service in services {
        config.service_mut(service).listen = Some("127.0.0.1:0".parse().unwrap());
    }
    let options = NodeOptions {
        services: services.iter().map(|s| s.to_string()).collect(),
        gateway: false,
        admin: None,
        standalone: true,
    };
    start(config, options).await.unwrap()
}
