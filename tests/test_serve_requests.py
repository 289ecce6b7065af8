"""``streamcall serve``'s pure request handling: requests of either API become the same
messages, structurally, in the upstream provider's own form where tool calls need one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from streamcall.core.base.messages import BaseMessageParam
from streamcall.serve._requests import BadRequest, anthropic_request, openai_request


def raw(body: Any) -> bytes:
    return json.dumps(body).encode()


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


def test_tool_history_refused_where_no_form_is_known() -> None:
    with pytest.raises(BadRequest, match="tool calls"):
        anthropic_request(raw(ANTHROPIC_HISTORY)).upstream_messages("gemini")
    plain = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    assert openai_request(raw(plain)).upstream_messages("gemini") == [
        BaseMessageParam(role="user", content="hi")
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        raw([]),
        raw({"messages": []}),
        raw({"messages": [{"role": "user", "content": 3}]}),
        raw({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}),
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
