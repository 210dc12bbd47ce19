"""The package's shape: layers import downwards only (import-linter, pyproject.toml), no
import circles, and config.yaml is read in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tipdesk"


def test_layers_contract_is_kept(monkeypatch):
    monkeypatch.chdir(ROOT)  # the contract lives in pyproject.toml
    assert lint_imports(no_cache=True) == 0


def test_no_import_circles():
    graph = grimp.build_graph("tipdesk", exclude_type_checking_imports=False)
    circles = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                circles.add(" -> ".join((module, *back)))
    assert not circles


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_config_reads_the_yaml():
    readers = sorted(str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py") if "yaml" in _imports(p))
    assert readers == ["tipdesk/config.py"]


def test_every_subpackage_says_what_lives_there():
    for init in PACKAGE.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "import" in doc, f"{init.parent.name}/__init__.py needs a docstring naming what it may import"
