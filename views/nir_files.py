"""File → Import… and File → Export… for NIR graphs (the ``nir`` package: snnTorch, Norse, Sinabs, Lava).

Import reads a ``*.nir`` file into a new, unsaved project (:mod:`studio.interop.nir_import`), laid
out left to right by :func:`views.graph.layout.auto_layout`, and opens it in the editor; export
writes the shown project as a NIR graph (:mod:`studio.interop.nir_export`).  The file dialogs are
methods, so tests give the paths without them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from engine.equations.units import SECOND, SI_UNITS, Quantity, UnitError
from engine.errors import NeuroCoreError
from studio.document.document import Document
from studio.interop.nir_export import export_nir
from studio.interop.nir_import import import_nir, read_nir, stated_dt
from studio.interop.nir_lowering import NirError
from studio.project.project_doc import ProjectDoc
from views.graph.layout import auto_layout

FILTER = "NIR graphs (*.nir);;All files (*)"
DEFAULT_DT_TEXT = "0.1 ms"


def _seconds(text: str) -> float:
    value = Quantity.parse(text, SECOND)
    if not value.value > 0:
        raise NirError(f"time step `{text}` must be longer than zero")
    return value.in_units(SI_UNITS)


def laid_out(doc: ProjectDoc) -> ProjectDoc:
    """``doc`` with every population and device placed by :func:`auto_layout` (sources to the left)."""
    document = Document.from_project(doc)
    placed = auto_layout(list(document.nodes), [(e.source, e.target) for e in document.edges.values()])
    return replace(doc, populations=tuple(replace(p, position=placed[p.name]) for p in doc.populations),
                   devices=tuple(replace(d, position=placed[d.name]) for d in doc.devices))


class NirFiles:
    """The two actions, for ``window`` (a :class:`views.main_window.MainWindow`)."""

    def __init__(self, window):
        self.window = window
        self.import_action = QAction("&Import NIR Graph…", window,
                                     statusTip="Open a NIR graph (snnTorch, Norse, Sinabs, Lava) as a new project")
        self.import_action.triggered.connect(lambda: self.import_graph())
        self.export_action = QAction("&Export as NIR Graph…", window,
                                     statusTip="Write the project as a NIR graph that nir.read loads")
        self.export_action.triggered.connect(lambda: self.export_graph())

    def ask_import_path(self) -> str:
        return QFileDialog.getOpenFileName(self.window, "Import NIR graph", "", FILTER)[0]

    def ask_export_path(self) -> str:
        document = self.window.document
        name = f"{Path(document.path).stem if document.path else 'network'}.nir"
        path = QFileDialog.getSaveFileName(self.window, "Export as NIR graph", name, FILTER)[0]
        return path if not path or Path(path).suffix else path + ".nir"

    def ask_dt(self) -> str | None:
        """The time step, as typed, for a graph that states none (``None``: cancel the import)."""
        text, ok = QInputDialog.getText(self.window, "Import NIR graph",
                                        "The graph does not state its time step (snnTorch exports assume 0.1 ms, "
                                        "Norse 1 ms).\nTime step:", text=DEFAULT_DT_TEXT)
        return text if ok else None

    def import_graph(self, path: str | Path | None = None) -> bool:
        """Open the NIR file ``path`` (asked for when ``None``) as a new unsaved project; ``False`` if not.

        A graph that does not state its time step (``metadata["dt"]``) is imported with the one :meth:`ask_dt`
        gives."""
        path = path or self.ask_import_path()
        if not path or not self.window.files.maybe_save():
            return False
        try:
            graph = read_nir(path)
            dt = None
            if stated_dt(graph) is None:
                typed = self.ask_dt()
                if typed is None:
                    return False
                dt = _seconds(typed)
            doc = laid_out(import_nir(path, dt, graph))
        except (NeuroCoreError, UnitError, OSError) as exc:
            QMessageBox.warning(self.window, "Import NIR graph", f"Cannot import {path}:\n{exc}")
            return False
        self.window.set_document(Document.from_project(doc), recovered=True)  # unsaved: Save asks where
        self.window.statusBar().showMessage(f"Imported {Path(path).name}: {len(doc.populations)} populations, "
                                            f"{len(doc.projections)} projections", 8000)
        return True

    def export_graph(self, path: str | Path | None = None) -> Path | None:
        """Write the shown project to the NIR file ``path`` (asked for when ``None``); ``None`` if not."""
        path = path or self.ask_export_path()
        if not path:
            return None
        try:
            written = export_nir(self.window.document.to_project(), path)
        except (NeuroCoreError, OSError) as exc:
            QMessageBox.warning(self.window, "Export as NIR graph", f"Cannot export to {path}:\n{exc}")
            return None
        self.window.statusBar().showMessage(f"Wrote {written}", 8000)
        return written
