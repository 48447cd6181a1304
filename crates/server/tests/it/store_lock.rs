//! One onramp per SQLite data directory: a second `onramp serve` on a directory another one has
//! open refuses to start, saying why and which process holds it, and starts once it is free.

use std::process::Stdio;
use std::time::Duration;

use crate::support::binary::{OnrampProcess, connect_when_up, free_address, onramp_command};

fn serve(data_dir: &std::path::Path, address: std::net::SocketAddr) -> std::process::Command {
    let mut command = onramp_command();
    command
        .args(["serve", "--listen", &address.to_string(), "--data-dir"])
        .arg(data_dir)
        .env("ONRAMP_ADMIN__LISTEN", "")
        .env("ONRAMP_LOG_LEVEL", "error")
        .stdout(Stdio::null());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_onramp_on_the_same_data_directory_refuses_to_start() {
    let data_dir = std::env::temp_dir().join(format!("onramp-lock-{}", uuid::Uuid::new_v4()));
    let first_address = free_address();
    let mut first = OnrampProcess(
        serve(&data_dir, first_address)
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn first"),
    );
    connect_when_up(first_address).await;

    let second = serve(&data_dir, free_address())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn second");
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || second.wait_with_output()),
    )
    .await
    .expect("the second exits by itself")
    .expect("join")
    .expect("output");
    assert!(!output.status.success(), "the second must not run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is in use by another onramp process")
            && stderr.contains(&format!("pid {}", first.pid())),
        "{stderr}"
    );

    // Stopped, the first frees it.
    first.terminate();
    let third_address = free_address();
    let _third = OnrampProcess(
        serve(&data_dir, third_address)
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn third"),
    );
    connect_when_up(third_address).await;
    let _ = std::fs::remove_dir_all(&data_dir);
}
