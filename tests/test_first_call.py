"""A cheap first call: what a fresh process imports and builds for its first streamed call.

A call with no tools and no response model never imports pydantic (~50 ms): the provider's tool
base is loaded only when a call has tools. Every httpx2 client streamcall creates shares one SSL
context, built once per process (httpx2 builds one per client, tens of ms each), and
``streamcall.warm_up()`` builds it, with httpx2's import, before the first request.

The pydantic checks run in fresh interpreters (this process has imported it long ago), each
against a local replay server of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import streamcall
from streamcall.clients import _base
from streamcall.clients.mistral import Mistral
from streamcall.clients.openai import OpenAI
from tests.cli_process import CLEAN_ENV
from tests.replay import ReplayServer, Reply

ROOT = Path(__file__).resolve().parent.parent

TEXT_BODY = (
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    '"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}'
    "\n\n"
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    '"choices":[{"index":0,"delta":{"content":" there"},"finish_reason":"stop"}],'
    '"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n'
    "data: [DONE]\n\n"
)
TOOL_BODY = (
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    '"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,'
    '"id":"call_a","type":"function","function":{"name":"get_weather",'
    '"arguments":"{\\"city\\": \\"Paris\\"}"}}]},"finish_reason":null}]}\n\n'
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    '"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],'
    '"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n'
    "data: [DONE]\n\n"
)

# Run in a fresh interpreter: argv = how (mistral, openai, llm), tools ("1"/"0"), the body.
CHILD = """
import json, sys
from tests.replay import ReplayServer, Reply

how, with_tools, body = sys.argv[1], sys.argv[2] == "1", sys.argv[3].encode()

def get_weather(city: str) -> str:
    '''The weather of a city.'''
    return f"Sunny in {city}"

tools = [get_weather] if with_tools else None
with ReplayServer() as server:
    url = server.route(Reply(body=body))
    if how == "mistral":
        from streamcall.clients.mistral import Mistral
        from streamcall.core.mistral import mistral_call
        decorator = mistral_call(
            "m", stream=True, tools=tools, client=Mistral(api_key="k", server_url=url)
        )
    else:
        from streamcall.clients.openai import OpenAI
        client = OpenAI(api_key="k", base_url=url)
        if how == "openai":
            from streamcall.core.openai import openai_call
            decorator = openai_call("m", stream=True, tools=tools, client=client)
        else:
            from streamcall import llm
            decorator = llm.call(
                provider="openai", model="m", stream=True, tools=tools, client=client
            )

    @decorator
    def ask() -> str:
        return "Hello"

    stream = ask()
    text, called = "", []
    for chunk, tool in stream:
        text += chunk.content
        if tool is not None:
            called.append([tool._name(), tool.args, tool.call()])
    print(json.dumps({
        "text": text,
        "tools": called,
        "output_tokens": stream.output_tokens,
        "pydantic": "pydantic" in sys.modules,
    }))
"""

CALLS = ["mistral", "openai", "llm"]


def first_call(how: str, tools: bool) -> dict[str, Any]:
    body = TOOL_BODY if tools else TEXT_BODY
    result = subprocess.run(
        [sys.executable, "-c", CHILD, how, "1" if tools else "0", body],
        cwd=ROOT,
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


@pytest.mark.parametrize("how", CALLS)
def test_a_call_without_tools_does_not_import_pydantic(how: str) -> None:
    out = first_call(how, tools=False)
    assert out["text"] == "Hi there"
    assert out["output_tokens"] == 2
    assert out["pydantic"] is False


@pytest.mark.parametrize("how", CALLS)
def test_a_call_with_a_tool_imports_pydantic_and_calls_it(how: str) -> None:
    out = first_call(how, tools=True)
    assert out["tools"] == [["get_weather", {"city": "Paris"}, "Sunny in Paris"]]
    assert out["pydantic"] is True


# -- the shared SSL context and warm_up -----------------------------------------------------


def _ssl_context_of(httpx_client: Any) -> Any:
    return httpx_client._transport._pool._ssl_context


def test_clients_share_one_ssl_context() -> None:
    with ReplayServer() as server:
        url = server.route(Reply(body=TEXT_BODY.encode()))
        with (
            Mistral(api_key="k", server_url=url) as a,
            OpenAI(api_key="k", base_url=url) as b,
        ):
            contexts = {
                id(_ssl_context_of(a.sync_transport().client)),
                id(_ssl_context_of(b.sync_transport().client)),
                id(_ssl_context_of(a.async_transport().client)),
            }
            assert contexts == {id(_base.shared_ssl_context())}
            with a.chat.stream("m", [{"role": "user", "content": "Hello"}]) as stream:
                assert [e.data.choices[0].delta.content for e in stream] == ["Hi", " there"]


def test_a_client_given_its_own_httpx_client_keeps_its_context() -> None:
    import httpx2

    own = httpx2.Client()
    with Mistral(api_key="k", client=own) as client:
        assert client.sync_transport().client is own
        assert _ssl_context_of(own) is not _base.shared_ssl_context()
    own.close()


def test_warm_up_builds_the_context_the_next_client_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_base, "_SSL_CONTEXT", None)  # as in a fresh process
    streamcall.warm_up()
    built = _base._SSL_CONTEXT
    assert built is not None
    assert "httpx2" in sys.modules
    assert "streamcall.transport.http" in sys.modules
    streamcall.warm_up()  # idempotent
    assert _base._SSL_CONTEXT is built
    with Mistral(api_key="k", server_url="http://127.0.0.1:9") as client:
        assert _ssl_context_of(client.sync_transport().client) is built


def test_warm_up_is_exported_lazily() -> None:
    assert "warm_up" in streamcall.__all__
    assert streamcall.warm_up is _base.warm_up
    code = "import sys, streamcall; print('httpx2' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=CLEAN_ENV, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr
