"""Dynamic config: pick the tools at call time."""

# replay: mistral.tool_weather.sse

import os

from mirascope.core import BaseDynamicConfig, Messages, mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


def get_weather(city: str, unit: str = "celsius") -> str:
    """Get the current weather in a city."""
    return f"22 degrees {unit} in {city}"


def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"noon in {city}"


@mistral.call("mistral-small-latest", stream=True)
def assistant(question: str, weather_only: bool) -> BaseDynamicConfig:
    return {
        "messages": [Messages.User(question)],
        "tools": [get_weather] if weather_only else [get_weather, get_time],
    }


stream = assistant("What's the weather in Lisbon?", weather_only=True)
for _, tool in stream:
    if tool:
        print("tool:", tool._name(), "->", tool.call())
print("tools offered:", [t._name() for t in stream.tool_types or []])
