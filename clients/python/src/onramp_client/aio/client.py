"""connect(): one grpc.aio channel, the five onramp.v1 async stubs and health, bearer token on
every call."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Callable, List, Optional, Sequence, Tuple

import grpc
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from onramp.v1 import (
    admin_service_pb2_grpc,
    approval_service_pb2_grpc,
    catalog_service_pb2_grpc,
    region_service_pb2_grpc,
    service_key_service_pb2,
    service_key_service_pb2_grpc,
    vxc_order_service_pb2_grpc,
    webhook_service_pb2_grpc,
)
from onramp_client.aio.watch import AsyncServiceKeyWatcher, watch_service_keys

__all__ = ["AsyncClient", "connect"]


class _Token:
    """The ``authorization: Bearer <token>`` header, added to a call's details unless the caller
    set its own. Not an interceptor itself: see _bearer_interceptors()."""

    def __init__(self, token: str) -> None:
        self._token = f"Bearer {token}"

    def _details(self, details: aio.ClientCallDetails) -> aio.ClientCallDetails:
        # A copy: the caller's Metadata object may be reused for other calls.
        metadata = aio.Metadata.from_tuple(tuple(details.metadata or ()))
        if metadata.get("authorization") is None:
            metadata.add("authorization", self._token)
        return aio.ClientCallDetails(
            method=details.method,
            timeout=details.timeout,
            metadata=metadata,
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
        )


class _BearerUnaryUnary(_Token, aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _BearerUnaryStream(_Token, aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _BearerStreamUnary(_Token, aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)


class _BearerStreamStream(_Token, aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)


def _bearer_interceptors(token: str) -> List[aio.ClientInterceptor]:
    """One interceptor per call kind. grpc.aio files each interceptor under the first kind it is
    an instance of (an if/elif chain in grpc.aio.Channel.__init__, grpc/grpc#40946), so one class
    implementing all four kinds, as the sync facade's _BearerToken does, would be used for unary
    calls only and WatchServiceKeys would go out without the token.

    An interceptor rather than call credentials, because gRPC refuses call credentials on
    plaintext channels and onramp is often reached over loopback or a mesh without TLS.
    """
    return [
        _BearerUnaryUnary(token),
        _BearerUnaryStream(token),
        _BearerStreamUnary(token),
        _BearerStreamStream(token),
    ]


class AsyncClient:
    """A grpc.aio connection to onramp with one typed async stub per service.

    Every stub method takes the generated request message and the usual keyword arguments
    (``timeout=``, ``metadata=``) and is awaited; errors are ``grpc.aio.AioRpcError`` (a
    ``grpc.RpcError``), decoded by :func:`onramp_client.error_details`. Use it inside the event
    loop that created it (grpc.aio objects are bound to their loop), as ``async with``.
    """

    catalog: catalog_service_pb2_grpc.CatalogServiceAsyncStub
    regions: region_service_pb2_grpc.RegionServiceAsyncStub
    service_keys: service_key_service_pb2_grpc.ServiceKeyServiceAsyncStub
    vxc_orders: vxc_order_service_pb2_grpc.VxcOrderServiceAsyncStub
    approvals: approval_service_pb2_grpc.ApprovalServiceAsyncStub
    webhooks: webhook_service_pb2_grpc.WebhookServiceAsyncStub
    admin: admin_service_pb2_grpc.AdminServiceAsyncStub
    health: health_pb2_grpc.HealthStub

    def __init__(self, channel: aio.Channel) -> None:
        self.channel = channel
        # The generated stubs serve both kinds of channel; on an aio.Channel they are the
        # *AsyncStub types of the .pyi files.
        self.catalog = catalog_service_pb2_grpc.CatalogServiceStub(channel)
        self.regions = region_service_pb2_grpc.RegionServiceStub(channel)
        self.service_keys = service_key_service_pb2_grpc.ServiceKeyServiceStub(channel)
        self.vxc_orders = vxc_order_service_pb2_grpc.VxcOrderServiceStub(channel)
        self.approvals = approval_service_pb2_grpc.ApprovalServiceStub(channel)
        self.webhooks = webhook_service_pb2_grpc.WebhookServiceStub(channel)
        self.admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        self.health = health_pb2_grpc.HealthStub(channel)

    async def check_health(self, service: str = "", timeout: Optional[float] = 5.0) -> int:
        """The serving status (``health_pb2.HealthCheckResponse.SERVING`` = 1) of ``service``;
        the empty name is the whole server."""
        request = health_pb2.HealthCheckRequest(service=service)
        # types-grpcio-health-checking's HealthStub does not declare its methods.
        response = await self.health.Check(request, timeout=timeout)  # type: ignore[attr-defined]
        return int(response.status)

    def watch_service_keys(
        self,
        request: Optional[service_key_service_pb2.WatchServiceKeysRequest] = None,
        **kwargs: Any,
    ) -> AsyncServiceKeyWatcher:
        """Follows service keys, resuming after disconnects; see
        :func:`onramp_client.aio.watch_service_keys`."""
        return watch_service_keys(self.service_keys, request, **kwargs)

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()


def connect(
    address: str,
    tls: bool = False,
    token: Optional[str] = None,
    *,
    root_certificates: Optional[bytes] = None,
    options: Sequence[Tuple[str, Any]] = (),
) -> AsyncClient:
    """Opens a grpc.aio channel to onramp at ``address`` (``host:port``); call it inside the
    running event loop.

    ``tls`` uses TLS with the system roots, or ``root_certificates`` (PEM) when given. ``token``
    is sent as ``authorization: Bearer <token>`` on every call, streams included. The channel
    connects lazily; the first call (e.g. :meth:`AsyncClient.check_health`) reports an
    unreachable server.
    """
    interceptors = _bearer_interceptors(token) if token else None
    if tls:
        credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
        channel = aio.secure_channel(address, credentials, options=list(options), interceptors=interceptors)
    else:
        channel = aio.insecure_channel(address, options=list(options), interceptors=interceptors)
    return AsyncClient(channel)
