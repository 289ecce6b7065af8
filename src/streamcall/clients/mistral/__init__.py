"""Mistral chat client: ``from streamcall.clients.mistral import Mistral``.

Models live in :mod:`streamcall.clients.mistral.models`.
"""

from streamcall.clients.mistral.client import Chat, Mistral
from streamcall.clients.mistral.params import ChatArgs, MistralChatParams, MistralRequestOptions

__all__ = ["Chat", "ChatArgs", "Mistral", "MistralChatParams", "MistralRequestOptions"]
