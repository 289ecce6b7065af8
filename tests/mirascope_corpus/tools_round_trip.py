"""Run the streamed tool call and send its result back for the final answer."""

# replay: mistral.tool_weather.sse mistral.after_tool.sse

import os

from mirascope.core import BaseMessageParam, mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


def get_weather(city: str, unit: str = "celsius") -> str:
    """Get the current weather in a city."""
    return f"22 degrees {unit} and sunny in {city}"


@mistral.call("mistral-small-latest", stream=True, tools=[get_weather])
def weather(history: list) -> list:
    return history


history: list = [BaseMessageParam(role="user", content="What's the weather in Lisbon?")]
stream = weather(history)
tools_and_outputs = []
for _, tool in stream:
    if tool:
        print("calling", tool._name(), tool.args)
        tools_and_outputs.append((tool, tool.call()))
history += [stream.message_param, *stream.tool_message_params(tools_and_outputs)]
print("history roles:", [getattr(m, "role", None) for m in history])
answer = weather(history)
for chunk, _ in answer:
    print(chunk.content, end="")
print()
print("finish reasons:", answer.finish_reasons)
