"""``streamcall chat "..."``: stream an answer to the terminal, from any provider.

The answer goes to stdout as it arrives (or one JSON object per chunk with ``--json``, then a
summary object); a one-line summary goes to stderr at the end: tokens in/out (the cached and
reasoning parts), time to first token, tokens/s, cost. Text piped in comes before the prompt.
Without a prompt on a terminal (or with ``-i``) it is a chat session that keeps the
conversation. While the answer has not started, a spinner runs on a terminal's stderr, and each
retry is announced. Ctrl-C stops cleanly, keeping what arrived (exit 130); a closed stdout
(``| head``) stops the stream quietly (exit 141). An error is one line on stderr with the
provider's message (exit 1; 2 for bad usage or configuration).

The model's reasoning goes to stderr between ``Thinking...`` and ``...done thinking.`` (dim
on a terminal; ``--hide-thinking`` hides it), so stdout is the answer alone. Every
conversation is saved (see ``cli/_store.py``; ``--no-save`` or ``STREAMCALL_NO_SAVE=1`` saves
nothing): ``-c`` goes on with the latest, ``--cid ID`` with a given one, ``streamcall chats``
lists them. The session's commands (``/set``, ``/show``, ``/save``, ``/load``...) are in
``cli/_session.py``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

if TYPE_CHECKING:
    from streamcall.cli._store import Record, Store

__all__ = ["call_params", "default_models", "default_provider", "key_variables", "main"]

DEFAULT_TIMEOUT = 30.0
"""Seconds ``streamcall chat`` waits for the answer to start, or to go on, by default: a
terminal's user would rather see an error than a minute of silence (the library's own limits
are a minute)."""


def default_models() -> dict[str, str]:
    """Each provider's default model (the registry's ``default_model``)."""
    from streamcall.registry import PROVIDERS

    return {name: entry.default_model for name, entry in PROVIDERS.items()}


def key_variables() -> list[tuple[str, str]]:
    """(key variable, provider) pairs that select a provider, in the registry's order."""
    from streamcall.registry import PROVIDERS

    return [
        (e.key_variable, e.name) for e in PROVIDERS.values() if e.auto_select and e.key_variable
    ]


def default_provider(environ: Mapping[str, str] = os.environ) -> str:
    """The first provider whose key is set (registry order), else ``local``."""
    for variable, provider in key_variables():
        if environ.get(variable):
            return provider
    return "local"


_SAVED_PARAMS = frozenset({"max_tokens", "temperature", "seed"})


def call_params(
    max_tokens: int | None, temperature: float | None, seed: int | None = None
) -> dict[str, Any]:
    """The flags as neutral call parameters (each provider maps them to its own names)."""
    params: dict[str, Any] = {}
    if max_tokens is not None:
        params["max_tokens"] = max_tokens
    if temperature is not None:
        params["temperature"] = temperature
    if seed is not None:
        params["seed"] = seed
    return params


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line (``streamcall chat: error: ...``), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _count(minimum: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("streamcall")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree not installed
        return "unknown"


class _Version(argparse.Action):
    """``--version``, looked up only when asked for (importlib.metadata is slow to import)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> NoReturn:
        sys.stdout.write(f"streamcall {_version()}\n")
        parser.exit(0)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="streamcall", description="Stream LLM answers to the terminal.")
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    commands.add_parser(
        "serve",
        help="serve a provider as OpenAI- and Anthropic-compatible endpoints (extra: serve)",
        add_help=False,  # `streamcall serve ...` is handed to streamcall.serve.main whole
    )
    chat = commands.add_parser(
        "chat",
        help="stream an answer to a prompt, or chat",
        description="Stream an answer to PROMPT. The text goes to stdout as it arrives; a "
        "summary (tokens in/out, time to first token, tokens/s, cost) goes to stderr. Text "
        "piped in is sent before PROMPT. With no PROMPT on a terminal, or with -i, it is a "
        "chat session (/help lists its commands). The model's reasoning goes to stderr. "
        "Each conversation is saved: -c goes on with the latest.",
    )
    chat.add_argument(
        "prompt", nargs="?", help="what to ask ('-': read it from stdin; none: a chat session)"
    )
    chat.add_argument(
        "-i", "--interactive", action="store_true", help="chat: keep the conversation going"
    )
    chat.add_argument(
        "--provider",
        help=", ".join(default_models())
        + " (default: the first provider whose API key is set: "
        + ", ".join(f"{v} -> {p}" for v, p in key_variables())
        + "; else local)",
    )
    chat.add_argument(
        "--model",
        help="the model (default: a small model of the provider; for local, the bundled "
        "SmolLM2-135M-Instruct, or the path of a .gguf file)",
    )
    chat.add_argument("-s", "--system", help="a system prompt")
    chat.add_argument("--max-tokens", type=_count(1), help="the most tokens to generate")
    chat.add_argument("--temperature", type=float, help="sampling temperature")
    chat.add_argument("--seed", type=int, help="sampling seed (where the provider takes one)")
    chat.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="the longest wait for the answer to start, or between its parts (default: "
        f"{DEFAULT_TIMEOUT:g}; raise it for models that think long before answering)",
    )
    chat.add_argument(
        "--retries",
        type=_count(0),
        metavar="N",
        help="retries of a failed request before the answer starts (default: 2)",
    )
    chat.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per chunk (content, thinking, finish_reasons, usage), then "
        "a summary object (model, id, usage, cost, finish reasons, tool calls)",
    )
    chat.add_argument(
        "--hide-thinking",
        action="store_true",
        help="do not show the model's reasoning (shown on stderr, between 'Thinking...' and "
        "'...done thinking.', so that stdout is the answer alone)",
    )
    saved = chat.add_argument_group(
        "saved conversations",
        "Each conversation is saved (as JSON, never a key) under $STREAMCALL_HOME, else "
        "$XDG_DATA_HOME/streamcall, else ~/.local/share/streamcall; `streamcall chats` lists "
        "them.",
    )
    saved.add_argument(
        "-c",
        "--continue",
        dest="continue_latest",
        action="store_true",
        help="go on with the latest conversation",
    )
    saved.add_argument(
        "--cid", metavar="ID", help="go on with conversation ID (or a NAME given to /save)"
    )
    saved.add_argument(
        "--no-save",
        action="store_true",
        help="save nothing (as STREAMCALL_NO_SAVE=1 does)",
    )
    chat.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log the request and retries to stderr (-vv: the HTTP exchange too); keys are "
        "never shown",
    )
    chats = commands.add_parser(
        "chats",
        help="list the saved conversations, the latest first",
        description="List the saved conversations, the latest first: the id (or the name "
        "given to /save), the date, the provider and model, the first prompt. Go on with one "
        "with `streamcall chat --cid ID`.",
    )
    chats.add_argument(
        "-n", "--count", type=_count(1), default=20, help="how many to list (default: 20)"
    )
    return parser


def _read_all(stdin: TextIO) -> str:
    try:
        return stdin.read()
    except (OSError, ValueError):  # a closed or unreadable stdin: nothing was piped
        return ""


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _make_client(provider: str, args: argparse.Namespace) -> Any:
    """A client with the flags' time and retry limits (the local model has neither)."""
    if provider == "local":
        return None
    from streamcall.registry import PROVIDERS
    from streamcall.transport.timeouts import Timeouts

    seconds = args.timeout
    timeouts = Timeouts(
        connect=min(10.0, seconds), first_byte=seconds, idle=seconds, progress=seconds
    )
    options: dict[str, Any] = {"timeouts": timeouts}
    if args.retries is not None:
        options["retries"] = args.retries
    return PROVIDERS[provider].make_client(**options)


@contextmanager
def _logging(handler: logging.Handler, verbosity: int) -> Iterator[None]:
    """The library's log records to ``handler`` while the command runs (restored after)."""
    names = ["streamcall"] + (["httpx2", "httpcore2"] if verbosity > 1 else [])
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG if verbosity else logging.INFO)
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)


def _warning_line(say: Callable[[str], None]) -> Callable[..., None]:
    """``warnings.showwarning`` as one line (a parameter a provider cannot take, say)."""

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        say(f"streamcall: warning: {message}")

    return show


def _saved(args: argparse.Namespace) -> tuple[Store, Record | None, bool]:
    """The store, and the conversation to go on with (``-c``, ``--cid``), and whether it was
    named by ``/save``; :class:`StoreError` if it cannot be read."""
    from streamcall.cli._store import Store, data_dir

    store = Store(data_dir())
    if args.cid is not None:
        return (store, *store.load(args.cid))
    if args.continue_latest:
        return store, store.latest(), False
    return store, None, False


def chat(args: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    """Run ``streamcall chat``; return the exit status."""
    from streamcall.cli._chat import Asker, Terminal
    from streamcall.cli._output import StderrLog
    from streamcall.cli._session import Conversation, Session, interactive
    from streamcall.cli._store import StoreError, saving_disabled
    from streamcall.errors import ConfigurationError
    from streamcall.registry import PROVIDERS

    def usage_error(message: str) -> int:
        err.write(f"streamcall chat: error: {message} (see streamcall chat --help)\n")
        return 2

    if args.cid is not None and args.continue_latest:
        return usage_error("-c/--continue and --cid go on with one conversation: give one")
    session = args.interactive or (args.prompt is None and _isatty(stdin))
    prompt = args.prompt
    if prompt == "-":
        prompt = _read_all(stdin)
    elif not session and not _isatty(stdin):
        piped = _read_all(stdin)
        prompt = "\n\n".join(part for part in (piped.strip("\n"), prompt) if part)
    if not session and not (prompt and prompt.strip()):
        return usage_error("the prompt is empty")
    try:
        store, record, named = _saved(args)
    except StoreError as exc:
        err.write(f"streamcall chat: error: {exc}\n")
        return 2

    provider = args.provider or (record.provider if record else None) or default_provider()
    if provider not in PROVIDERS:
        return usage_error(f"unknown provider {provider!r} (known: {', '.join(sorted(PROVIDERS))})")
    same = record is not None and record.provider == provider
    model = args.model or (record.model if same and record else default_models().get(provider, ""))
    if not model:
        return usage_error(f"--model is required for provider {provider!r}")
    term = Terminal(
        stdin,
        out,
        err,
        json=args.json,
        verbose=bool(args.verbose),
        hide_thinking=args.hide_thinking,
    )
    try:
        client = _make_client(provider, args)
    except ConfigurationError as exc:
        term.error(str(exc))
        return 2
    params = call_params(args.max_tokens, args.temperature, args.seed)
    if same and record is not None:  # going on: the conversation's own, unless given again
        kept = {k: v for k, v in record.params.items() if k in _SAVED_PARAMS}
        params = {**kept, **params}
    asker = Asker(provider, model, params, client, chosen_for_no_key=args.provider is None)
    conversation = (
        Conversation(system=args.system)
        if record is None
        else Conversation.of(record, args.system, same=not named)
    )
    chat_session = Session(
        asker,
        conversation,
        term,
        store,
        autosave=not (args.no_save or saving_disabled()),
        stats=not session or bool(args.verbose),
    )
    handler = StderrLog(
        term.spinner, retries=bool(args.verbose) or _isatty(err), verbose=term.verbose
    )
    try:
        with _logging(handler, args.verbose), warnings.catch_warnings():
            warnings.showwarning = _warning_line(term.spinner.say)
            if session:
                return interactive(chat_session, first=prompt)
            return chat_session.turn(prompt).status
    finally:
        if client is not None:
            client.close()


def chats(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``streamcall chats``: the saved conversations, the latest first."""
    from streamcall.cli._store import Store, StoreError, data_dir

    store = Store(data_dir())
    try:
        found, problems = store.listing()
    except StoreError as exc:
        err.write(f"streamcall chats: error: {exc}\n")
        return 2
    for problem in problems:
        err.write(f"streamcall chats: warning: skipped {problem}\n")
    if not found:
        err.write(f"no saved conversations in {store.root}\n")
        return 0
    rows = found[: args.count]
    width = max(len(key) for key, _ in rows)
    for key, record in rows:
        when = record.updated[:16].replace("T", " ")
        first = record.first_prompt
        first = first if len(first) <= 60 else first[:59] + "…"
        out.write(f"{key:<{width}}  {when}  {record.provider} {record.model}  {first}\n")
    return 0


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The ``streamcall`` command (``stdin``, ``stdout``, ``stderr``: the process's own
    unless given)."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["serve"]:
        from streamcall.serve import main as serve

        return serve(words[1:])
    args = _parser().parse_args(words)
    if args.command == "chat":
        return chat(args, stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr)
    if args.command == "chats":
        return chats(args, stdout or sys.stdout, stderr or sys.stderr)
    return 2  # pragma: no cover - argparse rejects other commands
