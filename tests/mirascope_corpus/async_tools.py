"""Async: a streamed tool call, run and printed."""

# replay: mistral.tool_weather.sse

import asyncio
import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


def get_weather(city: str, unit: str = "celsius") -> str:
    """Get the current weather in a city."""
    return f"22 degrees {unit} in {city}"


@mistral.call("mistral-small-latest", stream=True, tools=[get_weather])
async def weather(city: str) -> str:
    return f"What's the weather in {city}?"


async def main() -> None:
    stream = await weather("Lisbon")
    async for _, tool in stream:
        if tool:
            print("tool:", tool._name(), tool.args, "->", tool.call())
    print("finish reasons:", stream.finish_reasons)


asyncio.run(main())
