"""``streamcall serve``: any configured provider (or the local model) behind an
OpenAI-compatible ``/v1/chat/completions``, an Anthropic-compatible ``/v1/messages`` and a
minimal chat page at ``/``. Needs the ``serve`` extra (Starlette, uvicorn).

Tool calls and their results in the history, and images, reach each provider in its own
form (``_upstream.py``); what a provider cannot take is a 400 that names it.

    from streamcall.serve import create_app
    app = create_app("mistral", "mistral-small-latest")   # any ASGI server runs it
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamcall.serve._app import create_app

__all__ = ["create_app", "main"]


def __getattr__(name: str) -> Any:
    if name == "create_app":  # imports Starlette only when asked for
        from streamcall.serve._app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_provider() -> str:
    """``STREAMCALL_PROVIDER``, else the first provider whose key is set, else ``local``."""
    from streamcall.registry import PROVIDERS

    named = os.environ.get("STREAMCALL_PROVIDER")
    if named:
        return named
    for entry in PROVIDERS.values():
        if entry.auto_select and entry.key_variable and os.environ.get(entry.key_variable):
            return entry.name
    return "local"


def parser() -> argparse.ArgumentParser:
    """The command line of ``streamcall serve``."""
    from streamcall.registry import PROVIDERS

    p = argparse.ArgumentParser(
        prog="streamcall serve",
        description="Serve a provider as OpenAI- and Anthropic-compatible streaming APIs.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    p.add_argument(
        "--provider",
        choices=sorted(PROVIDERS),
        default=None,
        help="upstream provider (default: $STREAMCALL_PROVIDER, else the first with a key set)",
    )
    p.add_argument(
        "--model",
        default=os.environ.get("STREAMCALL_MODEL"),
        help="default model (default: $STREAMCALL_MODEL, else the provider's)",
    )
    p.add_argument(
        "--max-request-mb",
        type=float,
        default=32.0,
        help="refuse a larger request body with 413 (32; images come base64 in the body)",
    )
    p.add_argument("--log-level", default="info", help="uvicorn's log level (info)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until interrupted; the exit status."""
    args = parser().parse_args(argv)
    try:
        import uvicorn

        from streamcall.serve._app import create_app
    except ImportError as exc:
        print(
            f"streamcall serve needs the serve extra (pip install 'streamcall[serve]'): {exc}",
            file=sys.stderr,
        )
        return 2
    app = create_app(
        args.provider or default_provider(),
        args.model,
        max_request_bytes=int(args.max_request_mb * 1024 * 1024),
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
