"""The exported Python script reproduces the playground's trace when run on its own."""

import subprocess
import sys

import numpy as np
import pytest

from engine.analysis.stimulus import Noise, Ramp, Step
from engine.analysis.traces import trace
from engine.equations.model import ModelSpec, Receptor
from engine.fixedpoint import QFormat
from engine.models import get_model
from studio.playground.playground_state import PlaygroundState, SpikeTrain, Stimulus
from studio.interop.script_export import ExportError, literal, trace_script


def run_script(text: str, tmp_path) -> dict[str, np.ndarray]:
    script = tmp_path / "neuron_trace.py"
    script.write_text(text, encoding="utf-8")
    out = tmp_path / "trace.npz"
    done = subprocess.run([sys.executable, str(script), "--out", str(out)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "spikes in" in done.stdout
    with np.load(out) as data:
        return {k: data[k] for k in data.files}


def assert_same(saved: dict[str, np.ndarray], run) -> None:
    np.testing.assert_array_equal(saved["t"], run.t)
    np.testing.assert_array_equal(saved["spike_times"], run.spike_times)
    for name, values in run.values.items():
        np.testing.assert_array_equal(saved[name], values)


def test_script_of_the_playground_reproduces_its_trace(tmp_path):
    stimulus = Stimulus((Step(450.0, onset=0.05, offset=0.25), Noise(0.0, 80.0, seed=4, interval=1e-3)),
                        (SpikeTrain("V_m", "2 mV", rate=40.0, kind="poisson", seed=2),))
    state = PlaygroundState(get_model("iaf_psc_exp"), stimulus=stimulus, duration=0.3)
    state.set_parameter("tau_m", "12 ms")
    run = state.simulate()
    assert run is not None and len(run.spike_times) > 3
    arguments = state.trace_arguments()
    text = trace_script(arguments.pop("model"), title="iaf_psc_exp", **arguments)
    assert_same(run_script(text, tmp_path), run)


def test_script_of_a_library_model_in_fixed_point(tmp_path):
    model = get_model("izhikevich")
    args = dict(duration=0.2, dt=1e-4, stimuli=(Ramp(12.0, onset=0.02, offset=0.18),), fixed=QFormat.parse("Q10.10"),
                parameters={"a": "0.03"})
    text = trace_script(model, **args)
    assert "get_model('izhikevich')" in text
    run = trace(model, duration=0.2, dt=1e-4, stimuli=args["stimuli"], fixed=args["fixed"], overrides={"a": "0.03"})
    assert_same(run_script(text, tmp_path), run)


def test_literals_read_back_equal():
    imports: set[tuple[str, str]] = set()
    spec = ModelSpec("dv/dt = -v/tau : 1\ntau : second", parameters={"tau": "10 ms"},
                     receptors={"syn": Receptor("v += w", "1")}, current_input=None)
    values = (spec, Step(np.float64(2.5), onset=0.1), QFormat.parse("Q4.12"), {"a": (1, 2.5, None, True)},
              tuple(np.linspace(0, 1, 60)))
    for value in values:
        text = literal(value, imports)
        namespace = {}
        for module, name in imports:
            exec(f"from {module} import {name}", namespace)
        assert eval(text, namespace) == value


def test_non_engine_values_are_refused():
    with pytest.raises(ExportError, match=r"^cannot write a `object` into a script$"):
        literal(object(), set())
