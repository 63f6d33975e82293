"""``ncstudio export --to nest|pynn|brian2|python``: what the scripts say, and the engine's script run as is.

The scripts run in NEST, Brian2 and PyNN in tests/studio/test_export_peers.py; refusals are in
tests/studio/test_export_refusals.py.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.cli.main import main
from studio.project.project_file import load_network

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"


def export(tmp_path: Path, project: Path, target: str) -> str:
    out = tmp_path / f"{project.stem}_{target}.py"
    assert main(["export", str(project), "--to", target, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    compile(text, str(out), "exec")
    return text


def constant(text: str, name: str):
    """The value of a top-level constant of a script."""
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise KeyError(name)


@pytest.mark.parametrize("target", ["nest", "pynn", "brian2", "python"])
@pytest.mark.parametrize("example", ["cuba", "coba", "brunel", "playground_glif", "hil_demo"])
def test_every_example_exports_to_a_script_that_compiles(tmp_path, example, target, capsys):
    export(tmp_path, EXAMPLES / f"{example}.ncsproj", target)
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / f'{example}_{target}.py'} ({target})"


def test_cuba_is_iaf_psc_exp_with_voltage_kicks_turned_into_currents(tmp_path):
    text = export(tmp_path, EXAMPLES / "cuba.ncsproj", "nest")
    e = constant(text, "POPULATIONS")["E"]
    assert e["model"] == "iaf_psc_exp"
    assert e["params"] == {"C_m": 250.0, "tau_m": 20.0, "E_L": -49.0, "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0,
                           "I_e": 0.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0}
    assert e["varying"] == {"V_m": ["uniform", -60.0, -50.0]}
    weights = {p["name"]: p["syn_spec"]["weight"] for p in constant(text, "PROJECTIONS")}
    assert weights == pytest.approx({"EE": 1.62 * 250 / 20, "EI": 1.62 * 250 / 20, "IE": -9 * 250 / 20,
                                     "II": -9 * 250 / 20})
    assert constant(text, "PROJECTIONS")[0]["conn_spec"] == {"rule": "pairwise_bernoulli", "p": 0.02}
    multimeter = constant(text, "DEVICES")[2]
    assert (multimeter["model"], multimeter["params"]["record_from"], multimeter["neurons"]) == \
        ("multimeter", ["V_m"], [0, 1, 2, 3, 4])


def test_coba_is_iaf_cond_exp_with_conductances_in_units_of_the_leak(tmp_path):
    text = export(tmp_path, EXAMPLES / "coba.ncsproj", "nest")
    e = constant(text, "POPULATIONS")["E"]
    assert e["model"] == "iaf_cond_exp"
    g_l = e["params"]["g_L"]
    assert g_l == e["params"]["C_m"] / 20.0
    # The drive I = 20 mV joins the leak's resting potential: the same membrane equation.
    assert (e["params"]["E_L"], e["params"]["E_ex"], e["params"]["E_in"]) == (-40.0, 0.0, -80.0)
    assert e["states"] == {"v": ["V_m", 1.0], "ge": ["g_ex", g_l], "gi": ["g_in", g_l]}
    weights = {p["name"]: p["syn_spec"]["weight"] for p in constant(text, "PROJECTIONS")}
    assert weights == pytest.approx({"EE": 0.6 * g_l, "EI": 0.6 * g_l, "IE": -6.7 * g_l, "II": -6.7 * g_l})


def test_brunel_keeps_static_synapse_hom_w_fixed_indegree_and_poisson_generators(tmp_path):
    text = export(tmp_path, EXAMPLES / "brunel.ncsproj", "nest")
    assert constant(text, "POPULATIONS")["E"]["model"] == "iaf_psc_delta"
    ee = constant(text, "PROJECTIONS")[0]
    assert ee["conn_spec"] == {"rule": "fixed_indegree", "indegree": 1000}
    assert ee["syn_spec"] == {"synapse_model": "static_synapse_hom_w", "delay": 1.5}
    assert ee["synapse"] == {"weight": 0.1}
    noise = constant(text, "DEVICES")[0]
    assert (noise["model"], noise["params"], noise["syn_spec"]) == \
        ("poisson_generator", {"rate": 20000.0}, {"weight": 0.1, "delay": 1.5})
    assert "local_num_threads=args.threads" in text and "nest.Rank()" in text


def test_pynn_names_the_standard_cell_types_in_pynn_units(tmp_path):
    cuba = export(tmp_path, EXAMPLES / "cuba.ncsproj", "pynn")
    e = constant(cuba, "POPULATIONS")["E"]
    assert (e["cell"], e["params"]["cm"], e["params"]["tau_syn_I"]) == ("IF_curr_exp", 0.25, 10.0)
    ie = constant(cuba, "PROJECTIONS")[2]
    assert (ie["connector"], ie["receptor"], ie["synapse"]["weight"]) == \
        ("FixedProbabilityConnector", "inhibitory", pytest.approx(-0.1125))
    coba = constant(export(tmp_path, EXAMPLES / "coba.ncsproj", "pynn"), "POPULATIONS")["E"]
    assert (coba["cell"], coba["params"]["tau_m"], coba["params"]["e_rev_I"]) == ("IF_cond_exp", 20.0, -80.0)
    brunel = export(tmp_path, EXAMPLES / "brunel.ncsproj", "pynn")
    assert constant(brunel, "POPULATIONS")["E"]["cell"] == "IF_curr_delta"
    assert constant(brunel, "DEVICES")[0]["source"] == "SpikeSourcePoisson"
    glif = export(tmp_path, EXAMPLES / "playground_glif.ncsproj", "pynn")
    assert constant(glif, "POPULATIONS")["glif5"]["cell"] == "glif_cond"


def test_brian2_writes_the_equations_and_rewrites_conditionals(tmp_path):
    cuba = export(tmp_path, EXAMPLES / "cuba.ncsproj", "brian2")
    assert "dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)" in cuba
    assert "group_E.v = 'Vr + rand()*(Vt - Vr)'" in cuba
    assert "on_pre='gi += -9.0 * mV'" in cuba and "syn_EE.connect(p=0.02)" in cuba
    brunel = export(tmp_path, EXAMPLES / "brunel.ncsproj", "brian2")
    assert " if " not in brunel.split("def build", 1)[1].split("def main", 1)[0]
    assert "int(not_refractory) * (0.1 * mV)" in brunel
    assert "b2.PoissonInput(group_E, 'V_m'" in brunel and "fixed_degree(rng, 10000, 10000, 1000, True, 0)" in brunel


def test_the_engine_script_reproduces_the_studio_run_exactly(tmp_path):
    project = json.loads((EXAMPLES / "cuba.ncsproj").read_text())
    project["constants"]["v0"] = "2 mV"
    project["populations"][0]["initial"]["v"] = "Vr + v0 + rand()*(Vt - Vr - v0)"
    path = tmp_path / "cuba.ncsproj"
    path.write_text(json.dumps(project))
    export(tmp_path, path, "python")
    out = tmp_path / "run.npz"
    done = subprocess.run([sys.executable, str(tmp_path / "cuba_python.py"), "--duration", "0.1", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "NCS_CC": ""})
    assert done.returncode == 0, done.stderr
    from engine.run.simulation import Simulation

    simulation = Simulation(load_network(path)[1])
    simulation.run(0.1)
    with np.load(out) as saved:
        for name in ("E", "I"):
            times, senders = simulation.spikes(name)
            np.testing.assert_array_equal(saved[f"spikes_{name}.times"], times)
            np.testing.assert_array_equal(saved[f"spikes_{name}.senders"], senders)
            assert f"{name}: {len(times)} spikes" in done.stdout
        np.testing.assert_array_equal(saved["v_E.v"], simulation.recorder("v_E")["v"])


@pytest.mark.parametrize("target", ["nest", "pynn", "brian2", "python"])
def test_a_description_with_quotes_and_backslashes_stays_inside_the_docstring(tmp_path, target):
    project = json.loads((EXAMPLES / "cuba.ncsproj").read_text())
    project["description"] = 'CUBA """quoted""" with a C:\\path\\ and a trailing quote"'
    path = tmp_path / "quoted.ncsproj"
    path.write_text(json.dumps(project))
    docstring = ast.get_docstring(ast.parse(export(tmp_path, path, target)))
    assert 'CUBA """quoted""" with a C:\\path\\ and a trailing quote"' in " ".join(docstring.split())
