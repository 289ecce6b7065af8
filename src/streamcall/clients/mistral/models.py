"""Mistral chat wire models, named as in the official ``mistralai`` SDK.

Request side: :class:`SystemMessage`, :class:`UserMessage`, :class:`AssistantMessage`,
:class:`ToolMessage`, :class:`Tool`, :class:`Function`, :class:`ResponseFormat`. Dicts work
wherever a model is accepted.

Response side: a streamed call yields :class:`CompletionEvent` objects whose ``data`` is a
:class:`CompletionChunk`; ``chunk.choices[0].delta.content`` is a ``str`` or, for reasoning
(Magistral) models, a list of :class:`TextChunk` / :class:`ThinkChunk`. A content chunk of a type
this module does not know arrives as :class:`UnknownChunk` with its payload kept in ``raw``;
``CompletionEvent.raw`` keeps the event's exact JSON, fields this module does not model included.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from streamcall.clients._wire_model import WireModel

__all__ = [
    "AssistantMessage",
    "ChatCompletionChoice",
    "ChatCompletionResponse",
    "CompletionChunk",
    "CompletionEvent",
    "CompletionResponseStreamChoice",
    "ContentChunk",
    "DeltaMessage",
    "DocumentURLChunk",
    "Function",
    "FunctionCall",
    "FunctionName",
    "ImageURLChunk",
    "Message",
    "PromptTokensDetails",
    "ReferenceChunk",
    "ResponseFormat",
    "SystemMessage",
    "TextChunk",
    "ThinkChunk",
    "Tool",
    "ToolCall",
    "ToolChoice",
    "ToolMessage",
    "ToolReferenceChunk",
    "UnknownChunk",
    "UsageInfo",
    "UserMessage",
]


C = TypeVar("C")

# -- content chunks ---------------------------------------------------------------------------


class TextChunk(WireModel, tag_field="type", tag="text"):
    """Plain text."""

    type: ClassVar[str] = "text"
    text: str


class ThinkChunk(WireModel, tag_field="type", tag="thinking"):
    """A reasoning model's thinking; ``thinking`` holds text (and reference) chunks."""

    type: ClassVar[str] = "thinking"
    thinking: list[ContentChunk]
    signature: str | None = None
    closed: bool | None = None


class ReferenceChunk(WireModel, tag_field="type", tag="reference"):
    """References to sources (by id) that the answer cites."""

    type: ClassVar[str] = "reference"
    reference_ids: list[int | str]


class ToolReferenceChunk(WireModel, tag_field="type", tag="tool_reference"):
    """A reference produced by a built-in tool (web search and the like)."""

    type: ClassVar[str] = "tool_reference"
    tool: str
    title: str
    url: str | None = None
    favicon: str | None = None
    description: str | None = None


class ImageURLChunk(WireModel, tag_field="type", tag="image_url"):
    """An image, by URL or data URI (``image_url`` is a string or ``{"url": ...}``)."""

    type: ClassVar[str] = "image_url"
    image_url: str | dict[str, Any]


class DocumentURLChunk(WireModel, tag_field="type", tag="document_url"):
    """A document, by URL."""

    type: ClassVar[str] = "document_url"
    document_url: str
    document_name: str | None = None


class UnknownChunk(WireModel, tag_field="type", tag="unknown"):
    """A content chunk of a type this version does not know; ``raw`` is the whole payload."""

    raw: dict[str, Any]

    @property
    def type(self) -> str:
        """The chunk's own ``type`` as the server sent it."""
        value = self.raw.get("type")
        return value if isinstance(value, str) else "unknown"


ContentChunk = (
    TextChunk
    | ThinkChunk
    | ReferenceChunk
    | ToolReferenceChunk
    | ImageURLChunk
    | DocumentURLChunk
    | UnknownChunk
)
"""Any content chunk of a message or delta."""

KNOWN_CHUNK_TYPES = frozenset(
    {"text", "thinking", "reference", "tool_reference", "image_url", "document_url"}
)


# -- tool calls -------------------------------------------------------------------------------


class FunctionCall(WireModel):
    """The function a tool call invokes; ``arguments`` is a JSON string (or an object)."""

    name: str
    arguments: dict[str, Any] | str = ""


class ToolCall(WireModel):
    """One tool call. Mistral sends each call whole, usually without ``type``."""

    function: FunctionCall
    id: str | None = None
    type: str | None = None
    index: int | None = None


# -- request messages -------------------------------------------------------------------------


class SystemMessage(WireModel, tag_field="role", tag="system"):
    """A system prompt."""

    role: ClassVar[str] = "system"
    content: str | list[ContentChunk]


class UserMessage(WireModel, tag_field="role", tag="user"):
    """A user turn: text, or a list of content chunks (text, images, documents)."""

    role: ClassVar[str] = "user"
    content: str | list[ContentChunk] | None


class AssistantMessage(WireModel, tag_field="role", tag="assistant"):
    """An assistant turn, possibly with tool calls; ``prefix=True`` continues from it."""

    role: ClassVar[str] = "assistant"
    content: str | list[ContentChunk] | None = None
    tool_calls: list[ToolCall] | None = None
    prefix: bool = False


class ToolMessage(WireModel, tag_field="role", tag="tool"):
    """A tool's result, answering the call with ``tool_call_id``."""

    role: ClassVar[str] = "tool"
    content: str | list[ContentChunk] | None
    tool_call_id: str | None = None
    name: str | None = None


Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage
"""Any chat message model."""


class Function(WireModel):
    """A function the model may call; ``parameters`` is a JSON Schema object."""

    name: str
    parameters: dict[str, Any]
    description: str | None = None
    strict: bool | None = None


class Tool(WireModel, omit_defaults=False):
    """A tool definition (``type`` is ``"function"``, and is always sent)."""

    function: Function
    type: str = "function"


class FunctionName(WireModel):
    """Names one function, for :class:`ToolChoice`."""

    name: str


class ToolChoice(WireModel, omit_defaults=False):
    """Forces a particular tool (``tool_choice`` also takes ``auto``/``none``/``any``/...)."""

    function: FunctionName
    type: str = "function"


class ResponseFormat(WireModel):
    """``{"type": "text" | "json_object" | "json_schema", "json_schema": {...}}``."""

    type: str
    json_schema: dict[str, Any] | None = None


# -- responses --------------------------------------------------------------------------------


class PromptTokensDetails(WireModel, repr_omit_defaults=True):
    """Breakdown of prompt tokens."""

    cached_tokens: int | None = None


class UsageInfo(WireModel, repr_omit_defaults=True):
    """Token usage. Mistral sends it on the chunk that carries ``finish_reason``."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    prompt_audio_seconds: int | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    num_cached_tokens: int | None = None

    @property
    def cached_tokens(self) -> int | None:
        """Prompt tokens served from the cache, when the server reports them."""
        details = self.prompt_tokens_details
        if details is not None and details.cached_tokens is not None:
            return details.cached_tokens
        return self.num_cached_tokens


class DeltaMessage(WireModel):
    """What one chunk adds to the message: text or chunks, and/or whole tool calls."""

    role: str | None = None
    content: str | list[ContentChunk] | None = None
    tool_calls: list[ToolCall] | None = None


class CompletionResponseStreamChoice(WireModel):
    """One choice of a streamed chunk; ``finish_reason`` is ``stop``, ``length``,
    ``tool_calls``, ``error``, or a value added later (kept as a string)."""

    delta: DeltaMessage
    index: int = 0
    finish_reason: str | None = None
    logprobs: Any = None


class _Completion(WireModel, Generic[C]):
    """The fields of a chat completion, streamed (a chunk) or whole, but its choices' type."""

    choices: list[C]
    id: str = ""
    model: str = ""
    object: str | None = None
    created: int | None = None
    usage: UsageInfo | None = None


class CompletionChunk(_Completion[CompletionResponseStreamChoice]):
    """One streamed chunk of a chat completion.

    ``choices`` is a tuple (the SDK's is a list: indexing, ``len`` and iteration are the same):
    a stream keeps its chunks for a replay, and a list in each would be an object the garbage
    collector tracks, promoted to its oldest generation, so that a long answer set off full
    collections of the whole heap (~2-3 us an event, measured); a tuple of these untracked
    structs is untracked at the first collection."""

    choices: tuple[CompletionResponseStreamChoice, ...]  # type: ignore[assignment]


class CompletionEvent(WireModel):
    """One server-sent event of a chat stream.

    Attributes:
        data: The decoded chunk.
        raw: The event's exact JSON text, fields not modelled here included.
    """

    data: CompletionChunk
    raw: str | None = None


class ChatCompletionChoice(WireModel):
    """One choice of a non-streamed completion."""

    message: AssistantMessage
    index: int = 0
    finish_reason: str | None = None
    logprobs: Any = None


class ChatCompletionResponse(_Completion[ChatCompletionChoice]):
    """A non-streamed chat completion."""
