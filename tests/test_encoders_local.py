"""Encoders over the local model's stream (no wire of its own: llama.cpp's chunks), read back
by the official OpenAI and Anthropic SDKs."""

from __future__ import annotations

import asyncio

from tests.local_model import require_local_extra

require_local_extra()

from streamcall.core.local import local_call  # noqa: E402
from streamcall.encoders import aencode_anthropic, encode_openai  # noqa: E402
from tests.replay import ReplayServer  # noqa: E402
from tests.test_encoders import (  # noqa: E402
    check_anthropic,
    check_openai,
    read_anthropic,
    read_openai,
    seen,
)

GREEDY = {"temperature": 0.0, "seed": 7, "max_tokens": 16}


@local_call(stream=True, call_params=GREEDY)
def recommend() -> str:
    return "Recommend a fantasy book"


@local_call(stream=True, call_params=GREEDY)
async def recommend_async() -> str:
    return "Recommend a fantasy book"


def test_the_local_models_stream_as_openai_chunks(server: ReplayServer) -> None:
    stream = recommend()
    encoded = b"".join(encode_openai(stream))
    expected = seen(stream)
    assert expected.state == "complete"
    assert expected.text
    assert expected.usage is not None
    check_openai(read_openai(server, encoded), expected)


def test_the_local_models_async_stream_as_anthropic_events(server: ReplayServer) -> None:
    async def run() -> tuple[bytes, object]:
        stream = await recommend_async()
        return b"".join([out async for out in aencode_anthropic(stream)]), stream

    encoded, stream = asyncio.run(run())
    expected = seen(stream)
    assert expected.state == "complete"
    assert expected.text
    check_anthropic(read_anthropic(server, encoded), expected)
