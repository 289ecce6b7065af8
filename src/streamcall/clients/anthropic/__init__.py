"""Anthropic Messages client: ``from streamcall.clients.anthropic import Anthropic``.

Models live in :mod:`streamcall.clients.anthropic.models`.
"""

from streamcall.clients.anthropic.client import Anthropic
from streamcall.clients.anthropic.params import MessageArgs, MessageCreateParams

__all__ = ["Anthropic", "MessageArgs", "MessageCreateParams"]
