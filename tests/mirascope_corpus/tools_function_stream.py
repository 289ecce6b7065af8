"""A plain function as a tool: the streamed call arrives as a tool to run."""

# replay: mistral.tool_weather.sse

import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


def get_weather(city: str, unit: str = "celsius") -> str:
    """Get the current weather in a city.

    Args:
        city: The city to look up.
        unit: "celsius" or "fahrenheit".
    """
    return f"22 degrees {unit} and sunny in {city}"


@mistral.call("mistral-small-latest", stream=True, tools=[get_weather])
def weather(question: str) -> str:
    return question


stream = weather("What's the weather in Lisbon?")
for chunk, tool in stream:
    if tool:
        print("tool:", tool._name(), tool.args)
        print("result:", tool.call())
    else:
        print("text:", repr(chunk.content))
print("finish reasons:", stream.finish_reasons)
print("tool calls:", [c.function.name for c in stream.message_param.tool_calls])
