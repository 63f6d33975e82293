"""The stimulus panel of the playground: a current protocol, an input spike train, and the run's length.

Amplitudes are in the model's current unit; times in ms; rates and
frequencies in Hz.  Every change makes a new
:class:`~studio.playground.playground_state.Stimulus` for the state at once.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QVBoxLayout, QWidget

from engine.analysis.stimulus import Constant, Noise, PulseTrain, Ramp, Sine, Step
from engine.equations.units import UnitError, format_dimension, parse_quantity
from studio.playground.playground_events import ModelChanged, StimulusChanged
from studio.playground.playground_state import PlaygroundError, PlaygroundState, SpikeTrain, Stimulus
from views.playground.analysis_panel import spin
from views.quantity_field import QuantityField

PROTOCOLS = ("none", "constant", "step", "ramp", "sine", "pulse train", "noise")
# The fields each protocol shows.
_FIELDS = {
    "none": (), "constant": ("amplitude",), "step": ("amplitude", "onset", "offset"),
    "ramp": ("amplitude", "onset", "offset"), "sine": ("amplitude", "mean", "frequency", "onset", "offset"),
    "pulse train": ("amplitude", "onset", "width", "period"), "noise": ("mean", "std"),
}


def protocol_kind(protocol) -> str:
    """The name in :data:`PROTOCOLS` of a current protocol."""
    return {Constant: "constant", Step: "step", Ramp: "ramp", Sine: "sine", PulseTrain: "pulse train",
            Noise: "noise"}.get(type(protocol), "none")


class StimulusPanel(QWidget):
    """Edits ``state.stimulus`` (one current protocol, one spike train) and the run's duration and dt."""

    def __init__(self, state: PlaygroundState, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self._filling = False
        self.protocol = QComboBox()
        self.protocol.addItems(PROTOCOLS)
        self.boxes = {
            "amplitude": spin(0.0, decimals=3), "mean": spin(0.0, decimals=3), "std": spin(0.0, decimals=3),
            "onset": spin(0.0, decimals=1, minimum=0.0, suffix="ms", step=10),
            "offset": spin(0.0, decimals=1, minimum=0.0, suffix="ms", step=10),
            "frequency": spin(10.0, decimals=2, minimum=0.0, suffix="Hz"),
            "width": spin(5.0, decimals=2, minimum=0.01, suffix="ms"),
            "period": spin(50.0, decimals=2, minimum=0.01, suffix="ms", step=10),
        }
        current = QFormLayout()
        current.addRow("protocol", self.protocol)
        for name, box in self.boxes.items():
            current.addRow(name, box)
            box.valueChanged.connect(self._changed)
        self.protocol.currentTextChanged.connect(self._changed)
        self.target = QComboBox()
        self.kind = QComboBox()
        self.kind.addItems(("regular", "poisson"))
        self.rate = spin(50.0, decimals=1, minimum=0.1, suffix="Hz", step=10)
        self.weight = QuantityField("1 nS", self._weight_problem, placeholder="e.g. 2 nS or 0.5 mV")
        spikes = QFormLayout()
        spikes.addRow("into", self.target)
        spikes.addRow("train", self.kind)
        spikes.addRow("rate", self.rate)
        spikes.addRow("weight", self.weight)
        self.target.currentTextChanged.connect(self._target_changed)
        for signal in (self.kind.currentTextChanged, self.rate.valueChanged, self.weight.committed):
            signal.connect(self._changed)
        self.duration = spin(state.duration * 1e3, decimals=1, minimum=1.0, maximum=1e6, suffix="ms", step=100)
        self.dt = spin(state.dt * 1e3, decimals=4, minimum=1e-4, maximum=10.0, suffix="ms", step=0.01)
        run = QFormLayout()
        run.addRow("duration", self.duration)
        run.addRow("dt", self.dt)
        self.duration.valueChanged.connect(self._run_changed)
        self.dt.valueChanged.connect(self._run_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for title, form in (("Injected current", current), ("Input spikes", spikes), ("Run", run)):
            group = QGroupBox(title)
            group.setLayout(form)
            layout.addWidget(group)
        layout.addStretch(1)
        self.forms = {"current": current}
        self.fill()
        state.events.connect(self._on_state)
        self.destroyed.connect(lambda *_, cb=self._on_state, events=state.events: events.disconnect(cb))

    # -- state -> panel --------------------------------------------------------------------------------
    def fill(self) -> None:
        """Show the state's stimulus (its first current protocol and first spike train)."""
        self._filling = True
        try:
            state = self.state
            unit = state.unit(state.spec.current_input) if state.spec is not None and state.spec.current_input \
                else ""
            for name in ("amplitude", "mean", "std"):
                self.boxes[name].setSuffix(f" {unit}" if unit and unit != "1" else "")
            first = state.stimulus.currents[0] if state.stimulus.currents else None
            self.protocol.setCurrentText(protocol_kind(first))
            if first is not None:
                for name, box in self.boxes.items():
                    value = getattr(first, name, None)
                    if value is None:
                        continue
                    box.setValue(value * 1e3 if name in ("onset", "offset", "width", "period") else value)
            self._show_fields()
            targets = ["none"] + (list(state.spec.receptors) if state.spec is not None else []) + \
                (list(state.structure.states) if state.structure is not None else [])
            self.target.clear()
            self.target.addItems(targets)
            train = state.stimulus.spikes[0] if state.stimulus.spikes else None
            if train is not None:
                self.target.setCurrentText(train.target)
                self.kind.setCurrentText(train.kind if train.kind in ("regular", "poisson") else "regular")
                self.rate.setValue(train.rate)
                self.weight.set_value(train.weight)
            self.duration.setValue(state.duration * 1e3)
            self.dt.setValue(state.dt * 1e3)
        finally:
            self._filling = False

    def _show_fields(self) -> None:
        shown = _FIELDS[self.protocol.currentText()]
        form = self.forms["current"]
        for name, box in self.boxes.items():
            form.setRowVisible(box, name in shown)

    def _on_state(self, event) -> None:
        if isinstance(event, (ModelChanged, StimulusChanged)):
            self.fill()

    # -- panel -> state ---------------------------------------------------------------------------------
    def stimulus(self) -> Stimulus:
        """The stimulus the panel shows."""
        kind = self.protocol.currentText()
        v = {name: box.value() for name, box in self.boxes.items()}
        for name in ("onset", "offset", "width", "period"):
            v[name] *= 1e-3
        offset = v["offset"] if v["offset"] > v["onset"] else None
        protocol = {
            "constant": lambda: Constant(v["amplitude"]),
            "step": lambda: Step(v["amplitude"], onset=v["onset"], offset=offset),
            "ramp": lambda: Ramp(v["amplitude"], onset=v["onset"], offset=offset or self.state.duration),
            "sine": lambda: Sine(v["amplitude"], v["frequency"], mean=v["mean"], onset=v["onset"], offset=offset),
            "pulse train": lambda: PulseTrain(v["amplitude"], min(v["width"], v["period"]), v["period"],
                                              onset=v["onset"]),
            "noise": lambda: Noise(v["mean"], v["std"]),
        }.get(kind)
        currents = (protocol(),) if protocol is not None else ()
        spikes = ()
        target = self.target.currentText()
        if target and target != "none" and self.weight.problem is None:
            spikes = (SpikeTrain(target, self.weight.text.strip(), self.rate.value(), self.kind.currentText()),)
        return Stimulus(currents, spikes)

    def _changed(self, *_) -> None:
        if self._filling:
            return
        self._show_fields()
        self.state.set_stimulus(self.stimulus())

    def _target_changed(self, target: str) -> None:
        """Offer a weight of one unit of the new target when the old weight does not fit it."""
        checked = self.state.structure
        if not self._filling and checked is not None and self._weight_problem(self.weight.text) is not None:
            dim = checked.receptor_dims.get(target) or (checked.states[target].dim if target in checked.states
                                                        else None)
            if dim is not None:
                unit = checked.system.unit_name(dim)
                self.weight.set_value("1" if unit == "1" else f"1 {unit}")
        self._changed()

    def _run_changed(self, *_) -> None:
        if self._filling:
            return
        try:
            self.state.set_run(self.duration.value() * 1e-3, self.dt.value() * 1e-3)
        except PlaygroundError:
            self.fill()

    def _weight_problem(self, text: str) -> str | None:
        state, target = self.state, self.target.currentText()
        try:
            _, dim = parse_quantity(text)
        except UnitError as exc:
            return str(exc)
        checked = state.structure
        if checked is None or target in ("", "none"):
            return None
        want = checked.receptor_dims.get(target) or (checked.states[target].dim if target in checked.states else None)
        if want is not None and dim is not want:
            return f"`{text}` has units {format_dimension(dim)}, but spikes into `{target}` need " \
                   f"{format_dimension(want)}"
        return None
