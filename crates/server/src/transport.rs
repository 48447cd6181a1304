//! The gRPC listener's transport, as `transport.*` configures it: TCP options on every
//! accepted connection, writes coalesced per flush, and the HTTP/2 settings. Public so the
//! benchmark's no-op baseline runs on exactly the same transport.

use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_stream::{Stream, StreamExt};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use crate::coalesced_writes::CoalescedWrites;
use crate::config::TransportSettings;

/// The accepted connections of `listener`.
pub fn incoming(
    listener: TcpListener,
    settings: &TransportSettings,
) -> impl Stream<Item = std::io::Result<CoalescedWrites<TcpStream>>> + use<> {
    // Without TCP_NODELAY a small reply waits for the peer's delayed ACK (Nagle): about 40 ms
    // per call at one request in flight.
    TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(seconds(settings.tcp_keepalive_seconds))
        .map(|accepted| accepted.map(CoalescedWrites::new))
}

/// A server builder with the HTTP/2 keepalive and flow-control windows of `settings`.
pub fn server_builder(settings: &TransportSettings) -> Server {
    Server::builder()
        .http2_keepalive_interval(seconds(settings.http2_keepalive_interval_seconds))
        .http2_keepalive_timeout(seconds(settings.http2_keepalive_timeout_seconds))
        .initial_stream_window_size(settings.http2_stream_window_kib * 1024)
        .initial_connection_window_size(settings.http2_connection_window_kib * 1024)
}

/// Zero turns a setting off.
fn seconds(value: u64) -> Option<Duration> {
    (value > 0).then(|| Duration::from_secs(value))
}
