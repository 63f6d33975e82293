"""The settings of method ``rkf45``: GSL's step-size control as NEST's models choose it (docs/integration.md).

``rkf45`` alone takes the settings of NEST's aeif models; options in parentheses
change them, e.g. ``rkf45(control=y, eps_abs=1e-3, eps_rel=0, first_step=dt)``,
the settings of NEST's ``hh_psc_alpha`` and ``iaf_cond_*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.equations.units import SECOND, UnitError, parse_quantity

NAME = "rkf45"
_OPTION = re.compile(r"\s*([a-z_]+)\s*=\s*([^,]+?)\s*$")


@dataclass(frozen=True)
class Rkf45Control:
    """GSL's standard control, ``D = eps_abs + eps_rel (a_y |y| + a_dydt h |y'|)``: ``control`` ``y``
    (gsl_odeiv_control_y_new: a_y = 1, a_dydt = 0) or ``yp`` (control_yp_new: a_y = 0, a_dydt = 1);
    the first step is ``min(first_step, dt)``, or ``dt`` when ``first_step`` is None."""

    control: str = "yp"
    eps_abs: float = 1e-6
    eps_rel: float = 1e-6
    first_step: float | None = 1e-5  # seconds

    @property
    def a_y(self) -> float:
        return 1.0 if self.control == "y" else 0.0

    @property
    def a_dydt(self) -> float:
        return 0.0 if self.control == "y" else 1.0

    def first(self, dt: float) -> float:
        """The step size before the first step, for time step ``dt`` (seconds)."""
        return dt if self.first_step is None else min(self.first_step, dt)


def is_rkf45(method: str) -> bool:
    """Whether ``method`` names rkf45, with or without options."""
    return method == NAME or method.startswith(NAME + "(")


def parse_rkf45(method: str) -> Rkf45Control:
    """The control that ``method`` (``rkf45`` or ``rkf45(option=value, ...)``) asks for; a ValueError
    with a one-line message otherwise."""
    if method == NAME:
        return Rkf45Control()
    if not (method.startswith(NAME + "(") and method.endswith(")")):
        raise ValueError(f"`{method}` is not `rkf45` or `rkf45(option=value, ...)`")
    values: dict[str, object] = {}
    for part in method[len(NAME) + 1:-1].split(","):
        match = _OPTION.match(part)
        if match is None:
            raise ValueError(f"rkf45 option `{part.strip()}` is not `name=value`")
        key, text = match.groups()
        if key in values:
            raise ValueError(f"rkf45 option `{key}` is given twice")
        values[key] = _option(key, text)
    control = Rkf45Control(**values)
    if control.eps_abs == 0.0 and control.eps_rel == 0.0:
        raise ValueError("rkf45 needs eps_abs or eps_rel above 0")
    return control


def _option(key: str, text: str) -> object:
    if key == "control":
        if text not in ("y", "yp"):
            raise ValueError(f"rkf45 control is `y` or `yp`, not `{text}`")
        return text
    if key in ("eps_abs", "eps_rel"):
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"rkf45 {key} is a number, not `{text}`") from None
        if not value >= 0.0 or value == float("inf"):
            raise ValueError(f"rkf45 {key} must be a finite number of at least 0, not `{text}`")
        return value
    if key == "first_step":
        if text == "dt":
            return None
        try:
            value, _ = parse_quantity(text, SECOND)
        except UnitError as exc:
            raise ValueError(f"rkf45 first_step: {exc}") from None
        if not value > 0.0:
            raise ValueError(f"rkf45 first_step must be a positive time or `dt`, not `{text}`")
        return value
    raise ValueError(f"rkf45 has no option `{key}` (options: control, eps_abs, eps_rel, first_step)")
