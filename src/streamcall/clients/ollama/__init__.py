"""Ollama native client: ``from streamcall.clients.ollama import Ollama``.

Models live in :mod:`streamcall.clients.ollama.models`.
"""

from streamcall.clients.ollama.client import Ollama
from streamcall.clients.ollama.params import ChatArgs, OllamaChatParams

__all__ = ["ChatArgs", "Ollama", "OllamaChatParams"]
