"""An agent: a pydantic model keeps the history; each turn streams, runs tools, loops."""

# replay: mistral.tool_weather.sse mistral.after_tool.sse mistral.name.sse

import os

from mirascope.core import BaseMessageParam, mistral, prompt_template
from mirascope.core.mistral import MistralMessageParam
from pydantic import BaseModel

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


def get_weather(city: str, unit: str = "celsius") -> str:
    """Get the current weather in a city."""
    return f"22 degrees {unit} and sunny in {city}"


class Librarian(BaseModel):
    history: list[BaseMessageParam | MistralMessageParam] = []

    @mistral.call("mistral-small-latest", stream=True, tools=[get_weather])
    @prompt_template(
        """
        SYSTEM: You are a helpful librarian.
        MESSAGES: {self.history}
        USER: {query}
        """
    )
    def _call(self, query: str): ...

    def _step(self, query: str) -> str:
        stream = self._call(query)
        tools_and_outputs = []
        for chunk, tool in stream:
            if tool:
                print(f"[calling {tool._name()} with {tool.args}]")
                tools_and_outputs.append((tool, tool.call()))
            else:
                print(chunk.content, end="", flush=True)
        if stream.user_message_param:
            self.history.append(stream.user_message_param)
        self.history.append(stream.message_param)
        if tools_and_outputs:
            self.history += stream.tool_message_params(tools_and_outputs)
            return self._step("")
        return stream.content

    def run(self, queries: list[str]) -> None:
        for query in queries:
            print(f"(user) {query}")
            self._step(query)
            print()


librarian = Librarian()
librarian.run(["What's the weather in Lisbon?", "And what's my name? I'm Ada."])
print("history:", len(librarian.history), "messages")
print("roles:", [m.role for m in librarian.history])
