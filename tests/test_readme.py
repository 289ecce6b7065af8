"""The README's Python examples run as written (against the replay server)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.replay import ReplayServer, Reply
from tests.wire_fixtures import ROOT, fixtures

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(
    code: str,
    server: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mistral = next(f for f in fixtures("mistral.") if f.name == "mistral.text.sse")
    cohere = next(f for f in fixtures("cohere_v2.") if f.name == "cohere_v2.tools.sse")
    monkeypatch.setenv("MISTRAL_API_KEY", "readme-key")
    monkeypatch.setenv("MISTRAL_BASE_URL", server.route(Reply(body=mistral.body)))
    monkeypatch.setenv("COHERE_API_KEY", "readme-key")
    monkeypatch.setenv("COHERE_BASE_URL", server.route(Reply(body=cohere.body)))
    anthropic = next(f for f in fixtures("anthropic.") if f.name == "anthropic.text.sse")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "readme-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.route(Reply(body=anthropic.body)))
    if "local_call" in code:
        from tests.local_model import require_local_extra

        require_local_extra()
    namespace: dict[str, object] = {}
    try:
        exec(compile(code, "README.md", "exec"), namespace)
    finally:
        if "telemetry" in code:  # global: undone for the tests that follow
            from streamcall import telemetry
            from streamcall.telemetry import hooks

            hooks.clear()
            telemetry.uninstrument()
    out = capsys.readouterr().out
    if "streaming_response" in code:  # the endpoint, called as the framework calls it
        assert out == ""
        out = _served(namespace["chat"], namespace["client"])
        assert '"type":"text-delta"' in out, out[:500]
        assert out.rstrip().endswith("data: [DONE]"), out[-200:]
        deltas = re.findall(r'"delta":"((?:[^"\\]|\\.)*)"', out)
        assert "".join(deltas).startswith(anthropic.expected["text"][:20]), deltas[:5]
    elif "hooks.on_finish" in code:
        assert out.strip() == "mistral mistral-large-latest complete", out
    elif 'provider="anthropic"' in code:
        assert out.startswith(anthropic.expected["text"])
    elif "local_call" in code:  # a real model: its text varies, its accounting does not
        text, summary = out.rstrip("\n").rsplit("\n", 1)
        assert text.strip()
        tokens_in, tokens_out, cost = summary.split()
        assert int(tokens_in) > 0
        assert 0 < int(tokens_out) <= 60
        assert cost == "0.0"
    elif "chunk.content" in code or "chat.stream" in code:
        assert out.startswith(mistral.expected["text"])
    if "cohere_call" in code:
        assert out == "21 degrees celsius in Lisbon\n"
        follow_up: Any = namespace["follow_up"]
        assert len(follow_up) == 3  # the assistant turn, then one result per call
        asked = [call.id for call in follow_up[0].tool_calls]
        assert [m.tool_call_id for m in follow_up[1:]] == asked  # every call id is answered
    client = namespace.get("client")
    if client is not None:
        client.close()  # type: ignore[attr-defined]


def test_the_defaults_the_readme_shows_are_the_defaults() -> None:
    """The README's "all the defaults" example and its Reliability table say what the code
    does."""
    from streamcall.clients._base import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS
    from streamcall.transport.retries import DEFAULT_RETRY_POLICY
    from streamcall.transport.timeouts import DEFAULT_TIMEOUTS, Timeouts

    text = (ROOT / "README.md").read_text()
    shown = re.search(r"timeouts=(Timeouts\(.*?\)),\n", text)
    assert shown is not None
    assert eval(shown.group(1), {"Timeouts": Timeouts}) == DEFAULT_TIMEOUTS
    assert f"retries=RetryPolicy(max_retries={DEFAULT_RETRY_POLICY.max_retries})" in text
    assert f"max_connections={DEFAULT_MAX_CONNECTIONS}," in text
    assert "max_body_size=64 * 1024 * 1024," in text
    assert DEFAULT_MAX_BODY_SIZE == 64 * 1024 * 1024
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|", text, re.M)
    }
    for name in ("connect", "first_byte", "idle", "progress", "whole"):
        seconds = getattr(DEFAULT_TIMEOUTS, name)
        assert rows[name].startswith(f"{seconds:g} s"), (name, rows[name])
    assert DEFAULT_TIMEOUTS.total is None
    assert rows["total"].startswith("none")


def _served(endpoint: Any, client: Any) -> str:
    """The body the README's endpoint streams (its response's body iterator, drained), the
    service's client closed on the same loop."""
    import asyncio

    async def body() -> bytes:
        response = await endpoint("Recommend a book")
        try:
            return b"".join([bytes(part) async for part in response.body_iterator])
        finally:
            await client.aclose()

    return asyncio.run(body()).decode()
