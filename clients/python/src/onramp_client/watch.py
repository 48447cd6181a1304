"""watch_service_keys(): a WatchServiceKeys iterator that resumes after disconnects.

The stream's contract (see service_key_service.proto): every message but a non-final snapshot
chunk carries a ``resume_token``; reconnecting with the last one received replays exactly what
followed it, across server restarts. The server ends streams with UNAVAILABLE on shutdown and
ABORTED when a reader falls behind; both mean "reconnect with your token". So the watcher keeps
the last token it yielded and, on those codes or a stream that simply ends, reconnects with it,
backing off between failed attempts. Other errors (e.g. INVALID_ARGUMENT for a bad token,
PERMISSION_DENIED) are raised to the caller.

If a stream drops in the middle of a snapshot, the reconnect starts the snapshot again: a client
replaces its cache only once it sees ``last_chunk``, so it loses nothing.
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable, Collection, Iterator, Optional

import grpc

from onramp.v1 import service_key_service_pb2

__all__ = ["RESUMABLE_CODES", "ServiceKeyWatcher", "WatchResume", "watch_service_keys"]

WatchServiceKeysRequest = service_key_service_pb2.WatchServiceKeysRequest
WatchServiceKeysResponse = service_key_service_pb2.WatchServiceKeysResponse

#: Status codes after which the watcher reconnects with its last resume token.
RESUMABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED})


class WatchResume:
    """What a watcher keeps between streams, whichever I/O it uses (the sync and the asyncio
    watcher share it): the request and the last token yielded, the count of reconnects, and the
    backoff between failed attempts."""

    def __init__(
        self,
        request: Optional[WatchServiceKeysRequest],
        metadata: Optional[Any],
        resumable_codes: Collection[grpc.StatusCode],
        initial_backoff: float,
        max_backoff: float,
        max_attempts: Optional[int],
    ) -> None:
        self._request = WatchServiceKeysRequest()
        if request is not None:
            self._request.CopyFrom(request)
        self.resume_token: str = self._request.resume_token
        self.reconnects = 0
        self._metadata = metadata
        self._resumable = frozenset(resumable_codes)
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._max_attempts = max_attempts
        self._failures = 0

    def open(self, stub: Any) -> Any:
        """Opens a stream from the last token yielded."""
        request = WatchServiceKeysRequest()
        request.CopyFrom(self._request)
        request.resume_token = self.resume_token
        kwargs = {} if self._metadata is None else {"metadata": self._metadata}
        return stub.WatchServiceKeys(request, **kwargs)

    def resumable(self, error: grpc.RpcError) -> bool:
        return error.code() in self._resumable

    def received(self, message: WatchServiceKeysResponse) -> None:
        """A message arrived: the stream works, and its token (if any) is where to resume."""
        self._failures = 0
        if message.resume_token:
            self.resume_token = message.resume_token

    def dropped(self, error: Optional[grpc.RpcError]) -> float:
        """A stream broke (``error``, or None when it just ended): the seconds to wait before
        the next attempt, or the error once ``max_attempts`` failed in a row."""
        self._failures += 1
        if self._max_attempts is not None and self._failures > self._max_attempts:
            if error is not None:
                raise error
            raise ConnectionError("watch stream keeps ending")
        self.reconnects += 1
        doubled: float = self._initial_backoff * 2.0 ** (self._failures - 1)
        backoff = min(self._max_backoff, doubled)
        return backoff * random.uniform(0.5, 1.0)


class ServiceKeyWatcher(Iterator[WatchServiceKeysResponse]):
    """Iterates WatchServiceKeysResponse messages forever, reconnecting as needed.

    ``resume_token`` is the token of the last message yielded: store it to continue in another
    process. ``reconnects`` counts the streams opened after the first. ``close()`` cancels the
    stream in flight.
    """

    def __init__(
        self,
        stub: Any,
        request: Optional[WatchServiceKeysRequest] = None,
        *,
        metadata: Optional[Any] = None,
        resumable_codes: Collection[grpc.StatusCode] = RESUMABLE_CODES,
        initial_backoff: float = 0.1,
        max_backoff: float = 5.0,
        max_attempts: Optional[int] = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._stub = stub
        self._resume = WatchResume(
            request, metadata, resumable_codes, initial_backoff, max_backoff, max_attempts
        )
        self._sleep = sleep
        self._stream: Optional[Any] = None
        self._closed = False

    @property
    def resume_token(self) -> str:
        return self._resume.resume_token

    @property
    def reconnects(self) -> int:
        return self._resume.reconnects

    def __iter__(self) -> "ServiceKeyWatcher":
        return self

    def __next__(self) -> WatchServiceKeysResponse:
        while not self._closed:
            if self._stream is None:
                self._stream = self._resume.open(self._stub)
            try:
                message: WatchServiceKeysResponse = next(self._stream)
            except StopIteration:
                # The contract says a stream never ends on its own: treat an end as a disconnect.
                self._drop(None)
                continue
            except grpc.RpcError as error:
                code = error.code()
                if self._closed or code == grpc.StatusCode.CANCELLED:
                    break
                if not self._resume.resumable(error):
                    self._stream = None
                    raise
                self._drop(error)
                continue
            self._resume.received(message)
            return message
        raise StopIteration

    def _drop(self, error: Optional[grpc.RpcError]) -> None:
        """Forgets the broken stream and waits before the next attempt."""
        self._stream = None
        self._sleep(self._resume.dropped(error))

    def close(self) -> None:
        self._closed = True
        stream, self._stream = self._stream, None
        if stream is not None and hasattr(stream, "cancel"):
            stream.cancel()


def watch_service_keys(
    stub: Any,
    request: Optional[WatchServiceKeysRequest] = None,
    **kwargs: Any,
) -> ServiceKeyWatcher:
    """Watches service keys through ``stub`` (a ``ServiceKeyServiceStub``, or
    ``client.service_keys``), resuming from the last token after UNAVAILABLE, ABORTED or a
    dropped stream.

    ``request`` sets the filters and, to continue an earlier watch, its ``resume_token``. Keyword
    arguments: ``metadata``, ``resumable_codes``, ``initial_backoff``/``max_backoff`` (seconds),
    ``max_attempts`` (consecutive failed attempts before the error is raised; None = forever)
    and ``sleep`` (for tests).
    """
    return ServiceKeyWatcher(stub, request, **kwargs)
