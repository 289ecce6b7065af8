"""Memory a consumed stream still holds after it ends, in bytes per event.

For each provider shape (Mistral, OpenAI Chat, Anthropic Messages), streams N text chunks
(20,000; each event in its own HTTP chunk) from ``bench_stream.py``'s replay server, in its own
process, keeps the stream object alive after its end, and reports the memory still allocated
since the stream began (``tracemalloc``, started after one warm call, so imports, caches and
the connection are not counted; a ``gc.collect()`` before reading) divided by N, and the peak
during the stream, for:

- ``client``: streamcall's lean client (``Mistral.chat.stream``, ``OpenAI...create``,
  ``Anthropic.messages.create``), which keeps nothing: the reference;
- ``call``: the call layer with ``stream=True`` (today's default keeps no replay history;
  before it, a consumed stream could be iterated again and kept every chunk);
- ``call (replay off)``: the call layer with ``stream={"replay": False}``, a consumed stream
  keeping no replay history; skipped, with a note, where the installed library rejects the
  argument or ignores it (the consumed stream still replays);
- ``call (replay on)``: the call layer with ``stream={"replay": True}``, keeping every chunk so
  that a consumed stream can be iterated again; skipped where the library rejects it.

tracemalloc counts Python allocations only, exactly, whatever else runs on the machine; the
streams run slower under it, which does not change what they hold.

    python benchmarks/bench_memory.py [--providers mistral openai anthropic] [--n 20000]
        [--json FILE] [--src DIR]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_stream import replay_server  # noqa: E402
from workloads import BODIES, MESSAGES, TEXT_DELTAS  # noqa: E402

MODELS = {"mistral": "mistral-small-latest", "openai": "gpt-4.1-mini"}
REPLAY_OFF = {"replay": False}
REPLAY_ON = {"replay": True}
OPTIONAL = ("call (replay off)", "call (replay on)")  # a StreamConfig an older tree may not take


class Skipped(Exception):
    """The contender cannot run with the installed library (the reason is the message)."""


def make_client(provider: str, url: str) -> Any:
    if provider == "mistral":
        from streamcall.clients.mistral import Mistral

        return Mistral(api_key="bench", server_url=url)
    if provider == "openai":
        from streamcall.clients.openai import OpenAI

        return OpenAI(api_key="bench", base_url=url)
    from streamcall.clients.anthropic import Anthropic

    return Anthropic(api_key="bench", base_url=url)


def client_stream(provider: str, url: str) -> Callable[[], tuple[Any, int]]:
    """Streams once with the lean client; returns the (closed) stream and the deltas read."""
    client = make_client(provider, url)
    model = MODELS.get(provider, "claude-sonnet-4-5")

    def run() -> tuple[Any, int]:
        count = 0
        if provider == "mistral":
            with client.chat.stream(model, MESSAGES) as s:
                for e in s:
                    if e.data.choices[0].delta.content:
                        count += 1
        elif provider == "openai":
            with client.chat.completions.create(model=model, messages=MESSAGES, stream=True) as s:
                for c in s:
                    if c.choices and c.choices[0].delta.content:
                        count += 1
        else:
            with client.messages.create(
                model=model, max_tokens=1024, messages=MESSAGES, stream=True
            ) as s:
                for e in s:
                    if e.type == "content_block_delta" and e.delta.text:
                        count += 1
        return s, count

    return run


def call_stream(provider: str, url: str, stream: Any) -> Callable[[], tuple[Any, int]]:
    """Streams once with the call layer (``stream``: ``True`` or a StreamConfig dict); returns
    the consumed stream and the deltas read."""
    if provider == "mistral":
        from streamcall.core.mistral import mistral_call as call
    elif provider == "openai":
        from streamcall.core.openai import openai_call as call
    else:
        from streamcall.core.anthropic import anthropic_call as call
    model = MODELS.get(provider, "claude-sonnet-4-5")

    try:

        @call(model, stream=stream, client=make_client(provider, url))
        def ask() -> str:
            return "Recommend a book"

    except Exception as e:
        if stream is True:
            raise
        raise Skipped(f"stream={stream!r} rejected: {type(e).__name__}: {e}") from e

    def run() -> tuple[Any, int]:
        s = ask()
        count = sum(1 for chunk, _ in s if chunk.content)
        assert s.output_tokens
        assert s.cost is not None
        return s, count

    return run


def held(run: Callable[[], tuple[Any, int]], expected: int) -> tuple[Any, int, int]:
    """One warm call, then one traced: the stream (kept alive), and the bytes allocated since
    the traced call began that are still held after its end, and at the peak."""
    stream, count = run()  # warm up: imports, caches, the connection
    assert count == expected, count
    del stream
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        stream, count = run()
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == expected, count
    return stream, current - base, peak - base


def measure(provider: str, url: str, n: int) -> dict[str, dict[str, float] | str]:
    """Per contender: bytes held per event after the end and at the peak, or why skipped."""
    expected = TEXT_DELTAS[provider](n)
    results: dict[str, dict[str, float] | str] = {}
    contenders: dict[str, Callable[[], Callable[[], tuple[Any, int]]]] = {
        "client": lambda: client_stream(provider, url),
        "call": lambda: call_stream(provider, url, True),
        "call (replay off)": lambda: call_stream(provider, url, dict(REPLAY_OFF)),
        "call (replay on)": lambda: call_stream(provider, url, dict(REPLAY_ON)),
    }
    for name, make in contenders.items():
        try:
            run = make()
            stream, after, peak = held(run, expected)
            if name == "call (replay off)":
                try:  # an argument taken but ignored: the consumed stream still replays
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # the warning of an empty second loop
                        replayed = sum(1 for _ in stream)
                except Exception:
                    replayed = 0
                if replayed:
                    raise Skipped(
                        f"stream={REPLAY_OFF!r} accepted but ignored: the stream still replays"
                    )
        except Skipped as e:
            results[name] = str(e)
            continue
        except Exception as e:
            if name not in OPTIONAL:
                raise
            results[name] = f"{name}: the call failed: {type(e).__name__}: {e}"
            continue
        results[name] = {"held_per_event": after / n, "peak_per_event": peak / n}
        del stream
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--providers", nargs="+", default=["mistral", "openai", "anthropic"])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--src", type=Path, default=ROOT / "src", help="the streamcall sources to measure"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(args.src.resolve()))

    results: dict[str, Any] = {}
    bodies = [BODIES[p](args.n) for p in args.providers]
    with replay_server(bodies, per_event=True) as urls:
        for provider, url in zip(args.providers, urls, strict=True):
            results[provider] = measure(provider, url, args.n)

    print(
        f"\nMemory of a consumed stream kept alive, N = {args.n:,} events, one HTTP chunk per "
        "event (tracemalloc; bytes per event: held after the end, peak during the stream)"
    )
    print(f"  {'':<12} {'contender':<20} {'held B/event':>13} {'peak B/event':>13}")
    for provider, rows in results.items():
        for name, row in rows.items():
            if isinstance(row, str):
                print(f"  {provider:<12} {name:<20} skipped: {row}")
            else:
                print(
                    f"  {provider:<12} {name:<20} {row['held_per_event']:>13,.1f}"
                    f" {row['peak_per_event']:>13,.1f}"
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
