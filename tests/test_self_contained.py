"""A clone of the repository runs every test with nothing beside it (no shared folder)."""

from __future__ import annotations

import re

from tests.wire_fixtures import FIXTURES, ROOT, all_fixtures, fixtures_dir


def test_fixtures_are_read_from_inside_the_repository() -> None:
    assert fixtures_dir() == FIXTURES
    assert FIXTURES.is_relative_to(ROOT)
    assert len(all_fixtures()) == 22
    assert (FIXTURES / "README.md").is_file()


def test_no_test_or_benchmark_reaches_outside_the_repository() -> None:
    outside = re.compile(r"\.\./shared|parent\s*/\s*\"shared\"|STREAMCALL_WIRE_FIXTURES")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("tests", "benchmarks", "src")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "test_self_contained.py" and outside.search(path.read_text())
    ]
    assert offenders == []


def test_gemini_fixtures_keep_their_crlf_bytes() -> None:
    body = next(f.body for f in all_fixtures() if f.name == "gemini.text.sse")
    assert b"\r\n\r\n" in body
