"""Anthropic Messages client: ``from streamcall.clients.anthropic import Anthropic``.

Models live in :mod:`streamcall.clients.anthropic.models`.
"""

from streamcall.clients.anthropic.client import Anthropic

__all__ = ["Anthropic"]
