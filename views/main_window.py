"""The main window: the graph editor in the centre, docks for the palette, inspector, scopes and problems,
the run toolbar, menus with the standard shortcuts, and workspaces as tabs.

The window hosts its workspaces (:class:`views.workspace.Workspace`): it
switches between them, shows the docks and enables the toolbars the one in
front asks for, and tells each of them about a new document.

The window shows one :class:`~studio.document.document.Document` at a time; every
edit goes through the document's undo stack, which the Edit menu presents
(:mod:`views.undo`), so the title's unsaved-changes mark follows the stack's
clean state.  Layout, theme and recent files persist in QSettings.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QMenu

from engine.errors import NeuroCoreError
from studio.document.commands import SetSetting
from studio.document.document import Document
from studio.document.events import PathChanged, SettingChanged
from studio.document.history import UndoStack
from studio.document.checks import DocumentProblem, constants, locate
from studio.playground.playground_state import population_playground
from studio.project.project_doc import InlineModel
from views import theme
from views.files import Files
from views.help_menu import help_menu
from views.graph import clipboard
from views.graph.items import EdgeItem, NodeItem
from views.graph.scene import GraphScene
from views.graph.view import GraphView
from views.hardware.hardware_workspace import HardwareWorkspace
from views.hil.hil_workspace import HilWorkspace
from views.inspector import Inspector
from views.network_workspace import NetworkWorkspace
from views.nir_files import NirFiles
from views.page_tabs import PageTabs
from views.palette import Palette
from views.playground.handoff_panel import network_handoff
from views.playground.playground_workspace import PlaygroundWorkspace
from views.problems_panel import ProblemsPanel, show_failure
from views.recordings_export import RecordingsExport
from views.script_export_menu import ScriptExportMenu
from views.run_toolbar import RunToolbar
from views.scopes import ScopePanel
from views.undo import UndoActions
from views.workspace import Workspace

PROBLEMS_DELAY_MS = 300


class MainWindow(QMainWindow):
    """The studio window showing ``document``; ``keep_layout=False`` neither restores nor saves the window
    layout (headless screenshots look the same everywhere)."""

    def __init__(self, document: Document, parent=None, keep_layout: bool = True):
        super().__init__(parent)
        self.setObjectName("main_window")
        self.document = document
        self.keep_layout = keep_layout
        self.undo_actions = UndoActions(self)
        self._recovered = False
        self._pastes = 0
        self.failure_dialog = None
        self.files = Files(self)
        self.palette_widget = Palette()
        self.palette_widget.nestml_converted.connect(self._add_nestml_model)
        self.palette_widget.chosen.connect(lambda kind, name: self.scene.add_from_palette(kind, name,
                                                                                          self.view.centre()))
        self.problems = ProblemsPanel()
        self.problems.activated.connect(self._select_element)
        self.scopes = ScopePanel()
        self.view = GraphView()
        self.view.open_in_playground.connect(self.open_in_playground)
        self.tabs = PageTabs()
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.run_toolbar = RunToolbar(lambda: self.document, self)
        self.addToolBar(self.run_toolbar)
        self.recordings_export = RecordingsExport(self, self.run_toolbar)
        self.nir_files = NirFiles(self)
        self.script_export = ScriptExportMenu(self, lambda: self.document)
        self.run_toolbar.started.connect(self._run_started)
        self.run_toolbar.built.connect(self.scopes.set_network)
        self.run_toolbar.chunks.connect(self.scopes.feed)
        self.run_toolbar.rates.connect(lambda rates: self.scene.set_activity(rates))
        self.run_toolbar.log.connect(self.problems.append_log)
        self.run_toolbar.failed.connect(self._run_failed)
        self.run_toolbar.refused.connect(self._run_refused)
        self._problems_timer = QTimer(self, singleShot=True, interval=PROBLEMS_DELAY_MS)
        self._problems_timer.timeout.connect(self.check_problems)
        self.scene: GraphScene | None = None
        self.inspector: Inspector | None = None
        self.inspector_dock = self._dock("Inspector", None, Qt.DockWidgetArea.RightDockWidgetArea)
        self.palette_dock = self._dock("Palette", self.palette_widget, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.scopes_dock = self._dock("Scopes", self.scopes, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.problems_dock = self._dock("Problems and log", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.splitDockWidget(self.scopes_dock, self.problems_dock, Qt.Orientation.Horizontal)
        self.resizeDocks([self.scopes_dock, self.problems_dock], [900, 360], Qt.Orientation.Horizontal)
        self.resizeDocks([self.scopes_dock], [300], Qt.Orientation.Vertical)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [220, 320], Qt.Orientation.Horizontal)
        self.workspaces: list[Workspace] = [
            NetworkWorkspace(self.view), PlaygroundWorkspace(network_handoff(self)),
            HardwareWorkspace(self.is_modified, self.problems.append_log), HilWorkspace(self.is_modified)]
        for workspace in self.workspaces:
            self.tabs.addTab(workspace.widget(), workspace.title)
        self._front = self.workspaces[0]
        self._set_aside: dict[QDockWidget, QSize] = {}  # the docks a workspace hid, with their sizes then
        self.tabs.currentChanged.connect(self._bring_to_front)
        self._build_menus()
        self.set_document(document)
        self.resize(1440, 900)
        if keep_layout:
            self._restore_layout()
        self.statusBar().showMessage("Drag models from the palette; drag from port to port to connect.", 8000)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._platform_scheme_changed)

    # -- assembly ------------------------------------------------------------------------------------
    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower().replace(" ", "_"))
        if widget is not None:
            dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        bar = self.menuBar()
        files = self.files
        file_menu = bar.addMenu("&File")
        file_menu.addActions([files.new_action, files.open_action])
        file_menu.addMenu(files.recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([files.save_action, files.save_as_action])
        file_menu.addSeparator()
        file_menu.addAction(files.interval_action)
        file_menu.addSeparator()
        file_menu.addActions([self.nir_files.import_action, self.nir_files.export_action])
        file_menu.addAction(self.recordings_export.action)
        file_menu.addMenu(self.script_export.menu)
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", QKeySequence.StandardKey.Quit, self.close))

        edit = bar.addMenu("&Edit")
        self.undo_action, self.redo_action = self.undo_actions.undo_action, self.undo_actions.redo_action
        edit.addActions([self.undo_action, self.redo_action])
        edit.addSeparator()
        self.cut_action = self._action("Cu&t", QKeySequence.StandardKey.Cut, self.cut)
        self.copy_action = self._action("&Copy", QKeySequence.StandardKey.Copy, self.copy)
        self.paste_action = self._action("&Paste", QKeySequence.StandardKey.Paste, self.paste)
        self.delete_action = self._action("&Delete", QKeySequence.StandardKey.Delete, self.delete)
        self.select_all_action = self._action("Select &All", QKeySequence.StandardKey.SelectAll, self.select_all)
        self.rename_action = self._action("&Rename", "F2", lambda: self.scene.rename_selected())
        edit.addActions([self.cut_action, self.copy_action, self.paste_action, self.delete_action,
                         self.select_all_action, self.rename_action])
        for action in (self.cut_action, self.copy_action, self.paste_action, self.delete_action,
                       self.select_all_action, self.rename_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.view.addAction(action)
        self.view.canvas_actions = [self.paste_action, self.select_all_action]

        view = bar.addMenu("&View")
        view.addAction(self._action("&Fit to View", "Ctrl+0", lambda: self.view.fit()))
        view.addAction(self._action("Zoom &In", QKeySequence.StandardKey.ZoomIn, lambda: self.view.zoom_by(1.25)))
        view.addAction(self._action("Zoom &Out", QKeySequence.StandardKey.ZoomOut, lambda: self.view.zoom_by(0.8)))
        view.addAction(self._action("&Arrange Graph", "Ctrl+L", lambda: self.scene.arrange()))
        view.addSeparator()
        themes = QMenu("&Theme", self)
        group = QActionGroup(self)
        current = QSettings().value("theme", "auto")
        for name in theme.THEMES:
            action = QAction(name.capitalize() if name != "auto" else "Follow the platform", self, checkable=True)
            action.setChecked(name == current)
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            group.addAction(action)
            themes.addAction(action)
        view.addMenu(themes)
        view.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.scopes_dock, self.problems_dock):
            view.addAction(dock.toggleViewAction())
        view.addAction(self.run_toolbar.toggleViewAction())

        run = bar.addMenu("&Run")
        toolbar = self.run_toolbar
        run.addActions([toolbar.run_action, toolbar.pause_action, toolbar.step_action, toolbar.stop_action])
        bar.addMenu(help_menu(self))

    def _action(self, text: str, key, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(lambda: slot())
        return action

    # -- the document ------------------------------------------------------------------------------------
    def set_document(self, document: Document, recovered: bool = False) -> None:
        """Show ``document`` (a new undo history; ``recovered``: it has unsaved changes from a crash)."""
        old = self.scene
        if old is not None:
            old.close()
            self.inspector.close_document()
            self.document.events.disconnect(self._on_event)
            self.stack.events.disconnect(self._update_title)
        self.document = document
        self._recovered = recovered
        self.undo_actions.follow(document.undo_stack)
        document.undo_stack.events.connect(self._update_title)
        self.scene = GraphScene(document, self)
        self.scene.setSceneRect(-20000, -20000, 40000, 40000)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.refused.connect(lambda reason: self.statusBar().showMessage(f"Refused: {reason}", 8000))
        self.view.setScene(self.scene)
        if old is not None:
            old.deleteLater()
        self.inspector = Inspector(document, self.run_toolbar.duration)
        self.inspector.edited.connect(self._edited)
        self.inspector.renamed.connect(self._select_element)
        self.inspector.refused.connect(self.problems.set_field_problems)
        self.inspector_dock.setWidget(self.inspector)
        self.palette_widget.set_project_models(document.settings["models"])
        document.events.connect(self._on_event)
        self.run_toolbar.reset()
        consts = constants(document)  # sizes may name constants (brunel's N_E)
        self.scopes.clear({name: consts.count(node.data.size, "size", []) or 0
                           for name, node in document.nodes.items() if node.kind == "population"})
        self.problems.set_run_failure([])
        self.check_problems()
        self._update_title()
        self._workspaces_follow(document)
        QTimer.singleShot(0, self.view, self.view.fit)

    def _add_nestml_model(self, model) -> None:
        """A NESTML model the palette converted becomes a model of the project (once), so populations can use it."""
        models = self.document.settings["models"]
        if model.name not in models:
            self.stack.push(SetSetting(self.document, "models", {**models, model.name: InlineModel(model.spec)}))

    @property
    def stack(self) -> UndoStack:
        """The undo stack of the document shown (every edit is pushed there)."""
        return self.document.undo_stack

    def is_modified(self) -> bool:
        return self._recovered or not self.stack.is_clean

    def mark_saved(self) -> None:
        self._recovered = False
        self.stack.set_clean()
        self._update_title()

    def _update_title(self, *_) -> None:
        path = self.document.path
        self.setWindowTitle(f"{self.document.title}[*] — NeuroCore Studio" + (f" ({path.parent})" if path else ""))
        self.setWindowModified(self.is_modified())

    def _on_event(self, event) -> None:
        if isinstance(event, SettingChanged) and event.key == "models":
            self.palette_widget.set_project_models(event.value)
        elif isinstance(event, PathChanged):
            self._update_title()
        self._problems_timer.start()

    def check_problems(self) -> list:
        """Check the whole document now; the problems panel and the graph's marks follow."""
        found = self.document.problems()
        self.problems.set_document_problems(found)
        self.scene.set_problems(found)
        return found

    def _selection_changed(self) -> None:
        items = self.scene.selectedItems()
        chosen = next((i for i in items if isinstance(i, NodeItem)), None) or next(
            (i for i in items if isinstance(i, EdgeItem)), None)
        self.inspector.show_element(chosen.name if chosen is not None and len(items) == 1 else None)

    def _select_element(self, name: str) -> None:
        if name:
            self.scene.select([name])
            item = self.scene.nodes.get(name) or self.scene.edges.get(name)
            if item is not None:
                self.view.ensureVisible(item)

    def _edited(self, element: str, field: str, text: str) -> None:
        node = self.document.nodes.get(element)
        if node is not None and node.kind == "population" and field.startswith("parameters."):
            if self.run_toolbar.set_parameter(element, field.split(".", 1)[1], text):
                self.statusBar().showMessage(f"{element}.{field} = {text} applies at the next chunk", 5000)

    # -- edit menu -------------------------------------------------------------------------------------
    def copy(self) -> bool:
        nodes, _ = self.scene.selected_names()
        mime = clipboard.copy(self.document, nodes)
        if mime is None:
            return False
        QGuiApplication.clipboard().setMimeData(mime)
        self._pastes = 0
        return True

    def paste(self) -> list[str]:
        self._pastes += 1
        try:
            names = clipboard.paste(self.document, QGuiApplication.clipboard().mimeData(), self._pastes)
        except NeuroCoreError as exc:
            self.statusBar().showMessage(f"Cannot paste: {exc}", 8000)
            return []
        self.scene.select(names)
        return names

    def cut(self) -> None:
        if self.copy():
            self.delete()

    def delete(self) -> None:
        self.scene.delete_selected()

    def select_all(self) -> None:
        for item in [*self.scene.nodes.values(), *self.scene.edges.values()]:
            item.setSelected(True)

    # -- runs ---------------------------------------------------------------------------------------------
    def _run_started(self, session) -> None:
        self.scopes.reset()
        self.problems.set_run_failure([])

    def _run_refused(self, what: str, reason: str) -> None:
        self.problems.set_run_failure([DocumentProblem("", what, reason)])
        self.problems_dock.raise_()
        self.statusBar().showMessage(f"Cannot run: {what + ': ' if what else ''}{reason}", 8000)

    def _run_failed(self, session) -> None:
        project = self.document.to_project()
        placed = [locate(project, p) for p in session.problems()]
        self.problems.set_run_failure(placed)
        self.problems_dock.raise_()
        if placed and (placed[0].element or placed[0].field):
            if placed[0].element:
                self._select_element(placed[0].element)
            else:
                self.scene.clearSelection()  # a project setting: the inspector shows the settings
            self.inspector.show_problem(placed[0].field, placed[0].message)
        reason = "\n".join(map(str, placed[:3])) or session.error
        if len(placed) > 3:
            reason += f"\n… and {len(placed) - 3} more in Problems"
        self.failure_dialog = show_failure(self, "The run failed", f"The run failed: {reason}\n\nThe project "
                                           "is unchanged; fix the problem and run again.", session.traceback)

    def open_in_playground(self, population: str) -> None:
        """Bring the playground to the front on one neuron of ``population`` (or say at the node why not)."""
        try:
            state = population_playground(self.document.to_project(), population)
        except NeuroCoreError as exc:
            self.scene.refuse(str(exc), self.scene.nodes[population].scenePos())
            return
        playground = self.workspace("playground")
        playground.open(state)
        self._show_tab(playground)
        self.set_workspace("playground")

    # -- workspaces, theme, settings ----------------------------------------------------------------------------
    def workspace(self, name: str) -> Workspace:
        """The workspace called ``name`` ("network", "playground", "hardware", "hil").

        Raises
        ------
        NeuroCoreError
            No such workspace.
        """
        found = next((w for w in self.workspaces if w.name == name), None)
        if found is None:
            raise NeuroCoreError(f"no workspace `{name}`; have: {', '.join(w.name for w in self.workspaces)}")
        return found

    @property
    def front(self) -> Workspace:
        """The workspace in front."""
        return self._front

    def set_workspace(self, name: str) -> None:
        """Bring workspace ``name`` to the front (see :meth:`workspace`)."""
        self.tabs.setCurrentIndex(self.workspaces.index(self.workspace(name)))

    def _bring_to_front(self, index: int) -> None:
        workspace = self.workspaces[index]
        if workspace is self._front:
            return
        self._front.deactivate()
        self._front = workspace
        workspace.activate()
        self._show_tab(workspace)
        self.statusBar().clearMessage()
        for dock in (self.palette_dock, self.inspector_dock, self.scopes_dock, self.problems_dock):
            wanted = dock.objectName() in workspace.docks
            if wanted and dock in self._set_aside:
                dock.show()
            elif not wanted and not dock.isHidden():
                self._set_aside[dock] = dock.size()
                dock.hide()
        back = [dock for dock in self._set_aside if dock.objectName() in workspace.docks]
        self._resize_docks({dock: self._set_aside.pop(dock) for dock in back})
        self.run_toolbar.setEnabled(self.run_toolbar.objectName() in workspace.toolbars)

    def _resize_docks(self, sizes: dict[QDockWidget, QSize]) -> None:
        """Give docks shown again the sizes they had (the window would share the space out anew)."""
        side = [d for d in sizes if self.dockWidgetArea(d) != Qt.DockWidgetArea.BottomDockWidgetArea]
        bottom = [d for d in sizes if d not in side]
        self.resizeDocks(side, [sizes[d].width() for d in side], Qt.Orientation.Horizontal)
        self.resizeDocks(bottom, [sizes[d].height() for d in bottom], Qt.Orientation.Vertical)

    def _show_tab(self, workspace: Workspace) -> None:
        """Put what ``workspace`` shows now in its tab, keeping the current tab and emitting no signals."""
        index = self.workspaces.index(workspace)
        widget = workspace.widget()
        if self.tabs.widget(index) is widget:
            return
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, widget, workspace.title)
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(False)

    def _workspaces_follow(self, document: Document) -> None:
        """Give every workspace the new document; the first one asking for the front gets it."""
        asking = [w for w in self.workspaces if w.set_document(document)]
        for workspace in self.workspaces:
            self._show_tab(workspace)
        if asking:
            self.set_workspace(asking[0].name)

    def set_theme(self, name: str) -> None:
        """Use theme ``name`` ("auto" follows the platform) and remember it."""
        QSettings().setValue("theme", name)
        theme.apply_theme(QApplication.instance(), name)
        self.scene.refresh()
        self.scene.update()
        self.view.resetCachedContent()

    def _platform_scheme_changed(self, *_) -> None:
        theme_name = str(QSettings().value("theme", "auto"))
        if theme_name == "auto":
            self.set_theme(theme_name)

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event) -> None:
        if not self.files.maybe_save():
            event.ignore()
            return
        if self.run_toolbar.session is not None:
            self.run_toolbar.session.stop()
        self.files.discard_recovery()
        if self.keep_layout:
            self.set_workspace("network")  # the docks another workspace set aside are part of the saved layout
            settings = QSettings()
            settings.setValue("window/geometry", self.saveGeometry())
            settings.setValue("window/state", self.saveState())
        event.accept()
