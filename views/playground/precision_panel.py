"""Float64 against fixed point: the overlay, the error, spike-time differences, overflows, the narrowest format,
and the error of the input current through stochastic computing (source and length from the SC menu).

The comparison runs the playground's protocol twice on a worker thread
(tens of milliseconds for an integrate-and-fire neuron, half a second for
Hodgkin–Huxley), again whenever the model changes and it is cheap.  The
search for the narrowest format that keeps every spike within a tolerance
runs one fixed run per fraction width, on a worker thread too.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMenu, QSplitter,
                               QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout, QWidget)

from engine.analysis.precision import FormatSearch, PrecisionReport, compare_precision, narrowest_format
from engine.analysis.batch import estimate_seconds
from engine.errors import NeuroCoreError
from engine.fixedpoint import QFormat
from engine.network.definitions import SC_LENGTHS
from engine.stochastic.sc_sources import SOURCES
from studio.playground.sc_input_error import sc_input_error
from studio.jobs.analysis_job import AnalysisRequest
from views.playground.analysis_panel import add_legend, axis_label, message_label, plot_widget, spin
from views.playground.sweep_panel import SweepBar, SweepPanel
from views.theme import colors

FLOAT_COLOR, FIXED_COLOR = "#3b78c4", "#d98b23"
SC_DEFAULT = ("lfsr16", 256)
PLOT_HEIGHT = 130  # the least height (px) at which a plot's axes and curves read well


def format_from(text: str, overflow: str, rounding: str) -> QFormat:
    """The Q format written as ``Q<integer>.<fraction>`` with the chosen overflow and rounding."""
    return QFormat.parse(text.strip(), overflow=overflow, rounding=rounding)


class PrecisionPanel(SweepPanel):
    """The model in float64 and in a chosen Q format (Q8.8 by default), overlaid."""

    title = "Precision"

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(state, "Compare", parent)
        self.report: PrecisionReport | None = None
        self.search: FormatSearch | None = None
        self.format_edit = QLineEdit("Q8.8")
        self.format_edit.setMaximumWidth(80)
        self.format_edit.editingFinished.connect(self.schedule)
        self.overflow_box, self.rounding_box = QComboBox(), QComboBox()
        self.overflow_box.addItems(["saturate", "wrap"])
        self.rounding_box.addItems(["truncate", "nearest"])
        self.variable_box = QComboBox()
        for box in (self.overflow_box, self.rounding_box):
            box.currentTextChanged.connect(self.schedule)
        self.variable_box.currentTextChanged.connect(lambda *_: self.show_report(self.report))
        self.tolerance = spin(1.0, decimals=3, minimum=0.0, maximum=1000.0, suffix="ms", step=0.1)
        self.finder = SweepBar("Find narrowest")
        self.finder.run_requested.connect(self.find_narrowest)
        self.finder.finished.connect(self.show_search)
        row = QHBoxLayout()
        for label, w in (("format", self.format_edit), ("overflow", self.overflow_box),
                         ("rounding", self.rounding_box), ("show", self.variable_box)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.stale_label)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("spike-time tolerance"))
        row2.addWidget(self.tolerance)
        row2.addWidget(self.finder, 1)
        self.overlay = plot_widget()
        add_legend(self.overlay)
        self.float_item = self.overlay.getPlotItem().plot(pen=pg.mkPen(FLOAT_COLOR, width=1.5), name="float64")
        self.fixed_item = self.overlay.getPlotItem().plot(pen=pg.mkPen(FIXED_COLOR, width=1.2), name="fixed")
        self.error_plot = plot_widget("t (ms)", "error")
        self.error_plot.setXLink(self.overlay)
        self.error_item = self.error_plot.getPlotItem().plot(pen=pg.mkPen(colors().error, width=1))
        self.shift_plot = plot_widget("float spike time (ms)", "spike shift (ms)")
        self.shift_item = self.shift_plot.getPlotItem().plot(pen=None, symbol="o", symbolSize=5,
                                                             symbolBrush=FIXED_COLOR, symbolPen=None)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["variable", "overflows", "max |error|", "float range"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self._fit_table()
        self.sc_button = QToolButton(toolTip="Stochastic computing: the source and the stream length the input "
                                             "current is encoded with")
        self.sc_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.sc_button.setMenu(self._sc_menu())
        self.sc_label = message_label()
        self._sc_shown()
        row3 = QHBoxLayout()
        row3.addWidget(self.sc_button, 0, Qt.AlignmentFlag.AlignTop)
        row3.addWidget(self.sc_label, 1)
        self.suggestion = message_label()
        self.suggestion.setTextFormat(Qt.TextFormat.RichText)
        self.suggestion.linkActivated.connect(self._use_suggestion)
        columns = QSplitter(Qt.Orientation.Horizontal)  # the traces beside the spike shifts and the table
        for pair in ((self.overlay, self.error_plot), (self.shift_plot, self.table)):
            column = QSplitter(Qt.Orientation.Vertical)
            for w in pair:
                w.setMinimumHeight(PLOT_HEIGHT)
                column.addWidget(w)
                column.setCollapsible(column.count() - 1, False)
            columns.addWidget(column)
            columns.setCollapsible(columns.count() - 1, False)
        columns.setStretchFactor(0, 3)
        columns.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.sweep)
        layout.addWidget(columns, 1)  # its least height makes the trace above give room
        layout.addWidget(self.message)
        layout.addLayout(row3)
        layout.addLayout(row2)
        layout.addWidget(self.suggestion)

    def _sc_menu(self) -> QMenu:
        menu = QMenu(self)
        self.sc_actions: dict[str, QActionGroup] = {}
        for title, key, values in (("Source", "source", SOURCES), ("Length", "length", SC_LENGTHS)):
            menu.addSection(title)
            group = self.sc_actions[key] = QActionGroup(menu)
            for value in values:
                action = QAction(f"L = {value}" if key == "length" else value, menu, checkable=True,
                                 checked=value in SC_DEFAULT)
                action.setData(value)
                group.addAction(action)
                menu.addAction(action)
            group.triggered.connect(lambda _: self._sc_shown())
        return menu

    def sc_choice(self) -> tuple[str, int]:
        """The SC source and stream length chosen."""
        return tuple(self.sc_actions[key].checkedAction().data() for key in ("source", "length"))

    def set_sc(self, source: str, length: int) -> None:
        """Encode the input with ``source`` and streams of ``length`` bits."""
        for key, value in (("source", source), ("length", length)):
            next(a for a in self.sc_actions[key].actions() if a.data() == value).setChecked(True)
        self._sc_shown()

    def _sc_shown(self) -> None:
        source, length = self.sc_choice()
        self.sc_button.setText(f"SC {source}, L {length}")
        report = self.report
        if report is None:
            self.sc_label.setText("SC: the error of the input current encoded as bitstreams shows after a "
                                  "comparison.")
            return
        found = sc_input_error(report.reference.current, report.fmt, source, length)
        unit = report.reference.current_unit
        if found is None:
            self.sc_label.setText("SC: the model gets no input current here, so there is nothing to encode.")
            return
        self.sc_label.setText(
            f"SC input ({source}, L = {length}, decoded in {report.fmt.name}): mean |error| "
            f"{found.mean_vs_float:.3g} {unit}, max {found.max_vs_float:.3g} {unit} against float; "
            f"{found.mean_vs_fixed:.3g} / {found.max_vs_fixed:.3g} {unit} against {report.fmt.name}; "
            f"Hoeffding bound (95 %) ±{found.hoeffding:.3g} {unit}.")

    def fmt(self) -> QFormat:
        return format_from(self.format_edit.text(), self.overflow_box.currentText(), self.rounding_box.currentText())

    def set_format(self, text: str) -> None:
        """Compare in format ``text`` (``"Q8.8"``) now."""
        self.format_edit.setText(text)
        self.run()

    def prepare(self) -> None:
        self.fmt()  # a FormatError says what is wrong with the format

    def estimate(self) -> float:
        arguments = self.state.trace_arguments()
        return 2 * estimate_seconds(arguments["model"], 1, duration=arguments["duration"], dt=arguments["dt"])

    def request(self) -> AnalysisRequest:
        arguments = self.state.trace_arguments()
        return AnalysisRequest(compare_precision, (arguments.pop("model"), self.fmt()), arguments, "precision")

    def show_result(self, report: PrecisionReport) -> None:
        self.result = report
        names = list(report.reference.values)
        if names != [self.variable_box.itemText(k) for k in range(self.variable_box.count())]:
            keep = self.variable_box.currentText()
            self.variable_box.blockSignals(True)
            self.variable_box.clear()
            self.variable_box.addItems(names)
            self.variable_box.setCurrentText(keep if keep in names else names[0])
            self.variable_box.blockSignals(False)
        self.show_report(report)

    def show_report(self, report: PrecisionReport | None) -> None:
        self.report = report
        name = self.variable_box.currentText()
        if report is None or name not in report.reference.values:
            return
        ref, fx = report.reference, report.fixed
        unit = ref.units[name]
        self.float_item.setData(ref.t, ref.values[name])
        self.fixed_item.setData(fx.t, fx.values[name])
        legend = self.overlay.getPlotItem().legend
        legend.clear()
        legend.addItem(self.float_item, "float64")
        legend.addItem(self.fixed_item, report.fmt.name)
        self.overlay.getPlotItem().setLabel("left", axis_label(name, unit))
        self.error_item.setData(ref.t, report.errors[name])
        self.error_plot.getPlotItem().setLabel("left", axis_label("error", unit))
        spikes = report.spikes
        self.shift_item.setData(spikes.reference, spikes.differences)
        self._fill_table(report)
        clipped = "; ".join(f"{k}: {v} values clipped to the storage range" for k, v in report.clipped_inputs.items())
        overflowed = {k: v for k, v in report.overflows.items() if v}
        self.message.setText(
            f"{report.fmt.name} ({report.fmt.total} bits, accumulator {report.fmt.acc}, {report.fmt.overflow}, "
            f"{report.fmt.rounding}): {len(ref.spike_times)} float spikes, {len(fx.spike_times)} fixed; "
            f"{len(spikes.differences)} paired, largest shift {spikes.max_difference:.3g} ms, "
            f"{len(spikes.missing)} missing, {len(spikes.extra)} extra. "
            + ("Overflow in " + ", ".join(f"{k} ({v}×)" for k, v in overflowed.items()) + ". "
               if overflowed else "No overflow. ")
            + (f"Inputs — {clipped}." if clipped else ""))
        self._sc_shown()

    def _fill_table(self, report: PrecisionReport) -> None:
        names = list(report.reference.values)
        self.table.setRowCount(len(names))
        worst = report.max_errors
        error = colors().error
        for r, name in enumerate(names):
            lo, hi = report.ranges[name]
            unit = report.reference.units[name]
            suffix = "" if unit in ("", "1") else f" {unit}"
            cells = (name, str(report.overflows.get(name, 0)), f"{worst[name]:.3g}{suffix}",
                     f"{lo:.4g} … {hi:.4g}{suffix}")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 1 and report.overflows.get(name, 0):
                    item.setForeground(error)
                self.table.setItem(r, c, item)
        self._fit_table()

    def _fit_table(self) -> None:
        """Make the table as wide as its columns, so none is cut off."""
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)  # measure each column at its contents' width
        columns = header.length()
        header.setStretchLastSection(True)
        scroll_bar = self.table.verticalScrollBar().sizeHint().width()
        self.table.setMinimumWidth(columns + 2 * self.table.frameWidth() + scroll_bar)

    def overflow_rows(self) -> dict[str, int]:
        """The overflow column of the report table, by variable."""
        return {self.table.item(r, 0).text(): int(self.table.item(r, 1).text()) for r in range(self.table.rowCount())}

    def find_narrowest(self) -> None:
        """Search, on a worker, the narrowest format keeping every spike within the tolerance."""
        if not self.ready:
            return
        try:
            arguments = self.state.trace_arguments()
            fmt = self.fmt()
        except NeuroCoreError as exc:
            self.finder.fail(str(exc))
            return
        model = arguments.pop("model")
        kwargs = dict(arguments, overflow=fmt.overflow,
                      rounding=fmt.rounding)
        self.finder.start(AnalysisRequest(narrowest_format, (model, self.tolerance.value()), kwargs,
                                          "narrowest format"))

    def show_search(self, search: FormatSearch) -> None:
        self.search = search
        tried = len(search.trials)
        if search.fmt is None:
            self.suggestion.setText(f"No format up to 32 bits keeps every spike within {search.tolerance_ms:g} ms "
                                    f"({tried} widths tried; {search.integer_bits} integer bits hold "
                                    f"{search.largest_value:.4g}).")
            return
        self.suggestion.setText(
            f"Narrowest: <b>{search.fmt.name}</b> ({search.fmt.total} bits) keeps every spike within "
            f"{search.tolerance_ms:g} ms; {search.integer_bits} integer bits hold the largest value "
            f"{search.largest_value:.4g}; {tried} widths tried. <a href='use'>Compare in it</a>")

    def _use_suggestion(self, *_) -> None:
        if self.search is not None and self.search.fmt is not None:
            self.set_format(self.search.fmt.name)
