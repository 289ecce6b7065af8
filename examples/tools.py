"""Tools from typed functions: the model calls them, we run them and build the next turn."""

from typing import Any

from streamcall.core import BaseTool
from streamcall.core.cohere import cohere_call


def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city."""
    return f"21 degrees {unit} in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book reference."""
    return f"{title} by {author} ({year})"


@cohere_call("command-r-plus", stream=True, tools=[get_weather, format_book])
def ask(question: str) -> str:
    return question


def main() -> None:
    stream = ask("Weather in Lisbon, and a book to read there?")
    results: list[tuple[BaseTool, Any]] = []
    for _, tool in stream:
        if tool is not None:
            output = tool.call()
            print(f"{tool._name()}: {output}")
            results.append((tool, output))
    follow_up = [stream.message_param, *stream.tool_message_params(results)]
    print(f"next turn: {len(follow_up)} messages")


if __name__ == "__main__":
    main()
