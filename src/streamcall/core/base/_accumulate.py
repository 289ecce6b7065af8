"""Mechanisms every provider's stream shares (pure): tool-call assembly, usage merge, partial JSON.

A provider adapter turns each raw chunk into plain facts (text, thinking, tool-call parts, a
usage report, finish reasons); :class:`StreamAccumulator` folds them into the state of the
response so far. Nothing here knows a provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

import msgspec

from streamcall.errors import StreamDecodeError

__all__ = [
    "AssembledToolCall",
    "PartialJSON",
    "StreamAccumulator",
    "TextPieces",
    "ToolCallAssembler",
    "ToolCallPart",
    "Usage",
    "UsageReport",
    "compact",
    "keep_unfinished",
    "merge_usage",
    "parse_partial_json",
    "parse_tool_arguments",
    "stable_call_id",
    "tool_output_text",
]


@dataclass(slots=True)
class Usage:
    """Token usage in a provider-neutral shape (``None``: the provider did not say).

    ``cached_tokens`` is ``0``, not ``None``, when the provider reports usage without a cache
    figure (as Mirascope v1 reports it).

    ``billed_*`` are set where the provider bills other counts than it processed (Cohere).
    ``input_tokens`` is the provider's own count: it includes ``cached_tokens`` unless
    ``input_includes_cached`` is false (Anthropic, whose cache reads and writes are separate);
    ``output_tokens`` includes ``reasoning_tokens`` unless ``output_includes_reasoning`` is
    false (Gemini).
    """

    input_tokens: int | None = None
    cached_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    reasoning_tokens: int | None = None
    billed_input_tokens: int | None = None
    billed_output_tokens: int | None = None
    cache_write_tokens: int | None = None
    input_includes_cached: bool = True
    output_includes_reasoning: bool = True

    def __repr__(self) -> str:
        """The counts the provider reported, e.g. ``Usage(input_tokens=12, output_tokens=30,
        cached_tokens=0)``: no ``None`` counts, billed counts only where they differ from
        input / output, and a flag only where it is not the default."""
        names = [f.name for f in fields(self)]
        counts, flags = [], []
        for name in [*_REPR_FIRST, *(n for n in names if n not in _REPR_FIRST)]:
            value = getattr(self, name)
            if isinstance(value, bool):
                if not value:
                    flags.append(f"{name}=False")
            elif value is not None and value != getattr(self, _REPR_SAME.get(name, ""), None):
                counts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(counts + flags)})"


_REPR_FIRST = ("input_tokens", "output_tokens", "cached_tokens")
_REPR_SAME = {"billed_input_tokens": "input_tokens", "billed_output_tokens": "output_tokens"}


class UsageReport(msgspec.Struct, frozen=True, gc=False):
    """Usage as one chunk reports it.

    ``cumulative=True`` (Mistral, Cohere, Anthropic's ``message_delta``, Gemini): the values are
    totals so far and replace earlier ones. ``cumulative=False``: they are increments and add.
    """

    input_tokens: int | None = None
    cached_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    reasoning_tokens: int | None = None
    billed_input_tokens: int | None = None
    billed_output_tokens: int | None = None
    cache_write_tokens: int | None = None
    input_includes_cached: bool = True
    output_includes_reasoning: bool = True
    cumulative: bool = True


def merge_usage(usage: Usage | None, report: UsageReport) -> Usage:
    """Fold one report into the usage so far (never double counting cumulative totals)."""
    merged = Usage() if usage is None else usage
    for name in ("input_tokens", "cached_tokens", "output_tokens", "total_tokens"):
        value = getattr(report, name)
        if value is None:
            continue
        if report.cumulative or getattr(merged, name) is None:
            setattr(merged, name, value)
        else:
            setattr(merged, name, getattr(merged, name) + value)
    for name in ("reasoning_tokens", "billed_input_tokens", "billed_output_tokens"):
        value = getattr(report, name)
        if value is not None:
            setattr(merged, name, value)
    if report.cache_write_tokens is not None:
        merged.cache_write_tokens = report.cache_write_tokens
    merged.input_includes_cached = report.input_includes_cached
    merged.output_includes_reasoning = report.output_includes_reasoning
    return merged


class ToolCallPart(msgspec.Struct, frozen=True, gc=False):
    """A piece of a tool call as one chunk carries it.

    ``arguments`` is a JSON fragment (appended), a whole JSON string, or an already parsed
    object. ``complete=True`` means the call arrived whole (Mistral, Gemini, Ollama).
    """

    index: int | None = None
    id: str | None = None
    name: str | None = None
    arguments: str | dict[str, Any] | None = None
    complete: bool = False


@dataclass(slots=True)
class AssembledToolCall:
    """A tool call: its id, name, the exact argument JSON and the parsed arguments.

    ``error`` says why the call cannot become a tool: arguments that are not a JSON object
    (they are then ``{}``), or an unfinished call. The call is kept all the same, so the
    conversation can still answer it.

    ``finished`` is ``False`` for a call the stream stopped in the middle of (a cut connection,
    an error in the stream, a cancelled stream) before the call's end arrived: its end event
    (Anthropic, Cohere, Responses), the next call or the finish reason (OpenAI Chat), or the
    stream's end. It is kept, last in ``stream.tool_calls`` and in ``message_param``, rather
    than dropped: ``arguments_json`` is the text received so far, exactly; ``arguments`` its
    parse when that text happens to be a whole JSON object, else ``{}``
    (``parse_partial_json(arguments_json)`` reads what it can of the rest); ``error`` says it is
    unfinished. It never becomes a tool instance (a response asked for its tools raises
    ``ToolArgumentsError``): arguments cut short may mean something else than the model meant.
    The official SDKs keep such a call, partial, in their stream snapshots (OpenAI's
    ``ChatCompletionStreamState``, Anthropic's ``current_message_snapshot``), and the Vercel AI
    SDK keeps a call it cannot use marked (``invalid``, its raw input kept) rather than dropping
    it; the flag says what a snapshot leaves to the reader.
    """

    id: str | None
    name: str
    arguments_json: str
    arguments: dict[str, Any]
    index: int | None = None
    error: str | None = None
    finished: bool = True


@dataclass(slots=True)
class _Pending:
    index: int | None
    id: str | None
    name: str | None
    parts: list[str] = field(default_factory=list)
    parsed: dict[str, Any] | None = None

    def arguments_complete(self) -> bool:
        """Whether the arguments so far are a whole JSON object (nothing more can follow)."""
        if self.parsed is not None:
            return True
        text = "".join(self.parts)
        if not text.rstrip().endswith("}"):
            return False
        try:
            return isinstance(msgspec.json.decode(text), dict)
        except msgspec.DecodeError:
            return False


class ToolCallAssembler:
    """Assembles tool calls from parts, keyed by id (or by index when no id is sent).

    Parallel calls never splice: a part joins the call with its id, else the open call with its
    index; a new id or index starts a new call. A call is finished when it arrives whole (or a
    part says ``complete``) and at the end of the stream. For protocols that send calls one
    after another without an end marker (OpenAI Chat, ``sequential=True``), a new call also
    finishes the calls before it, but only those whose arguments are already a whole JSON
    object, and only in order: compatible servers interleave fragments (call 0 starts, call 1
    starts, then the arguments of 0, then of 1), and a call is never finished before its
    arguments have arrived. Protocols with explicit end events use ``sequential=False``.
    """

    __slots__ = ("_open", "_sequential")

    def __init__(self, sequential: bool = True) -> None:
        self._open: list[_Pending] = []
        self._sequential = sequential

    def add(self, part: ToolCallPart) -> list[AssembledToolCall]:
        """Add a part; return the calls it finishes (in order)."""
        finished: list[AssembledToolCall] = []
        target = self.find(part)
        if target is None and part.complete and part.id is None and part.name is None:
            return finished  # the end of a block that was no tool call (Anthropic text)
        if target is None:
            if self._sequential:  # a different call starts: the whole ones before it are done
                while self._open and self._open[0].arguments_complete():
                    finished.append(_finish(self._open.pop(0)))
            target = _Pending(part.index, part.id, part.name)
            self._open.append(target)
        else:
            target.id = target.id or part.id
            target.name = target.name or part.name
        if isinstance(part.arguments, dict):
            target.parsed = part.arguments
        elif part.arguments:
            target.parts.append(part.arguments)
        if part.complete:
            self._open.remove(target)
            finished.append(_finish(target))
        return finished

    def open_pieces(self) -> tuple[object, list[str]] | None:
        """The most recent unfinished call (an identity) and the argument pieces it received so
        far (a list that grows as more arrive; read it, never change it)."""
        if not self._open:
            return None
        pending = self._open[-1]
        if pending.parsed is not None:
            return pending, [msgspec.json.encode(pending.parsed).decode()]
        return pending, pending.parts

    def open_arguments(self) -> str | None:
        """The argument text received so far for the most recent unfinished call."""
        if not self._open:
            return None
        pending = self._open[-1]
        if pending.parsed is not None:
            return msgspec.json.encode(pending.parsed).decode()
        return "".join(pending.parts)

    def finish(self) -> list[AssembledToolCall]:
        """The calls still open at the end of the stream."""
        done = [_finish(p) for p in self._open]
        self._open = []
        return done

    def stop(self) -> list[AssembledToolCall]:
        """The calls still open when the stream stopped before its end, marked unfinished
        (``finished=False``, see :class:`AssembledToolCall`)."""
        stopped = [_finish(p, finished=False) for p in self._open]
        self._open = []
        return stopped

    def find(self, part: ToolCallPart) -> _Pending | None:
        """The open call ``part`` continues, or ``None`` when it starts a new one."""
        if part.id is not None:
            for pending in self._open:
                if pending.id == part.id:
                    return pending
        if part.index is not None:
            for pending in self._open:
                if (
                    pending.index == part.index
                    and (part.id is None or pending.id is None)
                    and (part.name is None or part.name == pending.name)
                ):
                    return pending
            return None
        if part.id is None and part.name is None and self._open:
            return self._open[-1]  # a bare continuation of the latest open call
        return None


UNFINISHED = "unfinished: the stream stopped before the end of this tool call"
"""The ``error`` of a call the stream stopped in the middle of."""


def _finish(pending: _Pending, finished: bool = True) -> AssembledToolCall:
    error = None
    if pending.parsed is not None:
        arguments = pending.parsed
        text = msgspec.json.encode(arguments).decode()
    else:
        text = "".join(pending.parts)
        try:
            arguments = parse_tool_arguments(text)
        except StreamDecodeError as exc:
            arguments, error = {}, str(exc)
    if not finished:
        error = UNFINISHED
    return AssembledToolCall(
        pending.id, pending.name or "", text, arguments, pending.index, error, finished
    )


def keep_unfinished(response: Any, streamed: list[AssembledToolCall]) -> None:
    """Mark, in the calls of ``response`` (rebuilt from a stream), the calls the stream left
    unfinished: each becomes the stream's own call (matched by id; by position where the
    provider sends no id), so the response never makes a tool of one either. A stream that
    stopped in no call's middle costs one pass over its calls."""
    unfinished = {id(c): c for c in streamed if not c.finished}
    if not unfinished:
        return
    calls: list[AssembledToolCall] = response.facts.tool_calls
    by_id = {c.id: c for c in unfinished.values() if c.id is not None}
    aligned = len(calls) == len(streamed)
    for i, call in enumerate(calls):
        if call.id is not None:
            calls[i] = by_id.get(call.id, call)
        elif aligned and id(streamed[i]) in unfinished:
            calls[i] = streamed[i]


def tool_output_text(value: Any) -> str:
    """A tool's result as the text sent back to the model (JSON for data, else ``str``)."""
    if isinstance(value, str):
        return value
    try:
        return msgspec.json.encode(value).decode()
    except TypeError:
        return str(value)


def stable_call_id(scope: str | None, name: str, arguments: dict[str, Any]) -> str:
    """An id for a tool call that arrived without one (Gemini, some Ollama builds).

    Derived from the response id (or model), the name and the arguments, so it is the same on
    every replay and under any re-chunking.
    """
    import hashlib

    key = f"{scope}:{name}:{msgspec.json.encode(arguments).decode()}"
    return "call_" + hashlib.sha1(key.encode()).hexdigest()[:16]


def parse_tool_arguments(text: str) -> dict[str, Any]:
    """Arguments JSON -> dict. Empty text is ``{}`` (a zero-argument tool), never an error.

    Raises :class:`~streamcall.errors.StreamDecodeError` for text that is not a JSON object.
    """
    if not text.strip():
        return {}
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise StreamDecodeError(
            f"Tool-call arguments are not valid JSON: {exc}", raw=text[:2000]
        ) from None
    if not isinstance(value, dict):
        raise StreamDecodeError("Tool-call arguments are not a JSON object", raw=text[:2000])
    return value


def parse_partial_json(text: str) -> Any:
    """Read a JSON prefix (streamed tool arguments, a streamed response model) as far as it goes.

    What pydantic-core's ``from_json(text, allow_partial="trailing-strings")`` gives (the
    partial JSON pydantic-ai and Mirascope v1 read): open objects and arrays are closed, an
    unfinished string value is kept as far as it arrived (``{"a": 1, "b": "he`` gives
    ``{"a": 1, "b": "he"}``; half an escape is left out), an unfinished key is left out
    (``{"a": 1, "b`` gives ``{"a": 1}``), a number cut mid-way is the number so far
    (``{"year": 19`` gives ``{"year": 19}``), and a value that cannot be read yet (``tr``,
    ``nu``, ``1.``, ``1e``, ``-``) is left out. Text after a whole value is ignored. Returns
    ``None`` when there is nothing to read yet (empty text, ``tr``) or the text is not JSON; it
    never raises. One pass over ``text``; for text that grows a piece at a time, use
    :class:`PartialJSON`, which reads each piece once.
    """
    from pydantic_core import from_json  # imported on first use: ~40 ms

    try:
        return from_json(text, allow_partial="trailing-strings")
    except ValueError:
        return None


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r'[^ \t\n\r,:\[\]{}"]+')
_STRING_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_HIGH_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}")
# Where a container expects what: a value or its end (FIRST), a value (VALUE), a key or the
# end (FIRST_KEY), a key (KEY), a colon (COLON), a comma or the end (AFTER).
_FIRST, _VALUE, _FIRST_KEY, _KEY, _COLON, _AFTER = range(6)
_MISSING: Any = object()


class _Invalid(Exception):
    """The text is not JSON from here on."""


class _Frame:
    """An open object or array: its finished members and what it expects next."""

    __slots__ = ("container", "key", "state")

    def __init__(self, container: dict[str, Any] | list[Any]) -> None:
        self.container = container
        self.state = _FIRST_KEY if isinstance(container, dict) else _FIRST
        self.key: str | None = None


class PartialJSON:
    """JSON that arrives a piece at a time, read once: :meth:`feed` each piece, read
    :attr:`value` whenever the value so far is wanted.

    ``value`` is what :func:`parse_partial_json` gives for all the text fed so far, but each
    piece is read once: finished strings, numbers and members are decoded when they end and
    kept, so a stream of ``n`` characters costs ``O(n)`` in all, however it is cut, where
    reading the whole text again for every piece costs ``O(n²)``. Reading ``value`` copies the
    open objects and arrays (not what they hold) and the unfinished string, so a value shares
    its finished members with the next one: treat it as read-only. Text that is not JSON never
    raises: the value stays the one before the error (the partial a stream last showed, where
    :func:`parse_partial_json` gives ``None``), and :attr:`valid` turns false.
    """

    __slots__ = ("_buffer", "_decoded", "_done", "_frames", "_key", "_pending", "_result", "valid")

    def __init__(self) -> None:
        self._frames: list[_Frame] = []
        self._buffer = ""  # an unfinished number or literal (outside strings)
        self._key: bool | None = None  # an open string: a key (True) or a value (False)
        self._decoded: list[str] = []  # the open string's decoded text so far, in pieces
        self._pending = ""  # its raw tail not decoded yet (an escape may go on)
        self._done = False
        self._result: Any = None
        self.valid = True

    def feed(self, piece: str) -> None:
        """Read one more piece of the text."""
        if self._done or not piece:
            return
        try:
            self._read(piece)
        except _Invalid:
            self._result = self.value  # the value before the error, as from_json stops there
            self._done = True
            self.valid = False

    @property
    def value(self) -> Any:
        """The value so far (``None`` while nothing can be read yet)."""
        if self._done:
            return self._result
        tail = self._open_value()
        for frame in reversed(self._frames):
            container = frame.container
            if isinstance(container, dict):
                copy: Any = dict(container)
                if tail is not _MISSING and frame.state == _VALUE and frame.key is not None:
                    copy[frame.key] = tail
            else:
                copy = list(container)
                if tail is not _MISSING:
                    copy.append(tail)
            tail = copy
        return None if tail is _MISSING else tail

    def _open_value(self) -> Any:
        """The unfinished string, number or literal as far as it can be read, else _MISSING."""
        if self._key is False:
            try:
                rest = _from_json('"' + self._pending, partial=True) if self._pending else ""
            except ValueError:
                return _MISSING
            decoded = self._decoded
            if len(decoded) > 32:  # one copy of the string per read, and one per 32 pieces
                decoded[:] = ["".join(decoded)]
            if not rest and len(decoded) == 1:
                return decoded[0]
            return "".join([*decoded, rest])
        if self._buffer:
            try:
                return _from_json(self._buffer, partial=True)
            except ValueError:
                return _MISSING
        return _MISSING

    def _read(self, text: str) -> None:
        at = 0
        if self._key is not None:
            at = self._read_string(text, 0)
            if at < 0:
                return
        if self._buffer:
            text, at = self._buffer + text[at:], 0
            self._buffer = ""
        end = len(text)
        while not self._done:
            at = _WHITESPACE.match(text, at).end()  # type: ignore[union-attr]
            if at >= end:
                return
            char = text[at]
            frame = self._frames[-1] if self._frames else None
            state = frame.state if frame is not None else _VALUE
            if char == '"':
                if state in (_FIRST_KEY, _KEY):
                    self._key = True
                elif state in (_FIRST, _VALUE):
                    self._key = False
                else:
                    raise _Invalid
                self._decoded, self._pending = [], ""
                at = self._read_string(text, at + 1)
                if at < 0:
                    return
            elif char in "{[":
                if state not in (_FIRST, _VALUE):
                    raise _Invalid
                self._frames.append(_Frame({} if char == "{" else []))
                at += 1
            elif char in "}]":
                if frame is None or (char == "}") != isinstance(frame.container, dict):
                    raise _Invalid
                if state not in (_FIRST, _FIRST_KEY, _AFTER):
                    raise _Invalid
                self._frames.pop()
                self._put(frame.container)
                at += 1
            elif char == ",":
                if frame is None or state != _AFTER:
                    raise _Invalid
                frame.state = _KEY if isinstance(frame.container, dict) else _VALUE
                at += 1
            elif char == ":":
                if frame is None or state != _COLON:
                    raise _Invalid
                frame.state = _VALUE
                at += 1
            else:
                if state not in (_FIRST, _VALUE):
                    raise _Invalid
                token_end = _SCALAR.match(text, at).end()  # type: ignore[union-attr]
                if token_end >= end:
                    self._buffer = text[at:]  # it may go on in the next piece
                    return
                try:
                    value = _from_json(text[at:token_end])
                except ValueError:
                    raise _Invalid from None
                self._put(value)
                at = token_end

    def _read_string(self, text: str, at: int) -> int:
        """Read the open string on from ``text[at:]``; where the text goes on after its closing
        quote, or -1 while it is still open."""
        raw = self._pending + text[at:] if self._pending else text[at:]
        offset = at - len(self._pending)  # raw[i] is text[i + offset]
        body = _STRING_BODY.match(raw).end()  # type: ignore[union-attr]
        try:
            if body < len(raw) and raw[body] == '"':
                value = "".join([*self._decoded, _from_json('"' + raw[:body] + '"')])
                is_key, self._key = self._key, None
                self._decoded, self._pending = [], ""
                if is_key:
                    frame = self._frames[-1]
                    frame.key, frame.state = value, _COLON
                else:
                    self._put(value)
                return body + 1 + offset
            # Still open: decode up to the escape that may go on (a \uXXXX escape, or the high
            # half of a surrogate pair, spans at most 12 characters); raw starts at no escape.
            starts = [m.start() for m in _ESCAPE.finditer(raw, 0, body)]
            if body < len(raw):
                starts.append(body)  # a backslash, last
            late = [i for i, start in enumerate(starts) if start >= len(raw) - 12]
            cut = len(raw)
            if late:
                first = late[0]
                cut = starts[first]
                if first and starts[first - 1] == cut - 6 and _HIGH_SURROGATE.match(raw, cut - 6):
                    cut -= 6
            if cut:
                self._decoded.append(_from_json('"' + raw[:cut] + '"'))
            self._pending = raw[cut:]
            return -1
        except ValueError:
            raise _Invalid from None

    def _put(self, value: Any) -> None:
        """A finished value: a member of the open container, or the whole value."""
        if not self._frames:
            self._result, self._done = value, True
            return
        frame = self._frames[-1]
        if isinstance(frame.container, dict):
            frame.container[frame.key] = value  # type: ignore[index]
            frame.key = None
        else:
            frame.container.append(value)
        frame.state = _AFTER


def _from_json(text: str, partial: bool = False) -> Any:
    from pydantic_core import from_json

    return from_json(text, allow_partial="trailing-strings" if partial else False)


PIECE = 64
"""How many small strings :func:`compact` joins into one piece."""


def compact(parts: list[str], done: int) -> int:
    """Join the strings of ``parts`` after its first ``done`` pieces into one piece, once there
    are :data:`PIECE` of them; return the new count of pieces. A stream that keeps no chunks
    holds its text in pieces of ~64 deltas, not a string object per delta (~50 bytes each);
    each character is copied once, so the cost stays linear in the text."""
    if len(parts) - done < PIECE:
        return done
    parts[done:] = ["".join(parts[done:])]
    return done + 1


class TextPieces:
    """Text that arrives in many small deltas, kept as a few joined pieces (see
    :func:`compact`)."""

    __slots__ = ("done", "parts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.done = 0

    def add(self, text: str) -> None:
        """Append ``text``."""
        self.parts.append(text)
        self.done = compact(self.parts, self.done)

    def __str__(self) -> str:
        return "".join(self.parts)


class StreamAccumulator:
    """The response so far: text, thinking, finished tool calls, usage, finish reasons, ids."""

    __slots__ = (
        "finish_reasons",
        "id",
        "model",
        "text_done",
        "text_parts",
        "thinking_done",
        "thinking_parts",
        "tool_calls",
        "tools",
        "usage",
    )

    def __init__(self, sequential_tool_calls: bool = True) -> None:
        self.text_parts: list[str] = []
        self.thinking_parts: list[str] = []
        self.text_done = 0  # pieces at the start of text_parts already joined (compact_text)
        self.thinking_done = 0
        self.tools = ToolCallAssembler(sequential_tool_calls)
        self.tool_calls: list[AssembledToolCall] = []
        self.usage: Usage | None = None
        self.finish_reasons: list[str] | None = None
        self.id: str | None = None
        self.model: str | None = None

    @property
    def text(self) -> str:
        """All text so far."""
        if len(self.text_parts) > 1:
            self.text_parts = ["".join(self.text_parts)]
            self.text_done = 1
        return self.text_parts[0] if self.text_parts else ""

    @property
    def thinking(self) -> str:
        """All thinking / reasoning text so far."""
        return "".join(self.thinking_parts)

    def compact_text(self) -> None:
        """Join the text and thinking deltas into pieces (:func:`compact`): for a stream that
        keeps no chunks, whose deltas would otherwise each stay a string object."""
        self.text_done = compact(self.text_parts, self.text_done)
        self.thinking_done = compact(self.thinking_parts, self.thinking_done)

    def add_usage(self, report: UsageReport) -> None:
        """Merge a usage report."""
        self.usage = merge_usage(self.usage, report)

    def add_tool_part(self, part: ToolCallPart) -> list[AssembledToolCall]:
        """Add a tool-call part; return the calls it finishes."""
        done = self.tools.add(part)
        self.tool_calls.extend(done)
        return done

    def finish_tools(self) -> list[AssembledToolCall]:
        """Finish the calls still open at the end of the stream."""
        done = self.tools.finish()
        self.tool_calls.extend(done)
        return done

    def stop_tools(self) -> None:
        """The stream stopped before its end: the calls still open join ``tool_calls`` (never
        dropped), marked unfinished (see :class:`AssembledToolCall`); finished where the
        provider had sent its finish reason, after which no call can go on (as the OpenAI
        SDK ends its calls on ``finish_reason``; only OpenAI-style streams leave calls open
        until then)."""
        self.tool_calls.extend(self.tools.finish() if self.finish_reasons else self.tools.stop())
