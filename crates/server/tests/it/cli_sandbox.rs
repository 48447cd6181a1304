//! `onramp sandbox --listen ADDR` serves the Megaport sandbox alone, for other tools.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn onramp_sandbox_serves_megaport_locations_and_tokens() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        probe.local_addr().expect("addr").port()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_onramp"))
        .args(["sandbox", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn onramp sandbox");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    let locations = loop {
        match http.get(format!("{base}/v3/locations")).send().await {
            Ok(response) => break response,
            Err(_) if started.elapsed() < Duration::from_secs(20) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => {
                let _ = child.kill();
                panic!("sandbox did not come up: {error}");
            }
        }
    };
    assert!(locations.status().is_success());
    let body: serde_json::Value = locations.json().await.expect("json");
    assert!(body["data"].as_array().is_some_and(|list| list.len() >= 6));

    let token = http
        .post(format!("{base}/oauth2/token?grant_type=client_credentials"))
        .basic_auth("quantumgpu-sandbox", Some("quantumgpu-sandbox-secret"))
        .send()
        .await
        .expect("token");
    let body: serde_json::Value = token.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    let _ = child.kill();
    let _ = child.wait();
}
