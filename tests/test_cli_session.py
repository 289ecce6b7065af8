"""The chat session's input and turns: ``!multi``/``!end`` as ``llm chat`` takes them, and an
answer with no text is not kept (the next request would be invalid with it)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from streamcall.cli import main
from tests.cli_process import mistral_words
from tests.replay import ReplayServer, Reply
from tests.wire_fixtures import fixtures

TOOLS = next(f for f in fixtures("mistral.") if f.name == "mistral.tools.sse")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STREAMCALL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key")
    return tmp_path / "home"


def session(url: str, typed: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MISTRAL_BASE_URL", url)
    out, err = io.StringIO(), io.StringIO()
    status = main(["chat", "-i"], stdin=io.StringIO(typed), stdout=out, stderr=err)
    assert status == 0, err.getvalue()
    return err.getvalue()


def contents(server: ReplayServer, url: str, index: int) -> list[Any]:
    body = server.requests(url)[index].json()
    assert isinstance(body, dict)
    return [m["content"] for m in body["messages"]]


def test_multi_line_input_as_llm_chat_takes_it(
    server: ReplayServer, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.route(Reply(body=mistral_words("ok")))
    typed = (
        "!multi\nline one\n\nline three\n!end\n"
        "!multi END-X\nhas !end in it\n!end\n!end END-X\n"
        '"""\nquoted\n"""\n'
    )
    session(url, typed, monkeypatch)
    assert contents(server, url, 0) == ["line one\n\nline three"]
    assert contents(server, url, 1)[-1] == "has !end in it\n!end"
    assert contents(server, url, 2)[-1] == "quoted"


def test_an_answer_without_text_is_not_kept(
    server: ReplayServer, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.route(Reply(body=TOOLS.body), Reply(body=mistral_words("Hello")))
    err = session(url, "weather?\nhi\n", monkeypatch)
    assert "(no text in the answer: this turn is not kept)" in err
    assert "tool call: " in err
    assert contents(server, url, 1) == ["hi"]
    [saved] = (home / "conversations").glob("*.json")
    assert [m["content"] for m in json.loads(saved.read_text())["messages"]] == ["hi", "Hello"]
