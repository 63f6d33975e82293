"""The built-in model library, by name."""

from __future__ import annotations

import difflib

from engine.errors import ModelError
from engine.models import adex, classic, glif, hh, iaf, izhikevich, mat
from engine.models.base import LibraryModel, ParamInfo

_MODULES = (iaf, adex, izhikevich, hh, mat, classic, glif)

LIBRARY: dict[str, LibraryModel] = {m.name: m for module in _MODULES for m in module.MODELS}


def get_model(name: str) -> LibraryModel:
    """The library model called ``name``; a :class:`ModelError` with a suggestion otherwise."""
    try:
        return LIBRARY[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(LIBRARY), n=1, cutoff=0.6)
        hint = f" — did you mean `{close[0]}`?" if close else ""
        raise ModelError(f"unknown model `{name}`{hint}") from None


__all__ = ["LIBRARY", "LibraryModel", "ParamInfo", "get_model"]
