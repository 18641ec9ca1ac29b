"""No import cycle among the modules of ``services/``, counting imports inside functions too.

A cycle (as once between the people service and the Graph sync: the service's CLI imported the sync
lazily, and the sync imported the service) makes the import order matter and the modules
inseparable; a type or value both need goes in a module both import."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The known modules ``path`` imports anywhere (``from a.b import c`` counts ``a.b.c`` when that
    is a module, else ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in known else node.module)
    return found & known


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_in_services():
    paths = sorted((ROOT / "services").rglob("*.py"))
    known = {module_name(p) for p in paths}
    graph = {module_name(p): imports_of(p, known) - {module_name(p)} for p in paths}
    # a package's __init__ re-exporting its own modules is not a cycle with them
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    assert find_cycle(graph) is None


def test_the_checker_sees_a_cycle():
    graph = {"a.service": {"a.graph_sync"}, "a.graph_sync": {"a.service"}, "a.cli": {"a.service"}}
    assert find_cycle(graph) == ["a.service", "a.graph_sync", "a.service"]
    assert find_cycle({"a.service": {"a.directory"}, "a.graph_sync": {"a.directory"}}) is None
