"""``streamcall serve``'s pure request handling: requests of either API become the same
messages, structurally, in the upstream provider's own form where tool calls need one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamcall.core.base.messages import BaseMessageParam
from streamcall.serve._requests import BadRequest, anthropic_request, openai_request


def raw(body: Any) -> bytes:
    return json.dumps(body).encode()


def _image(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def _assistant_call(arguments: str) -> dict[str, Any]:
    call = {"id": "c", "type": "function", "function": {"name": "w", "arguments": arguments}}
    return {"role": "assistant", "content": None, "tool_calls": [call]}


IMAGE_PART = _image("data:image/png;base64,iVBORw0KGgo=")


ANTHROPIC_HISTORY = {
    "model": "m",
    "max_tokens": 5,
    "system": [{"type": "text", "text": "Be brief."}],
    "messages": [
        {"role": "user", "content": "USER: x\nASSISTANT: y"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "t1", "name": "w", "input": {"city": "P"}},
                {"type": "tool_use", "id": "t2", "name": "w", "input": {"city": "L"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "18C"},
                {
                    "type": "tool_result",
                    "tool_use_id": "t2",
                    "content": [{"type": "text", "text": "20C"}],
                },
            ],
        },
    ],
}


def test_anthropic_history_in_openai_form() -> None:
    messages = anthropic_request(raw(ANTHROPIC_HISTORY)).upstream_messages("openai-chat")
    assert messages[0] == BaseMessageParam(role="system", content="Be brief.")
    assert messages[1] == BaseMessageParam(role="user", content="USER: x\nASSISTANT: y")
    assert messages[2]["content"] == "Checking."
    assert [c["function"] for c in messages[2]["tool_calls"]] == [
        {"name": "w", "arguments": '{"city":"P"}'},
        {"name": "w", "arguments": '{"city":"L"}'},
    ]
    assert messages[3:] == [
        {"role": "tool", "tool_call_id": "t1", "content": "18C"},
        {"role": "tool", "tool_call_id": "t2", "content": "20C"},
    ]


def test_tool_results_join_one_user_message_for_anthropic() -> None:
    messages = anthropic_request(raw(ANTHROPIC_HISTORY)).upstream_messages("anthropic")
    assert [getattr(m, "role", None) or m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "user",
    ]
    assert [b["tool_use_id"] for b in messages[3]["content"]] == ["t1", "t2"]
    assert messages[2]["content"][1]["input"] == {"city": "P"}


def test_tool_history_in_gemini_form() -> None:
    messages = anthropic_request(raw(ANTHROPIC_HISTORY)).upstream_messages("gemini")
    assert messages[:2] == [
        BaseMessageParam(role="system", content="Be brief."),
        BaseMessageParam(role="user", content="USER: x\nASSISTANT: y"),
    ]
    assert messages[2] == {
        "role": "model",
        "parts": [
            {"text": "Checking."},
            {
                "functionCall": {"id": "t1", "name": "w", "args": {"city": "P"}},
                # Gemini 3 wants the turn's signature on its first call: Google's value for a
                # history made elsewhere.
                "thoughtSignature": "skip_thought_signature_validator",
            },
            {"functionCall": {"id": "t2", "name": "w", "args": {"city": "L"}}},
        ],
    }
    assert messages[3] == {
        "role": "user",
        "parts": [
            {"functionResponse": {"id": "t1", "name": "w", "response": {"result": "18C"}}},
            {"functionResponse": {"id": "t2", "name": "w", "response": {"result": "20C"}}},
        ],
    }
    plain = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    assert openai_request(raw(plain)).upstream_messages("gemini") == [
        BaseMessageParam(role="user", content="hi")
    ]


def test_mistral_gets_nine_character_call_ids_paired() -> None:
    messages = anthropic_request(raw(ANTHROPIC_HISTORY)).upstream_messages("mistral")
    ids = [c["id"] for c in messages[2]["tool_calls"]]
    assert all(len(i) == 9 and i.isalnum() for i in ids)
    assert len(set(ids)) == 2
    assert [m["tool_call_id"] for m in messages[3:]] == ids
    assert [m["name"] for m in messages[3:]] == ["w", "w"]


def test_the_local_model_sees_its_calls_as_text() -> None:
    from streamcall.clients.local.client import template_messages

    forwarded = anthropic_request(raw(ANTHROPIC_HISTORY)).upstream_messages("local")
    messages = template_messages(forwarded)  # what the local client gives the chat template
    assert all(isinstance(m, BaseMessageParam) or isinstance(m["content"], str) for m in messages)
    assert messages[2]["content"] == (
        'Checking.\n<tool_call>\n{"name":"w","arguments":{"city":"P"}}\n</tool_call>'
        '\n<tool_call>\n{"name":"w","arguments":{"city":"L"}}\n</tool_call>'
    )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        raw([]),
        raw({"messages": []}),
        raw({"messages": [{"role": "user", "content": 3}]}),
        raw({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}),
        raw({"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]}),
        raw({"messages": [{"role": "system", "content": [IMAGE_PART]}]}),
        raw({"messages": [{"role": "user", "content": [_image("file:///etc/passwd")]}]}),
        raw({"messages": [{"role": "user", "content": [_image("data:text/html;base64,AA==")]}]}),
        raw({"messages": [{"role": "user", "content": [_image("data:image/png;base64,<>")]}]}),
        raw({"messages": [{"role": "tool", "tool_call_id": "nope", "content": "18C"}]}),
        raw({"messages": [_assistant_call("[1]")]}),
        raw({"messages": [_assistant_call("{not json")]}),
        raw({"messages": [{"role": "assistant", "tool_calls": 5}]}),
        raw({"messages": [{"role": "user", "content": "hi"}], "tools": 5}),
        raw({"messages": [{"role": "user", "content": "hi"}], "stop": [1]}),
        raw({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}),
        raw({"messages": [{"role": "user", "content": "hi"}], "max_tokens": "many"}),
        raw({"messages": [{"role": "user", "content": "hi"}], "temperature": True}),
        raw({"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "web"}]}),
        raw(
            {
                "messages": [{"role": "user", "content": "hi"}],
                "tools": [{"type": "function", "function": {"name": "no spaces"}}],
            }
        ),
    ],
)
def test_bad_openai_requests(body: bytes) -> None:
    """Each is refused while parsing (a 400), before anything is sent."""
    with pytest.raises(BadRequest):
        openai_request(body)


def test_openai_params_become_neutral_params() -> None:
    call = openai_request(
        raw(
            {
                "model": "m",
                "messages": [{"role": "developer", "content": [{"type": "text", "text": "S"}]}],
                "max_tokens": 3,
                "stop": ["a", "b"],
                "top_p": 0.5,
                "tool_choice": "required",
                "stream": True,
                "stream_options": {"include_usage": True},
            }
        )
    )
    assert call.messages[0].role == "system"
    assert call.call_params == {
        "max_tokens": 3,
        "stop": ["a", "b"],
        "top_p": 0.5,
        "tool_choice": "required",
    }
    assert (call.stream, call.include_usage, call.model) == (True, True, "m")


def test_anthropic_needs_max_tokens() -> None:
    with pytest.raises(BadRequest, match="max_tokens"):
        anthropic_request(raw({"model": "m", "messages": [{"role": "user", "content": "hi"}]}))


@pytest.mark.parametrize(
    "body",
    [
        {"max_tokens": 5, "messages": [{"role": "user", "content": "hi"}], "tool_choice": "any"},
        {"max_tokens": -1, "messages": [{"role": "user", "content": "hi"}]},
        {"max_tokens": 5, "messages": [{"role": "user", "content": "hi"}], "tools": {"a": 1}},
        {"max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "image"}]}]},
        {
            "max_tokens": 5,
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image", "source": {"type": "url", "url": "ftp://x"}}],
                }
            ],
        },
        {
            "max_tokens": 5,
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "t9", "content": "x"}],
                }
            ],
        },
        {
            "max_tokens": 5,
            "messages": [
                {
                    "role": "assistant",
                    "content": [{"type": "image", "source": {"type": "url", "url": "https://x"}}],
                }
            ],
        },
    ],
)
def test_bad_anthropic_requests(body: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        anthropic_request(raw(body))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "role",
                    "content",
                    "type",
                    "text",
                    "image_url",
                    "url",
                    "source",
                    "tool_calls",
                    "function",
                    "arguments",
                    "name",
                    "id",
                    "tool_call_id",
                    "tool_use_id",
                    "input",
                    "messages",
                    "tools",
                    "max_tokens",
                    "stop",
                    "tool_choice",
                    "system",
                    "data",
                    "media_type",
                    "parameters",
                    "stream_options",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
WIRES = [
    "openai-chat",
    "mistral",
    "local",
    "anthropic",
    "openai-responses",
    "gemini",
    "cohere",
    "ollama",
]


@settings(max_examples=300, deadline=None)
@given(body=JSON)
def test_any_json_is_a_request_or_a_bad_request(body: Any) -> None:
    """Whatever JSON comes in, parsing and writing it for any upstream either works or
    raises BadRequest (a 400), never another error (a 500)."""
    for parse in (openai_request, anthropic_request):
        for messages in (body, {"max_tokens": 1, "messages": body}):
            written_or_refused(parse, messages)


def written_or_refused(parse: Any, body: Any) -> None:
    """``body`` parsed by ``parse`` and written for every upstream, or refused with a
    BadRequest; any other error fails the test."""
    try:
        call = parse(raw(body))
        for wire in WIRES:
            call.upstream_messages(wire)
    except BadRequest:
        pass


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value, the value itself first."""
    found = [path]
    if isinstance(value, dict | list):
        for key, inner in value.items() if isinstance(value, dict) else enumerate(value):
            found += _paths(inner, (*path, key))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copy


def _valid_requests() -> list[tuple[Any, dict[str, Any]]]:
    from tests.test_serve_upstreams import ANTHROPIC_HISTORY as FULL_ANTHROPIC
    from tests.test_serve_upstreams import OPENAI_HISTORY, image_request

    return [
        (openai_request, OPENAI_HISTORY),
        (openai_request, image_request("openai", with_url=True)),
        (anthropic_request, FULL_ANTHROPIC),
        (anthropic_request, ANTHROPIC_HISTORY),
        (anthropic_request, image_request("anthropic", with_url=True)),
    ]


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_any_change_to_a_valid_request_is_a_request_or_a_bad_request(data: st.DataObject) -> None:
    """A valid request (tool history, images) with any one value replaced by any JSON value:
    parsed and written for every upstream, or a BadRequest (a 400), never another error."""
    parse, body = data.draw(st.sampled_from(_valid_requests()))
    path = data.draw(st.sampled_from(_paths(body)))
    written_or_refused(parse, _replaced(body, path, data.draw(JSON)))
