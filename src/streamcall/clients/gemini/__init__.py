"""Gemini client (Google AI Studio): ``from streamcall.clients.gemini import Gemini``.

Models live in :mod:`streamcall.clients.gemini.models`.
"""

from streamcall.clients.gemini.client import Gemini

__all__ = ["Gemini"]
