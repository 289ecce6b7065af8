"""Test helper: fold a list of Mistral ``CompletionEvent``s into what a client recovered."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from streamcall.clients.mistral.models import CompletionEvent, TextChunk, ThinkChunk


@dataclass
class Recovered:
    text: str = ""
    reasoning: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cached_tokens: int | None = None
    id: str | None = None
    model: str | None = None
    events: int = 0


def recover(events: list[CompletionEvent]) -> Recovered:
    out = Recovered()
    for event in events:
        chunk = event.data
        out.events += 1
        out.id = chunk.id or out.id
        out.model = chunk.model or out.model
        if chunk.usage is not None:
            out.input_tokens = chunk.usage.prompt_tokens
            out.output_tokens = chunk.usage.completion_tokens
            out.total_tokens = chunk.usage.total_tokens
            out.cached_tokens = chunk.usage.cached_tokens
        for choice in chunk.choices:
            content = choice.delta.content
            if isinstance(content, str):
                out.text += content
            elif content:
                for part in content:
                    if isinstance(part, TextChunk):
                        out.text += part.text
                    elif isinstance(part, ThinkChunk):
                        out.reasoning += "".join(
                            t.text for t in part.thinking if isinstance(t, TextChunk)
                        )
            for call in choice.delta.tool_calls or ():
                args = call.function.arguments
                out.tool_calls.append(
                    {
                        "id": call.id,
                        "name": call.function.name,
                        "arguments": json.loads(args) if isinstance(args, str) else args,
                    }
                )
            if choice.finish_reason is not None:
                out.finish_reason = choice.finish_reason
    return out
