"""A BaseTool class: its docstring describes it, its fields are the arguments."""

# replay: mistral.tool_getweather.sse

import os

from mirascope.core import BaseTool, mistral
from pydantic import Field

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


class GetWeather(BaseTool):
    """Look up the current weather for a city."""

    city: str = Field(..., description="The city, e.g. Lisbon")
    unit: str = Field("celsius", description="celsius or fahrenheit")

    def call(self) -> str:
        return f"22 degrees {self.unit} in {self.city}"


@mistral.call("mistral-small-latest", stream=True, tools=[GetWeather])
def weather(city: str) -> str:
    return f"What's the weather in {city}?"


for _, tool in weather("Lisbon"):
    if tool:
        print("tool:", type(tool).__name__, tool._name())
        print("city:", tool.city, "unit:", tool.unit)
        print("result:", tool.call())
        schema = tool.tool_schema()
        print("description:", schema["function"]["description"])
        print("parameters:", sorted(schema["function"]["parameters"]["properties"]))
