"""benchmarks/sc_cost.py: the cells it reports are the ones Yosys printed, and an SC synapse is far smaller than a
Q8.8 LUT multiplier."""

from __future__ import annotations

import re

import pytest

from benchmarks.sc_cost import measure, table
from hdl.synth import YOSYS_LOG

_CELL = re.compile(r"^\s+(\d+)\s+(SB_\w+)$", re.M)


def _log_cells(log: str) -> dict[str, int]:
    """The cell counts of Yosys's last statistics (the whole hierarchy's, when the design has submodules)."""
    last = log[log.rindex("Printing statistics."):]
    if "Count including submodules" in last:
        last = last[last.rindex("Count including submodules"):]
    return {name: int(count) for count, name in _CELL.findall(last)}


@pytest.mark.slow
@pytest.mark.tools("yosys")
def test_sc_synapse_against_q8_8_multiply_as_yosys_reports(tmp_path):
    rows = {}
    for name in ("synapse", "unit8/lfsr16", "q8.8-mul/dsp", "q8.8-mul/lut"):
        folder = tmp_path / name.replace("/", "_")
        row = rows[name] = measure(name, folder)
        cells = _log_cells((folder / YOSYS_LOG).read_text())
        assert row["lut4"] == cells.get("SB_LUT4", 0), name
        assert row["ff"] == sum(n for cell, n in cells.items() if cell.startswith("SB_DFF")), name
        assert row["dsp"] == cells.get("SB_MAC16", 0) and row["carry"] == cells.get("SB_CARRY", 0), name
    assert rows["q8.8-mul/dsp"]["dsp"] == 1 and rows["q8.8-mul/dsp"]["lut4"] == 0
    assert rows["synapse"]["ff"] == rows["synapse"]["dsp"] == 0
    share = rows["unit8/lfsr16"]["per_synapse"]
    assert share["dsp"] == 0 and share["lut4"] * 10 < rows["q8.8-mul/lut"]["lut4"]
    assert share["lut4"] == pytest.approx(rows["unit8/lfsr16"]["lut4"] / 8, abs=0.005)
    assert "| unit8/lfsr16 |" in table(list(rows.values()))
