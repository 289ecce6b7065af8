"""Streaming throughput and import time, side by side in one run.

Streams N Mistral-shaped chunks (no delay) from a local replay server and reports chunks/s for:

- ``floor``: raw httpx2 + orjson reading lines (``response.iter_lines()``), the least a client
  must do;
- ``mistralai``: the official SDK's ``chat.stream``;
- ``streamcall``: ``Mistral.chat.stream``;
- ``mistral_call``: the call layer, ``@mistral_call(..., stream=True)`` -> ``MistralStream``
  (``for chunk, tool in stream``, usage and cost accumulated);
- ``mirascope_v1``: Mirascope 1.25's ``mistral.call(..., stream=True)``, run by
  ``benchmarks/peers.py`` in ``.venv-peers`` (it needs ``mistralai<2``) against the same server,
  its ratio taken against a floor measured in that process.

Every contender reads ``choices[0].delta.content`` of every chunk, as a user would. Runs are
interleaved and repeated (each sample streams at least 20,000 chunks, in several requests when
N is small; the slow SDK gets one request per sample); the best of each is kept, and ratios
against the floor are printed (the machines are shared and noisy: compare ratios, not absolute
numbers). The replay server runs in its own process, so it does not compete for the GIL.

    python benchmarks/bench_stream.py [--n 1000 20000] [--repeat 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


CHUNK = (
    '{"id":"44da3847ce52afd703690b20cb08658f","object":"chat.completion.chunk",'
    '"created":1772036650,"model":"mistral-small-latest","choices":[{"index":0,'
    '"delta":{"content":" token"},"finish_reason":null,"logprobs":null}]}'
)
LAST = (
    '{"id":"44da3847ce52afd703690b20cb08658f","object":"chat.completion.chunk",'
    '"created":1772036650,"model":"mistral-small-latest","choices":[{"index":0,'
    '"delta":{"content":""},"finish_reason":"stop","logprobs":null}],'
    '"usage":{"prompt_tokens":19,"total_tokens":52,"completion_tokens":33}}'
)
MESSAGES = [{"role": "user", "content": "Recommend a book"}]
SAMPLE_CHUNKS = 20_000


def body_of(n: int) -> bytes:
    return (
        "".join(f"data: {CHUNK}\n\n" for _ in range(n - 1)) + f"data: {LAST}\n\ndata: [DONE]\n\n"
    ).encode()


def floor_runner(url: str) -> Callable[[], int]:
    import httpx2
    import orjson

    client = httpx2.Client()

    def run() -> int:
        count = chars = 0
        with client.stream("POST", url + "/v1/chat/completions", json={"stream": True}) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    chars += len(orjson.loads(data)["choices"][0]["delta"]["content"])
                    count += 1
        assert chars
        return count

    return run


def chat_stream_runner(client: Any) -> Callable[[], int]:
    """A run over ``client.chat.stream`` (the SDK and streamcall share this surface)."""

    def run() -> int:
        count = chars = 0
        with client.chat.stream(model="mistral-small-latest", messages=MESSAGES) as stream:
            for event in stream:
                chars += len(event.data.choices[0].delta.content)
                count += 1
        assert chars
        return count

    return run


def sdk_runner(url: str) -> Callable[[], int]:
    from mistralai.client import Mistral as SDK

    return chat_stream_runner(SDK(api_key="bench", server_url=url))


def streamcall_runner(url: str) -> Callable[[], int]:
    from streamcall.clients.mistral import Mistral

    return chat_stream_runner(Mistral(api_key="bench", server_url=url))


def mistral_call_runner(url: str) -> Callable[[], int]:
    from streamcall.clients.mistral import Mistral
    from streamcall.core.mistral import mistral_call

    @mistral_call(
        "mistral-small-latest", stream=True, client=Mistral(api_key="bench", server_url=url)
    )
    def recommend_book() -> str:
        return "Recommend a book"

    def run() -> int:
        count = chars = 0
        stream = recommend_book()
        for chunk, _ in stream:
            chars += len(chunk.content)
            count += 1
        assert chars
        assert stream.output_tokens
        assert stream.cost is not None
        return count

    return run


RUNNERS = {
    "floor": floor_runner,
    "mistralai": sdk_runner,
    "streamcall": streamcall_runner,
    "mistral_call": mistral_call_runner,
}


def throughput(url: str, n: int, repeat: int) -> dict[str, float]:
    runners = {name: make(url) for name, make in RUNNERS.items()}
    best: dict[str, float] = dict.fromkeys(runners, 0.0)
    for name, run in runners.items():  # warm up: connections, imports, caches
        assert run() == n, name
    requests_per_sample = max(1, SAMPLE_CHUNKS // n)  # short samples are all noise
    for _ in range(repeat):
        for name, run in runners.items():
            count = 0
            start = time.perf_counter()
            for _ in range(requests_per_sample if name != "mistralai" else 1):
                count += run()
            elapsed = time.perf_counter() - start
            best[name] = max(best[name], count / elapsed)
    return best


@contextlib.contextmanager
def replay_server(sizes: list[int]) -> Iterator[list[str]]:
    """A replay server in its own process (it must not compete for this process's GIL)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n in sizes:
            path = Path(tmp) / f"body-{n}.sse"
            path.write_bytes(body_of(n))
            paths.append(str(path))
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.replay", *paths],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            yield [proc.stdout.readline().strip() for _ in sizes]
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=10)


PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"


def peer_ratios(url: str, n: int, repeat: int) -> dict[str, float]:
    """Ratios of the peers that need their own venv (Mirascope v1), or {} without it."""
    if not PEERS_PYTHON.exists():
        print("  (Mirascope v1 skipped: run `make .venv-peers` to measure it)")
        return {}
    out = subprocess.run(
        [str(PEERS_PYTHON), str(ROOT / "benchmarks" / "peers.py"), url, str(n), str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ratios: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return ratios


def import_ms(module: str, repeat: int, python: Path | None = None) -> float:
    """Median cumulative import time of ``module`` in a fresh interpreter, in ms."""
    times = []
    for _ in range(repeat):
        out = subprocess.run(
            [str(python or sys.executable), "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        pattern = rf"^import time:\s+\d+ \|\s+(\d+) \| {re.escape(module)}$"
        match = re.search(pattern, out, re.M)
        assert match, out[-500:]
        times.append(int(match.group(1)) / 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    results: dict[str, object] = {}
    with replay_server(args.n) as urls:
        for n, url in zip(args.n, urls, strict=True):
            best = throughput(url, n, args.repeat)
            floor = best["floor"]
            print(f"\nN = {n:,} chunks (best of {args.repeat}, chunks/s and ratio to the floor)")
            for name, rate in best.items():
                print(f"  {name:<13} {rate:>12,.0f}/s   {rate / floor:6.2f}x")
            results[f"n={n}"] = {name: {"rate": r, "ratio": r / floor} for name, r in best.items()}
            for name, ratio in peer_ratios(url, n, args.repeat).items():
                print(f"  {name:<13} {'(.venv-peers)':>14}   {ratio:6.2f}x")
                results[f"n={n}"][name] = {"ratio": ratio}  # type: ignore[index]

    print("\nImport time (median of fresh interpreters, python -X importtime)")
    imports = {}
    for module in ("streamcall.clients.mistral", "streamcall.core.mistral", "mistralai.client"):
        imports[module] = import_ms(module, max(3, args.repeat))
        print(f"  {module:<28} {imports[module]:8.1f} ms")
    if PEERS_PYTHON.exists():
        module = "mirascope.core.mistral"
        imports[module] = import_ms(module, max(3, args.repeat), PEERS_PYTHON)
        print(f"  {module:<28} {imports[module]:8.1f} ms   (Mirascope v1, .venv-peers)")
    results["import_ms"] = imports
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
