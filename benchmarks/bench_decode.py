"""The sans-IO decode path alone: bytes of one network read -> typed events, in ns per event.

Feeds recorded events (``tests/fixtures/wire/*.sse``) through ``StreamSession.feed``, that is
``SSEDecoder.feed`` then the provider codec's ``decode_all`` (batch msgspec decode, ``wrap``),
in two framings:

- ``one``: each read is exactly one event (``data: {...}\\n\\n``, ``event: x\\ndata: {...}``
  for Anthropic, CRLF line ends for Gemini), as real servers flush them: the per-event cost a
  user pays, since a read rarely holds more than one event;
- ``batch``: reads of 100 events each (a whole body in few reads).

The content events of each fixture are cycled (its end marker and terminal events left out, so
the session never ends); each sample feeds them through a fresh session, and the best of
``--repeat`` samples is kept. The machines are shared and noisy: compare interleaved runs.

    python benchmarks/bench_decode.py [--providers mistral openai anthropic gemini]
        [--events 2000] [--repeat 7] [--json FILE]

To compare with another tree, run it with ``PYTHONPATH=<that tree>/src``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "wire"


def _mistral() -> Any:
    from streamcall.clients.mistral.codec import ChatStreamCodec

    return ChatStreamCodec()


def _openai() -> Any:
    from streamcall.clients.openai.codec import ChatStreamCodec

    return ChatStreamCodec()


def _anthropic() -> Any:
    from streamcall.clients.anthropic.codec import MessagesStreamCodec

    return MessagesStreamCodec()


def _gemini() -> Any:
    from streamcall.clients.gemini.codec import StreamCodec

    return StreamCodec()


# provider -> (fixture, codec factory, events to leave out: end markers and terminal events)
SHAPES: dict[str, tuple[str, Callable[[], Any], tuple[str, ...]]] = {
    "mistral": ("mistral.text.sse", _mistral, ("data: [DONE]",)),
    "openai": ("openai_chat.usage.sse", _openai, ("data: [DONE]",)),
    "anthropic": ("anthropic.text.sse", _anthropic, ("event: message_stop", "event: error")),
    "gemini": ("gemini.text.sse", _gemini, ()),
}


def events_of(name: str) -> list[bytes]:
    """The fixture's events, each with its own line ends and closing blank line."""
    fixture, _, skip = SHAPES[name]
    body = (FIXTURES / fixture).read_bytes()
    sep = b"\r\n\r\n" if b"\r\n\r\n" in body else b"\n\n"
    out = []
    for block in body.split(sep):
        if block.strip() and not block.lstrip().startswith(tuple(s.encode() for s in skip)):
            out.append(block.lstrip(b"\r\n") + sep)
    return out


def reads_of(name: str, events: int, per_read: int) -> list[bytes]:
    pool = events_of(name)
    cycled = [pool[i % len(pool)] for i in range(events)]
    return [b"".join(cycled[i : i + per_read]) for i in range(0, events, per_read)]


def sample(name: str, reads: list[bytes]) -> tuple[float, int]:
    """Seconds to feed ``reads`` through a fresh session, and the events it returned."""
    from streamcall.transport.session import StreamSession
    from streamcall.wire import SSEDecoder

    session = StreamSession(SSEDecoder(), SHAPES[name][1]())
    feed = session.feed
    count = 0
    start = time.perf_counter()
    for data in reads:
        count += len(feed(data))
    elapsed = time.perf_counter() - start
    assert not session.done, "the benchmark stream ended early"
    return elapsed, count


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--providers", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    import streamcall

    print(f"streamcall from {Path(streamcall.__file__).parent}", file=sys.stderr)
    framings = {"one": 1, "batch": 100}
    plans = {
        (name, framing): reads_of(name, args.events, per_read)
        for name in args.providers
        for framing, per_read in framings.items()
    }
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.repeat):  # interleaved: every shape once per round
        for (name, framing), reads in plans.items():
            elapsed, count = sample(name, reads)
            assert count == args.events, (name, framing, count)
            ns = elapsed / count * 1e9
            best[name, framing] = min(best.get((name, framing), ns), ns)

    print(f"{'provider':<10} {'one event/read':>15} {'100 events/read':>16}   (ns/event, best)")
    for name in args.providers:
        print(f"{name:<10} {best[name, 'one']:>15.0f} {best[name, 'batch']:>16.0f}")
    result = {f"{name}/{framing}": round(ns, 1) for (name, framing), ns in best.items()}
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
