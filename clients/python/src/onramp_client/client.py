"""connect(): one channel, the seven onramp.v1 service stubs and health, bearer token on every call."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Callable, Optional, Sequence, Tuple

import grpc
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
from onramp_client.watch import ServiceKeyWatcher, watch_service_keys

__all__ = ["Client", "connect"]


class _BearerToken(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds ``authorization: Bearer <token>`` to every call.

    An interceptor rather than call credentials, because gRPC refuses call credentials on
    plaintext channels and onramp is often reached over loopback or a mesh without TLS.
    """

    def __init__(self, token: str) -> None:
        self._header = ("authorization", f"Bearer {token}")

    def _with_token(self, details: Any) -> Any:
        metadata = list(details.metadata or [])
        if not any(key == "authorization" for key, _ in metadata):
            metadata.append(self._header)
        return details._replace(metadata=metadata)

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        return continuation(self._with_token(details), request)

    def intercept_stream_unary(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._with_token(details), requests)

    def intercept_stream_stream(self, continuation: Callable[..., Any], details: Any, requests: Any) -> Any:
        return continuation(self._with_token(details), requests)


class Client:
    """A connection to onramp with one typed stub per service.

    Every stub method takes the generated request message and the usual gRPC keyword arguments
    (``timeout=`` for a deadline in seconds, ``metadata=``); errors are ``grpc.RpcError``, decoded
    by :func:`onramp_client.error_details`.
    """

    catalog: catalog_service_pb2_grpc.CatalogServiceStub
    regions: region_service_pb2_grpc.RegionServiceStub
    service_keys: service_key_service_pb2_grpc.ServiceKeyServiceStub
    vxc_orders: vxc_order_service_pb2_grpc.VxcOrderServiceStub
    approvals: approval_service_pb2_grpc.ApprovalServiceStub
    webhooks: webhook_service_pb2_grpc.WebhookServiceStub
    admin: admin_service_pb2_grpc.AdminServiceStub
    health: health_pb2_grpc.HealthStub

    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel
        self.catalog = catalog_service_pb2_grpc.CatalogServiceStub(channel)
        self.regions = region_service_pb2_grpc.RegionServiceStub(channel)
        self.service_keys = service_key_service_pb2_grpc.ServiceKeyServiceStub(channel)
        self.vxc_orders = vxc_order_service_pb2_grpc.VxcOrderServiceStub(channel)
        self.approvals = approval_service_pb2_grpc.ApprovalServiceStub(channel)
        self.webhooks = webhook_service_pb2_grpc.WebhookServiceStub(channel)
        self.admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        self.health = health_pb2_grpc.HealthStub(channel)

    def check_health(self, service: str = "", timeout: Optional[float] = 5.0) -> int:
        """Returns the serving status (``health_pb2.HealthCheckResponse.SERVING`` = 1) of
        ``service``; the empty name is the whole server."""
        request = health_pb2.HealthCheckRequest(service=service)
        # types-grpcio-health-checking's HealthStub does not declare its methods.
        response = self.health.Check(request, timeout=timeout)  # type: ignore[attr-defined]
        return int(response.status)

    def watch_service_keys(
        self,
        request: Optional[service_key_service_pb2.WatchServiceKeysRequest] = None,
        **kwargs: Any,
    ) -> ServiceKeyWatcher:
        """Follows service keys, resuming after disconnects; see :func:`watch_service_keys`."""
        return watch_service_keys(self.service_keys, request, **kwargs)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


def connect(
    address: str,
    tls: bool = False,
    token: Optional[str] = None,
    *,
    root_certificates: Optional[bytes] = None,
    options: Sequence[Tuple[str, Any]] = (),
) -> Client:
    """Opens a channel to onramp at ``address`` (``host:port``).

    ``tls`` uses TLS with the system roots, or ``root_certificates`` (PEM) when given. ``token``
    is sent as ``authorization: Bearer <token>`` on every call. The channel connects lazily; the
    first call (e.g. :meth:`Client.check_health`) reports an unreachable server.
    """
    if tls:
        credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
        channel = grpc.secure_channel(address, credentials, options=list(options))
    else:
        channel = grpc.insecure_channel(address, options=list(options))
    if token:
        channel = grpc.intercept_channel(channel, _BearerToken(token))
    return Client(channel)

