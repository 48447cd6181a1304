"""The asyncio facade against the real onramp binary: health, the error contract decoded by
error_details(), and the bearer token on every kind of call, the WatchServiceKeys stream
included (grpc.aio registers an interceptor for one call kind only: see
onramp_client.aio.client._bearer_interceptors)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Callable

import grpc
import pytest
from grpc_health.v1 import health_pb2

from onramp.v1 import catalog_service_pb2
from onramp_client.aio import connect, error_details

if TYPE_CHECKING:
    from conftest import Server

TIMEOUT = 10.0
TOKEN = "aio-watch-token"


async def test_health_is_serving(server: Server) -> None:
    async with connect(server.address) as client:
        assert await client.check_health() == health_pb2.HealthCheckResponse.SERVING
        assert await client.check_health("onramp.v1.CatalogService") == health_pb2.HealthCheckResponse.SERVING


async def test_negative_page_size_is_a_field_violation(server: Server) -> None:
    async with connect(server.address, token="test-token") as client:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await client.catalog.ListOnRamps(catalog_service_pb2.ListOnRampsRequest(page_size=-1), timeout=TIMEOUT)
    details = error_details(raised.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert (details.domain, details.reason) == ("onramp", "INVALID_FIELD")
    violation = details.violation("page_size")
    assert violation is not None and violation.description, details.field_violations


async def test_the_token_reaches_unary_calls_and_the_watch_stream(new_server: Callable[..., Server]) -> None:
    server = new_server(tokens={TOKEN: ["catalog.read", "keys.read", "watch"]})

    async with connect(server.address, token=TOKEN) as client:
        countries = await client.catalog.ListCountries(catalog_service_pb2.ListCountriesRequest(), timeout=TIMEOUT)
        assert countries.countries
        # The server answers a stream without the token with UNAUTHENTICATED, which the watcher
        # raises: a snapshot means the token went out on the server-streaming call.
        async with client.watch_service_keys(max_attempts=0) as watcher:
            first = await asyncio.wait_for(watcher.__anext__(), TIMEOUT)
        assert first.WhichOneof("kind") == "snapshot", first

    async with connect(server.address) as anonymous:
        async with anonymous.watch_service_keys(max_attempts=0) as watcher:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await asyncio.wait_for(watcher.__anext__(), TIMEOUT)
    details = error_details(raised.value)
    assert details.code == grpc.StatusCode.UNAUTHENTICATED, details
    assert details.reason == "CALLER_UNAUTHENTICATED", details
