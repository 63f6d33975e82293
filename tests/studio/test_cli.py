"""The ``ncstudio`` console script, run for real in a subprocess."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.equations.units import AMP, SECOND, Quantity
from studio.cli.arguments import quantity, quantity_text, typed_quantity

ROOT = Path(__file__).resolve().parents[2]
NEST = ROOT / "tests" / "data" / "nest"
LIF = ROOT / "resources" / "examples" / "lif.ncsmodel"
INVALID = Path(__file__).with_name("data") / "lif_invalid.ncsmodel"
CUBA = ROOT / "resources" / "examples" / "cuba.ncsproj"
HIL = ROOT / "resources" / "examples" / "hil_demo.ncsproj"
SCRIPT = Path(sys.executable).with_name("ncstudio")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "studio.cli.main"]


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
    (["neuron", "iaf_psc_exp", "--dc", "5mV"], r"argument --dc: `5mV` is volt, expected amp \(e\.g\. `500 pA`\)"),
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
    (["run", "missing.ncsproj"], r"missing\.ncsproj: No such file or directory$"),
    (["run", str(CUBA), "--fixed", "Q30.8"], r"argument --fixed: total width must be 2\.\.32 bits, not 38"),
    (["run", str(CUBA), "--duration", "1 mV"], r"argument --duration: `1 mV` is volt, expected second"),
    (["bench", "cubaa"], r"argument benchmark: invalid choice: 'cubaa'"),
    (["run", str(CUBA), "--threads", "0"], r"threads: the number of threads must be from 1 to 64, not 0$"),
    (["bench", "cuba", "--threads", "two"], r"argument --threads: invalid int value: 'two' \(see "),
    (["neuron", str(CUBA)], r".*cuba\.ncsproj is a project, not a model; run it with `ncstudio run "),
    (["modles"], r"unknown command `modles` — did you mean `models`\?"),
]


@pytest.mark.parametrize("args, pattern", ERROR_CASES, ids=[" ".join(a) for a, _ in ERROR_CASES])
def test_user_errors_are_one_line_without_traceback(args, pattern, tmp_path):
    assert_one_line_error(ncstudio(*args, cwd=tmp_path), pattern)


def test_run_project_prints_counts_rates_and_timings(tmp_path):
    result = ncstudio("run", CUBA, "--duration", "200ms", "--json", "--out", "run.npz", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"sim_s", "wall_s", "build_s", "steps", "spikes", "rates_hz"} <= set(report)
    assert (report["sim_s"], report["steps"], report["n_neurons"], report["seed"]) == (0.2, 2000, 4000, 1)
    assert report["wall_s"] > 0 and report["build_s"] > 0
    assert set(report["spikes"]) == set(report["rates_hz"]) == {"E", "I"}
    for name, size in (("E", 3200), ("I", 800)):
        assert 3.0 < report["rates_hz"][name] < 9.0
        assert report["rates_hz"][name] == pytest.approx(report["spikes"][name] / (size * 0.2), rel=1e-5)
    with np.load(tmp_path / "run.npz") as f:
        units = json.loads(str(f["units"]))
        assert f["spikes.E.times"].size == report["spikes"]["E"]
        assert f["spikes.I.senders"].max() < 800
        assert f["v_E.v"].shape == (2000, 5)
        np.testing.assert_array_equal(f["v_E.neurons"], [0, 1, 2, 3, 4])
        assert -80.0 < f["v_E.v"].min() and f["v_E.v"].max() <= -50.0
        np.testing.assert_array_equal(f["spikes_E.times"], f["spikes.E.times"])
    assert (units["spikes.E.times"], units["v_E.t"], units["v_E.v"], units["spikes.E.senders"]) == (
        "ms", "ms", "mV", "index")


def test_run_on_two_threads_gives_the_same_spikes_and_says_so(tmp_path):
    runs = []
    for threads in ("1", "2"):
        result = ncstudio("run", CUBA, "--duration", "100ms", "--threads", threads, "--json", "--out", f"{threads}.npz",
                          cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        runs.append(json.loads(result.stdout))
    assert [r["threads"] for r in runs] == [1, 2]
    assert runs[0]["spikes"] == runs[1]["spikes"]
    with np.load(tmp_path / "1.npz") as one, np.load(tmp_path / "2.npz") as two:
        for key in ("spikes.E.times", "spikes.E.senders", "v_E.v"):
            np.testing.assert_array_equal(one[key], two[key])


def test_run_seed_changes_the_network_and_text_output_is_readable():
    a = ncstudio("run", HIL, "--duration", "100ms", "--seed", "3")
    assert a.returncode == 0, a.stderr
    assert re.match(r"^.*hil_demo\.ncsproj: 100 ms simulated in [\d.]+ s \(build [\d.]+ s\); 200 neurons, "
                    r"4000 synapses\n  E: \d+ spikes, [\d.]+ Hz\n  I: \d+ spikes, [\d.]+ Hz\n$", a.stdout)
    spikes = [json.loads(ncstudio("run", HIL, "--duration", "100ms", "--seed", seed, "--json").stdout)["spikes"]
              for seed in ("3", "4", "4")]
    assert spikes[1] == spikes[2] != spikes[0]
    assert a.stdout.splitlines()[1].startswith(f"  E: {spikes[0]['E']} spikes, ")


def test_check_project_valid_and_invalid(tmp_path):
    ok = ncstudio("check", CUBA.name, cwd=CUBA.parent)
    assert ok.returncode == 0, ok.stderr
    assert re.match(r"^cuba\.ncsproj: ok \(2 populations, 4000 neurons, 4 projections, \d+ synapses, 3 devices\)$",
                    ok.stdout)
    data = json.loads(CUBA.read_text(encoding="utf-8"))
    data["populations"][1]["size"] = -4
    data["projections"][0]["source"] = "Q"
    data["projections"][1]["delay"] = "0.1 mV"
    (tmp_path / "bad.ncsproj").write_text(json.dumps(data), encoding="utf-8")
    bad = ncstudio("check", "bad.ncsproj", cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [
        "bad.ncsproj: populations[1].size: expected a positive whole number, not `-4`",
        "bad.ncsproj: projections[0].source: unknown population `Q` (have: E, I)",
        "bad.ncsproj: projections[1].delay: `0.1 mV` has units volt, expected second (e.g. `1.5 ms`)",
    ]
    assert_one_line_error(bad, r"3 problems in bad\.ncsproj$")
    run = ncstudio("run", "bad.ncsproj", cwd=tmp_path)
    assert_one_line_error(run, r"bad\.ncsproj: populations\[1\]\.size: .* \(and 2 more problems; "
                               r"`ncstudio check bad\.ncsproj` lists them\)$")
    report = json.loads(ncstudio("check", "bad.ncsproj", "--json", cwd=tmp_path).stdout)
    assert report["files"][0]["problems"][0]["field"] == "populations[1].size"


def test_bench_reports_speed_size_and_memory():
    result = ncstudio("bench", "cuba", "--duration", "100ms", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["benchmark"] == "cuba" and report["n_neurons"] == 4000
    assert 250_000 < report["n_synapses"] < 390_000
    # CSR: int64 row pointers, uint16 targets and float32 weights.
    assert report["synapse_bytes"] == 4 * (3201 + 3201 + 801 + 801) * 2 + report["n_synapses"] * 6
    assert report["peak_rss_mb"] > 10
    assert report["steps"] == 1000 and set(report["rates_hz"]) == {"E", "I"}


def test_quantity_arguments_are_read_once_into_typed_values():
    assert typed_quantity(AMP)("376pA") == Quantity(376.0, AMP)
    assert quantity(SECOND)("0.1ms") == pytest.approx(1e-4, rel=1e-15)
    assert quantity_text(SECOND)("2s") == "2s"
    with pytest.raises(argparse.ArgumentTypeError, match=r"^`500` needs a unit, e\.g\. `500 pA`$"):
        typed_quantity(AMP)("500")


def test_missing_x11_libraries_are_named_with_the_packages_to_install(monkeypatch):
    import ctypes.util

    from studio.cli import subcommands

    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "xcb-cursor" else real(name))
    assert "libxcb-cursor0" in subcommands._missing_x11_packages()


def _cuba_with(tmp_path: Path, name: str, change) -> Path:
    project = json.loads(CUBA.read_text())
    change(project)
    path = tmp_path / f"{name}.ncsproj"
    path.write_text(json.dumps(project))
    return path


def test_a_network_too_large_for_the_machine_is_refused_with_the_estimate(tmp_path):
    path = _cuba_with(tmp_path, "huge", lambda p: p["populations"][0].update(size=10_000_000_000))
    assert_one_line_error(ncstudio("run", path, cwd=tmp_path),
                          r".*huge\.ncsproj: the network needs about [\d,.]+ [KMGTP]iB of memory \(most of it for "
                          r"drawing the connections of `EE`\), but this machine has [\d,.]+ [KMGTP]iB available; "
                          r"make it smaller$")


def test_initial_values_that_overflow_are_the_engine_s_message_not_numpy_s(tmp_path):
    path = _cuba_with(tmp_path, "overflow",
                      lambda p: p["populations"][0]["initial"].update(v="Vr + exp(1000*rand())*mV"))
    result = ncstudio("run", path, "--duration", "1ms", cwd=tmp_path)
    assert "RuntimeWarning" not in result.stderr
    assert_one_line_error(result, r".*overflow\.ncsproj: .*`Vr \+ exp\(1000\*rand\(\)\)\*mV` is inf for neuron \d+ "
                                  r"\(\d+ of 3200 neurons\); a value must be a finite number$")


@pytest.mark.parametrize("failure, pattern", [
    (MemoryError(), r"^ncstudio: error: out of memory: this machine cannot hold what the command needs"),
    (OverflowError("math range error"), r"^ncstudio: error: numerical failure: math range error$"),
    (KeyError("oops"), r"^ncstudio: internal error: KeyError: 'oops' \(a bug: please report it; "),
])
def test_failures_outside_the_engine_s_errors_are_one_line_too(failure, pattern, monkeypatch, capsys):
    from studio.cli import main, subcommands

    def fail(args):
        raise failure

    monkeypatch.setattr(subcommands, "models", fail)
    monkeypatch.delenv("NCSTUDIO_TRACEBACK", raising=False)
    assert main.main(["models"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and re.match(pattern, lines[0]), lines


def test_characterise_names_the_pattern_and_the_features_that_decided_it():
    result = ncstudio("characterise", "izhikevich", "--set", "c=-50mV", "--set", "d=2mV", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["model"] == "izhikevich" and found["pattern"] == "bursting"
    assert found["reasons"][0].startswith("ISIs split at a") and found["current_unit"] == "pA"
    assert 0 < found["rheobase"] < found["test_current"] and found["max_rate_hz"] > 0
    assert len(found["most_sensitive"]) == 5 and set(found["state_ranges"]) == {"V_m", "U_m"}
    text = ncstudio("characterise", "iaf_psc_exp")
    assert text.stdout.startswith("iaf_psc_exp: fast-spiking (") and "rheobase 375" in text.stdout
    assert_one_line_error(ncstudio("characterise", "iaf_psc_exp", "--set", "q=1"), r"--set q=1: `q` is not a parameter")
    assert_one_line_error(ncstudio("characterise"), r"name a MODEL or give --library")
