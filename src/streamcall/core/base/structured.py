"""``response_model``: turn an answer into a pydantic model instance, whole or streamed.

By default the model is offered a tool whose arguments are the response model's fields and is
made to call it; with ``json_mode=True`` it is asked for a JSON object instead. A streamed call
yields partial instances (``model_construct`` of the JSON received so far) and validates the
final one at the end.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, Generic, TypeVar

import msgspec

from streamcall.core.base._accumulate import parse_partial_json
from streamcall.core.base._views import tool_instance
from streamcall.core.base.call_response import BaseCallResponse
from streamcall.core.base.stream import BaseStream
from streamcall.errors import ResponseModelError, ToolArgumentsError, ToolCallError

__all__ = ["StructuredStream", "extract_model", "json_instruction"]

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
        raise ResponseModelError(
            f"The answer is not the JSON object {response_model.__name__} needs",
            content=text,
        ) from None


def extract_model(
    response: BaseCallResponse[Any], response_model: type[ModelT], json_mode: bool
) -> ModelT:
    """The response model instance in a whole response (``_response`` is attached)."""
    if json_mode:
        text = response.content
        data = _parse_json_text(text, response_model)
    else:
        tool = _response_tool(response, response_model)
        text = msgspec.json.encode(tool.args).decode()
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


class StructuredStream(Generic[ModelT]):
    """A streamed call with a ``response_model``: iterate partial instances.

    ``stream`` is the underlying provider stream (usage, cost, content...);
    :meth:`constructed_response_model` validates the final instance.
    """

    def __init__(
        self, stream: BaseStream[Any, Any, Any], response_model: type[ModelT], json_mode: bool
    ) -> None:
        self.stream = stream
        self.response_model = response_model
        self.json_mode = json_mode
        self._last: Any = None

    def _partial(self) -> ModelT | None:
        if self.json_mode:
            text: str | None = _FENCE.sub("", self.stream.content)
        else:
            calls = self.stream.tool_calls
            text = calls[-1].arguments_json if calls else self.stream._acc.tools.open_arguments()
        if not text:
            return None
        data = parse_partial_json(text)
        if not isinstance(data, dict) or data == self._last:
            return None
        self._last = data
        fields = self.response_model.model_fields  # type: ignore[attr-defined]
        known = {k: v for k, v in data.items() if k in fields}
        return self.response_model.model_construct(**known)  # type: ignore[attr-defined, no-any-return]

    def __iter__(self) -> Iterator[ModelT]:
        try:
            for _chunk, _tool in self.stream:
                partial = self._partial()
                if partial is not None:
                    yield partial
        except ToolCallError as exc:
            self._raise_misfit(exc)

    async def _aiter(self) -> AsyncIterator[ModelT]:
        try:
            async for _chunk, _tool in self.stream:
                partial = self._partial()
                if partial is not None:
                    yield partial
        except ToolCallError as exc:
            self._raise_misfit(exc)

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
        return self._aiter()

    def constructed_response_model(self) -> ModelT:
        """The validated final instance (after the stream has been consumed)."""
        return extract_model(
            self.stream.construct_call_response(), self.response_model, self.json_mode
        )
