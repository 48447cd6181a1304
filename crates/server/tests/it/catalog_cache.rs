//! The catalog cache against the sandbox, whose faults slow or break Megaport and whose request
//! counters show what reached it: coalescing, cancellation, stale-while-revalidate, serving
//! through an outage, invalidation.

use std::sync::Arc;
use std::time::Duration;

use crate::megaport_sandbox_support::{provider, start, within};
use megaport::{MegaportError, Outcome, Route};
use megaport_sandbox::{Fault, FaultKind, RouteGroup, SandboxHandle};
use onramp_server::catalog::{Catalog, CatalogConfig};
use tokio::time::Instant;

fn slow(sb: &SandboxHandle, route: RouteGroup, ms: u64) {
    sb.control()
        .inject_fault(Fault::new(route, FaultKind::Latency { ms }))
        .expect("fault");
}

fn requests(sb: &SandboxHandle, route: RouteGroup) -> usize {
    sb.control().requests(route)
}

fn short_config() -> CatalogConfig {
    CatalogConfig {
        products_soft_ttl: Duration::from_millis(300),
        products_max_stale: Duration::from_millis(2500),
        load_timeout: Duration::from_secs(5),
        failure_backoff: Duration::from_millis(200),
        ..CatalogConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_cold_reads_cost_one_call_each() {
    let sb = start().await;
    slow(&sb, RouteGroup::Products, 200);
    slow(&sb, RouteGroup::Locations, 200);
    let catalog = Arc::new(Catalog::new(provider(&sb), CatalogConfig::default()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let c = catalog.clone();
        tasks.push(tokio::spawn(async move {
            let p = c.products().await?;
            let l = c.locations().await?;
            Ok::<_, MegaportError>((p.len(), l.len()))
        }));
    }
    let mut sizes = Vec::new();
    for t in tasks {
        sizes.push(within(20, t).await.unwrap().unwrap());
    }
    assert!(sizes[0].0 > 0 && sizes[0].1 > 0, "{:?}", sizes[0]);
    assert!(
        sizes.iter().all(|size| *size == sizes[0]),
        "one answer for all"
    );
    let took = started.elapsed();
    assert_eq!(requests(&sb, RouteGroup::Products), 1);
    assert_eq!(requests(&sb, RouteGroup::Locations), 1);
    assert_eq!(requests(&sb, RouteGroup::Token), 1);
    let m = catalog.client().metrics();
    assert_eq!(m.total(Route::Products), 1);
    assert_eq!(m.total(Route::Locations), 1);
    let s = catalog.stats();
    assert_eq!(s.products.loads, 1);
    assert_eq!(s.products.hits + s.products.misses, 1000);
    eprintln!("1000 cold reads of products+locations took {took:?}; stats {s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_that_time_out_still_cost_one_call_that_fills_the_cache() {
    let sb = start().await;
    slow(&sb, RouteGroup::Products, 600);
    slow(&sb, RouteGroup::Locations, 600);
    let catalog = Arc::new(Catalog::new(provider(&sb), CatalogConfig::default()));
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let c = catalog.clone();
        tasks.push(tokio::spawn(async move {
            let p = tokio::time::timeout(Duration::from_millis(50), c.products()).await;
            let l = tokio::time::timeout(Duration::from_millis(50), c.locations()).await;
            (p.is_err(), l.is_err())
        }));
    }
    let mut timed_out = 0;
    for t in tasks {
        let (p, l) = within(20, t).await.unwrap();
        timed_out += usize::from(p) + usize::from(l);
    }
    assert_eq!(
        timed_out, 2000,
        "every caller's deadline is shorter than the upstream"
    );
    // The one load finishes on its own and fills the cache.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let p = within(5, catalog.products()).await.unwrap();
    let l = within(5, catalog.locations()).await.unwrap();
    assert!(!p.is_empty() && !l.is_empty());
    assert_eq!(requests(&sb, RouteGroup::Products), 1);
    assert_eq!(requests(&sb, RouteGroup::Locations), 1);
    assert_eq!(
        catalog
            .client()
            .metrics()
            .count(Route::Products, Outcome::Ok),
        1
    );
    assert_eq!(catalog.stats().products.hits, 1);
}

#[tokio::test]
async fn stale_reads_trigger_exactly_one_background_refresh() {
    let sb = start().await;
    let catalog = Arc::new(Catalog::new(provider(&sb), short_config()));
    let first = within(5, catalog.products()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    slow(&sb, RouteGroup::Products, 1000);
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let c = catalog.clone();
        tasks.push(tokio::spawn(async move { c.products().await }));
    }
    for t in tasks {
        let served = within(5, t).await.unwrap().unwrap();
        // The refresh takes 1 s; a read that waited for it would get the new list.
        assert!(
            Arc::ptr_eq(&served, &first),
            "a stale read waited for the refresh"
        );
    }
    assert_eq!(catalog.stats().products.stale_hits, 200);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(
        requests(&sb, RouteGroup::Products),
        2,
        "one refresh for 200 stale reads"
    );
    // The refreshed list is what readers get now.
    let now = within(5, catalog.products()).await.unwrap();
    assert!(!Arc::ptr_eq(&now, &first));
}

#[tokio::test]
async fn an_outage_longer_than_the_soft_ttl_still_serves_reads_until_max_stale() {
    let sb = start().await;
    let catalog = Catalog::new(provider(&sb), short_config());
    let first = within(5, catalog.products()).await.unwrap();
    sb.control()
        .inject_fault(Fault::new(
            RouteGroup::Products,
            FaultKind::Status {
                code: 503,
                retry_after: None,
            },
        ))
        .expect("fault");
    let outage = Instant::now();
    // 1.5 s of outage: five soft TTLs.
    while outage.elapsed() < Duration::from_millis(1500) {
        let p = within(5, catalog.products()).await.unwrap();
        assert!(Arc::ptr_eq(&p, &first));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Background refreshes were attempted but bounded by the failure backoff, not the read rate.
    let calls = requests(&sb, RouteGroup::Products);
    assert!(
        (2..=40).contains(&calls),
        "{calls} upstream calls during the outage"
    );
    // Past max-stale, reads fail.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let err = within(10, catalog.products()).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    // Recovery.
    sb.control().clear_faults();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let p = within(5, catalog.products()).await.unwrap();
    assert_eq!(p.len(), first.len());
}

#[tokio::test]
async fn invalidation_forces_a_fresh_load() {
    let sb = start().await;
    let catalog = Catalog::new(provider(&sb), CatalogConfig::default());
    within(5, catalog.products()).await.unwrap();
    within(5, catalog.products()).await.unwrap();
    assert_eq!(requests(&sb, RouteGroup::Products), 1);
    catalog.invalidate_products().await;
    within(5, catalog.products()).await.unwrap();
    assert_eq!(requests(&sb, RouteGroup::Products), 2);
}

#[tokio::test]
async fn invalidation_during_a_load_is_not_undone_by_it() {
    let sb = start().await;
    slow(&sb, RouteGroup::Products, 300);
    let catalog = Arc::new(Catalog::new(provider(&sb), CatalogConfig::default()));
    let c = catalog.clone();
    let early = tokio::spawn(async move { c.products().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    catalog.invalidate_products().await;
    within(5, early).await.unwrap().unwrap();
    // The pre-write load must not be served as fresh now.
    within(5, catalog.products()).await.unwrap();
    assert_eq!(requests(&sb, RouteGroup::Products), 2);
}
