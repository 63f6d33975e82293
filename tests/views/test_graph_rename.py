"""Renaming on the canvas, as a person does it: F2 or a double-click on the title, type, Enter or Esc."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt

from views.quantity_field import TYPING_PAUSE_MS


def _click(qtbot, view, at: QPointF, double: bool = False) -> None:
    """A click at scene point ``at``; ``double``: the click and the double-click event a double-click sends."""
    pos = view.mapFromScene(at)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    if double:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
        qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def _retype(qtbot, field, text: str) -> None:
    qtbot.keyClick(field.edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(field.edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(field.edit, text)


def _title(window, name: str) -> QPointF:
    item = window.scene.nodes[name]
    return item.mapToScene(item.text_rects()["title"].center())


def test_f2_renames_the_selected_node_in_place_and_undo_takes_it_back(qtbot, cuba_window):
    window, scene, doc = cuba_window, cuba_window.scene, cuba_window.document
    _click(qtbot, window.view, scene.nodes["E"].mapToScene(QPointF(60, 45)))
    qtbot.keyClick(window.view, Qt.Key.Key_F2)
    editor = scene.renaming
    assert editor is not None and editor.text == "E" and editor.field.edit.selectedText() == "E"
    assert editor.sceneBoundingRect().intersects(scene.nodes["E"].sceneBoundingRect())
    qtbot.keyClicks(editor.field.edit, "Exc")
    qtbot.keyClick(editor.field.edit, Qt.Key.Key_Return)
    assert scene.renaming is None
    assert "E" not in doc.nodes and scene.nodes["Exc"].look.name == "Exc"
    assert doc.edges["EI"].source == "Exc" and doc.nodes["spikes_E"].data.target == "Exc"
    assert scene.selected_names() == (["Exc"], [])
    assert window.stack.undo_text == "Rename E to Exc"
    window.undo_action.trigger()
    assert "E" in doc.nodes and "Exc" not in doc.nodes and scene.nodes["E"].look.name == "E"
    assert scene.selected_names() == (["E"], []) and window.inspector.name == "E"
    window.redo_action.trigger()
    assert scene.selected_names() == (["Exc"], []) and window.inspector.name_field.text == "Exc"


def test_a_double_click_on_the_title_edits_it_and_a_taken_name_is_refused_where_it_is_typed(qtbot, cuba_window):
    window, scene, doc = cuba_window, cuba_window.scene, cuba_window.document
    before = doc.to_project()
    _click(qtbot, window.view, _title(window, "E"), double=True)
    editor = scene.renaming
    assert editor is not None and editor.name == "E"
    _retype(qtbot, editor.field, "I")
    qtbot.waitUntil(lambda: editor.problem is not None, timeout=TYPING_PAUSE_MS * 5)
    assert editor.problem == "the name `I` is already used"
    assert editor.field.reason.isVisible()
    qtbot.keyClick(editor.field.edit, Qt.Key.Key_Return)
    assert scene.renaming is editor and editor.text == "I"  # nothing lost: still there to fix
    assert doc.to_project() == before and len(window.stack) == 0
    _retype(qtbot, editor.field, "")
    qtbot.keyClick(editor.field.edit, Qt.Key.Key_Return)
    assert editor.problem == "a name cannot be empty"
    qtbot.keyClick(editor.field.edit, Qt.Key.Key_Escape)
    assert scene.renaming is None
    assert doc.to_project() == before and len(window.stack) == 0 and scene.nodes["E"].look.name == "E"


def test_a_double_click_below_the_title_does_not_rename(qtbot, cuba_window):
    window = cuba_window
    _click(qtbot, window.view, window.scene.nodes["E"].mapToScene(QPointF(60, 45)), double=True)
    assert window.scene.renaming is None


def test_editing_keys_in_the_name_field_edit_the_name_not_the_graph(qtbot, cuba_window):
    window, scene, doc = cuba_window, cuba_window.scene, cuba_window.document
    scene.select(["I"])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F2)
    edit = scene.renaming.field.edit
    qtbot.keyClick(edit, Qt.Key.Key_End)
    qtbot.keyClicks(edit, "nhx")
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(edit, Qt.Key.Key_Left)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert "I" in doc.nodes and edit.text() == edit.selectedText() == "In"
    assert scene.selected_names() == (["I"], [])
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert "In" in doc.nodes and "I" not in doc.nodes


def test_clicking_away_keeps_a_valid_name_and_drops_a_refused_one(qtbot, cuba_window):
    window, scene, doc = cuba_window, cuba_window.scene, cuba_window.document
    empty = scene.nodes["E"].sceneBoundingRect().topLeft() - QPointF(300, 300)
    editor = scene.start_rename("I")
    _retype(qtbot, editor.field, "Inh")
    _click(qtbot, window.view, empty)
    assert scene.renaming is None and "Inh" in doc.nodes and window.stack.undo_text == "Rename I to Inh"
    editor = scene.start_rename("Inh")
    _retype(qtbot, editor.field, "E")
    _click(qtbot, window.view, empty)
    assert scene.renaming is None and "Inh" in doc.nodes and window.stack.undo_text == "Rename I to Inh"


def test_f2_on_a_projection_renames_it_at_its_label_and_device_links_have_no_name_to_edit(qtbot, cuba_window):
    window, scene, doc = cuba_window, cuba_window.scene, cuba_window.document
    label = scene.edges["EI"].label_rect()
    _click(qtbot, window.view, label.center())
    qtbot.keyClick(window.view, Qt.Key.Key_F2)
    editor = scene.renaming
    assert editor.text == "EI" and editor.sceneBoundingRect().contains(label.center())
    _retype(qtbot, editor.field, "E_to_I")
    qtbot.keyClick(editor.field.edit, Qt.Key.Key_Return)
    assert "E_to_I" in doc.edges and "EI" not in doc.edges and window.stack.undo_text == "Rename EI to E_to_I"
    window.undo_action.trigger()
    assert scene.selected_names() == ([], ["EI"]) and window.inspector.name == "EI"
    window.redo_action.trigger()
    assert scene.selected_names() == ([], ["E_to_I"]) and window.inspector.name == "E_to_I"
    scene.select(["spikes_E->E"])
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F2)
    assert scene.renaming is None


def test_a_name_field_closes_when_its_node_leaves_the_graph(qtbot, cuba_window):
    window, scene, doc = cuba_window, cuba_window.scene, cuba_window.document
    editor = scene.start_rename("I")
    scene.select(["I"])
    window.delete()
    assert scene.renaming is None and editor.scene() is None and "I" not in doc.nodes
