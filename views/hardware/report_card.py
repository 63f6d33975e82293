"""The report card of a board build: utilisation against the device, Fmax against target, speed, tools."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from views.hardware.resource_bars import ResourceBars
from views.theme import colors


def report_lines(report) -> list[tuple[str, str]]:
    """The card's rows (name, plain text) of a :class:`hdl.board_build.BoardReport`."""
    fmax = f"{report.fmax_mhz:g} MHz" if report.fmax_mhz is not None else "not measured"
    verdict = "met" if report.timing_met else "NOT met"
    rows = [("Fmax", f"{fmax} against a target of {report.target_mhz:g} MHz: timing {verdict}")]
    if report.critical_path:
        rows.append(("worst path", report.critical_path))
    if report.realtime_factor is not None:
        rows.append(("speed", f"{report.realtime_factor:,.1f}× faster than real time "
                              f"({report.cycles_per_step:,.0f} cycles per step)"))
    else:
        rows.append(("speed", "real-time factor not measured (cycles per step unknown)"))
    rows.append(("tools", "; ".join(report.tool_versions.values())))
    cached = " (unchanged design: reused)" if report.cached else ""
    rows.append(("bitstream", f"{report.bitstream}{cached}"))
    return rows


class ReportCard(QWidget):
    """A build's report (:meth:`show_report`) or why there is none (:meth:`show_message`)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.report = None
        self.title = QLabel("<b>Report card</b>")
        self.bars = ResourceBars()
        self.details = QLabel("Build & deploy to see what the tools report: utilisation, Fmax, speed.")
        self.details.setObjectName("report_details")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.bars)
        layout.addWidget(self.details)
        layout.addStretch(1)

    def show_report(self, report) -> None:
        """Show ``report`` (a :class:`hdl.board_build.BoardReport`)."""
        self.report = report
        self.title.setText(f"<b>Report card</b> — {escape(report.board)}, {escape(report.device)}")
        used = {"luts": report.luts, "ffs": report.ffs, "brams": report.brams, "sprams": report.sprams,
                "dsps": report.dsps}
        total = {"luts": report.luts_total, "ffs": report.ffs_total, "brams": report.brams_total,
                 "sprams": report.sprams_total, "dsps": report.dsps_total}
        self.bars.show_counts(used, total)
        bad = colors().error.name()
        rows = []
        for name, text in report_lines(report):
            style = f" style='color:{bad}'" if name == "Fmax" and not report.timing_met else ""
            rows.append(f"<tr><td><b>{escape(name)}</b>&nbsp;&nbsp;</td><td{style}>{escape(text)}</td></tr>")
        self.details.setText(f"<table cellspacing='0' cellpadding='1'>{''.join(rows)}</table>")

    def show_message(self, message: str) -> None:
        """No report: say why."""
        self.report = None
        self.title.setText("<b>Report card</b>")
        self.bars.clear()
        self.details.setText(escape(message))
