//! onramp's Megaport request budget through gRPC: with the key watcher alone wanting far more
//! than the budget, background work stops at its share, an interactive read that finds no
//! share left fails at once with UNAVAILABLE and RetryInfo, and a buy still reaches Megaport
//! without waiting.

use std::time::Duration;

use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{CreateVxcOrderRequest, GetServiceKeyRequest};
use onramp_server::config::BudgetSettings;
use tokio::time::Instant;
use tonic::Code;
use tonic_types::StatusExt;

use crate::support::http::{get, sample};
use crate::support::orders::*;
use crate::support::{SandboxedServer, reason, within};

async fn scrape(env: &SandboxedServer, name: &str, labels: &[(&str, &str)]) -> f64 {
    let admin = env.server.admin_addr.expect("admin listener");
    let (status, body) = get(admin, "/metrics").await;
    assert_eq!(status, 200);
    sample(&body, name, labels).unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buy_reaches_megaport_while_background_work_saturates_the_budget() {
    let mut config = orders_config();
    // The key watcher alone would send 50 requests a second.
    config.watch.poll_interval_millis = 20;
    config.megaport.budget = BudgetSettings {
        requests: 60,
        window_seconds: 300,
        write_reserve: 20,
        interactive_reserve: 15,
        ..BudgetSettings::default()
    };
    let env = SandboxedServer::start_with(fast_sandbox(), config).await;
    let key = guide_key(&env.sandbox, LA2_RED, 3001).await;

    // Background work stops at its share (60 - 20 - 15 = 25) and is refused beyond it.
    within(async {
        while scrape(
            &env,
            "onramp_megaport_budget_throttled_total",
            &[("priority", "background")],
        )
        .await
            == 0.0
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let used = scrape(&env, "onramp_megaport_budget_used", &[]).await;
    assert!(
        used <= 60.0 - 20.0,
        "background and interactive stay out of the writes' reserve: {used}"
    );

    // Interactive reads (keys the watcher has not seen) use what is left, then fail at once.
    let mut keys = ServiceKeyServiceClient::new(env.server.channel.clone());
    let refused = within(async {
        loop {
            let started = Instant::now();
            match keys
                .get_service_key(GetServiceKeyRequest {
                    key: uuid::Uuid::new_v4().to_string(),
                })
                .await
            {
                Err(status) if status.code() == Code::Unavailable => {
                    return (status, started.elapsed());
                }
                Err(status) => assert_eq!(status.code(), Code::NotFound, "{status:?}"),
                Ok(found) => panic!("a random key was found: {found:?}"),
            }
        }
    })
    .await;
    let (status, took) = refused;
    assert_eq!(reason(&status), "UPSTREAM_RATE_LIMITED", "{status:?}");
    assert!(
        took < Duration::from_millis(500),
        "refused at once, in {took:?}"
    );
    let retry = status
        .get_error_details()
        .retry_info()
        .and_then(|info| info.retry_delay)
        .expect("retry info");
    assert!(
        retry > Duration::ZERO && retry <= Duration::from_secs(300),
        "{retry:?}"
    );

    // The writes' reserve is intact: the buy and the reads it needs go through now.
    let buys_before = env.sandbox.control().orders().len();
    let started = Instant::now();
    let order = within(
        VxcOrderServiceClient::new(env.server.channel.clone()).create_vxc_order(
            CreateVxcOrderRequest {
                account: "acme".into(),
                spec: Some(spec(&key, "budget", 100)),
                request_id: request_id(),
            },
        ),
    )
    .await
    .expect("the buy goes through")
    .into_inner();
    assert!(order.order.is_some());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no wait: {:?}",
        started.elapsed()
    );
    assert_eq!(env.sandbox.control().orders().len(), buys_before + 1);
    assert_eq!(
        env.sandbox.control().refused_by_limits(),
        0,
        "Megaport never said 429"
    );
    assert!(scrape(&env, "onramp_megaport_budget_used", &[]).await <= 60.0);
}
