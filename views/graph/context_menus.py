"""The graph's right-click menus: on a node, on an edge and on the empty canvas.

Every entry is an edit the scene pushes as one undoable step (or a selection,
a layout, a view change).  A right-click on an item that is not selected
selects it alone first, so what the menu's Delete and Duplicate act on is
what is highlighted.
"""

from __future__ import annotations

from typing import Callable, Protocol

from PySide6.QtCore import QPointF, SignalInstance
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from engine.errors import NeuroCoreError
from engine.models import LIBRARY
from engine.network.devices import RECORDERS
from views.graph import menu_edits
from views.graph.items import EdgeItem, NodeItem
from views.graph.looks import GENERATORS
from views.graph.scene import GraphScene
from views.palette import DEVICE_HELP


class MenuHost(Protocol):
    """What the menus need of the graph view: its scene, the window's canvas actions, fit, and a way to
    open a population's model in the playground."""

    open_in_playground: SignalInstance
    canvas_actions: list[QAction]

    def graph(self) -> GraphScene: ...

    def fit(self) -> None: ...


def context_menu(view: MenuHost, at: QPointF) -> QMenu:
    """The menu of a right-click at scene point ``at``: the node's, the edge's or the canvas's."""
    scene = view.graph()
    item = scene.item_at(at)
    if item is not None and not item.isSelected():
        scene.select([item.name])
    if isinstance(item, NodeItem):
        return node_menu(view, item.name)
    if isinstance(item, EdgeItem):
        return edge_menu(view, item.name)
    return canvas_menu(view, at)


def _menu(view: MenuHost) -> QMenu:
    menu = QMenu(view)
    menu.setToolTipsVisible(True)
    return menu


def _add(menu: QMenu, text: str, slot: Callable[[], object], tip: str = "", key: str = "") -> QAction:
    action = menu.addAction(text)
    action.triggered.connect(lambda: slot())
    if tip:
        action.setToolTip(tip)
    if key:
        action.setShortcut(QKeySequence(key))
    return action


def _selection_edits(view: MenuHost, menu: QMenu, renamable: bool = True) -> None:
    scene = view.graph()
    nodes, edges = scene.selected_names()
    count = len(nodes) + len(edges)
    many = f" {count} items" if count > 1 else ""
    _add(menu, "Rename", scene.rename_selected, key="F2").setEnabled(renamable and count == 1)
    if nodes:
        _add(menu, f"Duplicate{f' {len(nodes)} nodes' if len(nodes) > 1 else ''}", scene.duplicate_selected)
    _add(menu, f"Delete{many}", scene.delete_selected, key="Del")


def node_menu(view: MenuHost, name: str) -> QMenu:
    """Rename, Duplicate, Delete; for a population Open model in playground, Record from ▸ and Connect to ▸;
    for a device Connect to ▸ (the population it drives or records)."""
    scene = view.graph()
    document = scene.document
    node = document.nodes[name]
    menu = _menu(view)
    _selection_edits(view, menu)
    menu.addSeparator()
    populations = [n for n, other in document.nodes.items() if other.kind == "population"]
    if node.kind == "population":
        _add(menu, "Open model in playground", lambda: view.open_in_playground.emit(name),
             f"Edit and try {node.data.model} on one neuron of {name}")
        record = menu.addMenu("Record from")
        for kind in menu_edits.RECORDING:
            _add(record, kind.replace("_", " "), lambda k=kind: scene.record_from(name, k),
                 f"Add a {kind} of {name}: {DEVICE_HELP[kind]}")
    connect = menu.addMenu("Connect to")
    for population in populations:
        text = f"{population} (itself)" if population == name else population
        entry = _add(connect, text, lambda p=population: scene.connect_to(name, p))
        if node.kind == "device" and node.data.target == population:
            entry.setEnabled(False)
            entry.setToolTip(f"{name} is connected to {population}")
    connect.setEnabled(bool(populations))
    return menu


def edge_menu(view: MenuHost, name: str) -> QMenu:
    """Rename (projections), Delete, Select source, Select target, Reverse (projections between two
    populations whose weight fits the other way)."""
    scene = view.graph()
    edge = scene.document.edges[name]
    menu = _menu(view)
    _selection_edits(view, menu, renamable=edge.kind == "projection")
    menu.addSeparator()
    for end, which in ((edge.source, "source"), (edge.target, "target")):
        _add(menu, f"Select {which} {end}", lambda e=end: scene.select([e]))
    if edge.kind == "projection":
        reverse = _add(menu, f"Reverse ({edge.target} → {edge.source})", lambda: scene.reverse(name))
        try:
            menu_edits.reversed_projection(scene.document, name)
        except NeuroCoreError as exc:
            reverse.setEnabled(False)
            reverse.setToolTip(str(exc))
    return menu


def canvas_menu(view: MenuHost, at: QPointF) -> QMenu:
    """Add population ▸ (the project's and the library's models), Add device ▸ (generators, recorders), the
    window's canvas actions (Paste, Select All), Arrange graph, Fit to view."""
    scene = view.graph()
    menu = _menu(view)
    add = menu.addMenu("Add population")
    project = list(scene.document.settings["models"])
    for model in project:
        _add(add, model, lambda m=model: scene.add_from_palette("population", m, at), "a model of this project")
    if project:
        add.addSeparator()
    for model in LIBRARY.values():
        _add(add, model.name, lambda m=model.name: scene.add_from_palette("population", m, at), model.title)
    devices = menu.addMenu("Add device")
    for kind in [*GENERATORS, None, *(k for k in RECORDERS if k != "weight_recorder")]:
        if kind is None:
            devices.addSeparator()
        else:
            _add(devices, kind, lambda k=kind: scene.add_from_palette("device", k, at), DEVICE_HELP.get(kind, ""))
    menu.addSeparator()
    menu.addActions(view.canvas_actions)
    menu.addSeparator()
    _add(menu, "Arrange graph", scene.arrange, key="Ctrl+L")
    _add(menu, "Fit to view", view.fit, key="Ctrl+0")
    return menu
