"""connect(token=...) sends `authorization: Bearer <token>` on every call. Checked against an
in-process gRPC health server that records what it receives, and against the real onramp with a
token configured, on the WatchServiceKeys stream (test_aio_client.py does the same for the
asyncio facade)."""

from __future__ import annotations

from concurrent import futures
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional, Tuple, Union

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from onramp_client import connect, error_details

if TYPE_CHECKING:
    from conftest import Server


class RecordingHealth(health.HealthServicer):
    def __init__(self) -> None:
        super().__init__()
        self.seen: List[Optional[Union[str, bytes]]] = []

    def Check(self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext) -> health_pb2.HealthCheckResponse:
        self.seen.append(dict(context.invocation_metadata()).get("authorization"))
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


@pytest.fixture()
def recording_server() -> Iterator[Tuple[str, RecordingHealth]]:
    servicer = RecordingHealth()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", servicer
    finally:
        server.stop(grace=None)


def test_token_is_sent_as_bearer(recording_server: Tuple[str, RecordingHealth]) -> None:
    address, servicer = recording_server
    with connect(address, token="s3cret") as client:
        assert client.check_health() == health_pb2.HealthCheckResponse.SERVING
        assert client.check_health() == health_pb2.HealthCheckResponse.SERVING
    assert servicer.seen == ["Bearer s3cret", "Bearer s3cret"]


def test_no_token_sends_no_authorization(recording_server: Tuple[str, RecordingHealth]) -> None:
    address, servicer = recording_server
    with connect(address) as client:
        client.check_health()
    assert servicer.seen == [None]


def test_the_token_reaches_the_watch_stream(new_server: Callable[..., Server]) -> None:
    server = new_server(tokens={"sync-watch-token": ["watch"]})
    with connect(server.address, token="sync-watch-token") as client:
        watcher = client.watch_service_keys(max_attempts=0)
        try:
            assert next(watcher).WhichOneof("kind") == "snapshot"
        finally:
            watcher.close()
    with connect(server.address) as anonymous:
        with pytest.raises(grpc.RpcError) as raised:
            next(anonymous.watch_service_keys(max_attempts=0))
    assert error_details(raised.value).reason == "CALLER_UNAUTHENTICATED"
