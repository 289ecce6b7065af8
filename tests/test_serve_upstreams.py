"""``streamcall serve`` in front of every registry provider: a tool-call history (an assistant
turn with text and two parallel calls, then both results) and images, sent to the
OpenAI-format and the Anthropic-format endpoint, reach a replayed upstream in that provider's
own documented wire shape (calls and results paired, arguments as the wire wants them); what
an upstream cannot take is a 400 in the API's error shape that names the upstream, and nothing
is sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from streamcall.registry import PROVIDERS
from tests.replay import ReplayServer, Reply
from tests.test_serve import serving

SERVED = [name for name in PROVIDERS if name != "local"]  # local: tests/test_serve_local.py
PARIS = {"city": "Paris"}
LYON = {"city": "Lyon", "days": 2}
CALLS = [("call_a1", "weather", PARIS), ("toolu_b2", "weather", LYON)]
RESULTS = [("call_a1", "18C"), ("toolu_b2", "20C")]

OPENAI_HISTORY: dict[str, Any] = {
    "model": "m",
    "max_tokens": 5,
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris and Lyon?"},
        {
            "role": "assistant",
            "content": "Checking both.",
            "tool_calls": [
                {
                    "id": i,
                    "type": "function",
                    "function": {"name": n, "arguments": json.dumps(a)},
                }
                for i, n, a in CALLS
            ],
        },
        *({"role": "tool", "tool_call_id": i, "content": out} for i, out in RESULTS),
    ],
}
ANTHROPIC_HISTORY: dict[str, Any] = {
    "model": "m",
    "max_tokens": 5,
    "system": "Be brief.",
    "messages": [
        {"role": "user", "content": "Weather in Paris and Lyon?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking both."},
                *({"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in CALLS),
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": i, "content": out} for i, out in RESULTS
            ],
        },
    ],
}
PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}
HISTORIES = {"openai": OPENAI_HISTORY, "anthropic": ANTHROPIC_HISTORY}


def post(address: tuple[str, int], api: str, body: dict[str, Any]) -> httpx.Response:
    host, port = address
    return httpx.post(f"http://{host}:{port}{PATHS[api]}", json=body, timeout=10)


def upstream_route(server: ReplayServer) -> str:
    """An upstream that answers 400 (the request is what the tests look at)."""
    error = b'{"error": {"message": "recorded"}}'
    return server.route(Reply(status=400, body=error, content_type="application/json"))


def sent_body(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, provider: str, api: str, body: Any
) -> dict[str, Any]:
    upstream = upstream_route(server)
    with serving(monkeypatch, provider, upstream) as address:
        answer = post(address, api, body)
    assert answer.status_code == 400
    assert "recorded" in answer.text  # the upstream's answer: the request went out
    sent: Any = server.requests(upstream)[-1].json()
    return sent


# What each wire's request carries: (calls as (id, name, arguments), results as (id, output)),
# in the order sent, read the way the provider's documentation writes them.
Turns = tuple[list[tuple[str, str, Any]], list[tuple[str, str]]]


def _string_arguments(arguments: Any) -> Any:
    assert isinstance(arguments, str)  # this wire takes the arguments as JSON text
    return json.loads(arguments)


def _object_arguments(arguments: Any) -> Any:
    assert isinstance(arguments, dict)  # this wire takes the arguments as an object
    return arguments


def read_openai_chat(sent: dict[str, Any]) -> Turns:
    calls, results = [], []
    for m in sent["messages"]:
        for c in m.get("tool_calls") or []:
            assert c["type"] == "function"
            function = c["function"]
            calls.append((c["id"], function["name"], _string_arguments(function["arguments"])))
        if m["role"] == "tool":
            results.append((m["tool_call_id"], m["content"]))
    return calls, results


def read_mistral(sent: dict[str, Any]) -> Turns:
    names = {
        c["id"]: c["function"]["name"] for m in sent["messages"] for c in m.get("tool_calls") or []
    }
    for m in sent["messages"]:
        if m["role"] == "tool":
            assert m["name"] == names[m["tool_call_id"]]
    return read_openai_chat(sent)


def read_anthropic(sent: dict[str, Any]) -> Turns:
    calls, results = [], []
    for m in sent["messages"]:
        for block in m["content"] if isinstance(m["content"], list) else []:
            if block["type"] == "tool_use":
                assert m["role"] == "assistant"
                calls.append((block["id"], block["name"], _object_arguments(block["input"])))
            elif block["type"] == "tool_result":
                assert m["role"] == "user"
                results.append((block["tool_use_id"], block["content"]))
    return calls, results


def read_responses(sent: dict[str, Any]) -> Turns:
    calls, results = [], []
    for item in sent["input"]:
        if item.get("type") == "function_call":
            calls.append((item["call_id"], item["name"], _string_arguments(item["arguments"])))
        elif item.get("type") == "function_call_output":
            results.append((item["call_id"], item["output"]))
    return calls, results


def read_gemini(sent: dict[str, Any]) -> Turns:
    calls, results = [], []
    for content in sent["contents"]:
        for part in content["parts"]:
            if "functionCall" in part:
                assert content["role"] == "model"
                c = part["functionCall"]
                calls.append((c["id"], c["name"], _object_arguments(c["args"])))
            elif "functionResponse" in part:
                assert content["role"] == "user"
                r = part["functionResponse"]
                assert r["name"] == "weather"
                results.append((r["id"], r["response"]["result"]))
    return calls, results


def read_ollama(sent: dict[str, Any]) -> Turns:
    calls, results = [], []
    for m in sent["messages"]:
        for c in m.get("tool_calls") or []:
            function = c["function"]
            calls.append((c["id"], function["name"], _object_arguments(function["arguments"])))
        if m["role"] == "tool":
            results.append((m["tool_name"], m["content"]))  # Ollama pairs by name and order
    return calls, results


READERS: dict[str, Callable[[dict[str, Any]], Turns]] = {
    "openai-chat": read_openai_chat,
    "azure": read_openai_chat,
    "cohere": read_openai_chat,
    "mistral": read_mistral,
    "anthropic": read_anthropic,
    "openai-responses": read_responses,
    "gemini": read_gemini,
    "ollama": read_ollama,
}


def test_every_served_wire_has_a_reader() -> None:
    assert {PROVIDERS[name].wire for name in SERVED} <= set(READERS)


@pytest.mark.parametrize("api", ["openai", "anthropic"])
@pytest.mark.parametrize("provider", SERVED)
def test_tool_history_reaches_each_upstream_in_its_own_form(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, provider: str, api: str
) -> None:
    wire = PROVIDERS[provider].wire
    sent = sent_body(server, monkeypatch, provider, api, HISTORIES[api])
    calls, results = READERS[wire](sent)
    assert [(n, a) for _, n, a in calls] == [(n, a) for _, n, a in CALLS]
    assert [out for _, out in results] == [out for _, out in RESULTS]
    if wire == "ollama":
        assert [name for name, _ in results] == ["weather", "weather"]
        assert [i for i, _, _ in calls] == [i for i, _, _ in CALLS]
    elif wire == "mistral":  # ids of 9 letters or digits, as Mistral wants, still paired
        assert [i for i, _ in results] == [i for i, _, _ in calls]
        assert all(len(i) == 9 and i.isalnum() for i, _, _ in calls)
        assert len({i for i, _, _ in calls}) == 2
    else:
        assert [i for i, _, _ in calls] == [i for i, _, _ in CALLS]
        assert [i for i, _ in results] == [i for i, _ in RESULTS]
    text = json.dumps(sent)
    assert "Checking both." in text  # the assistant's text went along with its calls
    assert "Be brief." in text
    assert text.index("Checking both.") < text.index("18C") < text.index("20C")


PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9"
    "awAAAABJRU5ErkJggg=="
)
URL = "https://example.com/cat.jpg"


def image_request(api: str, *, with_url: bool) -> dict[str, Any]:
    if api == "openai":
        parts: list[Any] = [
            {"type": "text", "text": "What is in these?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        ]
        if with_url:
            parts.append({"type": "image_url", "image_url": {"url": URL, "detail": "low"}})
        return {"model": "m", "messages": [{"role": "user", "content": parts}]}
    blocks: list[Any] = [
        {"type": "text", "text": "What is in these?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
    ]
    if with_url:
        blocks.append({"type": "image", "source": {"type": "url", "url": URL}})
    return {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": blocks}]}


# Each wire's images, read as ("data", media type, base64) or ("url", url), with the text.
Images = tuple[str, list[tuple[str, ...]]]


def _from_url(url: str) -> tuple[str, ...]:
    if url.startswith("data:"):
        head, _, data = url.partition(",")
        return ("data", head.removeprefix("data:").removesuffix(";base64"), data)
    return ("url", url)


def images_openai_chat(sent: dict[str, Any]) -> Images:
    (message,) = sent["messages"]
    assert message["role"] == "user"
    text = "".join(p["text"] for p in message["content"] if p["type"] == "text")
    urls = [p["image_url"]["url"] for p in message["content"] if p["type"] == "image_url"]
    return text, [_from_url(u) for u in urls]


def images_mistral(sent: dict[str, Any]) -> Images:
    (message,) = sent["messages"]
    text = "".join(p["text"] for p in message["content"] if p["type"] == "text")
    urls = [p["image_url"] for p in message["content"] if p["type"] == "image_url"]
    assert all(isinstance(u, str) for u in urls)
    return text, [_from_url(u) for u in urls]


def images_anthropic(sent: dict[str, Any]) -> Images:
    (message,) = sent["messages"]
    text = "".join(b["text"] for b in message["content"] if b["type"] == "text")
    images: list[tuple[str, ...]] = []
    for block in message["content"]:
        if block["type"] == "image":
            source = block["source"]
            if source["type"] == "base64":
                images.append(("data", source["media_type"], source["data"]))
            else:
                assert source["type"] == "url"
                images.append(("url", source["url"]))
    return text, images


def images_responses(sent: dict[str, Any]) -> Images:
    (item,) = sent["input"]
    assert item["role"] == "user"
    text = "".join(p["text"] for p in item["content"] if p["type"] == "input_text")
    urls = [p["image_url"] for p in item["content"] if p["type"] == "input_image"]
    return text, [_from_url(u) for u in urls]


def images_gemini(sent: dict[str, Any]) -> Images:
    (content,) = sent["contents"]
    assert content["role"] == "user"
    text = "".join(p.get("text", "") for p in content["parts"])
    images = [
        ("data", p["inlineData"]["mimeType"], p["inlineData"]["data"])
        for p in content["parts"]
        if "inlineData" in p
    ]
    return text, images


def images_ollama(sent: dict[str, Any]) -> Images:
    (message,) = sent["messages"]
    assert isinstance(message["content"], str)
    return message["content"], [("data", "image/png", data) for data in message["images"]]


IMAGES: dict[str, Callable[[dict[str, Any]], Images]] = {
    "openai-chat": images_openai_chat,
    "azure": images_openai_chat,
    "cohere": images_openai_chat,
    "mistral": images_mistral,
    "anthropic": images_anthropic,
    "openai-responses": images_responses,
    "gemini": images_gemini,
    "ollama": images_ollama,
}
DATA_ONLY = {"gemini", "ollama"}  # base64 images only: an image URL is refused


@pytest.mark.parametrize("api", ["openai", "anthropic"])
@pytest.mark.parametrize("provider", SERVED)
def test_images_reach_each_upstream_in_its_own_form(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, provider: str, api: str
) -> None:
    wire = PROVIDERS[provider].wire
    with_url = wire not in DATA_ONLY
    sent = sent_body(server, monkeypatch, provider, api, image_request(api, with_url=with_url))
    text, images = IMAGES[wire](sent)
    assert text == "What is in these?"
    expected = [("data", "image/png", PNG)] + ([("url", URL)] if with_url else [])
    assert images == expected
    if api == "openai" and wire in DETAIL:  # the URL image asked for detail "low"
        assert DETAIL[wire](sent) == ["auto" if wire == "openai-responses" else None, "low"]


def _chat_details(sent: dict[str, Any]) -> list[Any]:
    (message,) = sent["messages"]
    parts = message["content"]
    return [p["image_url"].get("detail") for p in parts if p["type"] == "image_url"]


def _responses_details(sent: dict[str, Any]) -> list[Any]:
    (item,) = sent["input"]
    return [p["detail"] for p in item["content"] if p["type"] == "input_image"]


DETAIL = {
    "openai-chat": _chat_details,
    "azure": _chat_details,
    "cohere": _chat_details,
    "openai-responses": _responses_details,
}


ERROR_TYPE = {
    "openai": lambda body: body["error"]["type"],
    "anthropic": lambda body: (body["type"], body["error"]["type"]),
}
BAD_REQUEST = {"openai": "invalid_request_error", "anthropic": ("error", "invalid_request_error")}


@pytest.mark.parametrize("api", ["openai", "anthropic"])
@pytest.mark.parametrize("provider", sorted(n for n in SERVED if PROVIDERS[n].wire in DATA_ONLY))
def test_an_image_url_is_refused_where_the_upstream_takes_data_only(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, provider: str, api: str
) -> None:
    upstream = upstream_route(server)
    with serving(monkeypatch, provider, upstream) as address:
        answer = post(address, api, image_request(api, with_url=True))
    assert answer.status_code == 400
    body = answer.json()
    assert ERROR_TYPE[api](body) == BAD_REQUEST[api]
    assert PROVIDERS[provider].wire in answer.text
    assert "image URLs are not supported" in answer.text
    assert not server.requests(upstream)


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_the_local_model_refuses_images_and_loads_nothing(api: str) -> None:
    from streamcall.serve import create_app
    from tests.asgi_server import uvicorn_server

    with uvicorn_server(create_app("local")) as address:
        answer = post(address, api, image_request(api, with_url=False))
    assert answer.status_code == 400
    assert ERROR_TYPE[api](answer.json()) == BAD_REQUEST[api]
    assert "images are not supported upstream (local takes text only)" in answer.text


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_a_value_the_call_layer_refuses_is_a_400(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, api: str
) -> None:
    """Gemini's call layer refuses a request with no contents (only a system message): the
    client hears a 400 in its API's shape, not a 500."""
    upstream = upstream_route(server)
    body: dict[str, Any] = {"model": "m", "max_tokens": 5, "messages": []}
    if api == "openai":
        body["messages"] = [{"role": "system", "content": "Be brief."}]
    else:
        body["system"] = "Be brief."
        body["messages"] = [{"role": "user", "content": []}]
    with serving(monkeypatch, "gemini", upstream) as address:
        answer = post(address, api, body)
    assert answer.status_code == 400, answer.text
    assert ("contents" if api == "openai" else "must not be empty") in answer.text
    assert ERROR_TYPE[api](answer.json()) == BAD_REQUEST[api]
    assert not server.requests(upstream)
