//! Every server the benchmark measures runs in a child process of its own (this binary with
//! `--serve ROLE`): the load generator's runtime, and one server's tracing subscriber, never
//! share a process with the server being measured, and a server's memory is its own.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Which server a child runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Role {
    /// onramp as deployed: embedded sandbox, bearer token, admin listener and metrics.
    Onramp,
    /// The same without the admin listener and its metrics.
    OnrampWithoutMetrics,
    /// The same with tracing on, exporting to a collector in the child that drops the spans.
    OnrampWithTracing,
    /// The same-payload baseline; `--answers FILE` holds what it answers.
    Noop,
    /// A sandbox seeded with a large provider (`--scale PORTS,KEYS,VXCS`); prints its address.
    Sandbox,
    /// onramp on such a sandbox (`--sandbox ADDR`), set up for one `--profile`, its admin
    /// listener on `--admin ADDR`.
    OnrampOnSandbox,
}

/// A child server, killed when dropped, however the run ends.
pub(crate) struct Server {
    child: std::process::Child,
    pub(crate) addr: SocketAddr,
    /// Where the child's stderr (its log) goes: deleted with the child unless a failure
    /// points to it ([`Server::keep_log`]).
    log: std::path::PathBuf,
    keep_log: std::sync::atomic::AtomicBool,
}

impl Server {
    pub(crate) fn start(
        role: Role,
        answers: Option<&Path>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let answers: Vec<std::ffi::OsString> = answers
            .map(|path| vec!["--answers".into(), path.into()])
            .unwrap_or_default();
        Self::start_with(role, &answers)
    }

    /// A child running `role`, with further arguments.
    pub(crate) fn start_with(
        role: Role,
        args: &[std::ffi::OsString],
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let mut command = Command::new(std::env::current_exe()?);
        command.arg("--serve").arg(
            clap::ValueEnum::to_possible_value(&role)
                .ok_or("a role")?
                .get_name(),
        );
        command.args(args);
        let log = std::env::temp_dir().join(format!(
            "onramp-bench-{}-{:?}.log",
            std::process::id(),
            role
        ));
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?)
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout from the child")?;
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        let addr = line.trim().parse()?;
        Ok(Self {
            child,
            addr,
            log,
            keep_log: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Keeps the child's log after the run, for a failure to point to; returns its path.
    pub(crate) fn keep_log(&self) -> String {
        self.keep_log
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.log.display().to_string()
    }

    /// Resident memory, in bytes (`VmRSS` of `/proc/<pid>/status`: one line, no library needed).
    pub(crate) fn resident_bytes(&self) -> Result<u64, Box<dyn std::error::Error>> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| {
                value
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .ok_or("no VmRSS in /proc status")?;
        Ok(kib * 1024)
    }

    /// Stops the server (SIGSTOP): its background work (key polls, refreshes) takes no CPU
    /// while another server is measured. [`Server::resume`] continues it.
    pub(crate) fn pause(&self) -> std::io::Result<()> {
        self.signal(rustix::process::Signal::STOP)
    }

    pub(crate) fn resume(&self) -> std::io::Result<()> {
        self.signal(rustix::process::Signal::CONT)
    }

    fn signal(&self, signal: rustix::process::Signal) -> std::io::Result<()> {
        rustix::process::kill_process(rustix::process::Pid::from_child(&self.child), signal)
            .map_err(std::io::Error::from)
    }

    /// CPU time the server has used so far, user and system.
    pub(crate) fn cpu_time(&self) -> Result<Duration, Box<dyn std::error::Error>> {
        cpu_time_of(&self.child.id().to_string())
    }
}

/// CPU time of this process (the load generator) so far, user and system.
pub(crate) fn own_cpu_time() -> Result<Duration, Box<dyn std::error::Error>> {
    cpu_time_of("self")
}

/// `utime` and `stime` of `/proc/<pid>/stat`, in the kernel's fixed 100 ticks a second.
fn cpu_time_of(pid: &str) -> Result<Duration, Box<dyn std::error::Error>> {
    const TICKS_PER_SECOND: u64 = 100;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name, in parentheses, may hold spaces: the fields count from after it.
    let after_name = stat
        .rsplit_once(')')
        .ok_or("no command name in /proc stat")?
        .1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the line; the state (field 3) is the first after the name.
    let ticks = |index: usize| -> Result<u64, Box<dyn std::error::Error>> {
        Ok(fields.get(index - 3).ok_or("short /proc stat")?.parse()?)
    };
    let total = ticks(14)? + ticks(15)?;
    Ok(Duration::from_millis(total * 1000 / TICKS_PER_SECOND))
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.keep_log.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}
