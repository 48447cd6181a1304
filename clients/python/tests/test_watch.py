"""watch_service_keys() resume logic, against a fake ServiceKeyService stub."""

from __future__ import annotations

from typing import Iterator, List, Sequence, Union

import grpc
import pytest

from onramp.v1 import events_pb2, service_key_service_pb2
from onramp_client import watch_service_keys

Request = service_key_service_pb2.WatchServiceKeysRequest
Response = service_key_service_pb2.WatchServiceKeysResponse


class FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._code.name.lower()


Step = Union[Response, grpc.StatusCode, None]


class FakeStub:
    """Each WatchServiceKeys call plays the next script: messages, then an error code (or None
    for a clean end of stream)."""

    def __init__(self, scripts: Sequence[Sequence[Step]]) -> None:
        self._scripts = list(scripts)
        self.requests: List[Request] = []

    def WatchServiceKeys(self, request: Request) -> Iterator[Response]:
        self.requests.append(request)
        script = self._scripts.pop(0)

        def stream() -> Iterator[Response]:
            for step in script:
                if isinstance(step, grpc.StatusCode):
                    raise FakeRpcError(step)
                if step is None:
                    return
                yield step

        return stream()


def snapshot(revision: int, token: str, last: bool = True) -> Response:
    return Response(
        revision=revision,
        resume_token=token,
        snapshot=events_pb2.ServiceKeySnapshot(last_chunk=last),
    )


def changes(revision: int) -> Response:
    return Response(revision=revision, resume_token=f"t{revision}", changes=events_pb2.ServiceKeyChangeBatch())


def take(iterator: Iterator[Response], n: int) -> List[int]:
    return [next(iterator).revision for _ in range(n)]


def no_sleep(_: float) -> None:
    pass


def test_resumes_from_last_token_after_unavailable_without_loss() -> None:
    stub = FakeStub(
        [
            [snapshot(1, "t1"), changes(2), grpc.StatusCode.UNAVAILABLE],
            [changes(3), changes(4)],
        ]
    )
    watcher = watch_service_keys(stub, Request(port_uid="port-1", customer_ref="acme"), sleep=no_sleep)
    assert take(watcher, 4) == [1, 2, 3, 4]
    assert [r.resume_token for r in stub.requests] == ["", "t2"]
    assert all(r.port_uid == "port-1" and r.customer_ref == "acme" for r in stub.requests), "filters kept"
    assert watcher.resume_token == "t4"
    assert watcher.reconnects == 1


def test_reconnects_when_the_stream_just_ends() -> None:
    stub = FakeStub([[snapshot(5, "t5"), None], [changes(6)]])
    watcher = watch_service_keys(stub, sleep=no_sleep)
    assert take(watcher, 2) == [5, 6]
    assert stub.requests[1].resume_token == "t5"


def test_resumes_after_aborted_slow_reader() -> None:
    stub = FakeStub([[changes(7), grpc.StatusCode.ABORTED], [changes(8)]])
    watcher = watch_service_keys(stub, Request(resume_token="t6"), sleep=no_sleep)
    assert take(watcher, 2) == [7, 8]
    assert [r.resume_token for r in stub.requests] == ["t6", "t7"]


def test_snapshot_chunk_without_token_does_not_move_the_token() -> None:
    # The stream drops between two chunks of a snapshot: the reconnect asks for the snapshot
    # again (empty token), it does not pretend to have the first chunk's revision.
    stub = FakeStub(
        [
            [snapshot(9, "", last=False), grpc.StatusCode.UNAVAILABLE],
            [snapshot(9, "", last=False), snapshot(9, "t9")],
        ]
    )
    watcher = watch_service_keys(stub, sleep=no_sleep)
    assert take(watcher, 3) == [9, 9, 9]
    assert [r.resume_token for r in stub.requests] == ["", ""]
    assert watcher.resume_token == "t9"


def test_other_errors_are_raised_without_reconnecting() -> None:
    stub = FakeStub([[grpc.StatusCode.INVALID_ARGUMENT]])
    watcher = watch_service_keys(stub, Request(resume_token="garbage"), sleep=no_sleep)
    with pytest.raises(grpc.RpcError) as raised:
        next(watcher)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(stub.requests) == 1


def test_gives_up_after_max_attempts_with_backoff() -> None:
    slept: List[float] = []
    stub = FakeStub([[grpc.StatusCode.UNAVAILABLE]] * 4)
    watcher = watch_service_keys(stub, max_attempts=3, initial_backoff=1.0, max_backoff=2.0, sleep=slept.append)
    with pytest.raises(grpc.RpcError) as raised:
        next(watcher)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert len(stub.requests) == 4
    assert len(slept) == 3
    assert 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 2.0 and 1.0 <= slept[2] <= 2.0, slept


def test_close_stops_iteration() -> None:
    stub = FakeStub([[changes(1), changes(2)]])
    watcher = watch_service_keys(stub, sleep=no_sleep)
    assert next(watcher).revision == 1
    watcher.close()
    with pytest.raises(StopIteration):
        next(watcher)
