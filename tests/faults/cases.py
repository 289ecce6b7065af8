"""What the fault tests share: the bodies cut before a fault, the clients and the calls.

A :class:`Case` is a provider's recorded stream cut just after some text and finished tool
calls; what those events carry is read here from the bytes themselves (not through
streamcall), so that a test can check the stream kept exactly that.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from typing import Any

from streamcall.registry import PROVIDERS, call_decorator
from streamcall.transport.retries import RetryPolicy
from streamcall.transport.timeouts import Timeouts
from tests.wire_fixtures import fixtures

# No fault in tests/faults waits for a limit unless it says so: a fault noticed only by a
# timeout would take longer than FAULT_BOUND.
TIMEOUTS = Timeouts(connect=2.0, first_byte=4.0, idle=4.0, total=10.0)
NO_RETRIES = RetryPolicy(max_retries=0)
ONE_RETRY = RetryPolicy(max_retries=1, initial_delay=0.01, jitter=0.0)
FAULT_BOUND = 2.0  # seconds from the call to the typed error (a fault takes ~0.2 s; slack for load)


def get_weather(city: str, unit: str) -> str:
    """The weather in a city.

    Args:
        city: The city.
        unit: celsius or fahrenheit.
    """
    return f"sunny in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """A book for a reading list.

    Args:
        title: The title.
        author: The author.
        year: The year it was published.
    """
    return f"{title} by {author} ({year})"


TOOLS = [get_weather, format_book]


def split_events(body: bytes, ndjson: bool) -> list[bytes]:
    """The body's events, each with its separator (SSE: a blank line; NDJSON: a newline)."""
    if ndjson:
        return [line + b"\n" for line in body.split(b"\n") if line.strip()]
    pieces = re.split(rb"(\r\n\r\n|\n\n)", body)
    events = [pieces[i] + pieces[i + 1] for i in range(0, len(pieces) - 1, 2)]
    return [e for e in events if e.strip()]


@dataclass(frozen=True)
class Case:
    """A provider's recorded stream, cut after the first event holding ``marker``."""

    provider: str
    fixture: str
    marker: bytes
    tools: tuple[str, ...]  # the tool calls finished before the cut, in order

    @property
    def ndjson(self) -> bool:
        return self.fixture.endswith(".ndjson")

    @property
    def content_type(self) -> str:
        return "application/x-ndjson" if self.ndjson else "text/event-stream"

    @property
    def body(self) -> bytes:
        (found,) = [f for f in fixtures(self.fixture) if f.name == self.fixture]
        return found.body

    @property
    def events(self) -> list[bytes]:
        return split_events(self.body, self.ndjson)

    @property
    def prefix(self) -> bytes:
        """The events up to and including the first one holding ``marker``."""
        events = self.events
        cut = next(i for i, event in enumerate(events) if self.marker in event)
        assert cut < len(events) - 1, "the cut must leave the stream unfinished"
        return b"".join(events[: cut + 1])

    @property
    def text(self) -> str:
        """The answer's text in :attr:`prefix`, read from the provider's JSON directly."""
        return "".join(_text_of(self.provider, p) for p in _payloads(self.prefix, self.ndjson))


def _payloads(body: bytes, ndjson: bool) -> list[Any]:
    out = []
    for event in split_events(body, ndjson):
        if ndjson:
            out.append(json.loads(event))
            continue
        for line in event.decode().splitlines():
            if line.startswith("data:") and line[5:].strip() != "[DONE]":
                out.append(json.loads(line[5:]))
    return out


def _text_of(provider: str, payload: Any) -> str:
    if provider in ("openai", "mistral"):
        return "".join(c["delta"].get("content") or "" for c in payload.get("choices", []))
    if provider == "anthropic":
        delta = payload.get("delta") or {}
        return delta.get("text", "") if payload.get("type") == "content_block_delta" else ""
    if provider == "gemini":
        parts = [p for c in payload.get("candidates", []) for p in c["content"].get("parts", [])]
        return "".join(p.get("text", "") for p in parts if not p.get("thought"))
    if provider == "ollama":
        return str(payload["message"].get("content") or "")
    raise AssertionError(provider)


CASES = {
    case.provider: case
    for case in (
        Case("openai", "openai_chat.text.sse", b'"content":" Wind"', ()),
        Case(
            "anthropic",
            "anthropic.tool_use.sse",
            b'"type":"content_block_stop","index":1',
            ("get_weather",),
        ),
        Case("gemini", "gemini.function_call.sse", b'"get_weather"', ("get_weather",)),
        Case("ollama", "ollama_chat.tools.ndjson", b'"tool_calls"', ("get_weather", "format_book")),
        Case("mistral", "mistral.text.sse", b'"content":" Count"', ()),
    )
}
CALL_PROVIDERS = ["openai", "anthropic", "gemini", "ollama"]


def make_client(provider: str, url: str, retries: RetryPolicy = NO_RETRIES, **options: Any) -> Any:
    return PROVIDERS[provider].make_client(
        api_key="k", base_url=url, timeouts=options.pop("timeouts", TIMEOUTS), retries=retries
    )


def ask_sync(provider: str, client: Any) -> Any:
    """The call layer's streamed call (with the two tools) on ``client``."""

    @call_decorator(provider)(
        PROVIDERS[provider].default_model or "m", stream=True, client=client, tools=TOOLS
    )
    def ask() -> str:
        return "The weather in Lisbon, and a book?"

    return ask


def ask_async(provider: str, client: Any) -> Any:
    @call_decorator(provider)(
        PROVIDERS[provider].default_model or "m", stream=True, client=client, tools=TOOLS
    )
    async def ask() -> str:
        return "The weather in Lisbon, and a book?"

    return ask


MESSAGES = [{"role": "user", "content": "hi"}]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def open_sockets() -> int:
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                count += 1
        except OSError:  # closed meanwhile (the listing's own descriptor)
            pass
    return count


def settle(expected: int, count: Any = open_fds, seconds: float = 2.0) -> int:
    """``count()`` once it is back to ``expected`` (server threads close their side), or
    after ``seconds``."""
    deadline = time.monotonic() + seconds
    while (now := count()) > expected and time.monotonic() < deadline:
        time.sleep(0.01)
    return now
