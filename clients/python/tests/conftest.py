"""Starts the real onramp binary once per test session, on a free loopback port, with the embedded
Megaport sandbox (no credentials) and a throwaway data directory.

The binary is $ONRAMP_SERVER_BINARY (set by `make client-test`), else the repository's target/debug/onramp.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import grpc
import pytest

from onramp_client import Client, connect

REPO = Path(__file__).resolve().parents[3]
STARTUP_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_env() -> dict[str, str]:
    """The test's environment without ONRAMP_* variables: the server reads those as config (and
    rejects unknown ones), and the suite wants the defaults: embedded sandbox, no credentials."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")}


class Server:
    def __init__(self) -> None:
        binary = os.environ.get("ONRAMP_SERVER_BINARY") or str(REPO / "target" / "debug" / "onramp")
        if not Path(binary).exists():
            raise RuntimeError(f"{binary} not found: run `make onramp-bin` or set ONRAMP_SERVER_BINARY")
        self._data = tempfile.TemporaryDirectory(prefix="onramp-py-")
        self.address = f"127.0.0.1:{_free_port()}"
        self._log = open(Path(self._data.name) / "server.log", "wb")
        self._process = subprocess.Popen(
            [binary, "serve", "--listen", self.address, "--data-dir", self._data.name],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=_server_env(),
        )

    def wait_serving(self) -> None:
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
        return (Path(self._data.name) / "server.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
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
