"""The call layer: ``streamcall.core.<provider>`` holds each provider's ``<provider>_call``.

As in ``mirascope.core``: ``from streamcall.core import mistral`` then
``@mistral.call("mistral-large-latest", stream=True)``, and the base names (``BaseTool``,
``BaseToolKit``, ``toolkit_tool``, ``prompt_template``, ``Messages``, ...) from here. Provider
modules and the pydantic-based names are imported on first use, so that importing one
provider stays fast.
"""

import importlib
from typing import TYPE_CHECKING, Any

from streamcall.core import base
from streamcall.core.base import __all__ as __all__
from streamcall.core.base.cost import calculate_cost

if TYPE_CHECKING:
    from streamcall.core import anthropic, azure, cohere, gemini, local, mistral, ollama, openai
    from streamcall.core.base import *  # noqa: F403

# The base names (type checkers read them from streamcall.core.base's literal __all__),
# calculate_cost, and the provider modules (imported on first use).
__all__ = [*__all__, "anthropic", "azure", "calculate_cost", "cohere", "gemini"]
__all__ += ["local", "mistral", "ollama", "openai"]


def __getattr__(name: str) -> Any:
    # The base names come from streamcall.core.base, which imports the pydantic-based ones
    # (BaseTool, the toolkits) on first use; a provider module is imported on first use.
    if name in base.__all__:
        return getattr(base, name)
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
