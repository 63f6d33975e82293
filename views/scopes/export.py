"""Write what a scope shows: the picture (PNG, SVG) or the data (CSV, NPZ)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from pyqtgraph.exporters import ImageExporter

from engine.errors import NeuroCoreError

PICTURES = (".png", ".svg")
TABLES = (".csv", ".npz")


class ExportError(NeuroCoreError):
    """A scope cannot be written to the file asked for."""


def export_picture(plot: pg.PlotItem, path: Path) -> None:
    """Render ``plot`` to ``path``: PNG at its on-screen size, or SVG.

    SVG goes through Qt's own generator (the raster is embedded as an image):
    pyqtgraph's SVG exporter cannot parse the paths Qt 6 writes.
    """
    if path.suffix.lower() == ".png":
        ImageExporter(plot).export(str(path))
        return
    source = plot.sceneBoundingRect()
    target = QRectF(0, 0, source.width(), source.height())
    svg = QSvgGenerator()
    svg.setFileName(str(path))
    svg.setSize(target.size().toSize())
    svg.setViewBox(target)
    svg.setTitle(plot.titleLabel.text or "scope")
    painter = QPainter(svg)
    try:
        plot.scene().render(painter, target, source)
    finally:
        painter.end()


def export_table(columns: dict[str, np.ndarray], path: Path) -> None:
    """Write equal-length columns as CSV (a header row, then one row per entry) or as NPZ arrays."""
    if path.suffix.lower() == ".npz":
        np.savez(path, **columns)
        return
    names = list(columns)
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(names)
        out.writerows(zip(*(columns[name].tolist() for name in names)))


def export(plot: pg.PlotItem, columns: dict[str, np.ndarray], path: str | Path) -> Path:
    """Write a picture or the data to ``path``, picked by its suffix.

    Raises
    ------
    ExportError
        The suffix is none of .png, .svg, .csv, .npz.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in PICTURES:
        export_picture(plot, path)
    elif suffix in TABLES:
        export_table(columns, path)
    else:
        raise ExportError(f"cannot export to `{path.name}`: use one of {', '.join(PICTURES + TABLES)}")
    return path
