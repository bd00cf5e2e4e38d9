"""The shape of the code: no import cycle between sitespeak's packages, and the domain packages
know neither the web framework (Quart) nor the queue (Huey), not even through another module.
Read from the source with ``ast``: nothing is imported to check it."""

from __future__ import annotations

from pathlib import Path

import pytest

import sitespeak
from tests.support.imports import ImportGraph, import_graph

# The process side: they may use Quart or Huey. Everything else is the domain.
PLATFORM = {"web", "admin", "worker", "jobs", "cli", "assembly", "__main__"}
FRAMEWORKS = ("quart", "huey")


@pytest.fixture(scope="module")
def graph() -> ImportGraph:
    return import_graph(Path(sitespeak.__file__).parent)


def _explain(graph: ImportGraph, group: list[str]) -> str:
    edges = graph.package_edges()
    lines = [f"cycle among {', '.join(group)}:"]
    for (a, b), files in sorted(edges.items()):
        if a in group and b in group:
            lines.append(f"  {a} -> {b}: {', '.join(sorted(files))}")
    return "\n".join(lines)


def test_no_package_imports_a_package_that_imports_it_back(graph):
    cycles = graph.package_cycles()
    assert not cycles, "\n".join(_explain(graph, group) for group in cycles)


def test_no_domain_module_reaches_quart_or_huey(graph):
    found = []
    for module in sorted(graph.modules):
        if graph.package_of(module) in PLATFORM or module == graph.root:
            continue
        chain = graph.reaches(module, FRAMEWORKS)
        if chain:
            found.append(" -> ".join(chain))
    assert not found, "domain modules that reach a framework:\n" + "\n".join(found)


def test_the_checks_find_a_cycle_and_a_framework_import_when_there_is_one(tmp_path):
    """The two tests above can fail: a tree with a cycle and a domain module importing Quart."""
    pkg = tmp_path / "app"
    for name, source in {
        "__init__.py": "",
        "shop/__init__.py": "",
        "shop/cart.py": "from app.billing import invoice\n",
        "billing/__init__.py": "",
        "billing/invoice.py": "def f():\n    from app.shop.cart import x\n",
        "notes/__init__.py": "",
        "notes/pages.py": "from ..shop import cart\nfrom quart import Quart\n",
        "notes/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from app.mail import m\n",
        "mail/__init__.py": "",
        "mail/m.py": "from app.notes import typed\n",
    }.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(source)
    tree = import_graph(pkg)
    # A lazy import (billing) and an import only for the type checker (notes) count alike.
    assert sorted(tree.package_cycles()) == [["billing", "shop"], ["mail", "notes"]]
    assert tree.reaches("app.notes.pages", FRAMEWORKS) == ["app.notes.pages", "quart"]
    assert tree.reaches("app.shop.cart", FRAMEWORKS) is None
