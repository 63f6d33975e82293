"""The GUI entry of ``ncstudio [FILE] [--run T --screenshot FILE.png --quit] [--workspace W]``.

:func:`run_studio` opens the main window on a project (or on a new project
holding one population of a model), optionally runs it for ``T`` simulated
time with the scopes live (in the hardware workspace: co-simulates the core for ``T``), saves a
screenshot of the whole window and quits.
Failures print one line, ``ncstudio: error: ...``, and return non-zero.
"""

from __future__ import annotations

import functools
import sys
import time
from importlib.resources import files
from pathlib import Path

from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import (
    QCoreApplication,
    QSettings,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from engine.equations.units import parse_quantity
from engine.errors import NeuroCoreError
from engine.models import LIBRARY
from studio.document.document import Document
from studio.project.modelfile import load_model_file
from studio.project.project_doc import InlineModel, PopulationDoc, ProjectDoc
from studio.project.project_file import SUFFIX
from views import theme
from views.graph.clipboard import MIME_TYPE as clipboard_mime_type
from views.hardware.hardware_workspace import HardwareWorkspace
from views.main_window import MainWindow
from views.playground.playground_workspace import PlaygroundWorkspace

ORGANIZATION, APPLICATION = "NeuroCore", "NeuroCore Studio"
SETTLE_S = 0.3


def _quiet_offscreen(kind: QtMsgType, context, message: str) -> None:
    """Qt's messages on stderr, except the offscreen platform's notes about what it cannot do."""
    if "does not support" not in message:
        print(message, file=sys.stderr)


def release_clipboard() -> None:
    """Drop what the studio put on the clipboard, while Python can still free it (Qt would delete it during
    process exit, after the interpreter is gone, and crash)."""
    clipboard = QGuiApplication.clipboard() if QGuiApplication.instance() is not None else None
    held = clipboard.mimeData() if clipboard is not None else None
    if held is not None and held.hasFormat(clipboard_mime_type):
        clipboard.clear()


@functools.cache
def collect_garbage_on_gui_thread() -> GarbageCollector:
    """Python's cycle collector, run from a timer on the GUI thread only (pyqtgraph's GarbageCollector).

    Left automatic, it runs on whichever thread allocates.  A worker thread (a playground run, a network
    build) that collected a dead Qt object ran its C++ destructor there: it held Qt's object lock while
    waiting for the GIL, as the GUI thread, holding the GIL, waited for that lock — the deadlock once
    blamed on the GIL alone (caught in CI with py-spy: a playground run collecting a menu of an earlier
    window).  Collecting only here keeps every Qt destructor on the GUI thread.
    """
    return GarbageCollector(interval=0.5)


def application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (made once), named for QSettings, with the theme and the window icon applied."""
    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName(ORGANIZATION)
        QCoreApplication.setApplicationName(APPLICATION)
        app = QApplication(argv or ["ncstudio"])
        if app.platformName() == "offscreen":
            qInstallMessageHandler(_quiet_offscreen)
        app.aboutToQuit.connect(release_clipboard)
        collect_garbage_on_gui_thread()
    theme.apply_theme(app, str(QSettings().value("theme", "auto")))
    app.setWindowIcon(QIcon(str(files("resources") / "icon.svg")))
    return app


def open_target(target: str | None) -> Document:
    """The document for ``target``: a project file, a model file or a library model (a one-population
    project to start from), or a new, empty project."""
    if target is None:
        return Document.from_project(ProjectDoc(populations=()))
    path = Path(target)
    if path.suffix == SUFFIX:
        return Document.open(path)
    if path.is_file():
        spec = load_model_file(path)
        name = path.stem
        return Document.from_project(ProjectDoc((PopulationDoc(name, name, 1, position=(0, 0)),),
                                                models={name: InlineModel(spec)}))
    if target in LIBRARY:
        return Document.from_project(ProjectDoc((PopulationDoc(target, target, 1, position=(0, 0)),)))
    raise NeuroCoreError(f"{target}: not a project, a model file or a library model")


def _pump(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def _settle(app: QApplication, hardware, timeout_s: float = 1800.0) -> None:
    """Wait until the hardware workspace's generation or co-simulation has ended."""
    end = time.perf_counter() + timeout_s
    while hardware.busy and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)
    _pump(app, SETTLE_S)


def run_for(window: MainWindow, app: QApplication, duration_s: float) -> None:
    """Run the window's document for ``duration_s`` with the scopes live; return when the run ended.

    Raises
    ------
    NeuroCoreError
        The run failed (the message is the worker's error).
    """
    session = window.run_toolbar.run(duration_s)
    if session is None:
        raise NeuroCoreError("the run could not start")
    while session.state in ("running", "paused") or window.run_toolbar.timer.isActive():
        app.processEvents()
        time.sleep(0.002)
    window.run_toolbar.poll()
    if session.state == "failed":
        raise NeuroCoreError(f"the run failed: {session.error}")
    window.scopes.refresh()


def run_studio(target: str | None, run: str | None = None, screenshot: str | None = None, quit: bool = False,
               workspace: str | None = None) -> int:
    """Open the studio window; see the module docstring.  Returns the exit status."""
    app = application(sys.argv[:1])
    try:
        document = open_target(target)
        shot = Path(screenshot) if screenshot else None
        if shot is not None and not shot.parent.is_dir():
            raise NeuroCoreError(f"cannot write {shot}: the directory {shot.parent} does not exist")
        interactive = not (quit or screenshot)
        window = MainWindow(document, keep_layout=interactive)
        if workspace:
            window.set_workspace(workspace)
        window.show()
        if interactive:
            window.files.offer_recoveries()
        _pump(app, SETTLE_S)
        window.view.fit()
        front = window.front
        hardware = front.panel if isinstance(front, HardwareWorkspace) else None
        if hardware is not None:
            _settle(app, hardware)  # the core is generated before the screenshot
        if run:
            if isinstance(front, PlaygroundWorkspace):
                front.view.run(parse_quantity(run)[0])  # the playground's trace, not the network
            elif hardware is not None:
                hardware.cosimulate(parse_quantity(run)[0])  # a co-simulation of the core
                _settle(app, hardware)
            else:
                run_for(window, app, parse_quantity(run)[0])
            _pump(app, SETTLE_S)
        if shot is not None and not window.grab().save(str(shot)):
            raise NeuroCoreError(f"cannot write the screenshot {shot}")
    except (NeuroCoreError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"ncstudio: error: {reason}", file=sys.stderr)
        return 1
    if quit or (shot is not None and not run):
        window.files.discard_recovery()
        window.setWindowModified(False)
        window.stack.set_clean()
        window.close()
        return 0
    return app.exec()
