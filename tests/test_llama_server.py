"""End to end against a server nobody here wrote: llama-cpp-python's OpenAI-compatible server.

The server (``python -m llama_cpp.server``) runs the bundled SmolLM2 GGUF on 127.0.0.1. It
streams OpenAI-shaped chunks and never sends usage, even when asked with
``stream_options.include_usage``: token counts and cost must then be ``None``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.cli_process import run_cli
from tests.local_model import require_local_extra

MODEL_PATH = require_local_extra()

from streamcall.clients.openai import OpenAI  # noqa: E402
from streamcall.core.openai import OpenAIStream, openai_call  # noqa: E402

MODEL = "smollm2"
MESSAGES = [{"role": "user", "content": "Recommend a fantasy book"}]
PARAMS = {"temperature": 0.0, "seed": 11, "max_tokens": 40}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                MODEL_PATH,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx2.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not start within 90 s")
            time.sleep(0.25)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _client(base_url: str) -> OpenAI:
    return OpenAI(base_url=base_url)


def _established_to(port: int) -> int:
    """Open TCP connections from this machine to ``port`` (client side), from /proc/net."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if state == "01" and int(remote.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def _stream_text(base_url: str) -> tuple[str, OpenAIStream]:
    @openai_call(MODEL, stream=True, client=_client(base_url), call_params=PARAMS)
    def recommend() -> list[dict[str, str]]:
        return MESSAGES

    stream = recommend()
    return "".join(chunk.content for chunk, _ in stream), stream


def test_streams_in_several_chunks_with_a_finish_reason_and_no_usage(llama_server: str) -> None:
    chunks = []

    @openai_call(MODEL, stream=True, client=_client(llama_server), call_params=PARAMS)
    def recommend() -> list[dict[str, str]]:
        return MESSAGES

    stream = recommend()
    for chunk, _ in stream:
        chunks.append(chunk)
    texts = [c.content for c in chunks if c.content]
    assert len(texts) >= 5
    assert stream.content == "".join(texts)
    assert stream.finish_reasons in (["stop"], ["length"])
    # We asked for usage (stream_options.include_usage is on by default); the server sent none.
    assert stream.call_kwargs["model"] == MODEL
    assert stream.common_usage is None
    assert stream.input_tokens is None
    assert stream.output_tokens is None
    assert stream.cost is None
    response = stream.construct_call_response()
    assert response.content == stream.content
    assert response.input_tokens is None
    assert response.cost is None


def test_early_break_closes_the_connection(llama_server: str) -> None:
    port = int(llama_server.rsplit(":", 1)[1].split("/")[0])

    @openai_call(
        MODEL,
        stream=True,
        client=_client(llama_server),
        call_params={**PARAMS, "max_tokens": 400},
    )
    def story() -> str:
        return "Tell me a long story about a dragon and a knight."

    stream = story()
    seen = ""
    for chunk, _ in stream:
        seen += chunk.content
        if len(seen) > 20:
            assert _established_to(port) >= 1  # the stream's connection is open now
            break
    assert stream.content == seen
    assert stream._raw.closed
    deadline = time.monotonic() + 5
    while _established_to(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _established_to(port) == 0
    # The server stopped generating for the dropped client: the next request is served.
    text, _ = _stream_text(llama_server)
    assert text


def test_the_official_sdk_agrees_on_the_text(llama_server: str) -> None:
    import openai

    _stream_text(llama_server)  # both measured requests then meet the same prompt cache state
    sdk = openai.OpenAI(base_url=llama_server, api_key="unused", max_retries=0)
    sdk_stream = sdk.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
        **PARAMS,  # type: ignore[arg-type]
    )
    sdk_text = ""
    sdk_finish = None
    sdk_usage = None
    for chunk in sdk_stream:
        if chunk.usage is not None:
            sdk_usage = chunk.usage
        if chunk.choices:
            sdk_text += chunk.choices[0].delta.content or ""
            sdk_finish = chunk.choices[0].finish_reason or sdk_finish
    sdk.close()
    text, stream = _stream_text(llama_server)
    assert sdk_text
    assert text == sdk_text
    assert stream.finish_reasons == [sdk_finish]
    assert sdk_usage is None
    assert stream.common_usage is None


@pytest.mark.anyio
async def test_async_stream_against_the_server(llama_server: str) -> None:
    client = _client(llama_server)

    @openai_call(MODEL, stream=True, client=client, call_params=PARAMS)
    async def recommend() -> list[dict[str, str]]:
        return MESSAGES

    async with client:  # the server keeps connections alive: the pool must be closed
        stream = await recommend()
        texts = [chunk.content async for chunk, _ in stream]
    assert len([t for t in texts if t]) >= 5
    assert stream.finish_reasons in (["stop"], ["length"])
    assert stream.output_tokens is None
    assert stream.cost is None


def test_cli_against_the_server_reports_unknown_usage(llama_server: str) -> None:
    result = run_cli(
        ["chat", "Say hello", "--provider", "openai", "--model", MODEL, "--max-tokens", "12"],
        {"OPENAI_BASE_URL": llama_server},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "tokens in/out: ?/?" in result.stderr
    assert "cost: unknown" in result.stderr
