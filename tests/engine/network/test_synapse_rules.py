"""tsodyks2_synapse, tsodyks_synapse and stdp_triplet_synapse transmit, spike by spike, the weights NEST
transmits (data/nest_synapses.npz, made by data/make_nest_synapse_refs.py), keep their state per
connection, and refuse what NEST refuses."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from engine.fixedpoint import QFormat
from engine.models import get_model
from engine.network.build import NetworkError, build_network
from engine.network.connect import Rule
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from engine.network.footprint import estimate_memory
from engine.run.simulation import Simulation

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data"
REFS = np.load(DATA / "nest_synapses.npz")
CASES = json.loads(str(REFS["cases"]))
DT_MS = 0.1
UNITS = {"tau_rec": "ms", "tau_fac": "ms", "tau_psc": "ms", "tau_plus": "ms", "tau_plus_triplet": "ms",
         "tau_minus": "ms", "tau_minus_triplet": "ms", "Wmax": "mV"}


def _kicked(name: str, stamps) -> DeviceDef:
    """A spike generator that makes its population fire at ``stamps`` (ms, NEST's stamps)."""
    return DeviceDef(f"kick_{name}", "spike_generator", name,
                     {"spike_times": [f"{t - DT_MS:.1f} ms" for t in stamps]}, weight="30 mV", delay="0.1 ms")


def _case_network(case: str, n_pre: int = 1, n_post: int = 1):
    model, params, weight, delay, traces = CASES[case]
    params = {**params, **traces}
    given = {k: f"{v} {UNITS[k]}" if k in UNITS else v for k, v in params.items()}
    delta = get_model("iaf_psc_delta")
    quick = {"t_ref": "0.1 ms"}
    return NetworkDef(
        populations=(PopulationDef("pre", delta, n_pre, quick), PopulationDef("post", delta, n_post, quick)),
        projections=(ProjectionDef("plastic", "pre", "post", Rule("all_to_all"), f"{weight} mV", f"{delay} ms",
                                   synapse=model, synapse_params=given),),
        devices=(_kicked("pre", REFS["pre"]), _kicked("post", REFS["post"])))


def _transmitted(case: str) -> np.ndarray:
    """The weight every pre spike puts into the post neuron's delay ring, read right after the spike."""
    sim = Simulation(build_network(_case_network(case)))
    net = sim.network
    proj = net.projections["plastic"]
    ring = net.rings[("post", proj.receptor)]
    done, out = 0, []
    for stamp in REFS["pre"]:
        step = int(round(stamp / DT_MS)) - 1
        sim.run((step + 1 - done) * DT_MS * 1e-3)
        done = step + 1
        rows = net.kernel.ring_contents(ring)
        out.append(rows[(step + proj.delay) % rows.shape[0], 0])
    sim.run(100e-3)
    assert np.allclose(sim.spikes("pre")[0], REFS["pre"]) and np.allclose(sim.spikes("post")[0], REFS["post"])
    return np.asarray(out)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_spike_transmits_what_nest_transmits(case):
    ours = _transmitted(case)
    nest = REFS[f"{case}.weights"]
    assert ours.size == nest.size == REFS["pre"].size
    np.testing.assert_allclose(ours, nest, rtol=1e-12, atol=0)
    assert np.ptp(nest) > 0.1 * nest.max()  # the rule did change what is transmitted


def test_tsodyks2_state_is_kept_per_connection():
    sim = Simulation(build_network(_case_network("tsodyks2_facilitating", n_pre=3, n_post=2)))
    sim.run(200e-3)
    state = sim.network.projections["plastic"].synapse_state()
    assert set(state) == {"x", "u", "last_spike"}
    assert state["x"].shape == (6,)
    # three sources fire together: every connection went through the same spikes
    np.testing.assert_array_equal(state["u"], state["u"][0])
    assert 0.0 < state["x"][0] < 1.0 and state["last_spike"][0] == REFS["pre"][REFS["pre"] < 200].max() / DT_MS


def test_triplet_weights_are_the_projection_weights():
    sim = Simulation(build_network(_case_network("triplet")))
    sim.run(float(REFS["pre"][-1] + 1.0) * 1e-3)
    proj = sim.network.projections["plastic"]
    assert proj.get_weights()[0] == pytest.approx(REFS["triplet.weights"][-1], rel=1e-12)
    proj.set_weights(0.5)
    assert proj.synapse_state()["weight"][0] == 0.5


def _one(synapse: str, **kw) -> NetworkDef:
    delta = get_model("iaf_psc_delta")
    return NetworkDef(populations=(PopulationDef("a", delta, 2),),
                      projections=(ProjectionDef("p", "a", "a", Rule("all_to_all"), kw.pop("weight", "1 mV"),
                                                 kw.pop("delay", "1 ms"), synapse=synapse, **kw),))


@pytest.mark.parametrize("net, message, field", [
    (_one("tsodyks2_synapse", synapse_params={"U": 1.5}),
     r"^projection `p`, synapse parameter `U`: `1\.5` must be at most 1$", "synapse_params.U"),
    (_one("tsodyks2_synapse", synapse_params={"tau_rec": "5 mV"}),
     r"^projection `p`, synapse parameter `tau_rec`: `5 mV` has units volt, expected second$",
     "synapse_params.tau_rec"),
    (_one("tsodyks2_synapse", synapse_params={"tau_rec": "0 ms"}),
     r"^projection `p`, synapse parameter `tau_rec`: `0 ms` must be greater than 0$", "synapse_params.tau_rec"),
    (_one("tsodyks2_synapse", synapse_params={"tau_psc": "3 ms"}),
     r"^projection `p`: tsodyks2_synapse has no parameter `tau_psc` \(it has: U, u, x, tau_rec, tau_fac\)$",
     "synapse_params.tau_psc"),
    (_one("tsodyks_synapse", synapse_params={"x": 0.7, "y": 0.5}),
     r"^projection `p`: tsodyks_synapse needs x \+ y <= 1", "synapse_params.y"),
    (_one("tsodyks_synapse", synapse_params={"tau_psc": "800 ms"}),
     r"^projection `p`: tsodyks_synapse needs tau_psc and tau_rec to differ", "synapse_params.tau_psc"),
    (_one("stdp_triplet_synapse"),
     r"^projection `p`: stdp_triplet_synapse needs `Wmax` \(upper weight bound, with the weight's unit\)$",
     "synapse_params.Wmax"),
    (_one("stdp_triplet_synapse", synapse_params={"Wmax": "2 pA"}),
     r"^projection `p`, synapse parameter `Wmax`: `2 pA` has units amp, expected volt$",
     "synapse_params.Wmax"),
    (_one("stdp_triplet_synapse", weight="3 mV", synapse_params={"Wmax": "2 mV"}),
     r"^projection `p`: a stdp_triplet_synapse weight must lie between 0 and Wmax \(2 mV\)$", "weight"),
    (_one("stdp_triplet_synapse", delay="1*ms + 1*ms*rand()", synapse_params={"Wmax": "2 mV"}),
     r"^projection `p`: stdp_triplet_synapse needs one delay for the whole projection", "delay"),
    (_one("static_synapse", synapse_params={"U": 0.2}),
     r"^projection `p`: static_synapse takes no synapse parameters \(`U` given\)", "synapse_params.U"),
])
def test_bad_synapse_parameters_name_projection_and_field(net, message, field):
    with pytest.raises(NetworkError, match=message) as err:
        build_network(net)
    assert err.value.location.kind == "projection" and err.value.location.name == "p"
    assert err.value.location.field == field


@pytest.mark.parametrize("synapse, params", [("tsodyks2_synapse", {}), ("tsodyks_synapse", {}),
                                             ("stdp_triplet_synapse", {"Wmax": "2 mV"})])
def test_fixed_point_and_so_the_hardware_refuse_them_by_name(synapse, params):
    with pytest.raises(NetworkError, match=rf"^projection `p`: {synapse} is not available in fixed point \("):
        build_network(_one(synapse, synapse_params=params), QFormat.parse("Q16.16"))


def test_their_state_counts_in_the_memory_estimate():
    static, tsodyks = (estimate_memory(_one(s)).total for s in ("static_synapse", "tsodyks_synapse"))
    assert tsodyks > static


def test_the_references_are_what_nest_computes(tmp_path):
    """Where NEST is installed (the peers environment), remake the references and find the stored ones."""
    candidates = [os.environ.get("NCS_PEERS_PYTHON"), ROOT / ".venv-peers" / "bin" / "python"]
    python = next((c for c in candidates if c and Path(c).exists() and subprocess.run(
        [str(c), "-c", "import nest"], capture_output=True, timeout=120).returncode == 0), None)
    if python is None:
        pytest.skip("NEST is not installed (run `make peers`)")
    done = subprocess.run([str(python), str(DATA / "make_nest_synapse_refs.py"), str(tmp_path)], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    fresh = np.load(tmp_path / "nest_synapses.npz")
    assert sorted(fresh.files) == sorted(REFS.files)
    for key in REFS.files:
        assert np.array_equal(fresh[key], REFS[key]), key
