//! The binary refuses a bad configuration before it starts, naming the key.

use std::process::Command;
use std::time::Duration;

fn onramp() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_onramp"));
    // A stray variable in the developer's shell must not change what these tests see.
    for (key, _) in std::env::vars() {
        if key.starts_with("ONRAMP_") {
            command.env_remove(key);
        }
    }
    command
}

fn run_to_exit(command: &mut Command) -> std::process::Output {
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn onramp");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    receiver
        .recv_timeout(Duration::from_secs(20))
        .expect("onramp should exit on a bad config, not start")
        .expect("output")
}

#[test]
fn unparsable_listen_address_exits_nonzero_naming_the_key() {
    let output = run_to_exit(onramp().args(["serve", "--listen", "not-an-address"]));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`listen`"), "stderr: {stderr}");
}

#[test]
fn unknown_key_in_config_file_exits_nonzero_naming_the_key() {
    let dir = std::env::temp_dir().join(format!("onramp-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("onramp.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:0\"\n[watch]\npoll_every = 3\n").expect("write");
    let output = run_to_exit(onramp().arg("serve").arg("--config").arg(&file));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("poll_every"), "stderr: {stderr}");
}

#[test]
fn invalid_environment_value_exits_nonzero_naming_the_key() {
    let output = run_to_exit(
        onramp()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("ONRAMP_MEGAPORT__ENVIRONMENT", "moon"),
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("megaport.environment"), "stderr: {stderr}");
}
