"""The hand-fused linear kernel agrees with the VM wherever it is used."""

import numpy as np
import pytest

from engine.equations.ir import build_ir
from engine.equations.model import ModelSpec, check_model
from engine.fused import linear_kernel
from engine.models import LIBRARY
from engine.run.neuron import prepare
from engine.population_vm import PopulationVM

FUSABLE = [name for name, m in LIBRARY.items() if linear_kernel(prepare(m, 1e-4)[2]) is not None]


def _drive(pop: PopulationVM, nsteps: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    inputs = {}
    for slot in pop.ir.slots:
        if slot.kind == "input":
            scale = 400.0 if slot.name == pop.ir.current_input else 150.0
            inputs[slot.name] = rng.normal(0.5, 1.0, nsteps) * scale * (rng.random(nsteps) < 0.3)
    result = pop.run(nsteps, inputs=inputs, record=pop.ir.state_names)
    return result.record, np.stack([result.spike_steps, result.spike_neurons])


def test_iaf_psc_exp_is_fused():
    assert "iaf_psc_exp" in FUSABLE


@pytest.mark.parametrize("name", FUSABLE)
def test_fused_kernel_matches_vm(name):
    ir = prepare(LIBRARY[name], 1e-4)[2]
    fused, plain = PopulationVM(ir, 37), PopulationVM(ir, 37, fused=False)
    assert fused.kernel is not None and plain.kernel is None
    rec_f, spk_f = _drive(fused, 10_000, np.random.default_rng(1))
    rec_v, spk_v = _drive(plain, 10_000, np.random.default_rng(1))
    assert spk_f.shape[1] > 0
    np.testing.assert_array_equal(spk_f, spk_v)
    np.testing.assert_allclose(rec_f, rec_v, rtol=1e-12, atol=1e-9)


def test_nonlinear_model_is_not_fused():
    spec = ModelSpec(equations="dv/dt = (v**2/volt - v)/tau : volt\ntau : second",
                     threshold="v > 1*volt", reset="v = 0*volt", parameters={"tau": "10 ms"})
    assert linear_kernel(build_ir(check_model(spec), 1e-4)) is None
