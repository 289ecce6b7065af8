"""Access to the byte-exact wire fixtures in ``../shared/fixtures/wire`` (tests only)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def fixtures_dir() -> Path:
    """The fixture folder: ``$STREAMCALL_WIRE_FIXTURES`` or ``../shared/fixtures/wire``."""
    override = os.environ.get("STREAMCALL_WIRE_FIXTURES")
    path = Path(override) if override else ROOT.parent / "shared" / "fixtures" / "wire"
    if not path.is_dir():
        raise FileNotFoundError(
            f"wire fixtures not found at {path}: check out shared/ beside the repository "
            "or set STREAMCALL_WIRE_FIXTURES"
        )
    return path


@dataclass(frozen=True)
class WireFixture:
    name: str
    body: bytes
    expected: dict[str, Any]

    @property
    def is_ndjson(self) -> bool:
        return self.expected["framing"]["format"] == "ndjson" or self.name.endswith(".ndjson")


@cache
def all_fixtures() -> tuple[WireFixture, ...]:
    out = []
    for path in sorted(fixtures_dir().iterdir()):
        if path.suffix not in (".sse", ".ndjson"):
            continue
        expected_path = path.with_name(path.name[: -len(path.suffix)] + ".expected.json")
        out.append(WireFixture(path.name, path.read_bytes(), json.loads(expected_path.read_text())))
    return tuple(out)


def fixtures(prefix: str) -> list[WireFixture]:
    return [f for f in all_fixtures() if f.name.startswith(prefix)]
