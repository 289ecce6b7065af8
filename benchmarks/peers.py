"""Peer libraries whose dependencies conflict with ours, measured in their own venv.

Mirascope v1 needs ``mistralai<2`` (we test against 3.7), so it lives in ``.venv-peers``
(``make .venv-peers``). ``bench_stream.py`` runs this script there, against the same replay
server, and reads one JSON line. The raw floor is measured again here, in this process, so each
peer's ratio compares like with like.

    .venv-peers/bin/python benchmarks/peers.py URL N REPEAT
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

MESSAGES = [{"role": "user", "content": "Recommend a book"}]
SAMPLE_CHUNKS = 20_000


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


def mirascope_runner(url: str) -> Callable[[], int]:
    from mirascope.core import mistral
    from mistralai import Mistral as SDK

    client = SDK(api_key="bench", server_url=url)

    @mistral.call("mistral-small-latest", stream=True, client=client)
    def recommend_book() -> str:
        return "Recommend a book"

    def run() -> int:
        count = chars = 0
        stream = recommend_book()
        for chunk, _ in stream:
            chars += len(chunk.content)
            count += 1
        assert chars
        return count

    return run


def main() -> None:
    url, n, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    runners = {"floor": floor_runner(url), "mirascope_v1": mirascope_runner(url)}
    best = dict.fromkeys(runners, 0.0)
    for run in runners.values():
        run()
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
