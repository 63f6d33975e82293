"""The layers of the blueprint hold (only views imports Qt; studio -> hdl -> engine -> ext), no module
imports itself back through others (not even for type checking), and pyflakes-level checks (unused
imports and variables, undefined names) pass."""

import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def import_cycles(*packages: str) -> list[list[str]]:
    """Every group of modules that import one another in a circle (imports under TYPE_CHECKING count)."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    imports = nx.DiGraph((module, imported) for module in graph.modules
                         for imported in graph.find_modules_directly_imported_by(module))
    return sorted(sorted(group) for group in nx.strongly_connected_components(imports) if len(group) > 1)


def test_the_import_graph_has_no_cycles():
    assert import_cycles("engine", "ext", "hdl", "studio", "views") == []


def test_a_cycle_is_found_even_through_a_type_checking_import(tmp_path, monkeypatch):
    package = tmp_path / "looped"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from looped import b\n")
    (package / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from looped import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("looped") == [["looped.a", "looped.b"]]


def test_no_unused_names_or_undefined_names():
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "--select", "F", "--output-format", "concise",
                             "engine", "ext", "hdl", "studio", "views", "benchmarks", "tests"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
