"""The chat page of ``streamcall serve`` in a real headless Chromium (Debian's ``chromium``,
driven by Playwright): a prompt typed and sent reaches the upstream provider, its tokens appear
one after another, the conversation goes on, and Stop cancels the upstream stream (the server
closes its provider connection). In CI (``CI=true``) a missing browser is an error, never a
skip; ``.ci/run`` installs it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from streamcall import registry
from streamcall.serve import create_app
from tests.asgi_server import uvicorn_server
from tests.replay import Chunking, ReplayServer, Reply, sse_body

WORDS = [f"word{i} " for i in range(12)]
STALLED_AFTER = 4  # the second answer stops after this many tokens and never ends


def _chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    missing = [] if found else ["chromium (Debian: apt-get install chromium)"]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (the dev extra)")
    if missing:
        message = f"the chat page browser test needs {', '.join(missing)}"
        if os.environ.get("CI"):
            raise RuntimeError(f"{message}; CI must run it (.ci/run installs the browser)")
        pytest.skip(message, allow_module_level=True)
    assert found
    return found


CHROMIUM = _chromium()


def _answer(words: list[str], finish: bool = True) -> bytes:
    """An OpenAI Chat Completions stream of ``words``, one token per event."""
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    events = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        *({**base, "choices": [{"index": 0, "delta": {"content": w}}]} for w in words),
    ]
    if finish:
        events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return sse_body([json.dumps(e) for e in events], done=finish)


@contextlib.contextmanager
def serving(monkeypatch: pytest.MonkeyPatch, upstream: str) -> Iterator[tuple[str, int]]:
    """``streamcall serve``'s app for OpenAI on uvicorn, its upstream at ``upstream``."""
    entry = registry.entry("openai")
    assert entry.key_variable
    assert entry.base_url_variable
    monkeypatch.setenv(entry.key_variable, "upstream-key")
    monkeypatch.setenv(entry.base_url_variable, upstream)
    with uvicorn_server(create_app("openai", "served-model"), lifespan="on") as address:
        yield address


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # A closed network: no background connections, no sandbox (CI runs as root).
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


# Every change to the answer's text, as the page shows it: tokens arriving one by one.
WATCH = """() => {
  window.seen = [];
  new MutationObserver(() => {
    const out = document.querySelectorAll("#log .assistant");
    if (out.length) window.seen.push(out[out.length - 1].textContent);
  }).observe(document.getElementById("log"), {subtree: true, childList: true, characterData: true});
}"""


def test_type_watch_tokens_arrive_and_stop_cancels_the_upstream(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, browser: Any
) -> None:
    whole = _answer(WORDS)
    stall_at = len(_answer(WORDS[:STALLED_AFTER], finish=False))
    upstream = server.route(
        Reply(body=whole, chunking=Chunking.events(), delay=0.05),
        Reply(body=whole, chunking=Chunking.events(), delay=0.05, stall_after=stall_at),
        Reply(body=_answer(["fine"]), chunking=Chunking.events()),
    )
    with serving(monkeypatch, upstream) as (host, port):
        page = browser.new_page()
        try:
            page.goto(f"http://{host}:{port}/")
            page.evaluate(WATCH)
            answers = page.locator("#log .assistant")

            # A prompt typed and sent with Ctrl+Enter: the tokens arrive one after another.
            page.locator("#prompt").fill("Recommend a fantasy book")
            page.locator("#prompt").press("Control+Enter")
            expected = "".join(WORDS)
            page.wait_for_function(
                "t => { const a = document.querySelectorAll('#log .assistant');"
                " return a.length === 1 && a[0].textContent === t; }",
                arg=expected,
                timeout=10_000,
            )
            seen = [s for s in page.evaluate("window.seen") if s]
            partial = [s for s in dict.fromkeys(seen) if s != expected]
            assert len(partial) >= len(WORDS) // 2, seen  # shown as they came, not at the end
            assert all(expected.startswith(s) for s in partial)
            page.wait_for_function("() => !document.getElementById('send').disabled")
            assert page.locator("#stop").is_disabled()

            # The second answer stalls upstream: Stop ends it, and the server's provider
            # connection closes.
            page.locator("#prompt").fill("And another one")
            page.locator("#send").click()
            shown = "".join(WORDS[:STALLED_AFTER])
            page.wait_for_function(
                "t => { const a = document.querySelectorAll('#log .assistant');"
                " return a.length === 2 && a[1].textContent === t; }",
                arg=shown,
                timeout=10_000,
            )
            assert page.locator("#stop").is_enabled()
            assert not server.route_of(upstream).client_closed_early.is_set()
            page.locator("#stop").click()
            assert server.route_of(upstream).client_closed_early.wait(5), (
                "Stop did not cancel the upstream stream"
            )
            page.wait_for_function("() => !document.getElementById('send').disabled")
            assert page.locator("#stop").is_disabled()
            assert answers.nth(1).text_content() == shown  # what arrived stays
            assert page.locator("#log .error").count() == 0

            # The conversation goes on: the next request carries both turns, the stopped
            # answer as far as it came.
            page.locator("#prompt").fill("Thanks")
            page.locator("#send").click()
            page.wait_for_function(
                "() => document.querySelectorAll('#log .assistant').length === 3"
                " && document.querySelectorAll('#log .assistant')[2].textContent === 'fine'"
            )
        finally:
            page.close()
    sent = [json.loads(r.body) for r in server.requests(upstream)]
    assert len(sent) == 3
    assert sent[0]["messages"] == [{"role": "user", "content": "Recommend a fantasy book"}]
    assert sent[0]["stream"] is True
    assert sent[2]["messages"] == [
        {"role": "user", "content": "Recommend a fantasy book"},
        {"role": "assistant", "content": expected},
        {"role": "user", "content": "And another one"},
        {"role": "assistant", "content": shown},
        {"role": "user", "content": "Thanks"},
    ]


def test_an_upstream_error_shows_on_the_page(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, browser: Any
) -> None:
    error = {"error": {"message": "no such model", "type": "invalid_request_error"}}
    upstream = server.route(
        Reply(body=json.dumps(error).encode(), status=404, content_type="application/json")
    )
    with serving(monkeypatch, upstream) as (host, port):
        page = browser.new_page()
        try:
            page.goto(f"http://{host}:{port}/")
            page.locator("#prompt").fill("<b>hi</b>")
            page.locator("#send").click()
            page.locator("#log .error").wait_for(timeout=10_000)
            assert "no such model" in (page.locator("#log .error").text_content() or "")
            assert "upstream-key" not in page.content()
            assert page.locator("#log .user b").count() == 0  # the prompt shown as text
            assert page.locator("#send").is_enabled()
        finally:
            page.close()
