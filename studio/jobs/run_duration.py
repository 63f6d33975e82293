"""The length of a run as a person types it (``"2 s"``, ``"500 ms"``, ``"until stopped"``)."""

from __future__ import annotations

from engine.equations.units import SECOND, UnitError, parse_quantity

UNTIL_STOPPED = "until stopped"


def duration_s(text: str) -> float | None:
    """The run length ``text`` gives, in seconds; ``None`` for until stopped (also an empty text).

    Raises
    ------
    ValueError
        Not a positive time.
    """
    text = text.strip()
    if text in ("", UNTIL_STOPPED):
        return None
    try:
        value, dim = parse_quantity(text)
    except UnitError as exc:
        raise ValueError(str(exc)) from None
    if dim is not SECOND or not value > 0:
        raise ValueError(f"`{text}` is not a positive time (e.g. `2 s`)")
    return value


def duration_problem(text: str) -> str | None:
    """Why ``text`` is not a run length (``None``: it is one)."""
    try:
        duration_s(text)
    except ValueError as exc:
        return str(exc)
    return None
