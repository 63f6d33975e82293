"""The NIR neuron types as equation models that a project writes into its ``models`` section.

Each NIR neuron node becomes a population of one of these models (docs/nir.md, "Neurons").  The
models keep NIR's field names as parameters, plain numbers except the time constants (seconds) and
the integrators' ``r`` (1/s), in the SI unit system, so a value read from a NIR file is the
parameter's value as it is.  NIR graphs are discrete-time where they come from (snnTorch, Norse):
the models integrate with forward Euler, and the summed weighted input of a step enters as Euler
integrates an input held for that step (``v += dt/tau * r * w``), after the step's leak and before
the threshold test.  ``bias`` is the constant input an ``Affine`` node adds.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.equations.model import ModelSpec, Receptor

INPUT = "input"  # the one receptor of every NIR model


@dataclass(frozen=True)
class NirModel:
    """A NIR neuron type: its NIR class name, the project model (named ``nir_<type>``), the NIR fields
    with the unit of each (``""``: a plain number) and whether it spikes."""

    nir_type: str
    spec: ModelSpec
    fields: dict[str, str]
    spiking: bool = True

    @property
    def name(self) -> str:
        return f"nir_{self.nir_type}"


def _model(nir_type: str, equations: list[str], fields: dict[str, str], receive: str, threshold: str = "",
           reset: str = "", run_regularly: str = "", spiking: bool = True) -> NirModel:
    declared = {**fields, "bias": ""}
    defaults = {"second": "10 ms", "hertz": "1 Hz"}
    ones = ("r", "w_in", "v_threshold", "threshold")
    parameters = {name: defaults.get(unit, "1" if name in ones else "0") for name, unit in declared.items()}
    spec = ModelSpec("\n".join([*equations, *(f"{name} : {unit or 1}" for name, unit in declared.items())]),
                     threshold=threshold, reset=reset, method="euler",
                     parameters=parameters, unit_system="si", receptors={INPUT: Receptor(receive)},
                     run_regularly=run_regularly)
    return NirModel(nir_type, spec, fields, spiking)


_LEAKY = {"tau": "second", "r": "", "v_leak": ""}
_CUBA = {"tau_syn": "second", "tau_mem": "second", "r": "", "v_leak": ""}
_FIRE = {"v_threshold": "", "v_reset": ""}
_LEAK = "dv/dt = (v_leak - v + r*bias)/tau : 1"
_CUBA_EQUATIONS = ["dv/dt = (v_leak - v + r*I)/tau_mem : 1", "dI/dt = (w_in*bias - I)/tau_syn : 1"]
_CUBA_INPUT = "I += w*w_in*dt/tau_syn"
_INTEGRATE = "dv/dt = r*bias : 1"

MODELS: dict[str, NirModel] = {m.nir_type: m for m in (
    _model("LIF", [_LEAK], {**_LEAKY, **_FIRE}, "v += w*r*dt/tau", "v > v_threshold", "v = v_reset"),
    _model("LI", [_LEAK], _LEAKY, "v += w*r*dt/tau", spiking=False),
    _model("CubaLIF", _CUBA_EQUATIONS, {**_CUBA, **_FIRE, "w_in": ""}, _CUBA_INPUT, "v > v_threshold",
           "v = v_reset"),
    _model("CubaLI", _CUBA_EQUATIONS, {**_CUBA, "w_in": ""}, _CUBA_INPUT, spiking=False),
    _model("IF", [_INTEGRATE], {"r": "hertz", **_FIRE}, "v += w*r*dt", "v > v_threshold", "v = v_reset"),
    _model("I", [_INTEGRATE], {"r": "hertz"}, "v += w*r*dt", spiking=False),
    # Stateless: the step's input (bias plus the weighted spikes) against the threshold; x holds it.
    _model("Threshold", ["dx/dt = 0*Hz : 1"], {"threshold": ""}, "x += w", "x > threshold", run_regularly="x = bias"),
    # A graph input: a spike generator's spike (weight 1) becomes this neuron's spike.
    _model("Input", ["dx/dt = 0*Hz : 1"], {}, "x += w", "x > 0.5", run_regularly="x = bias"),
)}
"""The NIR neuron types by NIR class name (``I`` is NIR's integrator)."""


def model_by_name(name: str) -> NirModel | None:
    """The NIR model a project model name (``nir_LIF``) stands for, or ``None``."""
    return next((m for m in MODELS.values() if m.name == name), None)


def same_equations(spec: ModelSpec, model: NirModel) -> bool:
    """Whether ``spec`` is ``model``'s equations (its parameter values may differ)."""
    mine = model.spec
    return (spec.equations, spec.threshold, spec.reset, spec.method, spec.unit_system, dict(spec.receptors),
            spec.run_regularly, spec.refractory) == (mine.equations, mine.threshold, mine.reset, mine.method,
                                                     mine.unit_system, dict(mine.receptors), mine.run_regularly,
                                                     mine.refractory)
