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

    def __str__(self) -> str:
        # As the official SDKs' pydantic models print: field=value ..., the tag (role) last.
        items = [f"{name}={getattr(self, name)!r}" for name in self.__struct_fields__]
        config = self.__struct_config__
        if config.tag_field is not None:
            items.append(f"{config.tag_field}={config.tag!r}")
        return " ".join(items)

    def model_dump(self) -> dict[str, Any]:
        """The model as plain JSON-compatible Python data."""
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data

    def model_dump_json(self) -> str:
        """The model as a JSON string."""
        return msgspec.json.encode(self).decode()

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Lets a wire model be a pydantic field type (an agent's ``history: list[...]``):
        validated from an instance or a dict, dumped as a dict. pydantic is imported only
        when a pydantic model that uses it is built, never by the clients themselves."""
        from pydantic_core import core_schema as cs

        def from_data(data: Any) -> Any:
            try:
                return msgspec.convert(data, cls)
            except msgspec.ValidationError as exc:
                raise ValueError(f"not a valid {cls.__name__}: {exc}") from None

        from_dict = cs.chain_schema(
            [cs.dict_schema(), cs.no_info_plain_validator_function(from_data)]
        )
        return cs.json_or_python_schema(
            json_schema=from_dict,
            python_schema=cs.union_schema([cs.is_instance_schema(cls), from_dict]),
            serialization=cs.plain_serializer_function_ser_schema(_to_builtins),
        )


def _to_builtins(value: Any) -> Any:
    return msgspec.to_builtins(value) if isinstance(value, msgspec.Struct) else value
