"""The graph editor driven like a person drives it: palette, port drags, inspector fields, keys, undo."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from studio.document.commands import SetField, SetSetting
from studio.document.document import Document
from studio.project.project_file import read_project
from studio.project.network_def import network_def
from views.graph.items import NodeItem
from views.graph.view import LEGIBLE_ZOOM

from tests.views.helpers import CUBA, add, connect_ports, drag, make_window, select, type_into


def essentials(project):
    """What makes two CUBA projects the same network (positions and the names of projections and devices
    aside)."""
    pops = sorted((p.name, p.model, p.size, tuple(sorted(p.initial.items()))) for p in project.populations)
    projs = sorted((p.source, p.target, p.rule, str(p.weight), p.delay, p.on_pre) for p in project.projections)
    devices = sorted((d.kind, d.target) for d in project.devices if d.kind == "spike_recorder")
    return pops, projs, devices


def build_cuba(qtbot, window) -> None:
    """CUBA made by hand: the model from the file, then everything else through the editor."""
    cuba = read_project(CUBA)
    doc = window.document
    window.stack.push(SetSetting(doc, "models", cuba.models))
    window.stack.push(SetSetting(doc, "constants", cuba.constants))
    palette = window.palette_widget
    palette.tree.itemActivated.emit(palette.entry("cuba_lif"), 0)  # double-click: added at the view's centre
    first = next(iter(doc.nodes))
    qtbot.waitUntil(lambda: window.inspector.name == first)
    type_into(qtbot, window, "size", "3200")
    for state, value in (("v", "Vr + rand()*(Vt - Vr)"), ("ge", "0 mV"), ("gi", "0 mV")):
        type_into(qtbot, window, f"initial.{state}", value)
    window.scene.nodes[first].setPos(0, 0)
    e = first
    i = add(window, "population", "cuba_lif", 200, 350)
    select(window, i)
    type_into(qtbot, window, "size", "800")
    for state, value in (("v", "Vr + rand()*(Vt - Vr)"), ("ge", "0 mV"), ("gi", "0 mV")):
        type_into(qtbot, window, f"initial.{state}", value)
    window.view.fit()
    for source, target, weight, on_pre in ((e, e, "we", "ge += w"), (e, i, "we", "ge += w"),
                                           (i, e, "wi", "gi += w"), (i, i, "wi", "gi += w")):
        before = set(doc.edges)
        if source == target:
            window.scene.nodes[source].setPos(window.scene.nodes[source].pos())
            drag(qtbot, window.view, window.scene.nodes[source].out_port.scenePos(),
                 window.scene.nodes[source].port("in").scenePos())
        else:
            connect_ports(qtbot, window, source, target)
        (name,) = set(doc.edges) - before
        select(window, name)
        type_into(qtbot, window, "rule.p", "0.02")
        type_into(qtbot, window, "delay", "0.1 ms")
        type_into(qtbot, window, "on_pre", on_pre)
        type_into(qtbot, window, "weight", weight)
    for source, x, y in ((e, 600, 100), (i, 600, 400)):
        recorder = add(window, "device", "spike_recorder", x, y)
        connect_ports(qtbot, window, source, recorder)


def test_cuba_is_built_through_the_editor_and_undo_redo_round_trips(qtbot, empty_window):
    window = empty_window
    build_cuba(qtbot, window)
    doc = window.document
    want = read_project(CUBA)
    built = doc.to_project()
    assert essentials(built) == essentials(want)  # dropped as E and I, as CUBA names them
    assert network_def(built, []) is not None
    assert window.isWindowModified() and "[*]" in window.windowTitle()
    assert window.check_problems() == []

    while window.stack.can_undo:
        window.undo_action.trigger()
    assert doc.to_project() == Document.from_project(read_project(CUBA).__class__(populations=())).to_project()
    assert not window.scene.nodes and not window.scene.edges
    assert not window.isWindowModified()
    while window.stack.can_redo:
        window.redo_action.trigger()
    assert doc.to_project() == built
    assert set(window.scene.nodes) == set(doc.nodes) and set(window.scene.edges) == set(doc.edges)


def test_invalid_connections_are_refused_on_the_spot_with_the_reason(qtbot, empty_window):
    window = empty_window
    pop = add(window, "population", "iaf_psc_exp", 150, 150)
    gen = add(window, "device", "poisson_generator", 450, 150)
    rec = add(window, "device", "spike_recorder", 450, 350)
    edges = set(window.document.edges)
    # Into a generator: the drop lands on its body (it has no input port).
    drag(qtbot, window.view, window.scene.nodes[pop].out_port.scenePos(),
         window.scene.nodes[gen].sceneBoundingRect().center())
    assert re.match(r"^`poisson_generator` is a generator .*connect from the generator to the population$",
                    window.scene.toast)
    assert "Refused: `poisson_generator` is a generator" in window.statusBar().currentMessage()
    # From the population's input port onto the recorder: the recorder would send into the population.
    drag(qtbot, window.view, window.scene.nodes[pop].port("in").scenePos(),
         window.scene.nodes[rec].sceneBoundingRect().center())
    assert re.match(r"^`spike_recorder` is a recorder .*connect from the population to the recorder$",
                    window.scene.toast)
    assert set(window.document.edges) == edges
    # The right ways round are accepted.
    drag(qtbot, window.view, window.scene.nodes[gen].out_port.scenePos(),
         window.scene.nodes[pop].port("in").scenePos())
    connect_ports(qtbot, window, pop, rec)
    assert window.document.nodes[gen].data.target == pop and window.document.nodes[rec].data.target == pop


def test_a_weight_with_the_wrong_unit_is_refused_in_place(qtbot, cuba_window):
    window = cuba_window
    select(window, "EE")
    type_into(qtbot, window, "weight", "20 pA")
    field = window.inspector.fields["weight"]
    assert re.match(r"^weight `20 pA` has units amp, but on_pre `ge \+= w`.* takes volt$", field.problem)
    assert field.reason.isVisible()
    assert window.document.edges["EE"].data.weight == "we"
    assert not window.stack.can_undo
    type_into(qtbot, window, "weight", "1.5 mV")
    assert field.problem is None
    assert window.document.edges["EE"].data.weight == "1.5 mV"


def test_per_connection_weights_are_refused_in_place(qtbot, cuba_window):
    window = cuba_window
    select(window, "EI")
    synapse = window.inspector.fields["synapse"]
    synapse.activated.emit(synapse.findText("static_synapse_hom_w"))
    assert window.document.edges["EI"].data.synapse == "static_synapse_hom_w"
    type_into(qtbot, window, "weight", "we*rand()")
    assert re.match(r"^static_synapse_hom_w shares one weight among all connections, so `we\*rand\(\)` \(a weight "
                    r"per connection\) cannot be used; choose static_synapse$",
                    window.inspector.fields["weight"].problem)
    assert window.document.edges["EI"].data.weight == "we"
    window.undo_action.trigger()
    assert window.document.edges["EI"].data.synapse is None
    assert window.inspector.fields["synapse"].currentText() == "static_synapse"


def test_rubber_band_copy_paste_delete_and_undo(qtbot, cuba_window):
    window = cuba_window
    doc, scene, view = window.document, window.scene, window.view
    before = doc.to_project()
    box = scene.nodes["E"].sceneBoundingRect().united(scene.nodes["spikes_E"].sceneBoundingRect())
    viewport = view.viewport()
    a, b = view.mapFromScene(box.topLeft()) - QPoint(15, 15), view.mapFromScene(box.bottomRight()) + QPoint(15, 15)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(viewport, (a + b) / 2)
    qtbot.mouseMove(viewport, b)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=b)
    nodes, _ = scene.selected_names()
    assert nodes == ["E", "spikes_E"]

    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert {"E_2", "spikes_E_2", "EE_2"} <= set(doc.nodes) | set(doc.edges)
    assert doc.nodes["spikes_E_2"].data.target == "E_2"
    assert doc.edges["EE_2"].source == doc.edges["EE_2"].target == "E_2"
    assert scene.selected_names()[0] == ["E_2", "spikes_E_2"]
    assert doc.nodes["E_2"].position == (doc.nodes["E"].position[0] + 40, doc.nodes["E"].position[1] + 40)

    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert doc.to_project() == before
    scene.select(["I"])
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert "I" not in doc.nodes and not {"EI", "IE", "II"} & set(doc.edges)
    assert doc.nodes["spikes_I"].data.target == ""
    window.undo_action.trigger()
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert doc.to_project() == before


def test_a_node_drag_is_one_undoable_move(qtbot, cuba_window):
    window = cuba_window
    item = window.scene.nodes["I"]
    start = QPointF(item.x() + 60, item.y() + 45)
    drag(qtbot, window.view, start, start + QPointF(120, 80))
    assert window.document.nodes["I"].position == (120.0, 280.0)
    assert len(window.stack) == 1 and window.stack.undo_text == "Move I"
    window.undo_action.trigger()
    assert window.document.nodes["I"].position == (0, 200)
    assert (item.x(), item.y()) == (0, 200)


def test_imported_graphs_without_positions_are_laid_out(qtbot):
    project = read_project(CUBA)
    from dataclasses import replace

    bare = replace(project, populations=tuple(replace(p, position=None) for p in project.populations),
                   devices=tuple(replace(d, position=None) for d in project.devices))
    window = make_window(qtbot, Document.from_project(bare))
    items = list(window.scene.nodes.values())
    rects = [i.sceneBoundingRect() for i in items]
    assert all(not a.intersects(b) for k, a in enumerate(rects) for b in rects[k + 1:])
    assert not window.isWindowModified()
    window.scene.arrange()
    assert all(n.position is not None for n in window.document.nodes.values())
    window.undo_action.trigger()
    assert all(n.position is None for n in window.document.nodes.values())


def test_zoom_and_fit(qtbot, cuba_window):
    view = cuba_window.view
    view.fit()
    everything = cuba_window.scene.itemsBoundingRect()
    assert view.mapToScene(view.viewport().rect()).boundingRect().contains(everything)
    zoom = view.zoom
    qtbot.keyClick(view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == pytest.approx(zoom * 1.25)
    view.zoom_by(1000)
    assert view.zoom == pytest.approx(4.0)
    centre = view.centre()
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.MiddleButton, pos=QPoint(300, 300))
    qtbot.mouseMove(viewport, QPoint(200, 250))
    qtbot.mouseRelease(viewport, Qt.MouseButton.MiddleButton, pos=QPoint(200, 250))
    moved = view.centre() - centre
    assert moved.x() == pytest.approx(100 / 4.0, abs=1) and moved.y() == pytest.approx(50 / 4.0, abs=1)


def test_sixty_nodes_paint_from_cache_and_edges_follow_only_their_nodes(qtbot, empty_window):
    window = empty_window
    names = [add(window, "population", "iaf_psc_exp", 50 + (k % 10) * 30, 50 + (k // 10) * 30) for k in range(60)]
    window.scene.arrange()
    for a, b in zip(names, names[1:]):
        connect_ports(qtbot, window, a, b)
    assert len(window.scene.nodes) == 60 and len(window.scene.edges) == 59
    assert all(i.cacheMode() == NodeItem.CacheMode.DeviceCoordinateCache for i in window.scene.nodes.values())
    # Moving one node recomputes its two edges, not the graph.
    node = window.scene.nodes[names[30]]
    assert [e.name for e in node.edges] == [f"{names[29]}_to_{names[30]}", f"{names[30]}_to_{names[31]}"]


def test_a_palette_entry_dropped_on_the_graph_adds_a_node_there(qtbot, empty_window):
    window = empty_window
    palette = window.palette_widget
    mime = palette.tree.mimeData([palette.entry("poisson_generator")])
    viewport = window.view.viewport()
    at = QPoint(300, 200)
    for kind in (QDragEnterEvent, QDropEvent):
        event = kind(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)
        assert event.isAccepted()
    (name,) = window.document.nodes
    node = window.document.nodes[name]
    assert (name, node.role, node.data.kind) == ("poisson_generator", "generator", "poisson_generator")
    dropped = window.view.mapToScene(at)
    assert abs(node.position[0] - dropped.x()) <= 20 and abs(node.position[1] - dropped.y()) <= 20
    assert window.inspector.name == name


def test_dropped_populations_are_named_e_i_pop_3_and_a_connection_e_to_i(qtbot, empty_window):
    window = empty_window
    names = [add(window, "population", "iaf_psc_exp", 100 + 200 * k, 150) for k in range(3)]
    assert names == ["E", "I", "pop_3"] and [window.scene.nodes[n].name for n in names] == names
    connect_ports(qtbot, window, "E", "I")
    assert list(window.scene.edges) == ["E_to_I"] and window.undo_action.text() == "&Undo Connect E to I"
    window.stack.push(SetField(window.document, "E", "model", "iaf_psc_alpha"))
    look = window.scene.nodes["E"].look  # the title is the node's name; the model shows below it
    assert (look.name, look.subtitle) == ("E", "iaf_psc_alpha")


def test_port_labels_sit_inside_their_node_clear_of_its_other_texts(qtbot, empty_window):
    window = empty_window
    name = add(window, "population", "iaf_psc_exp", 300, 200)
    node = window.scene.nodes[name]
    rects = node.text_rects()
    labels = {k: r for k, r in rects.items() if k.startswith("port:")}
    assert set(labels) == {"port:auto", "port:ex", "port:in"}
    inside = QRectF(0, 0, 176, node.height())
    others = [r for k, r in rects.items() if k not in labels]
    for key, rect in labels.items():
        assert inside.contains(rect)
        assert not any(rect.intersects(o) for o in others)
        assert not any(rect.intersects(r) for k, r in labels.items() if k != key)
        port = node.port("in", None if key == "port:auto" else key[5:])
        assert rect.top() <= port.y() <= rect.bottom()  # on its port's row, not the row below
    assert not node.activity.mapRectToParent(node.activity.boundingRect()).intersects(
        labels["port:in"].united(labels["port:ex"]))


@pytest.mark.parametrize("i_at", [(0, 200), (300, 0), (260, 160), (-240, 120)], ids=["below", "beside", "diagonal", "behind"])
def test_reciprocal_projections_have_their_own_labels_and_clicks_select_them(qtbot, cuba_window, i_at):
    window = cuba_window
    window.scene.nodes["I"].setPos(*i_at)
    window.view.fit()
    edges = {e.source.name + e.target.name: e for e in window.scene.edges.values() if not e.look.device_link}
    ei, ie = edges["EI"], edges["IE"]
    assert not ei.label_rect().intersects(ie.label_rect())
    for edge in (ei, ie):
        centre = edge.label_rect().center()
        assert window.scene.itemAt(centre, window.view.transform()) is edge
        qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=window.view.mapFromScene(centre))
        assert window.scene.selectedItems() == [edge]
        assert window.inspector.name == edge.name


def _assert_arranged_legibly(window) -> None:
    window.scene.arrange()
    assert window.view.zoom >= LEGIBLE_ZOOM
    rects = [i.sceneBoundingRect() for i in window.scene.nodes.values()]
    assert all(not a.intersects(b) for k, a in enumerate(rects) for b in rects[k + 1:])


def test_arrange_keeps_cuba_legible_and_its_nodes_apart(qtbot, cuba_window):
    cuba_window.view.zoom_by(0.2)
    _assert_arranged_legibly(cuba_window)
    assert cuba_window.view.zoom == pytest.approx(min(1.0, cuba_window.view.zoom))


def test_arrange_keeps_a_five_node_chain_legible_and_scrolls_beyond(qtbot, empty_window):
    window = empty_window
    names = [add(window, "population", "iaf_psc_exp", 50 + 40 * k, 50) for k in range(5)]
    for a, b in zip(names, names[1:]):
        connect_ports(qtbot, window, a, b)
    window.resize(800, 600)
    _assert_arranged_legibly(window)


def test_parallel_projections_run_in_lanes_of_their_own(qtbot, cuba_window):
    window = cuba_window
    before = set(window.document.edges)
    connect_ports(qtbot, window, "E", "I")
    (second,) = set(window.document.edges) - before
    pair = [e for e in window.scene.edges.values() if (e.source.name, e.target.name) == ("E", "I")]
    assert len(pair) == 2 and second in {e.name for e in pair}
    a, b = pair
    assert not a.label_rect().intersects(b.label_rect())
    for edge in pair:
        assert window.scene.itemAt(edge.label_rect().center(), window.view.transform()) is edge
