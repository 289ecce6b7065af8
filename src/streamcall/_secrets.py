"""The secrets of the clients in use, kept out of errors and log lines.

A client registers its key (:func:`register`) each time it prepares a call; the key is known
while the client lives and forgotten when it is collected (a client whose key changes replaces
it). Every :class:`~streamcall.errors.APIError` redacts the known secrets when it is made,
whichever code made it, and a :class:`logging.Filter` on streamcall's, httpx2's and httpcore2's
loggers redacts them from each record they emit (httpcore2's DEBUG lines print the response
headers, which may echo a key). The filter is attached when a new secret is registered, by
logger name: neither httpx2 nor ``logging`` is imported before a client prepares its first
call. How short keys are matched: :func:`streamcall.errors.redact`.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from typing import Final

from streamcall import errors
from streamcall.errors import redact

__all__ = ["LOGGERS", "RedactingFilter", "install", "register"]

CREDENTIAL_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie"}
)
"""Request headers that carry a credential: never shown in a repr, log or error."""

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
any logger already made in these packages."""

_BY_OWNER: dict[int, tuple[str, ...]] = {}
"""``id(client)`` -> its secrets, while the client lives."""


def register(owner: object, secrets: tuple[str, ...]) -> None:
    """Know ``secrets`` (non-empty strings) as ``owner``'s while ``owner`` lives. Called on every
    call a client prepares: unchanged secrets cost one dictionary lookup."""
    key = id(owner)
    known = _BY_OWNER.get(key)
    if known == secrets:
        return
    if known is None:
        with contextlib.suppress(TypeError):  # no weak references: its secrets stay known
            weakref.finalize(owner, _forget, key)
    _BY_OWNER[key] = secrets
    added = not set(secrets) <= set(errors.known_secrets())
    _rebuild()
    if added:
        install()


def _forget(key: int) -> None:
    if _BY_OWNER.pop(key, None) is not None:
        _rebuild()


def _rebuild() -> None:
    errors._KNOWN = errors._ordered(s for group in list(_BY_OWNER.values()) for s in group)


class RedactingFilter(logging.Filter):
    """Replaces every known secret in a record's message (its arguments formatted in)."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = errors._KNOWN
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
    (idempotent: run on each new secret, it takes the loggers made since)."""
    packages = {name.split(".")[0] for name in LOGGERS}
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
