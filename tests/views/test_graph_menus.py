"""The graph's right-click menus, each entry chosen as a person chooses it, at real scene positions."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu

from studio.document.commands import Connect, SetField

from tests.views.helpers import add, connect_ports


def entries(menu: QMenu) -> list[str]:
    """The texts of a menu's entries, separators left out."""
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def entry(menu: QMenu, path: str):
    """The action at ``path`` ("Record from/voltmeter") of ``menu``."""
    *submenus, last = path.split("/")
    for name in submenus:
        menu = next(a.menu() for a in menu.actions() if a.text() == name)
    return next(a for a in menu.actions() if a.text() == last)


def choose(window, at: QPointF, path: str) -> None:
    """Right-click at scene point ``at`` and choose ``path`` in the menu that opens."""
    entry(window.view.context_menu(at), path).trigger()


def inside(window, name: str) -> QPointF:
    """A point on node ``name`` below its title (where a click selects it)."""
    return window.scene.nodes[name].mapToScene(QPointF(60, 45))


def test_a_right_click_opens_the_menu_of_the_node_under_the_pointer(qtbot, cuba_window):
    window, view = cuba_window, cuba_window.view
    seen: list[list[str]] = []

    def read_and_close() -> None:
        menu = QApplication.activePopupWidget()
        seen.append(entries(menu))
        menu.close()

    QTimer.singleShot(50, read_and_close)
    pos = view.mapFromScene(inside(window, "I"))
    QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos,
                                                              view.viewport().mapToGlobal(pos)))
    assert seen == [["Rename", "Duplicate", "Delete", "Open model in playground", "Record from", "Connect to"]]
    assert window.scene.selected_names() == (["I"], [])


def test_the_menu_key_opens_the_menu_of_the_selected_edge_at_it(qtbot, cuba_window):
    window, view = cuba_window, cuba_window.view
    window.scene.select(["EI"])
    seen: list[tuple[list[str], bool]] = []

    def read_and_close() -> None:
        menu = QApplication.activePopupWidget()
        label = window.scene.edges["EI"].label_rect()
        seen.append((entries(menu), menu.geometry().contains(view.viewport().mapToGlobal(
            view.mapFromScene(label.center())) + QPoint(1, 1))))
        menu.close()

    QTimer.singleShot(50, read_and_close)
    QApplication.sendEvent(view, QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, QPoint(5, 5),
                                                   view.mapToGlobal(QPoint(5, 5))))
    assert seen == [(["Rename", "Delete", "Select source E", "Select target I", "Reverse (I → E)"], True)]


def test_node_menu_rename_duplicate_and_delete_are_each_one_undo_step(qtbot, cuba_window):
    window, doc, scene = cuba_window, cuba_window.document, cuba_window.scene
    before = doc.to_project()
    choose(window, inside(window, "I"), "Rename")
    assert scene.renaming is not None and scene.renaming.name == "I"
    scene.renaming.close_field()
    choose(window, inside(window, "I"), "Duplicate")
    assert scene.selected_names()[0] == ["I_2"] and doc.edges["II_2"].source == "I_2"
    assert window.stack.undo_text == "Duplicate I"
    choose(window, inside(window, "I_2"), "Delete")
    assert "I_2" not in doc.nodes and window.stack.undo_text == "Delete I_2"
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert doc.to_project() == before


def test_delete_and_duplicate_act_on_the_selection_the_right_click_joined(qtbot, cuba_window):
    window, doc, scene = cuba_window, cuba_window.document, cuba_window.scene
    scene.select(["E", "I"])
    menu = window.view.context_menu(inside(window, "I"))
    assert scene.selected_names()[0] == ["E", "I"]
    assert entries(menu)[:3] == ["Rename", "Duplicate 2 nodes", "Delete 2 items"]
    assert not entry(menu, "Rename").isEnabled()
    entry(menu, "Duplicate 2 nodes").trigger()
    assert {"E_2", "I_2", "EI_2", "IE_2"} <= set(doc.nodes) | set(doc.edges)
    assert window.stack.undo_text == "Duplicate 2 nodes"


@pytest.mark.parametrize("kind", ["spike_recorder", "voltmeter", "multimeter"])
def test_record_from_adds_the_recorder_wired_to_the_population_beside_it(qtbot, cuba_window, kind):
    window, doc, scene = cuba_window, cuba_window.document, cuba_window.scene
    before = doc.to_project()
    choose(window, inside(window, "I"), f"Record from/{kind.replace('_', ' ')}")
    (added,) = set(doc.nodes) - {n.name for n in (*before.populations, *before.devices)}
    device = doc.nodes[added]
    assert device.data.kind == kind and device.data.target == "I"
    assert all(v % 40 == 0 for v in device.position)  # on the grid
    assert f"{added}->I" in scene.edges
    rects = {n: item.sceneBoundingRect() for n, item in scene.nodes.items()}
    assert not any(rects[added].intersects(r) for n, r in rects.items() if n != added)
    assert window.stack.undo_text == f"Record from I with {added}"
    window.undo_action.trigger()
    assert doc.to_project() == before


def test_connect_to_makes_the_projection_a_port_drag_makes(qtbot, empty_window):
    window, doc = empty_window, empty_window.document
    e = add(window, "population", "iaf_psc_exp", 100, 100)
    i = add(window, "population", "iaf_psc_exp", 400, 100)
    menu = window.view.context_menu(inside(window, e))
    assert entries(entry(menu, "Connect to").menu()) == ["E (itself)", "I"]
    entry(menu, "Connect to/I").trigger()
    assert doc.edges["E_to_I"].source == e and doc.edges["E_to_I"].target == i
    assert window.stack.undo_text == "Connect E to I"
    choose(window, inside(window, e), "Connect to/E (itself)")
    assert doc.edges["E_to_E"].source == doc.edges["E_to_E"].target == "E"


def test_a_recorder_is_connected_to_the_population_it_records(qtbot, cuba_window):
    window, doc = cuba_window, cuba_window.document
    menu = window.view.context_menu(inside(window, "spikes_E"))
    assert entries(menu) == ["Rename", "Duplicate", "Delete", "Connect to"]
    assert not entry(menu, "Connect to/E").isEnabled()
    entry(menu, "Connect to/I").trigger()
    assert doc.nodes["spikes_E"].data.target == "I" and window.stack.undo_text == "Connect I to spikes_E"


def test_open_model_in_playground_shows_the_populations_model_in_the_playground(qtbot, cuba_window):
    window = cuba_window
    choose(window, inside(window, "I"), "Open model in playground")
    playground = window.workspace("playground").view
    assert window.front.name == "playground" and window.tabs.currentWidget() is playground
    text = playground.editor.editor.toPlainText()
    assert "dv/dt" in text
    assert playground.state.problems == []
    qtbot.waitUntil(lambda: playground.trace.shown is not None, timeout=10000)
    window.set_workspace("network")
    choose(window, inside(window, "E"), "Open model in playground")
    again = window.workspace("playground").view
    assert again is not playground and window.tabs.currentWidget() is again and window.tabs.count() == len(window.workspaces)


def test_edge_menu_selects_its_ends_deletes_and_renames_projections_only(qtbot, cuba_window):
    window, doc, scene = cuba_window, cuba_window.document, cuba_window.scene
    at = scene.edges["EI"].label_rect().center()
    menu = window.view.context_menu(at)
    assert scene.selected_names() == ([], ["EI"])
    assert entries(menu) == ["Rename", "Delete", "Select source E", "Select target I", "Reverse (I → E)"]
    entry(menu, "Select target I").trigger()
    assert scene.selected_names() == (["I"], [])
    choose(window, at, "Select source E")
    assert scene.selected_names() == (["E"], [])
    choose(window, at, "Rename")
    assert scene.renaming.name == "EI"
    scene.renaming.close_field()
    choose(window, at, "Delete")
    assert "EI" not in doc.edges and window.stack.undo_text == "Delete EI"
    start, end = scene.edges["spikes_E->E"].endpoints()
    menu = window.view.context_menu((start + end) / 2)  # on its straight dashed line
    assert scene.selected_names() == ([], ["spikes_E->E"])
    assert not entry(menu, "Rename").isEnabled() and "Reverse" not in " ".join(entries(menu))


def test_reverse_turns_a_projection_round_and_is_offered_only_where_it_means_something(qtbot, empty_window):
    window, doc, scene = empty_window, empty_window.document, empty_window.scene
    add(window, "population", "iaf_psc_exp", 100, 100)
    add(window, "population", "iaf_psc_exp", 400, 300)
    connect_ports(qtbot, window, "E", "I")
    connect_ports(qtbot, window, "I", "I")
    choose(window, scene.edges["E_to_I"].label_rect().center(), "Reverse (I → E)")
    assert "E_to_I" not in doc.edges and (doc.edges["I_to_E"].source, doc.edges["I_to_E"].target) == ("I", "E")
    assert list(doc.edges).index("I_to_E") == 0 and window.stack.undo_text == "Reverse E_to_I"
    loop = entry(window.view.context_menu(scene.edges["I_to_I"].label_rect().center()), "Reverse (I → I)")
    assert not loop.isEnabled() and loop.toolTip() == "`I_to_I` runs from a population to itself"
    window.undo_action.trigger()
    assert "E_to_I" in doc.edges and "I_to_E" not in doc.edges


def test_canvas_menu_adds_at_the_click_and_offers_paste_select_all_arrange_fit(qtbot, cuba_window):
    window, doc, scene, view = cuba_window, cuba_window.document, cuba_window.scene, cuba_window.view
    empty = scene.itemsBoundingRect().bottomRight() + QPointF(200, 200)
    menu = view.context_menu(empty)
    assert entries(menu) == ["Add population", "Add device", "&Paste", "Select &All", "Arrange graph",
                             "Fit to view"]
    assert entries(entry(menu, "Add population").menu())[0] == "cuba_lif"
    entry(menu, "Add population/iaf_psc_alpha").trigger()
    (new,) = scene.selected_names()[0]
    assert doc.nodes[new].data.model == "iaf_psc_alpha" and window.stack.undo_text == f"Add {new}"
    assert scene.nodes[new].sceneBoundingRect().contains(empty + QPointF(10, 10))
    choose(window, empty + QPointF(0, 300), "Add device/poisson_generator")
    assert doc.nodes["poisson_generator"].data.kind == "poisson_generator"
    scene.select(["I"])
    window.copy()
    choose(window, empty + QPointF(400, 0), "&Paste")
    assert scene.selected_names()[0] == ["I_2"]
    choose(window, empty, "Select &All")
    assert scene.selected_names() == (list(scene.nodes), list(scene.edges))
    choose(window, empty, "Arrange graph")
    assert window.stack.undo_text == "Arrange the graph"
    view.zoom_by(0.2)
    choose(window, empty, "Fit to view")
    assert view.zoom >= 0.6
    assert view.mapToScene(view.viewport().rect()).boundingRect().intersects(scene.nodes["E"].sceneBoundingRect())


def test_the_playground_gets_the_populations_values_and_drive_and_a_broken_one_says_why(qtbot, empty_window):
    window, doc = empty_window, empty_window.document
    pop = add(window, "population", "iaf_psc_alpha", 100, 100)
    drive = add(window, "device", "dc_generator", 100, 300)
    window.stack.push(SetField(doc, pop, "parameters.C_m", "300 pF"))
    window.stack.push(SetField(doc, drive, "params.amplitude", "420 pA"))
    window.stack.push(Connect(doc, drive, pop))
    choose(window, inside(window, pop), "Open model in playground")
    state = window.workspace("playground").view.state
    assert window.front.name == "playground"
    assert state.library_model.name == "iaf_psc_alpha" and state.parameters["C_m"] == "300 pF"
    assert [c.amplitude for c in state.stimulus.currents] == [420.0]
    window.set_workspace("network")
    window.stack.push(SetField(doc, pop, "model", "iaf_psc_alfa", check=False))
    choose(window, inside(window, pop), "Open model in playground")
    assert window.front.name == "network"
    assert window.scene.toast == (f"cannot open `{pop}` in the playground: unknown model `iaf_psc_alfa` — did you "
                                  "mean `iaf_psc_alpha`?")
    assert window.workspace("playground").view.state is state
