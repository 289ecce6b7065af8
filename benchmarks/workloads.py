"""Benchmark workloads: a provider-shaped body of N text chunks, and the contenders reading it.

Each contender is a factory ``(url) -> run`` where ``run()`` streams the whole body once and
returns how many text deltas it read (every contender reads the same ones, as a user would:
the text of each delta). Shared by ``bench_stream.py`` (our venv) and ``peers.py``
(``.venv-peers``), so the floor is the same code in both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Run = Callable[[], int]
MESSAGES = [{"role": "user", "content": "Recommend a book"}]


# -- bodies -----------------------------------------------------------------------------------


def chat_body(n: int, model: str) -> bytes:
    """OpenAI/Mistral-shaped SSE: N-1 text chunks, a finish chunk with usage, ``[DONE]``.

    The texts vary: LiteLLM rejects a stream that repeats one chunk over and over.
    """
    head = (
        f'{{"id":"cmpl-1","object":"chat.completion.chunk","created":1772036650,"model":"{model}",'
    )
    last = (
        head + '"choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],'
        '"usage":{"prompt_tokens":19,"total_tokens":52,"completion_tokens":33}}'
    )
    chunks = "".join(
        f'data: {head}"choices":[{{"index":0,"delta":{{"content":" tok{i % 100:02d}"}},'
        '"finish_reason":null}]}\n\n'
        for i in range(n - 1)
    )
    return (chunks + f"data: {last}\n\ndata: [DONE]\n\n").encode()


def anthropic_body(n: int) -> bytes:
    """Anthropic-shaped SSE with ``event:`` lines: N text deltas inside one text block."""

    def event(kind: str, data: dict[str, Any]) -> str:
        return (
            f"event: {kind}\ndata: {json.dumps({'type': kind, **data}, separators=(',', ':'))}\n\n"
        )

    start = event(
        "message_start",
        {
            "message": {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [],
                "stop_reason": None,
                "usage": {"input_tokens": 19, "output_tokens": 1},
            }
        },
    )
    block = event(
        "content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}
    )
    deltas = "".join(
        event(
            "content_block_delta",
            {"index": 0, "delta": {"type": "text_delta", "text": f" tok{i % 100:02d}"}},
        )
        for i in range(n)
    )
    end = (
        event("content_block_stop", {"index": 0})
        + event(
            "message_delta", {"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": n}}
        )
        + event("message_stop", {})
    )
    return (start + block + deltas + end).encode()


BODIES: dict[str, Callable[[int], bytes]] = {
    "mistral": lambda n: chat_body(n, "mistral-small-latest"),
    "openai": lambda n: chat_body(n, "gpt-4.1-mini"),
    "anthropic": anthropic_body,
}
TEXT_DELTAS: dict[str, Callable[[int], int]] = {
    "mistral": lambda n: n - 1,
    "openai": lambda n: n - 1,
    "anthropic": lambda n: n,
}


# -- the raw floor ----------------------------------------------------------------------------


def floor(provider: str) -> Callable[[str], Run]:
    """httpx2 + orjson reading lines: the least any client must do."""
    path = "/v1/messages" if provider == "anthropic" else "/v1/chat/completions"

    def make(url: str) -> Run:
        import httpx2
        import orjson

        client = httpx2.Client()

        def run() -> int:
            count = 0
            with client.stream("POST", url + path, json={"stream": True}) as response:
                for line in response.iter_lines():
                    if not line.startswith("data: "):
                        continue
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    obj = orjson.loads(data)
                    if provider == "anthropic":
                        if obj["type"] == "content_block_delta":
                            count += bool(obj["delta"]["text"])
                    elif obj["choices"] and obj["choices"][0]["delta"]["content"]:
                        count += 1
            return count

        return run

    return make
