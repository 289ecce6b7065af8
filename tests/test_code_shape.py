"""The shape of the code, held: the async side of every sync/async twin stays small.

Sync and async code paths share their decisions (the stream session, the transport's
``Exchange``, the stream lifecycle); only the I/O edge is written twice. This counts the lines
of that second copy in ``src/``: every ``async def`` (or ``def`` returning an awaitable, named
``*_async`` / ``a*``) that has a sync twin of the same name in the same scope, and every
``AsyncX`` / ``XAsync`` class beside an ``X``.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "streamcall"
ASYNC_TWIN_LINES_LIMIT = 250

_DUNDER = {
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
}


def sync_names(name: str) -> set[str]:
    """The names a sync twin of ``name`` may have."""
    names = set()
    if name in _DUNDER:
        names.add(_DUNDER[name])
    if name.startswith("_a"):
        names.add("_" + name[2:])
    if name.startswith("a"):
        names.add(name[1:])
    for suffix in ("_async", "async"):
        if name.endswith(suffix):
            names.add(name[: -len(suffix)].rstrip("_"))
    if name.startswith("async_"):
        names.add(name[6:])
    if name.startswith("_async_"):
        names.add("_" + name[7:])
    names.discard(name)
    return names


def _awaits(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Await | ast.AsyncFor | ast.AsyncWith) for n in ast.walk(node))


def async_twins(source: str, where: str) -> list[tuple[str, int]]:
    """``(where, lines)`` of the async side of each twin in one file's ``source``."""
    tree = ast.parse(source)
    classes = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    found: list[tuple[str, int]] = []
    twin_classes = set()
    for name in classes:
        others = {name.replace("Async", "", 1)} - {name}
        if others & set(classes):
            twin_classes.add(name)
            node = classes[name]
            found.append((f"{where}:{node.lineno} class {name}", _lines(node)))
    scopes: list[ast.AST] = [tree, *(c for n, c in classes.items() if n not in twin_classes)]
    for scope in scopes:
        body = getattr(scope, "body", [])
        sync = {n.name for n in body if isinstance(n, ast.FunctionDef)}
        for node in body:
            if (isinstance(node, ast.AsyncFunctionDef) and sync_names(node.name) & sync) or (
                isinstance(node, ast.FunctionDef)
                and sync_names(node.name) & (sync - {node.name})
                and ("async" in node.name or _awaits(node))
            ):
                found.append((f"{where}:{node.lineno} {node.name}", _lines(node)))
    return found


def _lines(node: ast.AST) -> int:
    decorators = getattr(node, "decorator_list", [])
    end = getattr(node, "end_lineno", None) or getattr(node, "lineno", 0)
    return end - getattr(node, "lineno", 0) + 1 + len(decorators)


def test_the_async_side_of_the_twins_stays_small() -> None:
    twins = [
        t
        for path in sorted(SRC.rglob("*.py"))
        for t in async_twins(path.read_text("utf-8"), str(path.relative_to(SRC)))
    ]
    total = sum(lines for _, lines in twins)
    largest = sorted(twins, key=lambda t: -t[1])[:10]
    assert total <= ASYNC_TWIN_LINES_LIMIT, f"{total} lines; largest: {largest}"


def test_the_counter_sees_twins() -> None:
    import textwrap

    sample = textwrap.dedent(
        """
        class Stream:
            def close(self): ...
            async def aclose(self):
                await x
        class Reader: ...
        class AsyncReader:
            async def read(self): ...
        def create(): ...
        def create_async():
            return 1
        """
    )
    found = dict(async_twins(sample, "_shape_sample.py"))
    assert found == {
        "_shape_sample.py:4 aclose": 2,
        "_shape_sample.py:7 class AsyncReader": 2,
        "_shape_sample.py:10 create_async": 2,
    }
