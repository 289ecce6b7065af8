"""HTTP transport: retries, timeouts and typed event streams over httpx2.

Importing this package does not import httpx2; that happens on the first request.
"""

from streamcall.transport.retries import RetryPolicy
from streamcall.transport.stream import EndOfStream, EventStream, EventStreamAsync
from streamcall.transport.timeouts import Timeouts

__all__ = ["EndOfStream", "EventStream", "EventStreamAsync", "RetryPolicy", "Timeouts"]
