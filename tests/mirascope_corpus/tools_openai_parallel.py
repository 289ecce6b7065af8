"""OpenAI: two parallel tool calls, interleaved on the wire."""

# replay: openai_chat.tools_parallel.sse

import os

from mirascope.core import openai

os.environ["OPENAI_API_KEY"] = "test-key"
os.environ["OPENAI_BASE_URL"] = os.environ["REPLAY_URL"]


def get_weather(city: str, unit: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book for a reading list."""
    return f"{title} by {author} ({year})"


@openai.call(
    "gpt-4.1-mini",
    stream=True,
    tools=[get_weather, format_book],
    call_params={"stream_options": {"include_usage": True}, "parallel_tool_calls": True},
)
def plan(request: str) -> str:
    return request


stream = plan("Weather in Lisbon, and format One Hundred Years of Solitude")
for _, tool in stream:
    if tool:
        print("tool:", tool._name(), tool.args)
        print("  ->", tool.call())
print("tool call ids:", [c["id"] for c in stream.message_param["tool_calls"]])
print("input tokens:", stream.input_tokens, "output tokens:", stream.output_tokens)
