"""``streamcall chat "..."``: stream an answer to the terminal, from any provider.

The answer goes to stdout as it arrives (or one JSON object per chunk with ``--json``); a
one-line summary goes to stderr at the end: tokens in/out, time to first token, tokens/s, cost.
Ctrl-C stops cleanly, keeping what arrived (exit 130). An error is one line on stderr with the
provider's message (exit 1; 2 for bad usage or configuration).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

__all__ = ["call_params", "default_models", "default_provider", "key_variables", "main"]


def default_models() -> dict[str, str]:
    """Each provider's default model (the registry's ``default_model``)."""
    from streamcall.registry import PROVIDERS

    return {name: entry.default_model for name, entry in PROVIDERS.items()}


def key_variables() -> list[tuple[str, str]]:
    """(key variable, provider) pairs that select a provider, in the registry's order."""
    from streamcall.registry import PROVIDERS

    return [
        (e.key_variable, e.name) for e in PROVIDERS.values() if e.auto_select and e.key_variable
    ]


def default_provider(environ: Mapping[str, str] = os.environ) -> str:
    """The first provider whose key is set (registry order), else ``local``."""
    for variable, provider in key_variables():
        if environ.get(variable):
            return provider
    return "local"


def call_params(max_tokens: int | None, temperature: float | None) -> dict[str, Any]:
    """The flags as neutral call parameters (each provider maps them to its own names)."""
    params: dict[str, Any] = {}
    if max_tokens is not None:
        params["max_tokens"] = max_tokens
    if temperature is not None:
        params["temperature"] = temperature
    return params


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streamcall",
        description="Stream LLM answers to the terminal.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chat = commands.add_parser(
        "chat",
        help="stream an answer to a prompt",
        description="Stream an answer to PROMPT. The text goes to stdout as it arrives; a "
        "summary (tokens in/out, time to first token, tokens/s, cost) goes to stderr.",
    )
    chat.add_argument("prompt", help="what to ask")
    chat.add_argument(
        "--provider",
        help=", ".join(default_models())
        + " (default: the first provider whose API key is set: "
        + ", ".join(f"{v} -> {p}" for v, p in key_variables())
        + "; else local)",
    )
    chat.add_argument(
        "--model",
        help="the model (default: a small model of the provider; for local, the bundled "
        "SmolLM2-135M-Instruct, or the path of a .gguf file)",
    )
    chat.add_argument("--system", help="a system prompt")
    chat.add_argument("--max-tokens", type=int, help="the most tokens to generate")
    chat.add_argument("--temperature", type=float, help="sampling temperature")
    chat.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per chunk (content, thinking, finish_reasons, usage)",
    )
    return parser


class _Summary:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.first: float | None = None

    def chunk(self, text: str) -> None:
        if text and self.first is None:
            self.first = time.perf_counter()

    def line(self, stream: Any, interrupted: bool) -> str:
        elapsed = time.perf_counter() - self.start
        usage = stream.usage
        tokens_in = usage.input_tokens if usage else None
        tokens_out = usage.output_tokens if usage else None
        ttft = "n/a" if self.first is None else f"{(self.first - self.start) * 1000:.0f} ms"
        generating = elapsed - ((self.first or self.start) - self.start)
        rate = (
            f"{tokens_out / generating:.1f} tok/s" if tokens_out and generating > 0 else "tok/s n/a"
        )
        cost = stream.cost
        priced = "unknown" if cost is None else f"${cost:.6f}"
        state = " (interrupted)" if interrupted else ""
        return (
            f"[{stream.provider} {stream.model}] tokens in/out: {_n(tokens_in)}/{_n(tokens_out)}"
            f" | first token: {ttft} | {rate} | cost: {priced}{state}"
        )


def _n(value: int | None) -> str:
    return "?" if value is None else str(value)


def _chunk_json(chunk: Any) -> str:
    usage = chunk.usage
    return json.dumps(
        {
            "content": chunk.content,
            "thinking": chunk.thinking or None,
            "finish_reasons": chunk.finish_reasons,
            "usage": None
            if usage is None
            else {
                "input_tokens": usage.input_tokens,
                "cached_tokens": usage.cached_tokens,
                "output_tokens": usage.output_tokens,
                "total_tokens": usage.total_tokens,
                "reasoning_tokens": usage.reasoning_tokens,
            },
        },
        ensure_ascii=False,
    )


def chat(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``streamcall chat``; return the exit status."""
    from streamcall import llm
    from streamcall.errors import ConfigurationError, StreamcallError

    provider = args.provider or default_provider()
    if provider not in llm.PROVIDERS:
        known = ", ".join(sorted(llm.PROVIDERS))
        err.write(f"streamcall: error: unknown provider {provider!r} (known: {known})\n")
        return 2
    model = args.model or default_models().get(provider, "")
    if not model:
        err.write(f"streamcall: error: --model is required for provider {provider!r}\n")
        return 2
    messages: list[dict[str, str]] = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": args.prompt})
    params = call_params(args.max_tokens, args.temperature)

    @llm.call(provider=provider, model=model, stream=True, call_params=params)
    def ask() -> list[dict[str, str]]:
        return messages

    summary = _Summary()
    stream = None
    try:
        stream = ask()
        for chunk, _ in stream:
            summary.chunk(chunk.content)
            if args.json:
                out.write(_chunk_json(chunk) + "\n")
            elif chunk.content:
                out.write(chunk.content)
            out.flush()
    except KeyboardInterrupt:
        if stream is not None:
            stream.close()
            if not args.json:
                out.write("\n")
            err.write(summary.line(stream, interrupted=True) + "\n")
        return 130
    except ConfigurationError as exc:
        hint = ""
        if args.provider is None and provider == "local":
            # Chosen because no key is set: the other way out is a key.
            keys = ", ".join(variable for variable, _ in key_variables())
            hint = f"; or set a provider key to use a hosted provider ({keys})"
        err.write(f"streamcall: error: {exc}{hint}\n")
        return 2
    except StreamcallError as exc:
        if not args.json and stream is not None and stream.content:
            out.write("\n")
        err.write(f"streamcall: error: {exc}\n")
        return 1
    if not args.json:
        out.write("\n")
    err.write(summary.line(stream, interrupted=False) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The ``streamcall`` command."""
    args = _parser().parse_args(argv)
    if args.command == "chat":
        return chat(args, sys.stdout, sys.stderr)
    return 2  # pragma: no cover - argparse rejects other commands


if __name__ == "__main__":
    sys.exit(main())
