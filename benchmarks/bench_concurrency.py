"""Many concurrent streams on one default client: do they all complete, and at what memory cost?

A local asyncio server (its own process) answers every request with an OpenAI Chat stream of
``--events`` text chunks, one every ``--interval`` seconds (the first at once; by default 10
chunks over 4.5 s, then ``[DONE]``). For each N in ``--n`` and each contender, a fresh client
process opens N streams at once on ONE client made with the library's defaults and reads them
to the end:

- ``streamcall``: ``streamcall.clients.openai.AsyncOpenAI(api_key=..., base_url=...)``;
- ``openai``: the official SDK's ``openai.AsyncOpenAI`` with its defaults (httpx
  ``Limits(max_connections=1000, max_keepalive_connections=100)``, 600 s timeout, 2 retries);
- ``streamcall-poolK`` (not run by default): streamcall with ``max_connections=K``, to see
  streams wait for a connection rather than fail (``streamcall-pool100``: httpx2's default).

Reported per run: streams completed and failed (by error type), retries logged, wall time,
and peak RSS: the process's ``ru_maxrss`` after importing the library, making the client and
one warm-up stream (the baseline), its peak at the end, and (peak - baseline) / N, the memory
each concurrent stream costs. Each run is its own process, so one run's peak cannot hide
another's. Both processes raise their open-file limit to the hard limit: N streams need N
sockets on each side.

    python benchmarks/bench_concurrency.py [--n 1000 10000] [--contenders streamcall openai]
        [--events 10] [--interval 0.5] [--json FILE]

A benchmark, not a test: it takes a few minutes and the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL = "gpt-bench"
MESSAGES = [{"role": "user", "content": "hi"}]


def raise_fd_limit() -> int:
    """Raise this process's open-file soft limit to the hard limit; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


# -- the server ---------------------------------------------------------------------------------


def chunk(index: int, content: str, finish: str | None = None) -> bytes:
    payload = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": MODEL,
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }
    data = b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)


HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
    b"transfer-encoding: chunked\r\ncache-control: no-cache\r\n\r\n"
)
DONE = b"e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n"


class StreamingProtocol(asyncio.Protocol):
    """One connection: each request (headers and a Content-Length body) is answered with the
    stream, one chunk every ``interval`` seconds; keep-alive."""

    events = 10
    interval = 0.5

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.streaming = False
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.next_request()

    def next_request(self) -> None:
        if self.streaming or b"\r\n\r\n" not in self.buffer:
            return
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if len(rest) < length:
            return
        self.buffer = rest[length:]
        self.streaming = True
        assert self.transport is not None
        self.transport.write(HEAD)
        self.send(0)

    def send(self, index: int) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if index < self.events:
            last = index == self.events - 1
            transport.write(chunk(index, f"word{index} ", "stop" if last else None))
            self.loop.call_later(self.interval, self.send, index + 1)
            return
        transport.write(DONE)
        self.streaming = False
        self.next_request()


async def serve(events: int, interval: float) -> None:
    StreamingProtocol.events = events
    StreamingProtocol.interval = interval
    loop = asyncio.get_running_loop()
    server = await loop.create_server(StreamingProtocol, "127.0.0.1", 0, backlog=65535)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}/v1", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
    server.close()


# -- a client run -------------------------------------------------------------------------------


class RetryCounter:
    """Counts streamcall's "retrying ..." log records, and why (the error, numbers cut)."""

    def __init__(self) -> None:
        import logging

        self.count = 0
        self.reasons: dict[str, int] = {}
        handler = logging.Handler()
        handler.emit = self._emit  # type: ignore[method-assign]
        logger = logging.getLogger("streamcall")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

    def _emit(self, record: Any) -> None:
        message = record.getMessage()
        if message.startswith("retrying"):
            self.count += 1
            reason = message.partition("): ")[2][:60]
            reason = "".join("N" if c.isdigit() else c for c in reason)
            self.reasons[reason] = self.reasons.get(reason, 0) + 1


def make_client(contender: str, url: str) -> Any:
    if contender.startswith("streamcall"):
        from streamcall.clients.openai import AsyncOpenAI

        options: dict[str, Any] = {}
        if contender.startswith("streamcall-pool"):  # e.g. streamcall-pool100: max_connections
            options["max_connections"] = int(contender.removeprefix("streamcall-pool"))
        return AsyncOpenAI(api_key="sk-bench", base_url=url, **options)
    if contender == "openai":
        import openai

        return openai.AsyncOpenAI(api_key="sk-bench", base_url=url)
    raise ValueError(contender)


async def one_stream(client: Any) -> int:
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    words = 0
    async with stream:
        async for item in stream:
            if item.choices and item.choices[0].delta.content:
                words += 1
    return words


async def client_run(contender: str, url: str, n: int, events: int) -> dict[str, Any]:
    retries = RetryCounter() if contender.startswith("streamcall") else None
    client = make_client(contender, url)
    assert await one_stream(client) == events  # warm-up: imports, first connection
    baseline = peak_rss_kib()
    started = time.monotonic()
    results = await asyncio.gather(*(one_stream(client) for _ in range(n)), return_exceptions=True)
    elapsed = time.monotonic() - started
    peak = peak_rss_kib()
    await (client.aclose() if contender.startswith("streamcall") else client.close())
    errors: dict[str, int] = {}
    completed = 0
    for result in results:
        if isinstance(result, BaseException):
            kind = getattr(result, "kind", None)
            name = type(result).__name__ + (f"({kind})" if kind else "")
            errors[name] = errors.get(name, 0) + 1
        elif result == events:
            completed += 1
        else:
            errors["incomplete"] = errors.get("incomplete", 0) + 1
    return {
        "contender": contender,
        "n": n,
        "completed": completed,
        "failed": n - completed,
        "errors": errors,
        "retries_logged": None if retries is None else retries.count,
        "retry_reasons": None if retries is None else retries.reasons,
        "seconds": round(elapsed, 1),
        "baseline_rss_mib": round(baseline / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "rss_per_stream_kib": round((peak - baseline) / n, 1),
    }


# -- the driver ---------------------------------------------------------------------------------


def run_client(contender: str, url: str, n: int, events: int, timeout: float) -> dict[str, Any]:
    command = [sys.executable, __file__, "--client", contender, "--url", url]
    command += ["--n", str(n), "--events", str(events)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return {"contender": contender, "n": n, "error": f"did not finish in {timeout:.0f}s"}
    if done.returncode != 0:
        return {"contender": contender, "n": n, "error": done.stderr.strip()[-2000:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| contender | streams | completed | failed (errors) | retries | time | peak RSS "
        "| RSS per stream |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['contender']} | {row['n']:,} | run failed: {row['error']} |")
            continue
        errors = ", ".join(f"{k} {v}" for k, v in row["errors"].items()) or "-"
        retries = "-" if row["retries_logged"] is None else str(row["retries_logged"])
        lines.append(
            f"| {row['contender']} | {row['n']:,} | {row['completed']:,} | "
            f"{row['failed']:,} ({errors}) | {retries} | {row['seconds']} s | "
            f"{row['peak_rss_mib']} MiB | {row['rss_per_stream_kib']} KiB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--contenders", nargs="+", default=["streamcall", "openai"])
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--timeout", type=float, default=600, help="seconds per client run")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    raise_fd_limit()
    if args.serve:
        asyncio.run(serve(args.events, args.interval))
        return
    if args.client:
        result = asyncio.run(client_run(args.client, args.url, args.n[0], args.events))
        print(json.dumps(result))
        return

    limit = raise_fd_limit()
    print(f"open-file limit per process: {limit:,}; each side of N streams needs N sockets")
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--events",
            str(args.events),
            "--interval",
            str(args.interval),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        rows = []
        for n in args.n:
            if n + 100 > limit:
                print(f"skipping N={n:,}: the open-file limit is {limit:,}")
                continue
            for contender in args.contenders:
                row = run_client(contender, url, n, args.events, args.timeout)
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)
    print()
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
