"""``BaseCallResponseChunk``: one streamed chunk, with provider-neutral views of it."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Self, TypeVar

import msgspec

from streamcall.core.base._accumulate import ToolCallPart, Usage, UsageReport, merge_usage
from streamcall.core.base._views import UsageViews

__all__ = ["BaseCallResponseChunk", "ChunkFacts"]

ChunkT = TypeVar("ChunkT")


class ChunkFacts(msgspec.Struct, gc=False):
    """What one chunk says, in neutral terms (produced once per chunk by the provider).

    A ``gc=False`` struct: a stream keeps every chunk (to replay it), so chunks must not make
    the garbage collector's work grow with the stream.
    """

    content: str = ""
    thinking: str = ""
    tool_parts: tuple[ToolCallPart, ...] = ()
    usage: UsageReport | None = None
    finish_reasons: list[str] | None = None
    id: str | None = None
    model: str | None = None
    signature: str | None = None


class BaseCallResponseChunk(msgspec.Struct, UsageViews, Generic[ChunkT], gc=False):
    """A provider chunk (``chunk``) and what it carries (``facts``).

    Providers subclass it and implement :meth:`extract`; every other property derives from the
    facts. Build one with :meth:`of`.
    """

    chunk: ChunkT
    facts: ChunkFacts

    _empty_finish_reasons: ClassVar[bool] = False
    """Whether a chunk without finish reasons says ``[]`` rather than ``None``: Mirascope v1's
    chunks list the finish reasons of their choices / candidates (Mistral, OpenAI, Gemini)."""

    @classmethod
    def extract(cls, chunk: ChunkT) -> ChunkFacts:
        """The neutral facts of a provider chunk."""
        raise NotImplementedError

    @classmethod
    def of(cls, chunk: ChunkT) -> Self:
        """The wrapper of a provider chunk, its facts extracted."""
        return cls(chunk, cls.extract(chunk))

    @property
    def content(self) -> str:
        """The text this chunk adds (``""`` when none)."""
        return self.facts.content

    @property
    def thinking(self) -> str:
        """The thinking / reasoning text this chunk adds, kept apart from ``content``."""
        return self.facts.thinking

    @property
    def finish_reasons(self) -> list[str] | None:
        """The provider's own finish reasons, when this chunk carries any (``[]`` or ``None``
        on a chunk without, as Mirascope v1's chunk of that provider says)."""
        reasons = self.facts.finish_reasons
        if reasons is None and self._empty_finish_reasons:
            return []
        return reasons

    @property
    def common_finish_reasons(self) -> list[str] | None:
        """Finish reasons in the common set; ``None`` on a chunk without any."""
        reasons = self.facts.finish_reasons
        return None if reasons is None else [self._finish_map.get(r, r) for r in reasons]

    @property
    def model(self) -> str | None:
        """The model the provider reports, when this chunk says."""
        return self.facts.model

    @property
    def id(self) -> str | None:
        """The response id, when this chunk says."""
        return self.facts.id

    @property
    def usage(self) -> Any:
        """The provider's own usage object on this chunk, or ``None``."""
        return None

    @property
    def common_usage(self) -> Usage | None:
        """This chunk's usage in neutral form, or ``None``."""
        report = self.facts.usage
        if report is None:
            return None
        return merge_usage(None, report)

    def tool_only(self) -> Self:
        """This chunk without its text and usage: paired with a second tool of one chunk, so
        that summing ``chunk.content`` over a stream never counts anything twice."""
        return type(self)(self.chunk, ChunkFacts(tool_parts=self.facts.tool_parts, id=self.id))
