"""Running ``streamcall`` as a user does: a subprocess with no provider keys or URLs of ours."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

HOME = tempfile.mkdtemp(prefix="streamcall-test-home-")
"""The data directory of every ``streamcall`` these tests run (saved conversations): never
the user's own."""
atexit.register(shutil.rmtree, HOME, ignore_errors=True)

CLEAN_ENV = {
    **{
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_BASE_URL"))
        and k not in ("OLLAMA_HOST", "CO_API_KEY", "STREAMCALL_NO_SAVE")
    },
    "STREAMCALL_HOME": HOME,
}
CLI = [sys.executable, "-m", "streamcall.cli"]


def run_cli(
    args: list[str], env: dict[str, str], timeout: float = 60, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``streamcall ARGS`` with ``env`` over the clean environment; output captured as text;
    ``stdin`` piped in, else no standard input (the CLI reads piped input, and a runner's own
    stdin may be a pipe)."""
    return subprocess.run(
        [*CLI, *args],
        env={**CLEAN_ENV, **env},
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def mistral_words(*parts: str) -> bytes:
    """A Mistral stream of ``parts``, one event each, then a stop and usage."""
    from tests.replay import sse_body

    base = {"id": "c1", "object": "chat.completion.chunk", "model": "mistral-small-latest"}
    events = [
        json.dumps({**base, "choices": [{"index": 0, "delta": {"content": p}}]}) for p in parts
    ]
    usage = {"prompt_tokens": 5, "completion_tokens": len(parts), "total_tokens": 9}
    stop = {"index": 0, "delta": {}, "finish_reason": "stop"}
    events.append(json.dumps({**base, "choices": [stop], "usage": usage}))
    return sse_body(events)
