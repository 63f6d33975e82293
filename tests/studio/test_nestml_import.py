"""NESTML neuron models converted through pynestml's parser: the CLI, every model the package ships, and NEST."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.run.neuron import SpikeInput, simulate_neuron
from studio.interop.nestml_import import convert_nestml, library_files
from studio.interop.nestml_reader import NestmlRefused

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "engine"))
from test_models_nest import RKF45, away_from_spikes, reference  # noqa: E402  (the library's NEST machinery)

LIBRARY = {path.stem: path for path in library_files()}
# What the 30 models of nestml 9.0 give today: the converted ones, and each refusal's reason.
CONVERTED = 17
REFUSED = {
    "hh_cond_exp_destexhe_neuron": "line 127: the value of parameter `alpha_n_init`",
    "hh_moto_5ht_neuron": "cannot add mol**2 and 1 (dimensionless)",
    "hill_tononi_neuron": "line 229: a model without exactly one onCondition block",
    "iaf_chxk_2008_neuron": "line 112: a statement other than an assignment in onCondition",
    "iaf_cond_beta_neuron": "`t_peak_E` is declared as 1 (dimensionless), but the right side is second",
    "iaf_psc_delta_fixed_timestep_neuron": "line 88: an `if` in update that is not a refractory timer test",
    "iaf_psc_exp_htum_neuron": "line 64: a model without exactly one onCondition block",
    "ignore_and_fire_neuron": "line 43: a model without exactly one onCondition block",
    "izhikevich_neuron": "line 94: the statement `V_m = max(V_min, V_m)` after integrate_odes() in update",
    "terub_gpe_neuron": "`I_exc_mod` is declared as 1 (dimensionless), but the right side is watt",
    "traub_cond_multisyn_neuron": "`exp` needs a dimensionless argument",
    "wb_cond_exp_neuron": "`exp` needs a dimensionless argument",
    "wb_cond_multisyn_neuron": "cannot subtract 1 (dimensionless) and hertz",
}
# NEST's built-in twins, compared on the stored NEST 3.10 traces (tests/data/nest) with NEST's parameter values.
NEST_TWINS = {"iaf_psc_exp": "iaf_psc_exp_neuron", "iaf_psc_alpha": "iaf_psc_alpha_neuron",
              "iaf_psc_delta": "iaf_psc_delta_neuron", "iaf_cond_exp": "iaf_cond_exp_neuron",
              "iaf_cond_alpha": "iaf_cond_alpha_neuron", "aeif_cond_exp": "aeif_cond_exp_neuron",
              "aeif_cond_alpha": "aeif_cond_alpha_neuron", "hh_psc_alpha": "hh_psc_alpha_neuron"}
NEST_NAMES = {"refr_T": "t_ref", "tau_syn_exc": "tau_syn_ex", "tau_syn_inh": "tau_syn_in", "E_exc": "E_ex",
              "E_inh": "E_in"}


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "studio.cli.main", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_import_writes_a_model_that_checks_and_runs(tmp_path):
    done = _cli("import", str(LIBRARY["iaf_psc_exp_neuron"]), "-o", "iaf.ncsmodel", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["receptors"] == ["exc_spikes", "inh_spikes"] and summary["method"] == "exact"
    checked = _cli("check", "iaf.ncsmodel", cwd=tmp_path)
    assert checked.returncode == 0 and "ok" in checked.stdout
    run = _cli("neuron", "iaf.ncsmodel", "--dc", "400pA", "--json", cwd=tmp_path)
    assert json.loads(run.stdout)["spike_count"] == 6


def test_import_refuses_with_the_line_and_the_construct(tmp_path):
    done = _cli("import", str(LIBRARY["izhikevich_neuron"]), "-o", "izh.ncsmodel", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == ("ncstudio: error: izhikevich_neuron.nestml line 94: the statement "
                                   "`V_m = max(V_min, V_m)` after integrate_odes() in update is not supported")
    assert not (tmp_path / "izh.ncsmodel").exists()


def test_import_names_the_suffixes_it_knows(tmp_path):
    (tmp_path / "model.txt").write_text("x")
    done = _cli("import", "model.txt", "-o", "m.ncsmodel", cwd=tmp_path)
    assert done.returncode == 1 and "cannot import `.txt` files (known: .nir, .nestml, .py)" in done.stderr


def test_a_file_that_does_not_parse_is_refused(tmp_path):
    bad = tmp_path / "bad.nestml"
    bad.write_text("model bad_neuron:\n    state:\n        V_m mV = \n")
    with pytest.raises(NestmlRefused, match=r"^bad\.nestml: not a valid NESTML model"):
        convert_nestml(bad)


@pytest.mark.slow
def test_every_model_of_the_library_converts_and_runs_or_is_refused_by_name():
    converted, refused = [], {}
    for name, path in LIBRARY.items():
        try:
            model = convert_nestml(path)
        except NestmlRefused as exc:
            refused[name] = str(exc)
            continue
        trace = simulate_neuron(model.library_model(), duration=0.05, dc="200 pA")
        assert all(np.all(np.isfinite(v)) for v in trace.values.values()), name
        converted.append(name)
    assert len(LIBRARY) == 30
    assert len(converted) == CONVERTED, converted
    assert set(refused) == set(REFUSED)
    for name, reason in REFUSED.items():
        assert refused[name].startswith(f"{name}.nestml") and reason in refused[name], refused[name]


def _nest_run(nest_model: str, case: str):
    converted = convert_nestml(LIBRARY[NEST_TWINS[nest_model]]).library_model()
    ref, meta = reference(nest_model, case)
    stim = meta["stimulus"]
    overrides = {}
    for name, default in converted.spec.parameters.items():
        value = meta["params"].get(NEST_NAMES.get(name, name))
        if isinstance(value, float) and " " in str(default):
            overrides[name] = f"{value} {str(default).split(' ', 1)[1]}"
    dc, inputs, delay = None, (), 1e-3
    if case == "dcgen":
        dc = f"{stim['dc_generator']['amplitude']} pA"
    else:
        overrides["I_e"] = f"{stim['I_e']} pA"
    if case == "spikes":
        # NESTML's weights are numbers (unit_psc/unit_psg/unit_psp carry the unit), in NEST's units.
        inputs = tuple(SpikeInput(tuple(t * 1e-3 for t in g["spike_times"]), str(g["weight"]))
                       for g in (stim["exc_generator"], stim["inh_generator"]))
        delay = stim["exc_generator"]["delay"] * 1e-3
    trace = simulate_neuron(converted, duration=stim["T"] * 1e-3, dt=stim["dt"] * 1e-3, overrides=overrides,
                            dc=dc, spike_inputs=inputs, spike_delay=delay)
    return ref, trace


@pytest.mark.slow
@pytest.mark.parametrize("case", ("dc", "dcgen", "spikes"))
@pytest.mark.parametrize("nest_model", sorted(NEST_TWINS))
def test_converted_models_match_nest(nest_model, case):
    ref, trace = _nest_run(nest_model, case)
    assert len(trace.spike_times) == len(ref["spike_times"])
    np.testing.assert_allclose(trace.spike_times, ref["spike_times"], rtol=0, atol=1e-9)
    keep = away_from_spikes(ref["t"], ref["spike_times"], trace.spike_times)
    tolerance = RKF45.get(nest_model, {}).get("V_m", 1e-9)
    assert np.max(np.abs(trace.values["V_m"] - ref["V_m"])[keep]) < tolerance
