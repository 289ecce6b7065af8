"""llm.call with a tool: the tool comes out in the provider-agnostic stream."""

# replay: mistral.tool_weather.sse

import os

from mirascope import llm

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


def get_weather(city: str, unit: str = "celsius") -> str:
    """Get the current weather in a city."""
    return f"22 degrees {unit} in {city}"


@llm.call(provider="mistral", model="mistral-small-latest", stream=True, tools=[get_weather])
def weather(city: str) -> str:
    return f"What's the weather in {city}?"


stream = weather("Lisbon")
for _, tool in stream:
    if tool:
        print("tool:", tool._name(), tool.args, "->", tool.call())
print("finish reasons:", stream.finish_reasons)
