"""Retry policy: which failures are retried, and how long to wait (pure, no I/O).

Retries happen only before the first byte of a response body, and only within the call's
first-byte budget (``Timeouts.first_byte``: a backoff that would end past it is not slept): a
connection that failed, or an HTTP status of 408, 409, 429 or 5xx. A stream that has started is
never replayed, because the caller has already seen its events. Waits grow exponentially with
jitter; a ``Retry-After`` (or ``retry-after-ms``) header from the server is honoured when it is
reasonable, and an explicit ``x-should-retry`` header wins over the status rule.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = ["DEFAULT_RETRY_POLICY", "RetryPolicy", "parse_retry_after"]

RETRY_STATUSES: Final = frozenset({408, 409, 429})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times, and how patiently, to retry a request that failed before streaming.

    Attributes:
        max_retries: Retries after the first attempt (0 disables retrying).
        initial_delay: The first backoff, in seconds; doubled on each retry.
        max_delay: The largest backoff, in seconds.
        jitter: The fraction of each backoff removed at random (0 to 1).
        max_retry_after: The longest server-requested wait that is honoured, in seconds;
            a longer ``Retry-After`` falls back to the backoff.
        rng: The random source of the jitter (seeded in tests).
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("RetryPolicy.max_retries must be >= 0")
        if not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy.jitter must be between 0 and 1")

    def should_retry_status(self, status_code: int, headers: Mapping[str, str]) -> bool:
        """Whether an HTTP error status is worth another attempt."""
        explicit = headers.get("x-should-retry")
        if explicit == "true":
            return True
        if explicit == "false":
            return False
        return status_code in RETRY_STATUSES or status_code >= 500

    def delay(self, retry_number: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based)."""
        if headers is not None:
            requested = parse_retry_after(headers)
            if requested is not None and 0 <= requested <= self.max_retry_after:
                return requested
        backoff = min(self.initial_delay * 2.0 ** (retry_number - 1), self.max_delay)
        return backoff * (1 - self.jitter * self.rng.random())


DEFAULT_RETRY_POLICY: Final = RetryPolicy()


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds requested by ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    import email.utils

    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return email.utils.mktime_tz(parsed) - (time.time() if now is None else now)
