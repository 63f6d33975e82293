"""``ncstudio characterise MODEL | --library``: firing pattern, rheobase, f-I, ISIs and sensitivities."""

from __future__ import annotations

import argparse
import json

from engine.analysis.characterise import Characterisation, characterise
from engine.errors import ModelError, NeuroCoreError
from engine.models import LIBRARY


def _unit(c: Characterisation) -> str:
    return "" if c.current_unit == "1" else c.current_unit


def _summary_row(c: Characterisation) -> str:
    rheobase = f"{c.rheobase:.4g} {_unit(c)}".strip() if c.pattern != "silent" else "-"
    top = ", ".join(name for name, _ in c.sensitive[:3]) or "-"
    return (f"{c.model:<16} {c.pattern:<13} {rheobase:>12} {c.fi_slope:>9.3g} {c.max_rate:>8.0f} "
            f"{c.isi_cv:>6.2f}  {top}")


def _header() -> str:
    return f"{'MODEL':<16} {'PATTERN':<13} {'RHEOBASE':>12} {'F-I SLOPE':>9} {'MAX Hz':>8} {'ISI CV':>6}  MOST SENSITIVE"


def _report(c: Characterisation) -> str:
    lines = [f"{c.model}: {c.pattern} ({'; '.join(c.reasons)})"]
    if c.pattern != "silent":
        unit = _unit(c)
        lines += [f"  rheobase {c.rheobase:.4g} {unit}; probed at {c.test_current:.4g} {unit}",
                  f"  f-I slope {c.fi_slope:.3g} Hz/{unit or 'unit'}; max rate {c.max_rate:.0f} Hz up to 10 × rheobase",
                  f"  ISI mean {c.isi_mean:.3g} ms, CV {c.isi_cv:.3g}",
                  "  most sensitive: " + ", ".join(f"{n} {s:+.2f}" for n, s in c.sensitive)]
        lines += [f"  {k}: {lo:.4g} .. {hi:.4g} {u}" for k, (lo, hi, u) in c.state_ranges.items()]
    return "\n".join(lines)


def characterise_command(args: argparse.Namespace) -> int:
    """Characterise one model (``--set`` overrides) or scan the whole library as a table."""
    from studio.cli.subcommands import _blame_override, resolve_model

    if args.library == (args.model is not None):
        raise NeuroCoreError("name a MODEL or give --library, not both")
    if args.library:
        found = [characterise(LIBRARY[name]) for name in LIBRARY]
        if args.json:
            print(json.dumps([c.as_dict() for c in found], indent=2))
        else:
            print("\n".join([_header(), *map(_summary_row, found)]))
        return 0
    model, _ = resolve_model(args.model)
    overrides = dict(args.set)
    try:
        found = characterise(model, overrides=overrides)
    except ModelError as exc:
        raise ModelError([_blame_override(p, overrides) for p in exc.problems]) from None
    if args.json:
        data = found.as_dict()
        data["model"] = getattr(model, "name", args.model)
        print(json.dumps(data, indent=2))
    else:
        print(_report(found))
    return 0
