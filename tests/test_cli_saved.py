"""Saved conversations: every answer saved (0600, atomic, no key), ``-c``, ``--cid``,
``--no-save``, ``streamcall chats``, ``/save`` and ``/load``, and clear errors for files that
are broken or not ours."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from streamcall.cli import main
from streamcall.cli._store import Record, Store, StoreError, data_dir
from tests.cli_process import CLEAN_ENV, HOME, mistral_words, run_cli
from tests.replay import ReplayServer, Reply

KEY = "sk-saved-secret-0123456789"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STREAMCALL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STREAMCALL_NO_SAVE", raising=False)
    return tmp_path / "home"


@pytest.fixture
def mistral(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Routes answers and points the Mistral variables at them: ``mistral(*replies)``."""

    def route(*replies: Reply) -> str:
        url = server.route(*replies)
        monkeypatch.setenv("MISTRAL_API_KEY", KEY)
        monkeypatch.setenv("MISTRAL_BASE_URL", url)
        return url

    return route


def chat(*args: str, typed: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(args), stdin=io.StringIO(typed), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def sent(server: ReplayServer, url: str, index: int) -> list[Any]:
    body = server.requests(url)[index].json()
    assert isinstance(body, dict)
    messages: list[Any] = body["messages"]
    return messages


def files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.exists() else []


def test_an_answer_is_saved_privately_without_the_key_and_continued(
    server: ReplayServer, home: Path, mistral: Any
) -> None:
    url = mistral(
        Reply(body=mistral_words("Hello", "!")),
        Reply(body=mistral_words("Again")),
        Reply(body=mistral_words("3")),
    )
    assert chat("chat", "hi", "-s", "Be kind.", "--temperature", "0.5")[0] == 0
    [path] = files(home / "conversations")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    text = path.read_text()
    assert KEY not in text
    saved = json.loads(text)
    assert (saved["format"], saved["provider"], saved["model"]) == (
        "streamcall.conversation",
        "mistral",
        "mistral-small-latest",
    )
    assert saved["system"] == "Be kind."
    assert saved["params"] == {"temperature": 0.5}
    hello = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello!"}]
    assert saved["messages"] == hello
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temporary left

    status, out, _ = chat("chat", "-c", "and again?")
    assert (status, out) == (0, "Again\n")
    system = {"role": "system", "content": "Be kind."}
    assert sent(server, url, 1) == [system, *hello, {"role": "user", "content": "and again?"}]
    assert files(home / "conversations") == [path]  # the same conversation, rewritten
    assert len(json.loads(path.read_text())["messages"]) == 4

    assert chat("chat", "--cid", path.stem, "third", "-s", "Be short.")[0] == 0
    third = sent(server, url, 2)
    assert third[0] == {"role": "system", "content": "Be short."}  # -s replaces it
    assert [m["content"] for m in third[1:]] == ["hi", "Hello!", "and again?", "Again", "third"]


def test_a_session_goes_on_with_the_latest_conversation(
    server: ReplayServer, home: Path, mistral: Any
) -> None:
    url = mistral(Reply(body=mistral_words("One")), Reply(body=mistral_words("Two")))
    assert chat("chat", "first")[0] == 0
    [path] = files(home / "conversations")
    status, _, err = chat("chat", "-c", "-i", typed="second\n")
    assert status == 0, err
    assert f"(going on with conversation {path.stem}: 1 turn)" in err
    assert [m["content"] for m in sent(server, url, 1)] == ["first", "One", "second"]
    saved = json.loads(path.read_text())["messages"]
    assert [m["content"] for m in saved] == ["first", "One", "second", "Two"]


def test_no_save_and_its_variable_save_nothing(
    home: Path, mistral: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    mistral(Reply(body=mistral_words("x")))
    assert chat("chat", "hi", "--no-save")[0] == 0
    monkeypatch.setenv("STREAMCALL_NO_SAVE", "1")
    assert chat("chat", "hi")[0] == 0
    assert chat("chat", "-i", typed="hi\n/show\n")[2].count("not saved") == 1
    assert not home.exists()
    monkeypatch.setenv("STREAMCALL_NO_SAVE", "0")
    assert chat("chat", "hi")[0] == 0
    assert len(files(home / "conversations")) == 1


def test_chats_lists_the_latest_first(home: Path, mistral: Any) -> None:
    mistral(Reply(body=mistral_words("a")))
    assert chat("chats") == (0, "", f"no saved conversations in {home}\n")
    assert chat("chat", "the first question")[0] == 0
    assert chat("chat", "a second\nquestion, on two lines")[0] == 0
    first, second = sorted(files(home / "conversations"), key=lambda p: p.stat().st_mtime_ns)
    os.utime(first, ns=(1, 1))  # the dates: seconds apart at least
    record = json.loads(second.read_text())
    record["updated"] = "2999-01-01T00:00:00+00:00"
    second.write_text(json.dumps(record))
    status, out, err = chat("chats")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(second.stem + "  2999-01-01 00:00  mistral mistral-small-latest  ")
    assert lines[0].endswith("  a second question, on two lines")
    assert lines[1].startswith(first.stem)
    assert lines[1].endswith("  the first question")
    assert chat("chats", "-n", "1")[1].splitlines() == lines[:1]


def test_save_and_load_in_the_session(server: ReplayServer, home: Path, mistral: Any) -> None:
    url = mistral(
        Reply(body=mistral_words("Hello")),
        Reply(body=mistral_words("Sure")),
        Reply(body=mistral_words("ok")),
    )
    typed = "hi\n/save my-chat\n/clear\n/load my-chat\nmore\n/load nope\n/save ../x\nexit\n"
    status, _, err = chat("chat", "-i", typed=typed)
    assert status == 0, err
    assert "(saved as my-chat in " in err
    assert "(loaded my-chat: 1 turn, system prompt: none)" in err
    assert "not loaded: no conversation 'nope' in " in err
    assert "not saved: '../x' is not a conversation id or name" in err
    assert [m["content"] for m in sent(server, url, 1)] == ["hi", "Hello", "more"]
    assert json.loads((home / "saved" / "my-chat.json").read_text())["messages"][-1] == {
        "role": "assistant",
        "content": "Hello",
    }
    status, _, err = chat("chat", "--cid", "my-chat", "from the copy")
    assert status == 0, err
    assert [m["content"] for m in sent(server, url, 2)] == ["hi", "Hello", "from the copy"]
    # a name is a copy: going on with it starts a new conversation, the copy stays as it was
    assert len(json.loads((home / "saved" / "my-chat.json").read_text())["messages"]) == 2
    assert "my-chat" in chat("chats")[1]


def test_continuing_keeps_the_provider_and_model_of_the_conversation(
    server: ReplayServer, home: Path, mistral: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = mistral(Reply(body=mistral_words("a")))
    store = Store(home)
    store.save(Record("mistral", "open-mistral-nemo", id="older", messages=[]))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-would-be-chosen")  # a key that would pick openai
    assert chat("chat", "--cid", "older", "hi")[0] == 0
    body = server.requests(url)[0].json()
    assert isinstance(body, dict)
    assert body["model"] == "open-mistral-nemo"


def test_continuing_keeps_the_parameters_of_the_conversation_unless_given_again(
    server: ReplayServer, home: Path, mistral: Any
) -> None:
    url = mistral(Reply(body=mistral_words("a")))
    params = {"temperature": 0.2, "max_tokens": 50, "seed": 3, "top_k": 9}  # top_k: not ours
    Store(home).save(Record("mistral", "m", id="older", params=params, messages=[]))
    assert chat("chat", "--cid", "older", "hi")[0] == 0
    assert chat("chat", "--cid", "older", "--temperature", "0.9", "again")[0] == 0
    first, second = (r.json() for r in server.requests(url))
    assert isinstance(first, dict)
    assert isinstance(second, dict)
    assert (first["temperature"], first["max_tokens"], first["random_seed"]) == (0.2, 50, 3)
    assert "top_k" not in first
    assert (second["temperature"], second["max_tokens"]) == (0.9, 50)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"{not json", "is not JSON (a broken file?)"),
        (b'{"name": "something else"}', "is not a streamcall conversation"),
        (b'{"format": "streamcall.conversation", "version": 9}', "has format version 9"),
        (
            b'{"format": "streamcall.conversation", "version": 1, "provider": "mistral", '
            b'"model": "m", "messages": [{"role": "tool", "content": 1}]}',
            "a message is not a user or assistant text",
        ),
        (
            b'{"format": "streamcall.conversation", "version": 1, "provider": "mistral"}',
            "is not a streamcall conversation (",
        ),
    ],
)
def test_a_broken_or_foreign_file_is_a_clear_error(
    tmp_path: Path, content: bytes, says: str
) -> None:
    home = tmp_path / "home"
    (home / "conversations").mkdir(parents=True)
    (home / "conversations" / "bad.json").write_bytes(content)
    env = {"STREAMCALL_HOME": str(home), "MISTRAL_API_KEY": KEY}
    for args in (["chat", "--cid", "bad", "hi"], ["chat", "-c", "hi"]):
        result = run_cli(args, env)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert result.stderr.startswith("streamcall chat: error: ")
        assert says in result.stderr
        assert str(home / "conversations" / "bad.json") in result.stderr
        assert len(result.stderr.splitlines()) == 1, result.stderr
    result = run_cli(["chats"], env)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr.startswith("streamcall chats: warning: skipped ")
    assert "Traceback" not in result.stderr


def test_unknown_ids_and_nothing_to_continue_exit_2(home: Path) -> None:
    for args, says in [
        (["chat", "-c", "hi"], "no saved conversation to continue"),
        (["chat", "--cid", "nope", "hi"], "no conversation 'nope'"),
        (["chat", "--cid", "../../etc/passwd", "hi"], "is not a conversation id or name"),
        (["chat", "-c", "--cid", "x", "hi"], "give one"),
    ]:
        status, out, err = chat(*args)
        assert (status, out) == (2, "")
        assert err.startswith("streamcall chat: error: ")
        assert says in err, err


def test_a_write_is_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path)
    record = Record("mistral", "m", id="one", messages=[{"role": "user", "content": "v1"}])
    path = store.save(record)
    record.messages = [{"role": "user", "content": "v2"}]

    def fail(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(StoreError, match=r"cannot write .*one\.json: No space left on device"):
        store.save(record)
    assert json.loads(path.read_text())["messages"][0]["content"] == "v1"
    assert [p.name for p in tmp_path.joinpath("conversations").iterdir()] == ["one.json"]


def test_a_save_that_fails_is_a_warning_and_the_answer_stands(
    tmp_path: Path, mistral: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    mistral(Reply(body=mistral_words("fine")))
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("STREAMCALL_HOME", str(blocker))  # a file: no folder can be made in it
    status, out, err = chat("chat", "hi")
    assert (status, out) == (0, "fine\n")
    summary, warning = err.splitlines()
    assert summary.startswith("[mistral ")
    assert warning.startswith("streamcall: warning: not saved: cannot write ")
    assert str(blocker) in warning


def test_the_data_directory() -> None:
    assert data_dir({"STREAMCALL_HOME": "/a", "XDG_DATA_HOME": "/b"}) == Path("/a")
    assert data_dir({"XDG_DATA_HOME": "/b"}) == Path("/b/streamcall")
    assert data_dir({}) == Path.home() / ".local" / "share" / "streamcall"


def test_the_tests_never_write_the_real_data_directory() -> None:
    """Every ``streamcall`` a test runs as a process saves under a temporary folder."""
    assert CLEAN_ENV["STREAMCALL_HOME"] == HOME
    assert Path(HOME).resolve() != data_dir({}).resolve()
    assert "STREAMCALL_NO_SAVE" not in CLEAN_ENV
