"""The base class of every provider's wire models.

Wire models are ``msgspec.Struct`` classes: JSON bytes decode straight into typed objects in one
C pass, which is what keeps per-chunk overhead below the raw ``httpx`` + ``orjson`` floor (a
pydantic model per chunk costs about three times the whole floor; see docs/ARCHITECTURE.md).
They keep the pydantic-style ``model_dump()`` / ``model_dump_json()`` that SDK users reach for.
Enum-like fields are typed ``str`` so that a value the provider adds tomorrow is kept, not
rejected.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["WireModel"]


class WireModel(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """Base of the typed request and response models; unset (default) fields are not sent.

    ``gc=False``: decoded payloads are trees, never cycles, so the garbage collector need not
    track them (faster decoding). Do not build reference cycles through these objects.
    """

    def model_dump(self) -> dict[str, Any]:
        """The model as plain JSON-compatible Python data."""
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data

    def model_dump_json(self) -> str:
        """The model as a JSON string."""
        return msgspec.json.encode(self).decode()
