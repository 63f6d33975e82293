"""The hand-fused linear kernel agrees with the VM wherever it is used, and its exponential-synapse variant
gives the generic kernel's bits."""

import numpy as np
import pytest

import engine.fused

from engine.equations.ir import build_ir
from engine.equations.model import ModelSpec, Receptor, check_model
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


CUBA = ModelSpec(
    equations="dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)\n"
              "dge/dt = -ge/taue : volt\ndgi/dt = -gi/taui : volt\n"
              "taum : second\ntaue : second\ntaui : second\nVt : volt\nVr : volt\nEl : volt",
    threshold="v > Vt", reset="v = Vr", refractory="5 ms",
    parameters={"taum": "20 ms", "taue": "5 ms", "taui": "10 ms", "Vt": "-50 mV", "Vr": "-60 mV", "El": "-49 mV"},
    receptors={"exc": Receptor("ge += w"), "inh": Receptor("gi += w")},
)


def _cuba_ir():
    return prepare(CUBA, 1e-4)[2]


def test_exponential_synapses_take_the_synaptic_variant():
    assert linear_kernel(prepare(LIBRARY["iaf_psc_exp"], 1e-4)[2]).synaptic
    assert linear_kernel(_cuba_ir()).synaptic


def test_a_receptor_into_the_membrane_stays_generic():
    kernel = linear_kernel(prepare(LIBRARY["lif"], 1e-4)[2])
    assert kernel is not None and not kernel.synaptic


@pytest.mark.parametrize("make_ir", [lambda: prepare(LIBRARY["iaf_psc_exp"], 1e-4, {"I_e": "300 pA"})[2], _cuba_ir],
                         ids=["iaf_psc_exp", "cuba"])
def test_synaptic_variant_gives_the_generic_kernels_bits(make_ir, monkeypatch):
    ir = make_ir()
    synaptic = PopulationVM(ir, 203)
    monkeypatch.setattr(engine.fused, "_exponential_synapses", lambda *args: False)
    generic = PopulationVM(ir, 203)
    assert synaptic.kernel.synaptic and not generic.kernel.synaptic
    rec_s, spk_s = _drive(synaptic, 5_000, np.random.default_rng(2))
    rec_g, spk_g = _drive(generic, 5_000, np.random.default_rng(2))
    assert spk_s.shape[1] > 0
    np.testing.assert_array_equal(spk_s, spk_g)
    assert rec_s.tobytes() == rec_g.tobytes()
