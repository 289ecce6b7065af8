"""DeepSeek bodies: OpenAI Chat Completions as DeepSeek's server writes them.

``: keep-alive`` comments while the request is queued, reasoning in
``delta.reasoning_content`` (``content: null`` beside it, ``reasoning_content: null`` beside
text), usage on the finish chunk with ``prompt_cache_hit_tokens`` / ``prompt_cache_miss_tokens``
(``openai_compat.deepseek_reasoning.sse``). Variants: ``deepseek`` (also
``prompt_tokens_details.cached_tokens`` and ``completion_tokens_details.reasoning_tokens``, as
today), ``deepseek_hit_miss`` (only the hit/miss counts, as older deployments send). The body
writer is the OpenAI Chat one (``writers/openai_chat.py``).
"""

from __future__ import annotations

from tests.conformance.writers.openai_chat import DEEPSEEK_VARIANTS, OpenAIChatWriter

__all__ = ["DEEPSEEK_MODELS", "DeepSeekWriter"]

DEEPSEEK_MODELS: dict[str, tuple[str, str] | None] = {
    "deepseek-reasoner": ("deepseek", "deepseek-reasoner"),
    "deepseek-chat": ("deepseek", "deepseek-chat"),
}
"""The model names DeepSeek reports, priced from the ``deepseek`` table (the OpenAI call
layer falls back to it)."""


class DeepSeekWriter(OpenAIChatWriter):
    """DeepSeek-shaped OpenAI Chat bodies, served to ``openai_call`` with the OpenAI client."""

    def __init__(self) -> None:
        super().__init__("deepseek", DEEPSEEK_VARIANTS, DEEPSEEK_MODELS)
