"""Hand-written facade over the generated onramp.v1 stubs.

>>> from onramp_client import connect
>>> with connect("127.0.0.1:50051", token="...") as client:
...     client.catalog.ListCountries(catalog_service_pb2.ListCountriesRequest())

The generated messages and stubs live in ``onramp.v1`` (``make generate``; never edited). The
asyncio facade is :mod:`onramp_client.aio`.
"""

from importlib.metadata import version as _version

from onramp_client.client import Client, connect
from onramp_client.errors import ErrorDetails, FieldViolation, error_details
from onramp_client.watch import ServiceKeyWatcher, watch_service_keys

#: The installed distribution's version: pyproject.toml is its one source.
__version__ = _version("onramp-client")

__all__ = [
    "Client",
    "ErrorDetails",
    "FieldViolation",
    "ServiceKeyWatcher",
    "connect",
    "error_details",
    "watch_service_keys",
]
