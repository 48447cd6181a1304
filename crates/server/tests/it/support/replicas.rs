//! Several `onramp` processes on one PostgreSQL database (a throwaway cluster) and one sandbox
//! the test owns, as a provider runs replicas behind a load balancer. A replica can be killed
//! (SIGKILL: nothing is flushed, nothing released) and started again on the same address.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use megaport_sandbox::{SandboxConfig, SandboxHandle};
use onramp_store::testing::TempPostgres;
use tonic::transport::{Channel, Endpoint};

use super::binary::{OnrampProcess, connect_when_up, free_address, onramp_command};
use super::{sandbox_regions_file, spawn_sandbox};

pub(crate) struct Replica {
    pub addr: SocketAddr,
    /// Reconnects by itself, so it stays usable across a kill and a restart.
    pub channel: Channel,
    config: PathBuf,
    log: PathBuf,
    process: Option<OnrampProcess>,
    /// Seconds this replica's clock runs ahead of the machine's (libfaketime), if set.
    clock_ahead: Option<u32>,
}

pub(crate) struct Replicas {
    pub replicas: Vec<Replica>,
    pub sandbox: SandboxHandle,
    pub database_url: String,
    dir: PathBuf,
}

impl Replicas {
    /// `count` replicas on a fresh database, each with `extra` added to its config file. The
    /// Megaport budget is too large to matter unless `extra` has a `[megaport.budget]` table.
    pub(crate) async fn start(count: usize, sandbox: SandboxConfig, extra: &str) -> Self {
        let budget = if extra.contains("[megaport.budget]") {
            ""
        } else {
            "[megaport.budget]\nrequests = 100000\n"
        };
        let database_url = TempPostgres::shared().fresh_database().await;
        let credentials = sandbox.seed.credentials();
        let (sandbox, _) = spawn_sandbox(sandbox).await;
        let dir = std::env::temp_dir().join(format!("onramp-replicas-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("replica dir");
        let (provider, customers) = credentials.split_first().expect("seed has companies");
        let mut accounts = String::new();
        for customer in customers {
            accounts += &format!(
                "[[megaport.accounts]]\nname = \"{}\"\nclient_id = \"{}\"\nclient_secret = \"{}\"\n",
                customer.company.to_ascii_lowercase(),
                customer.client_id,
                customer.client_secret
            );
        }
        let mut replicas = Vec::new();
        for index in 0..count {
            let addr = free_address();
            let config = dir.join(format!("replica-{index}.toml"));
            std::fs::write(
                &config,
                format!(
                    "listen = \"{addr}\"\n\
                     data_dir = \"{data}\"\n\
                     shutdown_grace_seconds = 1\n\
                     regions_file = \"{regions}\"\n\
                     {extra}\n\
                     [store]\nurl = \"{database_url}\"\nconnections = 8\nleader_lease_seconds = 3\n\
                     [admin]\nlisten = \"\"\n\
                     [limits]\nwrite_burst = 10000\nwrites_per_minute = 100000\n\
                     [megaport]\nenvironment = \"custom\"\nbase_url = \"{base}\"\n\
                     token_url = \"{token}\"\ndefault_account = \"{provider_name}\"\n\
                     client_id = \"{client_id}\"\nclient_secret = \"{client_secret}\"\n\
                     {budget}{accounts}",
                    data = dir.join(format!("data-{index}")).display(),
                    regions = sandbox_regions_file().display(),
                    base = sandbox.base_url(),
                    token = sandbox.token_url(),
                    provider_name = provider.company.to_ascii_lowercase(),
                    client_id = provider.client_id,
                    client_secret = provider.client_secret,
                ),
            )
            .expect("replica config");
            let channel = Endpoint::from_shared(format!("http://{addr}"))
                .expect("endpoint")
                .connect_timeout(Duration::from_secs(2))
                .connect_lazy();
            replicas.push(Replica {
                addr,
                channel,
                config,
                log: dir.join(format!("replica-{index}.log")),
                process: None,
                clock_ahead: None,
            });
        }
        let mut started = Self {
            replicas,
            sandbox,
            database_url,
            dir,
        };
        for index in 0..count {
            started.start_replica(index).await;
        }
        started
    }

    /// Starts replica `index` (again) and waits until it serves.
    pub(crate) async fn start_replica(&mut self, index: usize) {
        let replica = &mut self.replicas[index];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&replica.log)
            .expect("replica log");
        let mut command = onramp_command();
        command
            .args(["serve", "--config"])
            .arg(&replica.config)
            .env("ONRAMP_LOG_LEVEL", "info")
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(seconds) = replica.clock_ahead {
            // The wall clock only: timers and timeouts run on the monotonic clock as before.
            command
                .env("LD_PRELOAD", libfaketime())
                .env("FAKETIME", format!("+{seconds}s"))
                .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
                .env("FAKETIME_DONT_RESET", "1");
        }
        let child = command.spawn().expect("spawn replica");
        replica.process = Some(OnrampProcess(child));
        let _ = connect_when_up(replica.addr).await;
    }

    /// Restarts replica `index` with its wall clock `seconds` ahead of every other's.
    pub(crate) async fn restart_with_clock_ahead(&mut self, index: usize, seconds: u32) {
        self.kill(index);
        self.replicas[index].clock_ahead = Some(seconds);
        self.start_replica(index).await;
    }

    /// SIGKILLs replica `index`.
    pub(crate) fn kill(&mut self, index: usize) {
        drop(self.replicas[index].process.take());
    }

    /// The replica that leads now, by what each replica's log said last (waits up to 10 s for
    /// one to).
    pub(crate) async fn leader(&self) -> usize {
        let started = std::time::Instant::now();
        loop {
            let leading = self.replicas.iter().position(|replica| {
                replica.process.is_some()
                    && std::fs::read_to_string(&replica.log).is_ok_and(|log| {
                        let leads = log.rfind("this replica leads");
                        leads.is_some() && leads > log.rfind("this replica stops leading")
                    })
            });
            match leading {
                Some(index) => return index,
                None if started.elapsed() < Duration::from_secs(10) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                None => panic!("no replica leads\n{}", self.logs()),
            }
        }
    }

    pub(crate) fn channel(&self, index: usize) -> Channel {
        self.replicas[index].channel.clone()
    }

    /// Replica `index`'s log so far.
    pub(crate) fn log(&self, index: usize) -> String {
        std::fs::read_to_string(&self.replicas[index].log).unwrap_or_default()
    }

    /// Every replica's log, for a failing assertion's message.
    pub(crate) fn logs(&self) -> String {
        self.replicas
            .iter()
            .map(|replica| std::fs::read_to_string(&replica.log).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n----\n")
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        for replica in &mut self.replicas {
            drop(replica.process.take());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Debian's libfaketime (`make faketime-bin` installs it).
pub(crate) fn libfaketime() -> PathBuf {
    let found = std::fs::read_dir("/usr/lib")
        .expect("/usr/lib")
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("faketime/libfaketime.so.1"))
        .find(|path| path.exists());
    found.expect("libfaketime is not installed: run make faketime-bin")
}
