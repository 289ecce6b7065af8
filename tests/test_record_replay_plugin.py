"""The pytest plugin (``streamcall.testing.pytest_plugin``) in a pytest run of its own: a test
records its cassette with ``--streamcall-record`` (or ``STREAMCALL_RECORD=1``) from a route
standing in for the provider, then replays it with the provider gone; a missing cassette and
a request with no recorded exchange fail the test."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import all_fixtures

pytest_plugins = ["pytester"]

FIXTURE = next(f for f in all_fixtures() if f.name == "mistral.text.sse")
KEY = "sk-user-key-0123456789"
TEST_MODULE = f"""
import os

import pytest

from streamcall.clients.mistral import Mistral
from streamcall.testing import Rechunk, Replayer

EXPECTED = {FIXTURE.expected["text"]!r}


def ask(url, times=1):
    key = os.environ.get("MISTRAL_API_KEY", "test")
    with Mistral(api_key=key, server_url=url) as client:
        for _ in range(times):
            messages = [{{"role": "user", "content": "hi"}}]
            with client.chat.stream("mistral-small-latest", messages) as s:
                text = "".join(e.data.choices[0].delta.content or "" for e in s)
    return text


@pytest.mark.streamcall_cassette(os.environ.get("UPSTREAM"))
def test_answer(streamcall_cassette):
    assert ask(streamcall_cassette) == EXPECTED
    assert streamcall_cassette.recording == bool(os.environ.get("EXPECT_RECORDING"))


@pytest.mark.streamcall_cassette(
    path="cassettes/test_chat/test_answer.json", rechunk=Rechunk.fixed(1), speed=50.0
)
def test_same_cassette_one_byte_a_chunk(streamcall_cassette):
    if streamcall_cassette.recording:
        pytest.skip("replay only")
    assert isinstance(streamcall_cassette.server, Replayer)
    assert streamcall_cassette.server.rechunk == Rechunk.fixed(1)
    assert ask(streamcall_cassette) == EXPECTED
"""
CONFTEST = 'pytest_plugins = ["streamcall.testing.pytest_plugin"]\n'


@pytest.fixture(autouse=True)
def _modules_loaded(server: ReplayServer, tmp_path: Path) -> None:
    """A pytest run in this process unloads the modules first imported during it; the
    clients, httpx2 and httpcore2 import parts of themselves on first use, and a second copy of
    httpcore2's errors is not one httpx2 maps. So everything is used once out here first."""
    from streamcall.clients.mistral import Mistral
    from streamcall.clients.openai import OpenAI
    from streamcall.core.openai import openai_call
    from streamcall.testing import Recorder, Replayer

    cassette = tmp_path / "warm.json"
    with (
        Recorder(server.route(Reply(body=FIXTURE.body)), cassette) as recorder,
        Mistral(api_key="k", server_url=recorder.url) as mistral,
        mistral.chat.stream("m", [{"role": "user", "content": "x"}]) as stream,
    ):
        list(stream)
    with (
        Replayer(cassette, match="order") as replayer,
        OpenAI(api_key="k", base_url=replayer.url) as client,
    ):

        @openai_call("m", stream=True, client=client)
        def ask() -> str:
            return "x"

        list(ask())


@pytest.fixture
def project(
    pytester: pytest.Pytester, server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A user's test folder, and the route standing in for the provider."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_chat=TEST_MODULE)
    upstream = server.route(Reply(body=FIXTURE.body, chunking=Chunking.events()))
    monkeypatch.delenv("STREAMCALL_RECORD", raising=False)
    return upstream


def test_record_once_then_replay_offline(
    pytester: pytest.Pytester,
    server: ReplayServer,
    project: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cassette = pytester.path / "cassettes" / "test_chat" / "test_answer.json"
    with monkeypatch.context() as env:
        env.setenv("UPSTREAM", project)
        env.setenv("MISTRAL_API_KEY", KEY)
        env.setenv("EXPECT_RECORDING", "1")
        recorded = pytester.runpytest("--streamcall-record", "-k", "test_answer")
    recorded.assert_outcomes(passed=1)
    assert len(server.requests(project)) == 1
    assert server.requests(project)[0].headers["authorization"] == f"Bearer {KEY}"
    text = cassette.read_text()
    assert KEY not in text
    data = json.loads(text)
    assert data["version"] == 1
    (exchange,) = data["interactions"]
    assert "".join(p["text"] for p in exchange["response"]["pieces"]).encode() == FIXTURE.body

    replayed = pytester.runpytest()  # no upstream, no key: the cassettes alone
    replayed.assert_outcomes(passed=2)
    assert len(server.requests(project)) == 1


def test_record_from_the_environment_variable(
    pytester: pytest.Pytester,
    server: ReplayServer,
    project: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UPSTREAM", project)
    monkeypatch.setenv("EXPECT_RECORDING", "1")
    monkeypatch.setenv("STREAMCALL_RECORD", "1")
    pytester.runpytest("-k", "test_answer").assert_outcomes(passed=1)
    assert len(server.requests(project)) == 1
    assert (pytester.path / "cassettes" / "test_chat" / "test_answer.json").exists()


def test_missing_cassette_and_unmatched_requests_fail(
    pytester: pytest.Pytester, project: str
) -> None:
    missing = pytester.runpytest("-k", "test_answer")
    missing.assert_outcomes(errors=1)
    missing.stdout.fnmatch_lines(["*no cassette at*--streamcall-record*"])

    pytester.makepyfile(
        test_twice=TEST_MODULE.replace("ask(streamcall_cassette)", "ask(streamcall_cassette, 2)")
    )
    folder = pytester.path / "cassettes"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("UPSTREAM", project)
        env.setenv("EXPECT_RECORDING", "1")
        pytester.runpytest("--streamcall-record", "test_chat.py", "-k", "test_answer")
    (folder / "test_chat" / "test_answer.json").rename(folder / "one.json")
    (folder / "test_twice").mkdir()
    (folder / "one.json").rename(folder / "test_twice" / "test_answer.json")
    twice = pytester.runpytest("test_twice.py", "-k", "test_answer")
    twice.assert_outcomes(failed=1, errors=1)
    twice.stdout.fnmatch_lines(["*no recorded exchange for POST /v1/chat/completions*"])


def test_recording_needs_an_upstream(pytester: pytest.Pytester, project: str) -> None:
    result = pytester.runpytest("--streamcall-record", "-k", "test_answer")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*recording needs @pytest.mark.streamcall_cassette*"])


def test_the_documented_example_records_and_replays(
    pytester: pytest.Pytester, server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/TESTING.md's two test blocks, recorded from routes standing in for Mistral and
    OpenAI, then replayed."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "TESTING.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)[:2]
    openai = next(f for f in all_fixtures() if f.name == "openai_chat.text.sse")
    routes = {
        "https://api.mistral.ai": server.route(Reply(body=FIXTURE.body)),
        "https://api.openai.com/v1": server.route(Reply(body=openai.body)),
    }
    module = "\n".join(blocks)
    for real, route in routes.items():
        assert f'streamcall_cassette("{real}")' in module
        module = module.replace(f'streamcall_cassette("{real}")', f'streamcall_cassette("{route}")')
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_chat=module)
    monkeypatch.delenv("STREAMCALL_RECORD", raising=False)
    pytester.runpytest("--streamcall-record").assert_outcomes(passed=2)
    assert [len(server.requests(route)) for route in routes.values()] == [1, 1]
    cassettes = sorted(p.name for p in (pytester.path / "cassettes" / "test_chat").iterdir())
    assert cassettes == ["test_first_answer.json", "test_recommend.json"]
    result = pytester.runpytest("-s")
    result.assert_outcomes(passed=2)
    assert openai.expected["text"] in result.stdout.str()  # printed as it streamed
    assert [len(server.requests(route)) for route in routes.values()] == [1, 1]
