"""``streamcall serve`` in front of the local model (llama.cpp, in this process): the official
OpenAI and Anthropic SDKs stream a greedy answer and read back what ``local_call`` itself gives
for the same prompt (text, usage, finish reason); a client that leaves mid-stream stops the
generation; a tool history reaches the model as text its chat template can show; a request
cannot name another model file."""

from __future__ import annotations

import json
import socket
import time
from types import SimpleNamespace
from typing import Any

from tests.local_model import require_local_extra

require_local_extra()

import anthropic  # noqa: E402
import openai  # noqa: E402
import pytest  # noqa: E402
from openai.lib.streaming.chat import ChatCompletionStreamState  # noqa: E402

from streamcall.clients.local import DEFAULT_MODEL, LocalModel  # noqa: E402
from streamcall.core.local import local_call  # noqa: E402
from streamcall.serve import create_app  # noqa: E402
from tests.asgi_server import uvicorn_server  # noqa: E402

PROMPT = "Recommend a fantasy book"
GREEDY = {"temperature": 0.0, "seed": 7, "max_tokens": 6}


class Recording(LocalModel):
    """The local client, keeping the messages of each generation and each opened stream."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[list[Any]] = []
        self.streams: list[Any] = []
        completions, streams = self.chat.completions, self.streams

        async def create_async(**kwargs: Any) -> Any:
            opened = await completions.create_async(**kwargs)
            streams.append(opened)
            return opened

        self.chat = SimpleNamespace(completions=SimpleNamespace(create_async=create_async))  # type: ignore[assignment]

    def _prepare(self, model: str | None, messages: Any, params: Any) -> Any:
        name, prepared, kwargs = super()._prepare(model, messages, params)
        self.messages.append(prepared)  # as the chat template gets them
        return name, prepared, kwargs


@pytest.fixture(scope="module")
def served() -> Any:
    """One app on uvicorn for the module (the model loads once per process)."""
    client = Recording()
    with uvicorn_server(create_app("local", client=client), lifespan="on") as (host, port):
        yield SimpleNamespace(base=f"http://{host}:{port}", host=host, port=port, client=client)


@local_call(stream=True, call_params=GREEDY)
def recommend() -> str:
    return PROMPT


@pytest.fixture
def expected() -> Any:
    """What ``local_call`` gives for the prompt, just before the served request. Run twice:
    llama.cpp's greedy answer depends on what the model last evaluated (a different earlier
    prompt can change it), so the second run and the served one meet the same state."""
    for _ in range(2):
        stream = recommend()
        for _ in stream:
            pass
    assert stream.content
    assert stream.common_usage is not None
    return stream


def test_the_openai_sdk_streams_what_local_call_gives(served: Any, expected: Any) -> None:
    with openai.OpenAI(base_url=f"{served.base}/v1", api_key="x", max_retries=0) as sdk:
        state = ChatCompletionStreamState()
        with sdk.chat.completions.create(
            model="anything",
            messages=[{"role": "user", "content": PROMPT}],
            stream=True,
            stream_options={"include_usage": True},
            **GREEDY,  # type: ignore[arg-type]
        ) as chunks:
            for chunk in chunks:
                state.handle_chunk(chunk)
    completion = state.current_completion_snapshot
    assert completion.choices[0].message.content == expected.content
    assert completion.choices[0].finish_reason == expected.finish_reasons[0]
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == expected.common_usage.input_tokens
    assert completion.usage.completion_tokens == expected.common_usage.output_tokens
    assert completion.model == DEFAULT_MODEL  # the request's model names no file here
    assert served.client.messages[-1] == [{"role": "user", "content": PROMPT}]


def test_the_anthropic_sdk_streams_what_local_call_gives(served: Any, expected: Any) -> None:
    with anthropic.Anthropic(base_url=served.base, api_key="x", max_retries=0) as sdk:
        with sdk.messages.stream(
            model="/etc/hostname",  # never loaded: the server's model answers
            max_tokens=GREEDY["max_tokens"],
            messages=[{"role": "user", "content": PROMPT}],
            extra_body={"temperature": GREEDY["temperature"], "seed": GREEDY["seed"]},
        ) as stream:
            message = stream.get_final_message()
    assert "".join(b.text for b in message.content if b.type == "text") == expected.content
    stop = {"length": "max_tokens", "stop": "end_turn"}[expected.finish_reasons[0]]
    assert message.stop_reason == stop
    assert message.usage.input_tokens == expected.common_usage.input_tokens
    assert message.usage.output_tokens == expected.common_usage.output_tokens
    assert message.model == DEFAULT_MODEL


def test_a_tool_history_reaches_the_model_as_text(served: Any) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "w", "arguments": "{}"}}
    with openai.OpenAI(base_url=f"{served.base}/v1", api_key="x", max_retries=0) as sdk:
        completion = sdk.chat.completions.create(
            model="m",
            messages=[
                {"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": None, "tool_calls": [call]},  # type: ignore[list-item]
                {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            ],
            max_tokens=2,
            temperature=0.0,
        )
    assert completion.choices[0].finish_reason in ("length", "stop")
    assert served.client.messages[-1] == [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": '<tool_call>\n{"name":"w","arguments":{}}\n</tool_call>',
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ]


def test_a_client_leaving_stops_the_generation(served: Any) -> None:
    limit = 300  # this prompt, greedy, runs to the limit (tens of seconds here)
    story = "Write a very long story about a dragon who loves books."
    body = json.dumps(
        {
            "model": "m",
            "stream": True,
            "max_tokens": limit,
            "temperature": 0,
            "messages": [{"role": "user", "content": story}],
        }
    ).encode()
    opened = len(served.client.streams)
    with socket.create_connection((served.host, served.port), timeout=30) as conn:
        conn.sendall(
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {served.host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        received = b""
        while received.count(b'"content":"') < 2:  # the role chunk, then text
            data = conn.recv(65536)
            assert data, "the server closed the connection"
            received += data
        assert received.startswith(b"HTTP/1.1 200")
    (stream,) = served.client.streams[opened:]
    deadline = time.monotonic() + 20
    while not stream.closed:
        assert time.monotonic() < deadline, "the generation went on after the client left"
        time.sleep(0.05)
    assert stream.usage is not None
    assert 1 <= stream.usage.completion_tokens < limit // 4
