"""``streamcall chat`` as a user runs it: a real subprocess against the replay server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from streamcall.cli import call_params, default_provider
from streamcall.registry import PROVIDERS, ProviderEntry
from tests.cli_process import CLEAN_ENV, CLI, run_cli
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import fixtures

TEXT = next(f for f in fixtures("mistral.") if f.name == "mistral.text.sse")
ANTHROPIC = next(f for f in fixtures("anthropic.") if f.name == "anthropic.text.sse")


def test_streams_the_answer_and_prints_a_summary(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, chunking=Chunking.random(4)))
    result = run_cli(
        [
            "chat",
            "Recommend a fantasy book",
            "--system",
            "Be brief.",
            "--max-tokens",
            "64",
            "--temperature",
            "0.2",
        ],
        {"MISTRAL_API_KEY": "test-key", "MISTRAL_BASE_URL": url},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == TEXT.expected["text"] + "\n"
    summary = result.stderr.strip()
    assert summary.startswith("[mistral mistral-small-latest] tokens in/out: 19/33 | first token: ")
    assert "tok/s" in summary
    assert "cost: $" in summary
    sent = server.requests(url)[0].json()
    assert isinstance(sent, dict)
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Recommend a fantasy book"},
    ]
    assert (sent["max_tokens"], sent["temperature"], sent["model"]) == (
        64,
        0.2,
        "mistral-small-latest",
    )


def test_json_lines_and_explicit_provider(server: ReplayServer) -> None:
    url = server.route(Reply(body=ANTHROPIC.body))
    result = run_cli(
        ["chat", "hi", "--provider", "anthropic", "--model", "claude-sonnet-4-5", "--json"],
        {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": url, "MISTRAL_API_KEY": "unused"},
    )
    assert result.returncode == 0, result.stderr
    *lines, summary = [json.loads(line) for line in result.stdout.splitlines()]
    assert {line["type"] for line in lines} == {"chunk"}
    assert "".join(line["content"] for line in lines) == ANTHROPIC.expected["text"]
    assert [line["finish_reasons"] for line in lines if line["finish_reasons"]] == [["stop"]]
    usages = [line["usage"] for line in lines if line["usage"]]
    assert usages[-1]["output_tokens"] == ANTHROPIC.expected["usage"]["output_tokens"]
    assert summary["type"] == "summary"
    assert summary["provider"] == "anthropic"
    assert summary["finish_reasons"] == ["stop"]
    assert summary["usage"]["output_tokens"] == ANTHROPIC.expected["usage"]["output_tokens"]
    assert summary["tool_calls"] == []
    assert summary["interrupted"] is False


def test_provider_error_is_one_line_and_nonzero(server: ReplayServer) -> None:
    url = server.route(
        Reply(
            status=401, body=b'{"message":"Unauthorized: bad key"}', content_type="application/json"
        )
    )
    env = {"MISTRAL_API_KEY": "wrong-key-12345", "MISTRAL_BASE_URL": url}
    result = run_cli(["chat", "hi"], env)
    assert result.returncode == 1
    assert result.stderr.strip() == "streamcall: error: HTTP 401: Unauthorized: bad key"
    assert result.stdout == ""


def test_usage_errors_exit_2() -> None:
    result = run_cli(["chat", "hi", "--provider", "nope"], {})
    assert result.returncode == 2
    assert "unknown provider 'nope'" in result.stderr
    missing = "/nonexistent/model.gguf"
    result = run_cli(["chat", "hi", "--provider", "local", "--model", missing], {})
    assert result.returncode == 2
    assert "no GGUF model file at '/nonexistent/model.gguf'" in result.stderr
    result = run_cli(["chat"], {})
    assert result.returncode == 2


def test_ctrl_c_stops_cleanly_keeping_what_arrived(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, stall_after=1500))
    proc = subprocess.Popen(
        [*CLI, "chat", "hi"],
        env={**CLEAN_ENV, "MISTRAL_API_KEY": "test-key", "MISTRAL_BASE_URL": url},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    # os.read, not proc.stdout.read: a buffered read could take bytes past what it returns,
    # and communicate() reads the raw pipe, so those bytes would be lost to the test.
    first = os.read(proc.stdout.fileno(), 64)  # blocks until text is flowing
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert first
    assert TEXT.expected["text"].startswith((first + out).decode().strip())
    assert "(interrupted)" in err.decode()
    assert server.route_of(url).client_closed_early.wait(5)


def test_help_documents_every_flag() -> None:
    result = run_cli(["chat", "--help"], {})
    flags = ("--provider", "--model", "--system", "--max-tokens", "--temperature", "--json")
    more = ("--seed", "--timeout", "--retries", "--verbose", "--interactive", "--hide-thinking")
    more += ("--continue", "--cid", "--no-save", "STREAMCALL_HOME", "streamcall chats")
    for flag in flags + more:
        assert flag in result.stdout
    top = run_cli(["--help"], {}).stdout
    assert "--version" in top
    assert "chats" in top
    assert "--count" in run_cli(["chats", "--help"], {}).stdout


def test_installed_console_script() -> None:
    script = Path(sys.executable).parent / "streamcall"
    assert script.exists()
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert "chat" in result.stdout


def test_flags_are_neutral_params() -> None:
    """Each provider maps them itself (tests/test_neutral_params.py checks the requests)."""
    assert call_params(5, 0.5) == {"max_tokens": 5, "temperature": 0.5}
    assert call_params(None, None) == {}


def test_default_provider_follows_the_keys() -> None:
    assert default_provider({}) == "local"
    assert default_provider({"MISTRAL_API_KEY": "x"}) == "mistral"
    assert default_provider({"MISTRAL_API_KEY": "x", "OPENAI_API_KEY": "y"}) == "openai"


OPENAI_TEXT = next(f for f in fixtures("openai_chat.") if f.name == "openai_chat.usage.sse")
COMPATIBLE = [e for e in PROVIDERS.values() if e.compatible == "openai"]


def test_every_key_in_the_registry_selects_its_provider() -> None:
    for entry in PROVIDERS.values():
        if entry.auto_select and entry.key_variable:
            assert default_provider({entry.key_variable: "x"}) == entry.name


@pytest.mark.parametrize("entry", COMPATIBLE, ids=[e.name for e in COMPATIBLE])
def test_registered_compatible_providers_stream(server: ReplayServer, entry: ProviderEntry) -> None:
    """A provider added to the registry alone works from the command line: its variables,
    its default model, its name in the summary, the neutral flags in its request."""
    assert entry.key_variable
    assert entry.base_url_variable
    url = server.route(Reply(body=OPENAI_TEXT.body))
    result = run_cli(
        ["chat", "hi", "--provider", entry.name, "--max-tokens", "9"],
        {entry.key_variable: "test-key", entry.base_url_variable: url},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == OPENAI_TEXT.expected["text"] + "\n"
    assert result.stderr.startswith(f"[{entry.name} ")
    sent = server.requests(url)[0]
    assert sent.headers.get("authorization") == "Bearer test-key"
    body = sent.json()
    assert isinstance(body, dict)
    assert (body["model"], body["max_tokens"]) == (entry.default_model, 9)


def test_serve_is_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    from streamcall.cli import main

    with pytest.raises(SystemExit) as done:
        main(["serve", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: streamcall serve")
    assert "--provider" in out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "serve" in capsys.readouterr().out
