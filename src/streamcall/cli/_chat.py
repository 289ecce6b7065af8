"""One streamed answer on the terminal: the text on stdout, the rest on stderr."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from streamcall.cli._output import (
    Spinner,
    ThinkingText,
    chunk_json,
    summary_json,
    summary_line,
)

__all__ = ["Asker", "Outcome", "Terminal", "answer"]

EXIT_BROKEN_PIPE = 141  # as a program killed by SIGPIPE: 128 + 13


@dataclass
class Terminal:
    """The three streams and how to write on them."""

    stdin: TextIO
    out: TextIO
    err: TextIO
    json: bool = False
    verbose: bool = False
    hide_thinking: bool = False
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
    if summary and not local:  # the summary's cost: its price database loads while we wait
        _load_prices()
    shown = _Shown(term, asker.model)
    stream = None
    interrupted = False
    try:
        stream = asker(messages)
        try:
            for chunk, _ in stream:
                shown.chunk(chunk)
        except ToolCallError:
            pass  # no tools are offered: the calls the model made end the answer (shown below)
    except KeyboardInterrupt:
        shown.end_thinking()
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
        shown.end_thinking()
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
        shown.end_thinking()
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
                first_token_s=None if shown.first is None else shown.first - shown.started,
                generating_s=ended - (shown.first or shown.started),
                interrupted=interrupted,
            )
            + "\n"
        )
        term.err.flush()
    return Outcome(130 if interrupted else 0, stream)


class _Shown:
    """Writes each chunk where it goes: the answer on stdout (or JSON lines), the reasoning on
    stderr (unless hidden); notes when the answer started."""

    def __init__(self, term: Terminal, model: str) -> None:
        self.term = term
        self.model = model
        self.started = time.perf_counter()
        self.first: float | None = None
        self.thinking = ThinkingText(dim=term.spinner.enabled)

    def chunk(self, chunk: Any) -> None:
        """Show one chunk."""
        term, spinner = self.term, self.term.spinner
        if self.first is None and chunk.content:
            self.first = time.perf_counter()
            spinner.stop()
            self.end_thinking()
        elif self.first is None and chunk.thinking:
            spinner.label = f"{self.model} is thinking"
        if term.json:
            term.out.write(chunk_json(chunk) + "\n")
        else:
            if chunk.thinking and not term.hide_thinking:
                self._think(chunk.thinking)
            if chunk.content:
                term.out.write(chunk.content)
                spinner.mid_line = not chunk.content.endswith("\n")
        term.out.flush()

    def _think(self, text: str) -> None:
        self.term.spinner.stop()
        self._err(self.thinking.part(text))
        self.term.spinner.mid_line = not text.endswith("\n")

    def end_thinking(self) -> None:
        """Close the reasoning shown, if any (the answer starts, or the stream ended)."""
        if not self.term.json and (text := self.thinking.end()):
            self._err(text)
            self.term.spinner.mid_line = False

    def _err(self, text: str) -> None:
        if text:
            self.term.err.write(text)
            self.term.err.flush()


def _load_prices() -> None:
    """Load the price database (~0.1-0.2 s) on a thread, while the answer is awaited and
    streamed, rather than after it, before the summary."""
    import threading

    from streamcall.core.base import _prices_db

    threading.Thread(target=_prices_db.database_version, daemon=True).start()


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
