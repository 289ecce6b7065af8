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
noisy: compare ratios, not absolute numbers. The replay server runs in its own process, so it
does not compete for the GIL.

Two framings of the same bytes: each event in its own HTTP chunk, as OpenAI, Mistral, vLLM and
llama.cpp's server flush them (the headline: per-event cost is what users pay), and the whole
body in one HTTP chunk (which lets batch decoding take hundreds of events per read, and so
flatters it).

    python benchmarks/bench_stream.py [--providers mistral openai anthropic] [--n 1000 20000]
        [--framing event whole] [--repeat 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
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
sys.path.insert(0, str(ROOT / "benchmarks"))

from workloads import BODIES, MESSAGES, TEXT_DELTAS, Run, floor  # noqa: E402

SAMPLE_CHUNKS = 20_000
FRAMINGS = {"event": "one HTTP chunk per event", "whole": "whole body in one HTTP chunk"}
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


@contextlib.contextmanager
def replay_server(bodies: list[bytes], per_event: bool) -> Iterator[list[str]]:
    """A replay server in its own process (it must not compete for this process's GIL);
    ``per_event``: each event in its own HTTP chunk, else the whole body in one."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, body in enumerate(bodies):
            path = Path(tmp) / f"body-{i}"
            path.write_bytes(body)
            paths.append(str(path))
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.replay", *(["--per-event"] if per_event else []), *paths],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            yield [proc.stdout.readline().strip() for _ in bodies]
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=10)


def peer_ratios(provider: str, url: str, n: int, repeat: int) -> dict[str, float]:
    """Ratios of the peers that need their own venv, or {} without it."""
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
        default=list(FRAMINGS),
        help="event: each event in its own HTTP chunk, as real servers flush them (the "
        "headline); whole: the body in one chunk (flatters batch decoding)",
    )
    args = parser.parse_args()

    results: dict[str, Any] = {}
    jobs = [(p, n) for p in args.providers for n in args.n]
    for framing in args.framing:
        with replay_server([BODIES[p](n) for p, n in jobs], framing == "event") as urls:
            for (provider, n), url in zip(jobs, urls, strict=True):
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
