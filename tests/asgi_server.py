"""An ASGI app served by uvicorn on 127.0.0.1, on a thread, for the tests that need a real
HTTP server in front of an app (encoders, ``streamcall serve``, the chat page)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any, Literal


@contextlib.contextmanager
def uvicorn_server(app: Any, lifespan: Literal["on", "off"] = "off") -> Iterator[tuple[str, int]]:
    """``app`` served by uvicorn on 127.0.0.1 (a free port): yields ``(host, port)``."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan=lifespan)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(10)
