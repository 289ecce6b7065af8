"""Stream timeouts: connect, first byte, idle gap, and total.

httpx gives every socket read of a response the same fixed timeout. A stream needs more: a
longer wait for the first byte of the body (the model is thinking; streaming servers send the
headers at once, so the headers do not end this wait), a shorter bound on any silence after that
(a stalled stream), and a deadline for the whole exchange. :class:`Deadline` is the pure policy:
given the clock and whether the body has started, it says how long the next read may block and
which limit that is. :func:`install_deadlines` wraps the connection pool's network backend of an
httpx2 client so that every socket read asks the :class:`Deadline` active in the current context
(a ``ContextVar``, so threads and tasks never see each other's deadlines). Sync and async share
the policy; only the two thin stream wrappers differ. The transport, which reads the body, tells
the deadline when the body has started (:meth:`Deadline.body_started`); a socket read cannot
tell headers from body.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from streamcall.errors import StreamTimeoutError, TimeoutKind

if TYPE_CHECKING:
    import httpx2

__all__ = ["DEFAULT_TIMEOUTS", "Deadline", "Timeouts", "install_deadlines"]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Time limits for one request, in seconds; ``None`` disables a limit.

    Attributes:
        connect: Establishing the connection (TCP and TLS), and acquiring one from the pool.
        first_byte: From the start of an attempt (connecting included) until the first byte of
            the response *body* arrives. The status line and headers do not end it: streaming
            servers send them at once and the first token seconds later. While it runs, ``idle``
            does not apply. A first-byte timeout is retried like a connection failure (the
            stream has not started).
        idle: Once the body has started, the longest silence allowed for each network read
            (any body bytes count as activity: events and keep-alive comments alike).
        total: The whole exchange, retries included, until the stream's last byte; it caps
            both limits above.
    """

    connect: float | None = 10.0
    first_byte: float | None = 60.0
    idle: float | None = 30.0
    total: float | None = 600.0

    def __post_init__(self) -> None:
        for name in ("connect", "first_byte", "idle", "total"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"Timeouts.{name} must be positive or None, got {value!r}")

    def to_httpx(self) -> httpx2.Timeout:
        """The httpx2 timeout for a request (reads are narrowed further by :class:`Deadline`)."""
        import httpx2

        reads = [t for t in (self.first_byte, self.idle, self.total) if t is not None]
        return httpx2.Timeout(
            connect=self.connect,
            read=max(reads) if reads else None,
            write=self.connect,
            pool=self.connect,
        )


DEFAULT_TIMEOUTS: Final = Timeouts()
DRAIN_SECONDS: Final = 0.25

_ACTIVE: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "streamcall_deadline", default=None
)


class Deadline:
    """The read budget of one exchange, advanced as bytes arrive."""

    __slots__ = ("_body_started", "_clock", "_first_byte_at", "_total_at", "timeouts", "tripped")

    def __init__(self, timeouts: Timeouts, clock: Any = time.monotonic) -> None:
        self.timeouts = timeouts
        self._clock = clock
        start = clock()
        self._first_byte_at = None if timeouts.first_byte is None else start + timeouts.first_byte
        self._total_at = None if timeouts.total is None else start + timeouts.total
        self._body_started = False
        self.tripped: TimeoutKind = "first_byte"

    def read_budget(self) -> float | None:
        """Seconds the next read may block (<= 0: already expired); records the limit used."""
        now = self._clock()
        if self._body_started:
            idle = self.timeouts.idle
            limit, kind = (None, "idle") if idle is None else (now + idle, "idle")
        else:
            limit, kind = self._first_byte_at, "first_byte"
        if self._total_at is not None and (limit is None or self._total_at <= limit):
            limit, kind = self._total_at, "total"
        self.tripped = kind  # type: ignore[assignment]
        return None if limit is None else limit - now

    def remaining(self) -> float | None:
        """Seconds left before the total deadline, or ``None`` without one."""
        return None if self._total_at is None else self._total_at - self._clock()

    def expired(self) -> bool:
        """Whether the total deadline has passed."""
        return self._total_at is not None and self._clock() >= self._total_at

    def body_started(self) -> None:
        """Record that the response body has started (its first byte arrived, not just the
        headers): from now on the idle limit applies to each read instead of first-byte."""
        self._body_started = True

    def restart(self) -> None:
        """Start a new attempt (after a retry): wait for a first body byte again."""
        self._body_started = False
        if self.timeouts.first_byte is not None:
            self._first_byte_at = self._clock() + self.timeouts.first_byte

    def start_drain(self, seconds: float = DRAIN_SECONDS) -> None:
        """After the end marker: allow only a short wait for the body's last bytes."""
        cap = self._clock() + seconds
        if self._total_at is None or cap < self._total_at:
            self._total_at = cap

    def error(self, request: httpx2.Request | None = None) -> StreamTimeoutError:
        """The error for the limit that was hit last."""
        return self.error_for(self.tripped, request)

    def error_for(
        self, kind: TimeoutKind, request: httpx2.Request | None = None
    ) -> StreamTimeoutError:
        """The error for a given limit."""
        limit: float | None = getattr(self.timeouts, kind)
        what = {
            "connect": "connecting to the server",
            "first_byte": "waiting for the first byte of the response",
            "idle": "waiting for more of the stream (it stalled)",
            "total": "the whole request (total deadline)",
        }[kind]
        return StreamTimeoutError(
            f"Timed out after {limit}s {what} (Timeouts.{kind})",
            kind=kind,
            timeout=limit,
            request=request,
        )

    def activate(self) -> contextvars.Token[Deadline | None]:
        """Make this deadline govern socket reads in the current context."""
        return _ACTIVE.set(self)

    @staticmethod
    def deactivate(token: contextvars.Token[Deadline | None]) -> None:
        """Undo :meth:`activate`."""
        _ACTIVE.reset(token)


def _budget(timeout: float | None) -> float | None:
    deadline = _ACTIVE.get()
    if deadline is None:
        return timeout
    budget = deadline.read_budget()
    if budget is not None and budget <= 0:
        import httpcore2

        raise httpcore2.ReadTimeout(f"deadline passed ({deadline.tripped})")
    return budget


def _wrap_backend(backend: Any, asynchronous: bool) -> Any:
    import httpcore2

    if asynchronous:

        class AsyncDeadlineStream(httpcore2.AsyncNetworkStream):
            def __init__(self, inner: httpcore2.AsyncNetworkStream) -> None:
                self._inner = inner

            async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
                return await self._inner.read(max_bytes, _budget(timeout))

            async def write(self, buffer: bytes, timeout: float | None = None) -> None:
                await self._inner.write(buffer, timeout)

            async def aclose(self) -> None:
                await self._inner.aclose()

            async def start_tls(
                self, ssl_context: Any, server_hostname: str | None = None, timeout: Any = None
            ) -> httpcore2.AsyncNetworkStream:
                inner = await self._inner.start_tls(ssl_context, server_hostname, timeout)
                return AsyncDeadlineStream(inner)

            def get_extra_info(self, info: str) -> Any:
                return self._inner.get_extra_info(info)

        class AsyncDeadlineBackend(httpcore2.AsyncNetworkBackend):
            def __init__(self, inner: httpcore2.AsyncNetworkBackend) -> None:
                self._inner = inner

            async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore2.AsyncNetworkStream:
                return AsyncDeadlineStream(await self._inner.connect_tcp(*args, **kwargs))

            async def connect_unix_socket(
                self, *args: Any, **kwargs: Any
            ) -> httpcore2.AsyncNetworkStream:
                return AsyncDeadlineStream(await self._inner.connect_unix_socket(*args, **kwargs))

            async def sleep(self, seconds: float) -> None:
                await self._inner.sleep(seconds)

        return AsyncDeadlineBackend(backend)

    class DeadlineStream(httpcore2.NetworkStream):
        def __init__(self, inner: httpcore2.NetworkStream) -> None:
            self._inner = inner

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return self._inner.read(max_bytes, _budget(timeout))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._inner.write(buffer, timeout)

        def close(self) -> None:
            self._inner.close()

        def start_tls(
            self, ssl_context: Any, server_hostname: str | None = None, timeout: Any = None
        ) -> httpcore2.NetworkStream:
            return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

        def get_extra_info(self, info: str) -> Any:
            return self._inner.get_extra_info(info)

    class DeadlineBackend(httpcore2.NetworkBackend):
        def __init__(self, inner: httpcore2.NetworkBackend) -> None:
            self._inner = inner

        def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore2.NetworkStream:
            return DeadlineStream(self._inner.connect_tcp(*args, **kwargs))

        def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore2.NetworkStream:
            return DeadlineStream(self._inner.connect_unix_socket(*args, **kwargs))

        def sleep(self, seconds: float) -> None:
            self._inner.sleep(seconds)

    return DeadlineBackend(backend)


def install_deadlines(client: httpx2.Client | httpx2.AsyncClient) -> bool:
    """Let :class:`Deadline` govern the socket reads of ``client``'s default transport.

    Returns ``False`` when the client uses a transport without an httpcore2 pool (a mock or a
    custom transport); there, reads keep httpx's fixed read timeout and the total deadline is
    checked between reads.
    """
    import httpx2

    transport = getattr(client, "_transport", None)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None or getattr(backend, "_streamcall_deadlines", False):
        return backend is not None
    wrapped = _wrap_backend(backend, asynchronous=isinstance(client, httpx2.AsyncClient))
    wrapped._streamcall_deadlines = True
    pool._network_backend = wrapped  # type: ignore[union-attr]
    return True
