"""Cohere v2 chat client: ``from streamcall.clients.cohere import ClientV2`` (alias ``Cohere``).

Models live in :mod:`streamcall.clients.cohere.models`.
"""

from streamcall.clients.cohere.client import ClientV2, Cohere
from streamcall.clients.cohere.params import ChatArgs, CohereChatParams

__all__ = ["ChatArgs", "ClientV2", "Cohere", "CohereChatParams"]
