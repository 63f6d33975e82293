"""The model editor of the playground: highlighted text with line numbers, bracket matching, completion,
problems underlined as you type, the problems list and the template menu.

:class:`EquationEditor` hands the text to the state at most every ``CHECK_MS``
(at once after a pause), so every keystroke's problems show within that
time plus the check itself (a few ms).  Text the state changes on its own
(a parameter slider, a template) is applied as the smallest edit, which
keeps the cursor and the undo history.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QRect, QSize, Qt, QTimer
from PySide6.QtGui import (QAction, QColor, QFontDatabase, QKeySequence, QPainter, QShortcut, QTextCharFormat, QTextCursor,
                           QTextFormat)
from PySide6.QtWidgets import (QLabel, QListWidget, QListWidgetItem, QMenu, QPlainTextEdit, QSplitter,
                               QTextEdit, QToolButton, QToolTip, QVBoxLayout, QHBoxLayout, QWidget)

from engine.errors import Problem
from studio.playground.playground_events import ModelChanged, ProblemsChanged, TextChanged
from studio.playground.playground_state import PlaygroundState, templates
from views.playground.brian2_paste_dialog import Brian2PasteDialog
from views.playground.completion import NameCompleter
from views.playground.highlighter import ModelHighlighter
from views.theme import colors

CHECK_MS = 30
_PAIRS = {"(": ")", "[": "]", "{": "}"}
_CLOSING = {v: k for k, v in _PAIRS.items()}


@dataclass(frozen=True)
class Mark:
    """A problem underlined from document position ``start`` to ``end``."""

    start: int
    end: int
    problem: Problem


class _LineNumbers(QWidget):
    def __init__(self, editor: "CodeEditor"):
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.line_number_width(), 0)

    def paintEvent(self, event) -> None:
        self.editor.paint_line_numbers(event)


class CodeEditor(QPlainTextEdit):
    """A plain-text editor for model text: line numbers, bracket matching, problem marks with tooltips,
    completion on Ctrl+Space."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(4 * self.fontMetrics().horizontalAdvance(" "))
        self.highlighter = ModelHighlighter(self.document())
        self.completer = NameCompleter(self)
        QShortcut(QKeySequence("Ctrl+Space"), self, self.completer.open)
        self.marks: list[Mark] = []
        self.numbers = _LineNumbers(self)
        self.blockCountChanged.connect(self._update_margin)
        self.updateRequest.connect(self._update_numbers)
        self.cursorPositionChanged.connect(self._refresh_selections)
        self._update_margin()

    def keyPressEvent(self, event) -> None:
        # While the completion popup is open, the keys that choose or dismiss are the completer's.
        if self.completer.popup().isVisible() and event.key() in (
                Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape, Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            event.ignore()
            return
        super().keyPressEvent(event)

    # -- line numbers -------------------------------------------------------------------------------------
    def line_number_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 10 + self.fontMetrics().horizontalAdvance("9") * max(digits, 2)

    def _update_margin(self, *_) -> None:
        self.setViewportMargins(self.line_number_width(), 0, 0, 0)

    def _update_numbers(self, rect: QRect, dy: int) -> None:
        if dy:
            self.numbers.scroll(0, dy)
        else:
            self.numbers.update(0, rect.y(), self.numbers.width(), rect.height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        r = self.contentsRect()
        self.numbers.setGeometry(QRect(r.left(), r.top(), self.line_number_width(), r.height()))

    def paint_line_numbers(self, event) -> None:
        theme = colors()
        painter = QPainter(self.numbers)
        painter.fillRect(event.rect(), theme.grid)
        marked = {self.document().findBlock(m.start).blockNumber() for m in self.marks}
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible():
                n = block.blockNumber()
                painter.setPen(theme.error if n in marked else theme.muted)
                painter.drawText(0, top, self.numbers.width() - 5, height, Qt.AlignmentFlag.AlignRight, str(n + 1))
            top += round(self.blockBoundingRect(block).height())
            block = block.next()

    # -- text from elsewhere ---------------------------------------------------------------------------------
    def apply_text(self, text: str) -> None:
        """Make the text ``text`` by replacing only what differs (one undo step; the cursor stays put)."""
        old = self.toPlainText()
        if old == text:
            return
        start = 0
        limit = min(len(old), len(text))
        while start < limit and old[start] == text[start]:
            start += 1
        end_old, end_new = len(old), len(text)
        while end_old > start and end_new > start and old[end_old - 1] == text[end_new - 1]:
            end_old -= 1
            end_new -= 1
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.setPosition(end_old, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text[start:end_new])

    # -- problems -------------------------------------------------------------------------------------------
    def position(self, line: int, col: int) -> int:
        """The document position of 1-based ``line`` and ``col`` (clamped to the line)."""
        block = self.document().findBlockByNumber(max(line - 1, 0))
        return block.position() + min(max(col - 1, 0), max(len(block.text()), 0))

    def set_problems(self, problems: list[Problem]) -> None:
        """Underline every problem that has a place in the text."""
        marks = []
        for p in problems:
            if not p.line or p.line > self.blockCount():
                continue
            block = self.document().findBlockByNumber(p.line - 1)
            text = block.text()
            start = self.position(p.line, p.col)
            if p.end_col and p.end_col > p.col:
                end = self.position(p.line, p.end_col)
            else:
                code = text.split("#", 1)[0].rstrip()
                end = block.position() + max(len(code), p.col)
            if end <= start:
                end = min(start + 1, block.position() + len(text))
                if end <= start:  # an empty line: mark its end
                    start = max(block.position() - 1, 0) if block.position() else 0
                    end = block.position() + 1
            marks.append(Mark(start, end, p))
        self.marks = marks
        self._refresh_selections()
        self.numbers.update()

    def problems_at(self, position: int) -> list[Problem]:
        return [m.problem for m in self.marks if m.start <= position < max(m.end, m.start + 1)]

    def event(self, event) -> bool:
        if event.type() == event.Type.ToolTip:
            cursor = self.cursorForPosition(event.pos() - self.viewport().pos())
            found = self.problems_at(cursor.position())
            if found:
                QToolTip.showText(event.globalPos(), "\n".join(p.message for p in found), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    # -- selections: current line, problems, brackets ------------------------------------------------------------
    def _refresh_selections(self) -> None:
        theme = colors()
        selections = []
        line = QTextEdit.ExtraSelection()
        line.format.setBackground(QColor(theme.selection.red(), theme.selection.green(), theme.selection.blue(), 22))
        line.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        line.cursor = self.textCursor()
        line.cursor.clearSelection()
        selections.append(line)
        for m in self.marks:
            sel = QTextEdit.ExtraSelection()
            sel.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            sel.format.setUnderlineColor(theme.error)
            sel.format.setToolTip(m.problem.message)
            sel.cursor = QTextCursor(self.document())
            sel.cursor.setPosition(m.start)
            sel.cursor.setPosition(min(m.end, self.document().characterCount() - 1), QTextCursor.MoveMode.KeepAnchor)
            selections.append(sel)
        selections.extend(self._bracket_selections())
        self.setExtraSelections(selections)

    def matching_bracket(self, position: int) -> int | None:
        """The position of the bracket matching the one at ``position`` (``None``: unmatched or no bracket)."""
        text = self.toPlainText()
        if not 0 <= position < len(text):
            return None
        ch = text[position]
        if ch in _PAIRS:
            step, mine, other = 1, ch, _PAIRS[ch]
        elif ch in _CLOSING:
            step, mine, other = -1, ch, _CLOSING[ch]
        else:
            return None
        depth, k = 0, position
        while 0 <= k < len(text):
            if text[k] == mine:
                depth += 1
            elif text[k] == other:
                depth -= 1
                if depth == 0:
                    return k
            k += step
        return None

    def _bracket_selections(self) -> list:
        text = self.toPlainText()
        pos = self.textCursor().position()
        at = next((p for p in (pos, pos - 1) if 0 <= p < len(text) and text[p] in "()[]{}"), None)
        if at is None:
            return []
        theme = colors()
        match = self.matching_bracket(at)
        out = []
        for p, color in ((at, theme.selection if match is not None else theme.error),
                         (match, theme.selection)):
            if p is None:
                continue
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(QColor(color.red(), color.green(), color.blue(), 70))
            sel.cursor = QTextCursor(self.document())
            sel.cursor.setPosition(p)
            sel.cursor.setPosition(p + 1, QTextCursor.MoveMode.KeepAnchor)
            out.append(sel)
        return out


class EquationEditor(QWidget):
    """The model text of ``state`` with its problems and the template menu."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.editor = CodeEditor()
        self.editor.setPlainText(state.text)
        self.editor.document().clearUndoRedoStacks()
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        self.problems.itemActivated.connect(self._go_to)
        self.problems.itemClicked.connect(self._go_to)
        self.status = QLabel()
        self.templates = QToolButton(text="Templates", popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        # In the Templates menu, not a button of its own: the playground's width sets the window's least width.
        self.paste_action = QAction("Paste Brian2 code…", self)
        self.paste_action.setToolTip("Read a Brian2 script's NeuronGroup (equations, threshold, reset, refractory, "
                                     "method, namespace constants) into the model; the script is not run")
        self.paste_action.triggered.connect(self.open_paste)
        self.paste_dialog: Brian2PasteDialog | None = None
        self.templates.setMenu(self._template_menu())
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.templates)
        top.addWidget(self.status, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.editor)
        split.addWidget(self.problems)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 1)
        split.setSizes([600, 110])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.commit)
        self._last_check = 0.0
        self._applying = False
        self.editor.textChanged.connect(self._typed)
        state.events.connect(self._on_state)
        self.destroyed.connect(lambda *_, cb=self._on_state, events=state.events: events.disconnect(cb))
        self._show_problems()
        self._show_names()

    def _template_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.addAction(self.paste_action)
        menu.setToolTipsVisible(True)
        groups: dict[str, QMenu] = {}
        for template in templates():
            group = groups.get(template.group)
            if group is None:
                group = groups[template.group] = menu if template.group == "Classic" else menu.addMenu(template.group)
                if template.group == "Classic":
                    menu.addSection("Classic")
            action = group.addAction(template.title)
            action.setToolTip(template.model.description)
            action.triggered.connect(lambda _=False, t=template: self.load_template(t))
        return menu

    def open_paste(self) -> Brian2PasteDialog:
        """Show the dialog that reads pasted Brian2 code into the model."""
        if self.paste_dialog is None:
            self.paste_dialog = Brian2PasteDialog(self.state, self)
        self.paste_dialog.open()
        return self.paste_dialog

    def load_template(self, template) -> None:
        """Open ``template`` (a :class:`~studio.playground.playground_state.Template`) as editable text."""
        self.state.from_model(template.model)

    # -- text -> state ------------------------------------------------------------------------------------------
    def _typed(self) -> None:
        if self._applying or self._timer.isActive():
            return
        since = (time.perf_counter() - self._last_check) * 1e3
        self._timer.start(max(0, int(CHECK_MS - since)))

    def commit(self) -> None:
        """Hand the editor's text to the state now."""
        self._timer.stop()
        self._last_check = time.perf_counter()
        self.state.set_text(self.editor.toPlainText())

    # -- state -> views -------------------------------------------------------------------------------------------
    def _on_state(self, event) -> None:
        if isinstance(event, TextChanged) and event.text != self.editor.toPlainText():
            self._applying = True
            try:
                self.editor.apply_text(event.text)
            finally:
                self._applying = False
        elif isinstance(event, ProblemsChanged):
            self._show_problems()
        elif isinstance(event, ModelChanged):
            self._show_names()

    def _show_names(self) -> None:
        checked = self.state.structure
        if checked is None:
            return
        self.editor.highlighter.set_names(checked.states, checked.parameters)
        self.editor.completer.set_model(checked)

    def _show_problems(self) -> None:
        problems = self.state.problems
        self.editor.set_problems(self.state.text_problems)
        self.problems.clear()
        for p in problems:
            where = f"{p.line}:{p.col}" if p.line else p.field
            item = QListWidgetItem(f"{where}  {p.message}")
            item.setData(Qt.ItemDataRole.UserRole, (p.line, p.col))
            item.setForeground(colors().error)
            item.setToolTip(f"{p.field}: {p.message}")
            self.problems.addItem(item)
        if problems:
            self.status.setText(f"<span style='color:{colors().error.name()}'>{len(problems)} problem"
                                f"{'s' if len(problems) > 1 else ''} — the trace shows the last valid model</span>")
        else:
            self.status.setText("model is valid")

    def _go_to(self, item: QListWidgetItem) -> None:
        line, col = item.data(Qt.ItemDataRole.UserRole)
        if not line:
            return
        cursor = self.editor.textCursor()
        cursor.setPosition(self.editor.position(line, col))
        self.editor.setTextCursor(cursor)
        self.editor.setFocus()
