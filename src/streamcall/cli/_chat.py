"""One streamed answer on the terminal, and the interactive session made of them."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from streamcall.cli._output import Spinner, chunk_json, summary_json, summary_line

__all__ = ["Asker", "Terminal", "answer", "interactive"]

EXIT_BROKEN_PIPE = 141  # as a program killed by SIGPIPE: 128 + 13


@dataclass
class Terminal:
    """The three streams and how to write on them."""

    stdin: TextIO
    out: TextIO
    err: TextIO
    json: bool = False
    verbose: bool = False
    spinner: Spinner = field(init=False)

    def __post_init__(self) -> None:
        self.spinner = Spinner(self.err, enabled=_isatty(self.err))

    def error(self, message: str) -> None:
        """One ``streamcall: error: ...`` line on stderr."""
        self.spinner.say(f"streamcall: error: {message}")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or bare stream
        return False


@dataclass
class Asker:
    """Sends a conversation to one provider and model: ``asker(messages)`` is a stream."""

    provider: str
    model: str
    call_params: dict[str, Any]
    client: Any = None
    chosen_for_no_key: bool = False
    """The provider was picked because no key is set (a configuration error then says how to
    use a hosted one)."""

    def __call__(self, messages: list[Any]) -> Any:
        from streamcall import llm

        @llm.call(
            provider=self.provider,
            model=self.model,
            stream=True,
            call_params=self.call_params,
            client=self.client,
        )
        def ask() -> list[Any]:
            return messages

        return ask()

    def describe(self, messages: list[Any]) -> str:
        """What a call sends, in a line (no key: the client's repr hides it)."""
        where = getattr(self.client, "base_url", None)
        if where:
            from urllib.parse import urlsplit

            url = urlsplit(where)  # no credentials or query in a log line
            where = f"{url.scheme}://{url.hostname}{f':{url.port}' if url.port else ''}{url.path}"
        params = ", ".join(f"{k}={v!r}" for k, v in self.call_params.items()) or "none"
        return (
            f"asking {self.provider} {self.model}"
            + (f" at {where}" if where else "")
            + f": {len(messages)} message{'s' if len(messages) > 1 else ''}, parameters: {params}"
        )


@dataclass
class Outcome:
    """How an answer ended: the exit status and the stream (``None``: it never started)."""

    status: int
    stream: Any = None


def answer(asker: Asker, messages: list[Any], term: Terminal, summary: bool = True) -> Outcome:
    """Stream one answer to ``messages``: text (or JSON lines) on stdout, the summary on
    stderr. Ctrl-C stops it (status 130, what arrived kept); a closed stdout (``| head``)
    stops it quietly (status 141); either way the stream is closed, so the provider stops."""
    from streamcall.errors import (
        ConfigurationError,
        StreamcallError,
        StreamTimeoutError,
        ToolCallError,
    )

    spinner = term.spinner
    local = asker.provider == "local"
    if term.verbose:
        spinner.say(f"streamcall: {asker.describe(messages)}")
    spinner.start(f"{'loading' if local else 'waiting for'} {asker.model}")
    started = time.perf_counter()
    first: float | None = None
    stream = None
    interrupted = False
    try:
        stream = asker(messages)
        try:
            for chunk, _ in stream:
                if first is None and chunk.content:
                    first = time.perf_counter()
                    spinner.stop()
                elif first is None and chunk.thinking:
                    spinner.label = f"{asker.model} is thinking"
                if term.json:
                    term.out.write(chunk_json(chunk) + "\n")
                elif chunk.content:
                    term.out.write(chunk.content)
                    spinner.mid_line = not chunk.content.endswith("\n")
                term.out.flush()
        except ToolCallError:
            pass  # no tools are offered: the calls the model made end the answer (shown below)
    except KeyboardInterrupt:
        spinner.stop()
        if stream is None:
            term.err.write("\n")
            return Outcome(130)
        stream.close()
        interrupted = True
    except BrokenPipeError:
        spinner.stop()
        if stream is not None:
            stream.close()
        _silence(term.out)
        return Outcome(EXIT_BROKEN_PIPE, stream)
    except ConfigurationError as exc:
        spinner.stop()
        hint = ""
        if asker.chosen_for_no_key:
            from streamcall.cli import key_variables

            keys = ", ".join(variable for variable, _ in key_variables())
            hint = f"; or set a provider key to use a hosted provider ({keys})"
        term.error(f"{exc}{hint}")
        return Outcome(2, stream)
    except StreamcallError as exc:
        spinner.stop()
        if not term.json and stream is not None and stream.content:
            term.out.write("\n")
        hint = (
            "; allow more time with --timeout SECONDS"
            if isinstance(exc, StreamTimeoutError)
            else ""
        )
        term.error(f"{exc}{hint}")
        return Outcome(1, stream)
    finally:
        spinner.stop()
        spinner.mid_line = False
    try:
        if term.json:
            term.out.write(summary_json(stream, interrupted) + "\n")
        else:
            term.out.write("\n")
        term.out.flush()
    except BrokenPipeError:
        _silence(term.out)
        return Outcome(EXIT_BROKEN_PIPE, stream)
    if not term.json:
        for call in stream.tool_calls:
            term.err.write(f"tool call: {call.name}({call.arguments_json})\n")
    if summary:
        ended = time.perf_counter()
        term.err.write(
            summary_line(
                provider=stream.provider,
                model=stream.model,
                usage=stream.usage,
                cost=stream.cost,
                first_token_s=None if first is None else first - started,
                generating_s=ended - (first or started),
                interrupted=interrupted,
            )
            + "\n"
        )
        term.err.flush()
    return Outcome(130 if interrupted else 0, stream)


def _silence(out: TextIO) -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush finds no closed pipe
    (Python's advice for SIGPIPE)."""
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):  # not a file: nothing will flush to a pipe
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


HELP = """\
/exit, /quit, /bye or Ctrl-D   leave
/reset or /clear               forget the conversation (the system prompt stays)
/system TEXT                   set the system prompt (and forget the conversation)
/help                          this list
\"\"\"                            start or end a multi-line message
Ctrl-C stops an answer (what arrived stays in the conversation) without leaving."""


@dataclass
class Conversation:
    """The messages so far: the system prompt, then each user turn and the answer to it."""

    system: str | None = None
    history: list[Any] = field(default_factory=list)

    def messages(self, prompt: str) -> list[Any]:
        """The conversation with ``prompt`` as the next user message."""
        head = [{"role": "system", "content": self.system}] if self.system else []
        return [*head, *self.history, {"role": "user", "content": prompt}]

    def command(self, line: str) -> str | None:
        """Run a ``/command``: ``"exit"``, or a line to show; ``None``: ``line`` is a prompt."""
        word, _, rest = line.strip().partition(" ")
        if not word.startswith("/"):
            return "exit" if line.strip() in ("exit", "quit") else None
        if word in ("/exit", "/quit", "/bye"):
            return "exit"
        if word in ("/reset", "/clear"):
            self.history.clear()
            return "(conversation cleared)"
        if word == "/system":
            self.system = rest.strip() or None
            self.history.clear()
            return f"(system prompt {'set' if self.system else 'removed'}; conversation cleared)"
        if word in ("/help", "/?"):
            return HELP
        return f"unknown command {word} (/help lists them)"


def interactive(
    asker: Asker, conversation: Conversation, term: Terminal, first: str | None = None
) -> int:
    """The chat session: read a message, stream the answer, keep both; until Ctrl-D or
    ``/exit``. Ctrl-C during an answer stops that answer only; at the prompt it says how to
    leave."""
    read = _reader(term)
    term.err.write(
        f"Chatting with {asker.model} ({asker.provider}). /exit or Ctrl-D to leave, "
        "/reset to start over, /help for more.\n"
    )
    term.err.flush()
    pending = first
    while True:
        if pending is None:
            try:
                pending = _read_message(read)
            except KeyboardInterrupt:
                term.err.write("\n(Ctrl-D or /exit to leave)\n")
                continue
            if pending is None:
                term.err.write("\n")
                return 0
            said = conversation.command(pending)
            if said == "exit":
                return 0
            if said is not None or not pending.strip():
                if said:
                    term.err.write(said + "\n")
                pending = None
                continue
        messages = conversation.messages(pending)
        pending = None
        outcome = answer(asker, messages, term, summary=term.verbose)
        if outcome.status in (2, EXIT_BROKEN_PIPE):  # bad configuration, or no one reading
            return outcome.status
        if outcome.stream is not None and outcome.status in (0, 130):
            conversation.history += [messages[-1], outcome.stream.message_param]


def _reader(term: Terminal) -> Callable[[str], str | None]:
    """A function reading one line after a prompt (``None`` at the end of input): Python's
    ``input`` (line editing, history) on the process's own terminal, else the stream."""
    if term.stdin is sys.stdin and term.out is sys.stdout and _isatty(term.stdin):
        with contextlib.suppress(ImportError):  # a Python built without it
            import readline  # noqa: F401  (input() edits lines with it once imported)

        def read_input(prompt: str) -> str | None:
            try:
                return input(prompt)
            except EOFError:
                return None

        return read_input

    def read_stream(prompt: str) -> str | None:
        term.out.write(prompt)
        term.out.flush()
        line = term.stdin.readline()
        return line.rstrip("\n") if line else None

    return read_stream


def _read_message(read: Callable[[str], str | None]) -> str | None:
    """One message: a line, or the lines between two lines of ``\"\"\"``."""
    line = read(">>> ")
    if line is None or line.strip() != '"""':
        return line
    lines: list[str] = []
    while (line := read("... ")) is not None and line.strip() != '"""':
        lines.append(line)
    return "\n".join(lines)
