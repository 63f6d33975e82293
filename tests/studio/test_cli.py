"""The ``ncstudio`` console script, run for real in a subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
NEST = ROOT / "tests" / "data" / "nest"
LIF = ROOT / "resources" / "examples" / "lif.ncsmodel"
INVALID = Path(__file__).with_name("data") / "lif_invalid.ncsmodel"
SCRIPT = Path(sys.executable).with_name("ncstudio")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "studio.cli"]


def ncstudio(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=60)


def assert_one_line_error(result: subprocess.CompletedProcess, pattern: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert re.match(r"^ncstudio: error: " + pattern, lines[0]), lines[0]


def test_models_json_lists_the_library_with_parameters():
    result = ncstudio("models", "--json")
    assert result.returncode == 0, result.stderr
    models = {m["name"]: m for m in json.loads(result.stdout)["models"]}
    iaf = models["iaf_psc_exp"]
    params = {p["name"]: p for p in iaf["parameters"]}
    assert params["tau_m"]["default"] == "10 ms"
    assert params["I_e"]["range"] == ["-10000 pA", "10000 pA"]
    assert iaf["receptors"] == ["ex", "in"]


def test_models_table_is_readable():
    result = ncstudio("models")
    assert result.returncode == 0
    assert re.search(r"^iaf_psc_exp\s+iaf_psc_exp\s+integrate-and-fire\s+LIF", result.stdout, re.M)


def test_neuron_with_constant_current_matches_nest(tmp_path):
    result = ncstudio("neuron", "iaf_psc_exp", "--set", "I_e=450pA", "--duration", "300ms",
                      "--out", "x.npz", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    ref = np.load(NEST / "iaf_psc_exp__dc.npz")
    assert summary["spike_count"] == len(ref["spike_times"]) == 15
    np.testing.assert_allclose(summary["spike_times_ms"][:3], [18.0, 38.0, 58.0])
    with np.load(tmp_path / "x.npz") as f:
        assert {"t", "V_m", "I_syn_ex", "spike_times", "units"} <= set(f.files)
        units = json.loads(str(f["units"]))
        np.testing.assert_allclose(f["t"], ref["t"], atol=1e-9)
        np.testing.assert_allclose(f["V_m"], ref["V_m"], atol=1e-9)
        np.testing.assert_allclose(f["spike_times"], ref["spike_times"], atol=1e-9)
    assert units["t"] == units["spike_times"] == "ms"
    assert (units["V_m"], units["I_syn_ex"]) == ("mV", "pA")


def test_neuron_spike_inputs_to_named_and_numbered_receptors_match_nest(tmp_path):
    result = ncstudio("neuron", "iaf_psc_exp", "--set", "I_e=200pA", "--duration", "300 ms",
                      "--spike-input", "10ms,12ms,50ms,50.5ms,51ms,120ms,121ms,122ms,123ms,124ms,200ms:300pA@ex",
                      "--spike-input", "60ms,61ms,150ms:-150pA@2", "--spike-delay", "1ms",
                      "--out", tmp_path / "spikes.npz")
    assert result.returncode == 0, result.stderr
    assert re.match(r"^iaf_psc_exp: 1 spike in 300 ms at 126\.1 ms", result.stdout)
    ref = np.load(NEST / "iaf_psc_exp__spikes.npz")
    with np.load(tmp_path / "spikes.npz") as f:
        for name in ("V_m", "I_syn_ex", "I_syn_in"):
            np.testing.assert_allclose(f[name], ref[name], atol=1e-9, err_msg=name)


def test_neuron_in_fixed_point_stores_the_format_and_quantised_values(tmp_path):
    result = ncstudio("neuron", "iaf_psc_exp", "--set", "I_e=450pA", "--duration", "100ms", "--fixed", "Q20.12",
                      "--out", tmp_path / "fx.npz", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["fixed"] == "Q20.12" and summary["spike_count"] >= 4
    with np.load(tmp_path / "fx.npz") as f:
        assert str(f["fixed_format"]) == "Q20.12"
        raw = f["V_m"] * 2**12
        np.testing.assert_array_equal(raw, np.round(raw))
        assert f["V_m"].min() >= -70.0 and f["V_m"].max() < -55.0


def test_model_file_spikes_under_dc(tmp_path):
    result = ncstudio("neuron", LIF, "--dc", "500pA", "--duration", "200ms", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["spike_count"] >= 5
    assert summary["units"] == {"v": "mV", "I_syn": "pA"}


def test_check_accepts_a_valid_model_file():
    result = ncstudio("check", LIF.name, cwd=LIF.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("lif.ncsmodel: ok (2 state variables: v, I_syn;")


def test_check_reports_every_problem_with_its_location():
    result = ncstudio("check", INVALID.name, cwd=INVALID.parent)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "lif_invalid.ncsmodel: substeps: expected a whole number, got a string",
        "lif_invalid.ncsmodel: equations: line 2, col 9: cannot add amp/second and volt in `-u/tau_w + v`",
        "lif_invalid.ncsmodel: parameters.tau_n: `tau_n` is not a parameter of the model — did you mean `tau_w`?",
        "lif_invalid.ncsmodel: reset: line 1, col 5: unknown name `v_rest` — did you mean `v_th`?",
    ]
    assert_one_line_error(result, r"4 problems in lif_invalid\.ncsmodel$")


def test_check_json_and_invalid_json_location(tmp_path):
    (tmp_path / "broken.ncsmodel").write_text('{\n  "equations": "dv/dt = -v/tau : 1"\n  "threshold": ""\n}\n')
    result = ncstudio("check", "broken.ncsmodel", "--json", cwd=tmp_path)
    assert result.returncode == 1
    [report] = json.loads(result.stdout)["files"]
    assert report["valid"] is False
    [problem] = report["problems"]
    assert (problem["location"], problem["line"], problem["col"]) == ("broken.ncsmodel: line 3, col 3", 3, 3)
    assert problem["message"] == "invalid JSON: Expecting ',' delimiter"


ERROR_CASES = [
    (["neuron", "iaf_psc_ex"], r"unknown model `iaf_psc_ex` — did you mean `iaf_psc_exp`\?"),
    (["neuron", "iaf_psc_exp", "--duration", "200mV"], r"argument --duration: `200mV` is volt, expected second"),
    (["neuron", "iaf_psc_exp", "--dt", "0.1"], r"argument --dt: `0\.1` needs a unit"),
    (["neuron", "iaf_psc_exp", "--set", "I_e=3pX"], r"--set I_e=3pX: unknown unit `pX`"),
    (["neuron", "iaf_psc_exp", "--set", "I_x=3pA"], r"--set I_x=3pA: `I_x` is not a parameter .* `I_e`\?$"),
    (["neuron", "iaf_psc_exp", "--fixed", "Q8"], r"argument --fixed: `Q8` is not a Q format"),
    (["neuron", "iaf_psc_exp", "--spike-input", "5ms:1pA@exc"], r"spike input .*: no receptor `exc` \(did you mean `ex`"),
    (["neuron", "iaf_psc_exp", "--out", "/nonexistent-dir/x.npz"], r"cannot write /nonexistent-dir/x\.npz"),
    (["neuron", str(INVALID)], r".*lif_invalid\.ncsmodel: substeps: .* \(and 3 more problems; `ncstudio check "),
    (["check", "missing.ncsmodel"], r"missing\.ncsmodel: No such file or directory$"),
    (["modles"], r"unknown command `modles` — did you mean `models`\?"),
]


@pytest.mark.parametrize("args, pattern", ERROR_CASES, ids=[" ".join(a) for a, _ in ERROR_CASES])
def test_user_errors_are_one_line_without_traceback(args, pattern, tmp_path):
    assert_one_line_error(ncstudio(*args, cwd=tmp_path), pattern)


def test_window_is_not_available_yet():
    info = ncstudio(LIF.name, "--run", "2s", cwd=LIF.parent)
    assert info.returncode == 0
    assert "`ncstudio neuron lif.ncsmodel --duration 2s --out trace.npz`" in info.stdout
    shot = ncstudio(LIF.name, "--screenshot", "out.png", "--quit", cwd=LIF.parent)
    assert shot.returncode == 2
    assert_one_line_error(shot, r"cannot open the window for a screenshot: the studio window is not available")
