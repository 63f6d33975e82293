"""The view of the graph: zoom (wheel, keys), pan (middle button or Alt+drag), rubber band, fit, drops."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QMouseEvent, QPainter
from PySide6.QtWidgets import QGraphicsView, QMenu

from views.graph.inline_rename import InlineRename
from views.graph.context_menus import context_menu
from views.graph.scene import GraphScene
from views.palette import decode

MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
LEGIBLE_ZOOM = 0.6  # fitting never shrinks the graph below this: node text stays readable, the rest scrolls


class GraphView(QGraphicsView):
    """Shows a :class:`GraphScene`; a palette entry dropped here adds a node where it lands; a right-click
    opens the menu of what is under the pointer (:mod:`views.graph.context_menus`).

    Attributes
    ----------
    canvas_actions : list[QAction]
        The window's actions the canvas menu offers too (Paste, Select All).

    Signals
    -------
    open_in_playground(population)
        "Open model in playground" was chosen on population ``population``.
    """

    open_in_playground = Signal(str)

    def __init__(self, scene: GraphScene | None = None, parent=None):
        super().__init__(parent)
        self.canvas_actions: list[QAction] = []
        if scene is not None:
            self.setScene(scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._panning: QPointF | None = None

    def setScene(self, scene: GraphScene) -> None:
        """Show ``scene``, fitting it whenever it is arranged."""
        super().setScene(scene)
        scene.arranged.connect(self.fit)

    def graph(self) -> GraphScene:
        return self.scene()

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        """Zoom in (factor > 1) or out, within limits."""
        factor = max(MIN_ZOOM / self.zoom, min(MAX_ZOOM / self.zoom, factor))
        self.scale(factor, factor)

    def fit(self) -> None:
        """Fit the whole graph in view, never magnifying beyond 1:1 nor shrinking below ``LEGIBLE_ZOOM``
        (a larger graph is centred and scrolls)."""
        rect = self.scene().itemsBoundingRect()
        if rect.isEmpty():
            rect = QRectF(-200, -150, 400, 300)
        rect = rect.adjusted(-40, -40, 40, 40)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        zoom = min(1.0, max(LEGIBLE_ZOOM, self.zoom))
        self.zoom_by(zoom / self.zoom)
        self.centerOn(rect.center())

    def centre(self) -> QPointF:
        """The scene point at the centre of the view (where a double-clicked palette entry goes)."""
        return self.mapToScene(self.viewport().rect().center())

    def context_menu(self, at: QPointF) -> QMenu:
        """The menu a right-click at scene point ``at`` opens (selecting the item there, if not selected)."""
        return context_menu(self, at)

    def contextMenuEvent(self, event) -> None:
        at, where = self.mapToScene(event.pos()), event.globalPos()
        chosen = self.scene().selectedItems()
        if event.reason() == QContextMenuEvent.Reason.Keyboard and len(chosen) == 1:
            at = self.scene().anchor(chosen[0])  # the menu key: the menu of what is selected, at it
            where = self.viewport().mapToGlobal(self.mapFromScene(at))
        if any(isinstance(item, InlineRename) for item in self.scene().items(at)):
            super().contextMenuEvent(event)  # the name field's own editing menu
            return
        menu = self.context_menu(at)
        menu.exec(where)
        menu.deleteLater()

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.15 ** steps)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                event.button() == Qt.MouseButton.LeftButton and event.modifiers() & Qt.KeyboardModifier.AltModifier):
            self._panning = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._panning is not None:
            self._panning = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def dragEnterEvent(self, event) -> None:
        if decode(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if decode(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        entry = decode(event.mimeData())
        if entry is None:
            super().dropEvent(event)
            return
        self.scene().add_from_palette(*entry, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()
