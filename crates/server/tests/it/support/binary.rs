//! The real `onramp` binary as a child process, for tests whose figures must be the server's
//! alone (its RSS, its exported spans): started with no inherited `ONRAMP_*` variables and
//! killed when dropped.

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::time::Duration;

use tonic::transport::Channel;

use super::within;

/// `onramp` with no `ONRAMP_*` variable from the test's own environment.
pub(crate) fn onramp_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_onramp"));
    for (key, _) in std::env::vars() {
        if key.starts_with("ONRAMP_") {
            command.env_remove(key);
        }
    }
    command
}

/// A loopback address nothing listens on (for the child to bind).
pub(crate) fn free_address() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    probe.local_addr().expect("addr")
}

/// A running `onramp`, killed on drop.
pub(crate) struct OnrampProcess(pub Child);

impl OnrampProcess {
    pub(crate) fn pid(&self) -> u32 {
        self.0.id()
    }

    /// SIGTERM, as an orchestrator stops it (it drains and flushes), then waits.
    pub(crate) fn terminate(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

impl Drop for OnrampProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A channel to `address` once the child listens there.
pub(crate) async fn connect_when_up(address: SocketAddr) -> Channel {
    within(async {
        loop {
            if let Ok(channel) = Channel::from_shared(format!("http://{address}"))
                .expect("endpoint")
                .connect()
                .await
            {
                return channel;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}
