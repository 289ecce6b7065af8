"""Anthropic: a tool without parameters is still called."""

# replay: anthropic.tool_noargs.sse

import os

from mirascope.core import anthropic

os.environ["ANTHROPIC_API_KEY"] = "test-key"
os.environ["ANTHROPIC_BASE_URL"] = os.environ["REPLAY_URL"]


def current_time() -> str:
    """The current time."""
    return "12:00"


@anthropic.call(
    "claude-sonnet-4-5", stream=True, tools=[current_time], call_params={"max_tokens": 256}
)
def ask(question: str) -> str:
    return question


stream = ask("What time is it?")
called = []
for _, tool in stream:
    if tool:
        called.append(tool._name())
        print("tool:", tool._name(), tool.args, "->", tool.call())
print("text:", stream.content)
print("tools called:", called)
print("input tokens:", stream.input_tokens, "output tokens:", stream.output_tokens)
print("cost:", stream.cost)
