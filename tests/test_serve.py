"""``streamcall serve``: the official OpenAI and Anthropic SDKs talk to the app (served by
uvicorn on 127.0.0.1) in front of a replayed upstream provider, and recover what streamcall
itself reads from the same upstream: text, tool calls, usage and finish reason, streamed and
whole. Bad requests and upstream errors come back in each API's error shape without the
upstream key; a client that leaves mid-stream closes the upstream connection."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState

from streamcall import llm, registry
from streamcall.encoders._base import openai_counts
from streamcall.encoders.anthropic import anthropic_counts
from streamcall.errors import ToolCallError
from streamcall.serve import create_app, main, parser
from tests.asgi_server import uvicorn_server
from tests.replay import ReplayServer, Reply
from tests.wire_fixtures import fixtures

KEY = "upstream-secret-key-123"
CASES = [
    ("openai", "openai_chat.usage.sse"),
    ("openai", "openai_chat.tools_parallel.sse"),
    ("anthropic", "anthropic.tool_use.sse"),
    ("anthropic", "anthropic.text.sse"),
]
STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def body_of(name: str) -> bytes:
    return next(f for f in fixtures("") if f.name == name).body


@contextlib.contextmanager
def serving(
    monkeypatch: pytest.MonkeyPatch, provider: str, upstream: str
) -> Iterator[tuple[str, int]]:
    """The app on uvicorn (a thread), its provider's key and URL set to ``upstream``."""
    entry = registry.entry(provider)
    assert entry.key_variable
    assert entry.base_url_variable
    monkeypatch.setenv(entry.key_variable, KEY)
    monkeypatch.setenv(entry.base_url_variable, upstream)
    with uvicorn_server(create_app(provider, "served-model"), lifespan="on") as address:
        yield address


def expected(provider: str, upstream: str) -> Any:
    """What streamcall itself reads from the upstream."""
    client = registry.entry(provider).make_client(api_key=KEY, base_url=upstream)

    @llm.call(provider, "served-model", stream=True, client=client)
    def ask() -> str:
        return "hi"

    stream = ask()
    with contextlib.suppress(ToolCallError):  # tools the call did not offer: still read
        for _ in stream:
            pass
    client.close()
    return stream


def calls_of(stream: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(c.name, c.arguments) for c in stream.tool_calls]


def check_openai(completion: Any, want: Any) -> None:
    message = completion.choices[0].message
    assert (message.content or "") == want.content
    calls = [(c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls or []]
    assert calls == calls_of(want)
    finish = completion.choices[0].finish_reason
    assert finish == ("tool_calls" if want.tool_calls else want.common_finish_reasons[0])
    assert completion.model == want.model
    counts = openai_counts(want.common_usage)
    assert completion.usage.prompt_tokens == counts["prompt_tokens"]
    assert completion.usage.completion_tokens == counts["completion_tokens"]
    assert completion.usage.total_tokens == counts["total_tokens"]


def check_anthropic(message: Any, want: Any) -> None:
    assert "".join(b.text for b in message.content if b.type == "text") == want.content
    calls = [(b.name, b.input) for b in message.content if b.type == "tool_use"]
    assert calls == calls_of(want)
    reason = want.finish_reasons[0] if want.finish_reasons else None
    if want.tool_calls:
        assert message.stop_reason == "tool_use"
    elif reason in ("end_turn", "max_tokens"):
        assert message.stop_reason == reason
    else:
        assert message.stop_reason == STOP[want.common_finish_reasons[0]]
    counts = anthropic_counts(want.common_usage)
    assert message.usage.input_tokens == counts["input_tokens"]
    assert message.usage.output_tokens == counts["output_tokens"]


@pytest.mark.parametrize(("provider", "fixture"), CASES)
@pytest.mark.parametrize("streamed", [True, False], ids=["stream", "whole"])
def test_openai_sdk_reads_what_streamcall_reads(
    server: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
    provider: str,
    fixture: str,
    streamed: bool,
) -> None:
    upstream = server.route(Reply(body=body_of(fixture)))
    want = expected(provider, upstream)
    with (
        serving(monkeypatch, provider, upstream) as (host, port),
        openai.OpenAI(base_url=f"http://{host}:{port}/v1", api_key="x", max_retries=0) as sdk,
    ):
        ask: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        if streamed:
            state = ChatCompletionStreamState()
            with sdk.chat.completions.create(
                **ask, stream=True, stream_options={"include_usage": True}
            ) as chunks:
                for chunk in chunks:
                    state.handle_chunk(chunk)
            completion = state.current_completion_snapshot
        else:
            completion = sdk.chat.completions.create(**ask)
            assert completion.object == "chat.completion"
    check_openai(completion, want)
    sent = server.requests(upstream)[-1]
    assert sent.json()["model"] == "m"  # the request's model selects the upstream model


@pytest.mark.parametrize(("provider", "fixture"), CASES)
@pytest.mark.parametrize("streamed", [True, False], ids=["stream", "whole"])
def test_anthropic_sdk_reads_what_streamcall_reads(
    server: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
    provider: str,
    fixture: str,
    streamed: bool,
) -> None:
    upstream = server.route(Reply(body=body_of(fixture)))
    want = expected(provider, upstream)
    with (
        serving(monkeypatch, provider, upstream) as (host, port),
        anthropic.Anthropic(base_url=f"http://{host}:{port}", api_key="x", max_retries=0) as sdk,
    ):
        ask: dict[str, Any] = {
            "model": "m",
            "max_tokens": 50,
            "messages": [{"role": "user", "content": "hi"}],
        }
        if streamed:
            with sdk.messages.stream(**ask) as stream:
                message = stream.get_final_message()
        else:
            message = sdk.messages.create(**ask)
            assert message.type == "message"
    check_anthropic(message, want)


HISTORY: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "SYSTEM: weather in Paris?\nASSISTANT: sunny"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
]
WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}


def test_openai_request_reaches_the_upstream_structurally(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream = server.route(Reply(body=body_of("openai_chat.usage.sse")))
    with (
        serving(monkeypatch, "openai", upstream) as (host, port),
        openai.OpenAI(base_url=f"http://{host}:{port}/v1", api_key="x", max_retries=0) as sdk,
    ):
        sdk.chat.completions.create(
            model="gpt-x",
            messages=HISTORY,  # type: ignore[arg-type]
            tools=[
                {
                    "type": "function",
                    "function": {"name": "weather", "description": "W.", "parameters": WEATHER},
                }
            ],
            max_completion_tokens=7,
            temperature=0.5,
            stop="END",
            seed=3,
        )
    sent: Any = server.requests(upstream)[-1].json()
    assert [m["role"] for m in sent["messages"]] == ["system", "user", "assistant", "tool"]
    assert sent["messages"][1]["content"] == HISTORY[1]["content"]  # no role from text
    assert (
        sent["messages"][2]["tool_calls"][0]["function"] == HISTORY[2]["tool_calls"][0]["function"]
    )
    assert sent["messages"][3]["tool_call_id"] == "call_1"
    function = sent["tools"][0]["function"]
    assert (function["name"], function["description"]) == ("weather", "W.")
    assert function["parameters"] == WEATHER
    assert sent["max_tokens"] == 7
    assert sent["temperature"] == 0.5
    assert sent["stop"] == ["END"]
    assert sent["seed"] == 3
    assert KEY in server.requests(upstream)[-1].headers.get("authorization", "")


def test_anthropic_request_reaches_an_anthropic_upstream(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream = server.route(Reply(body=body_of("anthropic.text.sse")))
    with (
        serving(monkeypatch, "anthropic", upstream) as (host, port),
        anthropic.Anthropic(base_url=f"http://{host}:{port}", api_key="x", max_retries=0) as sdk,
    ):
        sdk.messages.create(
            model="claude-x",
            max_tokens=9,
            system="Be brief.",
            tools=[{"name": "weather", "description": "W.", "input_schema": WEATHER}],
            messages=[
                {"role": "user", "content": "weather in Paris?"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "tool_use", "id": "t1", "name": "weather", "input": {"city": "P"}}
                    ],
                },
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "18C"}],
                },
            ],
        )
    sent: Any = server.requests(upstream)[-1].json()
    assert sent["system"] == "Be brief."
    assert sent["max_tokens"] == 9
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["messages"][1]["content"][0]["input"] == {"city": "P"}
    assert sent["messages"][2]["content"][0]["tool_use_id"] == "t1"
    assert sent["tools"][0]["input_schema"] == WEATHER


def test_bad_requests_get_each_apis_error(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream = server.route(Reply(body=body_of("openai_chat.usage.sse")))
    with serving(monkeypatch, "openai", upstream) as (host, port):
        base = f"http://{host}:{port}"
        with openai.OpenAI(base_url=f"{base}/v1", api_key="x", max_retries=0) as sdk:
            with pytest.raises(openai.BadRequestError) as raised:
                sdk.chat.completions.create(
                    model="m",
                    messages=[{"role": "wizard", "content": "hi"}],  # type: ignore[misc,list-item]
                )
            assert raised.value.status_code == 400
            assert raised.value.type == "invalid_request_error"
        with anthropic.Anthropic(base_url=base, api_key="x", max_retries=0) as asdk:
            with pytest.raises(anthropic.BadRequestError) as araised:
                asdk.messages.create(model="m", max_tokens=5, messages=[])
            assert araised.value.status_code == 400
            assert araised.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert not server.requests(upstream)  # nothing was sent upstream


@pytest.mark.parametrize("streamed", [True, False], ids=["stream", "whole"])
def test_an_upstream_error_comes_back_without_the_key(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    error = {"error": {"message": "no such model", "type": "invalid_request_error"}}
    upstream = server.route(
        Reply(body=json.dumps(error).encode(), status=404, content_type="application/json")
    )
    with (
        serving(monkeypatch, "openai", upstream) as (host, port),
        openai.OpenAI(base_url=f"http://{host}:{port}/v1", api_key="x", max_retries=0) as sdk,
    ):
        with pytest.raises(openai.NotFoundError) as raised:
            sdk.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=streamed
            )
    assert "no such model" in str(raised.value)
    assert KEY not in str(raised.value.body)
    assert KEY not in raised.value.response.text


def test_a_client_leaving_closes_the_upstream_connection(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = body_of("openai_chat.usage.sse")
    upstream = server.route(Reply(body=body, stall_after=len(body) // 2))
    request = json.dumps(
        {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    ).encode()
    with serving(monkeypatch, "openai", upstream) as (host, port):
        with socket.create_connection((host, port), timeout=5) as conn:
            conn.sendall(
                f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(request)}\r\n\r\n".encode()
                + request
            )
            received = b""
            while b'"content":"' not in received.partition(b"\r\n\r\n")[2].replace(
                b'"content":""', b""
            ):
                data = conn.recv(65536)
                assert data, "the server closed the connection"
                received += data
            assert received.startswith(b"HTTP/1.1 200")
        assert server.route_of(upstream).client_closed_early.wait(2)


def test_the_chat_page_is_served(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    upstream = server.route(Reply(body=b""))
    with (
        serving(monkeypatch, "openai", upstream) as (host, port),
        urllib.request.urlopen(f"http://{host}:{port}/", timeout=5) as response,
    ):
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/html")
        page = response.read().decode()
    for needed in ("<textarea", "Send", "Stop", "v1/chat/completions", "getReader", "abort()"):
        assert needed in page
    assert "stream: true" in page
    assert "<script src" not in page
    assert "https://" not in page


def test_command_line_defaults() -> None:
    args = parser().parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 8000)
    args = parser().parse_args(["--provider", "openai", "--model", "m", "--port", "9"])
    assert (args.provider, args.model, args.port) == ("openai", "m", 9)
    with pytest.raises(SystemExit):
        main(["--provider", "no-such-provider"])


def test_a_request_body_over_the_limit_is_413_before_it_is_read_whole(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream = server.route(Reply(body=body_of("openai_chat.usage.sse")))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", upstream)
    big = "x" * 5000
    app = create_app("openai", "m", max_request_bytes=4096)
    with uvicorn_server(app, lifespan="on") as (host, port):
        base = f"http://{host}:{port}"
        with openai.OpenAI(base_url=f"{base}/v1", api_key="x", max_retries=0) as sdk:
            with pytest.raises(openai.APIStatusError) as raised:
                sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": big}])
            assert raised.value.status_code == 413
            assert "over 4096 bytes" in raised.value.message
            small = sdk.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}]
            )
            assert small.choices[0].message.content
        with anthropic.Anthropic(base_url=base, api_key="x", max_retries=0) as asdk:
            with pytest.raises(anthropic.APIStatusError) as araised:
                asdk.messages.create(
                    model="m", max_tokens=5, messages=[{"role": "user", "content": big}]
                )
            assert araised.value.status_code == 413
        # No Content-Length: a chunked body is refused once it passes the limit, and the
        # server answers without waiting for the rest.
        with socket.create_connection((host, port), timeout=5) as conn:
            conn.sendall(
                f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
                + b"%x\r\n%s\r\n" % (5000, b"x" * 5000)
            )
            head = conn.recv(65536)
            assert head.startswith(b"HTTP/1.1 413"), head
    assert len(server.requests(upstream)) == 1  # the small one alone went upstream
