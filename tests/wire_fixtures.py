"""Access to the byte-exact wire fixtures in ``tests/fixtures/wire`` (tests only).

They live in the repository, so a fresh clone runs every test with nothing beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "wire"


def fixtures_dir() -> Path:
    """The fixture folder inside the repository (``tests/fixtures/wire``)."""
    return FIXTURES


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
