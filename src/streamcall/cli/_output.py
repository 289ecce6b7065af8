"""What the CLI writes besides the answer: the summary line, JSON objects, the spinner, the
log lines (retries, ``-v``). The formatting functions are pure; the spinner and the log
handler write to stderr under one lock."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from streamcall.core.base._accumulate import Usage

__all__ = [
    "Spinner",
    "StderrLog",
    "ThinkingText",
    "chunk_json",
    "summary_json",
    "summary_line",
    "token_counts",
]


def token_counts(usage: Usage | None) -> dict[str, int | None]:
    """Input and output tokens as the provider billed them, with the cached and reasoning
    parts: Anthropic's ``input_tokens`` leaves out cache reads and writes and Gemini's
    ``output_tokens`` leaves out reasoning, so they are added back here."""
    if usage is None:
        return dict.fromkeys(("input", "cached", "cache_write", "output", "reasoning"))
    tokens_in = usage.input_tokens
    if tokens_in is not None and not usage.input_includes_cached:
        tokens_in += (usage.cached_tokens or 0) + (usage.cache_write_tokens or 0)
    tokens_out = usage.output_tokens
    if tokens_out is not None and not usage.output_includes_reasoning:
        tokens_out += usage.reasoning_tokens or 0
    return {
        "input": tokens_in,
        "cached": usage.cached_tokens,
        "cache_write": usage.cache_write_tokens,
        "output": tokens_out,
        "reasoning": usage.reasoning_tokens,
    }


def _n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def summary_line(
    *,
    provider: str,
    model: str,
    usage: Usage | None,
    cost: float | None,
    first_token_s: float | None,
    generating_s: float,
    interrupted: bool,
) -> str:
    """The one line printed on stderr after an answer, e.g. ``[openai gpt-4o-mini] tokens
    in/out: 1,844/120 (in: 1,830 cached; out: 64 reasoning) | first token: 230 ms |
    45.1 tok/s | cost: $0.000412``."""
    counts = token_counts(usage)
    parts = []
    if counts["cached"] or counts["cache_write"]:
        cache = [f"{_n(counts['cached'])} cached"]
        if counts["cache_write"]:
            cache.append(f"{_n(counts['cache_write'])} written to the cache")
        parts.append("in: " + ", ".join(cache))
    if counts["reasoning"]:
        parts.append(f"out: {_n(counts['reasoning'])} reasoning")
    detail = f" ({'; '.join(parts)})" if parts else ""
    ttft = "n/a" if first_token_s is None else f"{first_token_s * 1000:.0f} ms"
    out = counts["output"]
    rate = f"{out / generating_s:.1f} tok/s" if out and generating_s > 0 else "tok/s n/a"
    priced = "unknown" if cost is None else f"${cost:.6f}"
    state = " (interrupted)" if interrupted else ""
    return (
        f"[{provider} {model}] tokens in/out: {_n(counts['input'])}/{_n(out)}{detail}"
        f" | first token: {ttft} | {rate} | cost: {priced}{state}"
    )


def _usage_json(usage: Usage | None) -> dict[str, int | None] | None:
    if usage is None:
        return None
    return {
        "input_tokens": usage.input_tokens,
        "cached_tokens": usage.cached_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
    }


def chunk_json(chunk: Any) -> str:
    """One chunk as a JSON line."""
    return json.dumps(
        {
            "type": "chunk",
            "content": chunk.content,
            "thinking": chunk.thinking or None,
            "finish_reasons": chunk.finish_reasons,
            "usage": _usage_json(chunk.usage),
        },
        ensure_ascii=False,
    )


def summary_json(stream: Any, interrupted: bool) -> str:
    """The last JSON line: what the whole answer was."""
    usage = stream.usage
    counts = token_counts(usage)
    return json.dumps(
        {
            "type": "summary",
            "provider": stream.provider,
            "model": stream.model,
            "id": stream.id,
            "finish_reasons": stream.finish_reasons,
            "provider_finish_reasons": stream.provider_finish_reasons,
            "usage": None
            if usage is None
            else {
                **_usage_json(usage),  # type: ignore[dict-item]
                "cache_write_tokens": usage.cache_write_tokens,
                "billed_input_tokens": counts["input"],
                "billed_output_tokens": counts["output"],
            },
            "cost": stream.cost,
            "tool_calls": [
                {"id": call.id, "name": call.name, "arguments": call.arguments_json}
                for call in stream.tool_calls
            ],
            "interrupted": interrupted,
        },
        ensure_ascii=False,
    )


_DIM = "\x1b[2m"
_PLAIN = "\x1b[0m"


class ThinkingText:
    """What to write on stderr for the model's reasoning, as ``ollama run`` shows it:
    ``Thinking...``, the text, then ``...done thinking.`` before the answer. Each piece is
    dimmed on its own when ``dim`` (a terminal), so an interruption leaves no style on."""

    def __init__(self, dim: bool) -> None:
        self._dim = dim
        self.started = False
        self.ended = False

    def _style(self, text: str) -> str:
        return f"{_DIM}{text}{_PLAIN}" if self._dim and text else text

    def part(self, text: str) -> str:
        """The text to write for a piece of reasoning."""
        if self.ended or not text:
            return ""
        head = "" if self.started else "Thinking...\n"
        self.started = True
        return self._style(head + text)

    def end(self) -> str:
        """The text to write when the answer starts or the stream ends ("" if no reasoning
        was shown, or it was closed already)."""
        if not self.started or self.ended:
            return ""
        self.ended = True
        return self._style("\n...done thinking.") + "\n\n"


_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_CLEAR = "\r\x1b[K"


class Spinner:
    """A spinner with the seconds waited, on a terminal's stderr, from :meth:`start` until
    :meth:`stop` (the first text). Other stderr lines go through :meth:`say`, which clears it
    first. Off (every method a no-op but :meth:`say`) when ``enabled`` is false."""

    def __init__(self, err: TextIO, enabled: bool, interval: float = 0.1) -> None:
        self._err = err
        self._enabled = enabled
        self._interval = interval
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self.label = ""
        self.mid_line = False
        """The answer's last line is not finished: a line said now starts a new one."""

    @property
    def enabled(self) -> bool:
        """It writes on a terminal."""
        return self._enabled

    def start(self, label: str) -> None:
        """Show ``label`` and the time waited, until :meth:`stop`."""
        self.label = label
        if not self._enabled or self._thread is not None:
            return
        self._done.clear()
        self._thread = threading.Thread(target=self._run, args=(time.monotonic(),), daemon=True)
        self._thread.start()

    def _run(self, started: float) -> None:
        frame = 0
        while not self._done.wait(self._interval):
            with self._lock:
                if self._done.is_set():
                    break
                waited = int(time.monotonic() - started)
                self._err.write(f"{_CLEAR}{_FRAMES[frame]} {self.label} {waited} s")
                self._err.flush()
            frame = (frame + 1) % len(_FRAMES)

    def stop(self) -> None:
        """Stop and clear the spinner's line."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        with self._lock:
            self._done.set()
            self._err.write(_CLEAR)
            self._err.flush()
        thread.join()

    def say(self, line: str) -> None:
        """Write ``line`` on stderr (over the spinner, which goes on below it)."""
        with self._lock:
            lead = _CLEAR if self._thread is not None else "\n" if self.mid_line else ""
            self.mid_line = False
            self._err.write(lead + line + "\n")
            self._err.flush()


_RETRYING = re.compile(r"retrying \S+ \S+ in ([\d.]+)s \(retry (\d+) of (\d+)\): (.*)", re.S)


class StderrLog(logging.Handler):
    """The library's log records on stderr, through the spinner: a retry as
    ``retrying in 2.0 s (attempt 2 of 3): <reason>`` when ``retries`` is set, every other
    record when ``verbose`` is. Records pass the library's key redaction before they get
    here (its filter sits on each logger)."""

    def __init__(self, spinner: Spinner, *, retries: bool, verbose: bool) -> None:
        super().__init__(logging.DEBUG)
        self._spinner = spinner
        self._retries = retries
        self._verbose = verbose

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record (one line) if it is wanted."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging reports it itself
            self.handleError(record)
            return
        retry = _RETRYING.fullmatch(message)
        if retry is not None:
            if self._retries:
                delay, number, most, reason = retry.groups()
                self._spinner.say(
                    f"streamcall: retrying in {float(delay):.1f} s (attempt "
                    f"{int(number) + 1} of {int(most) + 1}): {reason}"
                )
            return
        if self._verbose:
            self._spinner.say(f"streamcall: {record.name}: {message}")
