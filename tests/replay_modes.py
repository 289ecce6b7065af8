"""The two modes of a call-layer stream, for the tests that run every stream both ways: the
default ``stream=True`` keeps no chunk once yielded (iterated again, it yields nothing and warns
``ReplayWarning``); ``stream={"replay": True}`` keeps them and replays. The ``replay`` fixture
(``tests/conftest.py``) draws the mode."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import pytest

from streamcall.core.base import ReplayWarning, StreamConfig


def stream_option(replay: bool) -> Literal[True] | StreamConfig:
    """The decorator's ``stream=`` argument for the mode."""
    return {"replay": True} if replay else True


@contextmanager
def iterated_again(
    first: Sequence[Any], replay: bool, leftover: Sequence[Any] = ()
) -> Iterator[list[Any]]:
    """Around a second iteration of a consumed stream, which fills the list given: a stream
    with a replay yields ``first`` again, with no warning; one without yields ``leftover``
    (nothing, or the ``ErrorEvent`` of a failed stream's events), with a ``ReplayWarning``."""
    again: list[Any] = []
    if replay:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ReplayWarning)
            yield again
        assert again == list(first)
    else:
        with pytest.warns(ReplayWarning):
            yield again
        assert again == list(leftover)
