"""Small pieces every analysis shares: checking a model, its units, cancellation."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Callable, Mapping

from engine.errors import NeuroCoreError
from engine.equations.model import CheckedModel, ModelSpec, check_model
from engine.equations.units import UnitError, quantity_in
from engine.models.base import LibraryModel

Model = LibraryModel | ModelSpec
Progress = Callable[[float], None]


class AnalysisError(NeuroCoreError):
    """The options of an analysis are invalid (a protocol, a sweep, a name the model lacks)."""


class Cancelled(NeuroCoreError):
    """An analysis stopped because its cancel event was set."""


def model_spec(model: Model, overrides: Mapping[str, str] | None = None) -> ModelSpec:
    """The :class:`ModelSpec` of ``model`` with parameter ``overrides`` (quantity strings)."""
    spec = model.spec if isinstance(model, LibraryModel) else model
    return replace(spec, parameters={**spec.parameters, **overrides}) if overrides else spec


def checked(model: Model, overrides: Mapping[str, str] | None = None) -> CheckedModel:
    """``model`` with ``overrides``, checked (raises :class:`ModelError` listing every problem)."""
    return check_model(model_spec(model, overrides))


def current_input(model: CheckedModel) -> str:
    """The name of the model's current-input parameter; :class:`ModelError` when it has none."""
    name = model.spec.current_input
    if not name:
        raise AnalysisError("the model has no current input (set `current_input` to a parameter)")
    return name


def current_unit(model: CheckedModel) -> str:
    """The unit in which currents are given to ``model`` (``pA`` in NEST units, ``1`` if dimensionless)."""
    return model.display_unit(current_input(model))


def quantity_text(model: CheckedModel, name: str, value: float) -> str:
    """A parameter value in model units written as a quantity string the checker reads back."""
    unit = model.display_unit(name)
    text = repr(float(value)) if unit == "1" else f"{float(value)!r} {unit}"
    try:
        quantity_in(text, model.system)
    except UnitError as exc:
        raise AnalysisError(f"cannot write a value of `{name}` in its unit `{unit}`: {exc}") from exc
    return text


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise :class:`Cancelled` when ``cancel`` is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled("cancelled")
