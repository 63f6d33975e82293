"""The bundled example projects the tests use, and small variants of them written on the fly."""

from __future__ import annotations

import json
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
HIL_DEMO = EXAMPLES / "hil_demo.ncsproj"


def tiny_hil_demo(folder: Path) -> Path:
    """hil_demo shrunk to 20 neurons (in-degree 2), written to ``folder``: a board build of a few seconds once
    the tools are warm."""
    project = json.loads(HIL_DEMO.read_text())
    for population, size in zip(project["populations"], (16, 4)):
        population["size"] = size
    for projection in project["projections"]:
        projection["rule"]["k"] = 2
    path = folder / "tiny.ncsproj"
    path.write_text(json.dumps(project))
    return path


MICROCIRCUIT = EXAMPLES / "microcircuit.ncsproj"
MICROCIRCUIT_POPULATIONS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]


def small_microcircuit(folder: Path, scale: float = 0.02) -> Path:
    """The microcircuit example with its `scale` constant set to ``scale``, written to ``folder``."""
    project = json.loads(MICROCIRCUIT.read_text())
    project["constants"]["scale"] = scale
    path = folder / f"microcircuit_{scale:g}.ncsproj"
    path.write_text(json.dumps(project))
    return path
