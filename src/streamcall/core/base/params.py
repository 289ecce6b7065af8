"""Neutral call parameters, mapped once per provider to its own names.

``call_params={"max_tokens": 100, "stop": "END"}`` means the same on every provider: each
provider's spec declares a :data:`ParamMap` (``core/<provider>/_types.py``) that says where each
neutral parameter goes in its request (``max_tokens`` -> Gemini's ``maxOutputTokens``, Ollama's
``options.num_predict``, the Responses API's ``max_output_tokens``). Parameters that are not
neutral names pass through untouched, so provider-specific ones keep working; a neutral
parameter given in the provider's own form (Anthropic's ``tool_choice={"type": "any"}``) is
left as given. A neutral parameter a provider cannot take is dropped with a
:class:`NeutralParamWarning` (the call still runs, as when ``llm.override`` moves a function to
another provider).
"""

import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from streamcall.core.base.types import CommonCallParams

__all__ = [
    "COMMON_PARAMS",
    "CommonCallParams",
    "NeutralParamWarning",
    "ParamMap",
    "as_list",
    "to_provider_params",
]


COMMON_PARAMS: frozenset[str] = frozenset(CommonCallParams.__annotations__)
_ORDER = {name: i for i, name in enumerate(CommonCallParams.__annotations__)}

Target: TypeAlias = str | Callable[[Any], Mapping[str, Any]] | None
"""Where a neutral parameter goes: a dotted path (``"options.num_predict"``), a function from
the value to a fragment merged into the request params, or ``None``: not supported."""

ParamMap: TypeAlias = Mapping[str, Target]
"""Neutral name -> :data:`Target`, one per provider; a name left out is not supported."""


class NeutralParamWarning(UserWarning):
    """A neutral call parameter the provider cannot take was dropped."""


def as_list(value: Any) -> Any:
    """A stop value as a list (providers that take only ``stop_sequences`` lists)."""
    return [value] if isinstance(value, str) else value


def to_provider_params(
    params: Mapping[str, Any], mapping: ParamMap, provider: str
) -> dict[str, Any]:
    """``params`` with the neutral names put where ``provider`` takes them."""
    if COMMON_PARAMS.isdisjoint(params):
        return dict(params)
    out: dict[str, Any] = {}
    neutral: list[tuple[str, Any]] = []
    for key, value in params.items():
        if key in COMMON_PARAMS:
            neutral.append((key, value))
        else:
            out[key] = value
    neutral.sort(key=lambda item: _ORDER[item[0]])  # tool_choice before parallel_tool_calls
    for key, value in neutral:
        target = mapping.get(key)
        if target is None:
            warnings.warn(
                f"{provider} does not take the call parameter {key!r}; it was not sent",
                NeutralParamWarning,
                stacklevel=4,
            )
        elif isinstance(target, str):
            _merge(out, _nest(target, value))
        else:
            _merge(out, target(value))
    return out


def _nest(path: str, value: Any) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    return {head: _nest(rest, value) if rest else value}


def _merge(into: dict[str, Any], fragment: Mapping[str, Any]) -> None:
    """Merge ``fragment`` into ``into``; a value already given in the provider's own form
    wins over the neutral one (nested mappings are merged key by key, never mutated)."""
    for key, value in fragment.items():
        have = into.get(key)
        if isinstance(have, Mapping) and isinstance(value, Mapping):
            merged = dict(value)
            merged.update(have)
            into[key] = merged
        elif key not in into:
            into[key] = value
