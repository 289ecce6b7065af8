"""OpenAI streams a tool call's arguments in fragments; the tool comes out whole."""

# replay: openai.tool_weather.sse

import os

from mirascope.core import openai

os.environ["OPENAI_API_KEY"] = "test-key"
os.environ["OPENAI_BASE_URL"] = os.environ["REPLAY_URL"]


def get_weather(city: str, unit: str) -> str:
    """Get the current weather in a city."""
    return f"sunny in {city} ({unit})"


@openai.call(
    "gpt-4o-mini",
    stream=True,
    tools=[get_weather],
    call_params={"stream_options": {"include_usage": True}},
)
def weather(city: str) -> str:
    return f"Weather in {city}?"


stream = weather("Lisbon")
for _, tool in stream:
    if tool:
        print("tool:", tool._name(), tool.args, "->", tool.call())
print("finish reasons:", stream.finish_reasons)
print("input tokens:", stream.input_tokens, "output tokens:", stream.output_tokens)
print("cost:", stream.cost)
