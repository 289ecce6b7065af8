"""``client=`` takes the official SDK clients Mirascope v1 users pass: their base URL, key,
default headers and timeout, our own client underneath."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from streamcall.core.base._sdk_clients import adopt_client, sdk_kind
from streamcall.errors import ConfigurationError
from tests.replay import ReplayServer, Reply

HEADERS = {"X-Custom": "yes"}


def sse(*payloads: dict[str, Any], events: bool = False, done: bool = False) -> bytes:
    out = []
    for payload in payloads:
        data = f"data: {json.dumps(payload)}\n\n"
        out.append(f"event: {payload['type']}\n{data}" if events else data)
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


USAGE = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
CHAT_CHUNK = {
    "id": "c1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "m",
    "choices": [
        {"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
    ],
    "usage": USAGE,
}
CHAT_WHOLE = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
    ],
    "usage": USAGE,
}
ANTHROPIC_STREAM = sse(
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-x",
            "content": [],
            "usage": {"input_tokens": 3, "output_tokens": 0},
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
    {"type": "message_stop"},
    events=True,
)
ANTHROPIC_WHOLE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-x",
    "content": [{"type": "text", "text": "Hi"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 3, "output_tokens": 1},
}
COHERE_USAGE = {
    "billed_units": {"input_tokens": 3, "output_tokens": 1},
    "tokens": {"input_tokens": 9, "output_tokens": 1},
}
COHERE_STREAM = sse(
    {"type": "message-start", "id": "co1", "delta": {"message": {"role": "assistant"}}},
    {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text"}}}},
    {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Hi"}}}},
    {"type": "content-end", "index": 0},
    {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": COHERE_USAGE}},
    events=True,
)
COHERE_WHOLE = {
    "id": "co1",
    "finish_reason": "COMPLETE",
    "message": {"role": "assistant", "content": [{"type": "text", "text": "Hi"}]},
    "usage": COHERE_USAGE,
}
GEMINI_WHOLE = {
    "candidates": [
        {"content": {"role": "model", "parts": [{"text": "Hi"}]}, "finishReason": "STOP"}
    ],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4},
    "modelVersion": "gemini-x",
}
GEMINI_STREAM = f"data: {json.dumps(GEMINI_WHOLE)}\r\n\r\n".encode()

STREAMS = {
    "openai": sse(CHAT_CHUNK, done=True),
    "mistral": sse(CHAT_CHUNK, done=True),
    "anthropic": ANTHROPIC_STREAM,
    "cohere": COHERE_STREAM,
    "gemini": GEMINI_STREAM,
}
WHOLES = {
    "openai": CHAT_WHOLE,
    "mistral": CHAT_WHOLE,
    "anthropic": ANTHROPIC_WHOLE,
    "cohere": COHERE_WHOLE,
    "gemini": GEMINI_WHOLE,
}


def route(server: ReplayServer, wire: str, stream: bool) -> str:
    if stream:
        return server.route(Reply(body=STREAMS[wire]))
    body = json.dumps(WHOLES[wire]).encode()
    return server.route(Reply(body=body, content_type="application/json"))


# -- the SDK clients, built as a Mirascope v1 user builds them --------------------------------


def make_openai(url: str, asynchronous: bool) -> Any:
    import openai

    cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    return cls(api_key="sk-test", base_url=url, default_headers=HEADERS, timeout=12.0)


def make_azure(url: str, asynchronous: bool) -> Any:
    import openai

    cls = openai.AsyncAzureOpenAI if asynchronous else openai.AzureOpenAI
    return cls(
        api_key="az-test",
        azure_endpoint=url,
        api_version="2024-10-21",
        default_headers=HEADERS,
        timeout=openai.Timeout(12.0, connect=3.0),
    )


def make_anthropic(url: str, asynchronous: bool) -> Any:
    import anthropic

    cls = anthropic.AsyncAnthropic if asynchronous else anthropic.Anthropic
    return cls(api_key="ant-test", base_url=url, default_headers=HEADERS, timeout=12.0)


def make_mistral(url: str, asynchronous: bool) -> Any:
    from mistralai.client import Mistral  # mistralai>=2 (1.x: from mistralai import Mistral)

    # The Mistral SDK takes default headers only on the httpx client it is given.
    return Mistral(
        api_key="mi-test",
        server_url=url,
        timeout_ms=12_000,
        client=httpx.Client(headers=HEADERS),  # type: ignore[arg-type]
        async_client=httpx.AsyncClient(headers=HEADERS),  # type: ignore[arg-type]
    )


def make_cohere(url: str, asynchronous: bool) -> Any:
    import cohere

    if asynchronous:
        return cohere.AsyncClientV2(
            api_key="co-test",
            base_url=url,
            timeout=12.0,
            httpx_client=httpx.AsyncClient(headers=HEADERS),
        )
    return cohere.ClientV2(
        api_key="co-test", base_url=url, timeout=12.0, httpx_client=httpx.Client(headers=HEADERS)
    )


def make_gemini(url: str, asynchronous: bool) -> Any:
    from google import genai

    return genai.Client(
        api_key="gm-test",
        http_options={"base_url": url, "headers": HEADERS, "timeout": 12_000},
    )


def decorator(provider: str) -> Any:
    if provider == "openai":
        from streamcall.core.openai import openai_call

        return openai_call
    if provider == "azure":
        from streamcall.core.azure import azure_call

        return azure_call
    if provider == "anthropic":
        from streamcall.core.anthropic import anthropic_call

        return anthropic_call
    if provider == "mistral":
        from streamcall.core.mistral import mistral_call

        return mistral_call
    if provider == "cohere":
        from streamcall.core.cohere import cohere_call

        return cohere_call
    from streamcall.core.gemini import gemini_call

    return gemini_call


AZURE_PATH = "/openai/deployments/m/chat/completions?api-version=2024-10-21"
BEARER = "authorization"
# (name, maker, decorator provider, wire, auth header, auth value, path of the request)
CASES = [
    ("openai", make_openai, "openai", "openai", BEARER, "Bearer sk-test", "/chat/completions"),
    ("azure-openai-call", make_azure, "openai", "openai", "api-key", "az-test", AZURE_PATH),
    ("azure-azure-call", make_azure, "azure", "openai", "api-key", "az-test", AZURE_PATH),
    (
        "anthropic",
        make_anthropic,
        "anthropic",
        "anthropic",
        "x-api-key",
        "ant-test",
        "/v1/messages",
    ),
    (
        "mistral",
        make_mistral,
        "mistral",
        "mistral",
        BEARER,
        "Bearer mi-test",
        "/v1/chat/completions",
    ),
    ("cohere", make_cohere, "cohere", "cohere", BEARER, "Bearer co-test", "/v2/chat"),
    ("gemini", make_gemini, "gemini", "gemini", "x-goog-api-key", "gm-test", None),
]


def check_request(
    server: ReplayServer, url: str, header: str, value: str, path: str | None
) -> None:
    sent = server.requests(url)
    assert len(sent) == 1
    if path is not None:  # the path under the route's base URL
        assert sent[0].path == path
    assert sent[0].headers[header] == value
    assert sent[0].headers["x-custom"] == "yes"


async def close_sdk(sdk: Any) -> None:
    for name in ("close", "aclose"):
        method = getattr(sdk, name, None)
        if callable(method):
            result = method()
            if hasattr(result, "__await__"):
                await result
            return
    wrapper = getattr(sdk, "_client_wrapper", None)  # cohere: close the httpx client it got
    http = getattr(getattr(wrapper, "httpx_client", None), "httpx_client", None)
    if http is not None:
        result = http.aclose() if hasattr(http, "aclose") else http.close()
        if hasattr(result, "__await__"):
            await result
    for attr in ("client", "async_client"):  # mistral
        http = getattr(getattr(sdk, "sdk_configuration", None), attr, None)
        if http is not None:
            result = http.aclose() if hasattr(http, "aclose") else http.close()
            if hasattr(result, "__await__"):
                await result


def model_for(provider: str) -> str:
    return "gemini-x" if provider == "gemini" else "m"


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.anyio
async def test_sync_call_with_sdk_client(server: ReplayServer, case: Any, stream: bool) -> None:
    _name, make, provider, wire, header, value, path = case
    url = route(server, wire, stream)
    sdk = make(url, False)
    try:

        @decorator(provider)(model_for(provider), stream=stream, client=sdk)
        def ask(q: str) -> str:
            return q

        if stream:
            text = "".join(chunk.content for chunk, _ in ask("hello"))
        else:
            text = ask("hello").content
        assert text == "Hi"
        check_request(server, url, header, value, path)
        timeouts = adopt_client(sdk, provider).timeouts  # the SDK's 12 s per read
        assert (timeouts.first_byte, timeouts.idle) == (12.0, 12.0)
    finally:
        await close_sdk(sdk)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.anyio
async def test_async_call_with_sdk_client(server: ReplayServer, case: Any, stream: bool) -> None:
    _name, make, provider, wire, header, value, path = case
    url = route(server, wire, stream)
    sdk = make(url, True)
    try:

        @decorator(provider)(model_for(provider), stream=stream, client=sdk)
        async def ask(q: str) -> str:
            return q

        if stream:
            text = "".join([chunk.content async for chunk, _ in await ask("hello")])
        else:
            text = (await ask("hello")).content
        assert text == "Hi"
        check_request(server, url, header, value, path)
        timeouts = adopt_client(sdk, provider).timeouts  # the SDK's 12 s per read
        assert (timeouts.first_byte, timeouts.idle) == (12.0, 12.0)
    finally:
        ours = adopt_client(sdk, provider)
        await ours.aclose()
        await close_sdk(sdk)


def test_gemini_paths(server: ReplayServer) -> None:
    url = route(server, "gemini", True)
    sdk = make_gemini(url, False)
    ours = adopt_client(sdk, "gemini")
    api_version = sdk._api_client._http_options.api_version
    assert ours.api_version == api_version

    @decorator("gemini")("gemini-x", stream=True, client=sdk)
    def ask() -> str:
        return "hi"

    list(ask())
    path = server.requests(url)[0].path
    assert path.split("?")[0].endswith(f"/{api_version}/models/gemini-x:streamGenerateContent")


def test_settings_taken_over() -> None:
    import openai

    sdk = openai.OpenAI(
        api_key="k",
        base_url="http://127.0.0.1:1/v1/",
        organization="org",
        default_headers=HEADERS,
        timeout=openai.Timeout(20.0, connect=2.0),
        max_retries=5,
    )
    ours = adopt_client(sdk, "openai")
    assert ours.base_url == "http://127.0.0.1:1/v1"
    assert ours.default_headers == {**HEADERS, "OpenAI-Organization": "org"}
    assert (ours.timeouts.connect, ours.timeouts.first_byte, ours.timeouts.idle) == (2, 20, 20)
    # A whole answer waits as long as the SDK would; the progress limit is never shorter than
    # the SDK's per-read limit (a read limit of 300 s allows 300 s without an event).
    assert (ours.timeouts.whole, ours.timeouts.progress, ours.timeouts.total) == (20, 60, None)
    slow = openai.OpenAI(api_key="k", base_url="http://127.0.0.1:1/v1", timeout=300.0)
    assert (adopt_client(slow, "openai").timeouts.progress, slow.close())[0] == 300
    assert ours.retry_policy.max_retries == 5
    assert adopt_client(sdk, "openai") is ours  # one client per SDK client: one pool
    sdk.close()
    # The SDK's default timeout is not adopted: ours applies.
    from streamcall.transport.timeouts import DEFAULT_TIMEOUTS

    plain = openai.OpenAI(api_key="k", base_url="http://127.0.0.1:1/v1")
    assert adopt_client(plain, "openai").timeouts == DEFAULT_TIMEOUTS
    plain.close()


def test_adopted_client_released_with_the_sdk_client() -> None:
    import weakref

    import anthropic

    sdk = anthropic.Anthropic(api_key="k", base_url="http://127.0.0.1:1")
    ours = weakref.ref(adopt_client(sdk, "anthropic"))
    assert ours() is not None
    sdk.close()
    del sdk
    gc.collect()
    assert ours() is None


def test_anthropic_auth_token(server: ReplayServer) -> None:
    import anthropic

    url = route(server, "anthropic", True)
    sdk = anthropic.Anthropic(auth_token="tok", base_url=url)

    @decorator("anthropic")("claude-x", stream=True, client=sdk)
    def ask() -> str:
        return "hi"

    list(ask())
    sent = server.requests(url)[0].headers
    assert sent["authorization"] == "Bearer tok"
    assert "x-api-key" not in sent
    sdk.close()


def test_client_of_another_provider_is_a_configuration_error() -> None:
    import anthropic

    sdk = anthropic.Anthropic(api_key="k", base_url="http://127.0.0.1:1")

    @decorator("mistral")("m", stream=True, client=sdk)
    def ask() -> str:
        return "hi"

    with pytest.raises(ConfigurationError, match=r"mistral_call.*anthropic"):
        ask()
    sdk.close()


def test_unsupported_sdk_client_is_a_configuration_error() -> None:
    import anthropic

    sdk = anthropic.AnthropicBedrock(aws_region="us-east-1", aws_access_key="a", aws_secret_key="b")
    with pytest.raises(ConfigurationError, match="not supported"):
        sdk_kind(sdk)
    sdk.close()


def test_recognised_through_subclasses_and_not_our_clients() -> None:
    import openai

    from streamcall.clients.openai import OpenAI

    class Mine(openai.OpenAI):
        pass

    sdk = Mine(api_key="k", base_url="http://127.0.0.1:1/v1")
    assert sdk_kind(sdk) == "openai"
    sdk.close()
    ours = OpenAI(api_key="k")
    assert sdk_kind(ours) is None
    assert adopt_client(ours, "openai") is ours
    assert adopt_client(None, "openai") is None


def test_no_sdk_imported_with_our_own_client(server: ReplayServer) -> None:
    url = route(server, "mistral", True)
    program = f"""
import sys
import streamcall.core.mistral
from streamcall.clients.mistral import Mistral
from streamcall.core.mistral import mistral_call

@mistral_call("m", stream=True, client=Mistral(api_key="k", server_url={url!r}))
def ask() -> str:
    return "hi"

assert "".join(c.content for c, _ in ask()) == "Hi"
sdks = ("mistralai", "cohere", "openai", "anthropic", "google.genai", "google")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in sdks or m.startswith("google.genai"))
print(loaded)
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_cohere_v1_client_is_adopted_too(server: ReplayServer) -> None:
    """Mirascope v1's cohere_call takes ``cohere.Client``: its settings serve our v2 client."""
    import cohere

    url = route(server, "cohere", True)
    with httpx.Client(headers=HEADERS) as http:
        sdk = cohere.Client(api_key="co-test", base_url=url, httpx_client=http)

        @decorator("cohere")("m", stream=True, client=sdk)
        def ask() -> str:
            return "hi"

        assert "".join(chunk.content for chunk, _ in ask()) == "Hi"
    check_request(server, url, "authorization", "Bearer co-test", "/v2/chat")


def test_genai_aio_client_is_adopted(server: ReplayServer) -> None:
    url = route(server, "gemini", True)
    sdk = make_gemini(url, True).aio

    @decorator("gemini")("gemini-x", stream=True, client=sdk)
    def ask() -> str:
        return "hi"

    assert "".join(chunk.content for chunk, _ in ask()) == "Hi"
    check_request(server, url, "x-goog-api-key", "gm-test", None)


def test_sdk_default_timeouts_are_not_adopted() -> None:
    import anthropic
    import cohere

    from streamcall.transport.timeouts import DEFAULT_TIMEOUTS

    ant = anthropic.Anthropic(api_key="k", base_url="http://127.0.0.1:1")
    co = cohere.ClientV2(api_key="k", base_url="http://127.0.0.1:1")
    assert adopt_client(ant, "anthropic").timeouts == DEFAULT_TIMEOUTS
    assert adopt_client(co, "cohere").timeouts == DEFAULT_TIMEOUTS
    ant.close()
    co._client_wrapper.httpx_client.httpx_client.close()
