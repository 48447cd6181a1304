//! The request budget against the sandbox: what it refuses is never sent, writes keep their
//! share while background work uses all of its own, and a 429 pauses every client of the
//! egress.

use std::sync::Arc;
use std::time::Duration;

use crate::client::{Observed, PROVIDER_PORT, fault};
use crate::sandbox_support::{
    CUSTOMER_ID, CUSTOMER_SECRET, PROVIDER_ID, PROVIDER_SECRET, config, deadline, start, within,
};
use megaport::budget::with_priority;
use megaport::models::CreateServiceKeyRequest;
use megaport::{Budget, BudgetConfig, MegaportClient, MegaportError, Priority};
use megaport_sandbox::{FaultKind, RouteGroup, SandboxHandle};

/// 10 requests per minute: 2 kept for writes, 3 more from background work.
fn small_budget() -> Arc<Budget> {
    Arc::new(Budget::new(BudgetConfig {
        requests: 10,
        window: Duration::from_secs(60),
        write_reserve: 2,
        interactive_reserve: 3,
        ..BudgetConfig::default()
    }))
}

fn client(sb: &SandboxHandle, id: &str, secret: &str, budget: &Arc<Budget>) -> MegaportClient {
    MegaportClient::new(megaport::ClientConfig {
        budget: budget.clone(),
        ..config(sb, id, secret)
    })
    .expect("client")
}

fn rate_limited(error: MegaportError) -> (Option<Duration>, String) {
    match error {
        MegaportError::RateLimited {
            retry_after,
            detail,
        } => (retry_after, detail.message),
        other => panic!("expected rate limited, got {other:?}"),
    }
}

#[tokio::test]
async fn writes_keep_their_share_while_background_work_uses_all_of_its_own() {
    let sb = start().await;
    let budget = small_budget();
    let provider = client(&sb, PROVIDER_ID, PROVIDER_SECRET, &budget);
    let observed = Arc::new(Observed::default());
    provider.metrics().observe_with(observed.clone());
    // Background work gets 5 of the 10; a sixth would wait a minute, past its deadline.
    for _ in 0..5 {
        within(
            5,
            with_priority(
                Priority::Background,
                provider.list_products::<megaport::models::Vxc>(None, deadline(2000)),
            ),
        )
        .await
        .expect("within the background share");
    }
    let products_sent = sb.control().requests(RouteGroup::Products);
    let (retry_after, message) = rate_limited(
        within(
            5,
            with_priority(
                Priority::Background,
                provider.list_products::<megaport::models::Vxc>(None, deadline(2000)),
            ),
        )
        .await
        .expect_err("background share used up"),
    );
    // Refused, not queued: the window frees a request only past the call's 2 s deadline, and
    // nothing was sent. (That the refusal comes at once, without waiting, is the budget's
    // paused-clock unit test `background_waits_for_the_window_and_interactive_does_not`.)
    assert_eq!(
        sb.control().requests(RouteGroup::Products),
        products_sent,
        "the refused read was not sent"
    );
    assert!(
        retry_after.is_some_and(|wait| wait > Duration::from_secs(50)),
        "{retry_after:?}"
    );
    assert!(
        message.contains("products was not sent (background priority)"),
        "{message}"
    );
    // Interactive reads get 3 more, then fail at once.
    for _ in 0..3 {
        within(
            5,
            provider.get_product::<megaport::models::Vxc>(PROVIDER_PORT, deadline(2000)),
        )
        .await
        .expect("within the interactive share");
    }
    let (_, message) = rate_limited(
        within(
            5,
            provider.get_product::<megaport::models::Vxc>(PROVIDER_PORT, deadline(30_000)),
        )
        .await
        .expect_err("interactive share used up"),
    );
    assert!(
        message.contains("product was not sent (interactive priority)"),
        "{message}"
    );
    // The writes' reserve is still there, for any client of the egress.
    let request = CreateServiceKeyRequest {
        product_uid: PROVIDER_PORT.to_owned(),
        single_use: false,
        max_speed: 100,
        active: true,
        ..CreateServiceKeyRequest::default()
    };
    within(5, provider.create_service_key(&request, deadline(2000)))
        .await
        .expect("a write goes through");
    assert_eq!(
        sb.control().requests(RouteGroup::All) - sb.control().requests(RouteGroup::Token),
        9
    );
    assert_eq!(
        *observed.throttled.lock().unwrap(),
        [Priority::Background, Priority::Interactive]
    );
    assert_eq!(budget.usage().used, 9);
}

#[tokio::test]
async fn a_429_pauses_every_client_of_the_egress() {
    let sb = start().await;
    let budget = Arc::new(Budget::default());
    let provider = client(&sb, PROVIDER_ID, PROVIDER_SECRET, &budget);
    let customer = client(&sb, CUSTOMER_ID, CUSTOMER_SECRET, &budget);
    within(
        5,
        customer.list_products::<megaport::models::Vxc>(None, deadline(2000)),
    )
    .await
    .expect("a token and a first request");
    fault(
        &sb,
        RouteGroup::Products,
        FaultKind::RateLimit {
            retry_after_seconds: 3,
        },
        Some(1),
    );
    // The provider's read meets the 429 and waits it out (its deadline allows), then succeeds.
    let provider_read = tokio::spawn({
        let provider = provider.clone();
        async move {
            provider
                .list_products::<megaport::models::Vxc>(None, deadline(10_000))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Meanwhile the customer's interactive read is not sent at all.
    let before = sb.control().requests(RouteGroup::Products);
    let (retry_after, message) = rate_limited(
        within(
            5,
            customer.list_products::<megaport::models::Vxc>(None, deadline(10_000)),
        )
        .await
        .expect_err("paused"),
    );
    assert!(
        message.starts_with("megaport asked onramp to slow down"),
        "{message}"
    );
    assert!(
        retry_after.is_some_and(|wait| wait <= Duration::from_secs(3)),
        "{retry_after:?}"
    );
    assert_eq!(
        sb.control().requests(RouteGroup::Products),
        before,
        "nothing sent"
    );
    within(10, provider_read)
        .await
        .expect("join")
        .expect("the provider's read succeeds after the pause");
    assert_eq!(budget.usage().limit, 225, "halved for a window");
}
