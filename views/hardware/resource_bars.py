"""Bars of used against available resources (LUT, FF, BRAM, SPRAM, DSP), red where a resource is exceeded."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

from hdl.estimate import RESOURCES
from views.theme import follow_theme

SCALE = 1000  # progress bar steps


class ResourceBars(QWidget):
    """One bar per resource of :data:`hdl.estimate.RESOURCES`: the label, the share used, ``used / available``.

    Attributes
    ----------
    bars, counts : dict
        Resource key -> its ``QProgressBar`` and its ``QLabel`` (``"1,376 / 5,280"``).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.bars: dict[str, QProgressBar] = {}
        self.counts: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(3)
        for row, (key, label) in enumerate(RESOURCES.items()):
            bar = QProgressBar()
            bar.setRange(0, SCALE)
            bar.setMaximumHeight(16)
            bar.setFormat("")
            count = QLabel("–")
            count.setMinimumWidth(120)
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(bar, row, 1)
            grid.addWidget(count, row, 2)
            self.bars[key], self.counts[key] = bar, count
        grid.setColumnStretch(1, 1)

    def show_counts(self, used: dict[str, int], available: dict[str, int], approximate: bool = False) -> None:
        """Show ``used`` of ``available`` per resource (``approximate``: an estimate, written ``≈``)."""
        for key, bar in self.bars.items():
            n, total = int(used.get(key, 0)), int(available.get(key, 0))
            share = n / total if total else (1.0 if n else 0.0)
            bar.setValue(min(SCALE, round(share * SCALE)))
            bar.setFormat(f"{share:.0%}" if total else ("none on this device" if n else ""))
            over = n > total
            follow_theme(bar, lambda c, over=over:
                         f"QProgressBar::chunk {{ background: {c.error.name()}; }}" if over else "")
            prefix = "≈ " if approximate else ""
            self.counts[key].setText(f"{prefix}{n:,} / {total:,}")
            follow_theme(self.counts[key], lambda c, over=over:
                         f"color: {c.error.name()}; font-weight: bold" if over else "")

    def clear(self) -> None:
        for key, bar in self.bars.items():
            bar.setValue(0)
            bar.setFormat("")
            follow_theme(bar, lambda c: "")
            self.counts[key].setText("–")
            follow_theme(self.counts[key], lambda c: "")
