"""The local provider: a real GGUF model (SmolLM2-135M-Instruct) run in-process by llama.cpp."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import BaseModel

from tests.cli_process import run_cli
from tests.local_model import require_local_extra

MODEL_PATH = require_local_extra()

from streamcall import llm  # noqa: E402
from streamcall.clients.local import DEFAULT_MODEL, LocalModel  # noqa: E402
from streamcall.core.local import (  # noqa: E402
    LocalCallResponse,
    LocalStream,
    local_call,
)
from streamcall.errors import ConfigurationError, LocalModelError  # noqa: E402

GREEDY = {"temperature": 0.0, "seed": 7}
PROMPT = "Recommend a fantasy book"


@local_call(stream=True, call_params={**GREEDY, "max_tokens": 48})
def recommend(genre: str) -> str:
    return f"Recommend a {genre} book"


def test_streams_token_by_token_with_usage_and_zero_cost() -> None:
    stream = recommend("fantasy")
    assert isinstance(stream, LocalStream)
    texts = [chunk.content for chunk, _ in stream]
    assert sum(1 for t in texts if t) >= 10  # token by token, not one blob
    assert stream.content == "".join(texts)
    assert stream.content.strip()
    assert stream.finish_reasons in (["stop"], ["length"])
    assert stream.input_tokens is not None
    assert stream.input_tokens > 5
    assert stream.output_tokens is not None
    assert 0 < stream.output_tokens <= 48
    assert stream.cost == 0.0
    assert stream.provider == "local"
    assert stream.model == DEFAULT_MODEL
    response = stream.construct_call_response()
    assert isinstance(response, LocalCallResponse)
    assert response.content == stream.content
    assert response.input_tokens == stream.input_tokens
    assert response.cost == 0.0
    assert stream.message_param == {"role": "assistant", "content": stream.content}


def test_stream_token_counts_match_llama_cpp_usage() -> None:
    """The usage chunk counts as llama.cpp's own non-streamed usage does."""
    client = LocalModel()
    messages = [{"role": "user", "content": PROMPT}]
    whole = client.chat.completions.create(messages=messages, max_tokens=20, **GREEDY)
    assert whole.usage is not None
    with client.chat.completions.create(
        messages=messages, max_tokens=20, stream=True, **GREEDY
    ) as stream:
        chunks = list(stream)
    usage = chunks[-1].usage
    assert usage is not None
    assert chunks[-1].choices == ()
    assert usage.prompt_tokens == whole.usage.prompt_tokens
    assert usage.completion_tokens == whole.usage.completion_tokens == 20  # max_tokens reached
    assert usage.total_tokens == usage.prompt_tokens + 20
    tokens = sum(1 for c in chunks if c.choices and c.choices[0].delta.content is not None)
    assert tokens == usage.completion_tokens  # one chunk per generated token


def test_a_natural_stop_does_not_count_the_end_token() -> None:
    question = "Answer with one word: what colour is the sky on a clear day?"
    client = LocalModel()
    messages = [{"role": "user", "content": question}]

    @local_call(stream=True, call_params={**GREEDY, "max_tokens": 200})
    def short() -> str:
        return question

    short_stream = short()
    list(short_stream)  # warm-up: the next two requests meet the same prompt-cache state
    stream = short()
    chunks = [chunk for chunk, _ in stream]
    whole = client.chat.completions.create(messages=messages, max_tokens=200, **GREEDY)
    assert stream.finish_reasons == ["stop"]
    assert whole.choices[0].finish_reason == "stop"
    assert stream.content == whole.choices[0].message.content
    assert whole.usage is not None
    assert stream.output_tokens == whole.usage.completion_tokens  # the end token is not counted
    delivered = sum(1 for c in chunks if c.chunk.choices and c.chunk.choices[0].delta.content)
    assert delivered <= stream.output_tokens


def test_max_tokens_gives_length() -> None:
    @local_call(stream=True, call_params={**GREEDY, "max_tokens": 5})
    def cut() -> str:
        return "Tell me a long story about dragons."

    stream = cut()
    for _ in stream:
        pass
    assert stream.finish_reasons == ["length"]
    assert stream.common_finish_reasons == ["length"]
    assert stream.output_tokens == 5


def test_whole_response() -> None:
    @local_call(call_params={**GREEDY, "max_tokens": 16})
    def ask() -> str:
        return PROMPT

    response = ask()
    assert isinstance(response, LocalCallResponse)
    assert response.content
    assert response.output_tokens == 16
    assert response.input_tokens is not None
    assert response.input_tokens > 5
    assert response.cost == 0.0


def test_break_releases_the_model_and_keeps_what_arrived() -> None:
    stream = recommend("science fiction")
    seen = ""
    delivered = 0
    for chunk, _ in stream:
        seen += chunk.content
        delivered += bool(chunk.chunk.choices and chunk.chunk.choices[0].delta.content)
        if len(seen) > 10:
            break
    assert stream.content == seen
    # The model is free again at once: a new stream in the same thread runs.
    again = recommend("science fiction")
    assert "".join(c.content for c, _ in again)
    # The stopped stream keeps the tokens counted up to the break.
    assert stream.input_tokens == again.input_tokens
    assert stream.output_tokens is not None
    assert delivered <= stream.output_tokens < 48
    assert stream.construct_call_response().output_tokens == stream.output_tokens


def test_a_second_stream_in_the_same_thread_fails_clearly_while_the_first_is_open() -> None:
    client = LocalModel()
    messages = [{"role": "user", "content": PROMPT}]
    first = client.chat.completions.create(messages=messages, stream=True, max_tokens=8)
    next(first)
    with pytest.raises(LocalModelError, match="still open in this thread"):
        client.chat.completions.create(messages=messages, stream=True, max_tokens=8)
    first.close()
    with client.chat.completions.create(messages=messages, stream=True, max_tokens=8) as second:
        assert list(second)


def test_streams_from_two_threads_take_turns() -> None:
    results: dict[int, str] = {}

    def run(index: int) -> None:
        stream = recommend("mystery")
        results[index] = "".join(chunk.content for chunk, _ in stream)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2
    assert all(text.strip() for text in results.values())


def test_a_stream_dropped_while_open_releases_the_model() -> None:
    client = LocalModel()
    messages = [{"role": "user", "content": PROMPT}]
    stream = client.chat.completions.create(messages=messages, stream=True, max_tokens=8)
    next(stream)
    with pytest.warns(ResourceWarning, match="garbage-collected while open"):
        del stream
    with client.chat.completions.create(messages=messages, stream=True, max_tokens=8) as again:
        assert list(again)


@pytest.mark.anyio
async def test_async_stream_generates_off_the_event_loop() -> None:
    @local_call(stream=True, call_params={**GREEDY, "max_tokens": 32})
    async def recommend_async(genre: str) -> str:
        return f"Recommend a {genre} book"

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.01)
            ticks += 1

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(ticker)
        started = time.monotonic()
        stream = await recommend_async("fantasy")
        texts = [chunk.content async for chunk, _ in stream]
        elapsed = time.monotonic() - started
        tasks.cancel_scope.cancel()
    assert sum(1 for t in texts if t) >= 10
    assert stream.output_tokens is not None
    assert stream.output_tokens > 0
    assert stream.cost == 0.0
    # The loop kept running while the model generated (a blocked loop would barely tick).
    assert ticks >= elapsed / 0.01 * 0.3


@pytest.mark.anyio
async def test_async_break_releases_the_model() -> None:
    client = LocalModel()
    messages = [{"role": "user", "content": PROMPT}]
    stream = await client.chat.completions.create_async(
        messages=messages, stream=True, max_tokens=30
    )
    async with stream:
        async for _ in stream:
            break
    assert stream.closed
    whole = await client.chat.completions.create_async(messages=messages, max_tokens=4)
    assert whole.usage is not None
    assert whole.usage.completion_tokens == 4


def test_response_model_is_generated_under_a_grammar() -> None:
    class Book(BaseModel):
        title: str
        author: str

    @local_call(response_model=Book, call_params={**GREEDY, "max_tokens": 80})
    def book(genre: str) -> str:
        return f"Recommend a {genre} book"

    result = book("fantasy")
    assert isinstance(result, Book)
    assert result.title


def test_a_forced_tool_call_streams_as_a_tool() -> None:
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"sunny in {city}"

    @local_call(
        stream=True,
        tools=[get_weather],
        call_params={
            **GREEDY,
            "max_tokens": 40,
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        },
    )
    def weather(city: str) -> str:
        return f"What is the weather in {city}?"

    stream = weather("Paris")
    tools = [tool for _, tool in stream if tool is not None]
    assert len(tools) == 1
    assert tools[0].call() == f"sunny in {tools[0].args['city']}"
    assert stream.finish_reasons == ["tool_calls"]


def test_a_tool_round_trip_goes_back_to_the_model() -> None:
    """The call's message param (content ``None`` beside its tool calls, as OpenAI's) and the
    tool's result are a history the chat template takes: the calls become ``<tool_call>`` text."""
    from streamcall.clients.local.client import template_messages

    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"sunny in {city}"

    prompt = {"role": "user", "content": "What is the weather in Paris?"}
    forced = {"type": "function", "function": {"name": "get_weather"}}

    @local_call(
        tools=[get_weather], call_params={**GREEDY, "max_tokens": 40, "tool_choice": forced}
    )
    def ask() -> list[Any]:
        return [prompt]

    @local_call(tools=[get_weather], call_params={**GREEDY, "max_tokens": 20})
    def answer(history: list[Any]) -> list[Any]:
        return [prompt, *history]

    response = ask()
    assert response.tool is not None
    history = [
        response.message_param,
        *response.tool_message_params([(response.tool, response.tool.call())]),
    ]
    assert history[0]["content"] is None
    sent = template_messages(history)
    assert sent[0]["content"].startswith('<tool_call>\n{"name":"get_weather","arguments":{"city":')
    assert sent[1] == history[1]
    assert answer(history).finish_reasons  # the chat template failed on it before


def test_model_is_a_gguf_path(tmp_path: Path) -> None:
    copy = tmp_path / "model.gguf"
    shutil.copyfile(MODEL_PATH, copy)

    @local_call(str(copy), stream=True, call_params={**GREEDY, "max_tokens": 8})
    def ask() -> str:
        return PROMPT

    stream = ask()
    assert "".join(c.content for c, _ in stream)
    assert stream.model == str(copy)


@pytest.mark.anyio
async def test_every_llama_cpp_call_runs_on_the_model_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """llama.cpp's OpenMP team is per calling thread; a second calling thread would make two
    teams compete for the cores. So sync, async, streamed and whole calls, and the closing of
    a stream, all run on the model's one thread."""
    loaded = LocalModel().load()
    original = loaded.llama.create_chat_completion
    threads: set[str] = set()

    def recording(*args: Any, **kwargs: Any) -> Any:
        threads.add(threading.current_thread().name)
        result = original(*args, **kwargs)
        if not kwargs.get("stream"):
            return result

        def chunks() -> Any:
            try:
                for chunk in result:
                    threads.add(threading.current_thread().name)
                    yield chunk
            finally:
                threads.add(threading.current_thread().name)

        return chunks()

    monkeypatch.setattr(loaded.llama, "create_chat_completion", recording)
    client = LocalModel()
    messages = [{"role": "user", "content": PROMPT}]
    with client.chat.completions.create(messages=messages, stream=True, max_tokens=4) as stream:
        next(stream)  # closed early: the close runs there too
    client.chat.completions.create(messages=messages, max_tokens=2)
    async_stream = await client.chat.completions.create_async(
        messages=messages, stream=True, max_tokens=4
    )
    async with async_stream:
        assert [chunk async for chunk in async_stream]
    await client.chat.completions.create_async(messages=messages, max_tokens=2)
    assert len(threads) == 1
    assert threads.pop().startswith("streamcall-local-model")


def test_model_loads_once_per_process() -> None:
    assert LocalModel().load() is LocalModel().load(DEFAULT_MODEL)


def test_bad_input_gives_typed_errors(tmp_path: Path) -> None:
    client = LocalModel()
    messages = [{"role": "user", "content": PROMPT}]
    with pytest.raises(ConfigurationError, match=r"no GGUF model file at"):
        client.chat.completions.create(model=str(tmp_path / "missing.gguf"), messages=messages)
    with pytest.raises(ConfigurationError, match=r"does not take 'bogus'"):
        client.chat.completions.create(messages=messages, bogus=1)
    with pytest.raises(ConfigurationError, match=r"one choice"):
        client.chat.completions.create(messages=messages, n=2)
    not_a_model = tmp_path / "text.gguf"
    not_a_model.write_text("not a model")
    with pytest.raises(LocalModelError, match="could not load"):
        client.chat.completions.create(model=str(not_a_model), messages=messages)


def test_a_prompt_longer_than_the_context_fails_as_a_local_model_error() -> None:
    with pytest.raises(ConfigurationError, match="at least 256"):
        LocalModel(n_ctx=64)
    client = LocalModel(n_ctx=256)
    messages = [{"role": "user", "content": "word " * 400}]
    with pytest.raises(LocalModelError, match="context window"):
        for _ in client.chat.completions.create(messages=messages, stream=True):
            pass
    with client.chat.completions.create(  # released after the failure
        messages=[{"role": "user", "content": "hi"}], stream=True, max_tokens=2
    ) as stream:
        assert list(stream)


def test_openai_parameters_map_to_llama_cpp() -> None:
    @local_call(
        stream=True,
        call_params={
            "max_completion_tokens": 3,
            "stream_options": {"include_usage": True},
            "extra_body": {"top_k": 1, "repeat_penalty": 1.0},
            "seed": 3,
        },
    )
    def ask() -> str:
        return PROMPT

    stream = ask()
    for _ in stream:
        pass
    assert stream.output_tokens == 3


def test_llm_call_with_provider_local() -> None:
    @llm.call(provider="local", model=DEFAULT_MODEL, stream=True, call_params={"max_tokens": 12})
    def ask(genre: str) -> str:
        return f"Recommend a {genre} book"

    stream = ask("fantasy")
    assert isinstance(stream, llm.Stream)
    text = "".join(chunk.content for chunk, _ in stream)
    assert text == stream.content
    assert stream.usage is not None
    assert stream.usage.output_tokens == 12
    assert stream.cost == 0.0
    assert stream.finish_reasons == ["length"]


def test_cli_without_a_key_streams_from_the_local_model() -> None:
    result = run_cli(["chat", PROMPT, "--max-tokens", "16"], {}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert f"[local {DEFAULT_MODEL}] tokens in/out: " in result.stderr
    assert "/16 |" in result.stderr
    assert "cost: $0.000000" in result.stderr
