"""Starts the real onramp binary once per test session, on a free loopback port, with the embedded
Megaport sandbox (no credentials) and a throwaway data directory.

The binary is $ONRAMP_SERVER_BINARY (set by `make client-test`), else the repository's target/debug/onramp.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator, List, Mapping, Optional, Sequence

import grpc
import pytest

from onramp_client import Client, connect

REPO = Path(__file__).resolve().parents[3]
STARTUP_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: Fast polling, so the suite sees watch events and order progress within a second. The server
#: maps `__` in ONRAMP_* names to config sections (watch.poll_interval_millis, ...).
FAST_POLLING = {
    "ONRAMP_WATCH__POLL_INTERVAL_MILLIS": "100",
    "ONRAMP_WATCH__PROGRESS_INTERVAL_MILLIS": "300",
    "ONRAMP_ORDERS__POLL_INTERVAL_MILLIS": "100",
    "ONRAMP_APPROVALS__POLL_INTERVAL_SECONDS": "1",
    # Servers run side by side: the admin listener on a free port, not the fixed default.
    "ONRAMP_ADMIN__LISTEN": "127.0.0.1:0",
    # The webhook test's receiver listens on loopback, which onramp refuses unless allowed.
    "ONRAMP_WEBHOOKS__ALLOW_NETWORKS": '["127.0.0.0/8"]',
    "ONRAMP_WEBHOOKS__POLL_INTERVAL_MILLIS": "100",
}


def _server_env() -> dict[str, str]:
    """The test's environment without ONRAMP_* variables (the server reads those as config and
    rejects unknown ones; the suite wants the defaults: embedded sandbox, no credentials), plus
    FAST_POLLING."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")}
    env.update(FAST_POLLING)
    return env


def _token_config(tokens: Mapping[str, Sequence[str]]) -> str:
    """A config file's ``[[auth.tokens]]`` for ``{token: scopes}``. The server keeps only each
    token's SHA-256 (what `onramp hash-token` prints); with any token configured, every call but
    health needs one."""
    entries = [
        f'[[auth.tokens]]\nname = "caller-{i}"\nsha256 = "{hashlib.sha256(token.encode()).hexdigest()}"\n'
        f"scopes = {json.dumps(list(scopes))}\n"  # a JSON array of strings is a TOML array
        for i, (token, scopes) in enumerate(tokens.items())
    ]
    return "\n".join(entries)


class Server:
    """One onramp process on ``address`` with ``data_dir``; ``restart()`` runs a new process on
    the same address and data directory. ``tokens`` (``{token: scopes}``) turns on caller
    authentication with those bearer tokens."""

    def __init__(self, tokens: Optional[Mapping[str, Sequence[str]]] = None) -> None:
        self._binary = os.environ.get("ONRAMP_SERVER_BINARY") or str(REPO / "target" / "debug" / "onramp")
        if not Path(self._binary).exists():
            raise RuntimeError(f"{self._binary} not found: run `make onramp-bin` or set ONRAMP_SERVER_BINARY")
        self._data = tempfile.TemporaryDirectory(prefix="onramp-py-")
        self.data_dir = self._data.name
        self.address = f"127.0.0.1:{_free_port()}"
        self._log_path = Path(self.data_dir) / "server.log"
        self._log = open(self._log_path, "ab")
        self._args = [self._binary, "serve", "--listen", self.address, "--data-dir", self.data_dir]
        if tokens:
            config_path = Path(self.data_dir) / "onramp.toml"
            config_path.write_text(_token_config(tokens))
            self._args += ["--config", str(config_path)]
        self._process: Optional[subprocess.Popen[bytes]] = None
        self.start()

    def start(self) -> None:
        self._process = subprocess.Popen(
            self._args,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=_server_env(),
        )

    def wait_serving(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        with connect(self.address) as client:
            while True:
                if self._process.poll() is not None:
                    raise RuntimeError(f"onramp exited with {self._process.returncode}: {self.log()}")
                try:
                    if client.check_health(timeout=1.0) == 1:
                        return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"onramp not SERVING after {STARTUP_TIMEOUT}s: {self.log()}")
                time.sleep(0.1)

    def log(self) -> str:
        return self._log_path.read_text(errors="replace")[-4000:]

    def terminate(self) -> Optional[int]:
        """Sends SIGTERM and waits (15 s, then SIGKILL); returns the exit code."""
        process, self._process = self._process, None
        if process is None:
            return None
        process.terminate()
        try:
            return process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise

    def restart(self) -> None:
        """SIGTERM, then a new process on the same address and data directory, SERVING."""
        code = self.terminate()
        assert code == 0, f"onramp exited with {code} on SIGTERM: {self.log()}"
        self.start()
        self.wait_serving()

    def stop(self) -> None:
        self.terminate()
        self._log.close()
        self._data.cleanup()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    srv = Server()
    try:
        srv.wait_serving()
        yield srv
    finally:
        srv.stop()


@pytest.fixture()
def client(server: Server) -> Iterator[Client]:
    with connect(server.address, token="test-token") as c:
        yield c


@pytest.fixture()
def new_server() -> Iterator[Callable[..., Server]]:
    """Starts servers of the test's own (e.g. to restart them, or with ``tokens=``); all are
    stopped afterwards."""
    servers: List[Server] = []

    def start(tokens: Optional[Mapping[str, Sequence[str]]] = None) -> Server:
        srv = Server(tokens)
        servers.append(srv)
        srv.wait_serving()
        return srv

    try:
        yield start
    finally:
        for srv in servers:
            srv.stop()
