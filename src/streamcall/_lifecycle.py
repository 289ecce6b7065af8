"""Closing things once: the ``with`` / ``async with`` protocol and the leak warning.

Every object that holds a connection or a model derives from one of these::

    class Thing(Closeable):            # close(), with, and the leak warning
        def close(self) -> None: ...
        def _unreleased(self):         # optional: only objects that can leak
            return None if self._closed else self._force_close

    class AsyncThing(AsyncCloseable):  # aclose(), async with, and the leak warning
        async def aclose(self) -> None: ...

A class may derive from both (a client with a sync and an async HTTP client). ``__enter__`` /
``__aenter__`` return ``self``; ``__exit__`` / ``__aexit__`` call ``close()`` / ``aclose()`` and
never swallow the exception. Override ``__aexit__`` to close more than ``aclose()`` does.

The leak warning: when the object is garbage-collected and :meth:`Releasable._unreleased`
returns a function (the resource is still held), it warns with ``ResourceWarning`` (naming
the class attribute ``_holds``, e.g. ``"its connection"``) and calls that function, which must
release the resource without awaiting (close a socket, or schedule an async close). The
default returns ``None``: nothing to check, no warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import ClassVar, Self

__all__ = ["AsyncCloseable", "Closeable", "Releasable"]

_HINT = "use it in a `with` block or call close()"
_ASYNC_HINT = "use it in an `async with` block or call aclose()"


class Releasable:
    """The leak warning shared by :class:`Closeable` and :class:`AsyncCloseable`."""

    __slots__ = ()

    _holds: ClassVar[str] = "what it holds"
    """For the warning: "X was garbage-collected while open; use it in a `with` block or call
    close() to release <_holds>" (an :class:`AsyncCloseable`: ``async with``, ``aclose()``)."""

    def _unreleased(self) -> Callable[[], object] | None:
        """While a resource is still held, the function that releases it; else ``None``."""
        return None

    def __del__(self) -> None:
        try:
            release = self._unreleased()
        except AttributeError:  # __init__ did not finish
            return
        if release is not None:
            hint = _ASYNC_HINT if isinstance(self, AsyncCloseable) else _HINT
            warnings.warn(
                f"{type(self).__name__} was garbage-collected while open; {hint} "
                f"to release {self._holds}",
                ResourceWarning,
                stacklevel=2,
                source=self,
            )
            release()


class Closeable(Releasable):
    """``close()`` and the ``with`` statement (which calls it on leaving the block)."""

    __slots__ = ()

    def close(self) -> None:
        """Release what the object holds. Safe to call twice."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncCloseable(Releasable):
    """``aclose()`` and the ``async with`` statement (which awaits it on leaving the block)."""

    __slots__ = ()

    async def aclose(self) -> None:
        """Release what the object holds. Safe to call twice."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
