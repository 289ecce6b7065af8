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
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final

from streamcall.errors import StreamTimeoutError, TimeoutKind

if TYPE_CHECKING:
    import httpx2

__all__ = ["DEFAULT_TIMEOUTS", "Deadline", "Timeouts", "install_deadlines"]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Time limits for one request, in seconds; ``None`` disables a limit.

    Attributes:
        connect: Establishing the connection (TCP and TLS). Waiting for a free connection
            from the client's pool (``max_connections``) is not connecting: that wait
            counts against ``first_byte``.
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
        waits = [t for t in (self.first_byte, self.total) if t is not None]
        return httpx2.Timeout(
            connect=self.connect,
            read=max(reads) if reads else None,
            write=self.connect,
            pool=min(waits, default=None),  # a pool wait is part of the first-byte wait
        )


DEFAULT_TIMEOUTS: Final = Timeouts()
DRAIN_SECONDS: Final = 0.25

ACTIVE_DEADLINE: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "streamcall_deadline", default=None
)
"""The deadline that governs socket reads in the current context (see :meth:`Deadline.activate`)."""


class Deadline:
    """The read budget of one exchange, advanced as bytes arrive."""

    __slots__ = ("_body_started", "_first_byte_at", "clock", "timeouts", "total_at", "tripped")

    def __init__(self, timeouts: Timeouts, clock: Any = time.monotonic) -> None:
        self.timeouts = timeouts
        self.clock = clock
        """The monotonic clock (injected in tests)."""
        start = clock()
        self._first_byte_at = None if timeouts.first_byte is None else start + timeouts.first_byte
        self.total_at = None if timeouts.total is None else start + timeouts.total
        """When the total deadline passes, on :attr:`clock` (``None``: never)."""
        self._body_started = False
        self.tripped: TimeoutKind = "first_byte"

    def read_budget(self) -> float | None:
        """Seconds the next read may block (<= 0: already expired); records the limit used."""
        now = self.clock()
        if self._body_started:
            idle = self.timeouts.idle
            limit, kind = (None, "idle") if idle is None else (now + idle, "idle")
        else:
            limit, kind = self._first_byte_at, "first_byte"
        if self.total_at is not None and (limit is None or self.total_at <= limit):
            limit, kind = self.total_at, "total"
        self.tripped = kind  # type: ignore[assignment]
        return None if limit is None else limit - now

    def remaining(self) -> float | None:
        """Seconds left before the total deadline, or ``None`` without one."""
        return None if self.total_at is None else self.total_at - self.clock()

    def expired(self) -> bool:
        """Whether the total deadline has passed."""
        return self.total_at is not None and self.clock() >= self.total_at

    def body_started(self) -> None:
        """Record that the response body has started (its first byte arrived, not just the
        headers): from now on the idle limit applies to each read instead of first-byte."""
        self._body_started = True

    def restart(self) -> None:
        """Start a new attempt (after a retry): wait for a first body byte again."""
        self._body_started = False
        if self.timeouts.first_byte is not None:
            self._first_byte_at = self.clock() + self.timeouts.first_byte

    def start_drain(self, seconds: float = DRAIN_SECONDS) -> None:
        """After the end marker: allow only a short wait for the body's last bytes."""
        cap = self.clock() + seconds
        if self.total_at is None or cap < self.total_at:
            self.total_at = cap

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
        return ACTIVE_DEADLINE.set(self)

    @staticmethod
    def deactivate(token: contextvars.Token[Deadline | None]) -> None:
        """Undo :meth:`activate`."""
        ACTIVE_DEADLINE.reset(token)


def _budget(timeout: float | None) -> float | None:
    deadline = ACTIVE_DEADLINE.get()
    if deadline is None:
        return timeout
    budget = deadline.read_budget()
    if budget is not None and budget <= 0:
        import httpcore2

        raise httpcore2.ReadTimeout(f"deadline passed ({deadline.tripped})")
    return budget


_OPENERS = frozenset({"connect_tcp", "connect_unix_socket", "start_tls"})


class _Proxy:
    """Passes everything to the wrapped httpcore2 object except ``read`` and what opens a
    stream (``connect_tcp``, ``connect_unix_socket``, ``start_tls``), whose stream it wraps.

    A subclass wraps the pool's network backend and every stream it opens, so that each socket
    read asks the active :class:`Deadline` for its budget (:func:`_budget`).
    """

    __slots__ = ("_inner",)
    _opening: ClassVar[staticmethod[[Callable[..., Any]], Callable[..., Any]]]
    """An opener of the wrapped object -> the same opener, its stream wrapped."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        return self._opening(attr) if name in _OPENERS else attr


def _opening(opener: Callable[..., Any]) -> Callable[..., Any]:
    return lambda *args, **kwargs: _Stream(opener(*args, **kwargs))


def _aopening(opener: Callable[..., Any]) -> Callable[..., Any]:
    async def opened(*args: Any, **kwargs: Any) -> _AsyncStream:
        return _AsyncStream(await opener(*args, **kwargs))

    return opened


class _Stream(_Proxy):
    __slots__ = ()
    _opening = staticmethod(_opening)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _budget(timeout))  # type: ignore[no-any-return]


class _AsyncStream(_Proxy):
    __slots__ = ()
    _opening = staticmethod(_aopening)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, _budget(timeout))  # type: ignore[no-any-return]


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
    if backend is None or isinstance(backend, _Proxy):
        return backend is not None
    wrapper = _AsyncStream if isinstance(client, httpx2.AsyncClient) else _Stream
    pool._network_backend = wrapper(backend)  # type: ignore[union-attr]
    return True
