"""The cassette: recorded HTTP exchanges, their file format, secret scrubbing, and the replay
plan (which bytes to write when). Pure: no sockets, no clocks."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from streamcall import _secrets

__all__ = ["FORMAT", "VERSION", "Cassette", "Interaction", "Piece", "Rechunk", "plan"]

FORMAT = "streamcall-cassette"
VERSION = 1

# Headers that describe one connection, not the response (RFC 9110 7.6.1), and the framing the
# replay server writes itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "content-encoding",
    }
)
# The transport's credential headers, and what a recording must not keep either: a response's
# cookies and an API gateway's subscription key.
CREDENTIAL_HEADERS = _secrets.CREDENTIAL_HEADERS | {"set-cookie", "ocp-apim-subscription-key"}
CREDENTIAL_PARAMS = frozenset({"key", "api_key", "api-key", "apikey", "access_token", "token"})
_MASK = b"*"


@dataclass(frozen=True)
class Piece:
    """One piece of a response body as received, ``at`` seconds after the request was sent."""

    at: float
    data: bytes


@dataclass
class Interaction:
    """One recorded request and its response.

    Attributes:
        method: The request method.
        path: The path (and query, credentials removed) the client asked the proxy for.
        request_body: The request body, used to match requests when replaying.
        status: The response status.
        headers: The response headers, without hop-by-hop headers and credentials.
        head_at: Seconds from sending the request to receiving the response head.
        pieces: The response body, as the pieces received and when.
        complete: Whether the body ended normally (a body cut by the server or the client is
            replayed cut at the same byte).
    """

    method: str
    path: str
    request_body: bytes
    status: int
    headers: list[tuple[str, str]]
    head_at: float = 0.0
    pieces: list[Piece] = field(default_factory=list)
    complete: bool = True

    @property
    def body(self) -> bytes:
        """The whole response body."""
        return b"".join(p.data for p in self.pieces)

    def header(self, name: str) -> str | None:
        """The first value of a response header, by case-insensitive name."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def to_json(self) -> dict[str, Any]:
        """This interaction as JSON data (bytes as UTF-8 text, else base64)."""
        return {
            "request": {"method": self.method, "path": self.path, **_dump(self.request_body)},
            "response": {
                "status": self.status,
                "headers": [list(h) for h in self.headers],
                "head_at": round(self.head_at, 6),
                "complete": self.complete,
                "pieces": [{"at": round(p.at, 6), **_dump(p.data)} for p in self.pieces],
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Interaction:
        """Read an interaction written by ``to_json``."""
        request, response = data["request"], data["response"]
        return cls(
            method=request["method"],
            path=request["path"],
            request_body=_load(request),
            status=int(response["status"]),
            headers=[(str(k), str(v)) for k, v in response["headers"]],
            head_at=float(response.get("head_at", 0.0)),
            pieces=[Piece(float(p["at"]), _load(p)) for p in response["pieces"]],
            complete=bool(response.get("complete", True)),
        )


def _dump(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def _load(data: dict[str, Any]) -> bytes:
    if "base64" in data:
        return base64.b64decode(data["base64"])
    text: str = data.get("text", "")
    return text.encode("utf-8")


@dataclass
class Cassette:
    """Recorded interactions, in the order they were made, and the file holding them."""

    interactions: list[Interaction] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Cassette:
        """Read a cassette file; a ``ValueError`` for another format or a newer version."""
        data = json.loads(Path(path).read_text("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{os.fspath(path)!r} is not a {FORMAT} file")
        if data.get("version") != VERSION:
            raise ValueError(
                f"{os.fspath(path)!r} is cassette version {data.get('version')!r}; "
                f"this streamcall reads version {VERSION}"
            )
        return cls([Interaction.from_json(i) for i in data["interactions"]])

    def dumps(self) -> str:
        """The file's text: indented JSON, one body piece a line."""
        data = {
            "format": FORMAT,
            "version": VERSION,
            "interactions": [i.to_json() for i in self.interactions],
        }
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the file atomically (a reader never sees half a cassette)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(self.dumps())
        os.replace(tmp, target)


# -- secrets ---------------------------------------------------------------------------------


def credentials(headers: Iterable[tuple[str, str]], path: str) -> set[str]:
    """The secrets a request carries: credential header values (and the token after an auth
    scheme such as ``Bearer``) and credential query parameters."""
    found: set[str] = set()
    for name, value in headers:
        if name.lower() in CREDENTIAL_HEADERS and value:
            found.add(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.isalpha():
                found.add(token.strip())
    for name, value in parse_qsl(urlsplit(path).query, keep_blank_values=True):
        if name.lower() in CREDENTIAL_PARAMS and value:
            found.add(value)
    return {s for s in found if len(s) >= 3}


def scrub_path(path: str, secrets: Iterable[str] = ()) -> str:
    """The path with credential query parameters dropped and any secret masked."""
    parts = urlsplit(path)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in CREDENTIAL_PARAMS
    ]
    scrubbed = urlunsplit(("", "", parts.path, urlencode(query), ""))
    return mask(scrubbed.encode(), secrets).decode()


def mask(data: bytes, secrets: Iterable[str]) -> bytes:
    """``data`` with every occurrence of a secret replaced by as many ``*``: lengths and so
    piece boundaries stay as they were, and the secret is gone."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        raw = secret.encode()
        data = data.replace(raw, _MASK * len(raw))
    return data


def scrub_headers(
    headers: Iterable[tuple[str, str]], secrets: Iterable[str]
) -> list[tuple[str, str]]:
    """Response headers worth keeping: no hop-by-hop headers or credentials, secrets masked."""
    secrets = list(secrets)
    return [
        (name, mask(value.encode("latin-1"), secrets).decode("latin-1"))
        for name, value in headers
        if name.lower() not in HOP_BY_HOP and name.lower() not in CREDENTIAL_HEADERS
    ]


def scrub_pieces(pieces: Sequence[Piece], secrets: Iterable[str]) -> list[Piece]:
    """The pieces with secrets masked across their boundaries (a secret split in two pieces
    is masked too); each piece keeps its length and time."""
    whole = b"".join(p.data for p in pieces)
    masked = mask(whole, secrets)
    if masked == whole:
        return list(pieces)
    out, start = [], 0
    for piece in pieces:
        end = start + len(piece.data)
        out.append(Piece(piece.at, masked[start:end]))
        start = end
    return out


# -- replay plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rechunk:
    """How a replayed body is cut into writes (and HTTP chunks).

    ``Rechunk.recorded()`` (the default) writes the pieces as received; ``whole()`` writes the
    body at once; ``fixed(n, ...)`` cuts it into sizes cycled through; ``events()`` writes one
    event a chunk (after each blank line of an SSE body, each line of NDJSON).
    """

    kind: str = "recorded"
    sizes: tuple[int, ...] = ()
    separator: bytes | None = None

    @classmethod
    def recorded(cls) -> Rechunk:
        """The pieces as they were received."""
        return cls()

    @classmethod
    def whole(cls) -> Rechunk:
        """The whole body in one write."""
        return cls("whole")

    @classmethod
    def fixed(cls, *sizes: int) -> Rechunk:
        """Pieces of these sizes, cycled."""
        if not sizes or min(sizes) < 1:
            raise ValueError("fixed() needs sizes of at least 1 byte")
        return cls("fixed", sizes=sizes)

    @classmethod
    def events(cls, separator: bytes | None = None) -> Rechunk:
        """One write per event; the separator is found from the body when not given
        (``\\r\\n\\r\\n`` or ``\\n\\n`` for SSE, ``\\n`` for NDJSON)."""
        return cls("events", separator=separator)

    def cut(self, body: bytes, content_type: str = "") -> list[int]:
        """The end offsets of the writes (not used for ``recorded``)."""
        if not body:
            return []
        if self.kind == "whole":
            return [len(body)]
        ends: list[int] = []
        if self.kind == "fixed":
            i = 0
            while i < len(body):
                i = min(len(body), i + self.sizes[len(ends) % len(self.sizes)])
                ends.append(i)
            return ends
        sep = self.separator or _separator(body, content_type)
        i = body.find(sep)
        while i != -1:
            ends.append(i + len(sep))
            i = body.find(sep, i + len(sep))
        if not ends or ends[-1] != len(body):
            ends.append(len(body))
        return ends


def _separator(body: bytes, content_type: str) -> bytes:
    if "ndjson" in content_type or "jsonl" in content_type:
        return b"\n"
    if b"\r\n\r\n" in body:
        return b"\r\n\r\n"
    return b"\n\n"


RECORDED = Rechunk()


def plan(
    interaction: Interaction, rechunk: Rechunk = RECORDED, speed: float | None = None
) -> tuple[float, list[tuple[float, bytes]]]:
    """When to send the head, and each write with when to send it (seconds from receiving
    the request). ``speed`` ``None`` sends everything at once; ``1.0`` at the recorded pace;
    ``2.0`` twice as fast. A re-cut piece is due when its last byte was received."""
    if speed is not None and speed <= 0:
        raise ValueError("speed must be positive (or None: at once)")
    scale = 0.0 if speed is None else 1.0 / speed
    pieces = [p for p in interaction.pieces if p.data]
    if rechunk.kind == "recorded":
        return interaction.head_at * scale, [(p.at * scale, p.data) for p in pieces]
    body = b"".join(p.data for p in pieces)
    received: list[tuple[int, float]] = []  # (end offset, time) of each recorded piece
    end = 0
    for p in pieces:
        end += len(p.data)
        received.append((end, p.at))
    writes, start, k = [], 0, 0
    for stop in rechunk.cut(body, interaction.header("content-type") or ""):
        while received[k][0] < stop:
            k += 1
        writes.append((received[k][1] * scale, body[start:stop]))
        start = stop
    return interaction.head_at * scale, writes
