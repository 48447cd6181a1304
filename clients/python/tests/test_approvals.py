"""The provider's approval inbox: a customer buys with a key that is not pre-approved, the
inbox lists it with the key and customer_ref, and the provider approves it; once LIVE, the
customer cancels it at the end of its term (one lifecycle change)."""

from __future__ import annotations

import time
import uuid

from onramp.v1 import (
    approval_service_pb2,
    resources_pb2,
    service_key_service_pb2,
    vxc_order_service_pb2,
)
from onramp_client import Client

TIMEOUT = 10.0
ACME_PORT = "7fba50bb-ac35-465b-9b8b-9a6d7335ec7a"
QUANTUMGPU_LA1 = "cbbcc852-ed8a-4a3b-8f00-c192eefb1a88"


def test_the_provider_approves_from_its_inbox(client: Client) -> None:
    key = client.service_keys.CreateServiceKey(
        service_key_service_pb2.CreateServiceKeyRequest(
            port_uid=QUANTUMGPU_LA1,
            single_use=True,
            max_speed_mbps=1000,
            pre_approved=False,
            customer_ref="acme-python",
            request_id=str(uuid.uuid4()),
        ),
        timeout=TIMEOUT,
    ).service_key
    spec = resources_pb2.VxcOrderSpec(
        service_key=key.key, a_end_port_uid=ACME_PORT, rate_limit_mbps=100, term_months=12, name="python inbox"
    )
    order = client.vxc_orders.CreateVxcOrder(
        vxc_order_service_pb2.CreateVxcOrderRequest(account="acme", spec=spec, request_id=str(uuid.uuid4())),
        timeout=TIMEOUT,
    ).order
    assert order.state == resources_pb2.VXC_ORDER_STATE_AWAITING_APPROVAL

    deadline = time.monotonic() + 20
    while True:
        listed = client.approvals.ListApprovals(approval_service_pb2.ListApprovalsRequest(), timeout=TIMEOUT)
        # The inbox names an approval's key once the key watcher has seen the VXC on it (a
        # read of the inbox just before that lists it without, and the next read adds it).
        found = [a for a in listed.approvals if a.vxc_uid == order.vxc_uid and a.service_key]
        if found:
            break
        assert time.monotonic() < deadline, "the inbox never listed the order with its key"
        time.sleep(0.2)
    pending = found[0]
    assert pending.type == approval_service_pb2.APPROVAL_TYPE_NEW_ORDER
    assert pending.status == approval_service_pb2.APPROVAL_STATUS_PENDING
    assert (pending.service_key, pending.customer_ref, pending.requester) == (key.key, "acme-python", "Acme")
    assert pending.on_ramp.port_uid == QUANTUMGPU_LA1

    approved = client.approvals.ApproveApproval(
        approval_service_pb2.ApproveApprovalRequest(approval_uid=pending.approval_uid, comment="welcome"),
        timeout=TIMEOUT,
    ).approval
    assert approved.status == approval_service_pb2.APPROVAL_STATUS_APPROVED
    assert approved.comment == "welcome"

    deadline = time.monotonic() + 30
    while True:
        state = client.vxc_orders.GetVxcOrder(
            vxc_order_service_pb2.GetVxcOrderRequest(order_id=order.order_id), timeout=TIMEOUT
        ).order.state
        if state == resources_pb2.VXC_ORDER_STATE_LIVE:
            break
        assert time.monotonic() < deadline, f"order still {state}"
        time.sleep(0.2)
    cancelled = client.vxc_orders.CancelVxc(
        vxc_order_service_pb2.CancelVxcRequest(
            account="acme", vxc_uid=order.vxc_uid, now=False, request_id=str(uuid.uuid4())
        ),
        timeout=TIMEOUT,
    ).vxc
    assert cancelled.provisioning_status == resources_pb2.PROVISIONING_STATUS_CANCELLED
