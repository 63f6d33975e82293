"""The equation playground's state (Qt-free): the model text being edited, its problems, its parameters,
the stimulus, and the last good trace.

The views subscribe to :attr:`PlaygroundState.events` and read the state;
they change it only through ``set_text``, ``set_parameter``,
``set_stimulus``, ``set_run``, ``from_model`` and ``simulate``.  The model
is one text in the form of :mod:`studio.project.model_text`; parameter values live
in its ``[parameters]`` section, so a slider that sets a parameter changes
the text, and the text is always the whole model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from engine.analysis.common import quantity_text
from engine.analysis.stimulus import (Constant, CurrentProtocol, Noise, Sine, Step, poisson_spikes,
                                      regular_spikes)
from engine.analysis.traces import Trace, trace
from engine.equations.constant_values import draws
from engine.equations.model import CheckedModel, ModelSpec, Receptor, check_model
from engine.equations.units import NEST_UNITS, SI_UNITS, UNIT_SYSTEMS, UnitError, format_dimension, quantity_in
from engine.errors import ModelError, NeuroCoreError, Problem
from engine.models import LIBRARY
from engine.models.base import LibraryModel, ParamInfo
from engine.network.definitions import DeviceDef
from engine.network.devices import RECORDERS
from engine.run.neuron import SpikeInput
from studio.document.events import EventEmitter
from studio.playground.playground_events import (ModelChanged, ParametersChanged, PlaygroundEvent, ProblemsChanged,
                                                 StimulusChanged, TextChanged, TraceChanged)
from studio.project.model_text import ModelText, check_model_text, model_text, parse_model_text, with_parameter
from studio.project.modelfile import write_model_file
from studio.project.project_doc import ProjectDoc
from studio.project.network_def import network_def

# A step that makes each library model fire regularly (about 1.5 times its rheobase over 300 ms), model units.
_STEP_AMPLITUDE = {
    "iaf_psc_exp": 600.0, "iaf_psc_delta": 600.0, "iaf_psc_alpha": 600.0, "iaf_cond_exp": 450.0,
    "iaf_cond_alpha": 450.0, "aeif_cond_alpha": 800.0, "aeif_cond_exp": 800.0, "izhikevich": 10.0,
    "hh_psc_alpha": 800.0, "mat2_psc_exp": 600.0, "lif": 3000.0, "fitzhugh_nagumo": 0.5, "morris_lecar": 150.0,
    "hindmarsh_rose": 3.0, "quadratic_if": 600.0, "exponential_if": 1500.0, "glif_cond": 350.0,
}
_GLIF_FLAGS = ("spike_dependent_threshold", "after_spike_currents", "adapting_threshold")
_GLIF_VARIANTS = {1: (False, False, False), 2: (True, False, False), 3: (False, True, False),
                  4: (True, True, False), 5: (True, True, True)}


class PlaygroundError(NeuroCoreError):
    """A value given to the playground is refused; the message says why."""


@dataclass(frozen=True)
class SpikeTrain:
    """Input spikes into ``target``: a receptor of the model, or a state variable that each spike adds
    ``weight`` to.

    ``kind`` is ``"regular"`` (every ``1/rate`` s), ``"poisson"`` (seeded) or
    ``"times"`` (the given ``times``, seconds).  ``offset`` ``None`` is the end
    of the run.
    """

    target: str
    weight: str
    rate: float = 50.0
    kind: str = "regular"
    onset: float = 0.0
    offset: float | None = None
    seed: int = 0
    times: tuple[float, ...] = ()


@dataclass(frozen=True)
class Stimulus:
    """What drives the neuron: current protocols (summed, model current unit) and input spike trains."""

    currents: tuple[CurrentProtocol, ...] = ()
    spikes: tuple[SpikeTrain, ...] = ()


@dataclass(frozen=True)
class Template:
    """An entry of the template menu: a library model, possibly with parameters set (GLIF1-5)."""

    group: str
    title: str
    model: LibraryModel


def templates() -> tuple[Template, ...]:
    """The template menu: classic models, GLIF1-5, and every library model."""
    classic = (("LIF", "lif"), ("Izhikevich", "izhikevich"), ("AdEx", "aeif_cond_exp"),
               ("Hodgkin–Huxley", "hh_psc_alpha"), ("FitzHugh–Nagumo", "fitzhugh_nagumo"))
    out = [Template("Classic", title, LIBRARY[name]) for title, name in classic]
    glif = LIBRARY["glif_cond"]
    for k, flags in _GLIF_VARIANTS.items():
        values = {flag: "true" if on else "false" for flag, on in zip(_GLIF_FLAGS, flags)}
        out.append(Template("GLIF", f"GLIF{k}", glif.with_parameters(**values)))
    out.extend(Template("Library", f"{m.name} — {m.title}", m) for m in LIBRARY.values())
    return tuple(out)


def suggested_stimulus(model: LibraryModel | ModelSpec, duration: float = 1.0) -> Stimulus:
    """A step current from 10% to 90% of ``duration`` under which ``model`` fires (nothing without a current
    input)."""
    spec = model.spec if isinstance(model, LibraryModel) else model
    if not spec.current_input:
        return Stimulus()
    amplitude = _STEP_AMPLITUDE.get(model.name) if isinstance(model, LibraryModel) else None
    if amplitude is None:
        try:
            unit = check_model(spec).display_unit(spec.current_input)
        except ModelError:
            unit = "pA"
        amplitude = 500.0 if unit == "pA" else 1.0
    return Stimulus((Step(amplitude, onset=0.1 * duration, offset=0.9 * duration),))


class PlaygroundState:
    """One neuron model being edited, how it is driven, and its last good trace.

    Events
    ------
    events : EventEmitter
        One of :mod:`studio.playground.playground_events` per change: ``TextChanged``, ``ModelChanged``,
        ``ProblemsChanged``, ``ParametersChanged``, ``StimulusChanged``, ``TraceChanged``.

    ``structure`` is the last checked model: its names, units, kinds of values
    and expressions hold for ``spec``, its parameter values may be older
    (``checked`` is exact but may cost a check after ``set_parameter``).
    """

    def __init__(self, model: LibraryModel | ModelSpec | None = None, *, stimulus: Stimulus | None = None,
                 duration: float = 1.0, dt: float = 1e-4):
        self.events = EventEmitter()
        self._text = ""
        self.parsed: ModelText | None = None
        self.text_problems: list[Problem] = []
        self.run_problem: Problem | None = None
        self.spec: ModelSpec | None = None
        self._checked: CheckedModel | None = None
        self.structure: CheckedModel | None = None
        self.library_model: LibraryModel | None = None
        self.stimulus = stimulus if stimulus is not None else Stimulus()
        self.duration = float(duration)
        self.dt = float(dt)
        self.trace: Trace | None = None
        if model is not None:
            self.from_model(model, stimulus)

    # -- the model -----------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self._text

    @property
    def problems(self) -> list[Problem]:
        """Problems of the text (placed at their line and column), then a failed simulation's."""
        return self.text_problems + ([self.run_problem] if self.run_problem is not None else [])

    @property
    def stale(self) -> bool:
        """Whether the trace is not that of the text: the text is invalid or the last simulation failed."""
        return bool(self.problems)

    @property
    def checked(self) -> CheckedModel | None:
        """The last valid model, checked."""
        if self._checked is None and self.spec is not None:
            self._checked = check_model(self.spec)
        return self._checked

    def set_text(self, text: str) -> None:
        """Edit the model text; problems are found at once, a valid text becomes the model."""
        if text == self._text:
            return
        self._text = text
        self._emit(TextChanged(text))
        parsed, checked, problems = check_model_text(text)
        self.parsed = parsed
        was_stale = self.stale
        old = self.spec
        self.text_problems = sorted(problems, key=lambda p: (p.line == 0, p.line, p.col))
        if checked is not None:
            self.spec, self._checked, self.structure = checked.spec, checked, checked
        if problems or was_stale:
            self._emit(ProblemsChanged())
        if checked is None:
            return
        if was_stale or old is None or replace(old, parameters={}) != replace(checked.spec, parameters={}):
            self._emit(ModelChanged())
            self._emit(ParametersChanged())
        elif dict(old.parameters) != dict(checked.spec.parameters):
            self._emit(ParametersChanged())

    def from_model(self, model: LibraryModel | ModelSpec, stimulus: Stimulus | None = None) -> None:
        """Edit ``model`` (a library model keeps its metadata: ranges and meanings); the stimulus becomes
        ``stimulus`` or one that makes the model fire."""
        self.library_model = model if isinstance(model, LibraryModel) else None
        spec = model.spec if isinstance(model, LibraryModel) else model
        self.set_stimulus(stimulus if stimulus is not None else suggested_stimulus(model, self.duration))
        self.set_text(model_text(spec))

    def to_model_file(self, path: str | os.PathLike) -> None:
        """Save the last valid model as a ``*.ncsmodel`` file (atomically)."""
        if self.spec is None:
            raise PlaygroundError("there is no valid model to save")
        write_model_file(path, self.spec)

    # -- parameters -------------------------------------------------------------------------------------
    def parameter_names(self) -> tuple[str, ...]:
        """The parameters a person sets: not the current input, nor those the model assigns itself."""
        checked = self.structure
        if checked is None:
            return ()
        assigned = {target for target, _ in (*checked.reset, *checked.run_regularly)}
        for statements in checked.receptors.values():
            assigned.update(target for target, _ in statements)
        return tuple(n for n in checked.parameters if n != checked.spec.current_input and n not in assigned)

    @property
    def parameters(self) -> dict[str, str]:
        """Current values of :meth:`parameter_names`, as written (``"10 ms"``, ``"true"``)."""
        checked = self.structure
        if checked is None or self.spec is None:
            return {}
        out = {}
        for name in self.parameter_names():
            raw = self.spec.parameters.get(name)
            if raw is None:
                p = checked.parameters[name]
                raw = ("true" if p.value else "false") if p.var_type == "boolean" else \
                    quantity_text(checked, name, p.value)
            out[name] = str(raw).lower() if isinstance(raw, bool) else str(raw)
        return out

    def parameter_info(self, name: str) -> ParamInfo | None:
        """What the model library says about parameter ``name`` (meaning, range), if anything."""
        if self.library_model is None:
            return None
        return next((p for p in self.library_model.params if p.name == name), None)

    def unit(self, name: str) -> str:
        """The display unit of a state variable or parameter of the last valid model."""
        checked = self.structure
        return checked.display_unit(name) if checked is not None else ""

    def value(self, name: str) -> float:
        """The value of parameter ``name`` in its display unit."""
        checked = self.structure
        if checked is None or self.spec is None or name not in checked.parameters:
            raise PlaygroundError(f"`{name}` is not a parameter of the model")
        raw = self.spec.parameters.get(name)
        if raw is None:
            return checked.parameters[name].value
        if checked.parameters[name].var_type == "boolean":
            return float(str(raw).strip().lower() in ("true", "1"))
        return quantity_in(raw, checked.system)[0]

    def parameter_problem(self, name: str, text: str) -> str | None:
        """Why ``text`` cannot be the value of parameter ``name`` (``None`` when it can)."""
        checked = self.structure
        if checked is None or name not in checked.parameters:
            return f"`{name}` is not a parameter of the model"
        p = checked.parameters[name]
        text = text.strip()
        if p.var_type == "boolean":
            return None if text.lower() in ("true", "false") else f"`{name}` is true or false"
        try:
            _, dim = quantity_in(text, checked.system)
        except UnitError as exc:
            return str(exc)
        want = p.dim if p.dim is not None else dim
        if dim is not want:
            return f"`{text}` has units {format_dimension(dim)}, but `{name}` is {format_dimension(want)}"
        return None

    def set_parameter(self, name: str, text: str) -> None:
        """Set parameter ``name`` to ``text`` (a quantity string) in the model text.

        Raises
        ------
        PlaygroundError
            The value is refused (wrong unit, not a parameter); the message says why.
        """
        reason = self.parameter_problem(name, text)
        if reason is not None:
            raise PlaygroundError(reason)
        new_text = with_parameter(self._text, name, text.strip())
        if self.stale or self.spec is None:
            self.set_text(new_text)
            return
        # Only a value changed: the model stays valid, so no new check is needed before the next run.
        self._text = new_text
        self.parsed = parse_model_text(new_text)
        self.spec = replace(self.spec, parameters={**self.spec.parameters, name: text.strip()})
        self._checked = None
        self._emit(TextChanged(new_text))
        self._emit(ParametersChanged(name))

    # -- stimulus and runs ----------------------------------------------------------------------------------
    def set_stimulus(self, stimulus: Stimulus) -> None:
        """Drive the neuron with ``stimulus``."""
        if stimulus != self.stimulus:
            self.stimulus = stimulus
            self._emit(StimulusChanged())

    def set_run(self, duration: float | None = None, dt: float | None = None) -> None:
        """Simulate ``duration`` seconds with steps of ``dt`` seconds (``None`` keeps a value)."""
        duration = self.duration if duration is None else float(duration)
        dt = self.dt if dt is None else float(dt)
        if not 0 < dt <= duration:
            raise PlaygroundError("a run needs 0 < dt <= duration")
        if (duration, dt) != (self.duration, self.dt):
            self.duration, self.dt = duration, dt
            self._emit(StimulusChanged())

    def trace_arguments(self) -> dict[str, Any]:
        """Keyword arguments of :func:`engine.analysis.traces.trace` that reproduce the playground's run
        (``model``: the last valid spec, with a receptor added per state variable that spikes go into)."""
        if self.spec is None:
            raise PlaygroundError("there is no valid model")
        model, spikes = self.spec, ()
        if self.stimulus.spikes:
            model, spikes = _spike_inputs(self.checked, self.stimulus.spikes, self.duration)
        return {"model": model, "duration": self.duration, "dt": self.dt, "stimuli": self.stimulus.currents,
                "spikes": spikes}

    def simulate(self) -> Trace | None:
        """Run the last valid model now, on this thread; ``None`` (and a problem) when the run fails.

        The studio runs it on a worker instead: :meth:`prepare_run` here, :func:`run_trace` there,
        :meth:`set_result` back here.
        """
        prepared = self.prepare_run()
        if prepared is None:
            return None
        return self.set_result(prepared if isinstance(prepared, Problem) else run_trace(prepared))

    def prepare_run(self) -> dict[str, Any] | Problem | None:
        """The :meth:`trace_arguments` of a run of the last valid model, the problem that stops it, or
        ``None`` when there is no valid model."""
        if self.spec is None:
            return None
        try:
            return self.trace_arguments()
        except (NeuroCoreError, UnitError) as exc:
            return _run_failure(exc)

    def set_result(self, result: Trace | Problem) -> Trace | None:
        """Take the outcome of a run (:func:`run_trace`): show the new trace, or list the run's problem."""
        had_problem = self.run_problem is not None
        if isinstance(result, Problem):
            self.run_problem = result
            self._emit(ProblemsChanged())
            return None
        self.run_problem = None
        self.trace = result
        if had_problem:
            self._emit(ProblemsChanged())
        self._emit(TraceChanged())
        return result

    def _emit(self, event: PlaygroundEvent) -> None:
        self.events.emit(event)


def run_trace(arguments: dict[str, Any]) -> Trace | Problem:
    """The trace of a run (:meth:`PlaygroundState.prepare_run`'s arguments), or the problem that ended it.

    It reads and changes no state, so a worker thread may run it while the person types.
    """
    arguments = dict(arguments)
    try:
        return trace(arguments.pop("model"), **arguments)
    except (NeuroCoreError, UnitError) as exc:
        return _run_failure(exc)


def _run_failure(exc: NeuroCoreError | UnitError) -> Problem:
    messages = exc.problems if isinstance(exc, ModelError) else [str(exc)]
    message = "; ".join(p.message if isinstance(p, Problem) else p for p in messages)
    return Problem("simulation", 0, 0, f"the simulation failed: {message}")


def _spike_inputs(checked: CheckedModel, trains: tuple[SpikeTrain, ...], duration: float,
                  ) -> tuple[ModelSpec, tuple[SpikeInput, ...]]:
    spec = checked.spec
    receptors = dict(spec.receptors)
    out = []
    for train in trains:
        if train.target in receptors:
            name = train.target
        elif train.target in checked.states:
            name = f"into_{train.target}"
            receptors.setdefault(name, Receptor(f"{train.target} += w", checked.display_unit(train.target)))
        else:
            raise PlaygroundError(f"spikes go into a receptor or a state variable; `{train.target}` is neither")
        port = list(receptors).index(name) + 1
        offset = duration if train.offset is None else train.offset
        if train.kind == "times":
            out.append(SpikeInput(tuple(train.times), train.weight, port))
        elif train.kind == "poisson":
            out.append(poisson_spikes(train.rate, train.weight, onset=train.onset, offset=offset, port=port,
                                      seed=train.seed))
        else:
            out.append(regular_spikes(train.rate, train.weight, onset=train.onset, offset=offset, port=port))
    return replace(spec, receptors=receptors), tuple(out)


# -- projects holding a single neuron ------------------------------------------------------------------------
def playground_from_project(project: ProjectDoc, problems: list[Problem] | None = None) -> PlaygroundState | None:
    """The playground of a project that holds a single neuron (``None`` for any other project, or one with
    problems, which are added to ``problems``).

    The neuron's model (with the population's parameter values) becomes the
    text; current generators and spike generators aimed at it become the
    stimulus (without any, a step that makes the model fire); the project's
    ``dt`` the time step.
    """
    if len(project.populations) != 1:
        return None
    net = network_def(project, problems if problems is not None else [])
    if net is None or len(net.populations) != 1 or net.populations[0].size != 1:
        return None
    pop = net.populations[0]
    model = pop.model
    if isinstance(model, LibraryModel):
        model = model.with_parameters(**pop.parameters)
        spec = model.spec
    else:
        spec = model = replace(model, parameters={**model.parameters, **pop.parameters})
    if pop.initial:
        initial = {**spec.initial, **pop.initial}
        if isinstance(model, LibraryModel):
            model = replace(model, spec=replace(spec, initial=initial))
        else:
            model = replace(spec, initial=initial)
    system = UNIT_SYSTEMS.get(spec.unit_system, NEST_UNITS)
    currents: list[CurrentProtocol] = []
    spikes: list[SpikeTrain] = []
    for device in net.devices:
        if device.target == pop.name:
            _device_stimulus(device, system, model, currents, spikes)
    state = PlaygroundState(dt=quantity_in(net.dt, SI_UNITS)[0])
    state.from_model(model, Stimulus(tuple(currents), tuple(spikes)) if currents or spikes else None)
    return state


def population_playground(project: ProjectDoc, name: str) -> PlaygroundState:
    """The playground on one neuron of population ``name``: its model with the population's parameter and
    initial values (a random one, drawn per neuron, gives way to the model's), driven by the generators aimed
    at the population (see :func:`playground_from_project`).

    Raises
    ------
    PlaygroundError
        No such population, or it cannot be simulated (the first problem says why).
    """
    pop = next((p for p in project.populations if p.name == name), None)
    if pop is None:
        raise PlaygroundError(f"no population `{name}`")
    drives = tuple(replace(d, neurons=None) for d in project.devices if d.target == name and d.kind not in RECORDERS)
    problems: list[Problem] = []
    neuron = replace(pop, size=1, initial={k: v for k, v in pop.initial.items() if not draws(v)})
    state = playground_from_project(replace(project, populations=(neuron,), projections=(), devices=drives),
                                    problems)
    if state is None:
        raise PlaygroundError(f"cannot open `{name}` in the playground: "
                              + (problems[0].message if problems else "it is not a single neuron"))
    return state


def _device_stimulus(device: DeviceDef, system, model, currents: list, spikes: list) -> None:
    params = device.params

    def seconds(key: str, default: float | None) -> float | None:
        return quantity_in(params[key], SI_UNITS)[0] if key in params else default

    def current(raw) -> float:
        return quantity_in(raw, system)[0]

    start, stop = seconds("start", 0.0), seconds("stop", None)
    kind = device.kind
    if kind == "dc_generator":
        currents.append(Step(current(params["amplitude"]), onset=start, offset=stop) if start or stop
                        else Constant(current(params["amplitude"])))
    elif kind == "step_current_generator":
        times = [quantity_in(t, SI_UNITS)[0] for t in params.get("amplitude_times", [])]
        values = [current(v) for v in params.get("amplitude_values", [])]
        for k, (t, v) in enumerate(zip(times, values)):
            if v:
                currents.append(Step(v, onset=t, offset=times[k + 1] if k + 1 < len(times) else stop))
    elif kind == "ac_generator":
        currents.append(Sine(current(params["amplitude"]), quantity_in(params["frequency"], SI_UNITS)[0],
                             mean=current(params.get("offset", "0 pA")),
                             phase=float(np.radians(float(params.get("phase", 0.0)))), onset=start, offset=stop))
    elif kind == "noise_generator":
        currents.append(Noise(current(params.get("mean", "0 pA")), current(params.get("std", "0 pA")),
                              interval=seconds("dt", 1e-3)))
    elif kind in ("poisson_generator", "spike_generator") and device.weight is not None:
        receptors = list(model.receptors) if isinstance(model, LibraryModel) else list(model.receptors)
        receptor = device.receptor
        if isinstance(receptor, int) and 1 <= receptor <= len(receptors):
            receptor = receptors[receptor - 1]
        target = receptor if isinstance(receptor, str) else (receptors[0] if receptors else "")
        if kind == "poisson_generator":
            spikes.append(SpikeTrain(target, str(device.weight), quantity_in(params["rate"], SI_UNITS)[0],
                                     "poisson", onset=start, offset=stop))
        else:
            times = tuple(quantity_in(t, SI_UNITS)[0] for t in params.get("spike_times", []))
            spikes.append(SpikeTrain(target, str(device.weight), kind="times", times=times))
