//! The `megaport-sandbox` binary (the same command line as `onramp sandbox`, which the server's
//! tests start and probe).

use std::process::Command;

#[test]
fn a_missing_seed_file_stops_the_start_naming_the_file() {
    let output = Command::new(env!("CARGO_BIN_EXE_megaport-sandbox"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--seed",
            "/nonexistent/seed.toml",
        ])
        .output()
        .expect("run megaport-sandbox");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/nonexistent/seed.toml"),
        "names the file: {stderr}"
    );
}
