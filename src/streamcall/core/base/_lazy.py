"""Names a module exports but imports on first use.

The tool base classes and toolkits are pydantic models and the provider modules are many: a
package names them here as ``"module:attribute"`` (or ``"module"``) and they are imported when
first read, so that ``import streamcall.core.<provider>`` imports no pydantic. Type checkers
see the same names through ``if TYPE_CHECKING:`` imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any

__all__ = ["lazy_exports", "load"]


@cache
def load(path: str) -> Any:
    """``"package.module:name"``: that attribute of the module; ``"package.module"``: the
    module (imported on the first call)."""
    module, _, name = path.partition(":")
    found = importlib.import_module(module)
    return getattr(found, name) if name else found


def lazy_exports(module: str, **names: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) that gives each of ``names`` (a name -> its
    ``"module:attribute"``) from the place named, imported on first use."""

    def __getattr__(name: str) -> Any:
        path = names.get(name)
        if path is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        return load(path)

    return __getattr__
