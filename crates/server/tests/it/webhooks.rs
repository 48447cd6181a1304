//! Outbound webhooks end to end: an endpoint on a loopback receiver (allowed in this config
//! only) gets the events of a key's life, each signed as Standard Webhooks v1 and checked with
//! the reference library; a failed attempt is sent again with the same `webhook-id`; endpoints
//! on loopback or the metadata address are refused without an allowlist entry.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use tokio::sync::mpsc;

use crate::support::{SandboxedServer, TestServer, within};
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::webhook_service_client::WebhookServiceClient;
use onramp_proto::{
    CreateServiceKeyRequest, CreateWebhookEndpointRequest, ListWebhookDeliveriesRequest,
    RecoverWebhookEndpointRequest, RetryWebhookDeliveryRequest, SendTestWebhookRequest,
    WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint,
};

const EQUINIX_LA1: &str = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88";

/// One request the receiver got.
struct Received {
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn id(&self) -> &str {
        self.headers["webhook-id"].to_str().expect("ascii")
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("json body")
    }
}

/// A receiver on 127.0.0.1 that answers 503 to its first `failures` requests, then 200.
async fn receiver(failures: usize) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (sender, received) = mpsc::unbounded_channel();
    let seen = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (sender, seen) = (sender.clone(), seen.clone());
            async move {
                let _ = sender.send(Received { headers, body });
                if seen.fetch_add(1, Ordering::SeqCst) < failures {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

fn webhook_config() -> onramp_server::config::Config {
    let mut config = crate::support::test_config();
    config.webhooks.allow_networks = vec!["127.0.0.0/8".to_owned()];
    config.webhooks.poll_interval_millis = 100;
    config.webhooks.retry_schedule_seconds = vec![0, 0, 0];
    config
}

async fn next(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    within(received.recv()).await.expect("a delivery")
}

/// The next delivery whose body satisfies `wanted`, skipping others.
async fn next_matching(
    received: &mut mpsc::UnboundedReceiver<Received>,
    wanted: impl Fn(&serde_json::Value) -> bool,
) -> Received {
    loop {
        let delivery = next(received).await;
        if wanted(&delivery.json()) {
            return delivery;
        }
    }
}

/// The delivery of one event to one endpoint, as ListWebhookDeliveries shows it.
async fn delivery_of(
    webhooks: &mut WebhookServiceClient<tonic::transport::Channel>,
    endpoint_id: &str,
    event_id: &str,
) -> WebhookDelivery {
    within(
        webhooks.list_webhook_deliveries(ListWebhookDeliveriesRequest {
            endpoint_id: endpoint_id.to_owned(),
            ..Default::default()
        }),
    )
    .await
    .expect("deliveries")
    .into_inner()
    .deliveries
    .into_iter()
    .find(|delivery| delivery.event_id == event_id)
    .expect("the event's delivery")
}

fn verified(secret: &str, delivery: &Received) {
    standardwebhooks::Webhook::new(secret)
        .expect("secret")
        .verify(delivery.body.as_bytes(), &delivery.headers)
        .unwrap_or_else(|error| panic!("signature of {}: {error:?}", delivery.body));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_life_reaches_the_receiver_signed_and_a_failed_attempt_is_sent_again() {
    let (url, mut received) = receiver(1).await;
    let env = SandboxedServer::start_with(Default::default(), webhook_config()).await;
    let channel = env.server.channel.clone();
    let mut webhooks = WebhookServiceClient::new(channel.clone());
    let created = within(
        webhooks.create_webhook_endpoint(CreateWebhookEndpointRequest {
            endpoint: Some(WebhookEndpoint {
                url: url.clone(),
                description: "billing".into(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        }),
    )
    .await
    .expect("create")
    .into_inner();
    let secret = created.secret.clone();
    assert!(secret.starts_with("whsec_"));
    // The log canary check (scripts/check-log-canaries.sh) looks for it in every log.
    let canaries = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-logs");
    std::fs::create_dir_all(&canaries).expect("test-logs");
    std::fs::write(
        canaries.join(format!("webhook-{}.canary", uuid::Uuid::new_v4())),
        &secret,
    )
    .expect("canary");
    let endpoint = created.endpoint.expect("endpoint");

    let key = within(
        ServiceKeyServiceClient::new(channel.clone()).create_service_key(CreateServiceKeyRequest {
            port_uid: EQUINIX_LA1.into(),
            single_use: true,
            max_speed_mbps: 1000,
            pre_approved: true,
            customer_ref: "acme".into(),
            request_id: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        }),
    )
    .await
    .expect("key")
    .into_inner()
    .service_key
    .expect("key");

    // The first attempt is answered 503 and sent again with the same id; both are signed.
    let is_created = |body: &serde_json::Value| {
        body["type"] == "service_key.created" && body["data"]["key"] == key.key.as_str()
    };
    let first = next_matching(&mut received, is_created).await;
    let again = next_matching(&mut received, is_created).await;
    assert_eq!(
        first.id(),
        again.id(),
        "webhook-id is stable across retries"
    );
    verified(&secret, &first);
    verified(&secret, &again);
    let body = again.json();
    assert_eq!(body["data"]["customer_ref"], "acme");
    assert_eq!(body["data"]["state"], "ACTIVE");

    // Acme buys with the key: service_key.used names the VXC.
    crate::support::orders::acme_buys(&channel, &key.key, "acme to quantumgpu").await;
    let used = next_matching(&mut received, |body| {
        body["type"] == "service_key.used" && body["data"]["key"] == key.key.as_str()
    })
    .await;
    verified(&secret, &used);
    assert_eq!(used.json()["data"]["previous_state"], "ACTIVE");
    assert!(
        used.json()["data"]["vxc_uid"]
            .as_str()
            .is_some_and(|uid| !uid.is_empty())
    );

    // A test event, and the deliveries as the operator sees them.
    within(webhooks.send_test_webhook(SendTestWebhookRequest {
        id: endpoint.id.clone(),
    }))
    .await
    .expect("test event");
    let test = next_matching(&mut received, |body| body["type"] == "webhook.test").await;
    verified(&secret, &test);
    // The attempt is recorded just after the receiver answered: look for it a few times.
    let mut delivery = delivery_of(&mut webhooks, &endpoint.id, first.id()).await;
    for _ in 0..50 {
        if delivery.status() == WebhookDeliveryStatus::Delivered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        delivery = delivery_of(&mut webhooks, &endpoint.id, first.id()).await;
    }
    assert_eq!(delivery.status(), WebhookDeliveryStatus::Delivered);
    assert_eq!(delivery.attempts, 2);
    assert_eq!(delivery.last_http_status, 204);

    // Sent again by hand, with the same webhook-id; nothing failed, so nothing to recover.
    within(
        webhooks.retry_webhook_delivery(RetryWebhookDeliveryRequest {
            id: delivery.id.clone(),
        }),
    )
    .await
    .expect("retry");
    let resent = next_matching(&mut received, is_created).await;
    assert_eq!(resent.id(), first.id());
    verified(&secret, &resent);
    let now = prost_types::Timestamp::from(std::time::SystemTime::now());
    let hour_ago = prost_types::Timestamp {
        seconds: now.seconds - 3600,
        nanos: 0,
    };
    let recovered = within(
        webhooks.recover_webhook_endpoint(RecoverWebhookEndpointRequest {
            id: endpoint.id.clone(),
            since: Some(hour_ago),
            until: None,
        }),
    )
    .await
    .expect("recover")
    .into_inner();
    assert_eq!(recovered.requeued, 0);
}

#[tokio::test]
async fn endpoints_on_loopback_or_the_metadata_address_are_refused_without_an_allowlist() {
    let server = TestServer::start().await;
    let mut webhooks = WebhookServiceClient::new(server.channel.clone());
    for (url, kind) in [
        ("https://127.0.0.1:8443/hook", "loopback"),
        ("https://localhost/hook", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("http://10.0.0.8/hook", "https"),
    ] {
        let refused = within(
            webhooks.create_webhook_endpoint(CreateWebhookEndpointRequest {
                endpoint: Some(WebhookEndpoint {
                    url: url.into(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            }),
        )
        .await
        .expect_err(url);
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{url}");
        assert!(
            refused.message().contains("endpoint.url") && refused.message().contains(kind),
            "{url}: {}",
            refused.message()
        );
    }
}
