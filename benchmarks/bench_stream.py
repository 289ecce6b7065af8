"""Streaming throughput and import time, side by side in one run.

For each provider shape (Mistral, OpenAI Chat, Anthropic Messages), streams N text chunks (no
delay) from a local replay server and reports chunks/s and the ratio to the raw floor for:

- ``floor``: raw httpx2 + orjson reading lines (``response.iter_lines()``), the least a client
  must do (``workloads.floor``);
- the official SDK (``mistralai`` 3.7, ``openai`` 3.52, ``anthropic`` 2.11);
- ``client``: streamcall's lean client (``Mistral.chat.stream``, ``OpenAI...create``,
  ``Anthropic.messages.create``);
- ``call``: the call layer (``@mistral_call`` / ``@openai_call`` / ``@anthropic_call`` with
  ``stream=True``: ``for chunk, tool in stream``, usage and cost accumulated);
- peers whose dependencies conflict with ours, run by ``peers.py`` in ``.venv-peers`` against
  the same server with a floor measured in that process: Mirascope 1.25 (Mistral) and LiteLLM
  1.74.0 (OpenAI, Anthropic).

Every contender reads the text of every delta, as a user would. Runs are interleaved and
repeated (each sample streams at least 20,000 chunks, in several requests when N is small; the
slow SDKs get one request per sample); the best of each is kept. The machines are shared and
noisy: compare ratios, not absolute numbers. The replay server (``BenchServer``, below) runs in
its own process, so it does not compete for the GIL, and listens with a backlog that hundreds of
connections opened at once do not overflow.

Two framings of the same bytes: each event in its own HTTP chunk, as OpenAI, Mistral, vLLM and
llama.cpp's server flush them (the headline: per-event cost is what users pay), and the whole
body in one HTTP chunk (which lets batch decoding take hundreds of events per read, and so
flatters it).

A third framing, ``paced`` (not run by default): each event in its own HTTP chunk with a pause
of ``--pace-us`` (200 us) between events, so that every read of the client holds about one
event, as with a real model. Wall time is then the server's pace, so it reports the client's
CPU time per event (``time.process_time()`` around the consuming loop, in this process; the
server runs in another) as floor CPU per event / ours (higher is better).

``--fresh`` (each provider shape and N): the first request of a process. Each contender
(floor, client, call) in a new interpreter, bytecode cached, timed from the spawn of the
process through its imports and one stream of N chunks (``bench_first_call.py``'s child), as
floor ms / ms; and the CPU time of that process by the end of the stream (all of it, the
interpreter's start included), as floor / ours: less moved by the load of a shared machine.
The fresh processes (``--fresh``, ``--concurrent``) run as a user's install would: the dev
environment's test-only trio, which httpcore2 imports when installed (~40 ms for the floor and
streamcall alike), is hidden from them unless ``--with-test-deps``.

``--concurrent K`` (Mistral shape, each N): K streams of N chunks at once on one async client
(floor: ``httpx2.AsyncClient`` + ``aiter_lines`` + orjson; client: ``chat.stream_async``; call: an
async ``@mistral_call``; call (replay off): the same with ``stream={"replay": False}``, a consumed
stream keeping no replay history (today's default too), skipped with a note where the installed
library rejects or ignores it; call (replay on): with ``stream={"replay": True}``, keeping every
chunk for a replay), each contender in a fresh process: chunks/s over all streams as ours / floor,
the process's peak RSS (``ru_maxrss``) as floor / ours, and the replay server's CPU time as a share
of the streams' wall time (near 100%: the server sets the pace, not the client).
By default the server writes as fast as it can, so every read of every stream is full and peak
RSS is mostly the bytes in flight; ``--concurrent-pace-us`` paces each stream's events as a model
does (each read then holds about one event), which is what a service streaming from real models
holds per stream.

With ``--fresh`` or ``--concurrent``, the framings and import times run only when
``--framing`` is given.

    python benchmarks/bench_stream.py [--providers mistral openai anthropic] [--n 1000 20000]
        [--framing event whole paced] [--pace-us 200] [--fresh] [--concurrent 200]
        [--concurrent-pace-us 2000]
        [--repeat 5] [--json FILE] [--src DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from workloads import BODIES, MESSAGES, TEXT_DELTAS, Run, floor  # noqa: E402

SAMPLE_CHUNKS = 20_000
FRAMINGS = {
    "event": "one HTTP chunk per event",
    "whole": "whole body in one HTTP chunk",
    "paced": "one HTTP chunk per event, paced",
}
DEFAULT_FRAMINGS = ["event", "whole"]
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
SLOW = {"mistralai", "mirascope_v1", "litellm"}


def counting(stream: Any, text: Callable[[Any], str | None]) -> int:
    count = 0
    for item in stream:
        if text(item):
            count += 1
    return count


def contenders(provider: str) -> dict[str, Callable[[str], Run]]:
    """The contenders of one provider shape, by name."""
    if provider == "mistral":

        def sdk(url: str) -> Run:
            from mistralai.client import Mistral as SDK

            client = SDK(api_key="bench", server_url=url)

            def run() -> int:
                with client.chat.stream(model="mistral-small-latest", messages=MESSAGES) as s:  # type: ignore[arg-type]
                    return counting(s, lambda e: e.data.choices[0].delta.content)

            return run

        def ours(url: str) -> Run:
            from streamcall.clients.mistral import Mistral

            client = Mistral(api_key="bench", server_url=url)

            def run() -> int:
                with client.chat.stream("mistral-small-latest", MESSAGES) as s:
                    return counting(s, lambda e: e.data.choices[0].delta.content)

            return run

        def call(url: str) -> Run:
            from streamcall.clients.mistral import Mistral
            from streamcall.core.mistral import mistral_call

            @mistral_call(
                "mistral-small-latest", stream=True, client=Mistral(api_key="b", server_url=url)
            )
            def ask() -> str:
                return "Recommend a book"

            return _call_run(ask)

        return {"floor": floor(provider), "mistralai": sdk, "client": ours, "call": call}

    if provider == "openai":

        def sdk(url: str) -> Run:
            import openai

            client = openai.OpenAI(api_key="bench", base_url=url)

            def run() -> int:
                stream = client.chat.completions.create(
                    model="gpt-4.1-mini",
                    messages=MESSAGES,  # type: ignore[arg-type]
                    stream=True,
                    stream_options={"include_usage": True},
                )
                with stream:
                    return counting(stream, lambda c: c.choices and c.choices[0].delta.content)

            return run

        def ours(url: str) -> Run:
            from streamcall.clients.openai import OpenAI

            client = OpenAI(api_key="bench", base_url=url)

            def run() -> int:
                with client.chat.completions.create(
                    model="gpt-4.1-mini", messages=MESSAGES, stream=True
                ) as s:
                    return counting(s, lambda c: c.choices and c.choices[0].delta.content)

            return run

        def call(url: str) -> Run:
            from streamcall.clients.openai import OpenAI
            from streamcall.core.openai import openai_call

            @openai_call("gpt-4.1-mini", stream=True, client=OpenAI(api_key="b", base_url=url))
            def ask() -> str:
                return "Recommend a book"

            return _call_run(ask)

        return {"floor": floor(provider), "openai_sdk": sdk, "client": ours, "call": call}

    def sdk(url: str) -> Run:
        import anthropic

        client = anthropic.Anthropic(api_key="bench", base_url=url)

        def run() -> int:
            stream = client.messages.create(
                model="claude-sonnet-4-5",
                max_tokens=1024,
                messages=MESSAGES,  # type: ignore[arg-type]
                stream=True,
            )
            with stream:
                return counting(stream, lambda e: e.type == "content_block_delta" and e.delta.text)

        return run

    def ours(url: str) -> Run:
        from streamcall.clients.anthropic import Anthropic

        client = Anthropic(api_key="bench", base_url=url)

        def run() -> int:
            with client.messages.create(
                model="claude-sonnet-4-5", max_tokens=1024, messages=MESSAGES, stream=True
            ) as s:
                return counting(s, lambda e: e.type == "content_block_delta" and e.delta.text)

        return run

    def call(url: str) -> Run:
        from streamcall.clients.anthropic import Anthropic
        from streamcall.core.anthropic import anthropic_call

        @anthropic_call(
            "claude-sonnet-4-5", stream=True, client=Anthropic(api_key="b", base_url=url)
        )
        def ask() -> str:
            return "Recommend a book"

        return _call_run(ask)

    return {"floor": floor(provider), "anthropic_sdk": sdk, "client": ours, "call": call}


def _call_run(ask: Callable[[], Any]) -> Run:
    def run() -> int:
        stream = ask()
        count = counting((chunk for chunk, _ in stream), lambda c: c.content)
        assert stream.output_tokens
        assert stream.cost is not None
        return count

    return run


def throughput(provider: str, url: str, n: int, repeat: int) -> dict[str, float]:
    runners = {name: make(url) for name, make in contenders(provider).items()}
    expected = TEXT_DELTAS[provider](n)
    for name, run in runners.items():  # warm up: connections, imports, caches
        assert run() == expected, name
    best = dict.fromkeys(runners, 0.0)
    per_sample = max(1, SAMPLE_CHUNKS // n)
    for _ in range(repeat):
        for name, run in runners.items():
            count = 0
            start = time.perf_counter()
            for _ in range(
                1 if name in SLOW or (name.endswith("_sdk") and n >= 5000) else per_sample
            ):
                count += run()
            best[name] = max(best[name], count / (time.perf_counter() - start))
    return best


# -- the replay server --------------------------------------------------------------------------
#
# The benchmark's own server, not ``tests.replay``'s: that one listens with a backlog of 64 and
# starts a thread per connection from its accept loop, so 200 connections opened at once
# overflow the listen queue; Linux then answers with SYN cookies and drops handshakes, and some
# clients see their connection reset (httpx2.ReadError) before the first byte. This one listens
# with the largest backlog the kernel allows, frames every body once (not per request), and
# serves each connection from its own thread with keep-alive, as ``tests.replay`` does.

LISTEN_BACKLOG = 4096  # the kernel caps it at net.core.somaxconn
_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
_NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
)


def chunk_frames(body: bytes, per_event: bool) -> list[bytes]:
    """The HTTP chunks of a body: one per SSE event (cut after each blank line), or one."""
    if per_event:
        pieces = [p + b"\n\n" for p in body.split(b"\n\n")]
        pieces[-1] = pieces[-1][:-2]
        pieces = [p for p in pieces if p]
    else:
        pieces = [body] if body else []
    return [b"%x\r\n%s\r\n" % (len(p), p) for p in pieces]


class BenchServer:
    """An HTTP/1.1 server on 127.0.0.1 replaying fixed bodies, one route (``/rI``) per body,
    every request on a route answered with the same body (chunked, keep-alive)."""

    def __init__(self, bodies: list[bytes], per_event: bool, pace: float = 0.0) -> None:
        self.frames = [chunk_frames(b, per_event or bool(pace)) for b in bodies]
        self.pace = pace
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(LISTEN_BACKLOG)
        port = self.sock.getsockname()[1]
        self.urls = [f"http://127.0.0.1:{port}/r{i}" for i in range(len(bodies))]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        with contextlib.suppress(OSError):  # wakes the blocked accept()
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        with conn, contextlib.suppress(OSError):
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                while len(buffer) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                buffer = buffer[length:]
                route = path.lstrip("/").partition("/")[0]
                index = int(route[1:]) if route[:1] == "r" and route[1:].isdigit() else -1
                if not 0 <= index < len(self.frames):
                    conn.sendall(_NOT_FOUND)
                    continue
                conn.sendall(_HEAD)
                for i, frame in enumerate(self.frames[index]):
                    if i and self.pace:
                        time.sleep(self.pace)
                    conn.sendall(frame)
                conn.sendall(b"0\r\n\r\n")


def serve(argv: list[str]) -> None:
    """Serve body files until stdin closes: ``argv`` = per_event ("1"/"0"), pace (s), files.
    Prints one base URL per file, in order."""
    bodies = [Path(p).read_bytes() for p in argv[2:]]
    server = BenchServer(bodies, argv[0] == "1", float(argv[1]))
    print("\n".join(server.urls), flush=True)
    sys.stdin.read()
    server.close()


class ServerURLs(list[str]):
    """The base URLs of a replay server, one per body, and the server's process id."""

    pid: int = 0


SERVER_COMMAND = (
    "import sys; sys.path.insert(0, sys.argv[1]); import bench_stream; "
    "bench_stream.serve(sys.argv[2:])"
)


@contextlib.contextmanager
def replay_server(bodies: list[bytes], per_event: bool, pace: float = 0.0) -> Iterator[ServerURLs]:
    """A replay server (``BenchServer``) in its own process (it must not compete for this
    process's GIL); ``per_event``: each event in its own HTTP chunk, else the whole body in one;
    ``pace``: seconds between events (then always one HTTP chunk per event)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, body in enumerate(bodies):
            path = Path(tmp) / f"body-{i}"
            path.write_bytes(body)
            paths.append(str(path))
        flag = "1" if per_event else "0"
        command = [sys.executable, "-c", SERVER_COMMAND, str(ROOT / "benchmarks"), flag, str(pace)]
        proc = subprocess.Popen(
            [*command, *paths], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert proc.stdout is not None
            urls = ServerURLs(proc.stdout.readline().strip() for _ in bodies)
            urls.pid = proc.pid
            yield urls
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=10)


def cpu_per_event(provider: str, url: str, n: int, repeat: int) -> dict[str, float]:
    """Best (least) process CPU seconds per text delta of each contender, one stream a sample
    (the server paces the events, so wall time says nothing of the client)."""
    runners = {name: make(url) for name, make in contenders(provider).items()}
    expected = TEXT_DELTAS[provider](n)
    for name, run in runners.items():  # warm up: connections, imports, caches
        assert run() == expected, name
    best = dict.fromkeys(runners, float("inf"))
    for _ in range(repeat):
        for name, run in runners.items():
            start = time.process_time()
            count = run()
            best[name] = min(best[name], (time.process_time() - start) / count)
    return best


def fresh_ms(provider: str, n: int, repeat: int) -> dict[str, dict[str, float]]:
    """Per contender, the medians of: ms from spawning a fresh interpreter through its imports
    and one stream of N chunks of the ``provider`` shape (one HTTP chunk per event), and the
    CPU ms of that process by then (``bench_first_call``'s child)."""
    from bench_first_call import CONTENDERS, sample

    runs: dict[str, list[float]] = {c: [] for c in CONTENDERS}
    cpu: dict[str, list[float]] = {c: [] for c in CONTENDERS}
    with replay_server([BODIES[provider](n)], per_event=True) as (url,):
        for contender in CONTENDERS:  # writes the bytecode; not timed
            sample(contender, url, warmed=False, provider=provider)
        for _ in range(repeat):  # interleaved: the machine's noise hits all alike
            for contender in CONTENDERS:
                out = sample(contender, url, warmed=False, provider=provider)
                assert out["count"] == TEXT_DELTAS[provider](n), contender
                runs[contender].append(out["process_ms"])
                cpu[contender].append(out["cpu_ms"])
    return {
        c: {"ms": statistics.median(runs[c]), "cpu_ms": statistics.median(cpu[c])}
        for c in CONTENDERS
    }


# Run in a fresh interpreter: argv = contender, url, streams, expected deltas a stream.
# Prints one JSON line: the deltas read, the wall time of the K streams, the peak RSS (KiB).
CONCURRENT_CHILD = r"""
import asyncio, json, resource, sys, time
contender, url, streams, expected = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
MESSAGES = [{"role": "user", "content": "Recommend a book"}]
CONFIG = {"call-replay-off": {"replay": False}, "call-replay-on": {"replay": True}}.get(contender)
REPLAY_OFF = contender == "call-replay-off"


def skip(why):
    print(json.dumps({"skipped": f"stream={CONFIG!r} {why}"}))
    sys.exit(0)


if contender == "floor":
    import httpx2, orjson
    client = httpx2.AsyncClient(
        limits=httpx2.Limits(max_connections=streams, max_keepalive_connections=streams),
        timeout=600,
    )

    async def one(check=False):
        count = 0
        async with client.stream(
            "POST", url + "/v1/chat/completions", json={"stream": True}
        ) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    break
                obj = orjson.loads(data)
                if obj["choices"] and obj["choices"][0]["delta"]["content"]:
                    count += 1
        return count
elif contender == "client":
    from streamcall.clients.mistral import Mistral
    client = Mistral(api_key="bench", server_url=url, max_connections=streams)

    async def one(check=False):
        count = 0
        async with client.chat.stream_async("mistral-small-latest", MESSAGES) as s:
            async for e in s:
                if e.data.choices[0].delta.content:
                    count += 1
        return count
else:
    # "call": stream=True; "call-replay-off" / "call-replay-on": a StreamConfig that keeps no
    # replay history / keeps it, skipped (one JSON line saying why) where the installed
    # library does not take it.
    from streamcall.clients.mistral import Mistral
    from streamcall.core.mistral import mistral_call

    try:
        @mistral_call(
            "mistral-small-latest",
            stream=CONFIG if CONFIG is not None else True,
            client=Mistral(api_key="b", server_url=url, max_connections=streams),
        )
        async def ask() -> str:
            return "Recommend a book"
    except Exception as e:
        if CONFIG is None:
            raise
        skip(f"rejected: {type(e).__name__}: {e}")

    async def one(check=False):
        stream = await ask()
        count = 0
        async for chunk, _ in stream:
            if chunk.content:
                count += 1
        assert stream.output_tokens
        assert stream.cost is not None
        if check and REPLAY_OFF:  # an option taken but ignored: the stream still replays
            try:
                import warnings
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # the warning of an empty second loop
                    replayed = [pair async for pair in stream]
            except Exception:
                replayed = []
            if replayed:
                skip("accepted but ignored: the consumed stream still replays")
        return count


async def main():
    try:  # warm up: imports, caches, one connection
        first = await one(check=True)
    except Exception as e:
        if CONFIG is None:
            raise
        skip(f"failed: {type(e).__name__}: {e}")
    assert first == expected, first
    start = time.perf_counter()
    counts = await asyncio.gather(*(one() for _ in range(streams)))
    wall = time.perf_counter() - start
    assert all(c == expected for c in counts), counts[:5]
    return sum(counts), wall

chunks, wall = asyncio.run(main())
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"chunks": chunks, "wall": wall, "rss_kib": rss}))
"""

CONCURRENT_CONTENDERS = {
    "floor": "floor",
    "client": "client",
    "call": "call",
    "call-replay-off": "call (replay off)",
    "call-replay-on": "call (replay on)",
}


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, or NaN where ``/proc`` lacks it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def concurrent_runs(
    streams: int, n: int, repeat: int, pace: float = 0.0
) -> dict[str, dict[str, float]]:
    """Per contender: best chunks/s over ``streams`` concurrent Mistral-shaped streams of N
    chunks (one HTTP chunk per event), the median peak RSS in MiB, a fresh process a run, and
    the replay server's CPU time as a share of the run's wall time (near 100%: the server, not
    the client, sets the pace). A contender the child skips is left out, its reason printed.
    ``pace``: seconds between the events of each stream (0: as fast as the server writes)."""
    from bench_first_call import child_env

    rates: dict[str, list[float]] = {c: [] for c in CONCURRENT_CONTENDERS}
    rss: dict[str, list[float]] = {c: [] for c in CONCURRENT_CONTENDERS}
    server: dict[str, list[float]] = {c: [] for c in CONCURRENT_CONTENDERS}
    skipped: dict[str, str] = {}
    expected = TEXT_DELTAS["mistral"](n)
    with replay_server([BODIES["mistral"](n)], per_event=True, pace=pace) as urls:
        for _ in range(repeat):
            for contender in CONCURRENT_CONTENDERS:
                if contender in skipped:
                    continue
                command = [sys.executable, "-c", CONCURRENT_CHILD, contender, urls[0]]
                cpu = server_cpu_s(urls.pid)
                result = subprocess.run(
                    [*command, str(streams), str(expected)],
                    capture_output=True,
                    text=True,
                    env=child_env(),
                    cwd=ROOT,
                    timeout=900,
                )
                cpu = server_cpu_s(urls.pid) - cpu
                if result.returncode != 0:
                    raise RuntimeError(f"{contender}: {result.stderr[-2000:]}")
                out = json.loads(result.stdout.strip().splitlines()[-1])
                if "skipped" in out:
                    skipped[contender] = out["skipped"]
                    print(f"  ({CONCURRENT_CONTENDERS[contender]} skipped: {out['skipped']})")
                    continue
                rates[contender].append(out["chunks"] / out["wall"])
                rss[contender].append(out["rss_kib"] / 1024)
                server[contender].append(cpu / out["wall"])
    return {
        CONCURRENT_CONTENDERS[c]: {
            "rate": max(rates[c]),
            "rss_mib": statistics.median(rss[c]),
            "server_cpu": statistics.median(server[c]),
        }
        for c in CONCURRENT_CONTENDERS
        if c not in skipped
    }


def peer_ratios(
    provider: str, url: str, n: int, repeat: int, cpu: bool = False
) -> dict[str, float]:
    """Ratios of the peers that need their own venv, or {} without it; ``cpu``: of CPU time
    per event (the paced framing), else of throughput."""
    if not PEERS_PYTHON.exists():
        print("  (peers skipped: run `make .venv-peers/.installed` to measure them)")
        return {}
    result = subprocess.run(
        [
            str(PEERS_PYTHON),
            str(ROOT / "benchmarks" / "peers.py"),
            provider,
            url,
            str(n),
            str(repeat),
            *(["cpu"] if cpu else []),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        print(f"  (peers failed: {result.stderr.strip().splitlines()[-1:]})")
        return {}
    ratios: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return ratios


_PYCACHE = tempfile.mkdtemp(prefix="bench-pycache-")


def import_ms(module: str, repeat: int, python: Path | None = None) -> float:
    """Median cumulative import time of ``module`` in a fresh interpreter, in ms, with the
    bytecode cached as an installed package has it (a first, untimed import writes it, even
    where ``PYTHONDONTWRITEBYTECODE`` is set: compiling the sources is not what users pay)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = _PYCACHE
    command = [str(python or sys.executable), "-X", "importtime", "-c", f"import {module}"]
    subprocess.run(command, capture_output=True, env=env, check=True)
    times = []
    for _ in range(repeat):
        out = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stderr
        pattern = rf"^import time:\s+\d+ \|\s+(\d+) \| {re.escape(module)}$"
        match = re.search(pattern, out, re.M)
        assert match, out[-500:]
        times.append(int(match.group(1)) / 1000)
    return statistics.median(times)


def paced(provider: str, url: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Print and return one paced table: CPU per event, floor CPU per event / ours."""
    best = cpu_per_event(provider, url, n, args.repeat)
    base = best["floor"]
    print(
        f"\n{provider}, N = {n:,} chunks, {FRAMINGS['paced']} ({args.pace_us:g} us; best of "
        f"{args.repeat}; client CPU us per event, floor / ours)"
    )
    for name, cpu in best.items():
        print(f"  {name:<14} {cpu * 1e6:>10,.2f} us   {base / cpu:6.2f}x")
    entry: dict[str, Any] = {
        name: {"cpu_s_per_event": c, "ratio": base / c} for name, c in best.items()
    }
    for name, ratio in peer_ratios(provider, url, n, args.repeat, cpu=True).items():
        print(f"  {name:<14} {'(.venv-peers)':>12}   {ratio:6.2f}x")
        entry[name] = {"ratio": ratio}
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--providers", nargs="+", default=["mistral", "openai", "anthropic"])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--framing",
        nargs="+",
        choices=list(FRAMINGS),
        default=None,
        help="event: each event in its own HTTP chunk, as real servers flush them (the "
        "headline); whole: the body in one chunk (flatters batch decoding); paced: one event "
        "a read, CPU time per event (default: event whole)",
    )
    parser.add_argument(
        "--pace-us", type=float, default=200.0, help="paced: microseconds between events"
    )
    parser.add_argument("--fresh", action="store_true", help="the first request of a fresh process")
    parser.add_argument(
        "--concurrent",
        type=int,
        metavar="K",
        help="K concurrent async streams of each N (Mistral): chunks/s and peak RSS",
    )
    parser.add_argument(
        "--concurrent-pace-us",
        type=float,
        default=0.0,
        help="--concurrent: microseconds between the events of each stream, as a model paces "
        "them (default 0: as fast as the server writes, so every read is full)",
    )
    parser.add_argument(
        "--src",
        type=Path,
        default=ROOT / "src",
        help="the streamcall sources to time (another checkout's, or a snapshot)",
    )
    parser.add_argument(
        "--with-test-deps",
        action="store_true",
        help="--fresh / --concurrent: do not hide the dev environment's test-only packages "
        "(trio, which httpcore2 imports when installed) from the fresh processes",
    )
    args = parser.parse_args()
    import bench_first_call

    bench_first_call.SRC = args.src.resolve()  # the fresh processes' streamcall
    bench_first_call.HIDE_TEST_ONLY = not args.with_test_deps
    sys.path.insert(0, str(bench_first_call.SRC))  # this process's
    framings = args.framing
    if framings is None:
        framings = [] if args.fresh or args.concurrent else DEFAULT_FRAMINGS

    results: dict[str, Any] = {}
    jobs = [(p, n) for p in args.providers for n in args.n]
    for framing in framings:
        pace = args.pace_us / 1e6 if framing == "paced" else 0.0
        bodies = [BODIES[p](n) for p, n in jobs]
        with replay_server(bodies, framing != "whole", pace) as urls:
            for (provider, n), url in zip(jobs, urls, strict=True):
                if framing == "paced":
                    results[f"{provider} n={n} {framing}"] = paced(provider, url, n, args)
                    continue
                best = throughput(provider, url, n, args.repeat)
                base = best["floor"]
                print(
                    f"\n{provider}, N = {n:,} chunks, {FRAMINGS[framing]} "
                    f"(best of {args.repeat}; chunks/s, ratio to floor)"
                )
                for name, rate in best.items():
                    print(f"  {name:<14} {rate:>12,.0f}/s   {rate / base:6.2f}x")
                entry = {name: {"rate": r, "ratio": r / base} for name, r in best.items()}
                for name, ratio in peer_ratios(provider, url, n, args.repeat).items():
                    print(f"  {name:<14} {'(.venv-peers)':>14}   {ratio:6.2f}x")
                    entry[name] = {"ratio": ratio}
                results[f"{provider} n={n} {framing}"] = entry

    if args.fresh:
        for provider, n in jobs:
            ms = fresh_ms(provider, n, args.repeat)
            base = ms["floor"]
            print(
                f"\n{provider}, fresh process, N = {n:,} chunks, one HTTP chunk per event "
                f"(median of {args.repeat}; ms from spawn through import and one stream, and "
                "the process's CPU ms by then; floor / ours)"
            )
            for name, m in ms.items():
                print(
                    f"  {name:<14} {m['ms']:>10,.1f} ms   {base['ms'] / m['ms']:6.2f}x"
                    f"   {m['cpu_ms']:>10,.1f} CPU ms   {base['cpu_ms'] / m['cpu_ms']:6.2f}x"
                )
            results[f"{provider} n={n} fresh"] = {
                name: {
                    **m,
                    "ratio": base["ms"] / m["ms"],
                    "cpu_ratio": base["cpu_ms"] / m["cpu_ms"],
                }
                for name, m in ms.items()
            }

    if args.concurrent:
        for n in args.n:
            pace = args.concurrent_pace_us / 1e6
            runs = concurrent_runs(args.concurrent, n, args.repeat, pace)
            base = runs["floor"]
            paced_by = f", {args.concurrent_pace_us:g} us between events" if pace else ""
            print(
                f"\nmistral, {args.concurrent} concurrent streams of N = {n:,} chunks, one HTTP "
                f"chunk per event{paced_by}, async (fresh process a run, {args.repeat} runs; "
                "best chunks/s overall, ours / floor; median peak RSS, floor / ours)"
            )
            for name, run in runs.items():
                print(
                    f"  {name:<18} {run['rate']:>12,.0f}/s   {run['rate'] / base['rate']:6.2f}x"
                    f"   {run['rss_mib']:7.1f} MiB   {base['rss_mib'] / run['rss_mib']:6.2f}x"
                    f"   server CPU {run['server_cpu']:4.0%}"
                )
            key = f"mistral n={n} concurrent={args.concurrent}"
            results[key + (f" pace={args.concurrent_pace_us:g}us" if pace else "")] = {
                name: {
                    **run,
                    "ratio": run["rate"] / base["rate"],
                    "rss_ratio": base["rss_mib"] / run["rss_mib"],
                }
                for name, run in runs.items()
            }

    if not framings:
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
        return

    print("\nImport time (median of fresh interpreters, bytecode cached, python -X importtime)")
    imports = {}
    modules = [
        "streamcall.clients.mistral",
        "streamcall.core.mistral",
        "streamcall.core.openai",
        "streamcall.core.anthropic",
        "mistralai.client",
        "openai",
        "anthropic",
    ]
    for module in modules:
        imports[module] = import_ms(module, max(3, args.repeat))
        print(f"  {module:<28} {imports[module]:8.1f} ms")
    if PEERS_PYTHON.exists():
        for module in ("mirascope.core.mistral", "litellm"):
            imports[module] = import_ms(module, 3, PEERS_PYTHON)
            print(f"  {module:<28} {imports[module]:8.1f} ms   (.venv-peers)")
    results["import_ms"] = imports
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
