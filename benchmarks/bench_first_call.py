"""What a fresh process pays: import + the first streamed call, against the raw floor.

Each sample is a fresh interpreter (bytecode cached, as an installed package has it) that
streams one body of N chunks of one provider shape (``--provider``: Mistral by default, OpenAI
Chat or Anthropic Messages; each event in its own HTTP chunk) from a local replay server
running in its own process, and reports, in ms from the interpreter's first line:

- ``floor``: ``import httpx2, orjson``, ``httpx2.Client()``, the call read with ``iter_lines``
  (``workloads.floor``): it pays httpx2's import and SSL context too;
- ``client``: streamcall's client (``Mistral().chat.stream``, ``OpenAI().chat.completions
  .create``, ``Anthropic().messages.create``);
- ``call``: ``@mistral_call`` / ``@openai_call`` / ``@anthropic_call`` with ``stream=True`` (no
  tools, no response model);
- the same three *warmed*: the imports and ``streamcall.warm_up()`` (for the floor: its imports
  and one SSL context) done before the clock starts, as a service does at start-up, so only
  the client's creation and the first call are timed.

It prints the median of each, the ratio to the floor's (floor ms / ms, as throughput ratios
are), the ratio to a warm floor call (the same process's second call), whether pydantic was
imported, and the top cumulative entries of ``python -X importtime`` for the first call.

    python benchmarks/bench_first_call.py [--provider mistral] [--n 1000] [--repeat 7]
        [--json FILE] [--src DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_stream import replay_server  # noqa: E402
from workloads import BODIES, MESSAGES  # noqa: E402

CONTENDERS = ("floor", "client", "call")

# Run in the fresh interpreter: argv = contender, url, warmed ("1"/"0"), provider shape.
# Prints one JSON line.
CHILD = r"""
import time
t0 = time.perf_counter()
import sys
contender, url, warmed, provider = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
MESSAGES = %(messages)r
CLASS = {"mistral": "Mistral", "openai": "OpenAI", "anthropic": "Anthropic"}[provider]
CLIENT = ("streamcall.clients." + provider, CLASS)  # module, class
CALL = ("streamcall.core." + provider, provider + "_call")  # module, decorator
MODEL = {"mistral": "mistral-small-latest", "openai": "gpt-4.1-mini"}.get(
    provider, "claude-sonnet-4-5"
)

def read_floor(client):
    import orjson
    path = "/v1/messages" if provider == "anthropic" else "/v1/chat/completions"
    count = 0
    with client.stream("POST", url + path, json={"stream": True}) as r:
        for line in r.iter_lines():
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                break
            obj = orjson.loads(data)
            if provider == "anthropic":
                if obj["type"] == "content_block_delta" and obj["delta"]["text"]:
                    count += 1
            elif obj["choices"] and obj["choices"][0]["delta"]["content"]:
                count += 1
    return count

def make_client():
    module = __import__(CLIENT[0], fromlist=[CLIENT[1]])
    url_key = "server_url" if provider == "mistral" else "base_url"
    return getattr(module, CLIENT[1])(api_key="bench", **{url_key: url})

def read_client(client):
    count = 0
    if provider == "mistral":
        with client.chat.stream(MODEL, MESSAGES) as s:
            for e in s:
                if e.data.choices[0].delta.content:
                    count += 1
    elif provider == "openai":
        with client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True) as s:
            for c in s:
                if c.choices and c.choices[0].delta.content:
                    count += 1
    else:
        with client.messages.create(
            model=MODEL, max_tokens=1024, messages=MESSAGES, stream=True
        ) as s:
            for e in s:
                if e.type == "content_block_delta" and e.delta.text:
                    count += 1
    return count

if contender == "floor":
    if warmed:
        import httpx2, orjson, ssl
        ctx = httpx2.create_ssl_context()
        t0 = time.perf_counter()
        client = httpx2.Client(verify=ctx)
    else:
        import httpx2
        client = httpx2.Client()
    first = lambda: read_floor(client)
    again = first
elif contender == "client":
    if warmed:
        import streamcall
        __import__(CLIENT[0])
        getattr(streamcall, "warm_up", lambda: None)()  # before it existed: imports only
        t0 = time.perf_counter()
    client = make_client()
    first = lambda: read_client(client)
    again = first
else:
    if warmed:
        import streamcall
        __import__(CLIENT[0])
        __import__(CALL[0])
        getattr(streamcall, "warm_up", lambda: None)()  # before it existed: imports only
        t0 = time.perf_counter()
    call = getattr(__import__(CALL[0], fromlist=[CALL[1]]), CALL[1])

    @call(MODEL, stream=True, client=make_client())
    def ask() -> str:
        return "Recommend a book"

    def first():
        stream = ask()
        count = sum(1 for chunk, _ in stream if chunk.content)
        assert stream.output_tokens
        return count
    again = first

count = first()
t1 = time.perf_counter()
end_wall = time.time()
cpu_ms = time.process_time() * 1000  # the process's CPU from its start: the machine's load aside
second = again()
t2 = time.perf_counter()
assert count == second
import json
print(json.dumps({
    "first_ms": (t1 - t0) * 1000,
    "end_wall": end_wall,
    "cpu_ms": cpu_ms,
    "warm_ms": (t2 - t1) * 1000,
    "count": count,
    "pydantic": "pydantic" in sys.modules,
    "httpx2": "httpx2" in sys.modules,
}))
"""

_PYCACHE = tempfile.mkdtemp(prefix="bench-first-pycache-")

TEST_ONLY = ("trio",)
"""Packages this repository's dev environment installs for its tests that a user's install does
not have, and that change what a fresh process pays: httpcore2 imports trio at its own import
when it is installed (~40 ms, floor and streamcall alike). The children run as a user's install
would (``hide_test_only``), unless ``--with-test-deps``."""
HIDE_TEST_ONLY = True


def _hidden_packages() -> str:
    """A folder of stand-ins that raise ``ImportError`` (as a missing package does) for
    :data:`TEST_ONLY`, put first on the children's path."""
    folder = Path(tempfile.mkdtemp(prefix="bench-as-installed-"))
    for name in TEST_ONLY:
        (folder / f"{name}.py").write_text(
            f"raise ImportError('{name}: not in a user install (benchmarks/bench_first_call.py)')\n"
        )
    return str(folder)


_HIDDEN = _hidden_packages()


SRC = ROOT / "src"


def child_env() -> dict[str, str]:
    """Bytecode cached (as installed), even where ``PYTHONDONTWRITEBYTECODE`` is set; streamcall
    imported from ``SRC`` (``--src``: another checkout's, to compare); the test-only packages
    hidden (:data:`TEST_ONLY`)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = _PYCACHE
    env["PYTHONPATH"] = os.pathsep.join([*([_HIDDEN] if HIDE_TEST_ONLY else []), str(SRC)])
    return env


def sample(
    contender: str, url: str, warmed: bool, importtime: bool = False, provider: str = "mistral"
) -> dict[str, Any]:
    """One fresh interpreter's first call (``CHILD``) on a body of the ``provider`` shape."""
    script = CHILD % {"messages": MESSAGES}
    command = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", script]
    start_wall = time.time()
    result = subprocess.run(
        [*command, contender, url, "1" if warmed else "0", provider],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{contender}: {result.stderr[-2000:]}")
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    # From the parent's spawn to the end of the first stream: interpreter start included.
    out["process_ms"] = (out["end_wall"] - start_wall) * 1000
    out["stderr"] = result.stderr
    return out


def top_imports(stderr: str, count: int) -> list[tuple[str, float]]:
    """The top-level imports (no indentation) with the largest cumulative times, in ms."""
    rows = []
    for line in stderr.splitlines():
        match = re.match(r"^import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match:
            rows.append((match.group(2), int(match.group(1)) / 1000))
    return sorted(rows, key=lambda r: -r[1])[:count]


def main() -> None:
    global SRC, HIDE_TEST_ONLY
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--provider", choices=["mistral", "openai", "anthropic"], default="mistral")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--src", type=Path, default=ROOT / "src", help="the streamcall sources to time"
    )
    parser.add_argument(
        "--with-test-deps",
        action="store_true",
        help="do not hide the dev environment's test-only packages (trio) from the children",
    )
    args = parser.parse_args()
    SRC = args.src.resolve()
    HIDE_TEST_ONLY = not args.with_test_deps

    results: dict[str, Any] = {}
    provider = args.provider
    with replay_server([BODIES[provider](args.n)], per_event=True) as (url,):
        for contender in CONTENDERS:  # writes the bytecode; not timed
            sample(contender, url, warmed=False, provider=provider)
        runs: dict[str, list[dict[str, Any]]] = {}
        for _ in range(args.repeat):  # interleaved: the machine's noise hits all alike
            for contender in CONTENDERS:
                for warmed in (False, True):
                    name = contender + (" warmed" if warmed else "")
                    runs.setdefault(name, []).append(
                        sample(contender, url, warmed, provider=provider)
                    )
        traces = {
            c: sample(c, url, warmed=False, importtime=True, provider=provider) for c in CONTENDERS
        }

    warm_floor = statistics.median(r["warm_ms"] for r in runs["floor"])
    print(
        f"\nFresh process, {provider}-shaped stream of N = {args.n:,} chunks, one HTTP chunk per "
        f"event (median of {args.repeat}; ratio = floor ms / ms)"
    )
    print(f"  a warm floor call (the process's second): {warm_floor:7.1f} ms")
    print(f"  {'':<16} {'ms':>8} {'vs floor':>9} {'vs warm floor':>14} {'pydantic':>9}")
    for name, samples in runs.items():
        ms = statistics.median(r["first_ms"] for r in samples)
        base_name = "floor warmed" if name.endswith("warmed") else "floor"
        base = statistics.median(r["first_ms"] for r in runs[base_name])
        pydantic = any(r["pydantic"] for r in samples)
        print(f"  {name:<16} {ms:8.1f} {base / ms:8.2f}x {warm_floor / ms:13.2f}x {pydantic!s:>9}")
        results[name] = {
            "first_ms": ms,
            "ratio_to_floor": base / ms,
            "ratio_to_warm_floor": warm_floor / ms,
            "pydantic_imported": pydantic,
            "warm_ms": statistics.median(r["warm_ms"] for r in samples),
        }
    results["warm_floor_ms"] = warm_floor

    print("\nTop imports of the first call (python -X importtime, cumulative ms, one run)")
    for contender, trace in traces.items():
        rows = top_imports(trace["stderr"], args.top)
        print(f"  {contender}: " + ", ".join(f"{m} {ms:.1f}" for m, ms in rows))
        results[f"importtime {contender}"] = dict(rows)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
