"""Saved conversations: one JSON file each under the data directory.

``STREAMCALL_HOME`` if set, else ``$XDG_DATA_HOME/streamcall``, else
``~/.local/share/streamcall``. Each conversation is ``conversations/<id>.json`` (rewritten
after every answer); ``/save NAME`` writes a copy as ``saved/NAME.json``. A file holds the
provider, the model, the parameters, the system prompt and the messages as text, never a
key; it is written atomically (a temporary file renamed over it) and readable by its owner
only. Reading is pure (:meth:`Record.from_json`); :class:`Store` is the thin file edge.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "Record", "Store", "StoreError", "data_dir", "saving_disabled"]

FORMAT = "streamcall.conversation"
VERSION = 1
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
_ROLES = ("user", "assistant")


class StoreError(Exception):
    """A conversation that cannot be found, read or written (the message says which)."""


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where conversations are kept."""
    if environ.get("STREAMCALL_HOME"):
        return Path(environ["STREAMCALL_HOME"])
    if environ.get("XDG_DATA_HOME"):
        return Path(environ["XDG_DATA_HOME"]) / "streamcall"
    return Path.home() / ".local" / "share" / "streamcall"


def saving_disabled(environ: Mapping[str, str] = os.environ) -> bool:
    """``STREAMCALL_NO_SAVE`` is set to something other than ``0`` or nothing."""
    return environ.get("STREAMCALL_NO_SAVE", "") not in ("", "0")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_id() -> str:
    """A new conversation id, sortable by time: ``20261130-194844-3f2a``."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


@dataclass
class Record:
    """One conversation as saved: who answered, with what, and the messages as text."""

    provider: str
    model: str
    id: str = field(default_factory=new_id)
    system: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, str]] = field(default_factory=list)
    created: str = field(default_factory=_now)
    updated: str = field(default_factory=_now)

    @property
    def first_prompt(self) -> str:
        """The first user message, on one line."""
        first = next((m["content"] for m in self.messages if m["role"] == "user"), "")
        return " ".join(first.split())

    def to_json(self) -> bytes:
        """The file's content."""
        data = {"format": FORMAT, "version": VERSION, **self.__dict__}
        return json.dumps(data, ensure_ascii=False, indent=1).encode() + b"\n"

    @classmethod
    def from_json(cls, data: bytes, where: str) -> Record:
        """Parse and check a file's content; :class:`StoreError` names ``where`` if it is not
        a conversation this version wrote."""
        try:
            obj = json.loads(data)
        except (UnicodeDecodeError, ValueError):
            raise StoreError(f"{where} is not JSON (a broken file?)") from None
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise StoreError(f"{where} is not a streamcall conversation")
        if obj.get("version") != VERSION:
            raise StoreError(f"{where} has format version {obj.get('version')!r} (known: 1)")
        try:
            record = cls(**{k: v for k, v in obj.items() if k not in ("format", "version")})
        except TypeError as exc:
            raise StoreError(f"{where} is not a streamcall conversation ({exc})") from None
        problem = record._problem()
        if problem:
            raise StoreError(f"{where} is not a streamcall conversation ({problem})")
        return record

    def _problem(self) -> str | None:
        texts = {"provider": self.provider, "model": self.model, "id": self.id}
        texts |= {"created": self.created, "updated": self.updated}
        for name, value in texts.items():
            if not isinstance(value, str):
                return f"{name} is not a string"
        if self.system is not None and not isinstance(self.system, str):
            return "system is not a string"
        if not isinstance(self.params, dict):
            return "params is not an object"
        if not isinstance(self.messages, list):
            return "messages is not a list"
        for message in self.messages:
            if not (
                isinstance(message, dict)
                and message.keys() == {"role", "content"}
                and message["role"] in _ROLES
                and isinstance(message["content"], str)
            ):
                return f"a message is not a user or assistant text: {str(message)[:60]}"
        return None


def check_key(key: str) -> str:
    """``key`` if it can name a file (letters, digits, ``.``, ``_``, ``-``), else
    :class:`StoreError`."""
    if not _KEY.fullmatch(key):
        raise StoreError(
            f"{key!r} is not a conversation id or name (letters, digits, '.', '_', '-')"
        )
    return key


@dataclass
class Store:
    """The conversations under ``root``."""

    root: Path

    @property
    def conversations(self) -> Path:
        """Where each conversation is kept under its id."""
        return self.root / "conversations"

    @property
    def saved(self) -> Path:
        """Where ``/save NAME`` puts its copies."""
        return self.root / "saved"

    def save(self, record: Record) -> Path:
        """Write ``record`` under its id."""
        record.updated = _now()
        return _write(self.conversations / f"{check_key(record.id)}.json", record.to_json())

    def save_as(self, name: str, record: Record) -> Path:
        """Write a copy of ``record`` as ``name``."""
        return _write(self.saved / f"{check_key(name)}.json", record.to_json())

    def load(self, key: str) -> tuple[Record, bool]:
        """The conversation saved as ``key`` (a name given to ``/save``, else an id), and
        whether it was a name."""
        check_key(key)
        for folder, named in ((self.saved, True), (self.conversations, False)):
            path = folder / f"{key}.json"
            if path.is_file():
                return _read(path), named
        raise StoreError(f"no conversation {key!r} in {self.root} (streamcall chats lists them)")

    def latest(self) -> Record:
        """The conversation written last."""
        paths = self._files(self.conversations)
        if not paths:
            raise StoreError(f"no saved conversation to continue in {self.root}")
        return _read(max(paths, key=lambda p: p.stat().st_mtime_ns))

    def listing(self) -> tuple[list[tuple[str, Record]], list[str]]:
        """(name or id, conversation) pairs, the latest first, and a line for each file that
        could not be read."""
        found: list[tuple[str, Record]] = []
        problems: list[str] = []
        for folder in (self.saved, self.conversations):
            for path in self._files(folder):
                try:
                    found.append((path.stem, _read(path)))
                except StoreError as exc:
                    problems.append(str(exc))
        found.sort(key=lambda item: item[1].updated, reverse=True)
        return found, problems

    @staticmethod
    def _files(folder: Path) -> list[Path]:
        try:
            return [p for p in folder.iterdir() if p.suffix == ".json" and _KEY.fullmatch(p.stem)]
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"cannot read {folder}: {exc.strerror or exc}") from None


def _read(path: Path) -> Record:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    return Record.from_json(data, str(path))


def _write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all, readable by its owner only."""
    try:
        path.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the data directory
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", dir=path.parent)  # 0600
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
