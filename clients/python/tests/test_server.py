"""The facade against the real onramp binary: health, and the error contract decoded by
error_details()."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2

from onramp.v1 import catalog_service_pb2
from onramp_client import Client, error_details

TIMEOUT = 10.0


def test_health_is_serving(client: Client) -> None:
    assert client.check_health() == health_pb2.HealthCheckResponse.SERVING
    assert client.check_health("onramp.v1.CatalogService") == health_pb2.HealthCheckResponse.SERVING


def test_negative_page_size_is_a_field_violation(client: Client) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        client.catalog.ListOnRamps(catalog_service_pb2.ListOnRampsRequest(page_size=-1), timeout=TIMEOUT)
    details = error_details(raised.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.domain == "onramp"
    assert details.reason == "INVALID_FIELD"
    violation = details.violation("page_size")
    assert violation is not None, details.field_violations
    assert violation.description, "the violation says what is wrong"
