"""streamcall: streaming-first LLM calls.

Subpackages are imported on demand so that ``import streamcall`` stays cheap:
``streamcall.clients.<provider>`` holds the lean provider clients, ``streamcall.wire`` the
sans-IO decoders, ``streamcall.transport`` the HTTP layer and ``streamcall.errors`` the errors.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
