"""A model's neuron datapath as Verilog, highlighted, beside the fixed-point trace it computes bit for bit.

The view shows a :class:`studio.playground.handoff.VerilogPreview` (the module the
network core runs per neuron, and the fixed-point VM trace of the same IR,
format and protocol), or in plain text why there is no module.
"""

from __future__ import annotations

import re

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from studio.playground.handoff import VerilogPreview
from views.playground.analysis_panel import axis_label, message_label, plot_widget
from views.theme import colors, follow_theme

VERILOG_KEYWORDS = frozenset("""
always assign begin case default else end endcase endfunction endmodule function if initial inout input integer
localparam module negedge output parameter posedge reg signed wire for generate endgenerate genvar
""".split())
_TOKEN = re.compile(r"(//.*)|(\d+'[sS]?[hbdoHBDO][0-9a-fA-F_xzXZ]+|\b\d+\b)|(`\w+|\$\w+)|([A-Za-z_]\w*)")


def _format(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class VerilogHighlighter(QSyntaxHighlighter):
    """Comments, sized and plain numbers, directives and system tasks, keywords."""

    def __init__(self, document) -> None:
        super().__init__(document)
        dark = colors().dark
        self.formats = {
            "comment": _format("#7f8c8d", italic=True),
            "number": _format("#e0a050" if dark else "#a0522d"),
            "directive": _format("#c586c0" if dark else "#8e44ad"),
            "keyword": _format("#5aa2ff" if dark else "#1f5fb4", bold=True),
        }

    def highlightBlock(self, text: str) -> None:
        for m in _TOKEN.finditer(text):
            if m.group(1):
                kind = "comment"
            elif m.group(2):
                kind = "number"
            elif m.group(3):
                kind = "directive"
            elif m.group(4) in VERILOG_KEYWORDS:
                kind = "keyword"
            else:
                continue
            self.setFormat(m.start(), m.end() - m.start(), self.formats[kind])


class VerilogView(QWidget):
    """Highlighted module text beside the fixed-point trace of its first state variable."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.preview: VerilogPreview | None = None
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.highlighter = VerilogHighlighter(self.text.document())
        self.plot = plot_widget("t (ms)")
        self.trace_item = self.plot.getPlotItem().plot(pen=pg.mkPen("#d98b23", width=1.5))
        self.spike_item = self.plot.getPlotItem().plot(pen=None, symbol="t", symbolSize=7, symbolPen=None,
                                                       symbolBrush=colors().error)
        self.caption = message_label()
        self.failure = message_label()
        self.failure.setTextFormat(Qt.TextFormat.PlainText)
        follow_theme(self.failure, lambda c: f"color: {c.error.name()}")
        self.failure.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.failure.hide()
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.text)
        self.split.addWidget(self.plot)
        self.split.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.failure, 1)
        layout.addWidget(self.split, 1)

    def show_preview(self, preview: VerilogPreview) -> None:
        self.preview = preview
        v, run = preview.verilog, preview.fixed
        self.failure.hide()
        self.split.show()
        self.text.setPlainText(v.text)
        name = next(iter(run.values))
        values = run.values[name]
        self.trace_item.setData(run.t, values)
        top = float(values.max()) if len(values) else 0.0
        self.spike_item.setData(run.spike_times, [top] * len(run.spike_times))
        self.plot.getPlotItem().setLabel("left", axis_label(f"{name} in {v.fmt.name}", run.units[name]))
        lines = v.text.count("\n")
        overflows = sum(run.overflows.values())
        self.caption.setText(
            f"Module <b>{v.module}</b> ({lines} lines, {v.fmt.name}, accumulator {v.fmt.acc} bits): one neuron's "
            f"step per clock, {v.latency} clocks deep. Beside it, the fixed-point trace it computes bit for bit — "
            f"{len(run.spike_times)} spikes, {overflows} overflows.")

    def show_failure(self, caption: str, message: str) -> None:
        """No module: ``caption`` says why in a sentence, ``message`` (plain text, never highlighted) the
        details."""
        self.preview = None
        self.text.clear()
        self.split.hide()
        self.caption.setText(caption)
        self.failure.setText(message)
        self.failure.show()
