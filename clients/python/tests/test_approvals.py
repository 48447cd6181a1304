"""The provider's approval inbox: a customer buys with a key that is not pre-approved, the
inbox lists it with the key and customer_ref, and the provider approves it; once LIVE, the
customer cancels it at the end of its term (one lifecycle change)."""

from __future__ import annotations

import time
import uuid

from onramp.v1 import (
    approval_service_pb2,
    catalog_service_pb2,
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


QUANTUMGPU_LA_MCR = "5c2e8a41-7d3b-4f0e-9a6c-1b8d2f4e6a90"


def test_a_key_on_the_mcr_configures_the_bgp_session_before_approval(client: Client) -> None:
    """The provider's MCR: a key with a peering profile (interface and BGP session); onramp
    sends the profile to Megaport before it approves the order bought with the key."""
    kinds = [resources_pb2.ON_RAMP_KIND_MCR]
    mcrs = client.catalog.ListOnRamps(catalog_service_pb2.ListOnRampsRequest(kinds=kinds), timeout=TIMEOUT)
    assert [(o.port_uid, o.kind, o.mcr_asn) for o in mcrs.on_ramps] == [
        (QUANTUMGPU_LA_MCR, resources_pb2.ON_RAMP_KIND_MCR, 133937)
    ]
    peering = resources_pb2.PeeringProfile(
        mcr=resources_pb2.McrPeering(
            interface_addresses=["169.254.40.1/30"],
            bgp=resources_pb2.BgpSession(
                peer_asn=64800,
                local_ip_address="169.254.40.1",
                peer_ip_address="169.254.40.2",
                password="py-bgp-secret",
                bfd=True,
            ),
        )
    )
    key = client.service_keys.CreateServiceKey(
        service_key_service_pb2.CreateServiceKeyRequest(
            port_uid=QUANTUMGPU_LA_MCR,
            single_use=True,
            max_speed_mbps=1000,
            pre_approved=False,
            customer_ref="acme-python-l3",
            request_id=str(uuid.uuid4()),
            peering=peering,
        ),
        timeout=TIMEOUT,
    ).service_key
    assert key.on_ramp.kind == resources_pb2.ON_RAMP_KIND_MCR
    assert key.peering.mcr.bgp.password_set and not key.peering.mcr.bgp.password

    spec = resources_pb2.VxcOrderSpec(
        service_key=key.key, a_end_port_uid=ACME_PORT, rate_limit_mbps=100, term_months=12, name="python mcr"
    )
    order = client.vxc_orders.CreateVxcOrder(
        vxc_order_service_pb2.CreateVxcOrderRequest(account="acme", spec=spec, request_id=str(uuid.uuid4())),
        timeout=TIMEOUT,
    ).order
    deadline = time.monotonic() + 20
    while True:
        listed = client.approvals.ListApprovals(approval_service_pb2.ListApprovalsRequest(), timeout=TIMEOUT)
        found = [a for a in listed.approvals if a.vxc_uid == order.vxc_uid and a.service_key == key.key]
        if found:
            break
        assert time.monotonic() < deadline, "the inbox never listed the order with its key"
        time.sleep(0.2)
    approved = client.approvals.ApproveApproval(
        approval_service_pb2.ApproveApprovalRequest(approval_uid=found[0].approval_uid), timeout=TIMEOUT
    ).approval
    assert approved.status == approval_service_pb2.APPROVAL_STATUS_APPROVED
    assert approved.peering.state == resources_pb2.PEERING_STATE_SENT_BEFORE_APPROVAL
