"""What a target has no counterpart for is refused by name, on one line, and no script is written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"


def variant(tmp_path: Path, example: str, change) -> Path:
    project = json.loads((EXAMPLES / f"{example}.ncsproj").read_text())
    change(project)
    path = tmp_path / f"{example}_variant.ncsproj"
    path.write_text(json.dumps(project))
    return path


def refused(tmp_path: Path, path: Path, target: str, capsys) -> str:
    out = tmp_path / "script.py"
    assert main(["export", str(path), "--to", target, "-o", str(out)]) == 1
    assert not out.exists()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def add_device(device: dict):
    return lambda p: p["devices"].append({"position": [0, 0], **device})


def lif_population(p: dict) -> None:
    p["models"]["plain"] = {"library": "lif"}
    p["populations"].append({"name": "L", "model": "plain", "size": 4})


def quadratic(p: dict) -> None:
    p["models"]["cuba_lif"]["equations"][0] = \
        "dv/dt = (ge + gi - (v - El))/taum + (v - El)**2/(taum*mV) : volt (unless refractory)"


def stdp(p: dict) -> None:
    p["projections"][0].update(synapse="stdp_synapse", weight="0.05 mV")


NEST_REFUSALS = [
    ("cuba", lif_population, r"population `L`: the library model `lif` has no NEST counterpart$"),
    ("cuba", quadratic, r"the equation model of population `E` has no NEST counterpart: dv/dt is not linear in `v` and the "
                        r"synaptic variables \(NEST takes library models by name, and equation models only when "
                        r"they are iaf_psc_exp or iaf_cond_exp\)$"),
    ("cuba", lambda p: p["projections"].append({**p["projections"][0], "name": "EE2", "weight": "wi"}),
     r"projection `EE2`: `ge` of `E` receives weights of both signs, but NEST's iaf_psc_exp routes them by sign "
     r"to two different currents$"),
    ("cuba", lambda p: p["projections"][0].update(weight="wi"),
     r"population `E`: both synaptic variables receive excitatory \(or both inhibitory\) inputs; NEST has one of "
     r"each$"),
    ("coba", lambda p: p["projections"][0].update(weight=-0.6),
     r"projection `EE`: a negative step of the conductance `ge` has no NEST counterpart$"),
    ("cuba", lambda p: p["populations"][0]["initial"].update(v="Vr + rand()**2*(Vt - Vr)"),
     r"population `E`, initial `v`: `Vr \+ rand\(\)\*\*2\*\(Vt - Vr\)` is not linear in its random draw, so it is "
     r"no uniform or normal distribution the target can draw$"),
    ("cuba", add_device({"name": "rate_E", "kind": "population_rate", "target": "E"}),
     r"device `rate_E`: population_rate: NEST has no population-rate device \(record spikes with a "
     r"spike_recorder and bin them\)$"),
    ("cuba", add_device({"name": "w_EE", "kind": "weight_recorder", "target": "EE"}),
     r"device `w_EE`: weight_recorder: weight recording is not exported$"),
    ("cuba", add_device({"name": "dc", "kind": "dc_generator", "target": "E", "params": {"amplitude": "1 pA"}}),
     r"device `dc`: dc_generator: a current into the equation model of `E` has no NEST counterpart$"),
    ("cuba", stdp, r"projection `EE`: stdp_synapse is not exported to NEST yet \(its traces and bounds differ in "
                   r"form\)$"),
    ("brunel", lambda p: p["projections"][0].update(on_pre="V_m += w"),
     r"projection `EE`: `on_pre` into a NEST model has no counterpart; give `receptor`$"),
]


@pytest.mark.parametrize("example, change, message", NEST_REFUSALS, ids=[m[:40] for _, _, m in NEST_REFUSALS])
@pytest.mark.parametrize("target", ["nest", "pynn"])
def test_nest_and_pynn_refuse_what_nest_has_no_counterpart_for(tmp_path, example, change, message, target, capsys):
    line = refused(tmp_path, variant(tmp_path, example, change), target, capsys)
    assert re.match(r"^ncstudio: error: " + message, line), line


def test_a_library_receptor_against_nest_s_sign_routing_is_refused(tmp_path, capsys):
    def explicit(p):
        p["models"]["cell"] = {"library": "iaf_psc_exp"}
        p["populations"].append({"name": "P", "model": "cell", "size": 3})
        p["devices"].append({"name": "kick", "kind": "spike_generator", "target": "P", "receptor": "in",
                             "weight": "5 pA", "params": {"spike_times": ["1 ms"]}})

    line = refused(tmp_path, variant(tmp_path, "cuba", explicit), "nest", capsys)
    assert re.match(r"^ncstudio: error: device `kick`: NEST's iaf_psc_exp routes a positive weight to `ex`, "
                    r"not to `in`$", line), line


PYNN_REFUSALS = [
    ("cuba", lambda p: p["devices"][0].update(params={"start": "10 ms"}),
     r"device `spikes_E`: a spike_recorder with start or stop is not exported to PyNN$"),
    ("cuba", lambda p: p["devices"][2]["params"].update(record_from=["v", "ge"]),
     r"device `v_E`: PyNN's IF_curr_exp does not record `I_syn_ex` \(ge\)$"),
]


@pytest.mark.parametrize("example, change, message", PYNN_REFUSALS, ids=[m[:40] for _, _, m in PYNN_REFUSALS])
def test_pynn_refuses_what_its_standard_cell_types_lack(tmp_path, example, change, message, capsys):
    line = refused(tmp_path, variant(tmp_path, example, change), "pynn", capsys)
    assert re.match(r"^ncstudio: error: " + message, line), line


BRIAN2_REFUSALS = [
    ("cuba", add_device({"name": "noise", "kind": "noise_generator", "target": "E", "params": {"std": "1 pA"}}),
     r"device `noise`: noise_generator: a Gaussian current redrawn every interval is not exported to Brian2$"),
    ("cuba", add_device({"name": "w_EE", "kind": "weight_recorder", "target": "EE"}),
     r"device `w_EE`: weight_recorder: weight recording is not exported$"),
    ("cuba", stdp, r"projection `EE`: stdp_synapse is not exported to Brian2 yet$"),
    ("brunel", lambda p: p["devices"][0]["params"].update(start="100 ms"),
     r"device `noise_E`: a poisson_generator with start or stop is not exported to Brian2 \(PoissonInput runs "
     r"throughout\)$"),
    ("brunel", lambda p: p["devices"][0].update(neurons=[0, 5, 9]),
     r"device `noise_E`: poisson_generator on scattered neurons is not exported to Brian2 \(only a contiguous "
     r"range\)$"),
]


@pytest.mark.parametrize("example, change, message", BRIAN2_REFUSALS, ids=[m[:40] for _, _, m in BRIAN2_REFUSALS])
def test_brian2_refuses_what_it_does_not_export(tmp_path, example, change, message, capsys):
    line = refused(tmp_path, variant(tmp_path, example, change), "brian2", capsys)
    assert re.match(r"^ncstudio: error: " + message, line), line


def test_the_command_line_reports_a_refusal_in_one_line_and_exit_1(tmp_path):
    path = variant(tmp_path, "cuba", lif_population)
    done = subprocess.run([sys.executable, "-m", "studio.cli.main", "export", str(path), "--to", "nest", "-o",
                           str(tmp_path / "x.py")], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr == "ncstudio: error: population `L`: the library model `lif` has no NEST counterpart\n"


def test_a_project_with_problems_is_reported_as_ncstudio_check_would(tmp_path, capsys):
    path = variant(tmp_path, "cuba", lambda p: p["projections"][0].update(source="X"))
    line = refused(tmp_path, path, "nest", capsys)
    assert re.match(r"^ncstudio: error: .*cuba_variant\.ncsproj: projections\[0\]\.source: unknown population `X`",
                    line), line
