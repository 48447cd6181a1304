"""Hand-written facade over the generated onramp.v1 stubs.

>>> from onramp_client import connect
>>> with connect("127.0.0.1:50051", token="...") as client:
...     client.catalog.ListCountries(catalog_service_pb2.ListCountriesRequest())

The generated messages and stubs live in ``onramp.v1`` (``make generate``; never edited).
"""

from onramp_client.client import Client, connect
from onramp_client.errors import ErrorDetails, FieldViolation, error_details
from onramp_client.watch import ServiceKeyWatcher, watch_service_keys

__all__ = [
    "Client",
    "ErrorDetails",
    "FieldViolation",
    "ServiceKeyWatcher",
    "connect",
    "error_details",
    "watch_service_keys",
]
