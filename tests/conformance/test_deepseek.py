"""Conformance: DeepSeek bodies (OpenAI-compatible) -> openai_call with the OpenAI client.

``: keep-alive`` comments, ``reasoning_content`` beside ``content: null``, usage on the finish
chunk with DeepSeek's cache hit/miss counts; priced from the ``deepseek`` table. The writer is
checked against ``openai_compat.deepseek_reasoning.sse`` in ``test_openai_chat.py``; the SDK
differential there draws DeepSeek answers too.
"""

from __future__ import annotations

from tests.conformance.answer import Answer, Usage
from tests.conformance.harness import conformance_property, error_property, run_and_check
from tests.conformance.writers.deepseek import DeepSeekWriter
from tests.replay import Chunking, ReplayServer

WRITER = DeepSeekWriter()

test_deepseek_conformance = conformance_property(WRITER, max_examples=150)
test_deepseek_errors = error_property(WRITER, max_examples=50)


def test_cache_hits_without_details_are_the_cached_tokens(server: ReplayServer) -> None:
    """Older deployments report the cache only as prompt_cache_hit/miss_tokens."""
    answer = Answer(
        text=("Pride", " and Prejudice."),
        thinking=("One classic", "."),
        usage=Usage(1034, 71, 1024, 38),
        model="deepseek-reasoner",
    )
    recovered = run_and_check(server, WRITER, answer, "deepseek_hit_miss", Chunking.fixed(3, 5))
    assert recovered.cached_tokens == 1024
    assert recovered.cost is not None
