"""The import graph of a source tree, read with ``ast`` (nothing is imported or run): which module
imports which, at any depth of the code: imports inside functions and under ``if TYPE_CHECKING:``
count too (a lazy import or a type is still a dependency between packages)."""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ImportGraph:
    root: str  # the top package's name, e.g. "sitespeak"
    modules: dict[str, Path] = field(default_factory=dict)
    imports: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def package_of(self, module: str) -> str:
        """``sitespeak.crawl.run`` → ``crawl``; a top-level module is its own package."""
        return module.split(".")[1] if "." in module else module

    def package_edges(self) -> dict[tuple[str, str], set[str]]:
        """(importing package, imported package) → the modules that make the edge."""
        edges: dict[tuple[str, str], set[str]] = defaultdict(set)
        for module, targets in self.imports.items():
            for target in targets:
                if not target.startswith(self.root + "."):
                    continue
                a, b = self.package_of(module), self.package_of(target)
                if a != b:
                    edges[(a, b)].add(module)
        return edges

    def package_cycles(self) -> list[list[str]]:
        """Every strongly connected group of more than one package (each holds a cycle)."""
        graph: dict[str, set[str]] = defaultdict(set)
        for a, b in self.package_edges():
            graph[a].add(b)
        return [sorted(c) for c in _strongly_connected(graph) if len(c) > 1]

    def reaches(self, module: str, banned: tuple[str, ...]) -> list[str] | None:
        """The chain of imports from ``module`` to the first outside module named in ``banned``
        (``quart``, ``huey``...), through our own modules; None if there is none."""
        seen = {module}
        queue = [[module]]
        while queue:
            chain = queue.pop(0)
            for target in sorted(self.imports.get(chain[-1], ())):
                if target.split(".")[0] in banned:
                    return [*chain, target]
                owner = self._module_for(target)
                if owner and owner not in seen:
                    seen.add(owner)
                    queue.append([*chain, owner])
        return None

    def _module_for(self, name: str) -> str | None:
        while name:
            if name in self.modules:
                return name
            name = name.rpartition(".")[0]
        return None


def import_graph(package_dir: Path) -> ImportGraph:
    root = package_dir.name
    graph = ImportGraph(root)
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph.modules[name] = path
    for name, path in graph.modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        graph.imports[name] = set(_imported(tree, name, is_package))
    return graph


def _imported(tree: ast.Module, module: str, is_package: bool):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            yield base
            # ``from pkg import mod`` imports the module pkg.mod when there is one.
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    keep = len(parts) - node.level + (1 if is_package else 0)
    return ".".join(parts[:keep] + ([node.module] if node.module else []))


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            found.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
