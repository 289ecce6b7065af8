"""A pytest plugin: the ``streamcall_cassette`` fixture replays a recorded cassette, or records
it from the real provider under ``--streamcall-record`` (or ``STREAMCALL_RECORD=1``).

Enable it with ``pytest_plugins = ["streamcall.testing.pytest_plugin"]`` in a ``conftest.py``
or ``-p streamcall.testing.pytest_plugin``. A test says where to record from with a marker
and points its client at the fixture's URL::

    @pytest.mark.streamcall_cassette("https://api.mistral.ai")
    def test_answer(streamcall_cassette):
        client = Mistral(api_key=os.environ.get("MISTRAL_API_KEY", "test"),
                         server_url=streamcall_cassette)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamcall.testing._cassette import RECORDED, Rechunk
from streamcall.testing._servers import Recorder, Replayer

__all__ = ["RECORD_ENV", "CassetteURL", "cassette_path", "recording", "streamcall_cassette"]

RECORD_ENV = "STREAMCALL_RECORD"
MARKER = (
    "streamcall_cassette(upstream=None, *, path=None, speed=None, rechunk=None, match='path'): "
    "the provider URL the streamcall_cassette fixture records from, the cassette file (relative "
    "to the test's folder), and how it is replayed (speed None: at once; rechunk: a "
    "streamcall.testing.Rechunk; match: 'order', 'path' or 'body')"
)


class CassetteURL(str):
    """The base URL a test points its client at, knowing its server and cassette file."""

    server: Recorder | Replayer
    path: Path

    @property
    def recording(self) -> bool:
        """Whether this test records (rather than replays)."""
        return isinstance(self.server, Recorder)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--streamcall-record``."""
    group = parser.getgroup("streamcall")
    group.addoption(
        "--streamcall-record",
        action="store_true",
        default=False,
        help="record streamcall cassettes from the real providers (overwriting them) instead "
        f"of replaying them; also set by {RECORD_ENV}=1",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker."""
    config.addinivalue_line("markers", MARKER)


def recording(config: pytest.Config) -> bool:
    """Whether cassettes are recorded in this run."""
    env = os.environ.get(RECORD_ENV, "").strip().lower()
    return bool(config.getoption("streamcall_record")) or env not in ("", "0", "false", "no")


def cassette_path(request: pytest.FixtureRequest, given: str | os.PathLike[str] | None) -> Path:
    """The cassette of a test: ``given`` (relative to the test's folder), else
    ``cassettes/<module>/<test name>.json`` beside the test module."""
    folder = request.path.parent
    if given is not None:
        return folder / given
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    return folder / "cassettes" / request.path.stem / f"{name}.json"


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("streamcall_cassette")
    if marker is None:
        return {}
    options = dict(marker.kwargs)
    if marker.args:
        options.setdefault("upstream", marker.args[0])
    return options


@pytest.fixture
def streamcall_cassette(request: pytest.FixtureRequest) -> Iterator[CassetteURL]:
    """The base URL of a replay server for this test's cassette, or, when recording, of a
    recording proxy to the marker's ``upstream``. A replayed test fails when a request finds
    no recorded exchange, or when its cassette does not exist."""
    options = _options(request)
    path = cassette_path(request, options.get("path"))
    server: Recorder | Replayer
    if recording(request.config):
        upstream = options.get("upstream")
        if not upstream:
            pytest.fail("recording needs @pytest.mark.streamcall_cassette(upstream_url)")
        server = Recorder(str(upstream), path)
    elif not path.exists():
        pytest.fail(f"no cassette at {path}: record it once with --streamcall-record")
    else:
        rechunk: Rechunk = options.get("rechunk") or RECORDED
        server = Replayer(
            path, rechunk=rechunk, speed=options.get("speed"), match=options.get("match", "path")
        )
    url = CassetteURL(server.url)
    url.server, url.path = server, path
    with server:
        yield url
    if isinstance(server, Replayer) and server.unmatched:
        pytest.fail(f"requests with no recorded exchange in {path}: {server.unmatched}")
