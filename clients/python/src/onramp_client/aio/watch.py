"""watch_service_keys(): a WatchServiceKeys async iterator that resumes after disconnects.

The same contract and the same rules as the sync :mod:`onramp_client.watch`: the watcher keeps
the last ``resume_token`` it yielded and, after UNAVAILABLE, ABORTED or a stream that simply
ends, reopens the stream with it, backing off between failed attempts; other errors are raised.
A stream that drops in the middle of a snapshot starts the snapshot again (the token does not
move until ``last_chunk``). No deadline is set on the stream: a watch runs until closed.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, AsyncIterator, Awaitable, Callable, Collection, Optional

import grpc
from grpc import aio

from onramp.v1 import service_key_service_pb2
from onramp_client.watch import RESUMABLE_CODES, WatchResume

__all__ = ["AsyncServiceKeyWatcher", "watch_service_keys"]

WatchServiceKeysRequest = service_key_service_pb2.WatchServiceKeysRequest
WatchServiceKeysResponse = service_key_service_pb2.WatchServiceKeysResponse


class AsyncServiceKeyWatcher(AsyncIterator[WatchServiceKeysResponse]):
    """Iterates WatchServiceKeysResponse messages (``async for``) until closed, reconnecting as
    needed.

    ``resume_token`` is the token of the last message yielded: store it to continue in another
    process. ``reconnects`` counts the streams opened after the first. ``close()`` (or leaving
    ``async with``) cancels the stream in flight and ends the iteration.
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
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._stub = stub
        self._resume = WatchResume(
            request, metadata, resumable_codes, initial_backoff, max_backoff, max_attempts
        )
        self._sleep = sleep
        self._call: Optional[Any] = None
        self._closed = False

    @property
    def resume_token(self) -> str:
        return self._resume.resume_token

    @property
    def reconnects(self) -> int:
        return self._resume.reconnects

    def __aiter__(self) -> "AsyncServiceKeyWatcher":
        return self

    async def __anext__(self) -> WatchServiceKeysResponse:
        while not self._closed:
            if self._call is None:
                self._call = self._resume.open(self._stub)
            try:
                message = await self._call.read()
            except asyncio.CancelledError:
                # close() from another task cancels the call under this read: that ends the
                # iteration. Any other cancellation is the caller's own and goes on up (grpc.aio
                # has cancelled the call with it; a later __anext__ opens a new one).
                if self._closed:
                    break
                self._call = None
                raise
            except grpc.RpcError as error:
                code = error.code()
                if self._closed or code == grpc.StatusCode.CANCELLED:
                    break
                if not self._resume.resumable(error):
                    self._call = None
                    raise
                await self._drop(error)
                continue
            if message is aio.EOF:
                # The contract says a stream never ends on its own: treat an end as a disconnect.
                await self._drop(None)
                continue
            assert isinstance(message, WatchServiceKeysResponse)
            self._resume.received(message)
            return message
        raise StopAsyncIteration

    async def _drop(self, error: Optional[grpc.RpcError]) -> None:
        """Forgets the broken stream and waits before the next attempt."""
        self._call = None
        await self._sleep(self._resume.dropped(error))

    def close(self) -> None:
        """Ends the watch; a read in flight in another task returns StopAsyncIteration."""
        self._closed = True
        call, self._call = self._call, None
        if call is not None:
            call.cancel()

    async def aclose(self) -> None:
        """close() for ``contextlib.aclosing``."""
        self.close()

    async def __aenter__(self) -> "AsyncServiceKeyWatcher":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


def watch_service_keys(
    stub: Any,
    request: Optional[WatchServiceKeysRequest] = None,
    **kwargs: Any,
) -> AsyncServiceKeyWatcher:
    """Watches service keys through ``stub`` (``client.service_keys`` of an
    :class:`onramp_client.aio.AsyncClient`), resuming from the last token after UNAVAILABLE,
    ABORTED or a dropped stream.

    ``request`` sets the filters and, to continue an earlier watch, its ``resume_token``. Keyword
    arguments as :func:`onramp_client.watch_service_keys`, except that ``sleep`` is a coroutine
    function (default ``asyncio.sleep``).
    """
    return AsyncServiceKeyWatcher(stub, request, **kwargs)
