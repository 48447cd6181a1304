"""The guide's flow against the real onramp binary and its embedded Megaport sandbox, and the
watcher resuming across a server restart. Every wait is bounded: the watcher runs on a thread
and the test reads its messages from a queue with a timeout."""

from __future__ import annotations

import queue
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable, Iterator, List, Tuple, Union

from google.protobuf import duration_pb2
from onramp.v1 import (
    catalog_service_pb2,
    events_pb2,
    region_service_pb2,
    resources_pb2,
    service_key_service_pb2,
    vxc_order_service_pb2,
)
from onramp_client import Client, ServiceKeyWatcher, connect, watch_service_keys

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
    """Drains a ServiceKeyWatcher on a thread. Every message is kept in ``seen`` together with
    the watcher's ``reconnects`` and ``resume_token`` right after it was yielded."""

    _END = object()

    def __init__(self, watcher: ServiceKeyWatcher) -> None:
        self.watcher = watcher
        self.seen: List[Tuple[Response, int, str]] = []
        self._queue: "queue.Queue[Union[Response, BaseException, object]]" = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for message in self.watcher:
                self._queue.put(message)
        except BaseException as error:  # handed to the test thread
            self._queue.put(error)
        finally:
            self._queue.put(self._END)

    def next(self, deadline: float) -> Response:
        item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
        if isinstance(item, BaseException):
            raise item
        if item is self._END:
            raise AssertionError("the watcher ended")
        assert isinstance(item, Response)
        self.seen.append((item, self.watcher.reconnects, self.watcher.resume_token))
        return item

    def until(self, done: Callable[[Response], bool], timeout: float = EVENT_TIMEOUT) -> Response:
        """Reads messages until ``done`` holds for one (returned); queue.Empty after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.next(deadline)
            if done(message):
                return message

    def snapshot(self) -> List[resources_pb2.ServiceKey]:
        """Reads the (possibly chunked) snapshot that opens a stream without a token."""
        keys: List[resources_pb2.ServiceKey] = []
        deadline = time.monotonic() + EVENT_TIMEOUT
        while True:
            message = self.next(deadline)
            assert message.WhichOneof("kind") == "snapshot", message
            keys.extend(message.snapshot.service_keys)
            if message.snapshot.last_chunk:
                assert message.resume_token
                return keys

    def events(self) -> Iterator[Event]:
        """Every change event read so far (progress messages skipped)."""
        for message, _, _ in self.seen:
            if message.WhichOneof("kind") == "changes":
                yield from message.changes.events

    def wait_event(self, match: Callable[[Event], bool], timeout: float = EVENT_TIMEOUT) -> Event:
        """The first change event read so far that matches, else reads until one arrives."""
        for event in self.events():
            if match(event):
                return event
        self.until(lambda m: m.WhichOneof("kind") == "changes" and any(match(e) for e in m.changes.events), timeout)
        return next(e for e in self.events() if match(e))

    def close(self) -> None:
        self.watcher.close()
        self._thread.join(timeout=5)


class RecordingStub:
    """The real ServiceKeyService stub, recording the resume_token of every WatchServiceKeys."""

    def __init__(self, stub: Any) -> None:
        self._stub = stub
        self.tokens: List[str] = []

    def WatchServiceKeys(self, request: service_key_service_pb2.WatchServiceKeysRequest, **kwargs: Any) -> Any:
        self.tokens.append(request.resume_token)
        return self._stub.WatchServiceKeys(request, **kwargs)


def added(key: str) -> Callable[[Event], bool]:
    return lambda e: e.type == ADDED and e.service_key.key == key


def test_guide_flow(client: Client) -> None:
    # The customer browses: countries, metros, the provider's region.
    countries = client.catalog.ListCountries(catalog_service_pb2.ListCountriesRequest(), timeout=TIMEOUT)
    names = [c.name for c in countries.countries]
    assert names == ["Australia", "Japan", "UK", "USA"], names  # ascending by name
    metros = client.catalog.ListMetros(catalog_service_pb2.ListMetrosRequest(country="USA"), timeout=TIMEOUT)
    assert [m.name for m in metros.metros] == ["Los Angeles", "New York"]
    region = client.regions.GetRegion(region_service_pb2.GetRegionRequest(name="us-west"), timeout=TIMEOUT).region
    assert region.display_name == "US-West"

    # "US-West with diversity": one blue and one red on-ramp.
    selection = client.catalog.SelectOnRamps(
        catalog_service_pb2.SelectOnRampsRequest(
            region="us-west", rate_limit_mbps=1000, diversity=resources_pb2.DIVERSITY_PREFERENCE_REQUIRED
        ),
        timeout=TIMEOUT,
    )
    assert selection.diversity_satisfied
    assert [o.diversity_zone for o in selection.chosen] == [resources_pb2.DIVERSITY_ZONE_BLUE, resources_pb2.DIVERSITY_ZONE_RED]
    assert [o.location.name for o in selection.chosen] == ["Equinix LA1", "CoreSite LA1"]

    reader = Reader(client.watch_service_keys())
    try:
        before = {k.key for k in reader.snapshot()}

        issued = client.service_keys.IssueServiceKeys(
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
        assert len(keys) == 2
        assert [k.on_ramp.port_uid for k in keys] == [o.port_uid for o in selection.chosen]
        # VLANs are allocated per Port: the two keys sit on different Ports, so each has its own.
        assert all(k.HasField("vlan") and 2 <= k.vlan <= 4093 for k in keys), keys
        assert len({(k.on_ramp.port_uid, k.vlan) for k in keys}) == 2
        assert not before & {k.key for k in keys}

        for issued_key in keys:
            event = reader.wait_event(added(issued_key.key))
            assert event.service_key.customer_ref == "acme"

        # Acme buys a VXC with the blue key.
        key = keys[0].key
        lookup = client.vxc_orders.LookupServiceKey(
            vxc_order_service_pb2.LookupServiceKeyRequest(key=key, account="acme"), timeout=TIMEOUT
        ).lookup
        assert lookup.usable, lookup.unusable_reason
        spec = resources_pb2.VxcOrderSpec(
            service_key=key, a_end_port_uid=ACME_PORT, rate_limit_mbps=100, term_months=12, name="acme to quantumgpu"
        )
        validated = client.vxc_orders.ValidateVxcOrder(
            vxc_order_service_pb2.ValidateVxcOrderRequest(account="acme", spec=spec), timeout=TIMEOUT
        )
        assert validated.HasField("price") and validated.price.currency, validated
        order = client.vxc_orders.CreateVxcOrder(
            vxc_order_service_pb2.CreateVxcOrderRequest(account="acme", spec=spec, request_id=str(uuid.uuid4())),
            timeout=TIMEOUT,
        ).order
        assert order.vxc_uid, order

        used = reader.wait_event(lambda e: e.type == STATE_CHANGED and e.service_key.key == key)
        assert used.service_key.state == resources_pb2.SERVICE_KEY_STATE_USED
        assert used.previous_state == resources_pb2.SERVICE_KEY_STATE_ACTIVE
        assert used.service_key.vxc_uid == order.vxc_uid
    finally:
        reader.close()


def test_nearest_on_ramp_and_key_rotation(client: Client) -> None:
    # Megaport's medians put a Seattle customer (location 94) nearest CoreSite LA1 and a San
    # Diego one (136) nearest Equinix LA1, and the answer says where each figure comes from.
    def first_choice(location_id: int) -> resources_pb2.OnRamp:
        selection = client.catalog.SelectOnRamps(
            catalog_service_pb2.SelectOnRampsRequest(
                region="us-west", rate_limit_mbps=500, customer_location_id=location_id
            ),
            timeout=TIMEOUT,
        )
        assert "megaport's medians" in selection.proximity_message, selection.proximity_message
        return selection.chosen[0]

    seattle, san_diego = first_choice(94), first_choice(136)
    assert (seattle.location.name, san_diego.location.name) == ("CoreSite LA1", "Equinix LA1")
    assert seattle.expected_rtt.source == resources_pb2.RTT_SOURCE_MEGAPORT_MEDIAN
    assert seattle.expected_rtt.milliseconds == 24.6

    # Rotation: a replacement with a fresh VLAN, the old key usable for the hour of grace.
    key = client.service_keys.CreateServiceKey(
        service_key_service_pb2.CreateServiceKeyRequest(
            port_uid=QUANTUMGPU_LA1, single_use=True, max_speed_mbps=1000, customer_ref="acme", request_id=str(uuid.uuid4())
        ),
        timeout=TIMEOUT,
    ).service_key
    rotate = service_key_service_pb2.RotateServiceKeyRequest(
        key=key.key, grace_period=duration_pb2.Duration(seconds=3600), request_id=str(uuid.uuid4())
    )
    rotated = client.service_keys.RotateServiceKey(rotate, timeout=TIMEOUT)
    new, old = rotated.new_service_key, rotated.old_service_key
    assert new.rotated_from == key.key and old.rotated_to == new.key
    assert new.vlan != key.vlan and new.customer_ref == "acme"
    assert old.state == resources_pb2.SERVICE_KEY_STATE_ACTIVE
    assert new.state == resources_pb2.SERVICE_KEY_STATE_ACTIVE
    replay = client.service_keys.RotateServiceKey(rotate, timeout=TIMEOUT)
    assert replay.new_service_key.key == new.key


def test_watcher_resumes_after_server_restart(new_server: Callable[[], Server]) -> None:
    server = new_server()

    def create_key(c: Client) -> str:
        response = c.service_keys.CreateServiceKey(
            service_key_service_pb2.CreateServiceKeyRequest(
                port_uid=QUANTUMGPU_LA1, single_use=True, request_id=str(uuid.uuid4())
            ),
            timeout=TIMEOUT,
        )
        return response.service_key.key

    with connect(server.address, token="test-token") as c:
        stub = RecordingStub(c.service_keys)
        reader = Reader(watch_service_keys(stub, initial_backoff=0.1, max_backoff=0.5))
        try:
            reader.snapshot()
            first = create_key(c)
            reader.wait_event(added(first))
            assert reader.watcher.reconnects == 0

            server.restart()  # SIGTERM, then a new process on the same port and data dir

            # The watcher reconnects by itself; a key minted after the restart arrives.
            second = create_key(c)
            reader.wait_event(added(second), timeout=20.0)
            # Progress promises everything up to its revision was delivered; read one more so a
            # duplicate would have shown up.
            last_revision = reader.seen[-1][0].revision
            reader.until(lambda m: m.WhichOneof("kind") == "progress" and m.revision >= last_revision)

            assert reader.watcher.reconnects >= 1
            # It reconnected with the token of the last message before the restart, every time.
            before = [token for _, reconnects, token in reader.seen if reconnects == 0]
            assert stub.tokens[0] == ""
            assert len(stub.tokens) >= 2 and set(stub.tokens[1:]) == {before[-1]}, (stub.tokens, before[-1])
            # No second snapshot, and no batch twice.
            kinds = [m.WhichOneof("kind") for m, _, _ in reader.seen]
            assert kinds.count("snapshot") == 1, kinds
            revisions = [m.revision for m, _, _ in reader.seen if m.WhichOneof("kind") == "changes"]
            assert revisions == sorted(set(revisions)), revisions
            assert sum(1 for e in reader.events() if added(first)(e)) == 1
            assert sum(1 for e in reader.events() if added(second)(e)) == 1
        finally:
            reader.close()

