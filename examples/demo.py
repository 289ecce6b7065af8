"""`make demo`: stream an answer through streamcall's Mistral client, with no API key.

Until the embedded local model lands, the answer comes from a replay server started here on
127.0.0.1 that sends a Mistral-shaped SSE stream token by token, with small delays, exactly as
the real API frames it. Everything on the client side is the real thing: HTTP, the SSE decoder,
the typed chunks, the usage on the last chunk.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.replay import Chunking, ReplayServer, Reply, sse_body  # noqa: E402

from streamcall.clients.mistral import Mistral  # noqa: E402
from streamcall.clients.mistral.models import UserMessage  # noqa: E402

PROMPT = "Recommend a fantasy book"
ANSWER = (
    "Try **A Wizard of Earthsea** by Ursula K. Le Guin (1968). A young mage's pride "
    "unleashes a shadow he must hunt across an archipelago; it is short, wise, and "
    "beautifully written."
)


def mistral_stream(text: str) -> bytes:
    """A Mistral chat stream for ``text``: role chunk, one chunk per word, usage at the end."""
    base = {"id": "demo0001", "object": "chat.completion.chunk", "created": int(time.time())}
    base["model"] = "mistral-large-latest"

    def chunk(delta: dict[str, object], finish: str | None = None, **extra: object) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return json.dumps({**base, "choices": [choice], **extra})

    words = text.split(" ")
    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": w if i == 0 else " " + w}) for i, w in enumerate(words)]
    usage = {"prompt_tokens": 9, "completion_tokens": len(words), "total_tokens": 9 + len(words)}
    events.append(chunk({"content": ""}, "stop", usage=usage))
    return sse_body(events)


def main() -> None:
    body = mistral_stream(ANSWER)
    sizes = [len(f"data: {e}\n\n".encode()) for e in body.decode().split("\n\n") if e][:-1]
    with ReplayServer() as server:
        url = server.route(Reply(body=body, chunking=Chunking.fixed(*sizes), delay=0.04))
        client = Mistral(api_key="demo-key-not-needed", server_url=url)
        print(f"> {PROMPT}\n")
        start = time.perf_counter()
        first = None
        with client.chat.stream(
            model="mistral-large-latest", messages=[UserMessage(content=PROMPT)]
        ) as stream:
            for event in stream:
                chunk = event.data
                content = chunk.choices[0].delta.content
                if content:
                    first = first or time.perf_counter() - start
                    print(content, end="", flush=True)
        elapsed = time.perf_counter() - start
        usage = chunk.usage
        print("\n")
        print(
            f"[{chunk.model}] finish_reason={chunk.choices[0].finish_reason} "
            f"tokens in/out={usage.prompt_tokens}/{usage.completion_tokens} "  # type: ignore[union-attr]
            f"first token {1000 * (first or 0):.0f} ms, total {elapsed:.2f} s "
            "(replayed from a local server; no API key used)"
        )
        client.close()


if __name__ == "__main__":
    main()
