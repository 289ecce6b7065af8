"""The provider-generic runner of the conformance suite.

A *writer* (``tests/conformance/writers/``) turns a provider-neutral :class:`~.answer.Answer`
into the exact body that provider's server sends, and says what streamcall must recover from it
(:class:`Expected`). This module serves such a body through the local replay server, runs it
through the provider's call decorator (sync or async, any re-chunking), collects everything the
stream and its response expose (:class:`Recovered`), and compares (:func:`check`).

    from tests.conformance.harness import conformance_property, error_property

    test_conformance = conformance_property(MyWriter())   # any answer, variant, chunking
    test_errors = error_property(MyWriter())              # the same, ending in an error

The providers (:data:`PROVIDERS`) come from the provider registry (``streamcall.registry``):
every provider reachable over HTTP, its client made by its entry, its call decorator the
registry's; a wire format needing another model or content type says so in
:data:`WIRE_MODELS` / :data:`WIRE_CONTENT_TYPES`. ``test_conformance_all.py`` runs the
properties for each of them.

Example counts: ``STREAMCALL_CONFORMANCE=deep`` multiplies them by ten (see :func:`examples`).
Under ``CI`` the examples are derandomized (the same ones on every run); elsewhere they are
random and hypothesis keeps failures in its database.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import inspect
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamcall.core.base import ReplayWarning
from streamcall.errors import StreamcallError, ToolArgumentsError
from tests.conformance.answer import TOOLS, Answer, ToolCall
from tests.replay import Chunking, ReplayServer, Reply

__all__ = [
    "EXTRA_SHAPES",
    "NDJSON",
    "NO_HTTP_WIRES",
    "PROVIDERS",
    "SSE",
    "WIRE_CONTENT_TYPES",
    "WIRE_MODELS",
    "ContentEvent",
    "Expected",
    "Provider",
    "Recovered",
    "Writer",
    "check",
    "chunkings",
    "conformance_property",
    "conformance_settings",
    "content_events",
    "error_prefix",
    "error_property",
    "examples",
    "list_cost",
    "run_and_check",
    "run_call",
    "tool_args",
    "with_error",
]

SSE = "text/event-stream"
NDJSON = "application/x-ndjson"


# -- providers ------------------------------------------------------------------------------

WIRE_MODELS: dict[str, str] = {
    "azure": "my-deployment",  # the deployment name is part of the URL (no default one)
    "cohere": "command-r-plus",  # Cohere streams name no model: the cost is the one asked for
}
"""The model asked for, by wire format, where the registry's default model will not do
(keyed by wire, not by provider: a new provider of a known wire needs nothing here)."""

WIRE_CONTENT_TYPES: dict[str, str] = {"ollama": NDJSON}
"""What the replay server sends as ``Content-Type``, by wire format (default: SSE)."""

EXTRA_SHAPES: dict[str, tuple[str, str]] = {"deepseek": ("openai", "deepseek-reasoner")}
"""Server shapes the suite writes that are not registry providers: ``key -> (the registry
provider that reaches them, the model asked for)``. DeepSeek is an OpenAI-compatible server:
the OpenAI client and ``openai_call``, against DeepSeek-shaped bodies."""


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Provider:
    """How the call layer reaches one provider (or one OpenAI-compatible server shape).

    Everything but the key comes from the provider registry (``streamcall.registry``).

    Attributes:
        key: The conformance suite's name for it (``PROVIDERS`` key).
        name: The registry provider that reaches it (``key`` itself, except for the shapes
            of :data:`EXTRA_SHAPES`).
        model: The model name asked for.
        content_type: What the replay server sends as ``Content-Type``.
    """

    key: str
    name: str
    model: str
    content_type: str = SSE

    @property
    def entry(self) -> Any:
        """The registry entry (``streamcall.registry.ProviderEntry``)."""
        from streamcall.registry import PROVIDERS as REGISTRY

        return REGISTRY[self.name]

    @property
    def wire(self) -> str:
        """The stream format (``entry.wire``)."""
        wire: str = self.entry.wire
        return wire

    @property
    def llm_provider(self) -> str:
        """The ``streamcall.llm`` provider name that reaches the same code."""
        return self.name

    @property
    def decorator(self) -> Callable[..., Any]:
        """The provider's call decorator (``openai_call`` ...; for a compatible provider, the
        other provider's call layer under this provider's name)."""
        from streamcall.registry import call_decorator

        return call_decorator(self.name)

    @property
    def spec(self) -> Any:
        """The call-layer spec: the entry's own, or (compatible) the other provider's."""
        return _spec(self.name)

    @property
    def tool_base(self) -> type[Any]:
        """The provider's tool base class (from its spec)."""
        base: type[Any] = self.spec.tool_base
        return base

    @property
    def tools(self) -> list[Any]:
        """The catalogue :data:`TOOLS` as this provider's tool classes (what the decorator
        makes of the functions; converted once, since pydantic model creation is slow)."""
        return _tool_types(self.tool_base)

    def make_client(self, url: str, **more: Any) -> Any:
        """A client pointed at ``url`` (``more``: ``client=`` / ``async_client=``, an
        ``httpx2`` client), made by the registry entry."""
        return self.entry.make_client(api_key="test-key", base_url=url, **more)


@cache
def _spec(name: str) -> Any:
    from streamcall.registry import PROVIDERS as REGISTRY

    entry = REGISTRY[name]
    path = entry.spec if entry.spec is not None else REGISTRY[entry.compatible or ""].spec
    assert path is not None, f"{name} has no spec of its own nor a compatible provider's"
    return _load(path)()


@cache
def _tool_types(tool_base: type[Any]) -> list[Any]:
    from streamcall.core.base.tool import to_tool_type

    return [to_tool_type(fn, tool_base) for fn in TOOLS]


NO_HTTP_WIRES = frozenset({"local"})
"""Wire formats with no HTTP (a model run in process): not reachable through the replay server."""


def _registry_providers() -> dict[str, Provider]:
    from streamcall.registry import PROVIDERS as REGISTRY

    out = {}
    for name, entry in REGISTRY.items():
        if entry.wire in NO_HTTP_WIRES:
            continue
        out[name] = Provider(
            name,
            name,
            WIRE_MODELS.get(entry.wire, entry.default_model),
            WIRE_CONTENT_TYPES.get(entry.wire, SSE),
        )
    for key, (name, model) in EXTRA_SHAPES.items():
        wire = REGISTRY[name].wire
        out[key] = Provider(key, name, model, WIRE_CONTENT_TYPES.get(wire, SSE))
    return out


PROVIDERS: dict[str, Provider] = _registry_providers()
"""Every registry provider reachable over HTTP (``local`` is not), plus :data:`EXTRA_SHAPES`."""


# -- what a writer promises -----------------------------------------------------------------

ToolTuple = tuple[str | None, str, dict[str, Any]]


@dataclass(frozen=True)
class Expected:
    """What streamcall must recover from a body (the writer computes it from the answer).

    Attributes:
        text, thinking: The joined text and thinking (up to the error, if any).
        tool_calls: ``(id, name, arguments)`` of the calls streamcall must yield, in order:
            those that were *finished by the protocol* before the stream ended or failed.
            ``arguments`` as the model sent them (defaults are filled in for the tool
            instances by :func:`tool_args`).
        finish_reasons: The provider's raw values (``None`` when the stream never said).
        input_tokens, output_tokens, cached_tokens: By the provider's own usage rule
            (``None`` where the wire carries no such count).
        reasoning_tokens: Checked against ``common_usage.reasoning_tokens`` unless ``...``.
        error: The typed error class the stream must raise (``None``: it must end normally).
        error_match: A substring the error's message must contain.
        ids_in_messages: Whether each yielded tool's id must appear in ``message_param`` and
            ``tool_message_params`` (false for providers whose messages carry no ids).
        cost: The cost in USD (``None``: none), checked unless ``...`` (see
            :func:`list_cost`).
        unfinished: The calls the stream failed in the middle of: kept after ``tool_calls``
            in ``stream.tool_calls`` and ``message_param``, ``finished=False``, never a tool.
    """

    text: str = ""
    thinking: str = ""
    tool_calls: tuple[ToolTuple, ...] = ()
    finish_reasons: list[str] | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: Any = ...
    error: type[BaseException] | None = None
    error_match: str | None = None
    ids_in_messages: bool = True
    cost: Any = ...
    unfinished: tuple[ToolTuple, ...] = ()

    @property
    def has_usage(self) -> bool:
        return self.input_tokens is not None or self.output_tokens is not None


@runtime_checkable
class Writer(Protocol):
    """A provider's body writer (one module per provider under ``writers/``).

    Required:
        provider: A :data:`PROVIDERS` key.
        variants: The server shapes it can write (``"official"``, ``"llama_cpp"``, ...).
        strategy(): The answers this provider can express.
        write(answer, variant): The exact response body.
        expected(answer, variant): What streamcall must recover from that body.

    Optional (looked up with ``getattr``):
        variants_for(answer) -> tuple[str, ...]: the variants that can express this answer
            (default: all ``variants``).
        errors: bool, whether the provider can signal an in-stream error (default true;
            :func:`error_property` refuses a writer that says false).
        check_extra(recovered, expected, answer, variant): provider-specific assertions
            (the message formats, say), run after :func:`check`.
        content_type: overrides the provider's ``Content-Type``.
    """

    provider: str
    variants: tuple[str, ...]

    def strategy(self) -> st.SearchStrategy[Answer]: ...

    def write(self, answer: Answer, variant: str) -> bytes: ...

    def expected(self, answer: Answer, variant: str) -> Expected: ...


# -- the canonical order of an answer's content -----------------------------------------------


@dataclass(frozen=True)
class ContentEvent:
    """One content event of an answer: a thinking piece, a text piece, or a whole tool call."""

    kind: str  # "thinking" | "text" | "tool"
    value: Any  # str, or a ToolCall


def content_events(answer: Answer) -> list[ContentEvent]:
    """The answer's content events in stream order: thinking pieces, text pieces, tool calls.

    ``Answer.error_after = k`` means: the error comes after the first ``k`` of these.
    """
    return [
        *(ContentEvent("thinking", p) for p in answer.thinking),
        *(ContentEvent("text", p) for p in answer.text),
        *(ContentEvent("tool", c) for c in answer.tool_calls),
    ]


def error_prefix(answer: Answer) -> tuple[str, str, tuple[ToolCall, ...]]:
    """Text, thinking and tool calls written before the error (all of them without one)."""
    events = content_events(answer)
    if answer.error_after is not None:
        events = events[: answer.error_after]
    text = "".join(e.value for e in events if e.kind == "text")
    thinking = "".join(e.value for e in events if e.kind == "thinking")
    tools = tuple(e.value for e in events if e.kind == "tool")
    return text, thinking, tools


def tool_args(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The ``tool.args`` a catalogue tool instance has for these arguments (defaults filled)."""
    fn = next(f for f in TOOLS if f.__name__ == name)
    args = {}
    for pname, param in inspect.signature(fn).parameters.items():
        if pname in arguments:
            args[pname] = arguments[pname]
        elif param.default is not param.empty:
            args[pname] = param.default
    return args


@cache
def _prices() -> dict[str, Any]:
    import streamcall.core.base as base

    table: dict[str, Any] = json.loads((Path(base.__file__).parent / "prices.json").read_text())
    return table


def list_cost(
    table: str,
    entry: str,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
) -> float:
    """USD by the list price ``prices.json`` gives for ``table``/``entry`` (an exact entry:
    the test names it, no lookup rules), input including cached tokens (OpenAI's rule).

    A ``table`` that ``prices.json`` lacks is a registry provider: its entry's own ``prices``
    (an OpenAI-compatible provider's)."""
    price = _prices()["providers"].get(table, {}).get(entry)
    if price is None:
        from streamcall.registry import PROVIDERS as REGISTRY

        model_price = REGISTRY[table].prices[entry]
        price = {
            "input": model_price.input,
            "output": model_price.output,
            "cached_input": model_price.cached_input,
        }
    cached_rate = price.get("cached_input")
    if cached_rate is None:
        cached_rate = price["input"]
    uncached = max(input_tokens - cached_tokens, 0)
    total = uncached * price["input"] + cached_tokens * cached_rate
    return (total + output_tokens * price["output"]) / 1e6


def with_error(strategy: st.SearchStrategy[Answer]) -> st.SearchStrategy[Answer]:
    """The answers of ``strategy``, each ending in an error after some ``k`` content events."""

    @st.composite
    def build(draw: st.DrawFn) -> Answer:
        answer = draw(strategy)
        k = draw(st.integers(0, len(content_events(answer))))
        return dataclasses.replace(answer, error_after=k)

    return build()


# -- running a body through the call layer --------------------------------------------------


@dataclass
class Recovered:
    """Everything streamcall exposes after iterating a stream (and what failed, if anything)."""

    text: str = ""
    """``chunk.content`` summed over the iteration."""
    content: str = ""
    """``stream.content``."""
    thinking: str = ""
    chunk_thinking: str | None = None
    """``chunk.thinking`` summed over the iteration (``None`` where chunks have none)."""
    yielded_tools: list[ToolTuple] = field(default_factory=list)
    """``(tool.tool_call_id, tool._name(), tool.args)`` for each tool yielded while iterating."""
    tool_calls: list[ToolTuple] = field(default_factory=list)
    """``stream.tool_calls`` as ``(id, name, arguments)``."""
    tool_calls_json: list[str] = field(default_factory=list)
    unfinished: list[ToolTuple] = field(default_factory=list)
    """The calls of ``tool_calls`` marked ``finished=False``."""
    finish_reasons: list[str] | None = None
    common_finish_reasons: list[str] | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    common_usage: Any = None
    cost: float | None = None
    id: str | None = None
    model: str | None = None
    chunks: int = 0
    chunk_types: set[type] = field(default_factory=set)
    """The classes of the chunks yielded."""
    error: BaseException | None = None
    response_content: str = ""
    response_thinking: str = ""
    response_tools: list[ToolTuple] | None = None
    response_finish_reasons: list[str] | None = None
    response_cost: float | None = None
    message_param: Any = None
    tool_message_params: list[Any] = field(default_factory=list)
    stream: Any = None
    """The provider stream itself, for provider-specific checks."""
    response: Any = None
    """``stream.construct_call_response()`` (the provider's response), for the same."""
    requests: list[Any] = field(default_factory=list)
    """What the replay server received."""


def _decorated(
    provider: Provider, client: Any, asynchronous: bool, via_llm: bool, replay: bool = True
) -> Callable[[], Any]:
    stream: Any = {"replay": True} if replay else True  # the default keeps no replay
    if via_llm:
        from streamcall import llm

        assert provider.llm_provider is not None, f"{provider.key} has no llm provider"
        decorator = llm.call(
            provider=provider.llm_provider,
            model=provider.model,
            stream=stream,
            tools=provider.tools,
            client=client,
        )
    else:
        decorator = provider.decorator(
            provider.model, stream=stream, tools=provider.tools, client=client
        )
    if asynchronous:

        async def ask_async() -> str:
            return "Use the tools."

        return decorator(ask_async)  # type: ignore[no-any-return]

    def ask() -> str:
        return "Use the tools."

    return decorator(ask)  # type: ignore[no-any-return]


def _note_tool(recovered: Recovered, tool: Any) -> None:
    if tool is not None:
        recovered.yielded_tools.append((tool.tool_call_id, tool._name(), tool.args))


def _note_chunk(recovered: Recovered, chunk: Any) -> None:
    recovered.chunks += 1
    recovered.chunk_types.add(type(chunk))
    recovered.text += chunk.content
    thinking = getattr(chunk, "thinking", None)
    if isinstance(thinking, str):
        recovered.chunk_thinking = (recovered.chunk_thinking or "") + thinking


def _collect(recovered: Recovered, outer: Any, via_llm: bool) -> None:
    """Read the stream's state after the iteration (``outer``: a provider or llm stream)."""
    stream = outer.stream if via_llm else outer  # llm.Stream.stream: the provider stream
    recovered.stream = stream
    recovered.content = stream.content
    recovered.thinking = stream.thinking
    recovered.tool_calls = [(c.id, c.name, c.arguments) for c in stream.tool_calls]
    recovered.tool_calls_json = [c.arguments_json for c in stream.tool_calls]
    recovered.unfinished = [
        (c.id, c.name, c.arguments) for c in stream.tool_calls if not c.finished
    ]
    recovered.finish_reasons = stream.finish_reasons
    recovered.common_finish_reasons = stream.common_finish_reasons
    recovered.input_tokens = stream.input_tokens
    recovered.output_tokens = stream.output_tokens
    recovered.cached_tokens = stream.cached_tokens
    recovered.common_usage = stream.common_usage
    recovered.cost = stream.cost
    recovered.id = stream.id
    recovered.model = stream.model
    outer_response = outer.construct_call_response()
    response = outer_response.response if via_llm else outer_response
    recovered.response = response
    recovered.response_content = response.content
    recovered.response_thinking = response.thinking
    if recovered.unfinished:  # a response never makes a tool of an unfinished call
        with pytest.raises(ToolArgumentsError, match="unfinished"):
            _ = response.tools
        tools = [response._tool_for(c) for c in response.facts.tool_calls if c.finished] or None
    else:
        tools = response.tools
    recovered.response_tools = (
        None if tools is None else [(t.tool_call_id, t._name(), t.args) for t in tools]
    )
    recovered.response_finish_reasons = response.finish_reasons
    recovered.response_cost = response.cost
    recovered.message_param = outer.message_param
    if stream._lean:
        _check_keeps_no_replay(stream)


def _check_keeps_no_replay(stream: Any) -> None:
    """A stream made without ``stream={"replay": True}``: no text delta stays, beyond the few
    a provider reads its views from (Responses: an item's first delta), and iterating it again
    yields nothing with a ``ReplayWarning`` (a failed one raises its error again)."""
    plain = [
        entry
        for entry in stream._history
        if entry.__class__ is not list
        and (entry.facts.content or entry.facts.thinking)
        and entry.facts.usage is None
    ]
    assert len(plain) <= 4, f"a stream without replay kept {len(plain)} text chunks"
    with pytest.warns(ReplayWarning):
        if stream.error is None:
            assert list(stream) == []
        else:
            with pytest.raises(type(stream.error)) as again:
                list(stream)
            assert again.value is stream.error


def _run_sync(fn: Callable[[], Any], client: Any, recovered: Recovered, via_llm: bool) -> None:
    yielded: list[Any] = []
    try:
        stream = fn()
        try:
            for chunk, tool in stream:
                _note_chunk(recovered, chunk)
                _note_tool(recovered, tool)
                if tool is not None:
                    yielded.append(tool)
        except StreamcallError as exc:
            recovered.error = exc
        _collect(recovered, stream, via_llm)
        recovered.tool_message_params = stream.tool_message_params(
            [(tool, f"output {i}") for i, tool in enumerate(yielded)]
        )
    finally:
        client.close()


async def _run_async(
    fn: Callable[[], Any], client: Any, recovered: Recovered, via_llm: bool
) -> None:
    yielded: list[Any] = []
    try:
        stream = await fn()
        try:
            async for chunk, tool in stream:
                _note_chunk(recovered, chunk)
                _note_tool(recovered, tool)
                if tool is not None:
                    yielded.append(tool)
        except StreamcallError as exc:
            recovered.error = exc
        _collect(recovered, stream, via_llm)
        recovered.tool_message_params = stream.tool_message_params(
            [(tool, f"output {i}") for i, tool in enumerate(yielded)]
        )
    finally:
        await client.aclose()
        client.close()


@cache
def _ssl_context() -> Any:
    import ssl

    return ssl.create_default_context()


def _http_client(asynchronous: bool) -> Any:
    """An ``httpx2`` client as streamcall's clients make their own, but sharing one SSL
    context: loading the CA bundle for every example would cost more than the example."""
    import httpx2

    from streamcall.transport.timeouts import DEFAULT_TIMEOUTS

    cls = httpx2.AsyncClient if asynchronous else httpx2.Client
    return cls(verify=_ssl_context(), timeout=DEFAULT_TIMEOUTS.to_httpx(), follow_redirects=True)


def run_call(
    server: ReplayServer,
    provider: str,
    body: bytes,
    chunking: Chunking | None = None,
    *,
    asynchronous: bool = False,
    content_type: str | None = None,
    via_llm: bool = False,
    replay: bool = True,
) -> Recovered:
    """Serve ``body`` (re-chunked) and run it through ``provider``'s call decorator.

    The decorated function offers every catalogue tool (``TOOLS``) and streams. The stream is
    iterated with ``for`` (or ``async for`` on a fresh event loop); a :class:`StreamcallError`
    raised by the iteration is kept in ``error``, anything else propagates (a bug). With
    ``via_llm`` the call goes through ``streamcall.llm.call`` instead.
    """
    spec = PROVIDERS[provider]
    url = server.route(
        Reply(
            body=body,
            chunking=chunking or Chunking.whole(),
            content_type=content_type or spec.content_type,
        )
    )
    http = _http_client(asynchronous)
    client = spec.make_client(url, **{"async_client" if asynchronous else "client": http})
    recovered = Recovered()
    fn = _decorated(spec, client, asynchronous, via_llm, replay)
    try:
        if asynchronous:

            async def run() -> None:
                try:
                    await _run_async(fn, client, recovered, via_llm)
                finally:
                    await http.aclose()

            asyncio.run(run())
        else:
            _run_sync(fn, client, recovered, via_llm)
    finally:
        if not asynchronous:
            http.close()
    recovered.requests = list(server.requests(url))
    return recovered


# -- checking -------------------------------------------------------------------------------


def _fail(what: str, got: Any, want: Any) -> str:
    return f"{what}:\n  streamcall recovered {got!r}\n  expected             {want!r}"


def check(recovered: Recovered, expected: Expected) -> None:
    """Assert that ``recovered`` is what ``expected`` says, one clear message per mismatch."""
    r, e = recovered, expected
    if e.error is None:
        assert r.error is None, f"the stream raised {r.error!r}, expected it to end normally"
    else:
        assert isinstance(r.error, e.error), _fail("error", r.error, e.error)
        if e.error_match is not None:
            assert e.error_match in str(r.error), _fail(
                "error message", str(r.error), e.error_match
            )
    assert r.text == e.text, _fail("text (chunk.content summed)", r.text, e.text)
    assert r.content == e.text, _fail("stream.content", r.content, e.text)
    assert r.thinking == e.thinking, _fail("stream.thinking", r.thinking, e.thinking)
    if r.chunk_thinking is not None:
        assert r.chunk_thinking == e.thinking, _fail(
            "thinking (chunk.thinking summed)", r.chunk_thinking, e.thinking
        )
    want_calls = [(i, n, a) for i, n, a in (*e.tool_calls, *e.unfinished)]
    assert r.unfinished == list(e.unfinished), _fail("unfinished", r.unfinished, e.unfinished)
    want_tools = [(i, n, tool_args(n, a)) for i, n, a in e.tool_calls]
    assert r.tool_calls == want_calls, _fail("stream.tool_calls", r.tool_calls, want_calls)
    assert r.yielded_tools == want_tools, _fail("tools yielded", r.yielded_tools, want_tools)
    assert r.finish_reasons == e.finish_reasons, _fail(
        "stream.finish_reasons", r.finish_reasons, e.finish_reasons
    )
    tokens = (r.input_tokens, r.output_tokens, r.cached_tokens)
    want_tokens = (e.input_tokens, e.output_tokens, e.cached_tokens)
    assert tokens == want_tokens, _fail("(input, output, cached) tokens", tokens, want_tokens)
    if not e.has_usage:
        assert r.common_usage is None, _fail("common_usage", r.common_usage, None)
        assert r.cost is None, _fail("cost without usage", r.cost, None)
    elif e.reasoning_tokens is not ...:
        got = r.common_usage.reasoning_tokens
        assert got == e.reasoning_tokens, _fail("reasoning tokens", got, e.reasoning_tokens)
    # The whole response built from the stream says the same.
    assert r.response_content == e.text, _fail("response.content", r.response_content, e.text)
    assert r.response_thinking == e.thinking, _fail(
        "response.thinking", r.response_thinking, e.thinking
    )
    assert (r.response_tools or []) == want_tools, _fail(
        "response.tools", r.response_tools, want_tools
    )
    assert r.response_finish_reasons == e.finish_reasons, _fail(
        "response.finish_reasons", r.response_finish_reasons, e.finish_reasons
    )
    assert r.response_cost == r.cost, _fail("response.cost", r.response_cost, r.cost)
    if e.cost is not ...:
        if e.cost is None:
            assert r.cost is None, _fail("cost", r.cost, None)
        else:
            assert r.cost is not None, _fail("cost", r.cost, e.cost)
            assert math.isclose(r.cost, e.cost, rel_tol=1e-9, abs_tol=1e-15), _fail(
                "cost", r.cost, e.cost
            )
    assert r.message_param is not None
    if e.ids_in_messages:
        for call_id, _, _ in want_tools:
            assert call_id is not None
            assert call_id in repr(r.message_param), _fail(
                "tool call id in message_param", r.message_param, call_id
            )
            assert call_id in repr(r.tool_message_params), _fail(
                "tool call id in tool_message_params", r.tool_message_params, call_id
            )


# -- hypothesis -----------------------------------------------------------------------------


def _profile() -> str:
    return os.environ.get("STREAMCALL_CONFORMANCE", "default").strip().lower() or "default"


def examples(default: int) -> int:
    """The example count for a property: ``default`` normally, ten times more with
    ``STREAMCALL_CONFORMANCE=deep``; ``STREAMCALL_CONFORMANCE=<n>`` multiplies by ``n``."""
    profile = _profile()
    if profile == "deep":
        return default * 10
    if profile.isdigit():
        return max(1, default * int(profile))
    return default


def conformance_settings(default_examples: int) -> settings:
    """Hypothesis settings for a conformance property (see the module docstring)."""
    deep = _profile() != "default"
    return settings(
        max_examples=examples(default_examples),
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
        derandomize=bool(os.environ.get("CI")) and not deep,
        print_blob=True,
    )


def chunkings() -> st.SearchStrategy[Chunking]:
    """How the replay server cuts the body: whole, fixed sizes (1..64 bytes, cycled), or
    random sizes from a seed."""
    return st.one_of(
        st.just(Chunking.whole()),
        st.lists(st.integers(1, 64), min_size=1, max_size=6).map(lambda s: Chunking.fixed(*s)),
        st.builds(Chunking.random, st.integers(0, 2**32 - 1), st.integers(1, 64)),
    )


def _variant(writer: Writer, answer: Answer) -> st.SearchStrategy[str]:
    variants_for = getattr(writer, "variants_for", None)
    variants: Sequence[str] = variants_for(answer) if variants_for else writer.variants
    assert variants, f"no variant of {writer.provider} can write {answer!r}"
    return st.sampled_from(tuple(variants))


def run_and_check(
    server: ReplayServer,
    writer: Writer,
    answer: Answer,
    variant: str,
    chunking: Chunking,
    *,
    asynchronous: bool = False,
    via_llm: bool = False,
    replay: bool = True,
) -> Recovered:
    """Write ``answer`` in ``variant``, run it, and check it (plus ``writer.check_extra``);
    ``replay=False`` streams with ``stream={"replay": False}``, which must recover the same."""
    body = writer.write(answer, variant)
    recovered = run_call(
        server,
        writer.provider,
        body,
        chunking,
        asynchronous=asynchronous,
        content_type=getattr(writer, "content_type", None),
        via_llm=via_llm,
        replay=replay,
    )
    expected = writer.expected(answer, variant)
    check(recovered, expected)
    extra = getattr(writer, "check_extra", None)
    if extra is not None:
        extra(recovered, expected, answer, variant)
    return recovered


def conformance_property(
    writer: Writer,
    *,
    max_examples: int = 200,
    strategy: st.SearchStrategy[Answer] | None = None,
    asynchronous: bool | None = None,
) -> Callable[..., None]:
    """A pytest test (taking the ``server`` fixture): any answer of ``writer.strategy()`` (or
    ``strategy``), any variant that can express it, any re-chunking, sync or async (or only
    the one given), through :func:`run_call`, checked against ``writer.expected``.

    Bind it to a ``test_*`` name in a test module.
    """
    answers = strategy if strategy is not None else writer.strategy()
    modes = st.just(asynchronous) if asynchronous is not None else st.booleans()

    @st.composite
    def case(draw: st.DrawFn) -> tuple[Answer, str]:
        answer = draw(answers)
        return answer, draw(_variant(writer, answer))

    @conformance_settings(max_examples)
    @given(case=case(), chunking=chunkings(), asynchronous=modes, replay=st.booleans())
    def test(
        server: ReplayServer,
        case: tuple[Answer, str],
        chunking: Chunking,
        asynchronous: bool,
        replay: bool,
    ) -> None:
        answer, variant = case
        run_and_check(
            server, writer, answer, variant, chunking, asynchronous=asynchronous, replay=replay
        )

    test.__name__ = f"test_{writer.provider.replace('-', '_')}_conformance"
    return test


def error_property(
    writer: Writer, *, max_examples: int = 100, asynchronous: bool | None = None
) -> Callable[..., None]:
    """As :func:`conformance_property`, with every answer ending in an in-stream error after
    ``k`` content events: everything before it is kept and the typed error is raised."""
    assert getattr(writer, "errors", True), f"{writer.provider} writes no in-stream errors"
    return conformance_property(
        writer,
        max_examples=max_examples,
        strategy=with_error(writer.strategy()),
        asynchronous=asynchronous,
    )


# -- reading written bodies (the writers' framing tests) ----------------------------------------


def events(body: bytes) -> list[tuple[str, str]]:
    """``(event name, data text)`` of every SSE block."""
    out = []
    for block in body.decode().split("\n\n"):
        if block:
            name, data = block.split("\n")
            out.append((name.removeprefix("event: "), data.removeprefix("data: ")))
    return out


def shape(value: Any) -> Any:
    """The keys (in order) and value types of a JSON value, recursively."""
    if isinstance(value, dict):
        return tuple((k, shape(v)) for k, v in value.items())
    if isinstance(value, list):
        return ("list", shape(value[0]) if value else None)
    return type(value).__name__
