"""DEBUG log lines of whole (non-streamed) calls: the call and its host, the model, the usage,
the duration; the request line and status of a refused call; never the key."""

from __future__ import annotations

import json
import logging
import re

import pytest

from streamcall.errors import AuthenticationError
from tests.replay import ReplayServer, Reply
from tests.test_telemetry import KEY, SHAPES, WHOLE, aclients, ask, body

__all__ = ["aclients"]  # fixture

# (input, output) tokens of each WHOLE answer, as the provider reports them.
USAGE = {"mistral": (5, 2), "openai": (5, 2), "anthropic": (5, 2)}


def ours(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("streamcall")]


@pytest.mark.anyio
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("provider", SHAPES)
async def test_whole_calls_log_model_usage_duration_and_refusals_without_the_key(
    server: ReplayServer,
    provider: str,
    is_async: bool,
    caplog: pytest.LogCaptureFixture,
    aclients: None,
) -> None:
    answer = Reply(
        body=json.dumps(WHOLE[provider]).encode(),
        content_type="application/json",
        content_length=True,
        headers={"x-echo": KEY},
    )
    url = server.route(answer)
    refused = server.route(
        Reply(status=401, body=json.dumps({"message": f"bad key {KEY}"}).encode())
    )
    with caplog.at_level(logging.DEBUG):
        call = ask(provider, url, stream=False, is_async=is_async)
        response = await call() if is_async else call()
        assert response.content == "Hi"
        failing = ask(provider, refused, stream=False, is_async=is_async)
        with pytest.raises(AuthenticationError):
            await failing() if is_async else failing()
    assert KEY not in caplog.text
    lines = ours(caplog)
    assert not any(KEY in line for line in lines)
    port = url.split(":")[-1].split("/")[0]
    assert f"chat call: {provider}, model my-model, whole response, to 127.0.0.1:{port}" in lines
    assert any(line.startswith(f"POST {url}") and line.endswith("-> 200") for line in lines), lines
    tokens_in, tokens_out = USAGE[provider]
    model = re.escape(WHOLE[provider]["model"])
    done = rf"chat {provider}: complete, model {model}, {tokens_in} in, {tokens_out} out tokens, "
    assert any(re.match(done + r"0 chunks, \d+\.\d{3} s$", line) for line in lines), lines
    assert any(line.startswith(f"POST {refused}") and line.endswith("-> 401") for line in lines), (
        lines
    )
    assert any(line.startswith(f"chat {provider}: failed") for line in lines), lines


def test_stream_end_line_gives_the_usage(
    server: ReplayServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = server.route(Reply(body=body("mistral")))
    with caplog.at_level(logging.DEBUG):
        list(ask("mistral", url)())
    lines = ours(caplog)
    assert any(line.startswith(f"POST {url}") and line.endswith("-> 200") for line in lines)
    assert any(
        re.match(r"chat mistral: complete, model mistral-small-latest, 19 in, 33 out tokens", line)
        for line in lines
    ), lines
