"""Mistral chat client: ``from streamcall.clients.mistral import Mistral``.

Models live in :mod:`streamcall.clients.mistral.models`.
"""

from streamcall.clients.mistral.client import Chat, Mistral

__all__ = ["Chat", "Mistral"]
