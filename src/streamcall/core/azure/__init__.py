"""Azure OpenAI calls: ``@azure_call("my-deployment", stream=True)`` on the OpenAI codec.

Costs come from the OpenAI price table, by the model the deployment reports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

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
)

if TYPE_CHECKING:
    from streamcall.core.azure.tool import AzureTool
    from streamcall.core.base._typing import CallDecorator

__all__ = [
    "AsyncAzureDynamicConfig",
    "AzureCallParams",
    "AzureCallResponse",
    "AzureCallResponseChunk",
    "AzureDynamicConfig",
    "AzureMessageParam",
    "AzureStream",
    "AzureTool",
    "azure_call",
    "call",
]


class AzureCallParams(OpenAICallParams, total=False):
    """Parameters of an Azure OpenAI chat call (as for OpenAI)."""


class AzureDynamicConfig(OpenAIDynamicConfig, total=False):
    """What an Azure-decorated function may return instead of a prompt."""


class AzureCallResponseChunk(OpenAICallResponseChunk, gc=False):
    """One Azure OpenAI chat chunk."""

    _provider: ClassVar[str] = "azure"


class AzureCallResponse(OpenAICallResponse):
    """A whole Azure OpenAI chat completion."""

    _provider: ClassVar[str] = "azure"


class AzureStream(OpenAIStream):
    """A streamed Azure OpenAI call: ``for chunk, tool in stream``."""

    _provider: ClassVar[str] = "azure"
    _chunk_type: ClassVar[type[BaseCallResponseChunk[Any]]] = AzureCallResponseChunk
    call_response_type: ClassVar[type[BaseCallResponse[Any]]] = AzureCallResponse

    if TYPE_CHECKING:  # the Azure types, for type checkers

        def __iter__(self) -> Iterator[tuple[AzureCallResponseChunk, AzureTool | None]]: ...

        def __aiter__(self) -> AsyncIterator[tuple[AzureCallResponseChunk, AzureTool | None]]: ...

        def construct_call_response(self) -> AzureCallResponse: ...


class AzureSpec(OpenAISpec):
    """How the call layer talks to Azure OpenAI."""

    stream_type = AzureStream
    tool_type = "streamcall.core.azure.tool:AzureTool"


azure_call: CallDecorator[AzureStream, AzureCallResponse, AzureCallParams] = make_call_decorator(
    AzureSpec()
)
call: CallDecorator[AzureStream, AzureCallResponse, AzureCallParams] = azure_call
"""``azure.call``, as in ``from streamcall.core import azure``."""

AzureMessageParam: TypeAlias = dict[str, Any]
"""A message as the Azure OpenAI client accepts: ``{"role": ..., "content": ...}`` dicts."""
AsyncAzureDynamicConfig: TypeAlias = AzureDynamicConfig
"""The dynamic config of an ``async def`` function (the same keys)."""


def __getattr__(name: str) -> Any:
    # AzureTool is a pydantic model, created on first use (keeps this import fast).
    if name == "AzureTool":
        from streamcall.core.azure.tool import AzureTool

        return AzureTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
