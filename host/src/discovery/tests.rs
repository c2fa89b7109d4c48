//! The embedded and static backends, configuration, and the gateway
//! resolver over discovery.

use super::*;
use sluice_gateway::Resolver;

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[tokio::test]
async fn embedded_registers_and_deregisters() {
    let discovery = EmbeddedDiscovery::new();
    let a = Registration::new("catalog", addr(1));
    let b = Registration::new("catalog", addr(2));
    discovery.register(&a).await.unwrap();
    discovery.register(&b).await.unwrap();
    discovery.register(&b).await.unwrap();
    assert_eq!(
        discovery.instances("catalog").await.unwrap(),
        [addr(1), addr(2)]
    );
    discovery.deregister(&a).await.unwrap();
    discovery.deregister(&a).await.unwrap();
    assert_eq!(discovery.cached("catalog"), [addr(2)]);
    assert!(discovery.cached("order").is_empty());
}

#[tokio::test]
async fn static_serves_its_table_whatever_is_registered() {
    let table = [("catalog".to_owned(), vec![addr(7)])].into();
    let discovery = StaticDiscovery::new(table);
    discovery
        .register(&Registration::new("catalog", addr(8)))
        .await
        .unwrap();
    assert_eq!(discovery.instances("catalog").await.unwrap(), [addr(7)]);
    assert!(discovery.cached("pricing").is_empty());
}

#[tokio::test]
async fn the_resolver_reads_discovery_without_waiting() {
    let discovery: Arc<dyn Discovery> = Arc::new(EmbeddedDiscovery::new());
    let resolver = DiscoveryResolver::new(Arc::clone(&discovery), ["catalog", "order"]).await;
    assert!(resolver.instances("catalog").is_empty());
    discovery
        .register(&Registration::new("catalog", addr(3)))
        .await
        .unwrap();
    assert_eq!(resolver.instances("catalog"), [addr(3)]);
}

#[test]
fn configuration_selects_a_backend() {
    let config: DiscoveryConfig = toml::from_str(
        r#"
        backend = "static"
        [services]
        catalog = ["10.0.0.2:8082", "10.0.0.3:8082"]
        "#,
    )
    .unwrap();
    assert_eq!(config.backend, DiscoveryBackend::Static);
    let discovery = build(&config).unwrap();
    assert_eq!(discovery.cached("catalog").len(), 2);

    let consul: DiscoveryConfig = toml::from_str(
        r#"
        backend = "consul"
        [consul]
        address = "http://consul:8500"
        token = "secret"
        check_interval = "5s"
        "#,
    )
    .unwrap();
    assert_eq!(consul.consul.check_interval, "5s");
    assert_eq!(consul.consul.wait_secs, 55, "defaults kept");
    assert!(build(&consul).is_ok());

    assert_eq!(
        DiscoveryConfig::default().backend,
        DiscoveryBackend::Embedded
    );
    assert!(toml::from_str::<DiscoveryConfig>("backend = \"zookeeper\"").is_err());
    assert!(toml::from_str::<DiscoveryConfig>("colour = 1").is_err());
    let bad = DiscoveryConfig {
        backend: DiscoveryBackend::Consul,
        consul: ConsulConfig {
            address: "not a url".into(),
            ..ConsulConfig::default()
        },
        ..DiscoveryConfig::default()
    };
    assert!(build(&bad).is_err());
}
