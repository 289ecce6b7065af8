"""Gemini client (Google AI Studio): ``from streamcall.clients.gemini import Gemini``.

Models live in :mod:`streamcall.clients.gemini.models`.
"""

from streamcall.clients.gemini.client import Gemini
from streamcall.clients.gemini.params import ContentArgs, GenerateContentParams

__all__ = ["ContentArgs", "Gemini", "GenerateContentParams"]
