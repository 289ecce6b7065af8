"""``streamcall chat`` in a terminal and in pipes: stdin, ``| head``, flags, usage errors,
retries, the spinner, the summary's token counts, the chat session (a pseudo-terminal too)."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import signal
import subprocess
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from streamcall.cli import main
from streamcall.cli._output import summary_line, token_counts
from streamcall.core.base._accumulate import Usage
from tests.cli_process import CLEAN_ENV, CLI, mistral_words, run_cli
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import fixtures

TEXT = next(f for f in fixtures("mistral.") if f.name == "mistral.text.sse")
ANTHROPIC = next(f for f in fixtures("anthropic.") if f.name == "anthropic.text.sse")
TOOLS = next(f for f in fixtures("mistral.") if f.name == "mistral.tools.sse")
KEY = "sk-cli-secret-0123456789"


def mistral_env(url: str) -> dict[str, str]:
    return {"MISTRAL_API_KEY": KEY, "MISTRAL_BASE_URL": url}


def sent_messages(server: ReplayServer, url: str, index: int = 0) -> list[Any]:
    body = server.requests(url)[index].json()
    assert isinstance(body, dict)
    messages: list[Any] = body["messages"]
    return messages


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Conversations that ``main()`` saves in this process go to a temporary folder."""
    monkeypatch.setenv("STREAMCALL_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


class TTY(io.StringIO):
    """A terminal's stream, as the CLI sees it."""

    def isatty(self) -> bool:
        return True


# -- pipes ----------------------------------------------------------------------------------


def test_a_closed_stdout_ends_quietly_and_cancels_the_stream(server: ReplayServer) -> None:
    words = [f"word{i} " for i in range(400)]
    url = server.route(Reply(body=mistral_words(*words), chunking=Chunking.events(), delay=0.01))
    command = " ".join([*CLI, "chat", "hi"]) + " | head -c 20"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        env={**CLEAN_ENV, **mistral_env(url)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout == "word0 word1 word2 wo"
    assert "Traceback" not in result.stderr
    assert "Error" not in result.stderr
    assert result.returncode == 141  # as any program whose reader left (pipefail shows it)
    assert server.route_of(url).client_closed_early.wait(5)  # the stream was cancelled


def test_piped_text_comes_before_the_prompt(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body))
    result = run_cli(
        ["chat", "Summarize", "--system", "Be brief."], mistral_env(url), stdin="my notes\n"
    )
    assert result.returncode == 0, result.stderr
    assert sent_messages(server, url) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "my notes\n\nSummarize"},
    ]


def test_dash_reads_the_prompt_from_stdin(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body))
    result = run_cli(["chat", "-"], mistral_env(url), stdin="the question\n")
    assert result.returncode == 0, result.stderr
    assert sent_messages(server, url) == [{"role": "user", "content": "the question\n"}]
    url = server.route(Reply(body=TEXT.body))
    result = run_cli(
        ["chat"], mistral_env(url), stdin="no prompt argument"
    )  # stdin alone, not a TTY
    assert result.returncode == 0, result.stderr
    assert sent_messages(server, url) == [{"role": "user", "content": "no prompt argument"}]


# -- flags and usage errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["chat", "hi", "--max-tokens", "0"], "", "--max-tokens: must be at least 1, got 0"),
        (["chat", "hi", "--max-tokens", "-5"], "", "--max-tokens: must be at least 1, got -5"),
        (["chat", "hi", "--retries", "-1"], "", "--retries: must be at least 0, got -1"),
        (["chat", "hi", "--timeout", "0"], "", "--timeout: must be a positive number"),
        (["chat", ""], "", "the prompt is empty"),
        (["chat", "  \n"], "", "the prompt is empty"),
        (["chat", "-"], "", "the prompt is empty"),
        (["chat"], "", "the prompt is empty"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], stdin: str, says: str) -> None:
    result = run_cli(
        args, {"MISTRAL_API_KEY": KEY, "MISTRAL_BASE_URL": "http://127.0.0.1:9"}, stdin=stdin
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("streamcall chat: error: ")
    assert says in lines[0]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"streamcall {version('streamcall')}\n"


def test_seed_goes_out_as_the_providers_own_name(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body))
    result = run_cli(["chat", "hi", "--seed", "7"], mistral_env(url))
    assert result.returncode == 0, result.stderr
    body = server.requests(url)[0].json()
    assert isinstance(body, dict)
    assert body["random_seed"] == 7


def test_a_parameter_the_provider_cannot_take_is_a_one_line_warning(server: ReplayServer) -> None:
    url = server.route(Reply(body=ANTHROPIC.body))
    env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": url}
    result = run_cli(["chat", "hi", "--provider", "anthropic", "--seed", "3"], env)
    assert result.returncode == 0, result.stderr
    warning, summary = result.stderr.splitlines()
    assert warning.startswith("streamcall: warning: ")
    assert "seed" in warning
    assert summary.startswith("[anthropic ")


def test_retries_are_announced_and_verbose_logs_never_show_the_key(server: ReplayServer) -> None:
    error = {"status": 503, "body": b'{"message":"busy"}', "content_type": "application/json"}
    busy = Reply(**error)  # type: ignore[arg-type]
    url = server.route(Reply(**error, headers={"Retry-After": "0.1"}), Reply(body=TEXT.body))  # type: ignore[arg-type]
    result = run_cli(["chat", "hi", "-vv", "--max-tokens", "5"], mistral_env(url))
    assert result.returncode == 0, result.stderr
    assert "streamcall: retrying in 0.1 s (attempt 2 of 3): HTTP 503: busy" in result.stderr
    assert "asking mistral mistral-small-latest at http://127.0.0.1:" in result.stderr
    assert "1 message, parameters: max_tokens=5" in result.stderr
    assert KEY not in result.stderr
    assert len(server.requests(url)) == 2

    url = server.route(busy)
    result = run_cli(["chat", "hi", "--retries", "0"], mistral_env(url))
    assert result.returncode == 1
    assert result.stderr == "streamcall: error: HTTP 503: busy\n"  # no TTY, no -v: no notice
    assert len(server.requests(url)) == 1


def test_a_silent_server_shows_a_spinner_and_fails_at_the_timeout(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.route(Reply(body=TEXT.body, stall_after=0))
    for name, value in mistral_env(url).items():
        monkeypatch.setenv(name, value)
    out, err = io.StringIO(), TTY()
    started = time.monotonic()
    status = main(["chat", "hi", "--timeout", "1"], stdin=io.StringIO(), stdout=out, stderr=err)
    assert time.monotonic() - started < 10
    assert status == 1
    assert out.getvalue() == ""
    text = err.getvalue()
    assert "⠋ waiting for mistral-small-latest 0 s" in text
    assert " waiting for mistral-small-latest 1 s" in text or text.count("waiting") >= 5
    last = text.rsplit("\r\x1b[K", 1)[-1]  # the spinner is cleared before the error
    assert last.startswith("streamcall: error: ")
    assert last.rstrip().endswith("allow more time with --timeout SECONDS")


def test_default_timeout_is_short_enough_for_a_terminal() -> None:
    from streamcall.cli import DEFAULT_TIMEOUT, _make_client, _parser

    args = _parser().parse_args(["chat", "hi", "--provider", "mistral"])
    assert args.timeout == DEFAULT_TIMEOUT <= 30
    client = _make_client("mistral", args)
    try:
        assert client.timeouts.first_byte == DEFAULT_TIMEOUT
        assert client.timeouts.idle == DEFAULT_TIMEOUT
    finally:
        client.close()


# -- the summary ----------------------------------------------------------------------------


def test_summary_counts_cached_and_reasoning_tokens() -> None:
    anthropic = Usage(
        input_tokens=14, cached_tokens=1830, output_tokens=120, input_includes_cached=False
    )
    line = summary_line(
        provider="anthropic",
        model="claude",
        usage=anthropic,
        cost=0.25,
        first_token_s=0.23,
        generating_s=2.0,
        interrupted=False,
    )
    assert line == (
        "[anthropic claude] tokens in/out: 1,844/120 (in: 1,830 cached) | first token: 230 ms"
        " | 60.0 tok/s | cost: $0.250000"
    )
    gemini = Usage(
        input_tokens=10, cached_tokens=0, output_tokens=56, reasoning_tokens=64,
        output_includes_reasoning=False,
    )  # fmt: skip
    assert token_counts(gemini)["output"] == 120
    openai = Usage(input_tokens=2000, cached_tokens=0, output_tokens=120, reasoning_tokens=64)
    assert "tokens in/out: 2,000/120 (out: 64 reasoning) |" in summary_line(
        provider="openai",
        model="o",
        usage=openai,
        cost=None,
        first_token_s=None,
        generating_s=1.0,
        interrupted=True,
    )


def test_anthropic_summary_shows_the_billed_input_and_the_cached_part(
    server: ReplayServer,
) -> None:
    url = server.route(Reply(body=ANTHROPIC.body))
    env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": url}
    result = run_cli(["chat", "hi", "--provider", "anthropic"], env)
    assert result.returncode == 0, result.stderr
    assert "tokens in/out: 1,844/78 (in: 1,830 cached) |" in result.stderr
    result = run_cli(["chat", "hi", "--provider", "anthropic", "--json"], env)
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["id"] == ANTHROPIC.expected["response_id"]
    assert summary["model"] == ANTHROPIC.expected["model"]
    usage = summary["usage"]
    assert (usage["input_tokens"], usage["cached_tokens"], usage["billed_input_tokens"]) == (
        14,
        1830,
        1844,
    )
    assert summary["cost"] > 0


def test_json_summary_lists_tool_calls(server: ReplayServer) -> None:
    url = server.route(Reply(body=TOOLS.body))
    result = run_cli(["chat", "weather?", "--json"], mistral_env(url))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["finish_reasons"] == ["tool_calls"]
    expected = TOOLS.expected["tool_calls"]
    assert [c["name"] for c in summary["tool_calls"]] == [c["name"] for c in expected]
    assert all(json.loads(c["arguments"]) for c in summary["tool_calls"])
    result = run_cli(["chat", "weather?"], mistral_env(url))
    assert result.returncode == 0, result.stderr
    assert f"tool call: {expected[0]['name']}(" in result.stderr


# -- the chat session -----------------------------------------------------------------------


def test_session_keeps_the_conversation_and_resets(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = server.route(
        Reply(body=mistral_words("Hello", " there")),
        Reply(body=mistral_words("Fine")),
        Reply(body=mistral_words("Two", " lines")),
        Reply(body=mistral_words("New")),
    )
    for name, value in mistral_env(url).items():
        monkeypatch.setenv(name, value)
    typed = 'hi\n/help\nhow are you?\n"""\nline one\nline two\n"""\n/reset\n\nafter reset\nexit\n'
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["chat", "-i", "-s", "Be kind."], stdin=io.StringIO(typed), stdout=out, stderr=err
    )
    assert status == 0, err.getvalue()
    assert out.getvalue().count(">>> ") == 8
    assert "Hello there\n" in out.getvalue()
    assert "Chatting with mistral-small-latest (mistral)" in err.getvalue()
    assert "/reset or /clear" in err.getvalue()
    system = {"role": "system", "content": "Be kind."}
    assert sent_messages(server, url, 1) == [
        system,
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello there"},
        {"role": "user", "content": "how are you?"},
    ]
    assert sent_messages(server, url, 2)[-2:] == [
        {"role": "assistant", "content": "Fine"},
        {"role": "user", "content": "line one\nline two"},
    ]
    assert sent_messages(server, url, 3) == [system, {"role": "user", "content": "after reset"}]
    assert "(conversation cleared)" in err.getvalue()
    assert len(server.requests(url)) == 4


def _read_until(fd: int, marker: bytes, seen: bytearray, start: int = 0) -> int:
    """Read the terminal into ``seen`` until ``marker`` shows after ``start``; its end."""
    end = time.monotonic() + 20
    while marker not in seen[start:]:
        left = end - time.monotonic()
        assert left > 0, f"no {marker!r} in {bytes(seen)!r}"
        if select.select([fd], [], [], left)[0]:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the terminal closed: the process has gone
                break
    return seen.index(marker, start) + len(marker)


def test_session_on_a_terminal_ctrl_c_stops_the_answer_not_the_session(
    server: ReplayServer,
) -> None:
    """A pseudo-terminal: no -i needed; Ctrl-C (SIGINT) during an answer cancels that stream
    and keeps what arrived; the next turn carries it; Ctrl-D leaves."""
    partial = mistral_words("Once", " upon", " a", " time")
    url = server.route(
        Reply(body=partial, stall_after=partial.index(b" upon")),
        Reply(body=mistral_words("The", " end")),
    )
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, "chat"],
        env={**CLEAN_ENV, **mistral_env(url)},
        stdin=follower,
        stdout=follower,
        stderr=follower,
        close_fds=True,
    )
    os.close(follower)
    seen = bytearray()
    try:
        at = _read_until(leader, b">>> ", seen)
        os.write(leader, b"tell me a story\n")
        at = _read_until(leader, b"Once", seen, at)
        proc.send_signal(signal.SIGINT)
        assert server.route_of(url).client_closed_early.wait(10)
        at = _read_until(leader, b">>> ", seen, at)
        os.write(leader, b"and then?\n")
        at = _read_until(leader, b"The end", seen, at)
        at = _read_until(leader, b">>> ", seen, at)
        proc.send_signal(signal.SIGINT)  # at the prompt: says how to leave, and stays
        at = _read_until(leader, b"(Ctrl-D or /exit to leave)", seen, at)
        at = _read_until(leader, b">>> ", seen, at)
        os.write(leader, b"\x04")  # Ctrl-D
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(leader)
    assert sent_messages(server, url, 1) == [
        {"role": "user", "content": "tell me a story"},
        {"role": "assistant", "content": "Once"},
        {"role": "user", "content": "and then?"},
    ]


def test_session_ends_on_a_configuration_error() -> None:
    """A turn that cannot work (no such model file) ends the session rather than repeating."""
    missing = "/nonexistent/model.gguf"
    result = run_cli(
        ["chat", "-i", "--provider", "local", "--model", missing], {}, stdin="hi\nagain\n"
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1
    assert "no GGUF model file at '/nonexistent/model.gguf'" in errors[0]


def test_the_price_database_loads_while_the_answer_is_awaited(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary's cost needs the price database (~0.1-0.2 s to load): it loads on a thread
    started before the answer's first byte, not after its last."""
    import threading

    from streamcall.core.base import _prices_db

    loading = threading.Event()
    real = _prices_db.database_version

    def database_version() -> str | None:
        loading.set()
        return real()

    monkeypatch.setattr(_prices_db, "database_version", database_version)
    url = server.route(Reply(body=TEXT.body, headers_delay=0.5))
    for name, value in mistral_env(url).items():
        monkeypatch.setenv(name, value)
    seen_before_the_answer: list[bool] = []
    err = TTY()

    class Out(io.StringIO):
        def write(self, text: str) -> int:
            if not seen_before_the_answer:
                seen_before_the_answer.append(loading.is_set())
            return super().write(text)

    status = main(["chat", "hi"], stdin=io.StringIO(), stdout=Out(), stderr=err)
    assert status == 0
    assert seen_before_the_answer == [True]
    assert "cost: $" in err.getvalue()
