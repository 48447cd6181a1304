//! A real Prometheus (Debian's package; `scripts/install-prometheus.sh`, run by `make test`,
//! installs it when missing) scrapes onramp while the guide's flow runs; the assertions go
//! through Prometheus's HTTP query API. promtool checks a scrape and the alert rules.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::http::{encode, get};
use crate::support::orders::{fast_sandbox, orders_config, request_id, spec};
use crate::support::{SandboxedServer, within};
use megaport_sandbox::RouteGroup;
use onramp_proto::catalog_service_client::CatalogServiceClient;
use onramp_proto::service_key_service_client::ServiceKeyServiceClient;
use onramp_proto::vxc_order_service_client::VxcOrderServiceClient;
use onramp_proto::{
    CreateVxcOrderRequest, DiversityPreference, IssueServiceKeysRequest, ListOnRampsRequest,
    LookupServiceKeyRequest, ValidateVxcOrderRequest, WatchServiceKeysRequest,
};
use tokio_stream::StreamExt;

/// Fails with how to get the binary, rather than skipping: a skipped test asserts nothing.
fn binary(name: &str) -> &str {
    let found = Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        found,
        "`{name}` is not installed: run scripts/install-prometheus.sh (make test does)"
    );
    name
}

fn rules_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/prometheus/onramp-alerts.yml")
}

/// A Prometheus on a free loopback port, scraping `target` every second, killed on drop.
struct Prometheus {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl Prometheus {
    async fn start(target: SocketAddr) -> Self {
        let dir = std::env::temp_dir().join(format!("onramp-prometheus-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("prometheus dir");
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {rules}\nscrape_configs:\n  - job_name: onramp\n    static_configs:\n      - targets: ['{target}']\n",
            rules = rules_file().display()
        );
        std::fs::write(dir.join("prometheus.yml"), config).expect("prometheus config");
        let addr = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            probe.local_addr().expect("addr")
        };
        let child = Command::new(binary("prometheus"))
            .arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        let prometheus = Self { child, addr, dir };
        within(async {
            loop {
                if tokio::net::TcpStream::connect(addr).await.is_ok()
                    && get(addr, "/-/ready").await.0 == 200
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        prometheus
    }

    /// An instant query: each series' labels and value.
    async fn query(&self, promql: &str) -> Vec<(BTreeMap<String, String>, f64)> {
        let (status, body) = get(
            self.addr,
            &format!("/api/v1/query?query={}", encode(promql)),
        )
        .await;
        assert_eq!(status, 200, "{promql}: {body}");
        let answer: serde_json::Value = serde_json::from_str(&body).expect("json");
        answer["data"]["result"]
            .as_array()
            .expect("a vector")
            .iter()
            .map(|series| {
                let labels = series["metric"]
                    .as_object()
                    .expect("labels")
                    .iter()
                    .map(|(key, value)| {
                        (key.clone(), value.as_str().unwrap_or_default().to_owned())
                    })
                    .collect();
                let value = series["value"][1]
                    .as_str()
                    .and_then(|value| value.parse().ok())
                    .expect("a value");
                (labels, value)
            })
            .collect()
    }

    /// The single value of a query that sums to one series (0 when it has none).
    async fn value(&self, promql: &str) -> f64 {
        self.query(promql)
            .await
            .first()
            .map_or(0.0, |(_, value)| *value)
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The sandbox's request group of each onramp Megaport route label.
fn sandbox_group(route: &str) -> RouteGroup {
    match route {
        "token" => RouteGroup::Token,
        "products" => RouteGroup::Products,
        "product" | "product_tags" => RouteGroup::Product,
        "locations" => RouteGroup::Locations,
        "location_rtt" => RouteGroup::LocationRtt,
        "port_vlan" => RouteGroup::PortVlan,
        "validate" => RouteGroup::Validate,
        "buy" => RouteGroup::Buy,
        "vxc_update" => RouteGroup::VxcUpdate,
        "telemetry" => RouteGroup::Telemetry,
        "maintenance" | "outages" => RouteGroup::Events,
        "approvals" => RouteGroup::Approvals,
        "approval_decide" => RouteGroup::ApprovalDecide,
        route if route.starts_with("service_key") => RouteGroup::ServiceKey,
        other => panic!("unmapped megaport route {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_sees_the_guide_flow_its_megaport_calls_the_order_and_the_watcher() {
    let mut config = orders_config();
    // Nothing calls Megaport in the background once the flow is over, so counts settle.
    config.watch.poll_interval_millis = 3_600_000;
    config.catalog.products_soft_ttl_seconds = 3_600;
    config.catalog.products_max_stale_seconds = 7_200;
    // The telemetry collector spreads its calls over minutes; it is counted in `signals`.
    config.signals.enabled = false;
    config.approvals.poll_interval_seconds = 3_600;
    let env = SandboxedServer::start_with(fast_sandbox(), config).await;
    let admin = env.server.admin_addr.expect("admin listener");
    let prometheus = Prometheus::start(admin).await;
    let channel = env.server.channel.clone();

    // The guide: the provider finds its on-ramps and issues a diverse pair of keys; the
    // customer looks one up, prices the VXC and buys it.
    within(
        CatalogServiceClient::new(channel.clone()).list_on_ramps(ListOnRampsRequest {
            metro: "Los Angeles".into(),
            ..Default::default()
        }),
    )
    .await
    .expect("list on-ramps");
    let issued = within(
        ServiceKeyServiceClient::new(channel.clone()).issue_service_keys(IssueServiceKeysRequest {
            region: "us-west".into(),
            diversity: DiversityPreference::Required.into(),
            max_speed_mbps: 1000,
            single_use: true,
            pre_approved: true,
            customer_ref: "acme".into(),
            request_id: request_id(),
            ..Default::default()
        }),
    )
    .await
    .expect("issue keys")
    .into_inner()
    .service_keys;
    let key = issued[0].key.clone();
    let mut orders = VxcOrderServiceClient::new(channel.clone());
    within(orders.lookup_service_key(LookupServiceKeyRequest {
        key: key.clone(),
        account: "acme".into(),
    }))
    .await
    .expect("lookup");
    within(orders.validate_vxc_order(ValidateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(spec(&key, "acme to quantumgpu", 100)),
    }))
    .await
    .expect("validate");
    within(orders.create_vxc_order(CreateVxcOrderRequest {
        account: "acme".into(),
        spec: Some(spec(&key, "acme to quantumgpu", 100)),
        request_id: request_id(),
    }))
    .await
    .expect("buy");
    // One watcher, held open.
    let mut stream = within(
        ServiceKeyServiceClient::new(channel.clone())
            .watch_service_keys(WatchServiceKeysRequest::default()),
    )
    .await
    .expect("watch")
    .into_inner();
    within(stream.next())
        .await
        .expect("a first message")
        .expect("ok");

    // Megaport's counts settle (the polls the writes poked finish); then Prometheus catches up.
    let control = env.sandbox.control();
    let mut settled = control.requests(RouteGroup::All);
    within(async {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let now = control.requests(RouteGroup::All);
            if now == settled {
                return;
            }
            settled = now;
        }
    })
    .await;
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let seen = prometheus
                .value("sum(onramp_megaport_requests_total)")
                .await;
            #[allow(clippy::cast_precision_loss)] // a few hundred requests
            if seen == settled as f64 && prometheus.value("onramp_watch_subscribers").await == 1.0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("prometheus never saw {settled} megaport requests"));

    for method in [
        "ListOnRamps",
        "IssueServiceKeys",
        "LookupServiceKey",
        "ValidateVxcOrder",
        "CreateVxcOrder",
    ] {
        let calls = prometheus
            .value(&format!(
                "sum(onramp_grpc_server_requests_total{{method=\"{method}\",code=\"Ok\"}})"
            ))
            .await;
        assert_eq!(calls, 1.0, "{method}");
    }
    let mut by_group: BTreeMap<&'static str, f64> = BTreeMap::new();
    for (labels, value) in prometheus
        .query("sum by (route) (onramp_megaport_requests_total)")
        .await
    {
        *by_group
            .entry(sandbox_group(&labels["route"]).name())
            .or_default() += value;
    }
    for (group, counted) in &by_group {
        let group_route = [
            RouteGroup::Token,
            RouteGroup::Products,
            RouteGroup::Product,
            RouteGroup::Locations,
            RouteGroup::ServiceKey,
            RouteGroup::Validate,
            RouteGroup::Buy,
            RouteGroup::VxcUpdate,
            RouteGroup::PortVlan,
            RouteGroup::Telemetry,
            RouteGroup::Events,
            RouteGroup::Approvals,
            RouteGroup::ApprovalDecide,
        ]
        .into_iter()
        .find(|route| route.name() == *group)
        .expect("a group");
        #[allow(clippy::cast_precision_loss)] // a few hundred requests
        let sandbox_count = control.requests(group_route) as f64;
        assert_eq!(*counted, sandbox_count, "megaport {group} requests");
    }
    assert_eq!(by_group.get("buy"), Some(&1.0), "one buy reached Megaport");
    assert_eq!(
        prometheus.value("sum(onramp_orders)").await,
        1.0,
        "one order"
    );
    assert_eq!(
        prometheus
            .value("sum(onramp_order_buys_total{result=\"accepted\"})")
            .await,
        1.0,
        "one buy accepted"
    );
    assert_eq!(
        prometheus.value("sum(onramp_order_buys_total)").await,
        1.0,
        "and no other"
    );
    assert_eq!(
        prometheus
            .value("sum(onramp_store_rows{table=\"vxc_orders\"})")
            .await,
        1.0
    );
    assert!(
        prometheus
            .value("sum(onramp_watch_poll_duration_seconds_count)")
            .await
            >= 1.0,
        "the watcher's polls are timed"
    );
    assert!(
        prometheus
            .value("sum(onramp_store_query_duration_seconds_count{operation=\"insert_order\"})")
            .await
            >= 1.0,
        "the order's journal write is timed"
    );
    assert_eq!(
        prometheus
            .value("sum(onramp_orders{state=~\"FAILED|REJECTED|CANCELLED|OUTCOME_UNKNOWN\"})")
            .await,
        0.0,
        "and it was bought"
    );

    // Every query of the Grafana dashboard runs and finds series.
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../deploy/grafana/onramp-dashboard.json"),
        )
        .expect("dashboard file"),
    )
    .expect("dashboard json");
    let mut queries = 0;
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"]
                .as_str()
                .expect("an expression")
                .replace("$instance", ".*");
            // rate() and increase() need two scrapes of a series: give them a few seconds.
            let found = tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    if !prometheus.query(&expr).await.is_empty() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            })
            .await;
            assert!(
                found.is_ok(),
                "dashboard panel {:?} finds nothing: {expr}",
                panel["title"]
            );
            queries += 1;
        }
    }
    assert!(queries >= 10, "{queries} dashboard queries");

    // promtool reads a scrape without complaint.
    let (_, scrape) = get(admin, "/metrics").await;
    let mut promtool = Command::new(binary("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    promtool
        .stdin
        .take()
        .expect("stdin")
        .write_all(scrape.as_bytes())
        .expect("feed promtool");
    let checked = promtool.wait_with_output().expect("promtool ran");
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}

#[test]
fn the_alert_rules_pass_promtool() {
    let checked = Command::new(binary("promtool"))
        .args(["check", "rules"])
        .arg(rules_file())
        .output()
        .expect("promtool ran");
    assert!(
        checked.status.success(),
        "{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}
