"""The decorators are typed: mypy --strict and pyright (strict) on user programs.

``tests/typing_corpus/`` holds programs written the way Mirascope v1's documentation writes
them. Every ``assert_type`` there must hold for both checkers, and the lines marked
``# planted: <mistake>`` (an attribute typo on a stream, a wrong argument type, a missing
argument, a chunk's text assigned to an ``int``) must be reported by both, and nothing else.
Each checker runs once over the whole corpus (pyright is basedpyright, which bundles its node
runtime, so it runs offline).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "typing_corpus"
BIN = Path(sys.executable).parent
PLANTED = re.compile(r"#\s*planted:\s*([a-z-]+)$")


def _planted() -> dict[tuple[str, int], str]:
    marks: dict[tuple[str, int], str] = {}
    for path in sorted(CORPUS.glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = PLANTED.search(line)
            if match:
                marks[(path.name, number)] = match.group(1)
    return marks


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=300, cwd=CORPUS.parent.parent
    )


def _mypy() -> dict[tuple[str, int], list[str]]:
    result = _run(
        [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.11", str(CORPUS)]
    )
    errors: dict[tuple[str, int], list[str]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(.+?\.py):(\d+): error: (.*)", line)
        if match:
            key = (Path(match.group(1)).name, int(match.group(2)))
            errors.setdefault(key, []).append(match.group(3))
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return errors


def _pyright() -> dict[tuple[str, int], list[str]]:
    executable = BIN / "basedpyright"
    assert executable.exists(), "pyright is missing: install the dev extra (basedpyright)"
    result = _run(
        [
            str(executable),
            "--outputjson",
            "-p",
            str(CORPUS / "pyrightconfig.json"),
            "--pythonpath",
            sys.executable,
            str(CORPUS),
        ]
    )
    report = json.loads(result.stdout)
    errors: dict[tuple[str, int], list[str]] = {}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] != "error":
            continue
        key = (Path(diagnostic["file"]).name, diagnostic["range"]["start"]["line"] + 1)
        errors.setdefault(key, []).append(diagnostic["message"])
    return errors


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[tuple[str, int], list[str]]]:
    with ThreadPoolExecutor(2) as pool:
        mypy, pyright = pool.submit(_mypy), pool.submit(_pyright)
        return {"mypy": mypy.result(), "pyright": pyright.result()}


def test_the_corpus_plants_the_four_mistakes() -> None:
    assert sorted(_planted().values()) == [
        "argument-type",
        "assignment",
        "attribute",
        "missing-argument",
    ]


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_each_planted_mistake_is_reported(
    reports: dict[str, dict[tuple[str, int], list[str]]], checker: str
) -> None:
    errors = reports[checker]
    missed = {f"{f}:{n} ({kind})" for (f, n), kind in _planted().items() if (f, n) not in errors}
    assert not missed, f"{checker} did not report: {sorted(missed)}"


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_nothing_else_is_reported(
    reports: dict[str, dict[tuple[str, int], list[str]]], checker: str
) -> None:
    """Every ``assert_type`` holds and the programs are clean under strict settings."""
    planted = _planted()
    unexpected = {
        f"{f}:{n}: {' / '.join(messages)}"
        for (f, n), messages in reports[checker].items()
        if (f, n) not in planted
    }
    assert not unexpected, f"{checker}:\n" + "\n".join(sorted(unexpected))
