"""``ncstudio export PROJECT --to brian2``: a Brian2 script of the project's network.

Our equations are Brian2's (:mod:`studio.interop.brian2_text` rewrites the conditional
expressions Brian2 lacks), so every model is written out with its equations, a library model
included.  Projections are ``Synapses`` whose ``on_pre`` is the receptor's statement with the
weight in place of ``w`` (NEST's sign routing applied first), drawn by the same rules
(``connect(p=...)``, or index arrays for the fixed-degree rules); devices are
``PoissonInput``, ``SpikeGeneratorGroup``, ``run_regularly`` currents, ``SpikeMonitor``,
``StateMonitor`` and ``PopulationRateMonitor``.  Run it with Brian2 installed::

    python cuba_brian2.py --duration 1 --out run.npz

It saves what the recorders saw in the layout of the PyNEST export (spike times in ms and
senders; sampled variables as events) and prints each recorded population's mean rate.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from engine.equations.rkf45_control import is_rkf45
from engine.equations.units import SECOND, SI_UNITS, as_quantity
from engine.models.base import LibraryModel, ReceptorError, route_input
from engine.network.definitions import DeviceDef, NetworkDef, PopulationDef, ProjectionDef
from engine.network.devices import device_parameters
from engine.network.synapses import SYNAPSE_PARAMETERS
from studio.interop.brian2_text import equations, expression, quantity_source, statements
from studio.interop.export_source import (ExportRefused, about, checked_population, export_source, model_spec,
                                          write_script)
from studio.interop.script_export import literal
from studio.project.project_doc import ProjectDoc

_UNSUPPORTED = {
    "noise_generator": "a Gaussian current redrawn every interval is not exported to Brian2",
    "weight_recorder": "weight recording is not exported",
}
_HELPERS = '''

def fixed_degree(rng, n_fixed, n_other, k, multapses, avoid_self):
    """NEST's fixed_indegree/fixed_outdegree draw: for each of n_fixed neurons, k partners among n_other."""
    fixed = np.repeat(np.arange(n_fixed), k)
    if multapses:
        partner = rng.integers(0, n_other - avoid_self, size=(n_fixed, k))
        if avoid_self:
            partner += partner >= np.arange(n_fixed)[:, None]
        return fixed, partner.reshape(-1)
    rows = []
    for i in range(n_fixed):
        choice = rng.choice(n_other - avoid_self, size=k, replace=False)
        rows.append(choice + (choice >= i) if avoid_self else choice)
    return fixed, np.concatenate(rows) if rows else np.zeros(0, int)


def fixed_total(rng, n_src, n_tgt, n, multapses, avoid_self):
    """NEST's fixed_total_number draw: n (source, target) pairs."""
    pairs = np.zeros((0, 2), int)
    while len(pairs) < n:
        more = np.column_stack([rng.integers(0, n_src, n), rng.integers(0, n_tgt, n)])
        if avoid_self:
            more = more[more[:, 0] != more[:, 1]]
        pairs = np.concatenate([pairs, more])
        if not multapses:
            pairs = np.unique(pairs, axis=0)
            pairs = pairs[rng.permutation(len(pairs))]
    return pairs[:n, 0], pairs[:n, 1]


def events(monitor, neurons, variables=()):
    """A monitor's record as events sorted by time and neuron: times (ms), senders and sampled variables."""
    if isinstance(monitor, b2.SpikeMonitor):
        times, senders, values = np.asarray(monitor.t / ms), np.asarray(monitor.i), {}
    else:
        steps = len(monitor.t)
        times = np.repeat(np.asarray(monitor.t / ms), len(neurons))
        senders = np.tile(np.asarray(neurons), steps)
        values = {v: np.asarray(getattr(monitor, v)).T.reshape(-1) for v in variables}
    keep = np.isin(senders, neurons)
    order = np.lexsort((senders[keep], times[keep]))
    out = {"times": times[keep][order], "senders": senders[keep][order]}
    out.update({v: x[keep][order] for v, x in values.items()})
    return out
'''

_MAIN = '''

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=DURATION, help="simulated seconds (default %(default)s)")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of Brian2 and of the connection draws")
    parser.add_argument("--out", default=Path(__file__).with_suffix(".npz").name, help="recordings (.npz)")
    args = parser.parse_args(argv)
    b2.prefs.logging.console_log_level = "ERROR"
    net, recorders = build(args.seed)
    net.run(args.duration * second)
    data, rates = {}, {}
    for name, (monitor, neurons, variables) in recorders.items():
        if isinstance(monitor, b2.PopulationRateMonitor):
            data[f"{name}.t"] = np.asarray(monitor.t / ms)
            data[f"{name}.rate"] = np.asarray(monitor.rate / Hz)
            continue
        for key, value in events(monitor, neurons, variables).items():
            data[f"{name}.{key}"] = value
        if isinstance(monitor, b2.SpikeMonitor):
            rates[name] = len(data[f"{name}.times"]) / (len(neurons) * args.duration)
    np.savez(args.out, duration_s=args.duration, **data)
    for name, rate in rates.items():
        print(f"{name}: {rate:.3f} Hz")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
'''


class _Writer:
    """Collects the lines of ``build`` and the unit names they use."""

    def __init__(self, net: NetworkDef):
        self.net = net
        self.units: set[str] = {"ms", "Hz", "second"}
        self.lines: list[str] = []
        self.objects: list[str] = []
        self.pops = {p.name: p for p in net.populations}
        self.sizes = {p.name: p.size for p in net.populations}
        self.equations: dict[str, str] = {}

    def q(self, value) -> str:
        return quantity_source(value, self.units)

    def add(self, line: str = "") -> None:
        self.lines.append(line)

    def population(self, pop: PopulationDef) -> None:
        spec = model_spec(pop)
        checked = checked_population(pop)
        var = _var(pop.name, "group")
        options = [str(pop.size), f"{var}_equations"]
        if spec.threshold:
            options.append(f"threshold={expression(spec.threshold)!r}")
        if spec.reset:
            options.append(f"reset={statements(spec.reset)!r}")
        if spec.refractory:
            # The engine (as NEST) counts the refractory period in whole steps after the step of the spike;
            # Brian2 ends it one step sooner.
            refractory = spec.refractory
            if _is_quantity(refractory):
                options.append(f"refractory={self.q(refractory)} + DT")
            elif checked.refractory[0] == "condition":
                options.append(f"refractory={expression(refractory)!r}")
            else:
                options.append(f"refractory={f'({expression(refractory)}) + dt'!r}")
        if spec.method:
            # Brian2 names GSL's adaptive Runge-Kutta-Fehlberg (our rkf45, docs/integration.md) gsl_rkf45.
            options.append(f"method={'gsl_rkf45' if is_rkf45(spec.method) else spec.method!r}")
        if spec.substeps > 1:
            options.append(f"dt=DT/{spec.substeps}")
        options.append(f"name={pop.name!r}")
        text = equations(spec.equations)
        if text not in self.equations:
            self.equations[text] = f"{var}_equations"
            self.add(f'{var}_equations = b2.Equations("""')
            self.lines.extend(text.splitlines())
            self.add('""")')
        options[1] = self.equations[text]
        self.add(f"{var} = b2.NeuronGroup({', '.join(options)})")
        for name, param in checked.parameters.items():
            if name in spec.parameters:
                value = bool(param.value) if param.var_type == "boolean" else self._value(spec.parameters[name])
                self.add(f"{var}.{name} = {value}")
        for name, raw in {**spec.initial, **pop.parameters, **pop.initial}.items():
            self.add(f"{var}.{name} = {self._value(raw)}")
        if spec.run_regularly:
            self.add(f"{var}.run_regularly({statements(spec.run_regularly)!r}, when='start')")
        self.objects.append(var)

    def _value(self, raw) -> str:
        if isinstance(raw, bool):
            return repr(raw)
        if hasattr(raw, "text"):  # a per-neuron expression, evaluated by Brian2 with its constants
            constants = {k: self.q(v) for k, v in raw.constants.items()}
            return repr(expression(raw.text, constants))
        if _is_quantity(raw):
            return self.q(raw)
        if isinstance(raw, str):
            return repr(expression(raw))
        return literal(list(raw), set())

    def statement(self, pop: PopulationDef, weight, receptor, on_pre: str | None, where: str) -> str:
        """The ``on_pre`` statement an input of ``weight`` runs in the target (the weight written in)."""
        spec = model_spec(pop)
        q = as_quantity(weight)
        if on_pre:
            return statements(on_pre, {"w": self.q(q)})
        lib = pop.model if isinstance(pop.model, LibraryModel) else None
        try:
            chosen, delivered = route_input(list(spec.receptors), q.value, receptor, library=lib,
                                            owner=f"`{pop.name}`")
        except ReceptorError as exc:
            raise ExportRefused(f"{where}: {exc}") from None
        sign = "" if delivered == q.value or q.value == 0 else "-"
        return statements(spec.receptors[chosen].on_pre, {"w": f"({sign}{self.q(q)})"})

    def projection(self, p: ProjectionDef) -> None:
        where = f"projection `{p.name}`"
        if p.synapse in ("stdp_synapse", *SYNAPSE_PARAMETERS):
            raise ExportRefused(f"{where}: {p.synapse} is not exported to Brian2 yet")
        on_pre = self.statement(self.pops[p.target], p.weight, p.receptor, p.on_pre, where)
        var = _var(p.name, "syn")
        source, target = _var(p.source, "group"), _var(p.target, "group")
        self.add(f"{var} = b2.Synapses({source}, {target}, on_pre={on_pre!r}, "
                 f"delay={self.q(p.delay)}, name={p.name!r})")
        rule = p.rule
        same = p.source == p.target
        avoid = same and not rule.allow_autapses
        n_src, n_tgt = self.sizes[p.source], self.sizes[p.target]
        condition = ", condition='i != j'" if avoid else ""
        if rule.name == "all_to_all":
            self.add(f"{var}.connect({condition.removeprefix(', ')})")
        elif rule.name == "one_to_one":
            self.add(f"{var}.connect(j='i')")
        elif rule.name == "pairwise_bernoulli":
            self.add(f"{var}.connect(p={rule.p!r}{condition})")
        elif rule.name == "fixed_indegree":
            self.add(f"post, pre = fixed_degree(rng, {n_tgt}, {n_src}, {rule.k}, {rule.allow_multapses}, {int(avoid)})")
            self.add(f"{var}.connect(i=pre, j=post)")
        elif rule.name == "fixed_outdegree":
            self.add(f"pre, post = fixed_degree(rng, {n_src}, {n_tgt}, {rule.k}, {rule.allow_multapses}, {int(avoid)})")
            self.add(f"{var}.connect(i=pre, j=post)")
        elif rule.name == "fixed_total_number":
            self.add(f"pre, post = fixed_total(rng, {n_src}, {n_tgt}, {rule.n}, {rule.allow_multapses}, {avoid})")
            self.add(f"{var}.connect(i=pre, j=post)")
        else:
            self.add(f"{var}.connect(i={literal(list(rule.sources), set())}, j={literal(list(rule.targets), set())})")
        self.objects.append(var)

    def _group(self, d: DeviceDef, where: str) -> str:
        """The target group, or the slice of it the device's neurons form."""
        var = _var(d.target, "group")
        if d.neurons is None:
            return var
        first, last = min(d.neurons), max(d.neurons)
        if sorted(d.neurons) != list(range(first, last + 1)):
            raise ExportRefused(f"{where}: {d.kind} on scattered neurons is not exported to Brian2 "
                                "(only a contiguous range)")
        return f"{var}[{first}:{last + 1}]"

    def _window(self, d: DeviceDef, shift: str) -> str:
        start, stop = d.params.get("start"), d.params.get("stop")
        terms = []
        if start is not None and as_quantity(start).value != 0:
            terms.append(f"t - {shift} >= {self.q(start)}")
        if stop is not None and as_quantity(stop).value != float("inf"):
            terms.append(f"t - {shift} < {self.q(stop)}")
        return f"int({' and '.join(terms)})*" if terms else ""

    def device(self, d: DeviceDef, currents: dict[str, list[str]], recorders: list[str]) -> None:
        where = f"device `{d.name}`"
        if d.kind in _UNSUPPORTED:
            raise ExportRefused(f"{where}: {d.kind}: {_UNSUPPORTED[d.kind]}")
        pop = self.pops[d.target]
        var = _var(d.name, "dev")
        group = self._group(d, where)
        if d.kind == "poisson_generator":
            if self._window(d, "0*ms"):
                raise ExportRefused(f"{where}: a poisson_generator with start or stop is not exported to Brian2 "
                                    "(PoissonInput runs throughout)")
            on_pre = self.statement(pop, d.weight, d.receptor, None, where)
            target, added = _increment(on_pre, where)
            rate = as_quantity(d.params["rate"]).value * 1e3
            step = as_quantity(self.net.dt).value * 1e-3
            trials = max(1, int(-(-rate * step // 0.01)))
            self.add(f"{var} = b2.PoissonInput({group}, {target!r}, N={trials}, rate={rate / trials!r}*Hz, "
                     f"weight={added!r})")
        elif d.kind == "spike_generator":
            on_pre = self.statement(pop, d.weight, d.receptor, None, where)
            times = [self.q(t) for t in d.params.get("spike_times", ())]
            self.add(f"{var}_source = b2.SpikeGeneratorGroup(1, [0]*{len(times)}, [{', '.join(times)}], "
                     f"name={d.name + '_source'!r})")
            self.add(f"{var} = b2.Synapses({var}_source, {group}, on_pre={on_pre!r}, delay={self.q(d.delay)}, "
                     f"name={d.name!r})")
            self.add(f"{var}.connect()")
            self.objects.append(f"{var}_source")
        elif d.kind in ("dc_generator", "ac_generator", "step_current_generator"):
            current = model_spec(pop).current_input
            if current is None:
                raise ExportRefused(f"{where}: `{d.target}` has no current input")
            if d.neurons is not None:
                raise ExportRefused(f"{where}: a current on some neurons of a population is not exported to Brian2")
            currents.setdefault(d.target, []).append(self._current(d, var))
            return
        else:
            self._recorder(d, var, group, recorders)
        self.objects.append(var)

    def _current(self, d: DeviceDef, var: str) -> str:
        shift = f"{self.q(d.delay)} + {self.q(self.net.dt)}"
        window = self._window(d, f"({shift})")
        p = d.params
        if d.kind == "dc_generator":
            return f"{window}{self.q(p['amplitude'])}"
        if d.kind == "ac_generator":
            phase = float(as_quantity(p.get("phase", 0)).value)
            return (f"{window}({self.q(p.get('offset', '0 pA'))} + {self.q(p['amplitude'])}*sin(2*pi*"
                    f"{self.q(p['frequency'])}*(t - ({shift})) + {phase!r}*pi/180))")
        dt = as_quantity(self.net.dt).value
        steps = [int(round(as_quantity(t).value / dt)) for t in p.get("amplitude_times", ())]
        values = [as_quantity(v).in_units(SI_UNITS) for v in p.get("amplitude_values", ())]
        table = [0.0] * ((max(steps) if steps else 0) + 1)
        for step, value in zip(steps, values):
            table[step:] = [value] * (len(table) - step)
        self.units.add("amp")
        self.add(f"{var} = b2.TimedArray(np.array({literal(table, set())})*amp, dt=DT, name={d.name!r})")
        self.add(f"{_var(d.target, 'group')}.namespace[{var!r}] = {var}")
        return f"{window}{var}(t - ({shift}))"

    def _recorder(self, d: DeviceDef, var: str, group: str, recorders: list[str]) -> None:
        pop_var = _var(d.target, "group")
        neurons = list(d.neurons) if d.neurons is not None else None
        shown = f"np.arange({self.sizes[d.target]})" if neurons is None else literal(neurons, set())
        if d.kind == "spike_recorder":
            self.add(f"{var} = b2.SpikeMonitor({pop_var}, name={d.name!r})")
            recorders.append(f"{d.name!r}: ({var}, {shown}, ())")
        elif d.kind == "population_rate":
            self.add(f"{var} = b2.PopulationRateMonitor({group}, name={d.name!r})")
            recorders.append(f"{d.name!r}: ({var}, None, ())")
        else:
            default = device_parameters(d.kind)["record_from"].default
            names = tuple(d.params.get("record_from", tuple(default.split(", ")) if default else ()))
            interval = d.params.get("interval", "1 ms")
            record = "True" if neurons is None else literal(neurons, set())
            self.add(f"{var} = b2.StateMonitor({pop_var}, {list(names)!r}, record={record}, "
                     f"dt={self.q(interval)}, when='end', name={d.name!r})")
            recorders.append(f"{d.name!r}: ({var}, {shown}, {tuple(names)!r})")


def _is_quantity(raw) -> bool:
    try:
        as_quantity(raw)
    except (ValueError, TypeError):
        return False
    return True


def _var(name: str, kind: str) -> str:
    """A Python name for an element (prefixed, so that no unit or model variable is shadowed)."""
    return f"{kind}_" + "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def _increment(statement: str, where: str) -> tuple[str, str]:
    """(variable, added expression) of a statement ``x += ...``."""
    target, op, added = (part.strip() for part in statement.partition("+="))
    if not op or "\n" in statement:
        raise ExportRefused(f"{where}: Brian2's PoissonInput adds to one variable (`x += w`), not `{statement}`")
    return target, added


def brian2_script(net: NetworkDef, title: str, description: str = "", duration: float = 1.0) -> str:
    """The text of the Brian2 script of a network."""
    w = _Writer(net)
    for pop in net.populations:
        w.population(pop)
    for p in net.projections:
        w.projection(p)
    currents: dict[str, list[str]] = {}
    recorders: list[str] = []
    for d in net.devices:
        w.device(d, currents, recorders)
    for target, terms in currents.items():
        current = model_spec(w.pops[target]).current_input
        group = _var(target, "group")
        w.add(f"{group}.run_regularly({current + ' = ' + ' + '.join(terms)!r}, when='start')")
    dt = as_quantity(net.dt)
    if dt.dim is not SECOND:
        raise ExportRefused(f"dt `{net.dt}` is not a time")
    body = textwrap.indent("\n".join(w.lines), "    ")
    build = (f"\n\ndef build(seed=SEED):\n"
             f'    """The network and its recorders: name -> (monitor, neurons, variables)."""\n'
             f"    b2.start_scope()\n    b2.defaultclock.dt = DT\n    b2.seed(seed)\n"
             f"    rng = np.random.default_rng(seed)\n{body}\n"
             f"    recorders = {{{', '.join(recorders)}}}\n"
             f"    return b2.Network({', '.join(w.objects)}), recorders\n")
    units = sorted(w.units | {"pi", "sin"})
    head = [f'"""The NeuroCore Studio project `{title}` as a Brian2 script.{about(description)}',
            "",
            "Usage: python SCRIPT [--duration S] [--seed S] [--out FILE.npz]",
            '"""',
            "",
            "import argparse",
            "from pathlib import Path",
            "",
            "import brian2 as b2",
            "import numpy as np",
            f"from brian2 import {', '.join(units)}",
            "",
            f"DT = {quantity_source(dt, set())}",
            f"SEED = {int(net.seed)!r}",
            f"DURATION = {float(duration)!r}  # s, the default of --duration"]
    return "\n".join(head) + _HELPERS + build + _MAIN


def export_brian2(project: str | os.PathLike | ProjectDoc, out_path: str | os.PathLike) -> Path:
    """Write the project's network as a Brian2 script at ``out_path``.

    Raises
    ------
    studio.interop.export_source.ExportRefused
        A synapse model, input or device not exported to Brian2, named with the reason.
    studio.project.project_file.ProjectFileError
        The project has problems.
    """
    source = export_source(project)
    return write_script(out_path, brian2_script(source.net, source.title, source.description))
