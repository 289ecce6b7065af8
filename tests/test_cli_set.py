"""``/set`` and ``/show`` in the chat session, as ``ollama run`` has them: parameters, the
system prompt, per-answer stats; a bad value is a message and the session goes on."""

from __future__ import annotations

import io
from typing import Any

import pytest

from streamcall.cli import main
from tests.cli_process import mistral_words
from tests.replay import ReplayServer, Reply


@pytest.fixture
def url(server: ReplayServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> str:
    route = server.route(Reply(body=mistral_words("Hi", " there")))
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key")
    monkeypatch.setenv("MISTRAL_BASE_URL", route)
    monkeypatch.setenv("STREAMCALL_HOME", str(tmp_path / "home"))
    return route


def session(typed: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["chat", "-i", *args], stdin=io.StringIO(typed), stdout=out, stderr=err)
    assert status == 0, err.getvalue()
    return out.getvalue(), err.getvalue()


def bodies(server: ReplayServer, url: str) -> list[dict[str, Any]]:
    found = [r.json() for r in server.requests(url)]
    assert all(isinstance(b, dict) for b in found)
    return found  # type: ignore[return-value]


def test_set_parameters_and_system_go_into_the_next_request(server: ReplayServer, url: str) -> None:
    typed = (
        "first\n/set temperature 0.3\n/set max_tokens 5\n/set seed 7\n"
        "/set system Be brief.\nsecond\n/set parameter num_predict 9\n/set temperature none\n"
        "third\n"
    )
    _, err = session(typed, "--temperature", "0.9")
    first, second, third = bodies(server, url)
    assert (first["temperature"], "max_tokens" in first) == (0.9, False)
    assert (second["temperature"], second["max_tokens"], second["random_seed"]) == (0.3, 5, 7)
    assert second["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "second"},
    ]  # as /system: a new conversation
    assert "temperature" not in third
    assert third["max_tokens"] == 9
    for said in ("(temperature = 0.3)", "(max_tokens = 5)", "(seed = 7)", "(max_tokens = 9)"):
        assert said in err
    assert "(system prompt set; conversation cleared)" in err
    assert "(temperature: the provider's default)" in err


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/set temperature hot", "bad value for temperature: 'hot' (not a valid value); unchanged"),
        ("/set temperature -1", "bad value for temperature: '-1' (must be a number, 0 or more)"),
        ("/set temperature nan", "bad value for temperature: 'nan'"),
        ("/set max_tokens 0", "bad value for max_tokens: '0' (must be at least 1); unchanged"),
        ("/set max_tokens 2.5", "bad value for max_tokens: '2.5' (not a valid value)"),
        ("/set seed x", "bad value for seed: 'x'"),
        ("/set top_k 3", "unknown setting 'top_k' (/set lists them)"),
        ("/set seed", "usage: /set seed VALUE"),
        ("/frobnicate", "unknown command /frobnicate (/help lists them)"),
    ],
)
def test_a_bad_value_is_a_message_and_the_session_goes_on(
    server: ReplayServer, url: str, line: str, says: str
) -> None:
    _, err = session(f"{line}\nstill here\n", "--temperature", "0.5", "--max-tokens", "8")
    assert says in err
    [body] = bodies(server, url)
    assert (body["temperature"], body["max_tokens"]) == (0.5, 8)  # unchanged
    assert body["messages"][-1]["content"] == "still here"


def test_set_alone_lists_the_settings(url: str) -> None:
    _, err = session("/set\n")
    for setting in ("temperature", "max_tokens", "seed", "system", "verbose", "quiet"):
        assert f"/set {setting}" in err


def test_verbose_and_quiet_turn_the_stats_on_and_off(url: str) -> None:
    _, err = session("one\n/set verbose\ntwo\n/set quiet\nthree\n")
    assert err.count("[mistral mistral-small-latest] tokens in/out: 5/2 | first token: ") == 1
    lines = err.splitlines()
    on = lines.index("(stats after each answer on)")
    off = lines.index("(stats after each answer off)")
    stats = next(i for i, line in enumerate(lines) if line.startswith("[mistral "))
    assert on < stats < off
    _, err = session("one\n/set quiet\ntwo\n", "-v")  # -v starts with them on
    assert err.count("tokens in/out: ") == 1


def test_show_says_what_the_next_answer_is_asked_with(url: str) -> None:
    out, err = session("hello\n/show\n/set temperature 0.2\n/show\n", "-s", "Be kind.")
    first, second = err.split("provider: ")[1:]
    conversation = second.split("conversation: ")[1].split()[0]
    assert first.startswith("mistral\nmodel: mistral-small-latest\nparameters: none\n")
    assert "system prompt: Be kind.\n" in first
    assert "parameters: temperature=0.2\n" in second
    assert f"conversation: {conversation} (1 turn, saved in " in second
    assert "Hi there" in out


def test_model_switches_the_model_and_the_conversation_goes_on(
    server: ReplayServer, url: str
) -> None:
    _, err = session("first\n/model\n/model mistral-large-latest\nsecond\n/show\n")
    first, second = bodies(server, url)
    assert first["model"] == "mistral-small-latest"
    assert second["model"] == "mistral-large-latest"
    assert [m["content"] for m in second["messages"]] == ["first", "Hi there", "second"]
    assert "model: mistral-small-latest (mistral)" in err
    assert "(model mistral-large-latest; the conversation goes on)" in err
    assert "model: mistral-large-latest\n" in err  # /show
