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

/// `onramp serve` on an address beyond this host with no Megaport configured would hand out the
/// embedded sandbox's fake keys to the world: it refuses to start, saying why and how to allow
/// it on purpose.
#[tokio::test]
async fn serve_beyond_loopback_on_the_embedded_sandbox_is_refused() {
    let data = std::env::temp_dir().join(format!("onramp-exposed-{}", uuid::Uuid::new_v4()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_onramp"));
    for (key, _) in std::env::vars() {
        if key.starts_with("ONRAMP_") {
            command.env_remove(key);
        }
    }
    let child = command
        .args(["serve", "--listen", "0.0.0.0:0", "--insecure"])
        .env("ONRAMP_DATA_DIR", &data)
        .env("ONRAMP_ADMIN__LISTEN", "")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn onramp serve");
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("wait");
    let _ = std::fs::remove_dir_all(&data);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it started:\n{stderr}");
    assert!(
        stderr.contains("embedded Megaport sandbox")
            && stderr.contains("ONRAMP_SANDBOX__ALLOW_NON_LOOPBACK_LISTEN=true"),
        "{stderr}"
    );
}
