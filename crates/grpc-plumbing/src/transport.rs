//! A gRPC listener's transport: TCP options on every accepted connection, writes coalesced per
//! flush, and the HTTP/2 keepalive and flow-control windows. onramp and the benchmark's no-op
//! baseline run on exactly this transport.

use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_stream::{Stream, StreamExt};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use crate::coalesced_writes::CoalescedWrites;
use serde::{Deserialize, Serialize};

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

/// How gRPC connections are kept. Accepted sockets always set TCP_NODELAY: without it a small
/// reply waits for the peer's delayed ACK (about 40 ms a call at one request in flight).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransportSettings {
    /// HTTP/2 PING on each connection this often, so a dead peer or a NAT that dropped an idle
    /// watch stream is noticed; 0 turns it off.
    pub http2_keepalive_interval_seconds: u64,
    /// A connection whose PING is not answered within this is closed.
    pub http2_keepalive_timeout_seconds: u64,
    /// Flow-control window per stream, in KiB: large enough that a snapshot chunk of a watch
    /// stream goes out without waiting for window updates.
    pub http2_stream_window_kib: u32,
    /// Flow-control window per connection, in KiB, shared by its streams.
    pub http2_connection_window_kib: u32,
    /// TCP keepalive on accepted sockets, in seconds; 0 turns it off.
    pub tcp_keepalive_seconds: u64,
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self {
            http2_keepalive_interval_seconds: 30,
            http2_keepalive_timeout_seconds: 10,
            http2_stream_window_kib: 1024,
            http2_connection_window_kib: 4096,
            tcp_keepalive_seconds: 60,
        }
    }
}

impl TransportSettings {
    /// The windows' rule, as a problem with `http2_connection_window_kib` when broken.
    pub fn check(&self) -> Result<(), String> {
        if self.http2_stream_window_kib == 0
            || self.http2_connection_window_kib < self.http2_stream_window_kib
        {
            return Err(
                "windows must be above 0, the connection's at least the stream's".to_owned(),
            );
        }
        Ok(())
    }
}
