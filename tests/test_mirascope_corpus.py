"""Mirascope v1 programs run unchanged on streamcall: the corpus in ``tests/mirascope_corpus/``.

Each program is written against ``mirascope`` the way Mirascope v1's documentation uses it. It
runs twice against the same replay server: once under Mirascope v1.25.7 (``.venv-mirascope``)
as written, once under streamcall (this venv) with the import root ``mirascope`` replaced by
``streamcall`` in its import lines and nothing else. Their exit codes and stdout must be equal,
except:

- ``DELIBERATE_DIFFERENCES``: Mirascope v1 is wrong there and streamcall keeps its own
  behaviour. The entry says why and gives the line substitutions that turn Mirascope's output
  into streamcall's; both sides are checked (Mirascope still prints the wrong line, streamcall
  prints the substituted output). Where Mirascope v1 crashes, the entry gives streamcall's
  whole output instead, and the test checks that Mirascope v1 still crashes.
- ``KNOWN_FAILING``: a feature streamcall still lacks. The test asserts that the program still
  fails on streamcall, so a fix flips it and forces the entry out of the table.

A program names the bodies it needs in header comments, served in order to its requests (the
last repeats): ``# replay: FILE[@STATUS] ...``; ``# replay-mirascope:`` / ``# replay-streamcall:``
override it for one side (Mirascope v1 speaks Cohere's v1 API, streamcall Cohere's v2). FILE is
looked up in ``tests/mirascope_corpus/bodies/``, then in ``tests/fixtures/wire/``.

Run ``python -m tests.test_mirascope_corpus`` for the tally and each program's two outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.replay import ReplayServer, Reply

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "mirascope_corpus"
BODIES = (CORPUS / "bodies", ROOT / "tests" / "fixtures" / "wire")
MIRASCOPE_PYTHON = ROOT / ".venv-mirascope" / "bin" / "python"
MIRASCOPE_SITE = CORPUS / "_mirascope_site"
STREAMCALL_PYTHON = Path(sys.executable)
# Mirascope v1 is pinned, so its output for a program and its bodies never changes: kept here,
# it spares a rerun the seconds each Mirascope v1 process spends importing every provider SDK.
MIRASCOPE_CACHE = ROOT / ".venv-mirascope" / "corpus-outputs"
TIMEOUT = 150  # a Mirascope v1 run imports every provider SDK: seconds of CPU each

PROGRAMS = sorted(p.stem for p in CORPUS.glob("*.py") if not p.name.startswith("_"))

# program -> (why streamcall differs on purpose, {Mirascope's line: streamcall's line}), or
# (why, streamcall's whole stdout) where Mirascope v1 crashes
_ANTHROPIC_FINISH = (
    "Mirascope v1 reads Anthropic finish reasons from the last event (message_stop), which has "
    "none, so a finished stream reports None; streamcall keeps the stop_reason of message_delta"
)
_ANTHROPIC_TOKENS = (
    "Anthropic's message_delta output_tokens is the running total; Mirascope v1 adds "
    "message_start's count to it (one token too many)"
)
_NEWER_PRICES = "Mirascope v1's price table predates the model, so its cost is None"
_SMALL_4 = (
    "mistral-small-latest has named Mistral Small 4 since 2026-03-16 ($0.15 / $0.60 per million "
    "tokens); Mirascope v1 prices it as Small 3.2 ($0.10 / $0.30)"
)
_OPENAI_FINISH = (
    "with include_usage the last chunk has no choices, and Mirascope v1 takes the finish "
    "reasons from it (an empty list); streamcall keeps the finish chunk's"
)
DELIBERATE_DIFFERENCES: dict[str, tuple[str, dict[str, str] | str]] = {
    "stream_cohere_text": (
        "Cohere bills 21 input and 38 output tokens here: both libraries report the billed "
        "units, but Mirascope v1 prints them as floats (they are counts: streamcall keeps ints) "
        "and prices command-r-plus at its 2024 launch price ($3 / $15 per million tokens); "
        "streamcall uses today's ($2.50 / $10)",
        {
            "input tokens: 21.0": "input tokens: 21",
            "output tokens: 38.0": "output tokens: 38",
            "cost: 0.000633": "cost: 0.00043250000000000005",
        },
    ),
    "stream_reiterate": (
        "Mirascope v1's stream is a one-shot generator: iterating it again yields nothing and "
        "resets the content it collected; streamcall's second pass yields nothing too (with a "
        "ReplayWarning; stream={'replay': True} replays) and keeps the content",
        {
            "stream content: 0 characters": "stream content: 154 characters",
        },
    ),
    "tools_two_in_one_delta": (
        "Mistral sends both whole tool calls in one delta; Mirascope v1 keeps only the first of "
        "a delta's tool calls, so the second is never yielded nor sent back",
        {
            "tool: get_weather -> sunny in Lisbon": "tool: get_weather -> sunny in Lisbon\n"
            "tool: format_book -> One Hundred Years of Solitude by Gabriel García Márquez (1967)",
            "tool calls in message: 1": "tool calls in message: 2",
        },
    ),
    "tools_anthropic_no_args": (
        "Mirascope v1 yields an Anthropic tool only when input_json_delta text arrived, so a tool "
        "without parameters (partial_json '') is never yielded; "
        f"{_ANTHROPIC_TOKENS}; {_NEWER_PRICES}",
        {
            "text: Let me check the time.": "tool: current_time {} -> 12:00\n"
            "text: Let me check the time.",
            "tools called: []": "tools called: ['current_time']",
            "input tokens: 402 output tokens: 39": "input tokens: 402 output tokens: 38",
            "cost: None": "cost: 0.001776",
        },
    ),
    "stream_anthropic_text": (
        f"{_ANTHROPIC_FINISH}; {_ANTHROPIC_TOKENS}; {_NEWER_PRICES}",
        {
            "finish reasons: None": "finish reasons: ['end_turn']",
            "output tokens: 79": "output tokens: 78",
            "cost: None": "cost: 0.001761",
        },
    ),
    "tools_anthropic": (
        _ANTHROPIC_FINISH,
        {"finish reasons: None": "finish reasons: ['tool_use']"},
    ),
    "stream_openai_usage": (
        f"{_OPENAI_FINISH}; {_NEWER_PRICES}",
        {
            "finish reasons: []": "finish reasons: ['stop']",
            "cost: None": "cost: 0.00064205",
        },
    ),
    "tools_openai_streamed_args": (
        _OPENAI_FINISH,
        {"finish reasons: []": "finish reasons: ['tool_calls']"},
    ),
    "async_stream_text": (
        "Mirascope v1 never sets start_time / end_time on an async stream (they stay 0); "
        + _SMALL_4,
        {"timed: False True": "timed: True True", "cost: 1.18e-05": "cost: 2.265e-05"},
    ),
    "stream_text": (_SMALL_4, {"cost: 1.18e-05": "cost: 2.265e-05"}),
    "llm_call_stream": (_SMALL_4, {"cost: 1.18e-05": "cost: 2.265e-05"}),
    "stream_construct_response": (_SMALL_4, {"cost: 1.18e-05": "cost: 2.265e-05"}),
    "response_model_whole": (_SMALL_4, {"cost: 1.81e-05": "cost: 3.18e-05"}),
    "stream_gemini_text": (
        "Mirascope v1.25.7's gemini module (google-generativeai) crashes on every stream: its "
        "stream calls handle_stream() with a partial_tools argument that it does not take",
        "You might enjoy **The Shadow of the Wind** by Carlos Ruiz Zafón (2001). Set in post-war "
        "Barcelona, it follows a boy who discovers a forgotten novel and is drawn into the "
        "mystery of its vanished author.\n\nIt's atmospheric, romantic, and very hard to put "
        "down.\n"
        "finish reasons: ['STOP']\n"
        "input tokens: 1466\n"
        "output tokens: 59\n"
        "cost: 0.00108832\n",  # 1,024 of the input tokens at the cached price ($0.03)
    ),
    "error_tool_arguments": (
        "tool arguments that do not validate: Mirascope v1 raises pydantic's ValidationError out "
        "of the loop at that chunk; streamcall (issue 8) yields the chunk and raises "
        "ToolArgumentsError, carrying the call and the pydantic error, once the stream has "
        "ended, so the text, the other tool calls and the usage after it are still received. "
        "Both are ValueErrors: `except ValueError` catches either, `except ValidationError` "
        "only Mirascope's",
        {"invalid tool call: 1 error(s)": "tool: None\nfailed: ToolArgumentsError"},
    ),
    "response_model_stream_mistral": (
        "Mirascope v1.25.7 crashes on every streamed Mistral response model: it passes the "
        "SDK's CompletionEvent where its chunk model expects the CompletionChunk inside",
        "partials: True\n"
        "last: {'title': 'Dune', 'author': 'Frank Herbert', 'year': 1965}\n"
        "constructed: {'title': 'Dune', 'author': 'Frank Herbert', 'year': 1965}\n",
    ),
}

# program -> what streamcall still lacks (the test asserts the program still fails)
KNOWN_FAILING: dict[str, str] = {}

_IMPORT_ROOT = re.compile(r"^(\s*(?:from|import)\s+)mirascope\b", re.MULTILINE)
_PROVIDER_ENV = re.compile(
    r"^(MISTRAL|OPENAI|ANTHROPIC|COHERE|CO|GEMINI|GOOGLE|OLLAMA|AZURE|AZURE_OPENAI)_"
)


def swap_import_root(source: str) -> str:
    """The program as a streamcall user runs it: ``mirascope`` -> ``streamcall`` in imports."""
    return _IMPORT_ROOT.sub(r"\1streamcall", source)


def replies_for(source: str, side: str) -> list[Reply]:
    """The replies a program declares for one side (``mirascope`` or ``streamcall``)."""
    specs: dict[str, str] = {}
    for match in re.finditer(r"^# replay(-mirascope|-streamcall)?:(.*)$", source, re.MULTILINE):
        specs[(match.group(1) or "-").lstrip("-")] = match.group(2)
    spec = specs.get(side, specs.get(""))
    if spec is None:
        raise ValueError("the program declares no '# replay:' bodies")
    replies = []
    for item in spec.split():
        name, _, status = item.partition("@")
        path = next((d / name for d in BODIES if (d / name).exists()), None)
        if path is None:
            raise FileNotFoundError(f"no body {name!r} in {[str(d) for d in BODIES]}")
        content_type = {
            ".json": "application/json",
            ".ndjson": "application/stream+json",
        }.get(path.suffix, "text/event-stream")
        replies.append(
            Reply(body=path.read_bytes(), status=int(status or 200), content_type=content_type)
        )
    return replies


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str

    @property
    def tail(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else ""


def _mirascope_cache_key(source: str, replies: list[Reply]) -> str:
    digest = hashlib.sha256(source.encode())
    for reply in replies:
        digest.update(b"%d\0%s\0" % (reply.status, reply.content_type.encode()) + reply.body)
    for path in sorted(MIRASCOPE_SITE.glob("*.py")):
        digest.update(path.read_bytes())
    versions = sorted(
        p.name for p in MIRASCOPE_PYTHON.parent.parent.glob("lib/*/site-packages/*.dist-info")
    )
    digest.update("\n".join(versions).encode())
    return digest.hexdigest()


def run_program(server: ReplayServer, name: str, side: str) -> Outcome:
    source = (CORPUS / f"{name}.py").read_text()
    replies = replies_for(source, side)
    if side == "mirascope":
        cached = MIRASCOPE_CACHE / f"{name}-{_mirascope_cache_key(source, replies)}.json"
        if cached.exists():
            return Outcome(**json.loads(cached.read_text()))
        outcome = _run(server, name, side, source, replies)
        if outcome.returncode in (0, 1):
            MIRASCOPE_CACHE.mkdir(exist_ok=True)
            partial = cached.with_suffix(".tmp")
            partial.write_text(json.dumps(outcome.__dict__))
            partial.replace(cached)
        return outcome
    return _run(server, name, side, source, replies)


def _sdks_from_mirascope(source: str, folder: Path) -> str | None:
    """A folder that puts the SDK packages a program names (``# sdk-from-mirascope: mistralai
    opentelemetry``) from Mirascope v1's venv ahead of ours, or ``None``.

    A Mirascope v1 user has the SDK versions Mirascope v1 needs (``mistralai<2``); streamcall's
    venv holds the current ones for the differential tests (``mistralai`` 3, where ``Mistral``
    is no longer importable from the package root). A program that passes an SDK client is run
    on streamcall with the SDK its user has.
    """
    match = re.search(r"^# sdk-from-mirascope:(.*)$", source, re.MULTILINE)
    if match is None:
        return None
    site = next((ROOT / ".venv-mirascope" / "lib").glob("python3*/site-packages"))
    folder.mkdir()
    for package in match.group(1).split():
        (folder / package).symlink_to(site / package, target_is_directory=True)
    return str(folder)


def _run(server: ReplayServer, name: str, side: str, source: str, replies: list[Reply]) -> Outcome:
    url = server.route(*replies)
    env = {k: v for k, v in os.environ.items() if not _PROVIDER_ENV.match(k)}
    env.update(REPLAY_URL=url, PYTHONWARNINGS="ignore", PYTHONHASHSEED="0", PYTHONUTF8="1")
    env.pop("PYTHONPATH", None)
    with tempfile.TemporaryDirectory() as tmp:
        if side == "mirascope":
            python, program = MIRASCOPE_PYTHON, CORPUS / f"{name}.py"
            env["PYTHONPATH"] = str(MIRASCOPE_SITE)
        else:
            python, program = STREAMCALL_PYTHON, Path(tmp) / f"{name}.py"
            program.write_text(swap_import_root(source))
            shared = _sdks_from_mirascope(source, Path(tmp) / "sdk")
            if shared:
                env["PYTHONPATH"] = shared
        try:
            done = subprocess.run(
                [str(python), str(program)],
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            return Outcome(-9, out, f"timed out after {TIMEOUT} s")
    return Outcome(done.returncode, done.stdout, done.stderr)


def run_both(server: ReplayServer, name: str) -> tuple[Outcome, Outcome]:
    return run_program(server, name, "mirascope"), run_program(server, name, "streamcall")


def expected_streamcall_stdout(name: str, mirascope_stdout: str) -> str:
    """What streamcall must print: Mirascope's output, with the deliberate substitutions."""
    if name not in DELIBERATE_DIFFERENCES:
        return mirascope_stdout
    _, substitutions = DELIBERATE_DIFFERENCES[name]
    if isinstance(substitutions, str):
        return substitutions
    lines = mirascope_stdout.split("\n")
    return "\n".join(substitutions.get(line, line) for line in lines)


def expected_returncode(name: str, mirascope_returncode: int) -> int:
    crashes = name in DELIBERATE_DIFFERENCES and isinstance(DELIBERATE_DIFFERENCES[name][1], str)
    return 0 if crashes else mirascope_returncode


def verdict(name: str, mirascope: Outcome, streamcall: Outcome) -> str:
    """``same``, ``deliberate``, or ``fails``."""
    expected = expected_streamcall_stdout(name, mirascope.stdout)
    returncode = expected_returncode(name, mirascope.returncode)
    if streamcall.returncode == returncode and streamcall.stdout == expected:
        return "deliberate" if name in DELIBERATE_DIFFERENCES else "same"
    return "fails"


def _require_mirascope() -> None:
    if MIRASCOPE_PYTHON.exists():
        return
    message = (
        f"Mirascope v1 is not installed in {MIRASCOPE_PYTHON.parent.parent.name} "
        "(make .venv-mirascope/.installed creates it)"
    )
    if os.environ.get("CI"):
        raise RuntimeError(f"{message}; CI must run the Mirascope corpus (make test installs it)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def outcomes(server: ReplayServer) -> Iterator[dict[str, Future[tuple[Outcome, Outcome]]]]:
    """Every program's two runs, started at once and run in parallel."""
    _require_mirascope()

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        yield {name: pool.submit(run_both, server, name) for name in PROGRAMS}


def test_the_corpus_is_large_enough_and_the_tables_name_real_programs() -> None:
    assert len(PROGRAMS) >= 30
    for table in (DELIBERATE_DIFFERENCES, KNOWN_FAILING):
        assert set(table) <= set(PROGRAMS), set(table) - set(PROGRAMS)
    assert not set(DELIBERATE_DIFFERENCES) & set(KNOWN_FAILING)


def test_swap_touches_only_the_import_root() -> None:
    source = "import mirascope\nfrom mirascope.core import mistral\nprint('mirascope')\n"
    assert swap_import_root(source) == (
        "import streamcall\nfrom streamcall.core import mistral\nprint('mirascope')\n"
    )


@pytest.mark.parametrize("name", PROGRAMS)
def test_program(name: str, outcomes: dict[str, Future[tuple[Outcome, Outcome]]]) -> None:
    mirascope, streamcall = outcomes[name].result()
    assert mirascope.returncode in (0, 1), f"Mirascope v1 run broke:\n{mirascope.stderr}"
    substitutions = DELIBERATE_DIFFERENCES.get(name, ("", {}))[1]
    if isinstance(substitutions, str):
        assert mirascope.returncode == 1, "Mirascope v1 no longer crashes: is the difference gone?"
    else:
        assert mirascope.stdout, f"Mirascope v1 printed nothing:\n{mirascope.stderr}"
    result = verdict(name, mirascope, streamcall)
    if name in KNOWN_FAILING:
        assert result == "fails", (
            f"{name} now behaves as expected on streamcall: remove it from KNOWN_FAILING "
            f"({KNOWN_FAILING[name]})"
        )
        return
    if isinstance(substitutions, dict) and substitutions:
        missing = [line for line in substitutions if line not in mirascope.stdout.split("\n")]
        assert not missing, f"Mirascope v1 no longer prints {missing}: is the difference gone?"
    expected = expected_streamcall_stdout(name, mirascope.stdout)
    returncode = expected_returncode(name, mirascope.returncode)
    assert (streamcall.returncode, streamcall.stdout) == (returncode, expected), (
        f"streamcall stderr:\n{streamcall.stderr}"
    )


def main() -> None:
    """Print each program's verdict and, for the failing ones, both outputs."""
    if not MIRASCOPE_PYTHON.exists():
        raise SystemExit(f"{MIRASCOPE_PYTHON} is missing (make .venv-mirascope/.installed)")
    names = sys.argv[1:] or PROGRAMS
    verbose = bool(sys.argv[1:])
    tally: dict[str, int] = {}
    with ReplayServer() as server, ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        futures = {name: pool.submit(run_both, server, name) for name in names}
        for name, future in futures.items():
            mirascope, streamcall = future.result()
            result = verdict(name, mirascope, streamcall)
            tally[result] = tally.get(result, 0) + 1
            why = ""
            if result == "fails":
                why = streamcall.tail if streamcall.returncode else "prints differently"
            print(f"{result:10} {name:40} {why}"[:200])
            if verbose or mirascope.returncode not in (0, 1):
                for label, o in (("mirascope", mirascope), ("streamcall", streamcall)):
                    print(f"--- {label} (exit {o.returncode})\n{o.stdout}{o.stderr[-3000:]}")
    print(f"{len(names)} programs: {tally}")


if __name__ == "__main__":
    main()
