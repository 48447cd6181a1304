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

/// One request the receiver got, and the status it answered.
struct Received {
    headers: HeaderMap,
    body: String,
    answered: StatusCode,
}

impl Received {
    fn id(&self) -> &str {
        self.headers["webhook-id"].to_str().expect("ascii")
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("json body")
    }
}

/// How the test receiver answers its nth request (from 0).
#[derive(Clone, Copy)]
enum Answering {
    /// 503 to the first n, then 204.
    FailFirst(usize),
    /// The first request gets no answer at all (its sender is killed meanwhile), then 204.
    HangFirst,
    /// 503 for this long after the first request, then 204.
    FailFor(Duration),
}

/// A receiver on 127.0.0.1 that answers 503 to its first `failures` requests, then 204.
async fn receiver(failures: usize) -> (String, mpsc::UnboundedReceiver<Received>) {
    receiver_answering(Answering::FailFirst(failures)).await
}

async fn receiver_answering(answering: Answering) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (sender, received) = mpsc::unbounded_channel();
    let seen = Arc::new(AtomicUsize::new(0));
    let first = Arc::new(std::sync::OnceLock::<tokio::time::Instant>::new());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (sender, seen, first) = (sender.clone(), seen.clone(), first.clone());
            async move {
                let nth = seen.fetch_add(1, Ordering::SeqCst);
                let since_first = first.get_or_init(tokio::time::Instant::now).elapsed();
                let answer = match answering {
                    Answering::FailFirst(failures) if nth < failures => {
                        StatusCode::SERVICE_UNAVAILABLE
                    }
                    Answering::FailFor(outage) if since_first < outage => {
                        StatusCode::SERVICE_UNAVAILABLE
                    }
                    Answering::HangFirst if nth == 0 => {
                        let _ = sender.send(Received {
                            headers,
                            body,
                            answered: StatusCode::REQUEST_TIMEOUT,
                        });
                        std::future::pending::<()>().await;
                        return StatusCode::NO_CONTENT;
                    }
                    _ => StatusCode::NO_CONTENT,
                };
                let _ = sender.send(Received {
                    headers,
                    body,
                    answered: answer,
                });
                answer
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

    // The metrics count the attempts by outcome, and the outbox by status; nothing is overdue.
    let (status, metrics) =
        crate::support::http::get(env.server.admin_addr.expect("admin listener"), "/metrics").await;
    assert_eq!(status, 200);
    let sample = |name: &str, labels: &[(&str, &str)]| {
        crate::support::http::sample(&metrics, name, labels).unwrap_or(-1.0)
    };
    assert_eq!(
        sample("onramp_webhook_attempts_total", &[("outcome", "retried")]),
        1.0
    );
    assert!(sample("onramp_webhook_attempts_total", &[("outcome", "delivered")]) >= 3.0);
    assert!(sample("onramp_webhook_deliveries", &[("status", "delivered")]) >= 3.0);
    assert!(sample("onramp_webhook_overdue_seconds", &[]) < 60.0);

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_that_needs_approval_sends_its_approval_and_state_events() {
    use crate::support::approvals::{approval_of, inbox_config, key_for, wait_for_state};
    use onramp_proto::approval_service_client::ApprovalServiceClient;
    use onramp_proto::{ApprovalStatus, ApproveApprovalRequest, VxcOrderState};

    let (url, mut received) = receiver(0).await;
    let mut config = inbox_config();
    config.webhooks = webhook_config().webhooks;
    let env = SandboxedServer::start_with(crate::support::orders::fast_sandbox(), config).await;
    let channel = env.server.channel.clone();
    let secret = within(
        WebhookServiceClient::new(channel.clone()).create_webhook_endpoint(
            CreateWebhookEndpointRequest {
                endpoint: Some(WebhookEndpoint {
                    url,
                    event_types: vec![
                        "order_approval.pending".into(),
                        "order_approval.resolved".into(),
                        "vxc_order.state_changed".into(),
                    ],
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ),
    )
    .await
    .expect("create")
    .into_inner()
    .secret;

    let key = key_for(&channel, "acme-gpu-7", 391).await;
    let order = crate::support::orders::acme_buys(&channel, &key, "acme, needs approval").await;
    assert_eq!(order.state(), VxcOrderState::AwaitingApproval);
    let pending = next_matching(&mut received, |body| {
        body["type"] == "order_approval.pending"
            && body["data"]["vxc_uid"] == order.vxc_uid.as_str()
    })
    .await;
    verified(&secret, &pending);
    assert_eq!(pending.json()["data"]["customer_ref"], "acme-gpu-7");

    let approval = approval_of(&channel, &order.vxc_uid, &[ApprovalStatus::Pending]).await;
    within(
        ApprovalServiceClient::new(channel.clone()).approve_approval(ApproveApprovalRequest {
            approval_uid: approval.approval_uid.clone(),
            comment: "ok".into(),
        }),
    )
    .await
    .expect("approve");
    let resolved = next_matching(&mut received, |body| {
        body["type"] == "order_approval.resolved"
            && body["data"]["vxc_uid"] == order.vxc_uid.as_str()
    })
    .await;
    verified(&secret, &resolved);
    assert_eq!(resolved.json()["data"]["status"], "APPROVED");

    wait_for_state(&channel, &order.order_id, VxcOrderState::Live).await;
    let live = next_matching(&mut received, |body| {
        body["type"] == "vxc_order.state_changed"
            && body["data"]["order_id"] == order.order_id.as_str()
            && body["data"]["to"] == "LIVE"
    })
    .await;
    verified(&secret, &live);
    assert!(
        live.json()["data"]["from"]
            .as_str()
            .is_some_and(|from| from != "LIVE")
    );
}

/// The `[webhooks]` table of a replica's config: loopback allowed, quick polls, and a short
/// timeout and lease so a killed replica's claim is taken over within seconds.
const REPLICA_WEBHOOKS: &str = "[webhooks]\nallow_networks = [\"127.0.0.0/8\"]\n\
    secret_key = \"BwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSY=\"\n\
    poll_interval_millis = 100\nretry_schedule_seconds = [0, 0, 0, 0, 0]\n\
    timeout_seconds = 2\nlease_seconds = 7\nmax_in_flight_per_endpoint = 32\n";

/// Queues a `webhook.test` event for `endpoint`; its event id.
async fn send_test_event(channel: tonic::transport::Channel, endpoint: &str) -> String {
    within(
        WebhookServiceClient::new(channel).send_test_webhook(SendTestWebhookRequest {
            id: endpoint.to_owned(),
        }),
    )
    .await
    .expect("test event")
    .into_inner()
    .delivery
    .expect("delivery")
    .event_id
}

async fn endpoint_on(channel: tonic::transport::Channel, url: &str) -> (String, String) {
    let created = within(WebhookServiceClient::new(channel).create_webhook_endpoint(
        CreateWebhookEndpointRequest {
            endpoint: Some(WebhookEndpoint {
                url: url.to_owned(),
                ..Default::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        },
    ))
    .await
    .expect("create")
    .into_inner();
    (created.endpoint.expect("endpoint").id, created.secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_whose_sender_is_killed_mid_delivery_arrives_after_the_restart() {
    let (url, mut received) = receiver_answering(Answering::HangFirst).await;
    let mut replicas =
        crate::support::replicas::Replicas::start(1, Default::default(), REPLICA_WEBHOOKS).await;
    let (endpoint, secret) = endpoint_on(replicas.channel(0), &url).await;
    let queued = send_test_event(replicas.channel(0), &endpoint).await;

    // The event is committed and its delivery is on the wire, unanswered: kill the sender.
    let in_flight = next(&mut received).await;
    assert_eq!(in_flight.id(), queued);
    replicas.kill(0);
    replicas.start_replica(0).await;

    // The restarted replica takes the delivery over once the dead one's lease ends.
    let delivered = next(&mut received).await;
    assert_eq!(delivered.id(), queued, "the same event, after the restart");
    verified(&secret, &delivered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_send_each_of_500_events_once() {
    const EVENTS: usize = 500;
    let (url, mut received) = receiver(0).await;
    let replicas =
        crate::support::replicas::Replicas::start(3, Default::default(), REPLICA_WEBHOOKS).await;
    let (endpoint, secret) = endpoint_on(replicas.channel(0), &url).await;
    let mut sent = std::collections::HashSet::new();
    for index in 0..EVENTS {
        // Each replica commits a third of the events; every replica's dispatcher claims.
        sent.insert(send_test_event(replicas.channel(index % 3), &endpoint).await);
    }
    let mut deliveries: std::collections::HashMap<String, usize> = Default::default();
    let mut checked = 0;
    while deliveries.len() < EVENTS {
        let delivery = next(&mut received).await;
        if checked < 10 {
            verified(&secret, &delivery);
            checked += 1;
        }
        *deliveries.entry(delivery.id().to_owned()).or_default() += 1;
    }
    assert_eq!(
        deliveries
            .keys()
            .cloned()
            .collect::<std::collections::HashSet<_>>(),
        sent,
        "every event, none other"
    );
    // Anything more already on its way would be a second delivery: give it a moment to show.
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Ok(extra) = received.try_recv() {
        *deliveries.entry(extra.id().to_owned()).or_default() += 1;
    }
    let twice = deliveries.values().filter(|count| **count > 1).count();
    assert_eq!(twice, 0, "events delivered more than once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_secret_signs_beside_the_old_one_and_a_disabled_endpoint_waits() {
    use onramp_proto::{RotateWebhookSecretRequest, UpdateWebhookEndpointRequest};
    let (url, mut received) = receiver(0).await;
    let env = SandboxedServer::start_with(Default::default(), webhook_config()).await;
    let channel = env.server.channel.clone();
    let (endpoint, old_secret) = endpoint_on(channel.clone(), &url).await;
    let mut webhooks = WebhookServiceClient::new(channel.clone());

    let rotated = within(webhooks.rotate_webhook_secret(RotateWebhookSecretRequest {
        id: endpoint.clone(),
        overlap_seconds: 3600,
    }))
    .await
    .expect("rotate")
    .into_inner();
    assert_ne!(rotated.secret, old_secret);
    assert!(
        rotated
            .endpoint
            .expect("endpoint")
            .secret_overlap_until
            .is_some()
    );
    send_test_event(channel.clone(), &endpoint).await;
    let during = next(&mut received).await;
    verified(&old_secret, &during);
    verified(&rotated.secret, &during);

    // Rotated again without overlap: only the newest secret signs.
    let newest = within(webhooks.rotate_webhook_secret(RotateWebhookSecretRequest {
        id: endpoint.clone(),
        overlap_seconds: 0,
    }))
    .await
    .expect("rotate")
    .into_inner()
    .secret;
    send_test_event(channel.clone(), &endpoint).await;
    let after = next(&mut received).await;
    verified(&newest, &after);
    assert!(
        standardwebhooks::Webhook::new(&rotated.secret)
            .expect("secret")
            .verify(after.body.as_bytes(), &after.headers)
            .is_err(),
        "the replaced secret no longer signs"
    );

    // Disabled, a queued event waits; enabled again, it is sent.
    let set_disabled = |disabled: bool| UpdateWebhookEndpointRequest {
        endpoint: Some(WebhookEndpoint {
            id: endpoint.clone(),
            disabled,
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["disabled".into()],
        }),
    };
    let disabled = within(webhooks.update_webhook_endpoint(set_disabled(true)))
        .await
        .expect("disable")
        .into_inner()
        .endpoint
        .expect("endpoint");
    assert_eq!(disabled.disabled_reason, "disabled by the operator");
    let waiting = send_test_event(channel.clone(), &endpoint).await;
    within(webhooks.update_webhook_endpoint(set_disabled(false)))
        .await
        .expect("enable");
    let resumed = next(&mut received).await;
    assert_eq!(resumed.id(), waiting);
    assert!(
        received.try_recv().is_err(),
        "nothing was sent while it was disabled but that one"
    );

    // At rest the secrets are sealed, with a key only onramp's user may read.
    let key_file = env.config.data_dir.join("webhook-secrets.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key_file)
            .expect("key file")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let database = env.config.data_dir.join(onramp_store::DATABASE_FILE);
    let pool = within(sqlx::sqlite::SqlitePool::connect(&format!(
        "sqlite://{}?mode=ro",
        database.display()
    )))
    .await
    .expect("open the database");
    let (stored,): (String,) = within(
        sqlx::query_as("SELECT secret FROM webhook_endpoints WHERE id = ?")
            .bind(&endpoint)
            .fetch_one(&pool),
    )
    .await
    .expect("stored secret");
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    assert!(!stored.contains(&newest["whsec_".len()..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_nearing_its_end_and_maintenance_on_its_port_send_events() {
    use megaport_sandbox::{EventKind, SeedEvent};
    let (url, mut received) = receiver(0).await;
    let mut config = webhook_config();
    config.webhooks.expiring_thresholds_seconds = vec![86_400, 3_600];
    config.signals.events_interval_seconds = 1;
    let env = SandboxedServer::start_with(Default::default(), config).await;
    let channel = env.server.channel.clone();
    let (_, secret) = endpoint_on(channel.clone(), &url).await;

    // Valid for 30 more minutes: both thresholds (a day, an hour) are crossed at once.
    let end = std::time::SystemTime::now() + Duration::from_secs(1_800);
    let key = within(
        ServiceKeyServiceClient::new(channel.clone()).create_service_key(CreateServiceKeyRequest {
            port_uid: EQUINIX_LA1.into(),
            single_use: true,
            max_speed_mbps: 1000,
            customer_ref: "acme".into(),
            valid_until: Some(prost_types::Timestamp::from(end)),
            request_id: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        }),
    )
    .await
    .expect("key")
    .into_inner()
    .service_key
    .expect("key");
    let mut thresholds = Vec::new();
    while thresholds.len() < 2 {
        let expiring = next_matching(&mut received, |body| {
            body["type"] == "service_key.expiring" && body["data"]["key"] == key.key.as_str()
        })
        .await;
        verified(&secret, &expiring);
        thresholds.push(
            expiring.json()["data"]["threshold_seconds"]
                .as_u64()
                .expect("threshold"),
        );
    }
    thresholds.sort_unstable();
    assert_eq!(thresholds, [3_600, 86_400]);

    // Maintenance on the key's Port, within the horizon: one notice.
    env.sandbox
        .control()
        .upsert_event(SeedEvent {
            kind: EventKind::Maintenance,
            event_id: Some("CSM-91".into()),
            services: vec![EQUINIX_LA1.into()],
            starts_in_hours: 2.0,
            duration_hours: Some(4.0),
            impact: Some("up to 30 minutes of outage".into()),
            purpose: Some("line card swap".into()),
            cancelled: false,
        })
        .expect("maintenance");
    let notice = next_matching(&mut received, |body| {
        body["type"] == "on_ramp.notice" && body["data"]["event_id"] == "CSM-91"
    })
    .await;
    verified(&secret, &notice);
    let data = notice.json()["data"].clone();
    assert_eq!(data["port_uid"], EQUINIX_LA1);

    // Deactivated, rotated, expired: each has its event.
    let mut keys = ServiceKeyServiceClient::new(env.server.channel.clone());
    within(
        keys.deactivate_service_key(onramp_proto::DeactivateServiceKeyRequest {
            key: key.key.clone(),
        }),
    )
    .await
    .expect("deactivate");
    let deactivated = next_matching(&mut received, |body| {
        body["type"] == "service_key.deactivated" && body["data"]["key"] == key.key.as_str()
    })
    .await;
    verified(&secret, &deactivated);
    let short_lived = |seconds: u64| CreateServiceKeyRequest {
        port_uid: EQUINIX_LA1.into(),
        single_use: true,
        max_speed_mbps: 1000,
        customer_ref: "acme".into(),
        valid_until: Some(prost_types::Timestamp::from(
            std::time::SystemTime::now() + Duration::from_secs(seconds),
        )),
        request_id: uuid::Uuid::new_v4().to_string(),
        ..Default::default()
    };
    let old = within(keys.create_service_key(short_lived(1_800)))
        .await
        .expect("key")
        .into_inner()
        .service_key
        .expect("key");
    let rotated = within(
        keys.rotate_service_key(onramp_proto::RotateServiceKeyRequest {
            key: old.key.clone(),
            request_id: uuid::Uuid::new_v4().to_string(),
            ..Default::default()
        }),
    )
    .await
    .expect("rotate")
    .into_inner()
    .new_service_key
    .expect("new key");
    let replaced = next_matching(&mut received, |body| {
        body["type"] == "service_key.rotated" && body["data"]["key"] == rotated.key.as_str()
    })
    .await;
    assert_eq!(replaced.json()["data"]["rotated_from"], old.key.as_str());
    let fleeting = within(keys.create_service_key(short_lived(2)))
        .await
        .expect("key")
        .into_inner()
        .service_key
        .expect("key");
    let expired = next_matching(&mut received, |body| {
        body["type"] == "service_key.expired" && body["data"]["key"] == fleeting.key.as_str()
    })
    .await;
    verified(&secret, &expired);
    assert_eq!(expired.json()["data"]["state"], "EXPIRED");
    assert_eq!(
        (data["kind"].as_str(), data["phase"].as_str()),
        (Some("MAINTENANCE"), Some("UPCOMING"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_arrives_after_an_endpoint_is_down_for_ten_minutes() {
    use crate::support::binary::{OnrampProcess, connect_when_up, free_address, onramp_command};
    const EVENTS: usize = 20;
    // onramp's wall clock (and so its SQLite database's) runs 120 times as fast as the test's:
    // ten minutes of it are five seconds here, and the Standard Webhooks schedule (5 s, 5 min,
    // 30 min, ...) runs as it would for real. Timers and timeouts keep the real monotonic clock.
    const SPEED: u32 = 120;
    let outage = Duration::from_secs(600 / u64::from(SPEED));
    let (url, mut received) = receiver_answering(Answering::FailFor(outage)).await;
    let dir = std::env::temp_dir().join(format!("onramp-webhooks-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let addr = free_address();
    let config = dir.join("onramp.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"{addr}\"\ndata_dir = \"{data}\"\nshutdown_grace_seconds = 1\n\
             [admin]\nlisten = \"\"\n\
             [limits]\nwrite_burst = 10000\nwrites_per_minute = 100000\n\
             [webhooks]\nallow_networks = [\"127.0.0.0/8\"]\npoll_interval_millis = 100\n\
             lease_seconds = 3600\n",
            data = dir.join("data").display()
        ),
    )
    .expect("config");
    let log = std::fs::File::create(dir.join("onramp.log")).expect("log");
    let _onramp = OnrampProcess(
        onramp_command()
            .args(["serve", "--config"])
            .arg(&config)
            .env("LD_PRELOAD", crate::support::replicas::libfaketime())
            .env("FAKETIME", format!("+0 x{SPEED}"))
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .env("FAKETIME_NO_CACHE", "1")
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn onramp"),
    );
    let channel = connect_when_up(addr).await;
    let (endpoint, secret) = endpoint_on(channel.clone(), &url).await;
    let mut sent = std::collections::HashSet::new();
    for _ in 0..EVENTS {
        sent.insert(send_test_event(channel.clone(), &endpoint).await);
    }

    // Attempts at 0 s, 5 s and 5 min fail; the one at about 35 minutes succeeds.
    let mut attempts: std::collections::HashMap<String, usize> = Default::default();
    let mut delivered: std::collections::HashMap<String, usize> = Default::default();
    while delivered.len() < EVENTS {
        let delivery = tokio::time::timeout(Duration::from_secs(60), received.recv())
            .await
            .expect("an attempt within a minute (half a day of onramp's time)")
            .expect("receiver open");
        // onramp's timestamps run ahead of this clock, so only the signature is checked.
        let timestamp: i64 = delivery.headers["webhook-timestamp"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("unix seconds");
        let expected = standardwebhooks::Webhook::new(&secret)
            .expect("secret")
            .sign(delivery.id(), timestamp, delivery.body.as_bytes())
            .expect("sign");
        assert!(
            delivery.headers["webhook-signature"]
                .to_str()
                .expect("ascii")
                .split(' ')
                .any(|signature| signature == expected),
            "signed with the endpoint's secret"
        );
        *attempts.entry(delivery.id().to_owned()).or_default() += 1;
        if delivery.answered == StatusCode::NO_CONTENT {
            *delivered.entry(delivery.id().to_owned()).or_default() += 1;
        }
    }
    assert_eq!(
        delivered
            .keys()
            .cloned()
            .collect::<std::collections::HashSet<_>>(),
        sent,
        "every event arrives, none lost"
    );
    assert!(
        attempts.values().all(|count| *count >= 4),
        "each was tried through the outage: {attempts:?}"
    );
    let twice = delivered.values().filter(|count| **count > 1).count();
    println!(
        "webhooks after a 10-minute outage: {EVENTS} events, {} attempts, {twice} delivered more than once",
        attempts.values().sum::<usize>()
    );
    assert_eq!(twice, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_keeps_failing_is_disabled_and_the_others_are_told() {
    let (failing_url, mut failing) = receiver(usize::MAX).await;
    let (operator_url, mut operator) = receiver(0).await;
    let mut config = webhook_config();
    config.webhooks.retry_schedule_seconds = vec![1, 1, 1, 1, 1];
    config.webhooks.disable_after_seconds = 1;
    let env = SandboxedServer::start_with(Default::default(), config).await;
    let channel = env.server.channel.clone();
    let (failing_id, _) = endpoint_on(channel.clone(), &failing_url).await;
    let operator_secret = within(
        WebhookServiceClient::new(channel.clone()).create_webhook_endpoint(
            CreateWebhookEndpointRequest {
                endpoint: Some(WebhookEndpoint {
                    url: operator_url,
                    event_types: vec!["webhook_endpoint.disabled".into()],
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            },
        ),
    )
    .await
    .expect("create")
    .into_inner()
    .secret;

    send_test_event(channel.clone(), &failing_id).await;
    let mut webhooks = WebhookServiceClient::new(channel);
    // The first attempt fails; the next, a second later, fails with the endpoint failing for a
    // second: it is disabled, and the operator's endpoint hears of it.
    next(&mut failing).await;
    let disabled = next_matching(&mut operator, |body| {
        body["type"] == "webhook_endpoint.disabled"
            && body["data"]["endpoint_id"] == failing_id.as_str()
    })
    .await;
    verified(&operator_secret, &disabled);
    let endpoint = within(
        webhooks.get_webhook_endpoint(onramp_proto::GetWebhookEndpointRequest { id: failing_id }),
    )
    .await
    .expect("get")
    .into_inner()
    .endpoint
    .expect("endpoint");
    assert!(endpoint.disabled);
    assert!(
        endpoint
            .disabled_reason
            .starts_with("every attempt failed for "),
        "{}",
        endpoint.disabled_reason
    );
}
