"""Stream timeouts: connect, first byte, idle gap, progress, and total.

httpx gives every socket read of a response the same fixed timeout. A stream needs more: a
budget for the stream to start (the first byte of the body, retries included: the model is
thinking; streaming servers send the headers at once, so the headers do not end this wait), a
shorter bound on any silence after that (a dead connection), a bound on the time without a
complete event (a server that drips bytes or sends only keep-alive comments is not silent, but
it is stalled), and optionally a deadline for the whole exchange. :class:`Deadline` is the pure
policy: given the clock, whether the body has started and how much read time has passed
without an event, it says how long the next read may block and which limit that is.
:func:`install_deadlines` wraps the connection pool's network backend of an httpx2 client so
that every socket read asks the :class:`Deadline` active in the current context (a
``ContextVar``, so threads and tasks never see each other's deadlines). Sync and async share the
policy; only the two thin stream wrappers differ. The transport, which reads the body, tells the
deadline when the body has started (:meth:`Deadline.body_started`) and, after each read, whether
it completed an event (:meth:`Deadline.read_ended`); a socket read cannot tell headers from body
or a keep-alive from an event.
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
    """Time limits for one call, in seconds; ``None`` disables a limit.

    The defaults make a stalled stream fail within about a minute whatever the server does (no
    answer, headers only, a byte now and then, keep-alive comments only), and never cut a long
    stream that keeps sending events.

    Attributes:
        connect: Establishing the connection (TCP and TLS). Waiting for a free connection
            from the client's pool (``max_connections``) is not connecting: that wait
            counts against ``first_byte``.
        first_byte: From the start of the call until the first byte of the response *body*,
            every attempt, retry and backoff included (connecting and sending too). The status
            line and headers do not end it: streaming servers send them at once and the first
            token seconds later; any body byte does (a keep-alive comment too). Quick failures
            (a refused connection, HTTP 429 or 5xx) are retried within it; an attempt that
            used it up is not retried, so a server that never answers fails after
            ``first_byte``, not after one wait per attempt. While it runs, ``idle`` does not
            apply.
        idle: Once the body has started, the longest silence allowed for each network read
            (any body bytes count: events, keep-alive comments, blank lines, a single byte).
        total: The whole call, retries included, until the stream's last byte; it caps every
            limit. ``None`` (the default): a stream that keeps sending events is never cut.
        progress: Once the body has started, the longest wait without a complete event: the
            read time since the last event (or, for the first event, since the call started,
            with at least ``first_byte`` allowed for it). Only an event counts (an SSE
            ``data`` event, an NDJSON line, a provider's own ping event); SSE comments and
            keep-alives, blank lines, partial lines and bytes dripped one at a time do not.
            Time the caller spends between reads does not count. Not applied to whole calls.
        whole: A whole (non-streamed) call: the wait until its body starts (it arrives only
            when the answer is finished), in place of ``first_byte``.
    """

    connect: float | None = 10.0
    first_byte: float | None = 60.0
    idle: float | None = 30.0
    total: float | None = None
    progress: float | None = 60.0
    whole: float | None = 600.0

    def __post_init__(self) -> None:
        for name in ("connect", "first_byte", "idle", "total", "progress", "whole"):
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
    """The read budget of one call, advanced as bytes and events arrive.

    Before the body starts, every read is bounded by the first-byte deadline, which counts from
    the call's start across attempts (:meth:`new_attempt` does not move it). After
    :meth:`body_started`, each read is bounded by ``idle`` from its start and by what is left of
    the ``progress`` allowance (read time without an event; :meth:`read_ended` says whether a
    read completed one). The total deadline, if any, caps everything.
    """

    __slots__ = (
        "_body_started",
        "_first_byte_at",
        "_progress_at",
        "clock",
        "progress_left",
        "read_at",
        "reused",
        "started_at",
        "timeouts",
        "total_at",
        "tripped",
        "unwritten",
    )

    def __init__(self, timeouts: Timeouts, clock: Any = time.monotonic) -> None:
        self.timeouts = timeouts
        self.clock = clock
        """The monotonic clock (injected in tests)."""
        start = self.started_at = clock()
        self._first_byte_at = None if timeouts.first_byte is None else start + timeouts.first_byte
        self.total_at = None if timeouts.total is None else start + timeouts.total
        """When the total deadline passes, on :attr:`clock` (``None``: never)."""
        self._body_started = False
        self.tripped: TimeoutKind = "first_byte"
        self.progress_left: float | None = None
        """Read time left for the next event (``None``: no limit, or the body has not
        started)."""
        self.read_at: float | None = None
        """When the current body read first waited on the socket (``None``: it has not)."""
        self._progress_at = 0.0
        self.unwritten = True
        """Nothing has been written yet in this attempt (see :attr:`reused`)."""
        self.reused = False
        """This attempt's request went out on a kept-alive connection that had carried an
        earlier request (set by the socket wrappers on the attempt's first write)."""

    def read_budget(self) -> float | None:
        """Seconds the next read may block (<= 0: already expired); records the limit used."""
        now = self.clock()
        if self._body_started:
            idle = self.timeouts.idle
            limit, kind = (None, "idle") if idle is None else (now + idle, "idle")
            left = self.progress_left
            if left is not None:
                if self.read_at is None:  # the first socket wait of this read
                    self.read_at = now
                    self._progress_at = now + left
                if limit is None or self._progress_at < limit:
                    limit, kind = self._progress_at, "progress"
        else:
            limit, kind = self._first_byte_at, "first_byte"
        if self.total_at is not None and (limit is None or self.total_at <= limit):
            limit, kind = self.total_at, "total"
        self.tripped = kind  # type: ignore[assignment]
        return None if limit is None else limit - now

    def read_ended(self, events: object) -> None:
        """A body read ended; ``events`` (what it decoded) is true if it completed an event.
        An event renews the progress allowance; otherwise the read's wait is taken from it."""
        if events:
            self.progress_left = self.timeouts.progress
        elif self.read_at is not None and self.progress_left is not None:
            self.progress_left -= self.clock() - self.read_at
        self.read_at = None

    def remaining(self) -> float | None:
        """Seconds left before the total deadline, or ``None`` without one."""
        return None if self.total_at is None else self.total_at - self.clock()

    def start_remaining(self) -> float | None:
        """Seconds left for the stream to start (the first-byte and total deadlines), or
        ``None`` without either."""
        ends = [t for t in (self._first_byte_at, self.total_at) if t is not None]
        return min(ends) - self.clock() if ends else None

    def start_passed(self) -> TimeoutKind | None:
        """The limit (``total`` or ``first_byte``) that has passed before the body started, or
        ``None``."""
        now = self.clock()
        if self.total_at is not None and now >= self.total_at:
            return "total"
        if self._first_byte_at is not None and now >= self._first_byte_at:
            return "first_byte"
        return None

    def expired(self) -> bool:
        """Whether the total deadline has passed."""
        return self.total_at is not None and self.clock() >= self.total_at

    def body_started(self) -> None:
        """Record that the response body has started (its first byte arrived, not just the
        headers): from now on ``idle`` and ``progress`` apply to each read instead of
        first-byte. The first event may take what is left of the longer of ``first_byte`` and
        ``progress`` since the call started."""
        if self._body_started:
            return
        self._body_started = True
        timeouts = self.timeouts
        progress, first_byte = timeouts.progress, timeouts.first_byte
        if progress is not None and first_byte is not None:
            progress = max(progress, first_byte) - (self.clock() - self.started_at)
        self.progress_left = progress
        self.read_at = None

    def new_attempt(self) -> None:
        """Start an attempt: a retry waits for a first body byte again, within what is left of
        the first-byte budget (it counts from the call's start, not from the attempt's)."""
        self._body_started = False
        self.progress_left = None
        self.unwritten = True
        self.reused = False

    def start_drain(self, seconds: float = DRAIN_SECONDS) -> None:
        """After the end marker: allow only a short wait for the body's last bytes."""
        cap = self.clock() + seconds
        if self.total_at is None or cap < self.total_at:
            self.total_at = cap
        self.progress_left = None

    def error(self, request: httpx2.Request | None = None) -> StreamTimeoutError:
        """The error for the limit that was hit last."""
        return self.error_for(self.tripped, request)

    def error_for(
        self, kind: TimeoutKind, request: httpx2.Request | None = None
    ) -> StreamTimeoutError:
        """The error for a given limit."""
        limit: float | None = getattr(self.timeouts, kind, None)
        what = {
            "connect": "connecting to the server",
            "pool": "waiting for a free connection from the pool",
            "first_byte": "waiting for the first byte of the response (retries included)",
            "idle": "waiting for more of the stream (it stalled: no bytes at all)",
            "progress": "without a complete event (the stream stalled: only keep-alives or "
            "partial data arrived)",
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


def _writing(stream: _Proxy) -> None:
    """Before a write on ``stream``: the attempt's first write records whether its connection
    is a kept-alive one that carried an earlier request (:attr:`Deadline.reused`): a server
    may close such a connection just as the request goes out, which costs a reconnect, not a
    backoff."""
    deadline = ACTIVE_DEADLINE.get()
    if deadline is not None and deadline.unwritten:
        deadline.unwritten = False
        deadline.reused = stream._served
    stream._served = True


_OPENERS = frozenset({"connect_tcp", "connect_unix_socket", "start_tls"})


class _Proxy:
    """Passes everything to the wrapped httpcore2 object except ``read`` and what opens a
    stream (``connect_tcp``, ``connect_unix_socket``, ``start_tls``), whose stream it wraps.

    A subclass wraps the pool's network backend and every stream it opens, so that each socket
    read asks the active :class:`Deadline` for its budget (:func:`_budget`), and each write
    first notes whether the connection is being reused (:func:`_writing`).
    """

    __slots__ = ("_inner", "_served")
    _opening: ClassVar[staticmethod[[Callable[..., Any]], Callable[..., Any]]]
    """An opener of the wrapped object -> the same opener, its stream wrapped."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._served = False  # a request has been written on this stream

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name == "write":  # about to write (sync or async alike)
            _writing(self)
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
