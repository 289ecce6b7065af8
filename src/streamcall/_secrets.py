"""The secrets of the clients in use, kept out of errors and log lines.

A client registers its key (:func:`register`) each time it prepares a call. The registry is
process-wide and bounded (the :data:`MAX_SECRETS` most recently used): every
:class:`~streamcall.errors.APIError` redacts these secrets when it is made, whichever code made
it, and a :class:`logging.Filter` on streamcall's, httpx2's and httpcore2's loggers redacts them
from each record they emit (httpcore2's DEBUG lines print the response headers, which may echo
a key). The filter is attached once, on the first registration, by logger name: neither
httpx2 nor ``logging`` is imported before a client prepares its first call. How short keys are
matched: :func:`streamcall.errors.redact`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

from streamcall.errors import _KNOWN, _ordered, redact

__all__ = ["LOGGERS", "MAX_SECRETS", "RedactingFilter", "register"]

MAX_SECRETS: Final = 128
LOGGERS: Final = (
    "streamcall",
    "httpx2",
    "httpcore2.connection",
    "httpcore2.http11",
    "httpcore2.http2",
    "httpcore2.proxy",
    "httpcore2.socks",
)
"""The loggers whose records may carry a secret. A filter acts only on records logged to its
own logger (not those propagated from children), so each is named; :func:`install` also takes
any logger already made under these names' packages."""

_ordered_known: tuple[str, ...] = ()


def register(secrets: Iterable[str]) -> None:
    """Remember ``secrets`` (empty strings are ignored) as secrets of a client in use."""
    global _ordered_known
    changed = False
    for secret in secrets:
        if not secret:
            continue
        if secret in _KNOWN:
            if next(reversed(_KNOWN)) != secret:  # most recently used last
                del _KNOWN[secret]
                _KNOWN[secret] = None
            continue
        _KNOWN[secret] = None
        changed = True
        while len(_KNOWN) > MAX_SECRETS:
            del _KNOWN[next(iter(_KNOWN))]
    if changed:  # rare: a new client key (the filter also takes loggers made since)
        _ordered_known = _ordered(_KNOWN)
        install()


class RedactingFilter(logging.Filter):
    """Replaces every registered secret in a record's message (its arguments formatted in)."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _ordered_known
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging reports it itself
            return True
        clean = redact(message, secrets)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        return True


_FILTER: Final = RedactingFilter()


def install() -> None:
    """Attach the filter to :data:`LOGGERS` and to the loggers already made in their packages
    (idempotent: run on each new secret)."""
    packages = tuple({name.split(".")[0] for name in LOGGERS})
    names = set(LOGGERS)
    names.update(
        name
        for name, logger in list(logging.Logger.manager.loggerDict.items())
        if name.split(".")[0] in packages and isinstance(logger, logging.Logger)
    )
    for name in sorted(names):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
