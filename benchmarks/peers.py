"""Peer libraries whose dependencies conflict with ours, measured in their own venv.

Mirascope v1 needs ``mistralai<2`` and LiteLLM 1.74.0 pins its own ``openai``, so both live in
``.venv-peers`` (``make .venv-peers/.installed``; LiteLLM is pinned: a later release was
compromised). ``bench_stream.py`` runs this script there against the same replay server and
reads one JSON line of ratios. The raw floor is measured again here, in this process, so each
peer's ratio compares like with like. With ``cpu`` (the paced framing), the ratio is floor
process CPU per event / the peer's, one stream a sample.

    .venv-peers/bin/python benchmarks/peers.py PROVIDER URL N REPEAT [cpu]
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workloads import MESSAGES, TEXT_DELTAS, Run, floor

SAMPLE_CHUNKS = 20_000


def mirascope_runner(url: str) -> Run:
    from mirascope.core import mistral
    from mistralai import Mistral as SDK

    client = SDK(api_key="bench", server_url=url)

    @mistral.call("mistral-small-latest", stream=True, client=client)
    def recommend_book() -> str:
        return "Recommend a book"

    def run() -> int:
        return sum(1 for chunk, _ in recommend_book() if chunk.content)

    return run


def litellm_runner(provider: str) -> Callable[[str], Run]:
    def make(url: str) -> Run:
        # LiteLLM fetches a price map from the internet unless told to use its bundled one.
        os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
        import litellm

        litellm.telemetry = False
        model = "openai/gpt-4.1-mini" if provider == "openai" else "anthropic/claude-sonnet-4-5"

        def run() -> int:
            response = litellm.completion(
                model=model,
                messages=MESSAGES,
                stream=True,
                api_base=url,
                api_key="bench",
                max_tokens=1024,
            )
            return sum(1 for chunk in response if chunk.choices and chunk.choices[0].delta.content)

        return run

    return make


def main() -> None:
    provider, url, n, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    cpu = sys.argv[5:] == ["cpu"]
    peers: dict[str, Callable[[str], Run]] = (
        {"mirascope_v1": mirascope_runner}
        if provider == "mistral"
        else {"litellm": litellm_runner(provider)}
    )
    runners = {"floor": floor(provider)(url), **{k: make(url) for k, make in peers.items()}}
    expected = TEXT_DELTAS[provider](n)
    for name, run in runners.items():
        got = run()
        assert got == expected, (name, got, expected)
    if cpu:
        least = dict.fromkeys(runners, float("inf"))
        for _ in range(repeat):
            for name, run in runners.items():
                start = time.process_time()
                count = run()
                least[name] = min(least[name], (time.process_time() - start) / count)
        print(json.dumps({k: least["floor"] / v for k, v in least.items() if k != "floor"}))
        return
    best = dict.fromkeys(runners, 0.0)
    per_sample = max(1, SAMPLE_CHUNKS // n)
    for _ in range(repeat):
        for name, run in runners.items():
            count = 0
            start = time.perf_counter()
            for _ in range(per_sample if name == "floor" else 1):
                count += run()
            best[name] = max(best[name], count / (time.perf_counter() - start))
    print(
        json.dumps({name: rate / best["floor"] for name, rate in best.items() if name != "floor"})
    )


if __name__ == "__main__":
    main()
