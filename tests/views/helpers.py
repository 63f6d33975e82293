"""Helpers of the Qt tests: a window that closes without asking, mouse drags in scene coordinates."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from studio.document.document import Document

ROOT = Path(__file__).resolve().parents[2]
CUBA = ROOT / "resources" / "examples" / "cuba.ncsproj"


def make_window(qtbot, document: Document):
    """A shown main window on ``document`` that closes without asking at the end of the test."""
    from views.main_window import MainWindow

    window = MainWindow(document, keep_layout=False)
    window.files.ask_unsaved = lambda: "discard"
    qtbot.addWidget(window, before_close_func=stop_run)
    window.show()
    qtbot.waitExposed(window)
    return window


def stop_run(window) -> None:
    """End the window's run, if any, and wait for its worker."""
    session = window.run_toolbar.session
    if session is not None:
        session.stop()
        session.wait(10)


def drag(qtbot, view, start, end) -> None:
    """Press at scene point ``start``, move in steps, release at scene point ``end``."""
    a, b = view.mapFromScene(start), view.mapFromScene(end)
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
    for k in range(1, 6):
        qtbot.mouseMove(viewport, a + (b - a) * (k / 5))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=b)


def connect_ports(qtbot, window, source: str, target: str, receptor=None) -> None:
    """Drag from the output port of ``source`` to an input port of ``target``."""
    scene = window.scene
    drag(qtbot, window.view, scene.nodes[source].out_port.scenePos(),
         scene.nodes[target].port("in", receptor).scenePos())


def retype(qtbot, edit, text: str, key=Qt.Key.Key_Return) -> None:
    """Replace the text of line edit ``edit`` by typing, then press ``key``."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, key)


def type_into(qtbot, window, field: str, text: str) -> None:
    """Replace the text of an inspector field and press Enter."""
    retype(qtbot, window.inspector.fields[field].edit, text)


def select(window, name: str) -> None:
    """Select one element on the graph (the inspector follows)."""
    window.scene.select([name])
    assert window.inspector.name == name


def add(window, kind: str, name: str, x: int, y: int) -> str:
    """Drop a palette entry at view position (x, y), as a drag from the palette does."""
    return window.scene.add_from_palette(kind, name, window.view.mapToScene(QPoint(x, y)))
