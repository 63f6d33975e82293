"""File → Export Script ▸ NEST / PyNN / Brian2 / Python…: the open document, unsaved edits included."""

from __future__ import annotations

import ast
from dataclasses import replace

from PySide6.QtWidgets import QMessageBox


def _change_population(window, **fields) -> None:
    node = window.document.nodes["E"]
    window.document.set_node("E", replace(node, data=replace(node.data, **fields)))


def test_each_target_writes_the_document_as_it_stands(qtbot, cuba_window, tmp_path):
    window = cuba_window
    menu = window.script_export.menu
    assert menu in [a.menu() for a in window.menuBar().actions()[0].menu().actions()]
    assert [a.text() for a in menu.actions()] == ["&NEST Script…", "&PyNN Script…", "&Brian2 Script…",
                                                  "P&ython Script (this engine)…"]
    _change_population(window, size=1000)
    for target in ("nest", "pynn", "brian2", "python"):
        written = window.script_export.export(target, tmp_path / f"cuba_{target}.py")
        assert written == tmp_path / f"cuba_{target}.py"
        ast.parse(written.read_text())
    assert "'size': 1000" in (tmp_path / "cuba_nest.py").read_text()


def test_a_refusal_is_shown_and_nothing_written(qtbot, cuba_window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append((title, text)))
    _change_population(cuba_window, model="lif")
    assert cuba_window.script_export.export("nest", tmp_path / "x.py") is None
    assert not (tmp_path / "x.py").exists()
    assert shown == [("Export script", "population `E`, on_pre `ge += w`: unknown variable `ge`")]
