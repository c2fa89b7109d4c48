//! The pricing component through the host, without the gateway: its typed
//! `quote` export (quote, claim, unclaim) called by the real engine, against
//! SQLite, PostgreSQL and MariaDB, and its REST API on its own port.

use serde_json::{Value as Json, json};
use sluice::bindings::quote::{self, ClaimError, ClaimLine};
use sluice::capabilities::sql::{Dialect, Value, testdb};
use sluice::config::Config;
use sluice::node::{self, Node, NodeOptions};
use sluice::service::Service;
use std::sync::Arc;

const HOUR_MS: i64 = 3_600_000;

/// The catalogue's seed data, which pricing's base prices come from.
const PRODUCTS: &str = include_str!("../../components/catalog/seed/products.json");

/// The first seeded product: (sku, base price, currency).
fn seeded() -> (String, i64, String) {
    let products: Json = serde_json::from_str(PRODUCTS).unwrap();
    let first = &products.as_array().expect("an array of products")[0];
    (
        first["sku"].as_str().unwrap().to_string(),
        first["base_price"].as_i64().unwrap(),
        first["currency"].as_str().unwrap().to_string(),
    )
}

/// A node running only pricing, on a free port, with `database` (default:
/// SQLite in a temp dir).
struct Pricing {
    node: Option<Node>,
    service: Arc<Service>,
    url: String,
    admin: String,
    client: reqwest::Client,
    _data: tempfile::TempDir,
}

impl Pricing {
    async fn start(database: Option<String>) -> Pricing {
        let data = tempfile::tempdir().unwrap();
        let mut config = Config {
            data_dir: data.path().to_path_buf(),
            admin_addr: "127.0.0.1:0".parse().unwrap(),
            ..Config::default()
        };
        let service = config.service_mut("pricing");
        service.listen = Some("127.0.0.1:0".parse().unwrap());
        service.database = database;
        // Base prices come from catalog's product lookup.
        config.service_mut("catalog").listen = Some("127.0.0.1:0".parse().unwrap());
        let node = node::start(
            config,
            NodeOptions {
                services: vec!["catalog".into(), "pricing".into()],
                gateway: false,
                admin: None,
                standalone: true,
            },
        )
        .await
        .expect("starting pricing");
        let service = node.services["pricing"].clone();
        let url = format!("http://{}", node.service_addrs["pricing"]);
        let admin = service
            .caps
            .token
            .keys
            .issue("op", "admin", "default")
            .token;
        Pricing {
            node: Some(node),
            service,
            url,
            admin,
            client: reqwest::Client::new(),
            _data: data,
        }
    }

    async fn stop(mut self) {
        self.node.take().unwrap().shutdown().await.unwrap();
    }

    /// Creates a promotion through the REST API; returns its id.
    async fn create_promotion(&self, body: Json) -> String {
        let reply = self
            .client
            .post(format!("{}/api/promotions", self.url))
            .bearer_auth(&self.admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 201);
        let created: Json = reply.json().await.unwrap();
        created["id"].as_str().unwrap().to_string()
    }

    async fn get(&self, path: &str) -> Json {
        let reply = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        reply.json().await.unwrap()
    }

    async fn quote(&self, sku: &str, qty: u32, tenant: &str) -> Result<quote::Price, quote::Error> {
        call_quote(self.service.clone(), sku.into(), qty, tenant.into()).await
    }

    async fn claim(&self, claim_id: &str, lines: &[(&str, u32)]) -> Result<(), ClaimError> {
        let lines = lines
            .iter()
            .map(|(id, units)| ClaimLine {
                promotion_id: id.to_string(),
                units: *units,
            })
            .collect();
        call_claim(self.service.clone(), claim_id.into(), lines).await
    }

    async fn unclaim(&self, claim_id: &str) -> Result<(), ClaimError> {
        let (version, mut store, instance) = self.service.instantiate().await.unwrap();
        let guest = quote::GuestIndices::new(&version.pre)
            .unwrap()
            .load(&mut store, &instance)
            .unwrap();
        let claim_id = claim_id.to_string();
        store
            .run_concurrent(async move |accessor| guest.call_unclaim(accessor, claim_id).await)
            .await
            .unwrap()
            .unwrap()
    }

    /// `claimed_units` of a promotion, read from the database itself.
    async fn claimed_units(&self, id: &str) -> i64 {
        let db = self.service.caps.sql.db.clone().unwrap();
        let rows = db
            .query(
                "SELECT claimed_units FROM promotions WHERE id = ?".into(),
                vec![Value::Text(id.into())],
            )
            .await
            .unwrap();
        match &rows.rows[0][0] {
            Value::Integer(n) => *n,
            other => panic!("{other:?}"),
        }
    }
}

/// One fresh instance, one `quote` call.
async fn call_quote(
    service: Arc<Service>,
    sku: String,
    qty: u32,
    tenant: String,
) -> Result<quote::Price, quote::Error> {
    let (version, mut store, instance) = service.instantiate().await.unwrap();
    let guest = quote::GuestIndices::new(&version.pre)
        .expect("pricing exports sluice:platform/quote")
        .load(&mut store, &instance)
        .unwrap();
    store
        .run_concurrent(async move |accessor| {
            guest
                .call_quote(accessor, sku, qty, tenant, Vec::new())
                .await
        })
        .await
        .unwrap()
        .unwrap()
}

/// One fresh instance, one `claim` call.
async fn call_claim(
    service: Arc<Service>,
    claim_id: String,
    lines: Vec<ClaimLine>,
) -> Result<(), ClaimError> {
    let (version, mut store, instance) = service.instantiate().await.unwrap();
    let guest = quote::GuestIndices::new(&version.pre)
        .unwrap()
        .load(&mut store, &instance)
        .unwrap();
    store
        .run_concurrent(async move |accessor| guest.call_claim(accessor, claim_id, lines).await)
        .await
        .unwrap()
        .unwrap()
}

/// RFC 3339 for now (host clock) plus `delta_ms`, through the component's
/// own view of time: computed from the system clock (no offset configured).
fn at(delta_ms: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let secs = (now + delta_ms) / 1000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-from-epoch to (year, month, day).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quote_through_the_export() {
    let pricing = Pricing::start(None).await;
    let (sku, base, currency) = seeded();

    let q = pricing.quote(&sku, 3, "").await.unwrap();
    assert_eq!(q.sku, sku);
    assert_eq!((q.qty, q.tenant.as_str()), (3, "default"));
    assert_eq!(q.currency, currency);
    assert_eq!(
        (q.base_unit_price, q.unit_price, q.total),
        (base, base, 3 * base)
    );
    assert!(q.applied.is_empty());
    assert_eq!(q.rule_error, None);

    let id = pricing
        .create_promotion(json!({
            "sku": sku, "percent_off": 15, "max_units": 2,
            "starts_at": at(-HOUR_MS), "ends_at": at(HOUR_MS),
        }))
        .await;
    let q = pricing.quote(&sku, 3, "acme").await.unwrap();
    let promo = (base * 85 + 50) / 100;
    assert_eq!(q.tenant, "acme");
    assert_eq!(q.unit_price, promo);
    assert_eq!(q.total, 2 * promo + base, "2 capped units, 1 at base");
    assert_eq!(q.applied.len(), 1);
    let applied = &q.applied[0];
    assert_eq!(applied.kind, quote::AdjustmentKind::Promotion);
    assert_eq!(applied.id.as_deref(), Some(id.as_str()));
    assert_eq!(applied.units, 2);
    assert!(
        applied.detail.contains("2 of 3 units"),
        "{}",
        applied.detail
    );

    // The REST quote (anonymous: tenant default, which has no rule, as
    // acme has none) agrees with the typed one.
    let rest = pricing.get(&format!("/api/prices/{sku}?qty=3")).await;
    assert_eq!(rest["total"], q.total);
    assert_eq!(rest["applied"][0]["id"], id.as_str());

    assert!(matches!(
        pricing.quote("NO-SUCH-SKU", 1, "").await,
        Err(quote::Error::UnknownSku(s)) if s == "NO-SUCH-SKU"
    ));
    assert!(matches!(
        pricing.quote(&sku, 0, "").await,
        Err(quote::Error::InvalidQuantity(0))
    ));
    assert!(matches!(
        pricing.quote(&sku, 1001, "").await,
        Err(quote::Error::InvalidQuantity(1001))
    ));
    assert!(matches!(
        pricing.quote(&sku, 1, "Not A Tenant").await,
        Err(quote::Error::InvalidTenant(_))
    ));
    pricing.stop().await;
}

/// Fires 100 one-unit claims at once at a promotion capped at 10.
async fn concurrent_claims_respect_the_cap(database: Option<String>) {
    let pricing = Pricing::start(database).await;
    let (sku, base, _) = seeded();
    let id = pricing
        .create_promotion(json!({
            "sku": sku, "fixed_price": base / 2, "max_units": 10,
            "starts_at": at(-HOUR_MS), "ends_at": at(HOUR_MS),
        }))
        .await;

    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let service = pricing.service.clone();
            let lines = vec![ClaimLine {
                promotion_id: id.clone(),
                units: 1,
            }];
            tokio::spawn(call_claim(service, format!("order-{i}"), lines))
        })
        .collect();
    let mut won = 0;
    let mut insufficient = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(ClaimError::Insufficient((promotion, left))) => {
                assert_eq!(promotion, id);
                assert!(left < 1, "only refused when nothing is left: {left}");
                insufficient += 1;
            }
            Err(other) => panic!("unexpected claim error: {other:?}"),
        }
    }
    assert_eq!(won, 10, "exactly the cap's worth of claims succeed");
    assert_eq!(insufficient, 90);
    assert_eq!(pricing.claimed_units(&id).await, 10);

    // Sold out: the quote is at the base price, the listing says 0 left.
    let q = pricing.quote(&sku, 1, "").await.unwrap();
    assert!(q.applied.is_empty());
    assert_eq!(q.total, base);
    let listed = pricing.get(&format!("/api/promotions/{id}")).await;
    assert_eq!(listed["remaining_units"], 0);

    // A winner's compensation frees its unit for someone else, once.
    let db = pricing.service.caps.sql.db.clone().unwrap();
    let rows = db
        .query(
            "SELECT claim_id FROM promotion_claims WHERE released_at IS NULL ORDER BY claim_id"
                .into(),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(rows.rows.len(), 10);
    // MariaDB hands back binary-collated VARCHARs as bytes.
    let winner_id = match &rows.rows[0][0] {
        Value::Text(s) => s.clone(),
        Value::Blob(b) => String::from_utf8(b.clone()).unwrap(),
        other => panic!("{other:?}"),
    };
    let winner_id = winner_id.as_str();
    pricing.unclaim(winner_id).await.unwrap();
    pricing.unclaim(winner_id).await.unwrap();
    assert_eq!(pricing.claimed_units(&id).await, 9, "unclaim is idempotent");
    let q = pricing.quote(&sku, 2, "").await.unwrap();
    assert_eq!(q.applied[0].units, 1);
    assert_eq!(q.total, base / 2 + base);
    pricing.claim("late", &[(&id, 1)]).await.unwrap();
    assert!(matches!(
        pricing.claim("later", &[(&id, 1)]).await,
        Err(ClaimError::Insufficient(_))
    ));
    assert!(matches!(
        pricing.claim(winner_id, &[(&id, 1)]).await,
        Err(ClaimError::Conflict(_))
    ));
    assert_eq!(pricing.claimed_units(&id).await, 10);
    pricing.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_on_sqlite() {
    concurrent_claims_respect_the_cap(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_on_postgres() {
    let (url, _guard) = testdb::fresh_database(Dialect::Postgres).await.unwrap();
    concurrent_claims_respect_the_cap(Some(url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_on_mariadb() {
    let (url, _guard) = testdb::fresh_database(Dialect::Mysql).await.unwrap();
    concurrent_claims_respect_the_cap(Some(url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_follow_the_host_clock_and_unclaim_is_idempotent() {
    let pricing = Pricing::start(None).await;
    let (sku, _, _) = seeded();
    let id = pricing
        .create_promotion(json!({
            "sku": sku, "percent_off": 50,
            "starts_at": at(HOUR_MS), "ends_at": at(2 * HOUR_MS),
        }))
        .await;
    assert!(matches!(
        pricing.claim("o-1", &[(&id, 1)]).await,
        Err(ClaimError::NotActive(p)) if p == id
    ));
    assert!(pricing.quote(&sku, 1, "").await.unwrap().applied.is_empty());

    // Ninety minutes later by the host clock: active, claimable, applied.
    pricing.service.caps.clock.set_offset(90 * 60_000);
    assert_eq!(pricing.quote(&sku, 1, "").await.unwrap().applied.len(), 1);
    pricing.claim("o-1", &[(&id, 2)]).await.unwrap();
    pricing.claim("o-1", &[(&id, 2)]).await.unwrap();
    assert_eq!(
        pricing.claimed_units(&id).await,
        2,
        "a retried claim counts once"
    );
    pricing.unclaim("o-1").await.unwrap();
    pricing.unclaim("o-1").await.unwrap();
    pricing.unclaim("never-seen").await.unwrap();
    assert_eq!(pricing.claimed_units(&id).await, 0);
    assert!(matches!(
        pricing.claim("o-2", &[("no-such-promotion", 1)]).await,
        Err(ClaimError::UnknownPromotion(_))
    ));
    assert!(matches!(
        pricing.claim("", &[(&id, 1)]).await,
        Err(ClaimError::Invalid(_))
    ));

    // After its end: not active any more.
    pricing.service.caps.clock.set_offset(3 * HOUR_MS);
    assert!(matches!(
        pricing.claim("o-3", &[(&id, 1)]).await,
        Err(ClaimError::NotActive(_))
    ));
    pricing.stop().await;
}
