"""Short-term plasticity and triplet STDP export to NEST under NEST's own names with every parameter in NEST's
units (triplet STDP's post traces on the target neurons), the script runs in NEST, and PyNN and Brian2
refuse them by name."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from studio.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
TSODYKS2 = {"U": 0.2, "tau_rec": "500 ms", "tau_fac": "0.1 s"}
TRIPLET = {"Wmax": "0.5 mV", "tau_minus": "30 ms", "Aplus": 1e-3}


def _plastic_brunel(tmp_path: Path, order: int = 20, **extra) -> Path:
    project = json.loads((EXAMPLES / "brunel.ncsproj").read_text())
    project["constants"]["order"] = order
    ee, ei = project["projections"][:2]
    ee.update(synapse="tsodyks2_synapse", synapse_params=TSODYKS2)
    ei.update(synapse="stdp_triplet_synapse", synapse_params=TRIPLET)
    for p, changes in extra.items():
        next(q for q in project["projections"] if q["name"] == p).update(changes)
    path = tmp_path / "plastic_brunel.ncsproj"
    path.write_text(json.dumps(project))
    return path


def _export(path: Path, target: str, capsys) -> tuple[int, str]:
    script = path.with_name(f"{path.stem}_{target}.py")
    code = main(["export", str(path), "--to", target, "-o", str(script)])
    return code, script.read_text() if code == 0 else capsys.readouterr().err.strip()


def _constant(text: str, name: str):
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise KeyError(name)


def test_nest_gets_every_parameter_in_its_units(tmp_path, capsys):
    code, text = _export(_plastic_brunel(tmp_path), "nest", capsys)
    assert code == 0
    ee, ei = _constant(text, "PROJECTIONS")[:2]
    assert ee["syn_spec"] == {"synapse_model": "tsodyks2_synapse", "delay": 1.5, "weight": 0.1, "U": 0.2,
                              "u": 0.2, "x": 1.0, "tau_rec": 500.0, "tau_fac": 100.0}
    assert ei["syn_spec"] == {"synapse_model": "stdp_triplet_synapse", "delay": 1.5, "weight": 0.1,
                              "tau_plus": 16.8, "tau_plus_triplet": 101.0, "Aplus": 1e-3, "Aminus": 7e-3,
                              "Aplus_triplet": 6.2e-3, "Aminus_triplet": 2.3e-4, "Wmax": 0.5, "Kplus": 0.0,
                              "Kplus_triplet": 0.0}
    params = _constant(text, "POPULATIONS")["I"]["params"]
    assert (params["tau_minus"], params["tau_minus_triplet"]) == (30.0, 110.0)
    assert "tau_minus" not in _constant(text, "POPULATIONS")["E"]["params"]


def test_two_triplet_projections_into_one_population_must_agree_on_its_traces(tmp_path, capsys):
    path = _plastic_brunel(tmp_path, II={"synapse": "stdp_triplet_synapse", "weight": "0.1 mV",
                                         "synapse_params": {**TRIPLET, "tau_minus": "20 ms"}})
    code, message = _export(path, "nest", capsys)
    assert code == 1
    assert re.match(r"^ncstudio: error: projection `II`: NEST keeps tau_minus and tau_minus_triplet in the "
                    r"neuron, and another stdp_triplet_synapse projection into `I` sets others$", message), message


@pytest.mark.parametrize("target, message", [
    ("pynn", r"projection `EE`: tsodyks2_synapse is not exported to PyNN yet \(its standard synapse types set "
             r"fewer of NEST's parameters\)$"),
    ("brian2", r"projection `EE`: tsodyks2_synapse is not exported to Brian2 yet$"),
])
def test_pynn_and_brian2_refuse_them_by_name(tmp_path, capsys, target, message):
    code, line = _export(_plastic_brunel(tmp_path), target, capsys)
    assert code == 1 and re.match(r"^ncstudio: error: " + message, line), line


@pytest.fixture(scope="module")
def nest_python() -> Path:
    for c in (os.environ.get("NCS_PEERS_PYTHON"), ROOT / ".venv-peers" / "bin" / "python"):
        if c and Path(c).exists() and subprocess.run([str(c), "-c", "import nest"], capture_output=True,
                                                     timeout=120).returncode == 0:
            return Path(c)
    pytest.skip("NEST is not installed (run `make peers`)")


def test_the_exported_script_runs_in_nest(tmp_path, capsys, nest_python):
    code, _ = _export(_plastic_brunel(tmp_path), "nest", capsys)
    assert code == 0
    script, out = tmp_path / "plastic_brunel_nest.py", tmp_path / "nest.npz"
    done = subprocess.run([str(nest_python), str(script), "--out", str(out), "--duration", "0.05"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(out) as data:
        assert data["spikes_E.times"].size > 0


@pytest.mark.parametrize("synapse, params", [("tsodyks2_synapse", TSODYKS2), ("tsodyks_synapse", {"U": 0.3}),
                                             ("stdp_triplet_synapse", TRIPLET)])
def test_the_hardware_refuses_them_by_name(tmp_path, capsys, synapse, params):
    path = _plastic_brunel(tmp_path, EE={"synapse": synapse, "synapse_params": params}, EI={"synapse": "static_synapse",
                                                                                            "synapse_params": {}})
    assert main(["hdl", str(path), "-o", str(tmp_path / "core")]) == 1
    line = capsys.readouterr().err.strip()
    assert re.match(rf"^ncstudio: error: .*projection `EE`: {synapse} is not available in fixed point \(.+\); run "
                    r"in floating point$", line), line
    assert not (tmp_path / "core").exists()
