"""Webhooks as a receiver sees them: a loopback receiver (the suite's server allows 127.0.0.0/8
for it) gets a key's events, and every delivery's signature is checked with the Standard
Webhooks reference library from PyPI, an implementation onramp did not write."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, Tuple

import pytest
from standardwebhooks import Webhook

from onramp.v1 import resources_pb2, service_key_service_pb2, webhook_service_pb2
from onramp_client import Client

TIMEOUT = 10.0
QUANTUMGPU_LA1 = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88"

Delivery = Tuple[Dict[str, str], bytes]


@pytest.fixture()
def receiver() -> Iterator[Tuple[str, "queue.Queue[Delivery]"]]:
    """A receiver on 127.0.0.1 that answers 204 and queues (headers, body) of every POST."""
    deliveries: "queue.Queue[Delivery]" = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            deliveries.put(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_address[1]}/hook", deliveries
    finally:
        http.shutdown()
        thread.join(timeout=5)


def test_key_events_arrive_signed_as_standard_webhooks(
    client: Client, receiver: Tuple[str, "queue.Queue[Delivery]"]
) -> None:
    url, deliveries = receiver
    created = client.webhooks.CreateWebhookEndpoint(
        webhook_service_pb2.CreateWebhookEndpointRequest(
            endpoint=webhook_service_pb2.WebhookEndpoint(url=url, event_types=["service_key.created"]),
            request_id=str(uuid.uuid4()),
        ),
        timeout=TIMEOUT,
    )
    assert created.secret.startswith("whsec_")
    verifier = Webhook(created.secret)

    key = client.service_keys.CreateServiceKey(
        service_key_service_pb2.CreateServiceKeyRequest(
            port_uid=QUANTUMGPU_LA1, single_use=True, max_speed_mbps=1000, customer_ref="acme", request_id=str(uuid.uuid4())
        ),
        timeout=TIMEOUT,
    ).service_key
    assert key.state == resources_pb2.SERVICE_KEY_STATE_ACTIVE

    while True:
        headers, body = deliveries.get(timeout=TIMEOUT)
        # The reference library checks the signature and the timestamp, and parses the body.
        event = verifier.verify(body, headers)
        assert event == json.loads(body)
        assert event["type"] == "service_key.created", event  # the endpoint's filter holds
        if event["data"]["key"] == key.key:
            break
    assert event["data"]["customer_ref"] == "acme"
    assert headers["webhook-id"].startswith("msg_")

    # A tampered body fails the same check.
    with pytest.raises(Exception):
        verifier.verify(body.replace(b"acme", b"evil"), headers)

    client.webhooks.DeleteWebhookEndpoint(
        webhook_service_pb2.DeleteWebhookEndpointRequest(id=created.endpoint.id), timeout=TIMEOUT
    )
