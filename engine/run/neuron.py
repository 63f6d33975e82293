"""One neuron under a constant current and input spike trains (the headless playground).

Timing follows NEST (see tests/data/nest/README.md):

* step ``k`` advances from ``k*dt`` to ``(k+1)*dt``; a spike is stamped at the
  end of its step, ``(k+1)*dt``;
* a constant current given with ``dc`` acts as a NEST ``dc_generator``
  connected with the minimal delay: it enters the equations from step 2
  (first visible in ``V_m`` at ``t = 0.3 ms`` with ``dt = 0.1 ms``);
* a spike sent at ``s`` with delay ``d`` is received in step
  ``round((s + d)/dt) - 1``, after the update of that step and before its
  threshold test, so a jump of a state shows at ``t = s + d``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import numpy as np

from engine.errors import ModelError, SimulationError
from engine.equations.ir import NeuronIR, build_ir, receptor_slot
from engine.equations.model import CheckedModel, ModelSpec, check_model
from engine.equations.units import AMP, SECOND, UnitError, format_dimension, parse_quantity, quantity_in
from engine.fixedpoint import QFormat
from engine.models.base import LibraryModel, ReceptorError, route_input
from engine.population_vm import PopulationVM

DC_FIRST_STEP = 2


@dataclass(frozen=True)
class SpikeInput:
    """Spike times (seconds) sent with one weight (quantity string) to a receptor port (0: by sign)."""

    times: tuple[float, ...]
    weight: str
    port: int = 0


@dataclass
class NeuronTrace:
    """A single-neuron run: times and values in the model's display units (and the unit of its input current)."""

    t: np.ndarray
    values: dict[str, np.ndarray]
    units: dict[str, str]
    spike_times: np.ndarray
    overflows: dict[str, int] = field(default_factory=dict)
    fmt: QFormat | None = None
    current_unit: str = ""

    def save(self, path) -> None:
        """Write an ``.npz`` with ``t``, every variable, ``spike_times`` and ``units`` (JSON)."""
        arrays = {"t": self.t, "spike_times": self.spike_times, **self.values}
        arrays["units"] = np.array(json.dumps({"t": "ms", "spike_times": "ms", **self.units}))
        if self.fmt is not None:
            arrays["fixed_format"] = np.array(self.fmt.name)
            arrays["overflows"] = np.array(json.dumps(self.overflows))
        np.savez_compressed(path, **arrays)


def parse_spike_input(text: str) -> SpikeInput:
    """Read ``"10ms,12ms:100pA"`` or ``"10ms:5nS@1"`` (times : weight [@ receptor port])."""
    if ":" not in text:
        raise ModelError(f"spike input `{text}`: expected `TIMES:WEIGHT[@PORT]`, e.g. `10ms,12ms:100pA`")
    times_text, rest = text.split(":", 1)
    port = 0
    if "@" in rest:
        rest, port_text = rest.rsplit("@", 1)
        try:
            port = int(port_text)
        except ValueError:
            raise ModelError(f"spike input `{text}`: receptor port `{port_text}` is not a number") from None
    times = []
    for item in times_text.split(","):
        try:
            value, _ = parse_quantity(item.strip(), SECOND)
        except UnitError as exc:
            raise ModelError(f"spike input `{text}`: {exc}") from exc
        times.append(value)
    return SpikeInput(tuple(times), rest.strip(), port)


def prepare(model: LibraryModel | ModelSpec, dt: float, overrides: dict[str, str] | None = None, *,
            initial: dict[str, str | float] | None = None, per_neuron: frozenset[str] = frozenset(),
            ) -> tuple[LibraryModel | None, CheckedModel, NeuronIR]:
    """Check a model with parameter and initial-value overrides and build its IR for ``dt`` seconds.

    Parameters named in ``per_neuron`` stay per-neuron slots of the IR (see
    :func:`~engine.equations.ir.build_ir`).
    """
    lib = model if isinstance(model, LibraryModel) else None
    spec = lib.spec if lib is not None else model
    if overrides:
        spec = replace(spec, parameters={**spec.parameters, **overrides})
    if initial:
        spec = replace(spec, initial={**spec.initial, **initial})
    checked = check_model(spec)
    return lib, checked, build_ir(checked, dt, name=lib.name if lib else "neuron", per_neuron=per_neuron)


def simulate_neuron(model: LibraryModel | ModelSpec, *, duration: float, dt: float = 1e-4,
                    overrides: dict[str, str] | None = None, dc: str | None = None,
                    spike_inputs: tuple[SpikeInput, ...] = (), spike_delay: float = 1e-3,
                    fixed: QFormat | None = None, seed: int = 0, current: np.ndarray | None = None,
                    initial: dict[str, str | float] | None = None) -> NeuronTrace:
    """Simulate one neuron for ``duration`` seconds and record every state variable.

    ``current`` is an injected current per step in the model's current unit
    (element ``k`` acts during step ``k``, from ``k*dt`` to ``(k+1)*dt``), added
    to ``dc``; ``initial`` overrides initial values of state variables.
    """
    lib, checked, ir = prepare(model, dt, overrides, initial=initial)
    system = checked.system
    nsteps = int(round(duration / dt))
    if nsteps <= 0:
        raise SimulationError("the duration must be at least one time step")
    inputs: dict[str, np.ndarray] = {}
    if dc is not None or current is not None:
        if not ir.current_input:
            raise ModelError("this model has no current input")
        injected = np.zeros(nsteps)
        if dc is not None:
            amp, _ = _quantity(dc, system, AMP, "--dc")
            injected[DC_FIRST_STEP:] = amp
        if current is not None:
            if np.shape(current) != (nsteps,):
                raise SimulationError(f"the current has {np.size(current)} values for {nsteps} steps")
            injected += current
        inputs[ir.current_input] = injected
    delay_steps = int(round(spike_delay / dt))
    if spike_inputs and delay_steps < 1:
        raise SimulationError("the spike delay must be at least one time step")
    for si in spike_inputs:
        receptor, w = _route(lib, checked, si.weight, si.port, system)
        for s in si.times:
            k = int(round(s / dt)) + delay_steps - 1
            if 0 <= k < nsteps:
                name = receptor_slot(receptor)
                inputs.setdefault(name, np.zeros(nsteps))[k] += w
    pop = PopulationVM(ir, 1, fmt=fixed, seed=seed)
    states = ir.state_names
    result = pop.run(nsteps, inputs=inputs, record=states)
    values = {}
    for q, name in enumerate(states):
        col = result.record[:, q, 0]
        values[name] = col.astype(np.float64) if fixed is None else fixed.to_float(col)
        if fixed is None and not np.all(np.isfinite(values[name])):
            bad = int(np.argmin(np.isfinite(values[name])))
            raise SimulationError(f"{name} became {values[name][bad]} at t = {(bad + 1) * dt * 1e3:g} ms")
    t_unit = system.scale(SECOND) * 1e3
    t = np.arange(1, nsteps + 1) * ir.dt * t_unit
    spike_times = (result.spike_steps + 1) * ir.dt * t_unit
    units = {name: checked.display_unit(name) for name in states}
    current_unit = checked.display_unit(ir.current_input) if ir.current_input else ""
    return NeuronTrace(t, values, units, spike_times, pop.overflows, fixed, current_unit)


def _quantity(text: str, system, dim, what: str) -> tuple[float, object]:
    try:
        return quantity_in(text, system, dim)
    except UnitError as exc:
        raise ModelError(f"{what}: {exc}") from exc


def _route(lib: LibraryModel | None, checked: CheckedModel, weight_text: str, port: int, system):
    """The receptor and delivered weight of a spike input (:func:`~engine.models.base.route_input`, by the
    weight's value)."""
    weight, dim = _quantity(weight_text, system, None, "weight")
    try:
        receptor, w = route_input(checked.receptors, weight, port or None, library=lib,
                                  owner=lib.name if lib is not None else "the model",
                                  none="has no receptor for input spikes")
    except ReceptorError as exc:
        raise ModelError(str(exc)) from exc
    want = checked.receptor_dims[receptor]
    if dim is not want:
        raise ModelError(f"weight for receptor `{receptor}`: `{weight_text}` has units {format_dimension(dim)}, "
                         f"expected {format_dimension(want)}")
    return receptor, w
