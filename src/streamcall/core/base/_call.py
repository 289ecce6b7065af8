"""The machinery behind every ``<provider>_call`` decorator (shared; providers plug in a spec).

A decorated function returns a prompt string, a list of messages, a dynamic config dict, or
``None`` with ``@prompt_template``. :func:`prepare_call` turns that into a :class:`CallContext`;
the provider's :class:`ProviderSpec` turns the context into a request and a raw stream or
response; the result is wrapped in the provider's stream or response class.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from streamcall.core.base._lazy import load
from streamcall.core.base._sdk_clients import adopt_client
from streamcall.core.base.call_response import BaseCallResponse, CallContext
from streamcall.core.base.messages import BaseMessageParam, as_messages, render_template
from streamcall.core.base.params import COMMON_PARAMS, ParamMap, to_provider_params
from streamcall.core.base.stream import BaseStream, _aclose, _close
from streamcall.core.base.types import Metadata

if TYPE_CHECKING:
    from streamcall.core.base.tool import BaseTool

__all__ = ["ChatSpecBase", "ProviderSpec", "make_call_decorator", "prepare_call", "wire_message"]

_CONFIG_KEYS = frozenset(
    {"messages", "call_params", "tools", "metadata", "computed_fields", "client"}
)


class ProviderSpec(Protocol):
    """What a provider contributes to the call layer."""

    provider: str
    client_provider: str
    """The provider whose clients this spec drives, where it differs from ``provider`` (a
    compatible provider from the registry); empty otherwise."""

    @property
    def stream_type(self) -> type[BaseStream[Any, Any, Any]]: ...

    @property
    def response_type(self) -> type[BaseCallResponse[Any]]: ...

    @property
    def common_params(self) -> ParamMap:
        """Where each neutral call parameter goes in this provider's request."""

    @property
    def tool_base(self) -> type[BaseTool]: ...

    def default_client(self) -> Any: ...

    def call_kwargs(
        self,
        context: CallContext,
        json_mode: bool,
    ) -> dict[str, Any]: ...

    def force_tool(self, call_kwargs: dict[str, Any], name: str) -> None:
        """Make the model call the tool ``name`` (used for ``response_model``)."""

    def stream(self, client: Any, call_kwargs: dict[str, Any]) -> Any: ...

    async def stream_async(self, client: Any, call_kwargs: dict[str, Any]) -> Any: ...

    def complete(self, client: Any, call_kwargs: dict[str, Any]) -> Any: ...

    async def complete_async(self, client: Any, call_kwargs: dict[str, Any]) -> Any: ...


def wire_message(message: Any) -> Any:
    """A message as a provider client takes it (neutral messages become dicts)."""
    if isinstance(message, BaseMessageParam):
        return {"role": message.role, "content": message.content}
    return message


_SAME_NAMES: ParamMap = {name: name for name in COMMON_PARAMS}


class ChatSpecBase:
    """What the provider specs share, declared by each spec as class attributes:

    - ``stream_type``, the stream class (``provider`` is its ``_provider`` and
      ``response_type`` its ``call_response_type``), and ``common_params`` (by default every
      neutral parameter under its own name, as OpenAI Chat Completions takes them);
    - ``tool_type``: the ``"module:Class"`` of the provider's tool base, imported on first use
      (it is a pydantic model);
    - ``client_method``: the client method a whole call goes to (``"chat.complete"``), and
      ``stream_method`` where a stream has its own (``"chat.stream"``); else the stream is
      ``client_method(stream=True)``. The async ones are the same names ending in ``_async``.

    The default client is the registry's client class of the provider, made with no arguments
    (it reads its key and URL from the environment). Request kwargs and ``force_tool`` follow
    OpenAI Chat Completions; providers that differ override them.
    """

    provider: str
    client_provider = ""
    stream_type: type[BaseStream[Any, Any, Any]]
    response_type: type[BaseCallResponse[Any]]
    common_params: ClassVar[ParamMap] = _SAME_NAMES
    tool_type: ClassVar[str]
    client_method: ClassVar[str]
    stream_method: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "stream_type" in cls.__dict__:
            if "provider" not in cls.__dict__:
                cls.provider = cls.stream_type._provider
            if "response_type" not in cls.__dict__:
                cls.response_type = cls.stream_type.call_response_type

    @property
    def tool_base(self) -> type[BaseTool]:
        """The base class of the provider's tools (imports pydantic on first use)."""
        tool: type[BaseTool] = load(self.tool_type)
        return tool

    def default_client(self) -> Any:
        """A client of the provider, configured from the environment."""
        from streamcall.registry import entry

        return entry(self.client_provider or self.provider).client_class()()

    def user_message_param(self, message: Any) -> Any:
        """The call's user message as ``stream.user_message_param`` gives it: in the provider's
        own form, as in Mirascope v1 (a dict here; providers with message models override)."""
        return wire_message(message)

    def call_kwargs(self, context: CallContext, json_mode: bool) -> dict[str, Any]:
        """Model, messages, call params, tool schemas, and JSON mode as the client takes them."""
        kwargs: dict[str, Any] = {
            "model": context.model,
            "messages": [wire_message(m) for m in context.messages],
            **context.call_params,
        }
        if context.tool_types:
            kwargs["tools"] = [t.tool_schema() for t in context.tool_types]  # type: ignore[attr-defined]
        if json_mode:
            kwargs.setdefault("response_format", {"type": "json_object"})
        return kwargs

    def force_tool(self, call_kwargs: dict[str, Any], name: str) -> None:
        """Make the model call the function ``name``."""
        call_kwargs["tool_choice"] = {"type": "function", "function": {"name": name}}

    def _method(self, client: Any, stream: bool, suffix: str = "") -> Callable[..., Any]:
        path = (self.stream_method if stream else None) or self.client_method
        method: Callable[..., Any] = functools.reduce(getattr, f"{path}{suffix}".split("."), client)
        if stream and self.stream_method is None:
            return functools.partial(method, stream=True)
        return method

    def stream(self, client: Any, call_kwargs: Mapping[str, Any]) -> Any:
        return self._method(client, True)(**call_kwargs)

    async def stream_async(self, client: Any, call_kwargs: Mapping[str, Any]) -> Any:
        return await self._method(client, True, "_async")(**call_kwargs)

    def complete(self, client: Any, call_kwargs: Mapping[str, Any]) -> Any:
        return self._method(client, False)(**call_kwargs)

    async def complete_async(self, client: Any, call_kwargs: Mapping[str, Any]) -> Any:
        return await self._method(client, False, "_async")(**call_kwargs)


def _fn_args(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def prepare_call(
    fn: Callable[..., Any],
    returned: Any,
    fn_args: dict[str, Any],
    *,
    model: str,
    tools: list[Any] | None,
    call_params: Mapping[str, Any] | None,
    tool_base: Callable[[], type[BaseTool]],
) -> tuple[CallContext, Any]:
    """The call's context (and the client named by a dynamic config, if any).

    ``tool_base`` gives the provider's tool base; it is called only when the call has tools,
    as loading it imports pydantic (~50 ms): a call without tools must not pay for it."""
    template: str | None = getattr(fn, "_prompt_template", None)
    dynamic: dict[str, Any] | None = None
    if isinstance(returned, str | BaseMessageParam | list | tuple):
        messages: list[Any] = as_messages(returned)
    elif returned is None or isinstance(returned, Mapping):
        dynamic = dict(returned or {})
        unknown = set(dynamic) - _CONFIG_KEYS
        if unknown:
            raise ValueError(
                f"{fn.__name__} returned a config with unknown keys {sorted(unknown)}; "
                f"allowed: {sorted(_CONFIG_KEYS)}"
            )
        if "messages" in dynamic:
            messages = list(dynamic["messages"])
        elif template is not None:
            # As Mirascope v1: the computed fields join the function's arguments (and so
            # ``stream.fn_args``), a computed field winning over an argument of its name.
            fn_args.update(dynamic.get("computed_fields") or {})
            messages = list(render_template(template, fn_args))
        else:
            raise ValueError(
                f"{fn.__name__} returned no prompt: return a string, a list of messages, or a "
                "config with 'messages' (or decorate it with @prompt_template)"
            )
    else:
        raise TypeError(
            f"{fn.__name__} must return a prompt string, a message, a list of messages or a "
            f"config dict, got {type(returned).__name__}"
        )
    if not messages:
        raise ValueError(f"{fn.__name__} produced no messages")

    all_tools = list(tools or []) + list((dynamic or {}).get("tools") or [])
    tool_types = None
    if all_tools:
        from streamcall.core.base.tool import to_tool_type  # pydantic: only when tools are used

        base = tool_base()
        tool_types = [to_tool_type(t, base) for t in all_tools]
    # Sent: the decorator's call params, then the dynamic config's over them; reported as
    # ``stream.call_params``: the decorator's alone, as Mirascope v1 reports them.
    params = {**(call_params or {}), **((dynamic or {}).get("call_params") or {})}
    metadata: Metadata = {}
    dynamic_metadata = (dynamic or {}).get("metadata")
    if isinstance(dynamic_metadata, Mapping):
        metadata.update(dynamic_metadata)  # type: ignore[typeddict-item]
    # As Mirascope v1: the last message if its role is user, else None (as after tool results
    # sent as "tool" messages; Anthropic and Gemini send them in a user message).
    user = messages[-1] if _role(messages[-1]) == "user" else None
    context = CallContext(
        model=model,
        messages=messages,
        call_params=params,
        decorator_call_params=dict(call_params or {}),
        tool_types=tool_types,
        metadata=metadata,
        prompt_template=template,
        fn_args=fn_args,
        dynamic_config=dynamic,
        user_message_param=user,
    )
    return context, (dynamic or {}).get("client")


def _add_response_model(
    context: CallContext, response_model: type[Any], json_mode: bool, spec: ProviderSpec
) -> str | None:
    """Ask for the response model: JSON instructions, or a tool the model must call."""
    if json_mode:
        from streamcall.core.base.structured import json_instruction

        context.messages.append(
            BaseMessageParam(role="user", content=json_instruction(response_model))
        )
        return None
    from streamcall.core.base.tool import to_tool_type

    tool = to_tool_type(response_model, spec.tool_base)
    context.tool_types = [*(context.tool_types or []), tool]
    return tool._name()


def _role(message: Any) -> str | None:
    if isinstance(message, Mapping):
        role = message.get("role")
    else:
        role = getattr(message, "role", None)
    return role if isinstance(role, str) else None


def make_call_decorator(spec: ProviderSpec) -> Callable[..., Any]:
    """Build ``<provider>_call(model, *, stream=False, tools=None, ...)`` for a provider."""

    def call(
        model: str,
        *,
        stream: bool | Mapping[str, Any] = False,
        tools: list[Any] | None = None,
        response_model: Any = None,
        output_parser: Callable[[Any], Any] | None = None,
        json_mode: bool = False,
        client: Any = None,
        call_params: Mapping[str, Any] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        if not isinstance(model, str) or not model:
            raise ValueError(f"model must be a non-empty string, got {model!r}")
        stream, replay = _stream_options(stream)
        if output_parser is not None and stream:
            raise ValueError("Cannot use `output_parser` with `stream=True`.")  # Mirascope's words
        if response_model is not None:
            from pydantic import BaseModel

            if not (isinstance(response_model, type) and issubclass(response_model, BaseModel)):
                raise TypeError(
                    f"response_model must be a pydantic model class: {response_model!r}"
                )
        if tools:
            from streamcall.core.base.tool import to_tool_type

            for tool in tools:
                to_tool_type(tool, spec.tool_base)  # fail at decoration time on a bad tool

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            def setup(args: tuple[Any, ...], kwargs: dict[str, Any], returned: Any) -> Any:
                context, config_client = prepare_call(
                    fn,
                    returned,
                    _fn_args(fn, args, kwargs),
                    model=model,
                    tools=tools,
                    call_params=call_params,
                    tool_base=lambda: spec.tool_base,  # not evaluated here: see prepare_call
                )
                if context.user_message_param is not None and isinstance(spec, ChatSpecBase):
                    context.user_message_param = spec.user_message_param(context.user_message_param)
                given = adopt_client(config_client or client, spec.client_provider or spec.provider)
                the_client = given or spec.default_client()
                owned = None if given else the_client  # made here: closed when the call ends
                context.provider = spec.provider
                context.call_params = to_provider_params(
                    context.call_params, spec.common_params, spec.provider
                )
                forced = None
                if response_model is not None:
                    forced = _add_response_model(context, response_model, json_mode, spec)
                context.call_kwargs = spec.call_kwargs(context, json_mode)
                if forced is not None:
                    spec.force_tool(context.call_kwargs, forced)
                return context, the_client, owned

            def finish(response: BaseCallResponse[Any]) -> Any:
                if response_model is not None:
                    from streamcall.core.base.structured import extract_model

                    instance = extract_model(response, response_model, json_mode)
                    return output_parser(instance) if output_parser is not None else instance
                return output_parser(response) if output_parser is not None else response

            def streamed(stream: BaseStream[Any, Any, Any]) -> Any:
                if response_model is None:
                    return stream
                from streamcall.core.base.structured import StructuredStream

                return StructuredStream(stream, response_model, json_mode)

            if inspect.iscoroutinefunction(fn):

                @functools.wraps(fn)
                async def inner_async(*args: Any, **kwargs: Any) -> Any:
                    context, the_client, owned = setup(args, kwargs, await fn(*args, **kwargs))
                    observer = _observe(spec, context, stream, the_client)
                    start = _now_ms()
                    try:
                        with _sending(observer):
                            if stream:
                                raw = await spec.stream_async(the_client, context.call_kwargs)
                                return streamed(
                                    _watched(spec, raw, context, replay, observer, owned)
                                )
                            raw_response = await spec.complete_async(
                                the_client, context.call_kwargs
                            )
                    except BaseException:
                        await _aclose(owned)
                        raise
                    await _aclose(owned)
                    return finish(_response(spec, raw_response, context, start, observer))

                return inner_async

            @functools.wraps(fn)
            def inner(*args: Any, **kwargs: Any) -> Any:
                context, the_client, owned = setup(args, kwargs, fn(*args, **kwargs))
                observer = _observe(spec, context, stream, the_client)
                start = _now_ms()
                try:
                    with _sending(observer):
                        if stream:
                            raw = spec.stream(the_client, context.call_kwargs)
                            return streamed(_watched(spec, raw, context, replay, observer, owned))
                        raw_response = spec.complete(the_client, context.call_kwargs)
                except BaseException:
                    _close(owned)
                    raise
                _close(owned)
                return finish(_response(spec, raw_response, context, start, observer))

            return inner

        return decorator

    call.__doc__ = f"""Turn a function into a {spec.provider} call.

    Args:
        model: The model id.
        stream: Return a stream (iterate ``for chunk, tool in stream``) instead of a response;
            a ``StreamConfig`` dict streams too: ``{{"replay": True}}`` keeps the chunks so
            that a consumed stream can be iterated again (about 1 KB an event).
        tools: Tools the model may call: tool classes, pydantic models or typed functions.
        response_model: A pydantic model to extract: the call returns an instance (its
            ``_response`` is the whole response), or with ``stream=True`` a
            ``StructuredStream`` of partial instances. The model is made to call a tool named
            after it, or with ``json_mode=True`` asked for JSON.
        output_parser: A function applied to the whole response, or with ``response_model`` to
            its instance; the call returns what it returns. Not with ``stream=True`` (a
            ``ValueError`` when decorating, as in Mirascope v1).
        json_mode: Ask the model for a JSON object.
        client: A provider client (how tests point a call at a local server).
        call_params: Provider parameters (temperature, max_tokens, ...).
    """
    return call


def _stream_options(stream: object) -> tuple[bool, bool]:
    """``stream=`` (a bool or a :class:`~streamcall.core.base.types.StreamConfig` dict, which
    streams) as (stream, replay)."""
    if isinstance(stream, bool):
        return stream, False
    if not isinstance(stream, Mapping):
        raise TypeError(f"stream must be a bool or a StreamConfig dict, got {stream!r}")
    unknown = sorted(set(stream) - {"replay", "partial_tools"})
    if unknown:
        raise TypeError(f"unknown StreamConfig keys {unknown}: it takes 'replay'")
    if stream.get("partial_tools"):
        from streamcall.errors import ConfigurationError

        raise ConfigurationError(
            "stream={'partial_tools': True}: streaming partial tools is not supported; each "
            "tool is yielded once its call is complete"
        )
    replay = stream.get("replay", False)
    if not isinstance(replay, bool):
        raise TypeError(f"StreamConfig 'replay' must be a bool, got {replay!r}")
    return True, replay


def _observe(spec: ProviderSpec, context: CallContext, stream: bool, client: Any) -> Any:
    """The call's telemetry observer; ``None`` (the common case) when nothing watches calls."""
    from streamcall.telemetry._observe import observe

    return observe(spec.provider, context, stream, client)


def _sending(observer: Any) -> contextlib.AbstractContextManager[None]:
    """Around sending the call: retries and a failure reach the observer, if any."""
    if observer is None:
        return contextlib.nullcontext()
    from streamcall.telemetry._observe import sending

    return sending(observer)


def _watched(
    spec: ProviderSpec, raw: Any, context: CallContext, replay: bool, observer: Any, owned: Any
) -> BaseStream[Any, Any, Any]:
    """The provider's stream over ``raw``, watched by the observer, if any; closing ``owned``
    (the client made for the call, if any) when it ends."""
    stream = spec.stream_type(raw, context, replay=replay)
    stream._owned = owned
    if observer is not None:
        stream._observer = observer
    return stream


def _response(
    spec: ProviderSpec, raw: Any, context: CallContext, start: float, observer: Any
) -> BaseCallResponse[Any]:
    response = spec.response_type(raw, context, start_time=start, end_time=_now_ms())
    if observer is not None:
        observer.end(response)
    return response


def _now_ms() -> float:
    import time

    return time.time() * 1000
