"""What each field of the inspector and of the project settings means, its unit and an example: one table.

The inspector shows :attr:`FieldHelp.meaning` under a field and the whole entry
(:meth:`FieldHelp.text`) on F1 or What's This.  Entries are keyed by the kind of
element and the field path (``"projection.rule.p"``, ``"settings.dt"``); a
model's parameters are described by the model (the library's meaning and
range, or a project model's default), a device's parameters by
:data:`DEVICE_PARAMS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from engine.equations.units import SECOND
from engine.network.synapses import SYNAPSE_PARAMETERS
from studio.document.checks import ReadableDocument, checked_model, resolved_model


@dataclass(frozen=True)
class FieldHelp:
    """The meaning of a field (the line shown under it), its unit (``""`` for a name or a text) and an example."""

    meaning: str
    unit: str = ""
    example: str = ""

    def text(self, label: str) -> str:
        """The whole entry, for F1 and What's This (rich text)."""
        lines = [f"<b>{escape(label, quote=False)}</b>: {escape(self.meaning, quote=False)}"]
        if self.unit:
            lines.append(f"unit: {escape(self.unit, quote=False)}")
        if self.example:
            lines.append(f"example: <code>{escape(self.example, quote=False)}</code>")
        return "<br>".join(lines)


TIME, CURRENT = "a time (ms, s)", "a current (pA, nA)"
_TIMES = {"start": FieldHelp("when it starts", TIME, "10 ms"), "stop": FieldHelp("when it stops", TIME, "500 ms")}
_INTERVAL = FieldHelp("sampling interval", TIME, "0.1 ms")

DEVICE_PARAMS: dict[str, dict[str, FieldHelp]] = {
    "dc_generator": {"amplitude": FieldHelp("current injected into each target neuron", CURRENT, "376 pA"),
                     **_TIMES},
    "ac_generator": {"amplitude": FieldHelp("amplitude of the sine", CURRENT, "50 pA"),
                     "offset": FieldHelp("constant part", CURRENT, "100 pA"),
                     "frequency": FieldHelp("frequency of the sine", "Hz", "10 Hz"),
                     "phase": FieldHelp("phase in degrees", "degrees (a plain number)", "90"), **_TIMES},
    "step_current_generator": {"amplitude_times": FieldHelp("times of the steps", "times (ms, s)", "10 ms, 20 ms"),
                               "amplitude_values": FieldHelp("currents from each time on", "currents (pA, nA)",
                                                             "100 pA, 0 pA"), **_TIMES},
    "noise_generator": {"mean": FieldHelp("mean current", CURRENT, "200 pA"),
                        "std": FieldHelp("standard deviation, not negative", CURRENT, "50 pA"),
                        "dt": FieldHelp("interval between new values", TIME, "1 ms"), **_TIMES},
    "poisson_generator": {"rate": FieldHelp("rate of each independent train, not negative", "Hz", "8 kHz"),
                          **_TIMES},
    "spike_generator": {"spike_times": FieldHelp("spike times", "times (ms, s)", "10 ms, 15 ms"), **_TIMES},
    "spike_recorder": _TIMES,
    "voltmeter": {"record_from": FieldHelp("state variables to record", "names", "V_m"), "interval": _INTERVAL,
                  **_TIMES},
    "multimeter": {"record_from": FieldHelp("state variables to record", "names", "V_m, g_ex"),
                   "interval": _INTERVAL, **_TIMES},
    "population_rate": {"bin": FieldHelp("bin width", TIME, "5 ms"), **_TIMES},
    "weight_recorder": {"max_connections": FieldHelp("how many connections to record", "a count", "100")},
}
"""What each device parameter means, by device kind; which parameters a kind takes, their units and defaults are
the engine's (:func:`engine.network.devices.device_parameters`)."""

_NAME = FieldHelp("the name other elements use for it; its projections, links and recorders follow a rename "
                  "(letters, digits and `_`, not starting with a digit)", "", "E, I, pop_3")
_ARITHMETIC = {
    "arithmetic.mode": FieldHelp("how its input currents are computed: float, fixed point (a Q format) or "
                                 "stochastic computing (bitstreams of length L); (none): as the run computes",
                                 "", "sc"),
    "arithmetic.format": FieldHelp("the fixed-point format, Q<integer bits>.<fraction bits>", "", "Q8.8"),
    "arithmetic.source": FieldHelp("the random source the bitstreams compare values against: an LFSR-16, "
                                   "Sobol-16 or Halton (van der Corput) sequence", "", "lfsr16"),
    "arithmetic.length": FieldHelp("bits per stream and time step, a power of two from 64 to 4096; the error "
                                   "falls as 1/√L",
                                   "bits", "256"),
    "arithmetic.seed": FieldHelp("the source's seed, non-zero (empty: derived from its index, so that "
                                 "streams are decorrelated)", "a whole number (0x… for hex)", "0xACE1"),
}
HELP: dict[str, FieldHelp] = {
    **{f"{kind}.{field}": entry for kind in ("population", "projection") for field, entry in _ARITHMETIC.items()},
    "population.name": _NAME,
    "device.name": _NAME,
    "projection.name": _NAME,
    "population.model": FieldHelp("the neuron model: one of this project's models or of the library (type to "
                                  "search)", "", "iaf_psc_exp"),
    "population.size": FieldHelp("number of neurons (a count or a constant)", "neurons", "100, N_E"),
    "population.initial": FieldHelp("initial value (a quantity or an expression such as "
                                     "`-60 mV + 5 mV*rand()`)", "the state variable's unit", "-65 mV"),
    "device.target": FieldHelp("the population it stimulates or records", "", "E"),
    "device.neurons": FieldHelp("indices of the neurons (empty: all of them)", "indices", "0, 1, 2"),
    "device.weight": FieldHelp("weight of each spike or current", "the receptor's unit", "20 pA"),
    "device.delay": FieldHelp("delay to the targets, at least one time step", TIME, "1 ms"),
    "device.receptor": FieldHelp("receptor name or port (empty: as the model routes it)", "", "ex"),
    "projection.rule.name": FieldHelp("how pairs of neurons are chosen", "", "pairwise_bernoulli"),
    "projection.rule.p": FieldHelp("connection probability of each pair, within [0, 1]", "a plain number",
                                   "0.02"),
    "projection.rule.k": FieldHelp("connections per neuron", "a count", "100"),
    "projection.rule.n": FieldHelp("total number of connections", "a count", "1000"),
    "projection.rule.sources": FieldHelp("source indices", "indices", "0, 1, 2"),
    "projection.rule.targets": FieldHelp("target indices", "indices", "1, 2, 0"),
    "projection.weight": FieldHelp("a quantity (`20 pA`, `0.02 nA`), a constant or an expression (`we*rand()`)",
                                   "the unit the target's receptor takes (a current, a conductance or a voltage)",
                                   "20 pA, we, we*rand()"),
    "projection.delay": FieldHelp("synaptic delay, at least one time step", TIME, "1.5 ms"),
    "projection.synapse": FieldHelp("how a connection's weight behaves (static, shared, learning with STDP or "
                                    "triplet STDP, or depressing and facilitating with Tsodyks–Markram short-term "
                                    "plasticity)", "", "static_synapse"),
    "projection.receptor": FieldHelp("receptor name or port number (empty: as the model routes the weight's "
                                     "sign)", "", "ex, 1"),
    "projection.on_pre": FieldHelp("what a spike does at the target, for a model without receptors", "",
                                   "ge += w"),
    "settings.dt": FieldHelp("simulation time step (empty: 0.1 ms); delays are whole steps of it", TIME,
                             "0.1 ms"),
    "settings.seed": FieldHelp("seed of the random numbers (connections, initial values, noise); the same seed "
                               "gives the same run (empty: 0)", "a whole number ≥ 0", "42"),
    "settings.duration": FieldHelp("simulated time a Run lasts (the run toolbar's duration)", "a time, or "
                                   "`until stopped`", "1 s"),
    "settings.description": FieldHelp("what the project is about, for whoever opens it", "", "Brunel (2000), "
                                      "network A"),
    "settings.constants": FieldHelp("named values that fields and models can use by name; each a quantity or "
                                    "an expression over other constants", "any (each value carries its own)",
                                    "we = 0.5 mV, g = 5, wi = -g*we"),
}


def field_help(doc: ReadableDocument, name: str, kind: str, field: str) -> FieldHelp:
    """The help of ``field`` of element ``name``, a ``kind`` (``"population"``, ``"device"``, ``"projection"``)."""
    head, _, key = field.partition(".")
    if kind == "population" and head in ("parameters", "initial"):
        return _model_help(doc, doc.nodes[name].data.model, head, key)
    if kind == "projection" and head == "synapse_params":
        return _synapse_help(doc.edges[name].data.synapse or "", key)
    if kind == "device" and head == "params":
        return DEVICE_PARAMS.get(doc.nodes[name].data.kind, {}).get(key, FieldHelp(f"parameter `{key}` of the device"))
    return HELP.get(f"{kind}.{field}", FieldHelp(field))


def _synapse_help(synapse: str, key: str) -> FieldHelp:
    """The help of parameter ``key`` of a synapse model (NEST's name, meaning and default)."""
    spec = SYNAPSE_PARAMETERS.get(synapse, {}).get(key)
    if spec is None:
        return FieldHelp(f"not a parameter of {synapse}")
    unit = TIME if spec.dim is SECOND else ("the weight's unit" if spec.dim is None else "a plain number")
    example = {"U": "u = U"}.get(spec.default or "", spec.default or "2 mV")
    return FieldHelp(f"{spec.doc} ({synapse}'s `{key}`)", unit, example)


def _model_help(doc: ReadableDocument, model: str, section: str, key: str) -> FieldHelp:
    checked = checked_model(doc, model)
    if section == "initial":
        unit = checked.display_unit(key) if checked is not None and key in checked.states else ""
        return FieldHelp(HELP["population.initial"].meaning, unit, f"-65 {unit}".strip() if unit else "0")
    resolved = resolved_model(doc, model)
    unit = checked.display_unit(key) if checked is not None and key in checked.parameters else ""
    lib = None if resolved is None else resolved[1]
    info = next((p for p in lib.params if p.name == key), None) if lib is not None else None
    if info is not None:
        span = f"  [{info.low} … {info.high}]" if info.low or info.high else ""
        return FieldHelp(f"{info.meaning}{span}", unit, info.default)
    default = resolved[0].parameters.get(key, "") if resolved is not None else ""
    return FieldHelp(f"model default {default}" + (f" ({unit})" if unit and unit not in str(default) else ""),
                     unit, str(default))
