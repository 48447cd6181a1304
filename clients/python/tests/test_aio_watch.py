"""onramp_client.aio.watch_service_keys() resume logic, against a fake ServiceKeyService stub
whose calls behave as grpc.aio's (read() returns messages, then grpc.aio.EOF or raises)."""

from __future__ import annotations

from typing import List, Optional, Sequence, Union

import grpc
import pytest
from grpc import aio

from onramp.v1 import events_pb2, service_key_service_pb2
from onramp_client.aio import AsyncServiceKeyWatcher, watch_service_keys

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


class FakeCall:
    """Plays a script: messages, then an error code (raised by read()) or None (EOF)."""

    def __init__(self, script: Sequence[Step]) -> None:
        self._script = list(script)
        self.cancelled = False

    async def read(self) -> object:
        step = self._script.pop(0)
        if isinstance(step, grpc.StatusCode):
            raise FakeRpcError(step)
        return aio.EOF if step is None else step

    def cancel(self) -> bool:
        self.cancelled = True
        return True


class FakeStub:
    """Each WatchServiceKeys call plays the next script."""

    def __init__(self, scripts: Sequence[Sequence[Step]]) -> None:
        self._scripts = list(scripts)
        self.requests: List[Request] = []
        self.calls: List[FakeCall] = []

    def WatchServiceKeys(self, request: Request) -> FakeCall:
        self.requests.append(request)
        self.calls.append(FakeCall(self._scripts.pop(0)))
        return self.calls[-1]


def snapshot(revision: int, token: str, last: bool = True) -> Response:
    return Response(revision=revision, resume_token=token, snapshot=events_pb2.ServiceKeySnapshot(last_chunk=last))


def changes(revision: int) -> Response:
    return Response(revision=revision, resume_token=f"t{revision}", changes=events_pb2.ServiceKeyChangeBatch())


async def no_sleep(_: float) -> None:
    pass


async def take(watcher: AsyncServiceKeyWatcher, n: int) -> List[int]:
    revisions = []
    async for message in watcher:
        revisions.append(message.revision)
        if len(revisions) == n:
            break
    return revisions


async def test_resumes_from_last_token_after_unavailable_without_loss() -> None:
    stub = FakeStub([[snapshot(1, "t1"), changes(2), grpc.StatusCode.UNAVAILABLE], [changes(3), changes(4)]])
    watcher = watch_service_keys(stub, Request(port_uid="port-1", customer_ref="acme"), sleep=no_sleep)
    assert await take(watcher, 4) == [1, 2, 3, 4]
    assert [r.resume_token for r in stub.requests] == ["", "t2"]
    assert all(r.port_uid == "port-1" and r.customer_ref == "acme" for r in stub.requests), "filters kept"
    assert watcher.resume_token == "t4"
    assert watcher.reconnects == 1


async def test_reconnects_when_the_stream_just_ends() -> None:
    stub = FakeStub([[snapshot(5, "t5"), None], [changes(6)]])
    watcher = watch_service_keys(stub, sleep=no_sleep)
    assert await take(watcher, 2) == [5, 6]
    assert stub.requests[1].resume_token == "t5"


async def test_resumes_after_aborted_slow_reader() -> None:
    stub = FakeStub([[changes(7), grpc.StatusCode.ABORTED], [changes(8)]])
    watcher = watch_service_keys(stub, Request(resume_token="t6"), sleep=no_sleep)
    assert await take(watcher, 2) == [7, 8]
    assert [r.resume_token for r in stub.requests] == ["t6", "t7"]


async def test_snapshot_chunk_without_token_does_not_move_the_token() -> None:
    stub = FakeStub(
        [
            [snapshot(9, "", last=False), grpc.StatusCode.UNAVAILABLE],
            [snapshot(9, "", last=False), snapshot(9, "t9")],
        ]
    )
    watcher = watch_service_keys(stub, sleep=no_sleep)
    assert await take(watcher, 3) == [9, 9, 9]
    assert [r.resume_token for r in stub.requests] == ["", ""]
    assert watcher.resume_token == "t9"


async def test_other_errors_are_raised_without_reconnecting() -> None:
    stub = FakeStub([[grpc.StatusCode.INVALID_ARGUMENT]])
    watcher = watch_service_keys(stub, Request(resume_token="garbage"), sleep=no_sleep)
    with pytest.raises(grpc.RpcError) as raised:
        await watcher.__anext__()
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(stub.requests) == 1


async def test_gives_up_after_max_attempts_with_backoff() -> None:
    slept: List[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    stub = FakeStub([[grpc.StatusCode.UNAVAILABLE]] * 4)
    watcher = watch_service_keys(stub, max_attempts=3, initial_backoff=1.0, max_backoff=2.0, sleep=sleep)
    with pytest.raises(grpc.RpcError) as raised:
        await watcher.__anext__()
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert len(stub.requests) == 4
    assert len(slept) == 3
    assert 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 2.0 and 1.0 <= slept[2] <= 2.0, slept


async def test_leaving_async_with_cancels_the_stream_and_stops_iteration() -> None:
    stub = FakeStub([[changes(1), changes(2)]])
    call: Optional[FakeCall] = None
    async with watch_service_keys(stub, sleep=no_sleep) as watcher:
        assert (await watcher.__anext__()).revision == 1
        call = stub.calls[0]
    assert call is not None and call.cancelled
    with pytest.raises(StopAsyncIteration):
        await watcher.__anext__()
