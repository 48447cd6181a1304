"""The guide's flow through the asyncio client (onramp_client.aio) against the real onramp
binary, and its watcher resuming across a server restart: test_flow.py's scenarios on grpc.aio.
Every wait is bounded: a task pumps the watcher into a queue that the test reads with a timeout."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, List, Tuple, Union

import pytest

from onramp.v1 import (
    catalog_service_pb2,
    events_pb2,
    region_service_pb2,
    resources_pb2,
    service_key_service_pb2,
    vxc_order_service_pb2,
)
from onramp_client.aio import AsyncClient, AsyncServiceKeyWatcher, connect, watch_service_keys

if TYPE_CHECKING:
    from conftest import Server

TIMEOUT = 10.0
EVENT_TIMEOUT = 10.0  # the server polls the sandbox every 100 ms in the suite

Response = service_key_service_pb2.WatchServiceKeysResponse
Event = events_pb2.ServiceKeyEvent

ACME_PORT = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a"
QUANTUMGPU_LA1 = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88"
ADDED = events_pb2.SERVICE_KEY_EVENT_TYPE_ADDED
STATE_CHANGED = events_pb2.SERVICE_KEY_EVENT_TYPE_STATE_CHANGED


class Reader:
    """Drains an AsyncServiceKeyWatcher in a task, so the watcher reads (and sees a disconnect)
    while the test does other things. Every message is kept in ``seen`` with the watcher's
    ``reconnects`` and ``resume_token`` right after it was yielded."""

    _END = object()

    def __init__(self, watcher: AsyncServiceKeyWatcher) -> None:
        self.watcher = watcher
        self.seen: List[Tuple[Response, int, str]] = []
        self._queue: "asyncio.Queue[Union[Response, BaseException, object]]" = asyncio.Queue()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            async for message in self.watcher:
                self._queue.put_nowait((message, self.watcher.reconnects, self.watcher.resume_token))
        except Exception as error:  # handed to the test
            self._queue.put_nowait(error)
        finally:
            self._queue.put_nowait(self._END)

    async def next(self, deadline: float) -> Response:
        item = await asyncio.wait_for(self._queue.get(), max(0.0, deadline - time.monotonic()))
        if isinstance(item, BaseException):
            raise item
        if item is self._END:
            raise AssertionError("the watcher ended")
        assert isinstance(item, tuple)
        self.seen.append(item)
        message: Response = item[0]
        return message

    async def until(self, done: Callable[[Response], bool], timeout: float = EVENT_TIMEOUT) -> Response:
        """Reads messages until ``done`` holds for one (returned); TimeoutError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            message = await self.next(deadline)
            if done(message):
                return message

    async def snapshot(self) -> List[resources_pb2.ServiceKey]:
        """Reads the (possibly chunked) snapshot that opens a stream without a token."""
        keys: List[resources_pb2.ServiceKey] = []
        deadline = time.monotonic() + EVENT_TIMEOUT
        while True:
            message = await self.next(deadline)
            assert message.WhichOneof("kind") == "snapshot", message
            keys.extend(message.snapshot.service_keys)
            if message.snapshot.last_chunk:
                assert message.resume_token
                return keys

    def events(self) -> List[Event]:
        """Every change event read so far (progress messages skipped)."""
        return [e for m, _, _ in self.seen if m.WhichOneof("kind") == "changes" for e in m.changes.events]

    async def wait_event(self, match: Callable[[Event], bool], timeout: float = EVENT_TIMEOUT) -> Event:
        """The first change event read so far that matches, else reads until one arrives."""
        if not any(match(e) for e in self.events()):
            await self.until(
                lambda m: m.WhichOneof("kind") == "changes" and any(match(e) for e in m.changes.events), timeout
            )
        return next(e for e in self.events() if match(e))

    async def close(self) -> None:
        """Closes the watcher under the pump's pending read: the iteration must simply end."""
        self.watcher.close()
        await asyncio.wait_for(self._task, 5)
        rest = []
        while not self._queue.empty():
            rest.append(self._queue.get_nowait())
        assert not [r for r in rest if isinstance(r, BaseException)], rest


class RecordingStub:
    """The real async ServiceKeyService stub, recording the resume_token of every WatchServiceKeys."""

    def __init__(self, stub: Any) -> None:
        self._stub = stub
        self.tokens: List[str] = []

    def WatchServiceKeys(self, request: service_key_service_pb2.WatchServiceKeysRequest, **kwargs: Any) -> Any:
        self.tokens.append(request.resume_token)
        return self._stub.WatchServiceKeys(request, **kwargs)


def added(key: str) -> Callable[[Event], bool]:
    return lambda e: e.type == ADDED and e.service_key.key == key


@pytest.fixture()
async def aclient(server: Server) -> AsyncIterator[AsyncClient]:
    async with connect(server.address, token="test-token") as c:
        yield c


async def test_guide_flow(aclient: AsyncClient) -> None:
    client = aclient
    countries = await client.catalog.ListCountries(catalog_service_pb2.ListCountriesRequest(), timeout=TIMEOUT)
    assert [c.name for c in countries.countries] == ["Australia", "Japan", "UK", "USA"]
    metros = await client.catalog.ListMetros(catalog_service_pb2.ListMetrosRequest(country="USA"), timeout=TIMEOUT)
    assert [m.name for m in metros.metros] == ["Los Angeles", "New York"]
    region = await client.regions.GetRegion(region_service_pb2.GetRegionRequest(name="us-west"), timeout=TIMEOUT)
    assert region.region.display_name == "US-West"

    selection = await client.catalog.SelectOnRamps(
        catalog_service_pb2.SelectOnRampsRequest(
            region="us-west", rate_limit_mbps=1000, diversity=resources_pb2.DIVERSITY_PREFERENCE_REQUIRED
        ),
        timeout=TIMEOUT,
    )
    assert selection.diversity_satisfied
    assert [o.location.name for o in selection.chosen] == ["Equinix LA1", "CoreSite LA1"]

    reader = Reader(client.watch_service_keys())
    try:
        before = {k.key for k in await reader.snapshot()}
        issued = await client.service_keys.IssueServiceKeys(
            service_key_service_pb2.IssueServiceKeysRequest(
                region="us-west",
                diversity=resources_pb2.DIVERSITY_PREFERENCE_REQUIRED,
                max_speed_mbps=1000,
                single_use=True,
                pre_approved=True,
                customer_ref="acme",
                request_id=str(uuid.uuid4()),
            ),
            timeout=TIMEOUT,
        )
        keys = list(issued.service_keys)
        assert [k.on_ramp.port_uid for k in keys] == [o.port_uid for o in selection.chosen]
        assert not before & {k.key for k in keys}
        for issued_key in keys:
            assert (await reader.wait_event(added(issued_key.key))).service_key.customer_ref == "acme"

        key = keys[0].key
        spec = resources_pb2.VxcOrderSpec(
            service_key=key, a_end_port_uid=ACME_PORT, rate_limit_mbps=100, term_months=12, name="acme to quantumgpu"
        )
        validated = await client.vxc_orders.ValidateVxcOrder(
            vxc_order_service_pb2.ValidateVxcOrderRequest(account="acme", spec=spec), timeout=TIMEOUT
        )
        assert validated.price.currency, validated
        created = await client.vxc_orders.CreateVxcOrder(
            vxc_order_service_pb2.CreateVxcOrderRequest(account="acme", spec=spec, request_id=str(uuid.uuid4())),
            timeout=TIMEOUT,
        )
        assert created.order.vxc_uid, created

        used = await reader.wait_event(lambda e: e.type == STATE_CHANGED and e.service_key.key == key)
        assert used.service_key.state == resources_pb2.SERVICE_KEY_STATE_USED
        assert used.previous_state == resources_pb2.SERVICE_KEY_STATE_ACTIVE
        assert used.service_key.vxc_uid == created.order.vxc_uid
    finally:
        await reader.close()


async def test_watcher_resumes_after_server_restart(new_server: Callable[[], Server]) -> None:
    server = new_server()

    async def create_key(c: AsyncClient) -> str:
        response = await c.service_keys.CreateServiceKey(
            service_key_service_pb2.CreateServiceKeyRequest(
                port_uid=QUANTUMGPU_LA1, single_use=True, request_id=str(uuid.uuid4())
            ),
            timeout=TIMEOUT,
        )
        return response.service_key.key

    async with connect(server.address, token="test-token") as c:
        stub = RecordingStub(c.service_keys)
        reader = Reader(watch_service_keys(stub, initial_backoff=0.1, max_backoff=0.5))
        try:
            await reader.snapshot()
            first = await create_key(c)
            await reader.wait_event(added(first))
            assert reader.watcher.reconnects == 0

            # SIGTERM, then a new process on the same port and data dir. On a thread, so the
            # loop keeps running and the watcher meets the disconnect as it happens.
            await asyncio.to_thread(server.restart)

            second = await create_key(c)
            await reader.wait_event(added(second), timeout=20.0)
            # Progress promises everything up to its revision was delivered; read one more so a
            # duplicate would have shown up.
            last_revision = reader.seen[-1][0].revision
            await reader.until(lambda m: m.WhichOneof("kind") == "progress" and m.revision >= last_revision)

            assert reader.watcher.reconnects >= 1
            # It reconnected with the token of the last message before the restart, every time.
            before = [token for _, reconnects, token in reader.seen if reconnects == 0]
            assert stub.tokens[0] == ""
            assert len(stub.tokens) >= 2 and set(stub.tokens[1:]) == {before[-1]}, (stub.tokens, before[-1])
            kinds = [m.WhichOneof("kind") for m, _, _ in reader.seen]
            assert kinds.count("snapshot") == 1, kinds
            revisions = [m.revision for m, _, _ in reader.seen if m.WhichOneof("kind") == "changes"]
            assert revisions == sorted(set(revisions)), revisions
            assert sum(1 for e in reader.events() if added(first)(e)) == 1
            assert sum(1 for e in reader.events() if added(second)(e)) == 1
        finally:
            await reader.close()
