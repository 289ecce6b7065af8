"""Differential: the official ``mistralai`` SDK and streamcall read the same replayed bytes.

Both clients point at the same local replay server, for every Mistral fixture and for extra
bodies (reasoning chunks, usage with cached tokens), whole and re-chunked; they must recover the
same text, thinking, tool calls, usage and finish reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from mistralai.client import Mistral as SDKMistral

from streamcall.clients.mistral import Mistral
from tests.replay import Chunking, ReplayServer, Reply, sse_body
from tests.wire_fixtures import fixtures


def summarize(chunks: list[Any]) -> dict[str, Any]:
    """What a stream carried, read by duck typing so it works on both clients' objects."""
    text, thinking, calls = "", "", []
    finish = usage = None
    for chunk in chunks:
        if chunk.usage is not None:
            usage = (
                chunk.usage.prompt_tokens,
                chunk.usage.completion_tokens,
                chunk.usage.total_tokens,
            )
        for choice in chunk.choices:
            content = choice.delta.content
            if isinstance(content, str):
                text += content
            elif isinstance(content, list):
                for part in content:
                    if part.type == "text":
                        text += part.text
                    elif part.type == "thinking":
                        thinking += "".join(t.text for t in part.thinking if t.type == "text")
            for call in choice.delta.tool_calls or ():
                args = call.function.arguments
                calls.append(
                    (
                        call.id,
                        call.function.name,
                        json.loads(args) if isinstance(args, str) else args,
                    )
                )
            if choice.finish_reason is not None:
                finish = str(choice.finish_reason)
    return {
        "text": text,
        "thinking": thinking,
        "tool_calls": calls,
        "finish_reason": finish,
        "usage": usage,
        "ids": {c.id for c in chunks},
        "models": {c.model for c in chunks},
        "count": len(chunks),
    }


def reasoning_body() -> bytes:
    def chunk(delta: object, finish: str | None = None, usage: object = None) -> str:
        body: dict[str, Any] = {
            "id": "r1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "magistral-small-latest",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        if usage is not None:
            body["usage"] = usage
        return json.dumps(body)

    return sse_body(
        [
            chunk({"role": "assistant", "content": ""}),
            chunk(
                {"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "2+2"}]}]}
            ),
            chunk(
                {"content": [{"type": "thinking", "thinking": [{"type": "text", "text": " is 4"}]}]}
            ),
            chunk({"content": [{"type": "text", "text": "It is "}]}),
            chunk({"content": "4."}),
            chunk(
                {"content": ""},
                "stop",
                {"prompt_tokens": 7, "completion_tokens": 9, "total_tokens": 16},
            ),
        ]
    )


BODIES = [(f.name, f.body) for f in fixtures("mistral.")] + [("reasoning", reasoning_body())]
CHUNKINGS = [Chunking.whole(), Chunking.random(seed=5), Chunking.random(seed=9, max_size=3)]


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
@pytest.mark.parametrize(("name", "body"), BODIES, ids=[n for n, _ in BODIES])
def test_same_result_as_the_official_sdk(
    server: ReplayServer, name: str, body: bytes, chunking: Chunking
) -> None:
    url = server.route(Reply(body=body, chunking=chunking))
    messages = [{"role": "user", "content": "hi"}]

    sdk = SDKMistral(api_key="test-key", server_url=url)
    with sdk.chat.stream(model="mistral-small-latest", messages=messages) as sdk_stream:  # type: ignore[arg-type]
        theirs = summarize([event.data for event in sdk_stream])

    with Mistral(api_key="test-key", server_url=url) as ours_client:
        with ours_client.chat.stream(model="mistral-small-latest", messages=messages) as stream:
            ours = summarize([event.data for event in stream])

    assert ours == theirs
    assert ours["count"] > 0
    sent = server.requests(url)
    assert sent[0].json() == sent[1].json()  # both sent the same request body


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "body"), BODIES, ids=[n for n, _ in BODIES])
async def test_same_result_as_the_official_sdk_async(
    server: ReplayServer, name: str, body: bytes
) -> None:
    url = server.route(Reply(body=body, chunking=Chunking.random(seed=2)))
    messages = [{"role": "user", "content": "hi"}]

    sdk = SDKMistral(api_key="test-key", server_url=url)
    sdk_stream = await sdk.chat.stream_async(model="mistral-small-latest", messages=messages)  # type: ignore[arg-type]
    async with sdk_stream:
        theirs = summarize([event.data async for event in sdk_stream])

    async with Mistral(api_key="test-key", server_url=url) as client:
        async with await client.chat.stream_async("mistral-small-latest", messages) as stream:
            ours = summarize([event.data async for event in stream])

    assert ours == theirs
