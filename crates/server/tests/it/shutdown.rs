//! Graceful shutdown: health flips to NOT_SERVING and an open stream cannot keep the process alive
//! past the drain bound.

use crate::support::{TestServer, test_config, within};
use tokio_stream::StreamExt;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test]
async fn open_stream_is_cut_after_the_drain_bound() {
    let config = test_config();
    assert_eq!(config.shutdown_grace_seconds, 1);
    let server = TestServer::start_with(config).await;

    // Health/Watch never ends by itself: a stand-in for any long-lived client stream.
    let mut health = HealthClient::new(server.channel.clone());
    let mut watch = within(health.watch(HealthCheckRequest {
        service: "onramp.v1.CatalogService".to_owned(),
    }))
    .await
    .expect("watch")
    .into_inner();
    let first = within(watch.next()).await.expect("message").expect("ok");
    assert_eq!(first.status, ServingStatus::Serving as i32);

    let stopping = tokio::spawn(server.stop());

    // Watchers are told first, so load balancers stop sending new work during the drain.
    let update = within(watch.next()).await.expect("update").expect("ok");
    assert_eq!(update.status, ServingStatus::NotServing as i32);

    // The open stream would hold a drain forever; the 1 s grace cuts it, well inside the step
    // bound `within` enforces.
    within(stopping)
        .await
        .expect("join")
        .expect("server stopped cleanly");
}

#[tokio::test]
async fn idle_server_stops_promptly() {
    let server = TestServer::start().await;
    within(server.stop()).await.expect("clean stop");
}
