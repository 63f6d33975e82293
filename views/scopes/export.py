"""Write what a scope shows: the picture (PNG, SVG) or the data (CSV, NPZ)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter, SVGExporter

from engine.errors import NeuroCoreError

PICTURES = (".png", ".svg")
TABLES = (".csv", ".npz")


class ExportError(NeuroCoreError):
    """A scope cannot be written to the file asked for."""


def export_picture(plot: pg.PlotItem, path: Path) -> None:
    """Render ``plot`` to ``path`` (PNG at its on-screen size, or SVG)."""
    exporter = ImageExporter(plot) if path.suffix.lower() == ".png" else SVGExporter(plot)
    exporter.export(str(path))


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
