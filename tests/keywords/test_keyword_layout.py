"""The keyword package and the platforms' query syntax import each other in no circle.

Read from the source (every import, including those under TYPE_CHECKING and inside functions),
so a circle is caught even where Python would tolerate it at run time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("monitor", "sources", "alerts", "sentiment")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, name: str, known: dict[str, Path]) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            if target in known:
                yield target


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: set(_imports(path, name, known)) for name, path in known.items()}


def _cycle_through(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """A path start -> ... -> start, if there is one."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, ()):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def _keyword_modules(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        name
        for name in graph
        if name.startswith("monitor.keyword")
        or (name.startswith("sources.") and name.endswith("_query"))
    )


def test_keyword_and_query_modules_import_each_other_in_no_circle() -> None:
    graph = _graph()
    modules = _keyword_modules(graph)
    circles = {name: _cycle_through(name, graph) for name in [*modules, "monitor.config"]}
    assert {name: path for name, path in circles.items() if path} == {}
    assert "monitor.keywords.matcher" in modules and "sources.twitter_query" in modules


def test_the_keyword_package_is_the_ground_floor() -> None:
    """Only `editing` reads config files; nothing in the package knows a platform's syntax."""
    graph = _graph()
    for name in _keyword_modules(graph):
        if not name.startswith("monitor.keywords"):
            continue
        imports = graph[name]
        assert not {i for i in imports if i.split(".")[0] in ("sources", "alerts")}, name
        if name != "monitor.keywords.editing":
            assert "monitor.config" not in imports, name


def test_each_searchable_platform_has_its_query_syntax_beside_its_source() -> None:
    for platform in ("twitter", "reddit"):
        assert (REPO / "sources" / f"{platform}_query.py").is_file()
        source = (REPO / "sources" / f"{platform}.py").read_text(encoding="utf-8")
        assert f"from sources.{platform}_query import" in source
