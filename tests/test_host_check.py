"""benchmarks/host_check.py: the probe compiles and runs both its loops, and the report line follows what it
measured."""

import pytest

from benchmarks.host_check import SEPARATE_CORES, build_probe, check, describe
from engine.run.native_tier import compiler

needs_compiler = pytest.mark.skipif(compiler() is None, reason="no C compiler")


@needs_compiler
def test_check_times_one_copy_alone_the_copies_side_by_side_and_a_round_trip(tmp_path, monkeypatch):
    monkeypatch.setattr("benchmarks.host_check.TURNS", 2_000_000)
    monkeypatch.setattr("benchmarks.host_check.ROUND_TRIPS", 20_000)
    result = check(build_probe(tmp_path), copies=2)
    assert result["round_trip_ns"] > 0
    assert result["copies"] == 2 and len(result["side_by_side_s"]) == 2
    assert result["alone_s"] > 0 and min(result["side_by_side_s"]) > 0
    assert result["slowdown"] == pytest.approx(max(result["side_by_side_s"]) / result["alone_s"])
    assert result["separate_cores"] == (result["slowdown"] <= SEPARATE_CORES)


def test_build_probe_without_a_compiler_gives_none(tmp_path, monkeypatch):
    monkeypatch.setenv("NCS_CC", "")
    assert build_probe(tmp_path) is None


def test_describe_says_when_the_copies_shared_cores():
    apart = {"copies": 2, "alone_s": 0.33, "side_by_side_s": [0.33, 0.34], "slowdown": 1.03, "separate_cores": True,
             "round_trip_ns": 54.2}
    shared = {**apart, "side_by_side_s": [0.61, 0.64], "slowdown": 1.94, "separate_cores": False}
    assert describe(apart, "before brunel").endswith("1.03x one alone (0.33 s): separate cores; a cache line's "
                                                     "round trip 54 ns")
    assert describe({**apart, "copies": 1, "round_trip_ns": None}, "now").endswith("separate cores")
    assert "1.94x" in describe(shared, "now") and "SHARING CORES" in describe(shared, "now")
