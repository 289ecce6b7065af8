"""Each program in examples/ runs as a subprocess against the replay server and prints what
its answer says."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.replay import ReplayServer, Reply, sse_body
from tests.wire_fixtures import ROOT, WireFixture, fixtures

EXAMPLES = ROOT / "examples"


def fixture(name: str) -> WireFixture:
    return next(f for f in fixtures(name.split(".")[0] + ".") if f.name == name)


MISTRAL = fixture("mistral.text.sse")
COHERE = fixture("cohere_v2.tools.sse")
ANTHROPIC = fixture("anthropic.text.sse")
BOOK = {"title": "Dune", "author": "Frank Herbert", "year": 1965}


def run(program: str, env: dict[str, str]) -> str:
    variables = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_URL"))}
    variables.update(env, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / program)],
        env=variables,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def mistral_env(url: str) -> dict[str, str]:
    return {"MISTRAL_API_KEY": "example-key", "MISTRAL_BASE_URL": url}


def test_every_example_is_tested() -> None:
    tested = {"stream", "tools", "response_model", "llm_switch", "client", "async_stream"}
    assert {p.stem for p in EXAMPLES.glob("*.py")} == tested


@pytest.mark.parametrize("program", ["stream.py", "async_stream.py"])
def test_streamed_call(program: str, server: ReplayServer) -> None:
    out = run(program, mistral_env(server.route(Reply(body=MISTRAL.body))))
    usage = MISTRAL.expected["usage"]
    lines = out.splitlines()
    assert lines[0] == MISTRAL.expected["text"]
    assert lines[1] == f"tokens: {usage['input_tokens']} in, {usage['output_tokens']} out"
    if program == "stream.py":
        assert float(lines[2].removeprefix("cost: ")) > 0  # "cost: None" fails
        assert lines[3] == f"finish: ['{MISTRAL.expected['finish_reason']}']"


def test_client(server: ReplayServer) -> None:
    url = server.route(Reply(body=MISTRAL.body))
    assert run("client.py", mistral_env(url)) == MISTRAL.expected["text"] + "\n"
    sent = server.requests(url)[0]
    assert sent.headers["authorization"] == "Bearer example-key"


def test_tools(server: ReplayServer) -> None:
    url = server.route(Reply(body=COHERE.body))
    out = run("tools.py", {"COHERE_API_KEY": "example-key", "COHERE_BASE_URL": url})
    calls = COHERE.expected["tool_calls"]
    lines = out.splitlines()
    assert len(lines) == len(calls) + 1
    assert lines[0] == "get_weather: 21 degrees celsius in Lisbon"
    assert lines[-1] == f"next turn: {1 + len(calls)} messages"


def test_response_model(server: ReplayServer) -> None:
    whole = {
        "id": "r",
        "model": "mistral-small-latest",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {"id": "t1", "function": {"name": "Book", "arguments": json.dumps(BOOK)}}
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
    }
    pieces = ['{"title": "Du', 'ne", "author": "Frank', ' Herbert", "year": 19', "65}"]
    streamed = sse_body(
        [
            json.dumps(
                {
                    "id": "s",
                    "model": "mistral-small-latest",
                    "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}],
                }
            )
            for p in pieces
        ]
    )
    url = server.route(
        Reply(body=json.dumps(whole).encode(), content_type="application/json"),
        Reply(body=streamed),
    )
    lines = run("response_model.py", mistral_env(url)).splitlines()
    assert lines[0] == "whole: Dune by Frank Herbert (1965)"
    partials = [line.removeprefix("partial: ") for line in lines[1:]]
    assert partials[0] == "'Du'"
    assert partials[-1] == "'Dune'"
    assert [r.json()["stream"] for r in server.requests(url)] == [False, True]  # type: ignore[index]


@pytest.mark.parametrize("provider", ["mistral", "anthropic"])
def test_llm_switch(provider: str, server: ReplayServer) -> None:
    env = {
        **mistral_env(server.route(Reply(body=MISTRAL.body))),
        "ANTHROPIC_API_KEY": "example-key",
        "ANTHROPIC_BASE_URL": server.route(Reply(body=ANTHROPIC.body)),
    }
    if provider == "anthropic":
        env["PROVIDER"] = provider
    wire = ANTHROPIC if provider == "anthropic" else MISTRAL
    text, summary = run("llm_switch.py", env).rstrip("\n").rsplit("\n", 1)
    assert text == wire.expected["text"]
    assert summary == f"provider: {provider}, finish: ['stop']"


def test_examples_stand_alone() -> None:
    for program in EXAMPLES.glob("*.py"):
        assert "tests" not in program.read_text()
