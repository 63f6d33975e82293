"""The palette: library models, the project's own models, generators and recorders, dragged onto the graph."""

from __future__ import annotations

from typing import Iterable

from PySide6.QtCore import QByteArray, QMimeData, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from engine.models import LIBRARY
from engine.network.devices import CURRENT_GENERATORS, RECORDERS, SPIKE_GENERATORS
from studio.interop.nestml_import import NestmlModel, convert_nestml, library_files
from studio.interop.nestml_reader import NestmlRefused

MIME_TYPE = "application/x-ncstudio-node"
_ROLE = Qt.ItemDataRole.UserRole
_PATH = Qt.ItemDataRole.UserRole + 1

DEVICE_HELP = {
    "dc_generator": "constant current (amplitude)",
    "ac_generator": "sinusoidal current (amplitude, offset, frequency, phase)",
    "step_current_generator": "piecewise-constant current (amplitude_times, amplitude_values)",
    "noise_generator": "Gaussian white-noise current (mean, std, dt)",
    "poisson_generator": "independent Poisson spike trains (rate)",
    "spike_generator": "spikes at given times (spike_times)",
    "spike_recorder": "records every spike of its population",
    "voltmeter": "samples V_m of chosen neurons",
    "multimeter": "samples chosen state variables (record_from, interval)",
    "population_rate": "binned population firing rate",
    "weight_recorder": "records the weights of a plastic projection",
}


def encode(kind: str, name: str) -> QMimeData:
    """The drag payload of a palette entry: ``kind`` is "population" (``name`` a model) or "device"."""
    mime = QMimeData()
    mime.setData(MIME_TYPE, QByteArray(f"{kind}\t{name}".encode()))
    return mime


def decode(mime: QMimeData) -> tuple[str, str] | None:
    """``(kind, name)`` of a palette drag, or ``None`` for anything else."""
    if not mime.hasFormat(MIME_TYPE):
        return None
    kind, _, name = bytes(mime.data(MIME_TYPE).data()).decode().partition("\t")
    return kind, name


class _Tree(QTreeWidget):
    def __init__(self, resolve):
        super().__init__()
        self._resolve = resolve

    def mimeData(self, items) -> QMimeData:
        entry = self._resolve(items[0]) if items else None
        return encode(*entry) if entry else QMimeData()

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]


class Palette(QWidget):
    """Models and devices to drag onto the graph; double-click (or Enter) adds at the centre of the view.

    Signals
    -------
    chosen(kind, name)
        An entry was activated: ``("population", model)`` or ``("device", kind)``.
    nestml_converted(model)
        A NESTML library model was converted on its first use (a
        :class:`~studio.interop.nestml_import.NestmlModel`), before ``chosen`` names it.
    """

    chosen = Signal(str, str)
    nestml_converted = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.filter = QLineEdit(placeholderText="Filter models and devices")
        self.filter.setClearButtonEnabled(True)
        self.tree = _Tree(self._resolve)
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.itemActivated.connect(self._activated)
        self.filter.textChanged.connect(self._filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self._project = self._group("Project models", ())
        families: dict[str, list] = {}
        for model in LIBRARY.values():
            families.setdefault(model.family or "other", []).append(model)
        library = self._group("Neuron models", ())
        for family, models in sorted(families.items()):
            group = QTreeWidgetItem(library, [family])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for m in models:
                self._entry(group, "population", m.name, f"{m.title}\n\n{m.description}")
        self._nestml = self._group("NESTML", ())
        self._converted: dict[str, NestmlModel] = {}
        for path in library_files():
            self._entry(self._nestml, "nestml", path.stem,
                        f"{path.name} from the NESTML model library (converted on first use)").setData(0, _PATH, path)
        self._nestml.setHidden(self._nestml.childCount() == 0)
        self._group("Generators", CURRENT_GENERATORS + SPIKE_GENERATORS)
        self._group("Recorders", tuple(k for k in RECORDERS if k != "weight_recorder"))
        self.tree.expandToDepth(0)

    def _group(self, title: str, devices: Iterable[str]) -> QTreeWidgetItem:
        group = QTreeWidgetItem(self.tree, [title])
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)
        for kind in devices:
            self._entry(group, "device", kind, DEVICE_HELP.get(kind, ""))
        return group

    @staticmethod
    def _entry(parent: QTreeWidgetItem, kind: str, name: str, tip: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [name])
        item.setData(0, _ROLE, (kind, name))
        item.setToolTip(0, tip)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
        return item

    def set_project_models(self, names: Iterable[str]) -> None:
        """Show the models defined in the open project."""
        self._project.takeChildren()
        for name in names:
            self._entry(self._project, "population", name, "a model defined in this project")
        self._project.setHidden(self._project.childCount() == 0)
        self._project.setExpanded(True)

    def entry(self, name: str) -> QTreeWidgetItem:
        """The palette entry called ``name`` (a model or a device kind)."""
        found = [i for i in self.tree.findItems(name, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
                 if i.data(0, _ROLE)]
        if not found:
            raise KeyError(name)
        return found[0]

    def _activated(self, item: QTreeWidgetItem) -> None:
        entry = self._resolve(item)
        if entry:
            self.chosen.emit(*entry)

    def _resolve(self, item: QTreeWidgetItem) -> tuple[str, str] | None:
        """The ``(kind, name)`` an entry adds: a NESTML entry is converted first (once), and greyed with the
        reason in its tooltip when the conversion is refused."""
        entry = item.data(0, _ROLE)
        if not entry or entry[0] != "nestml":
            return entry
        name = entry[1]
        if name not in self._converted:
            try:
                self._converted[name] = convert_nestml(item.data(0, _PATH))
            except NestmlRefused as exc:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                item.setToolTip(0, f"Not convertible: {exc}")
                return None
            item.setToolTip(0, f"{item.toolTip(0).split(' (')[0]}: converted "
                               f"(receptors {', '.join(self._converted[name].receptors)})")
            self.nestml_converted.emit(self._converted[name])
        return "population", self._converted[name].name

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()

        def visit(item: QTreeWidgetItem) -> bool:
            if item.data(0, _ROLE):
                shown = not needle or needle in item.text(0).lower() or needle in item.toolTip(0).lower()
            else:
                shown = any([visit(item.child(i)) for i in range(item.childCount())])
            item.setHidden(not shown)
            if shown and needle:
                item.setExpanded(True)
            return shown

        for i in range(self.tree.topLevelItemCount()):
            visit(self.tree.topLevelItem(i))
