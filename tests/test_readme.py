"""The README's Python examples run as written (against the replay server)."""

from __future__ import annotations

import re

import pytest

from tests.replay import ReplayServer, Reply
from tests.wire_fixtures import ROOT, fixtures

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(
    code: str,
    server: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fixture = next(f for f in fixtures("mistral.") if f.name == "mistral.text.sse")
    url = server.route(Reply(body=fixture.body))
    monkeypatch.setenv("MISTRAL_API_KEY", "readme-key")
    monkeypatch.setenv("MISTRAL_BASE_URL", url)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    if "chat.stream" in code:
        assert capsys.readouterr().out == fixture.expected["text"]
    client = namespace.get("client")
    if client is not None:
        client.close()  # type: ignore[attr-defined]
