//! The catalog cache against the real sandbox: one upstream call per cold key whatever the
//! concurrency or the callers' deadlines, and stale reads through an outage.

use std::sync::Arc;
use std::time::Duration;

use crate::megaport_sandbox_support::{provider, start, within};
use megaport::{MegaportError, Outcome, Route};
use megaport_sandbox::{Fault, FaultKind, RouteGroup};
use onramp_server::catalog::{Catalog, CatalogConfig};
use tokio::time::Instant;

fn latency(group: RouteGroup, ms: u64) -> Fault {
    Fault::new(group, FaultKind::Latency { ms })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_cold_reads_cost_one_products_and_one_locations_call() {
    let sb = start().await;
    sb.control()
        .inject_fault(latency(RouteGroup::Products, 200))
        .unwrap();
    sb.control()
        .inject_fault(latency(RouteGroup::Locations, 200))
        .unwrap();
    let catalog = Arc::new(Catalog::new(provider(&sb), CatalogConfig::default()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let c = catalog.clone();
        tasks.push(tokio::spawn(async move {
            let p = c.products().await?;
            let l = c.locations().await?;
            Ok::<_, MegaportError>(!p.is_empty() && !l.is_empty())
        }));
    }
    for t in tasks {
        assert!(within(30, t).await.unwrap().unwrap());
    }
    let took = started.elapsed();
    let m = catalog.client().metrics();
    assert_eq!(m.total(Route::Products), 1);
    assert_eq!(m.total(Route::Locations), 1);
    let fired: Vec<u32> = sb.control().faults().iter().map(|f| f.fired).collect();
    assert_eq!(fired, vec![1, 1], "the sandbox saw one request per route");
    eprintln!(
        "1000 cold reads against the sandbox took {took:?}; {:?}",
        catalog.stats()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_shorter_than_the_upstream_still_cost_one_call_that_fills_the_cache() {
    let sb = start().await;
    sb.control()
        .inject_fault(latency(RouteGroup::Products, 600))
        .unwrap();
    sb.control()
        .inject_fault(latency(RouteGroup::Locations, 600))
        .unwrap();
    let catalog = Arc::new(Catalog::new(provider(&sb), CatalogConfig::default()));
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let c = catalog.clone();
        tasks.push(tokio::spawn(async move {
            let p = tokio::time::timeout(Duration::from_millis(50), c.products()).await;
            let l = tokio::time::timeout(Duration::from_millis(50), c.locations()).await;
            usize::from(p.is_err()) + usize::from(l.is_err())
        }));
    }
    let mut timed_out = 0;
    for t in tasks {
        timed_out += within(30, t).await.unwrap();
    }
    assert_eq!(timed_out, 2000);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    within(5, catalog.products()).await.unwrap();
    within(5, catalog.locations()).await.unwrap();
    let m = catalog.client().metrics();
    assert_eq!(m.count(Route::Products, Outcome::Ok), 1);
    assert_eq!(m.total(Route::Products), 1);
    assert_eq!(m.total(Route::Locations), 1);
    assert_eq!(
        catalog.stats().products.hits,
        1,
        "the late read was a cache hit"
    );
}

#[tokio::test]
async fn an_outage_longer_than_the_soft_ttl_still_serves_reads() {
    let sb = start().await;
    let config = CatalogConfig {
        products_soft_ttl: Duration::from_millis(300),
        products_max_stale: Duration::from_millis(2500),
        failure_backoff: Duration::from_millis(200),
        ..CatalogConfig::default()
    };
    let catalog = Catalog::new(provider(&sb), config);
    let first = within(5, catalog.products()).await.unwrap();
    sb.control()
        .inject_fault(Fault::new(
            RouteGroup::Products,
            FaultKind::Status { code: 503 },
        ))
        .unwrap();
    let outage = Instant::now();
    let mut reads = 0;
    while outage.elapsed() < Duration::from_millis(1500) {
        let p = within(5, catalog.products()).await.unwrap();
        assert!(Arc::ptr_eq(&p, &first));
        reads += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let s = catalog.stats().products;
    assert!(s.stale_hits > 0 && s.load_failures > 0, "{s:?}");
    eprintln!("{reads} reads served during a 1.5 s outage; {s:?}");
    // Beyond max-stale the outage shows.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let err = within(10, catalog.products()).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    sb.control().clear_faults();
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(!within(5, catalog.products()).await.unwrap().is_empty());
}
