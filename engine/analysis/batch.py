"""Variants of one neuron model run side by side as one population.

Neuron ``j`` of the population is variant ``j``: its own constant injected
current and its own values of some parameters.  The varied parameters stay
per-neuron slots of one IR, so a whole sweep is one VM run.  Where a varied
parameter cannot be per-neuron (exact integration needs constant
coefficients, e.g. ``tau_m`` of a LIF), it is folded into the IR instead and
the variants run as one population per distinct value of the folded
parameters; results look the same.

Initial values that are expressions of a varied parameter (``V_m = E_L``) are
re-evaluated per variant.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np

from engine.analysis.common import (AnalysisError, Model, Progress, check_cancel, checked, current_input,
                                    quantity_text)
from engine.errors import ModelError
from engine.equations import expr as E
from engine.equations.ir import NeuronIR, build_ir
from engine.equations.linear_form import NotLinear, linear_form
from engine.equations.model import CheckedModel, check_model
from engine.population_vm import PopulationVM

_NAME = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class BatchRun:
    """Spikes (step index, variant index) and the recorded variable after the transient.

    A spike in step ``k`` is stamped at ``(k + 1)*dt``; ``record[step, variant]``
    holds ``variable`` (model units) for steps ``first_step ..`` (empty when
    nothing was recorded).
    """

    n: int
    dt: float
    first_step: int
    nsteps: int
    spike_steps: np.ndarray
    spike_neurons: np.ndarray
    variable: str
    record: np.ndarray

    @property
    def duration(self) -> float:
        """Seconds measured (after the transient)."""
        return (self.nsteps - self.first_step) * self.dt

    def counts(self) -> np.ndarray:
        """Spikes per variant after the transient."""
        return np.bincount(self.spike_neurons, minlength=self.n)

    def rates(self) -> np.ndarray:
        """Firing rate per variant (Hz) after the transient."""
        return self.counts() / self.duration

    def spike_times(self, j: int) -> np.ndarray:
        """Spike times (ms) of variant ``j``."""
        return (self.spike_steps[self.spike_neurons == j] + 1) * self.dt * 1e3


@dataclass(frozen=True)
class Plan:
    """A model lowered for ``n`` variants: which varied parameters are per-neuron and which are folded."""

    model: CheckedModel
    dt: float
    n: int
    parameters: dict[str, np.ndarray]
    current: np.ndarray
    folded: tuple[str, ...]  # varied parameters folded into the IR: one IR per distinct combination
    irs: dict[tuple[float, ...], NeuronIR] = field(default_factory=dict)

    @property
    def per_neuron(self) -> frozenset[str]:
        return frozenset(self.parameters) - set(self.folded)

    def variant(self, j: int) -> dict[str, float]:
        return {k: float(v[j]) for k, v in self.parameters.items()}

    def ir(self, j: int) -> NeuronIR:
        key = tuple(float(self.parameters[k][j]) for k in self.folded)
        if key not in self.irs:
            self.irs[key] = build_ir(self.model, self.dt, per_neuron=self.per_neuron,
                                     parameters=dict(zip(self.folded, key)))
        return self.irs[key]

    def groups(self) -> list[np.ndarray]:
        """Variant indices that share one IR."""
        if not self.folded:
            return [np.arange(self.n)]
        table = np.stack([self.parameters[k] for k in self.folded], axis=1)
        _, inverse = np.unique(table, axis=0, return_inverse=True)
        return [np.flatnonzero(inverse.ravel() == g) for g in range(int(inverse.max()) + 1)]

    def population(self, idx: np.ndarray, seed: int) -> PopulationVM:
        ir = self.ir(int(idx[0]))
        pop = PopulationVM(ir, len(idx), seed=seed)
        for name in self.per_neuron:
            pop.set(name, self.parameters[name][idx])
        if ir.refractory_kind == "param" and ir.refractory_param in self.per_neuron:
            pop.set_refractory_from_param()
        for name, values in self._initial(idx).items():
            pop.set(name, values)
        if self.model.spec.current_input:
            pop.set(self.model.spec.current_input, self.current[idx])
        return pop

    def _initial(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Per-neuron initial states where an initial expression names a varied parameter."""
        spec = self.model.spec
        names = {str(k) for k, v in spec.initial.items() if isinstance(v, str) and
                 set(_NAME.findall(v)) & set(self.parameters)}
        if not names:
            return {}
        out = {name: np.empty(len(idx)) for name in names}
        for q, j in enumerate(idx):
            texts = {k: quantity_text(self.model, k, v) for k, v in self.variant(int(j)).items()}
            values = check_model(replace(spec, parameters={**spec.parameters, **texts})).initial
            for name in names:
                out[name][q] = values[name]
        return out


def _coefficients(model: CheckedModel, names: set[str]) -> tuple[str, ...]:
    """Those of ``names`` in the state coefficients of the model's linear equations (exact integration folds them)."""
    found: set[str] = set()
    for state in model.states.values():
        try:
            coeffs, _ = linear_form(state.rhs, set(model.states))
        except NotLinear:
            continue
        for c in coeffs.values():
            found |= E.names(c) & names
    return tuple(sorted(found))


def plan(model: Model, n: int, dt: float, *, parameters: Mapping[str, np.ndarray] | None = None,
         current: np.ndarray | float = 0.0, overrides: Mapping[str, str] | None = None) -> Plan:
    """Check ``model`` and lower it for ``n`` variants (see :func:`run_batch`)."""
    cm = checked(model, overrides)
    currents = np.broadcast_to(np.asarray(current, dtype=np.float64), (n,)).copy()
    if np.any(currents != 0):
        current_input(cm)
    params = {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy() for k, v in (parameters or {}).items()}
    unknown = [k for k in params if k not in cm.parameters]
    if unknown:
        raise AnalysisError(f"`{unknown[0]}` is not a parameter of the model")
    p = Plan(cm, dt, n, params, currents, ())
    # Fold nothing; else the parameters exact integration needs constant; else every varied one.
    for folded in ((), _coefficients(cm, set(params))):
        try:
            p = replace(p, folded=folded, irs={})
            p.ir(0)
            return p
        except ModelError as exc:
            if any(q.field != "method" for q in exc.problems):
                raise
    p = replace(p, folded=tuple(params), irs={})
    p.ir(0)
    return p


def run_batch(model: Model, n: int, *, duration: float, dt: float = 1e-4,
              parameters: Mapping[str, np.ndarray] | None = None, current: np.ndarray | float = 0.0,
              overrides: Mapping[str, str] | None = None, transient: float = 0.0, record: str = "",
              seed: int = 0, chunk_steps: int = 2000, cancel: threading.Event | None = None,
              progress: Progress | None = None) -> BatchRun:
    """Run ``n`` variants of ``model`` for ``transient + duration`` seconds.

    Parameters
    ----------
    parameters
        Per-variant values (model units) of parameters, each an array of ``n``.
    current
        Constant injected current per variant (model current unit), applied
        from the first step.
    transient
        Seconds run first and discarded (no spikes or record kept).
    record
        A state variable to record after the transient.
    cancel, progress
        Checked and called (fraction done, 0..1) every ``chunk_steps`` steps.

    Raises
    ------
    Cancelled
        ``cancel`` was set.
    """
    if int(round(duration / dt)) < 1:
        raise AnalysisError("the duration must be at least one time step")
    p = plan(model, n, dt, parameters=parameters, current=current, overrides=overrides)
    first = int(round(transient / dt))
    total = first + int(round(duration / dt))
    groups = p.groups()
    rec = np.zeros((total - first, n if record else 0))
    steps_out, neurons_out = [], []
    done, work = 0, total * len(groups)
    for idx in groups:
        pop = p.population(idx, seed)
        step = 0
        while step < total:
            check_cancel(cancel)
            count = min(chunk_steps, (first if step < first else total) - step)
            result = pop.run(count, record=(record,) if record and step >= first else ())
            if step >= first:
                if record:
                    rec[step - first:step - first + count, idx] = result.record[:, 0, :]
                steps_out.append(result.spike_steps)
                neurons_out.append(idx[result.spike_neurons])
            step += count
            done += count
            if progress is not None:
                progress(done / work)
    return BatchRun(n, dt, first, total, _concat(steps_out), _concat(neurons_out), record, rec)


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def estimate_seconds(model: Model, n: int, *, duration: float, dt: float = 1e-4,
                     parameters: Mapping[str, np.ndarray] | None = None,
                     overrides: Mapping[str, str] | None = None, probe_steps: int = 200) -> float:
    """Wall-clock seconds :func:`run_batch` would take, from a short timed probe run.

    The probe builds and runs the first group of variants (at most 128 neurons)
    for ``probe_steps`` steps and scales the time by neurons and steps, and the
    set-up by the number of groups (variants that need their own IR).
    """
    t0 = time.perf_counter()
    p = plan(model, n, dt, parameters=parameters, overrides=overrides)
    idx = p.groups()[0][:128]
    t1 = time.perf_counter()
    pop = p.population(idx, 0)
    t2 = time.perf_counter()
    steps = max(1, min(probe_steps, int(round(duration / dt))))
    pop.run(steps)
    t3 = time.perf_counter()
    per_step = (t3 - t2) / steps * (n / len(idx))
    setup = ((t1 - t0) + (t2 - t1)) * len(p.groups())
    return setup + per_step * round(duration / dt)
