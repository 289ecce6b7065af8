"""``response_model``: turn an answer into a pydantic model instance, whole or streamed.

By default the model is offered a tool whose arguments are the response model's fields and is
made to call it; with ``json_mode=True`` it is asked for a JSON object instead.

A streamed call yields partial instances, as Mirascope v1's partial models do: one per event
the provider sends once the object has begun (an event that adds nothing gives the same
partial again), each an instance of ``Partial<Model>`` (a subclass of the response model in
which every field, nested models and list items included, is optional with default ``None``),
validated from the JSON received so far, so ``partial.author`` is ``None`` until it arrives and
never raises. A value that does not validate yet (half a ``Literal``, a constrained field)
stays ``None`` until it does. The last item is the validated whole model, which
``stream.constructed_response_model`` (a property, as in Mirascope) also gives.
"""

from __future__ import annotations

import re
import threading
import types
import typing
from collections.abc import AsyncIterator, Iterator
from typing import Any, Generic, Literal, TypeVar, get_args, get_origin

import msgspec

from streamcall.core.base._accumulate import PartialJSON, parse_partial_json
from streamcall.core.base._views import tool_instance
from streamcall.core.base.call_response import BaseCallResponse
from streamcall.core.base.stream import BaseStream, StreamWrapper
from streamcall.errors import ResponseModelError, ToolArgumentsError, ToolCallError

__all__ = ["StructuredStream", "extract_model", "json_instruction", "partial_model"]

ModelT = TypeVar("ModelT")
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$")


def json_instruction(response_model: type[Any]) -> str:
    """The instruction appended to the prompt in JSON mode."""
    schema = msgspec.json.encode(response_model.model_json_schema()).decode()
    return (
        "Respond with a single JSON object (no prose, no code fences) that matches this JSON "
        f"schema: {schema}"
    )


def _validate(response_model: type[ModelT], data: Any, content: str) -> ModelT:
    from pydantic import ValidationError

    try:
        return response_model.model_validate(data)  # type: ignore[attr-defined, no-any-return]
    except ValidationError as exc:
        raise ResponseModelError(
            f"The answer does not fit {response_model.__name__}: {exc}",
            content=content,
            errors=exc.errors(),
        ) from None


def _parse_json_text(text: str, response_model: type[Any]) -> Any:
    cleaned = _FENCE.sub("", text)
    try:
        return msgspec.json.decode(cleaned)
    except msgspec.DecodeError:
        pass
    # Prose around the object ("Here it is: {...}"): from the first "{" to the last "}", as
    # Mirascope reads a streamed JSON answer.
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if 0 <= start < end:
        try:
            return msgspec.json.decode(cleaned[start : end + 1])
        except msgspec.DecodeError:
            pass
    raise ResponseModelError(
        f"The answer is not the JSON object {response_model.__name__} needs",
        content=text,
    )


def extract_model(
    response: BaseCallResponse[Any], response_model: type[ModelT], json_mode: bool
) -> ModelT:
    """The response model instance in a whole response (``_response`` is attached)."""
    if json_mode:
        text = response.content
        data = _parse_json_text(text, response_model)
    else:
        tool = _response_tool(response, response_model)
        text = tool.model_dump_json()  # nested models too
        data = tool.args
    instance = _validate(response_model, data, text)
    object.__setattr__(instance, "_response", response)
    return instance


def _response_tool(response: BaseCallResponse[Any], response_model: type[Any]) -> Any:
    """The instance of the response model's tool (the last tool offered) in a response.

    Other tool calls are no concern of a response model: they are skipped here, and listed in
    the stream's ``tool_errors`` when it was streamed.
    """
    tool_types = response.tool_types or []
    name = tool_types[-1]._name() if tool_types else response_model.__name__
    call = next((c for c in response.facts.tool_calls if c.name == name), None)
    if call is None or not tool_types:
        raise ResponseModelError(
            f"The model did not call the {response_model.__name__} tool",
            content=response.content,
        )
    try:
        return tool_instance(tool_types[-1], call)
    except ToolArgumentsError as exc:
        raise _misfit(response_model, exc) from None


def _misfit(response_model: type[Any], exc: ToolArgumentsError) -> ResponseModelError:
    return ResponseModelError(
        f"The answer does not fit {response_model.__name__}: {exc}",
        content=exc.arguments_json,
        errors=exc.errors,
    )


_PARTIALS: dict[type[Any], type[Any]] = {}
_PARTIALS_LOCK = threading.RLock()


def _optional(annotation: Any) -> Any:
    """``annotation | None``, with pydantic models inside it made partial (list items too)."""
    from pydantic import BaseModel

    origin = get_origin(annotation)
    if origin is None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return partial_model(annotation) | None
        return annotation | None if isinstance(annotation, type) else typing.Optional[annotation]  # noqa: UP045
    if origin is Literal or origin is typing.Annotated:
        return typing.Optional[annotation]  # noqa: UP045
    args = tuple(_optional(arg) if arg is not Ellipsis else arg for arg in get_args(annotation))
    try:
        if origin is typing.Union or origin is types.UnionType:
            rebuilt: Any = typing.Union[args]  # noqa: UP007
        else:
            rebuilt = (
                annotation.copy_with(args)
                if hasattr(annotation, "copy_with")
                else origin[args if len(args) > 1 else args[0]]
            )
    except TypeError:
        rebuilt = annotation
    return typing.Optional[rebuilt]  # noqa: UP045


def partial_model(model: type[ModelT]) -> type[ModelT]:
    """``Partial<Model>``: a subclass of ``model`` whose every field is optional, default
    ``None`` (nested models partial too), what a streamed response model's partials are."""
    with _PARTIALS_LOCK:
        if model in _PARTIALS:
            return _PARTIALS[model]
        _PARTIALS[model] = model  # a model that contains itself: its inner copies stay whole
        try:
            partial = _build_partial(model, nested=True)
        except Exception:  # e.g. a discriminated union of partial models
            try:
                partial = _build_partial(model, nested=False)
            except Exception:
                partial = model  # the last resort: partials are then built without validation
        _PARTIALS[model] = partial
        return partial


def _build_partial(model: type[ModelT], nested: bool) -> type[ModelT]:
    from pydantic import create_model

    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():  # type: ignore[attr-defined]
        optional = (
            info._copy() if hasattr(info, "_copy") else info.__class__.merge_field_infos(info)
        )
        optional.annotation = (
            _optional(info.annotation) if nested else typing.Optional[info.annotation]  # noqa: UP045
        )
        optional.default = None
        optional.default_factory = None
        optional._attributes_set = {
            **getattr(info, "_attributes_set", {}),
            "annotation": optional.annotation,
            "default": None,
        }
        optional._attributes_set.pop("default_factory", None)
        fields[name] = (optional.annotation, optional)
    partial: type[ModelT] = create_model(  # type: ignore[type-var]
        f"Partial{model.__name__}",
        __base__=model,
        __module__=model.__module__,
        __doc__=model.__doc__,
        **fields,
    )
    return partial


def _drop(data: Any, loc: tuple[Any, ...]) -> tuple[Any, bool]:
    """``data`` without the value at ``loc`` (as deep as ``data`` goes), and whether anything was
    removed. ``data`` is not changed (a streamed value shares its finished members with the
    next one): the objects and arrays on the way to ``loc`` are copied."""
    path: list[tuple[Any, Any]] = []
    node = data
    for step in loc:
        inside = (isinstance(node, dict) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        )
        if not inside:
            break
        path.append((node, step))
        node = node[step]
    if not path:
        return data, False
    parent, key = path.pop()
    parent = dict(parent) if isinstance(parent, dict) else list(parent)
    if isinstance(parent, dict) or parent[key] is None:
        del parent[key]
    else:
        parent[key] = None
    for container, step in reversed(path):
        copy = dict(container) if isinstance(container, dict) else list(container)
        copy[step] = parent
        parent = copy
    return parent, True


def _partial_instance(partial_type: type[ModelT], data: dict[str, Any]) -> ModelT:
    """A partial instance of what arrived: values that do not validate yet are left out
    (``data`` itself is not changed)."""
    from pydantic import ValidationError

    for _ in range(20):
        try:
            return partial_type.model_validate(data)  # type: ignore[attr-defined, no-any-return]
        except ValidationError as exc:
            dropped = False
            for error in exc.errors():  # each one
                data, removed = _drop(data, tuple(error["loc"]))
                dropped = dropped or removed
            if not dropped:
                break
    fields = partial_type.model_fields  # type: ignore[attr-defined]
    return partial_type.model_construct(**{k: v for k, v in data.items() if k in fields})  # type: ignore[attr-defined, no-any-return]


def _partial_json(text: str) -> Any:
    """The value of a JSON prefix, read at once (see :func:`parse_partial_json`)."""
    return parse_partial_json(text)


class StructuredStream(StreamWrapper, Generic[ModelT]):
    """A streamed call with a ``response_model``: iterate partial instances, then the whole one.

    Each partial is a ``Partial<Model>`` instance with every field (``None`` until it arrives);
    the last item is the validated model. ``stream`` is the underlying provider stream (usage,
    cost, content...); ``constructed_response_model`` is the validated model (a property, as in
    Mirascope v1: write it without ``()``). ``state``, ``error``, ``cancel()`` / ``acancel()``
    and ``close()`` / ``aclose()`` are the underlying stream's; a cancelled stream ends after
    the last partial, without the whole model.
    """

    def __init__(
        self, stream: BaseStream[Any, Any, Any], response_model: type[ModelT], json_mode: bool
    ) -> None:
        self.stream = stream
        self.response_model = response_model
        self.json_mode = json_mode
        self._last_event: Any = None
        self._last_partial: ModelT | None = None
        self._constructed: ModelT | None = None
        self._reader = PartialJSON()  # the object so far, each piece read once
        self._source: object = None  # what the reader reads: a call, or where the JSON starts
        self._read_pieces = 0  # pieces of an open call read
        self._read_chars = 0  # characters read
        self._open_pieces: list[str] | None = None  # the open call's pieces, while it is open

    def _partial(self, chunk: Any) -> ModelT | None:
        """The partial instance after ``chunk``: one per event the provider sent once the
        object has begun, as Mirascope v1 yields them (a tool's extra pair is no new event)."""
        event = getattr(chunk, "chunk", None) if chunk is not None else self._last_event
        if event is None:
            event = chunk
        if event is self._last_event:
            return None
        self._last_event = event
        if not self._read_new():
            return self._last_partial  # nothing new in this event: the same partial again
        data = self._reader.value
        if not isinstance(data, dict):
            return None
        self._last_partial = _partial_instance(partial_model(self.response_model), data)
        return self._last_partial

    def _read_new(self) -> bool:
        """Feed the reader what arrived since the last event; whether anything did.

        Only the new text is read (see :class:`PartialJSON`), so partials cost linear time in
        the length of the object, where reading all of it again at every event is quadratic.
        """
        if self.json_mode:
            content: str = self.stream.content
            source = self._source
            start = source if isinstance(source, int) else content.find("{")
            if start < 0:
                return False
            self._source = start
            return self._feed(content[start + self._read_chars :])
        calls = self.stream.tool_calls
        if calls:
            call = calls[-1]
            if call is not self._source:
                read = self._open_pieces  # the open call read so far, which this may finish
                if read is None or not call.arguments_json.startswith(
                    "".join(read[: self._read_pieces])
                ):
                    self._restart()
                self._source, self._open_pieces = call, None
            return self._feed(call.arguments_json[self._read_chars :])
        opened = self.stream._acc.tools.open_pieces()
        if opened is None:
            return False
        pending, pieces = opened
        if pending is not self._source:
            self._restart()
            self._source = pending
        new = pieces[self._read_pieces :]
        self._read_pieces = len(pieces)
        self._open_pieces = pieces
        return self._feed("".join(new))

    def _restart(self) -> None:
        self._last_partial = None
        self._reader = PartialJSON()
        self._read_pieces = self._read_chars = 0
        self._open_pieces = None

    def _feed(self, text: str) -> bool:
        if not text:
            return False
        self._reader.feed(text)
        self._read_chars += len(text)
        return True

    def __iter__(self) -> Iterator[ModelT]:
        try:
            for chunk, _tool in self.stream:
                partial = self._partial(chunk)
                if partial is not None:
                    yield partial
        except ToolCallError as exc:
            self._raise_misfit(exc)
        yield from self._whole()

    async def _aiter(self) -> AsyncIterator[ModelT]:
        try:
            async for chunk, _tool in self.stream:
                partial = self._partial(chunk)
                if partial is not None:
                    yield partial
        except ToolCallError as exc:
            self._raise_misfit(exc)
        for whole in self._whole():
            yield whole

    def _whole(self) -> list[ModelT]:
        """The validated model after the last partial; none when the stream was cancelled."""
        return [] if self.stream.state == "cancelled" else [self.constructed_response_model]

    def _raise_misfit(self, first: ToolCallError) -> None:
        """Arguments that do not fit the response model are a ``ResponseModelError``; calls of
        other tools are no concern of a response model (``stream.tool_errors`` keeps them)."""
        tool_types = self.stream.tool_types or []
        name = tool_types[-1]._name() if tool_types else None
        for exc in self.stream.tool_errors or [first]:
            if isinstance(exc, ToolArgumentsError) and exc.tool_name == name:
                raise _misfit(self.response_model, exc) from None
        if self.json_mode:
            raise first

    def __aiter__(self) -> AsyncIterator[ModelT]:
        return self._hold(self._aiter())

    @property
    def constructed_response_model(self) -> ModelT:
        """The validated whole model (its ``_response`` is the whole response), once the stream
        has been consumed; a property, as in Mirascope v1 (it was a method: drop the ``()``).
        Raises :class:`~streamcall.errors.ResponseModelError` when the answer does not fit."""
        if self._constructed is None:
            self._constructed = extract_model(
                self.stream.construct_call_response(), self.response_model, self.json_mode
            )
        return self._constructed
