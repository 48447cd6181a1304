//! The real binary with `otlp.endpoint` set exports its spans to an in-process OTLP receiver:
//! one CreateVxcOrder is a span under the caller's trace, with a child span for each Megaport
//! request it made.

use std::process::Stdio;
use std::sync::{Arc, Mutex};

use crate::support::binary::{OnrampProcess, connect_when_up, free_address, onramp_command};
use crate::support::orders::{ACME_PORT, LA2_RED, request_id};
use crate::support::within;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{CreateServiceKeyRequest, CreateVxcOrderRequest, VxcOrderSpec};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::Span;

/// Every span exported to it.
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<Span>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans = request
            .into_inner()
            .resource_spans
            .into_iter()
            .flat_map(|resource| resource.scope_spans)
            .flat_map(|scope| scope.spans);
        self.0.lock().expect("spans").extend(spans);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

fn traced<T>(message: T, traceparent: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("traceparent", traceparent.parse().expect("ascii"));
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buy_is_one_span_under_the_callers_trace_with_a_child_per_megaport_request() {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let collector = listener.local_addr().expect("addr");
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );

    let address = free_address();
    let data_dir = std::env::temp_dir().join(format!("onramp-otlp-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data_dir).expect("data dir");
    let log_path = data_dir.join("onramp.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut onramp = OnrampProcess(
        onramp_command()
            .args(["serve", "--listen", &address.to_string(), "--data-dir"])
            .arg(&data_dir)
            .env("ONRAMP_OTLP__ENDPOINT", format!("http://{collector}"))
            .env("ONRAMP_ADMIN__LISTEN", "127.0.0.1:0")
            // Quiet logs but for the lines checked below: spans do not depend on the level.
            .env("ONRAMP_LOG_LEVEL", "warn,megaport=debug")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn onramp"),
    );
    let channel = connect_when_up(address).await;

    let key = within(
        ServiceKeyServiceClient::new(channel.clone()).create_service_key(CreateServiceKeyRequest {
            request_id: request_id(),
            port_uid: LA2_RED.to_owned(),
            single_use: true,
            max_speed_mbps: 1000,
            pre_approved: true,
            ..Default::default()
        }),
    )
    .await
    .expect("create key")
    .into_inner()
    .service_key
    .expect("key")
    .key;

    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let caller_span = &uuid::Uuid::new_v4().simple().to_string()[..16];
    let traceparent = format!("00-{trace_id}-{caller_span}-01");
    within(
        VxcOrderServiceClient::new(channel.clone()).create_vxc_order(traced(
            CreateVxcOrderRequest {
                account: "acme".into(),
                spec: Some(VxcOrderSpec {
                    service_key: key,
                    a_end_port_uid: ACME_PORT.to_owned(),
                    rate_limit_mbps: 100,
                    term_months: 12,
                    name: "traced".into(),
                    ..VxcOrderSpec::default()
                }),
                request_id: request_id(),
            },
            &traceparent,
        )),
    )
    .await
    .expect("buy");
    onramp.terminate();
    let logs = std::fs::read_to_string(&log_path).expect("logs");
    let _ = std::fs::remove_dir_all(&data_dir);
    assert!(
        logs.lines()
            .any(|line| line.contains(&trace_id) && line.contains("megaport call succeeded")),
        "log lines inside the call carry its trace id: {logs}"
    );

    let spans = receiver.0.lock().expect("spans").clone();
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let in_trace: Vec<&Span> = spans
        .iter()
        .filter(|span| hex(&span.trace_id) == trace_id)
        .collect();
    let rpc = in_trace
        .iter()
        .find(|span| span.name == "onramp.v1.VxcOrderService/CreateVxcOrder")
        .unwrap_or_else(|| {
            panic!(
                "no CreateVxcOrder span in the caller's trace among {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            )
        });
    assert_eq!(
        hex(&rpc.parent_span_id),
        caller_span,
        "the caller's span is the parent"
    );

    // Megaport spans descend from the RPC span (directly or through onramp's own spans).
    let parent_of = |span: &Span| {
        in_trace
            .iter()
            .find(|candidate| candidate.span_id == span.parent_span_id)
            .copied()
    };
    let megaport: Vec<&Span> = in_trace
        .iter()
        .copied()
        .filter(|span| span.name.starts_with("megaport "))
        .filter(|span| {
            let mut current = parent_of(span);
            while let Some(ancestor) = current {
                if ancestor.span_id == rpc.span_id {
                    return true;
                }
                current = parent_of(ancestor);
            }
            false
        })
        .collect();
    let names: Vec<&str> = megaport.iter().map(|span| span.name.as_str()).collect();
    assert!(
        names.contains(&"megaport buy"),
        "the buy reached Megaport inside the call: {names:?}"
    );
    assert!(
        names.iter().any(|name| *name != "megaport buy"),
        "and the reads the buy needed: {names:?}"
    );
}
