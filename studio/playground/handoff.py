"""Handing a playground model on: into the project's model list, and to hardware as Verilog.

:func:`add_model_command` makes the undoable edit that puts a model into a
document's ``models`` setting (a library model with changed parameters stays
a reference to the library; an edited model is written out inline).
:func:`emit_verilog` gives the neuron datapath of a model in a Q format (the
module the network core runs, :mod:`hdl.datapath`) together with the
fixed-point trace it is bit-exact with, or says which operation stops the
lowering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Mapping

from engine.analysis.common import Model, model_spec
from engine.analysis.traces import Trace, trace
from engine.equations.model import ModelSpec
from engine.errors import NeuroCoreError
from engine.fixedpoint import QFormat
from engine.models import LIBRARY
from engine.models.base import LibraryModel
from engine.run.neuron import prepare
from engine.program import compile_program
from hdl.datapath import LoweringError as DatapathError
from hdl.datapath import NeuronVerilog, neuron_verilog
from studio.document.commands import SetSetting
from studio.document.document import Document
from studio.project.project_doc import InlineModel, LibraryRef


def model_entry(model: Model, parameters: Mapping[str, str] | None = None) -> LibraryRef | InlineModel:
    """The project entry of ``model`` with ``parameters``: a library reference while its text is the library's
    (only the values that differ from the library's are kept), else the whole model inline."""
    parameters = dict(parameters or {})
    if isinstance(model, LibraryModel) and model.name in LIBRARY:
        library = LIBRARY[model.name]
        if _same_text(model.spec, library.spec):
            values = {**model.spec.parameters, **parameters}
            changed = {k: v for k, v in values.items() if library.spec.parameters.get(k) != v}
            return LibraryRef(library.name, changed)
    spec = model_spec(model, parameters)
    return InlineModel(spec)


def _same_text(a: ModelSpec, b: ModelSpec) -> bool:
    """Whether two specs differ at most in parameter values and in blank lines and indentation."""
    return _normal(a) == _normal(b)


def _normal(spec: ModelSpec) -> ModelSpec:
    texts = {f.name: "\n".join(line.strip() for line in getattr(spec, f.name).splitlines() if line.strip())
             for f in fields(spec) if isinstance(getattr(spec, f.name), str)}
    return replace(spec, parameters={}, **texts)


def model_name(doc: Document, base: str) -> str:
    """``base`` made a valid name that no project model and no library model uses yet."""
    stem = re.sub(r"\W", "_", base.strip()) or "model"
    if stem[0].isdigit():
        stem = f"m_{stem}"
    taken = set(doc.settings["models"]) | set(LIBRARY)
    name, k = stem, 1
    while name in taken:
        k += 1
        name = f"{stem}_{k}"
    return name


def add_model_command(doc: Document, model: Model, parameters: Mapping[str, str] | None = None,
                      base: str = "neuron") -> tuple[str, SetSetting | None]:
    """The name under which ``model`` is (or will be) in ``doc``'s models, and the command that adds it.

    The command is ``None`` when the project already holds the same entry under
    some name (that name is returned).
    """
    entry = model_entry(model, parameters)
    models = doc.settings["models"]
    for name, existing in models.items():
        if existing == entry:
            return name, None
    name = model_name(doc, base)
    command = SetSetting(doc, "models", {**models, name: entry})
    command.text = f"Add model {name}"
    return name, command


class LoweringError(NeuroCoreError):
    """The model cannot be lowered to a datapath; ``statement`` and ``expression`` say where."""

    def __init__(self, message: str, statement: str, expression: str):
        self.statement, self.expression = statement, expression
        super().__init__(f"cannot lower {statement}: {message}" + (f"\n    in `{expression}`" if expression else ""))


@dataclass(frozen=True)
class VerilogPreview:
    """An emitted neuron module and the fixed-point trace of the same IR, format and protocol."""

    verilog: NeuronVerilog
    fixed: Trace


def emit_verilog(model: Model, fmt: QFormat, *, parameters: Mapping[str, str] | None = None, dt: float = 1e-4,
                 module: str | None = None, **protocol) -> VerilogPreview:
    """The neuron datapath of ``model`` in ``fmt`` and its fixed-point trace under ``protocol``.

    ``protocol`` takes the keyword arguments of :func:`engine.analysis.traces.trace`
    (``duration``, ``stimuli``, ``spikes``, ...).  The module computes for each
    neuron it is given what that trace's fixed-point VM does in a step.

    Raises
    ------
    LoweringError
        The datapath has no rule for an operation; the error names the instruction and its operands.
    """
    _, _, ir = prepare(model, dt, dict(parameters or {}))
    try:
        verilog = neuron_verilog(compile_program(ir, fmt), module=module or f"nc_{ir.name}", dt=ir.dt)
    except DatapathError as exc:
        where = "module" if exc.instruction is None else f"instruction {exc.instruction}"
        raise LoweringError(str(exc), where, exc.text or "") from exc
    fixed = trace(model, dt=dt, overrides=parameters, fixed=fmt, **protocol)
    return VerilogPreview(verilog, fixed)


