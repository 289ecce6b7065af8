"""The local provider's overhead: tokens/s against llama.cpp's own stream, as ratios.

Every contender generates the same greedy answer (same prompt, seed and token budget) from the
same loaded model; the floor is iterating ``Llama.create_chat_completion(stream=True)``
directly, with no streamcall code between. Ratios near 1.0 mean streamcall adds nothing
measurable to generation.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import Any

from streamcall.clients.local import LocalModel
from streamcall.core.local import local_call

MESSAGES = [{"role": "user", "content": "Tell me a long story about a dragon."}]


def contenders(tokens: int) -> dict[str, Callable[[], int]]:
    params: dict[str, Any] = {"temperature": 0.0, "seed": 1, "max_tokens": tokens}
    client = LocalModel()
    loaded = client.load()

    def raw_tokens() -> int:
        chunks = loaded.llama.create_chat_completion(messages=MESSAGES, stream=True, **params)
        return sum(1 for c in chunks if c["choices"] and c["choices"][0]["delta"])

    def floor() -> int:
        # On the model's own thread, where streamcall runs it: llama.cpp's OpenMP teams of two
        # threads would otherwise compete for the cores and slow both (docs/ARCHITECTURE.md).
        loaded.acquire()
        try:
            return loaded.run(raw_tokens)
        finally:
            loaded.release()

    def client_stream() -> int:
        with client.chat.completions.create(messages=MESSAGES, stream=True, **params) as stream:
            return sum(1 for c in stream if c.choices and c.choices[0].delta.content is not None)

    @local_call(stream=True, call_params=params)
    def story() -> list[dict[str, str]]:
        return MESSAGES

    def call_stream() -> int:
        stream = story()
        for _ in stream:
            pass
        return stream.output_tokens or 0

    @local_call(stream=True, call_params=params)
    async def story_async() -> list[dict[str, str]]:
        return MESSAGES

    async def consume_async() -> int:
        stream = await story_async()
        async for _ in stream:
            pass
        return stream.output_tokens or 0

    def call_async() -> int:
        return asyncio.run(consume_async())

    return {
        "llama.cpp stream (floor)": floor,
        "LocalModel client": client_stream,
        "local_call": call_stream,
        "local_call async": call_async,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = contenders(args.tokens)
    best: dict[str, float] = {}
    for _ in range(args.repeat):  # interleaved, so drift hits every contender alike
        for name, run in runs.items():
            started = time.perf_counter()
            count = run()
            rate = count / (time.perf_counter() - started)
            best[name] = max(best.get(name, 0.0), rate)
    floor = best["llama.cpp stream (floor)"]
    print(f"local model, {args.tokens} tokens, best of {args.repeat} (tokens/s vs the floor)")
    for name, rate in best.items():
        print(f"  {name:26s} {rate / floor:5.2f}x")


if __name__ == "__main__":
    main()
