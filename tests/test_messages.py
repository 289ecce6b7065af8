"""Messages as Mirascope v1 users write them.

- ``Messages.System / User / Assistant`` returned from a decorated function (a list of them or
  a single one) become the call's messages for every provider;
- ``MESSAGES: {history}`` in a template inserts a list of messages at that point (neutral
  messages, provider message dicts, or provider message objects such as a previous
  ``stream.message_param`` and tool message params);
- ``BaseMessageParam`` is a pydantic field type (an agent's ``history``).

Each check reads the request body the replay server recorded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, create_model

from streamcall.clients.anthropic import Anthropic
from streamcall.clients.azure import AzureOpenAI
from streamcall.clients.cohere import ClientV2
from streamcall.clients.cohere.models import (
    AssistantChatMessageV2,
    SystemChatMessageV2,
    ToolChatMessageV2,
    UserChatMessageV2,
)
from streamcall.clients.gemini import Gemini
from streamcall.clients.mistral import Mistral
from streamcall.clients.mistral.models import (
    AssistantMessage,
    SystemMessage,
    ToolMessage,
    UserMessage,
)
from streamcall.clients.ollama import Ollama
from streamcall.clients.openai import OpenAI
from streamcall.core import prompt_template
from streamcall.core.anthropic import anthropic_call
from streamcall.core.azure import azure_call
from streamcall.core.base import BaseMessageParam, Messages
from streamcall.core.base.messages import render_template
from streamcall.core.cohere import cohere_call
from streamcall.core.gemini import gemini_call
from streamcall.core.mistral import mistral_call
from streamcall.core.ollama import ollama_call
from streamcall.core.openai import openai_call, openai_responses_call
from tests.replay import ReplayServer, Reply
from tests.wire_fixtures import WireFixture, fixtures


def _fixture(name: str) -> WireFixture:
    return next(f for f in fixtures(name.split(".")[0] + ".") if f.name == name)


@dataclass(frozen=True)
class Provider:
    """How to reach one provider's call layer against the replay server."""

    name: str
    call: Callable[..., Any]
    model: str
    client: Callable[[str], Any]
    text: str  # a fixture with a text answer
    tools: str | None = None  # a fixture with a tool call
    content_type: str = "text/event-stream"

    def reply(self, fixture: str | None = None) -> Reply:
        return Reply(body=_fixture(fixture or self.text).body, content_type=self.content_type)


PROVIDERS = {
    p.name: p
    for p in [
        Provider(
            "mistral",
            mistral_call,
            "mistral-small-latest",
            lambda url: Mistral(api_key="k", server_url=url),
            "mistral.text.sse",
            "mistral.tools.sse",
        ),
        Provider(
            "openai",
            openai_call,
            "gpt-4o-mini",
            lambda url: OpenAI(api_key="k", base_url=url),
            "openai_chat.text.sse",
            "openai_chat.tools_parallel.sse",
        ),
        Provider(
            "azure",
            azure_call,
            "my-gpt",
            lambda url: AzureOpenAI(api_key="k", azure_endpoint=url),
            "openai_chat.text.sse",
        ),
        Provider(
            "anthropic",
            anthropic_call,
            "claude-sonnet-4-5",
            lambda url: Anthropic(api_key="k", base_url=url),
            "anthropic.text.sse",
            "anthropic.tool_use.sse",
        ),
        Provider(
            "gemini",
            gemini_call,
            "gemini-2.5-flash",
            lambda url: Gemini(api_key="k", base_url=url),
            "gemini.text.sse",
            "gemini.function_call.sse",
        ),
        Provider(
            "cohere",
            cohere_call,
            "command-r-plus",
            lambda url: ClientV2(api_key="k", base_url=url),
            "cohere_v2.text.sse",
            "cohere_v2.tools.sse",
        ),
        Provider(
            "ollama",
            ollama_call,
            "qwen3:8b",
            lambda url: Ollama(base_url=url),
            "ollama_chat.text.ndjson",
            "ollama_chat.tools.ndjson",
            content_type="application/x-ndjson",
        ),
        Provider(
            "responses",
            openai_responses_call,
            "gpt-4o-mini",
            lambda url: OpenAI(api_key="k", base_url=url),
            "openai_responses.text.sse",
            "openai_responses.tools.sse",
        ),
    ]
}
ALL = list(PROVIDERS)


def sent_messages(provider: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversation a request carries, as neutral ``{"role", "content"}`` dicts.

    Each provider's own shape is checked exactly in ``WIRE_SHAPES``; this view lets one test
    compare the conversation across providers.
    """
    if provider == "anthropic":
        system = [{"role": "system", "content": body["system"]}] if "system" in body else []
        return system + body["messages"]
    if provider == "gemini":
        system = body.get("systemInstruction")
        out = [{"role": "system", "content": system["parts"][0]["text"]}] if system else []
        for content in body["contents"]:
            role = "assistant" if content["role"] == "model" else content["role"]
            texts = [p["text"] for p in content["parts"] if "text" in p]
            out.append({"role": role, "content": "\n".join(texts)})
        return out
    if provider == "responses":
        return list(body["input"])
    return list(body["messages"])


def run(
    server: ReplayServer,
    provider: str,
    prompt: Callable[..., Any],
    *args: Any,
    fixture: str | None = None,
    **kwargs: Any,
) -> tuple[Any, dict[str, Any]]:
    """Stream ``prompt`` through ``provider``'s call layer; the stream and the body it sent."""
    p = PROVIDERS[provider]
    url = server.route(p.reply(fixture))
    call = p.call(p.model, stream=True, client=p.client(url))(prompt)
    stream = call(*args, **kwargs)
    for _ in stream:
        pass
    body: dict[str, Any] = server.requests(url)[0].json()
    return stream, body


# -- Messages.System / User / Assistant ------------------------------------------------------


def conversation(question: str) -> list[BaseMessageParam]:
    return [
        Messages.System("You are a librarian."),
        Messages.User("Recommend a fantasy book."),
        Messages.Assistant("The Name of the Wind."),
        Messages.User(question),
    ]


# Exactly what each provider's request carries for ``conversation("Another one?")``.
WIRE_SHAPES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "mistral": lambda body: body["messages"],
    "openai": lambda body: body["messages"],
    "azure": lambda body: body["messages"],
    "cohere": lambda body: body["messages"],
    "ollama": lambda body: body["messages"],
    "responses": lambda body: body["input"],
    "anthropic": lambda body: (body["system"], body["messages"]),
    "gemini": lambda body: (body["systemInstruction"], body["contents"]),
}
CHAT_SHAPE = [
    {"role": "system", "content": "You are a librarian."},
    {"role": "user", "content": "Recommend a fantasy book."},
    {"role": "assistant", "content": "The Name of the Wind."},
    {"role": "user", "content": "Another one?"},
]
EXPECTED_SHAPES: dict[str, Any] = {
    **dict.fromkeys(("mistral", "openai", "azure", "cohere", "ollama"), CHAT_SHAPE),
    "responses": CHAT_SHAPE,
    "anthropic": ("You are a librarian.", CHAT_SHAPE[1:]),
    "gemini": (
        {"parts": [{"text": "You are a librarian."}]},
        [
            {"role": "user", "parts": [{"text": "Recommend a fantasy book."}]},
            {"role": "model", "parts": [{"text": "The Name of the Wind."}]},
            {"role": "user", "parts": [{"text": "Another one?"}]},
        ],
    ),
}


@pytest.mark.parametrize("provider", ALL)
def test_returned_messages_are_the_calls_messages(server: ReplayServer, provider: str) -> None:
    def recommend(question: str) -> Messages.Type:
        return conversation(question)

    stream, body = run(server, provider, recommend, "Another one?")
    assert WIRE_SHAPES[provider](body) == EXPECTED_SHAPES[provider]
    # user_message_param is in the provider's own form, as in Mirascope v1.
    assert stream.user_message_param == {
        "mistral": UserMessage(content="Another one?"),
        "gemini": {"role": "user", "parts": [{"text": "Another one?"}]},
    }.get(provider, {"role": "user", "content": "Another one?"})
    assert stream.messages == conversation("Another one?")


@pytest.mark.parametrize("provider", ALL)
def test_a_single_returned_message_is_the_only_message(server: ReplayServer, provider: str) -> None:
    def recommend(genre: str) -> Messages.Type:
        return Messages.User(f"Recommend a {genre} book.")

    _, body = run(server, provider, recommend, "fantasy")
    assert sent_messages(provider, body) == [
        {"role": "user", "content": "Recommend a fantasy book."}
    ]


def test_messages_build_base_message_params() -> None:
    assert Messages.System("s") == BaseMessageParam(role="system", content="s")
    assert Messages.User("u") == BaseMessageParam(role="user", content="u")
    assert Messages.Assistant("a") == BaseMessageParam(role="assistant", content="a")
    assert Messages.User(["a", {"type": "text", "text": "b"}]) == BaseMessageParam(
        role="user",
        content=[{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
    )
    # Printed as the SDK's pydantic message (Mirascope v1 gives Mistral's user message so).
    assert str(UserMessage(content="hi")) == "content='hi' role='user'"
    # Printed and repr'd as Mirascope v1's pydantic BaseMessageParam.
    assert str(Messages.User("hi")) == "role='user' content='hi'"
    assert repr(Messages.User("hi")) == "BaseMessageParam(role='user', content='hi')"
    with pytest.raises(TypeError, match="content part"):
        Messages.User([1])  # type: ignore[list-item]


# A list of strings returned (Mirascope v1: one user message made of text parts).
TEXT_PARTS = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
USER_TEXT_PARTS = [{"role": "user", "content": TEXT_PARTS}]
PARTS_SHAPES: dict[str, Any] = {
    **dict.fromkeys(("mistral", "openai", "anthropic", "cohere"), USER_TEXT_PARTS),
    "ollama": [{"role": "user", "content": "a\nb"}],
    "gemini": [{"role": "user", "parts": [{"text": "a"}, {"text": "b"}]}],
    "responses": [
        {
            "role": "user",
            "content": [{"type": "input_text", "text": "a"}, {"type": "input_text", "text": "b"}],
        }
    ],
}


@pytest.mark.parametrize("provider", list(PARTS_SHAPES))
def test_a_returned_list_of_strings_is_one_user_message_of_parts(
    server: ReplayServer, provider: str
) -> None:
    def parts() -> list[str]:
        return ["a", "b"]

    _, body = run(server, provider, parts)
    key = {"gemini": "contents", "responses": "input"}.get(provider, "messages")
    assert body[key] == PARTS_SHAPES[provider]


@pytest.mark.parametrize("provider", ["anthropic", "gemini", "mistral"])
def test_a_system_message_of_text_parts(server: ReplayServer, provider: str) -> None:
    def prompt() -> Messages.Type:
        return [Messages.System(["Be brief.", "Be kind."]), Messages.User("Hi")]

    _, body = run(server, provider, prompt)
    if provider == "anthropic":
        assert body["system"] == "Be brief.\nBe kind."
    elif provider == "gemini":
        assert body["systemInstruction"] == {"parts": [{"text": "Be brief.\nBe kind."}]}
    else:
        assert body["messages"][0] == {
            "role": "system",
            "content": [
                {"type": "text", "text": "Be brief."},
                {"type": "text", "text": "Be kind."},
            ],
        }


@pytest.mark.anyio
@pytest.mark.parametrize("provider", ["mistral", "openai", "anthropic", "gemini"])
async def test_async_functions_return_messages_and_use_messages(
    server: ReplayServer, provider: str
) -> None:
    p = PROVIDERS[provider]
    url = server.route(p.reply(), p.reply())
    client = p.client(url)

    @p.call(p.model, stream=True, client=client)
    async def returned(question: str) -> Messages.Type:
        return conversation(question)

    @p.call(p.model, stream=True, client=client)
    @prompt_template(LIBRARIAN)
    async def templated(question: str, history: list[Any]) -> None: ...

    async for _ in await returned("Another one?"):
        pass
    history = conversation("")[1:3]
    async for _ in await templated("Another one?", history):
        pass
    await client.aclose()
    first, second = (r.json() for r in server.requests(url))
    assert WIRE_SHAPES[provider](first) == EXPECTED_SHAPES[provider]
    assert WIRE_SHAPES[provider](second) == EXPECTED_SHAPES[provider]


@pytest.mark.parametrize("provider", ["mistral", "openai", "anthropic", "gemini"])
def test_llm_call_sends_a_neutral_history_to_any_provider(
    server: ReplayServer, provider: str
) -> None:
    from streamcall import llm

    @llm.call(provider="mistral", model="mistral-small-latest", stream=True)
    @prompt_template(LIBRARIAN)
    def librarian(question: str, history: list[BaseMessageParam]) -> None: ...

    p = PROVIDERS[provider]
    url = server.route(p.reply())
    with llm.context(provider=provider, model=p.model, client=p.client(url)):
        stream = librarian("Another one?", conversation("")[1:3])
    assert "".join(chunk.content for chunk, _ in stream)
    body: dict[str, Any] = server.requests(url)[0].json()
    assert WIRE_SHAPES[provider](body) == EXPECTED_SHAPES[provider]


# -- MESSAGES: in templates ------------------------------------------------------------------

LIBRARIAN = """
    SYSTEM: You are a librarian.
    MESSAGES: {history}
    USER: {question}
    """


@pytest.mark.parametrize("provider", ALL)
def test_messages_placeholder_inserts_the_history(server: ReplayServer, provider: str) -> None:
    @prompt_template(LIBRARIAN)
    def librarian(question: str, history: list[Any]) -> None: ...

    history: list[Any] = [
        Messages.User("Recommend a fantasy book."),
        {"role": "assistant", "content": "The Name of the Wind."},
    ]
    _, body = run(server, provider, librarian, "Another one?", history)
    assert WIRE_SHAPES[provider](body) == EXPECTED_SHAPES[provider]


@pytest.mark.parametrize("provider", ["mistral", "openai", "anthropic", "gemini"])
def test_messages_placeholder_on_one_line(server: ReplayServer, provider: str) -> None:
    # Role keywords also open a section after a space, as in Mirascope v1.
    @prompt_template("SYSTEM: You are a librarian. MESSAGES: {history} USER: {question}")
    def librarian(question: str, history: list[Any]) -> None: ...

    history = [
        Messages.User("Recommend a fantasy book."),
        Messages.Assistant("The Name of the Wind."),
    ]
    _, body = run(server, provider, librarian, "Another one?", history)
    assert WIRE_SHAPES[provider](body) == EXPECTED_SHAPES[provider]


@pytest.mark.parametrize("provider", ["mistral", "openai", "anthropic", "gemini"])
def test_an_empty_history_adds_nothing(server: ReplayServer, provider: str) -> None:
    @prompt_template(LIBRARIAN)
    def librarian(question: str, history: list[Any]) -> None: ...

    _, body = run(server, provider, librarian, "Hi", [])
    assert sent_messages(provider, body) == [
        {"role": "system", "content": "You are a librarian."},
        {"role": "user", "content": "Hi"},
    ]


def test_messages_placeholder_rules() -> None:
    history = [Messages.User("q"), Messages.Assistant("a")]
    # Text besides the placeholder is ignored, as in Mirascope v1; the first placeholder counts.
    assert render_template("MESSAGES: {history}", {"history": history}) == history
    # Anywhere in the template, any number of times.
    assert render_template(
        "USER: first\nMESSAGES: {h}\nASSISTANT: mid\nMESSAGES: {h}", {"h": history}
    ) == [Messages.User("first"), *history, Messages.Assistant("mid"), *history]
    # A computed field or an attribute path.

    @dataclass
    class Holder:
        history: list[Any]

    assert render_template("MESSAGES: {self.history}", {"self": Holder(history)}) == history
    with pytest.raises(ValueError, match="not a `list` of messages"):
        render_template("MESSAGES: {h}", {"h": "USER: hi"})
    with pytest.raises(ValueError, match="not a `list` of messages"):
        render_template("MESSAGES: {h}", {"h": None})
    with pytest.raises(TypeError, match="must hold messages"):
        render_template("MESSAGES: {h}", {"h": ["a string is not a message"]})
    with pytest.raises(ValueError, match="placeholder"):
        render_template("MESSAGES: history", {"history": history})
    with pytest.raises(ValueError, match="'history'"):
        render_template("MESSAGES: {history}", {})


def test_role_keywords_mid_line_follow_mirascope() -> None:
    # Mirascope v1 opens a section at `SYSTEM:` / `USER:` / `ASSISTANT:` / `MESSAGES:` anywhere;
    # streamcall does so at a line start or after a space or tab. `TOOL:` (which Mirascope does
    # not know) and `USER :` with a space only at a line start.
    assert render_template("SYSTEM: Be brief. USER: {q}", {"q": "hi"}) == [
        Messages.System("Be brief."),
        Messages.User("hi"),
    ]
    assert render_template("Use the TOOL: search. Mind the USER : field.", {}) == [
        Messages.User("Use the TOOL: search. Mind the USER : field.")
    ]
    assert render_template("TOOL: result\nUSER : thanks", {}) == [
        BaseMessageParam(role="tool", content="result"),
        Messages.User("thanks"),
    ]
    # Values are filled after the split: a keyword inside a value is text.
    assert render_template("SYSTEM: {a} USER: {b}", {"a": "x USER: y", "b": "MESSAGES: {h}"}) == [
        Messages.System("x USER: y"),
        Messages.User("MESSAGES: {h}"),
    ]


def test_messages_placeholder_from_a_computed_field(server: ReplayServer) -> None:
    @prompt_template("MESSAGES: {past}\nUSER: {question}")
    def chat(question: str) -> dict[str, Any]:
        return {"computed_fields": {"past": [Messages.User("hi"), Messages.Assistant("hello")]}}

    _, body = run(server, "mistral", chat, "and now?")
    assert body["messages"] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "and now?"},
    ]


# -- BaseMessageParam as a pydantic field ----------------------------------------------------


class Agent(BaseModel):
    history: list[BaseMessageParam] = []


def test_base_message_param_is_a_pydantic_field_type() -> None:
    agent = Agent(history=[Messages.User("hi"), {"role": "assistant", "content": "hello"}])
    assert agent.history == [Messages.User("hi"), Messages.Assistant("hello")]
    dumped = agent.model_dump()
    assert dumped == {
        "history": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
        ]
    }
    assert Agent.model_validate(dumped) == agent
    assert Agent.model_validate_json(agent.model_dump_json()) == agent
    assert json.loads(agent.model_dump_json()) == dumped
    assert Agent().history == []
    parts = Agent(history=[Messages.User(["a", "b"])])
    assert Agent.model_validate(parts.model_dump()) == parts
    schema = Agent.model_json_schema()
    item = schema["properties"]["history"]["items"]
    assert item["required"] == ["role", "content"]
    with pytest.raises(ValueError, match="role"):
        Agent(history=[{"content": "no role"}])
    with pytest.raises(ValueError, match="BaseMessageParam"):
        Agent(history=["just text"])


def test_pydantic_is_not_imported_by_the_call_layer() -> None:
    code = (
        "import sys, streamcall.core.mistral, streamcall.core.base;"
        "from streamcall.core.base import Messages, BaseMessageParam;"
        "Messages.User('x');"
        "assert 'pydantic' not in sys.modules, sorted(m for m in sys.modules if 'pydantic' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- an agent loop: a pydantic model keeps the history, MESSAGES: sends it ---------------------


class Librarian(BaseModel):
    history: list[BaseMessageParam | Any] = []

    def turn(self, provider: str, server: ReplayServer, question: str) -> dict[str, Any]:
        """One streamed turn; the history grows by the question and the answer."""
        p = PROVIDERS[provider]
        url = server.route(p.reply())

        @p.call(p.model, stream=True, client=p.client(url))
        @prompt_template(LIBRARIAN.replace("{history}", "{self.history}"))
        def _call(self: Librarian, question: str) -> None: ...

        stream = _call(self, question)
        text = "".join(chunk.content for chunk, _ in stream)
        assert text == stream.content != ""
        self.history += [Messages.User(question), stream.message_param]
        body: dict[str, Any] = server.requests(url)[0].json()
        return body


@pytest.mark.parametrize("provider", ALL)
def test_an_agent_loop_sends_its_history(server: ReplayServer, provider: str) -> None:
    agent = Librarian()
    first = agent.turn(provider, server, "Recommend a fantasy book.")
    answer = agent.history[1]
    second = agent.turn(provider, server, "Another one?")
    third = agent.turn(provider, server, "Thanks!")
    assert len(agent.history) == 6

    def history_part(body: dict[str, Any]) -> list[Any]:
        if provider == "anthropic":
            return list(body["messages"][:-1])
        if provider == "gemini":
            return list(body["contents"][:-1])
        if provider == "responses":
            return list(body["input"][1:-1])
        return list(body["messages"][1:-1])

    assert history_part(first) == []
    assert len(history_part(second)) == 2
    assert history_part(third)[:2] == history_part(second)
    # The answer goes back exactly as the provider's message_param encodes it.
    wire_answer = history_part(second)[1]
    expected = answer.model_dump() if hasattr(answer, "model_dump") else answer
    if provider == "responses":
        expected = answer[0]
    assert wire_answer == expected
    assert sent_messages(provider, third)[0] == {
        "role": "system",
        "content": "You are a librarian.",
    }


def test_a_tool_round_trip_through_the_history(server: ReplayServer) -> None:
    from streamcall.core.mistral import MistralTool  # noqa: F401  (pydantic: tools in use)

    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"Sunny in {city}"

    def format_book(title: str, author: str) -> str:
        """Format a book."""
        return f"{title} by {author}"

    history: list[Any] = []
    p = PROVIDERS["mistral"]
    url = server.route(p.reply(p.tools), p.reply())

    @p.call(p.model, stream=True, tools=[get_weather, format_book], client=p.client(url))
    @prompt_template("MESSAGES: {history}\nUSER: {question}")
    def ask(question: str, history: list[Any]) -> None: ...

    stream = ask("What is the weather in Paris?", history)
    calls = [(tool, tool.call()) for _, tool in stream if tool is not None]
    assert calls
    history += [Messages.User("What is the weather in Paris?"), stream.message_param]
    history += stream.tool_message_params(calls)
    list(ask("And tomorrow?", history))
    second: dict[str, Any] = server.requests(url)[1].json()
    wire = second["messages"]
    assert wire[0] == {"role": "user", "content": "What is the weather in Paris?"}
    assert wire[1]["role"] == "assistant"
    assert wire[1]["tool_calls"]
    assert [m["role"] for m in wire[2:-1]] == ["tool"] * len(calls)
    assert wire[-1] == {"role": "user", "content": "And tomorrow?"}


# The history a Mirascope v1 agent declares: `list[BaseMessageParam | <Provider>MessageParam]`.
CHAT_HISTORY = BaseMessageParam | dict[str, Any]
HISTORY_TYPES: dict[str, Any] = {
    "mistral": BaseMessageParam | AssistantMessage | SystemMessage | ToolMessage | UserMessage,
    "cohere": BaseMessageParam
    | AssistantChatMessageV2
    | SystemChatMessageV2
    | ToolChatMessageV2
    | UserChatMessageV2,
    "responses": BaseMessageParam | dict[str, Any] | list[dict[str, Any]],
}


@pytest.mark.parametrize("provider", ["mistral", "openai", "anthropic", "gemini"])
def test_the_documented_agent_shape(server: ReplayServer, provider: str) -> None:
    # As Mirascope v1's agent docs write it: the call is a method of the pydantic model.
    p = PROVIDERS[provider]
    url = server.route(p.reply(), p.reply())
    client = p.client(url)

    class Agent(BaseModel):
        history: list[BaseMessageParam | dict[str, Any] | Any] = []

        @p.call(p.model, stream=True, client=client)
        @prompt_template(
            """
            SYSTEM: You are a librarian.
            MESSAGES: {self.history}
            USER: {query}
            """
        )
        def _call(self, query: str) -> None: ...

        def run(self, query: str) -> str:
            stream = self._call(query)
            answer = "".join(chunk.content for chunk, _ in stream)
            self.history += [Messages.User(query), stream.message_param]
            return answer

    agent = Agent()
    assert agent.run("Recommend a fantasy book.")
    assert agent.run("Another one?")
    first, second = (r.json() for r in server.requests(url))
    assert sent_messages(provider, first)[-1] == {
        "role": "user",
        "content": "Recommend a fantasy book.",
    }
    turn = sent_messages(provider, second)
    assert turn[0] == {"role": "system", "content": "You are a librarian."}
    assert turn[1] == {"role": "user", "content": "Recommend a fantasy book."}
    assert turn[2]["role"] in {"assistant", "model"}
    assert turn[-1] == {"role": "user", "content": "Another one?"}
    client.close()  # the class holds it in a reference cycle: close it, do not wait for the GC


def get_weather(city: str, unit: str = "celsius") -> str:
    """The weather in a city."""
    return f"22 degrees {unit} in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book."""
    return f"{title} by {author} ({year})"


@pytest.mark.parametrize("provider", ["mistral", "openai", "anthropic", "gemini", "cohere"])
def test_an_agent_step_after_tool_results(server: ReplayServer, provider: str) -> None:
    # Mirascope v1's agent loop: after running the tools it calls itself with query="" and
    # keeps stream.user_message_param only when there is one. The empty USER section is left
    # out, so the request ends with the tool results and no user message is added twice.
    p = PROVIDERS[provider]
    url = server.route(p.reply(p.tools), p.reply())
    client = p.client(url)

    class Agent(BaseModel):
        history: list[BaseMessageParam | Any] = []

        @p.call(p.model, stream=True, tools=[get_weather, format_book], client=client)
        @prompt_template("SYSTEM: You are a librarian.\nMESSAGES: {self.history}\nUSER: {query}")
        def _call(self, query: str) -> None: ...

        def step(self, query: str) -> str:
            stream = self._call(query)
            outputs = [(tool, tool.call()) for _, tool in stream if tool is not None]
            if stream.user_message_param:
                self.history.append(stream.user_message_param)
            self.history.append(stream.message_param)
            if outputs:
                self.history += stream.tool_message_params(outputs)
                return self.step("")
            return stream.content

    agent = Agent()
    assert agent.step("What's the weather in Lisbon?")
    client.close()
    first, second = (r.json() for r in server.requests(url))
    roles = [m["role"] if isinstance(m, dict) else m.role for m in agent.history]
    answer_role = "model" if provider == "gemini" else "assistant"
    # user, assistant (tool calls), the tool results, assistant (the answer): no second user
    assert roles[:2] == ["user", answer_role]
    assert roles[-1] == answer_role
    if provider in {"anthropic", "gemini"}:
        # Their tool results travel in a user message, the last one sent: it is the step's
        # user_message_param (Mirascope v1's rule: the last message, if its role is user).
        assert agent.history[2] == agent.history[3]
    else:
        assert roles.count("user") == 1
    assert "What's the weather in Lisbon?" in str(agent.history[0])  # the provider's form
    key = {"gemini": "contents"}.get(provider, "messages")
    # The second request: the first's messages, the answer with its tool calls, the results;
    # no empty user message at the end.
    assert second[key][: len(first[key])] == first[key]
    repeated = 1 if provider in {"anthropic", "gemini"} else 0
    assert len(second[key]) == len(first[key]) + len(agent.history) - 2 - repeated
    assert all(m.get("content") != "" for m in second[key] if m["role"] == "user")


@pytest.mark.parametrize("provider", ALL)
def test_a_typed_history_survives_json_between_turns(server: ReplayServer, provider: str) -> None:
    # The agent is saved as JSON and loaded again between turns: the next request is the same.
    typed = create_model(  # type: ignore[call-overload]
        f"{provider.title()}Librarian",
        __base__=Librarian,
        history=(list[HISTORY_TYPES.get(provider, CHAT_HISTORY)], []),  # type: ignore[misc]
    )
    kept, saved = typed(), typed()
    for question in ["Recommend a fantasy book.", "Another one?", "Thanks!"]:
        expected = kept.turn(provider, server, question)
        assert saved.turn(provider, server, question) == expected
        saved = typed.model_validate_json(saved.model_dump_json())
        assert saved.model_dump() == kept.model_dump()
    assert len(saved.history) == 6
    reloaded_answer = saved.history[1]
    if provider == "mistral":
        assert isinstance(reloaded_answer, AssistantMessage | BaseMessageParam)
    assert typed.model_validate(saved.model_dump()) == saved


def test_a_typed_history_keeps_tool_calls(server: ReplayServer) -> None:
    class Agent(BaseModel):
        history: list[
            BaseMessageParam | AssistantMessage | SystemMessage | ToolMessage | UserMessage
        ] = []

    p = PROVIDERS["mistral"]
    url = server.route(p.reply(p.tools), p.reply())

    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"Sunny in {city}"

    def format_book(title: str, author: str) -> str:
        """Format a book."""
        return f"{title} by {author}"

    @p.call(p.model, stream=True, tools=[get_weather, format_book], client=p.client(url))
    @prompt_template("MESSAGES: {self.history}\nUSER: {question}")
    def ask(self: Agent, question: str) -> None: ...

    agent = Agent()
    stream = ask(agent, "What is the weather in Paris?")
    calls = [(tool, tool.call()) for _, tool in stream if tool is not None]
    agent.history += [Messages.User("What is the weather in Paris?"), stream.message_param]
    agent.history += stream.tool_message_params(calls)
    restored = Agent.model_validate_json(agent.model_dump_json())
    assert restored == agent
    assert isinstance(restored.history[1], AssistantMessage)
    assert restored.history[1].tool_calls
    assert all(isinstance(m, ToolMessage) for m in restored.history[2:])
    list(ask(restored, "And tomorrow?"))
    wire = server.requests(url)[1].json()["messages"]
    assert wire[:-1] == [msgspec.to_builtins(m) for m in agent.history]
    assert [m["role"] for m in wire] == ["user", "assistant"] + ["tool"] * len(calls) + ["user"]


# -- values in the history never change the template's own roles -----------------------------

ROLES = ["system", "user", "assistant", "tool"]
text = st.text(alphabet=st.sampled_from(list("ab :{}\n\tSYSTEMUSERASTNGM")) | st.characters())
message = st.builds(BaseMessageParam, role=st.sampled_from(ROLES), content=text) | st.builds(
    lambda role, content: {"role": role, "content": content},
    st.sampled_from(ROLES),
    text,
)
TEMPLATES = [
    ("MESSAGES: {h}", [None]),
    ("SYSTEM: You are {a}.\nMESSAGES: {h}\nUSER: {b}", ["system", None, "user"]),
    ("SYSTEM: {a} MESSAGES: {h} USER: {b}", ["system", None, "user"]),
    ("{a}\nMESSAGES: {h}\nASSISTANT: {b}\nMESSAGES: {h}", ["user", None, "assistant", None]),
    ("  USER: {a}\n  MESSAGES:\n    {h}\n  ASSISTANT:{b}\n", ["user", None, "assistant"]),
]


@settings(max_examples=300, deadline=None)
@given(
    template=st.sampled_from(TEMPLATES),
    history=st.lists(message, max_size=5),
    a=text.filter(bool),  # an empty value leaves its section out (tested in test_templates)
    b=text.filter(bool),
)
def test_the_history_never_changes_the_templates_roles(
    template: tuple[str, list[str | None]], history: list[Any], a: str, b: str
) -> None:
    source, sections = template
    messages = render_template(source, {"h": history, "a": a, "b": b})
    expected_roles: list[str] = []
    for role in sections:
        expected_roles += (
            [m["role"] if isinstance(m, dict) else m.role for m in history]
            if (role is None)
            else [role]
        )
    got = [m["role"] if isinstance(m, dict) else m.role for m in messages]
    assert got == expected_roles
    # The history's items are inserted as they are (the same objects), never re-parsed.
    inserted = [m for m in messages if any(m is h for h in history)]
    assert len(inserted) == len(history) * sum(role is None for role in sections)
    # The template's own sections hold the values verbatim.
    own = [m for m in messages if not any(m is h for h in history)]
    assert all(isinstance(m, BaseMessageParam) for m in own)
    assert any(a in m.content for m in own) or sections == [None]
