"""The model's reasoning as ``ollama run`` shows it, but on stderr: ``Thinking...``, the text,
``...done thinking.``; dim on a terminal; ``--hide-thinking`` hides it; stdout is the answer
alone; ``--json`` carries it per chunk."""

from __future__ import annotations

import io
import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from streamcall.cli import main
from streamcall.cli._output import ThinkingText
from tests.cli_process import CLEAN_ENV, CLI, run_cli
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import fixtures

ANTHROPIC = next(f for f in fixtures("anthropic.") if f.name == "anthropic.thinking.sse")
DEEPSEEK = next(f for f in fixtures("openai_compat.") if "reasoning" in f.name)
DIM, PLAIN = "\x1b[2m", "\x1b[0m"


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def anthropic(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> str:
    url = server.route(Reply(body=ANTHROPIC.body, chunking=Chunking.random(7)))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    monkeypatch.setenv("STREAMCALL_NO_SAVE", "1")
    return url


def chat(*args: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err or io.StringIO()
    status = main(["chat", "hi", "--provider", "anthropic", *args], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_reasoning_goes_to_stderr_between_the_markers_and_stdout_is_the_answer() -> None:
    status, out, err = chat()
    assert status == 0, err
    assert out == ANTHROPIC.expected["text"] + "\n"
    shown = f"Thinking...\n{ANTHROPIC.expected['reasoning_text']}\n...done thinking.\n\n"
    assert err.startswith(shown)
    summary = f"[anthropic {ANTHROPIC.expected['model']}] tokens in/out: 58/231"
    assert err[len(shown) :].startswith(summary)
    assert "\x1b" not in err  # not a terminal: no styles


def test_on_a_terminal_the_reasoning_is_dim() -> None:
    status, out, err = chat(err=TTY())
    assert status == 0, err
    assert out == ANTHROPIC.expected["text"] + "\n"
    pieces = [p.split(PLAIN)[0] for p in err.split(DIM)[1:]]
    assert pieces[0].startswith("Thinking...\n")
    assert pieces[-1] == "\n...done thinking."
    reasoning = "".join(pieces)[len("Thinking...\n") : -len("\n...done thinking.")]
    assert reasoning == ANTHROPIC.expected["reasoning_text"]
    assert err.count(DIM) == err.count(PLAIN)  # each piece ends its style


def test_hide_thinking_hides_it() -> None:
    status, out, err = chat("--hide-thinking")
    assert status == 0, err
    assert out == ANTHROPIC.expected["text"] + "\n"
    assert err.startswith("[anthropic ")
    assert "Thinking" not in err
    assert ANTHROPIC.expected["reasoning_text"][:30] not in err


def test_json_carries_the_reasoning_per_chunk_and_nothing_on_stderr() -> None:
    status, out, err = chat("--json")
    assert status == 0, err
    *chunks, summary = [json.loads(line) for line in out.splitlines()]
    assert "".join(c["thinking"] or "" for c in chunks) == ANTHROPIC.expected["reasoning_text"]
    assert "".join(c["content"] for c in chunks) == ANTHROPIC.expected["text"]
    assert summary["type"] == "summary"
    assert "Thinking" not in err


def test_openai_compatible_reasoning_content(server: ReplayServer) -> None:
    url = server.route(Reply(body=DEEPSEEK.body))
    env = {"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": url}
    result = run_cli(["chat", "hi", "--provider", "openai", "--model", "deepseek-reasoner"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == DEEPSEEK.expected["text"] + "\n"
    assert result.stderr.startswith(
        f"Thinking...\n{DEEPSEEK.expected['reasoning_text']}\n...done thinking.\n\n[openai "
    )


def test_ctrl_c_while_thinking_closes_the_reasoning_and_keeps_nothing(
    server: ReplayServer, tmp_path: Path
) -> None:
    first = ANTHROPIC.body.index(b"thinking_delta")
    url = server.route(
        Reply(body=ANTHROPIC.body, stall_after=ANTHROPIC.body.index(b"thinking_delta", first + 1))
    )
    env = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": url}
    proc = subprocess.Popen(
        [*CLI, "chat", "hi", "--provider", "anthropic"],
        env={**CLEAN_ENV, **env, "STREAMCALL_HOME": str(tmp_path)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + 20
    while b"The user" not in seen and time.monotonic() < deadline:
        if select.select([proc.stderr], [], [], 1)[0]:
            seen += os.read(proc.stderr.fileno(), 4096)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    text = (seen + err).decode()
    assert proc.returncode == 130
    assert out.strip() == b""  # the answer never started
    assert text.startswith("Thinking...\nThe user")
    assert "\n...done thinking.\n\n" in text
    assert "(interrupted)" in text
    assert "Traceback" not in text
    assert server.route_of(url).client_closed_early.wait(5)
    assert not list(tmp_path.glob("conversations/*.json"))  # no text: nothing to go on with


def test_thinking_text_closes_once() -> None:
    shown = ThinkingText(dim=False)
    assert shown.end() == ""  # nothing shown: nothing to close
    assert shown.part("a") + shown.part("b") == "Thinking...\nab"
    assert shown.end() == "\n...done thinking.\n\n"
    assert shown.end() == ""
    assert shown.part("late") == ""
