"""asyncio facade over the same generated onramp.v1 stubs (grpc.aio).

>>> from onramp_client.aio import connect
>>> async with connect("127.0.0.1:50051", token="...") as client:
...     await client.catalog.ListCountries(catalog_service_pb2.ListCountriesRequest())
...     async for message in client.watch_service_keys(): ...

Errors are ``grpc.aio.AioRpcError``; decode them with :func:`onramp_client.error_details`, as
for the sync facade (re-exported here).
"""

from onramp_client.aio.client import AsyncClient, connect
from onramp_client.aio.watch import AsyncServiceKeyWatcher, watch_service_keys
from onramp_client.errors import ErrorDetails, FieldViolation, error_details

__all__ = [
    "AsyncClient",
    "AsyncServiceKeyWatcher",
    "ErrorDetails",
    "FieldViolation",
    "connect",
    "error_details",
    "watch_service_keys",
]
