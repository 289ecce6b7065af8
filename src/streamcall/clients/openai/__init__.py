"""OpenAI Chat Completions client (and OpenAI-compatible servers).

``from streamcall.clients.openai import OpenAI, AsyncOpenAI``; models in
:mod:`streamcall.clients.openai.models`.
"""

from streamcall.clients.openai.client import AsyncOpenAI, OpenAI
from streamcall.clients.openai.params import (
    ChatArgs,
    ChatCompletionParams,
    ResponseArgs,
    ResponseCreateParams,
)

__all__ = [
    "AsyncOpenAI",
    "ChatArgs",
    "ChatCompletionParams",
    "OpenAI",
    "ResponseArgs",
    "ResponseCreateParams",
]
