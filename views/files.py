"""File handling of the main window: new, open, save, save as, recent files, autosave and recovery.

Saves are atomic (:func:`studio.project.project_file.write_project` through
``Document.save``).  While the document has unsaved changes a recovery file
is written every minute, or as often as File > Autosave Interval sets
(:mod:`studio.document.autosave`), and the status bar says when ("autosaved 14:05"); it is
discarded on save and on a clean close, so one left behind means a crash, and the next start
offers it back.  The questions asked (save changes? recover? how often?) are methods, so tests
answer them without dialogs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLabel, QMenu, QMessageBox, QStatusBar

from engine.errors import NeuroCoreError
from studio.document import autosave
from studio.document.document import Document
from studio.project.project_file import SUFFIX
from studio.project.project_doc import ProjectDoc

AUTOSAVE_MINUTES = 1  # unless the settings say otherwise
MAX_RECENT = 10
FILTER = f"NeuroCore projects (*{SUFFIX});;All files (*)"


def empty_project() -> ProjectDoc:
    """The project of File > New: nothing in it yet."""
    return ProjectDoc(populations=())


class DocumentWindow(Protocol):
    """What the File menu needs of the window it serves, a widget showing one document at a time
    (:class:`views.main_window.MainWindow` is one)."""

    document: Document

    def is_modified(self) -> bool: ...

    def mark_saved(self) -> None: ...

    def set_document(self, document: Document, recovered: bool = False) -> None: ...

    def statusBar(self) -> QStatusBar: ...


class Files(QObject):
    """The File menu's actions for ``window`` (which shows one document at a time); ``clock`` tells the
    time the status bar shows for the last autosave."""

    def __init__(self, window: DocumentWindow, clock: Callable[[], datetime] = datetime.now):
        super().__init__(window)
        self.window, self.clock = window, clock
        self.recovery: Path | None = None
        self.autosaved = QLabel()
        window.statusBar().addPermanentWidget(self.autosaved)
        self.new_action = self._action("&New", QKeySequence.StandardKey.New, self.new)
        self.open_action = self._action("&Open…", QKeySequence.StandardKey.Open, self.open)
        self.save_action = self._action("&Save", QKeySequence.StandardKey.Save, self.save)
        self.save_as_action = self._action("Save &As…", QKeySequence.StandardKey.SaveAs, self.save_as)
        self.recent_menu = QMenu("Open &Recent", window)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.interval_action = QAction("Autosave &Interval…", window)
        self.interval_action.triggered.connect(self.choose_autosave_minutes)
        self.timer = QTimer(self)
        self.timer.setInterval(self.autosave_minutes() * 60_000)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()

    def _action(self, text: str, key, slot) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(lambda: slot())
        return action

    # -- questions (replaced in tests) -------------------------------------------------------------
    def ask_unsaved(self) -> str:
        """"save", "discard" or "cancel" for the unsaved changes of the document."""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.window, "Unsaved changes", f"Save the changes to {self.window.document.title}?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")

    def ask_open_path(self) -> str:
        return QFileDialog.getOpenFileName(self.window, "Open project", self._folder(), FILTER)[0]

    def ask_save_path(self) -> str:
        path = QFileDialog.getSaveFileName(self.window, "Save project as", self._folder(), FILTER)[0]
        return path if not path or path.endswith(SUFFIX) else path + SUFFIX

    def ask_recovery(self, found: autosave.Recovery) -> str:
        """"recover", "discard" or "later" for a recovery file left by a crash."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(found.written))
        where = f" ({found.original})" if found.original else " (never saved)"
        box = QMessageBox(QMessageBox.Icon.Question, "Recover unsaved work",
                          f"NeuroCore Studio did not close normally. Unsaved changes to "
                          f"“{found.title}”{where} from {when} were kept.\n\nRecover them?",
                          parent=self.window)
        recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return "recover" if box.clickedButton() is recover else "discard" if box.clickedButton() is discard else "later"

    def ask_autosave_minutes(self) -> int | None:
        """How many minutes between autosaves (``None``: leave it as it is)."""
        minutes, ok = QInputDialog.getInt(self.window, "Autosave interval",
                                          "Write a recovery file of unsaved changes every (minutes):",
                                          self.autosave_minutes(), 1, 120)
        return minutes if ok else None

    def error(self, title: str, message: str) -> None:
        QMessageBox.warning(self.window, title, message)

    # -- the document ------------------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; ``True`` when the document may be closed."""
        if not self.window.is_modified():
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self._show(Document.from_project(empty_project()))
        return True

    def open(self, path: str | Path | None = None) -> bool:
        """Open a project (asking for the file when ``path`` is ``None``); ``False`` if nothing was opened."""
        if path is None:
            path = self.ask_open_path()
            if not path:
                return False
        if not self.maybe_save():
            return False
        try:
            document = Document.open(path)
        except (NeuroCoreError, OSError) as exc:
            self.error("Open project", f"Cannot open {path}:\n{exc}")
            return False
        self._show(document)
        self._remember(Path(path))
        return True

    def recover(self, found: autosave.Recovery) -> None:
        """Show a recovered project (with unsaved changes, saved to its original file on Save)."""
        self._show(Document.from_project(found.project, found.original), recovered=True)
        autosave.discard(found.path)

    def save(self) -> bool:
        if self.window.document.path is None:
            return self.save_as()
        return self._write(self.window.document.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        path = path or self.ask_save_path()
        return bool(path) and self._write(Path(path))

    def _write(self, path: Path) -> bool:
        try:
            self.window.document.save(path)
        except (NeuroCoreError, OSError) as exc:
            self.error("Save project", f"Cannot save {path}:\n{exc}")
            return False
        self.window.mark_saved()
        self.discard_recovery()
        self._remember(path)
        return True

    def _show(self, document: Document, recovered: bool = False) -> None:
        self.discard_recovery()
        self.window.set_document(document, recovered)

    # -- autosave and recovery -----------------------------------------------------------------------------
    def autosave(self) -> Path | None:
        """Write the recovery file when there are unsaved changes (the timer calls this) and show when."""
        if not self.window.is_modified():
            return None
        try:
            self.recovery = autosave.write_recovery(self.window.document)
        except OSError as exc:
            self.window.statusBar().showMessage(f"autosave failed: {exc}", 10_000)
            return None
        self.autosaved.setText(f"autosaved {self.clock():%H:%M}")
        self.autosaved.setToolTip(f"Unsaved changes are kept in {self.recovery} until you save")
        return self.recovery

    def discard_recovery(self) -> None:
        if self.recovery is not None:
            autosave.discard(self.recovery)
            self.recovery = None
        self.autosaved.clear()
        self.autosaved.setToolTip("")

    def autosave_minutes(self) -> int:
        """Minutes between autosaves, as the settings keep them."""
        try:
            return max(1, int(QSettings().value("autosave_minutes", AUTOSAVE_MINUTES)))
        except (TypeError, ValueError):
            return AUTOSAVE_MINUTES

    def set_autosave_minutes(self, minutes: int) -> None:
        """Autosave every ``minutes`` from now on (kept in the settings)."""
        QSettings().setValue("autosave_minutes", int(minutes))
        self.timer.setInterval(self.autosave_minutes() * 60_000)

    def choose_autosave_minutes(self) -> None:
        minutes = self.ask_autosave_minutes()
        if minutes is not None:
            self.set_autosave_minutes(minutes)

    def offer_recoveries(self) -> int:
        """Offer each recovery file left by a crash; returns how many were recovered (the last one is shown)."""
        recovered = 0
        for path in autosave.find_recoveries():
            try:
                found = autosave.read_recovery(path)
            except (NeuroCoreError, OSError):
                autosave.discard(path)
                continue
            answer = self.ask_recovery(found)
            if answer == "recover" and self.maybe_save():
                self.recover(found)
                recovered += 1
            elif answer == "discard":
                autosave.discard(path)
        return recovered

    # -- recent files ----------------------------------------------------------------------------------------
    def recent(self) -> list[str]:
        value = QSettings().value("recent_files", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _remember(self, path: Path) -> None:
        text = str(path.resolve())
        QSettings().setValue("recent_files", [text, *[p for p in self.recent() if p != text]][:MAX_RECENT])

    def _folder(self) -> str:
        recent = self.recent()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent():
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.setEnabled(Path(path).is_file())
            action.triggered.connect(lambda _=False, p=path: self.open(p))
        if not self.recent():
            self.recent_menu.addAction("(none)").setEnabled(False)
